"""Evaluating and what comes of it: ``evaluate``, ``targets``, ``quota``, ``report``, ``map``, ``raster``."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from landuse.cli import app
from landuse.cli.common import DB_HELP, POLICY_HELP, Steps, console, leave_heap, load_policy, open_store, parse_date, warn_stale
from landuse.core.errors import LanduseError
from landuse.core.labels import lang, t


@app.command("evaluate")
def evaluate_cmd(
    year: Optional[int] = typer.Option(None, "--year", help="评价年度（缺省为全部年度）/ year (default: every year in the data)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="统计日期 YYYY-MM-DD（默认年末，需同时给出 --year）/ as-of date (default: year end; needs --year)"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    built_up: Optional[Path] = typer.Option(None, "--built-up", help="遥感建成区栅格 GeoTIFF / built-up raster"),
    period: Optional[str] = typer.Option(None, "--period", help="期间快报，如 2025Q3、2025H1、2025-09（临时数，不保存）/ in-year figures for a period (provisional, not stored)"),
    out: Optional[Path] = typer.Option(None, "--out", help="与 --period 同用：写出 .xlsx/.html/.pdf / with --period: write them to a file"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    tiles: bool = typer.Option(False, "--tiles", help="同时生成最后一个年度的网络地图矢量切片 / also build the web map's vector tiles of the last year"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="在 Dask 集群上按省分区评价：local:N 或 tcp://主机:端口 / evaluate on a Dask cluster, one partition per province: local:N or tcp://HOST:PORT"),
    processes: Optional[int] = typer.Option(None, "--processes", min=1, help="评价使用的进程数：读取部分输入图层、多个年度同时评价，单个年度时企业分级与集约调查另起进程（缺省为 LANDUSE_EVAL_PROCESSES 或至多 2；1 为单进程逐年）/ processes: part of the read, several years at once, or a year's grading and survey beside its rules (default: LANDUSE_EVAL_PROCESSES or up to 2; 1: one process, one year after another)"),
    fresh: bool = typer.Option(False, "--fresh", help="不用上次评价保留的往年中间结果，全部重算（结果相同，只是更慢）/ recompute the earlier years' parts instead of taking them from the last run (same results, slower)"),
) -> None:
    """计算并保存评价结果（重算替换）/ Compute and store the results for a year (re-running replaces them)."""
    from landuse.services.evaluate import evaluate, growth_summary

    pol = load_policy(policy)
    if period is not None:
        if year is not None or as_of is not None or built_up is not None:
            raise LanduseError(t("--period 不能与 --year、--as-of、--built-up 同用",
                                 "--period cannot be combined with --year, --as-of or --built-up"))
        _period(open_store(db), period, pol, out)
        return
    if out is not None:
        raise LanduseError(t("--out 只与 --period 同用；年度结果存入数据库，用 landuse report/export 导出",
                             "--out goes with --period; a year's results are stored: write them with landuse report/export"))
    store = open_store(db)
    years = [year] if year else store.years()
    if scheduler:
        _evaluate_on_cluster(store, years, pol, scheduler, as_of=as_of, built_up=built_up)
        if tiles:
            _build_tiles(store, max(years))
        return
    if not years:  # a store with a survey and no enterprise data: the survey years
        from landuse.services.survey import survey_years

        years = survey_years(store)
    if not years:
        raise LanduseError(t("没有企业年度数据", "no enterprise_years in the store"))
    leave_heap()  # the inputs and a year's results: the process ends without freeing them one by one
    with Steps(2 * len(years) + 1) as steps:
        out = evaluate(store, years=years, policy=pol, as_of=parse_date(as_of), built_up=built_up, progress=steps.say,
                       actor=f"cli:{getpass.getuser()}", fresh=fresh, processes=processes, keep="last")
    last = out[max(out)]
    for w in last.warnings:
        console.print(f"[yellow]{t('提示', 'note')}:[/] {w}")
    pa = last["pilot_area_results"]
    names = dict(zip(pa["pilot_area_code"], pa["pilot_area_name"].fillna(""), strict=False))
    console.print(t(f"[bold]{max(out)} 年 试验区亩均营业收入 +15% 检查[/]（政策 {pol.version}，哈希 {pol.hash}）",
                    f"[bold]{max(out)}: pilot areas' revenue per mu +15 % check[/] (policy {pol.version}, hash {pol.hash})"))
    for line in growth_summary(pa, key="pilot_area_code", names=names, lang=lang()):
        console.print("  " + line)
    n_flags = len(last["flags"])
    console.print(t(f"已保存 {len(out)} 个年度的结果；{max(out)} 年问题宗地标记 {n_flags} 条。",
                    f"stored results for {len(out)} year(s); {n_flags} parcel flags in {max(out)}."))
    if tiles:
        _build_tiles(store, max(out))
    made = [getattr(r, "version", None) for r in out.values()]
    if any(made):
        console.print(t(f"草稿版本：{'、'.join(v for v in made if v)}（landuse results list / publish）",
                        f"draft versions: {', '.join(v for v in made if v)} (landuse results list / publish)"))


def _period(store, period: str, pol, out: Path | None) -> None:
    from landuse.core.labels import PERIOD_NOTE, pick, unit_name
    from landuse.services.periods import check_period, evaluate_period

    period = check_period(period)
    with Steps(1) as steps:
        steps.say(t(f"计算期间 {period}", f"evaluating the period {period}"))
        res = evaluate_period(store, period=period, policy=pol)
    for w in res.warnings:
        console.print(f"[yellow]{t('提示', 'note')}:[/] {w}")
    tab = Table(title=t(f"{res.period.code} 试验区亩均营业收入（1 月 1 日至 {res.period.end:%Y-%m-%d} 累计，临时数）",
                        f"{res.period.code}: pilot areas' revenue per mu (cumulative to {res.period.end:%Y-%m-%d}, provisional)"))
    for h in (t("试验区", "pilot area"), t("万元/亩", "万元/mu"), t("覆盖率", "coverage"), t("上年同期", "last year"),
              t("同比", "change"), t("基期同期", "baseline"), t("较基期", "growth")):
        tab.add_column(h, justify="right")

    def f(v, fmt: str) -> str:
        return "—" if v is None or pd.isna(v) else format(v, fmt)

    import pandas as pd

    for r in res.pilot_areas.itertuples():
        name = unit_name(r.pilot_area_code, str(r.pilot_area_name or r.pilot_area_code))
        tab.add_row(name, f(r.revenue_per_mu, ",.1f"), f(r.revenue_coverage, ".1%"), f(r.prev_revenue_per_mu, ",.1f"),
                    f(r.yoy_change, "+.1%"), f(r.baseline_revenue_per_mu, ",.1f"), f(r.growth, "+.1%"))
    console.print(tab)
    console.print(pick(PERIOD_NOTE))
    if out is not None:
        from landuse.reports.period import write_period_report

        path = write_period_report(res, out, policy=pol, lang=lang())
        console.print(t(f"期间快报已写入 {path}（年度评价结果未改动）", f"written to {path} (the stored results are unchanged)"))
    else:
        console.print(t("期间数据不保存；加 --out 写出文件（年度评价结果未改动）",
                        "in-year figures are not stored; add --out to write them (the stored results are unchanged)"))


def _evaluate_on_cluster(store, years: list[int], pol, scheduler: str, *, as_of, built_up) -> None:
    from landuse.services.distributed import evaluate_distributed

    if as_of or built_up:
        raise LanduseError(t("--scheduler 不能与 --as-of、--built-up 同用", "--scheduler does not take --as-of or --built-up"))
    if not years:
        raise LanduseError(t("没有企业年度数据", "no enterprise_years in the store"))
    out = evaluate_distributed(store.url, years=years, policy=pol, scheduler=scheduler,
                               progress=lambda m: console.print("  " + m))
    for y, s in sorted(out["totals"].items()):
        console.print(t(f"{y} 年全部分区：营业收入 {s['revenue_wan']:,.0f} 万元，已开发 {s['developed_mu']:,.0f} 亩，"
                        f"亩均 {s['revenue_per_mu']:,.1f} 万元/亩",
                        f"{y}, all partitions: revenue {s['revenue_wan']:,.0f} 万元 on {s['developed_mu']:,.0f} mu, "
                        f"{s['revenue_per_mu']:,.1f} 万元/mu"))
    console.print(t(f"已在集群上评价 {len(out['partitions'])} 个分区，用时 {out['seconds']:.0f} 秒",
                    f"evaluated {len(out['partitions'])} partitions on the cluster in {out['seconds']:.0f} s"))


def _build_tiles(store, year: int) -> None:
    from landuse.services.tiles import build_tiles

    n = build_tiles(store, year)
    console.print(t(f"已生成 {year} 年矢量切片 {sum(n.values())} 个", f"stored {sum(n.values())} vector tiles of {year}"))


@app.command("tiles")
def tiles_cmd(
    year: Optional[int] = typer.Option(None, "--year", help="年度（缺省为最新结果年度）/ year (default: the latest results)"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """生成并保存网络地图的矢量切片（查表即可返回）/ Build and store the web map's vector tiles of a year's results."""
    from landuse.services import results

    store = open_store(db)
    y = results.latest_year(store, year)
    if y is None:
        raise LanduseError(t("尚无评价结果，请先运行 landuse evaluate", "no results yet: run `landuse evaluate` first"))
    _build_tiles(store, y)


@app.command("targets")
def targets_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx/.gpkg/.shp/.csv / output file"),
    zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """低效闲置用地处置清单（按优先序）/ The ranked target list of inefficient and idle parcels."""
    from landuse.services import results
    from landuse.services.exports import write_targets

    store = open_store(db)
    if zone:
        results.check_zone_code(store, zone)
    spatial = out.suffix.lower() in (".gpkg", ".shp", ".geojson")
    df = results.targets(store, year=year, zone=zone, policy=load_policy(policy), with_geometry=spatial)
    path = write_targets(df, out, lang=lang())
    warn_stale(store, year)
    console.print(t(f"处置清单 {len(df)} 宗，已写入 {path}（按严重程度、再按整改收益排序）",
                    f"{len(df)} parcels on the target list, written to {path} (ranked by severity, then gain)"))


@app.command("map")
def map_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 HTML 文件 / output HTML"),
    zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码（详图）/ zone code (detailed map)"),
    pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="试验区代码 / pilot area code"),
    basemap: str = typer.Option("none", "--basemap", help="none | tianditu | local"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """离线宗地地图（单个 HTML 文件，无需联网）/ Offline parcel map (one self-contained HTML file)."""
    from landuse.core.settings import get_settings
    from landuse.services.maps import map_html

    if zone and pilot_area:
        raise LanduseError(t("--zone 与 --pilot-area 只能选一个", "give --zone or --pilot-area, not both"))
    st = get_settings()
    store = open_store(db)
    with Steps(1) as steps:
        steps.say(t("生成地图", "building the map"))
        html = map_html(store, year=year, policy=load_policy(policy), zone=zone, pilot_area=pilot_area,
                        lang=lang(), basemap=basemap, tianditu_key=st.tianditu_key, tile_url=st.tile_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    warn_stale(store, year)
    console.print(t(f"地图已写入 {out}（{len(html) / 1e6:.1f} MB，可直接用浏览器打开）",
                    f"map written to {out} ({len(html) / 1e6:.1f} MB; open it in a browser)"))


@app.command("raster")
def raster_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 GeoTIFF / output GeoTIFF"),
    indicator: str = typer.Option("revenue_per_mu", "--indicator", help="指标列，如 revenue_per_mu / indicator column"),
    cell: float = typer.Option(100.0, "--cell", help="栅格边长（米）/ cell size (m)"),
    zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """指标栅格面（CGCS2000 高斯-克吕格 GeoTIFF，QGIS 可打开）/ Indicator surface as a GeoTIFF for QGIS."""
    from landuse.services import results
    from maps.raster import write_raster

    store = open_store(db)
    results.require_results(store, year)
    if zone:
        results.check_zone_code(store, zone)
    pr = results.read_layer(store, "parcel_results", year=year, zones=[zone] if zone else None)
    path = write_raster(pr, indicator=indicator, cell_m=cell, out=out)
    warn_stale(store, year)
    console.print(t(f"栅格已写入 {path}", f"raster written to {path}"))


@app.command("quota")
def quota_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    total_mu: int = typer.Option(..., "--total-mu", help="待分配的新增建设用地指标总量（亩）/ quota to distribute (mu)"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx/.csv / output file"),
    level: str = typer.Option("zone", "--level", help="zone | pilot_area"),
    pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="只分配该试验区的开发区 / only this pilot area's zones"),
    save: bool = typer.Option(False, "--save", help="把测算结果存入评价结果（所有用户可见，记入审计）/ store it into the results (visible to every user; audited)"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """新增建设用地指标倾斜建议（模型测算，非正式发布规则；默认只写输出文件）/ Quota tilt recommendation (a model, not a published rule; a what-if unless --save)."""
    import getpass

    from landuse.services.exports import write_quota
    from landuse.services.quota import quota

    if level not in ("zone", "pilot_area"):
        raise LanduseError("--level zone|pilot_area")
    df = quota(open_store(db), year=year, total_mu=total_mu, policy=load_policy(policy), level=level,
               pilot_area=pilot_area, save=save, actor=f"cli:{getpass.getuser()}")
    write_quota(df, out, lang=lang())
    tab = Table(title=t(f"{year} 年新增建设用地指标建议（共 {total_mu} 亩；模型测算，非正式发布规则）",
                        f"{year} quota recommendation ({total_mu} mu; a model, not a published rule)"))
    for h in (t("单元", "unit"), t("名称", "name"), t("指标(亩)", "quota (mu)"), t("说明", "explanation")):
        tab.add_column(h, overflow="fold")
    for _, r in df.iterrows():
        tab.add_row(str(r["unit"]), str(r.get("name", "") or ""), str(int(r["quota_mu"])), str(r["quota_explanation"]))
    console.print(tab)
    total = int(df["quota_mu"].sum())
    if df.attrs.get("summary"):
        zh, _, en = df.attrs["summary"].partition(" / ")
        console.print(t(zh, en))
    if save:
        console.print(t(f"合计 {total} 亩，已写入 {out}，并已保存到评价结果（已记入审计日志）",
                        f"total {total} mu; written to {out} and stored in the results (audited)"))
    else:
        console.print(t(f"合计 {total} 亩，已写入 {out}（测算，未改动评价结果；如需保存请加 --save）",
                        f"total {total} mu; written to {out} (a what-if: the results are unchanged; add --save to store it)"))


@app.command("report")
def report_cmd(
    year: Optional[int] = typer.Option(None, "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx / .html / .pdf / output file"),
    pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="试验区代码 / pilot area code"),
    total_mu: Optional[int] = typer.Option(None, "--total-mu", help="如需在报告中测算指标倾斜，给出总量（亩）/ quota total to model"),
    period: Optional[str] = typer.Option(None, "--period", help="半年报告/期间快报，如 2025H1（临时数）/ half-year or in-year report, e.g. 2025H1"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """评价报告（Excel 或自包含 HTML，可打印）/ The evaluator's report (Excel, or a self-contained printable HTML)."""
    from landuse.reports import write_report
    from landuse.services import results

    store = open_store(db)
    if period is not None:  # the half-year report (due end of July) and in-year bulletins
        from landuse.reports.period import write_period_report
        from landuse.services.periods import evaluate_period

        if year is not None or pilot_area or total_mu:
            raise LanduseError(t("--period 不能与 --year、--pilot-area、--total-mu 同用",
                                 "--period cannot be combined with --year, --pilot-area or --total-mu"))
        pol = load_policy(policy)
        res = evaluate_period(store, period=period, policy=pol)
        path = write_period_report(res, out, policy=pol, lang=lang())
        console.print(t(f"期间报告已写入 {path}（临时数）", f"period report written to {path} (provisional figures)"))
        return
    if year is None:
        raise LanduseError(t("请给出 --year（或 --period）", "give --year (or --period)"))
    if pilot_area:
        results.check_pilot_area_code(store, pilot_area)
    path = write_report(store, year=year, out=out, policy=load_policy(policy), pilot_area=pilot_area, lang=lang(),
                        total_quota_mu=total_mu)
    warn_stale(store, year)
    console.print(t(f"报告已写入 {path}", f"report written to {path}"))
