"""The ``landuse`` command (typer). Help and messages are Chinese first, English after the slash;
``--lang en`` (or ``LANDUSE_LANG=en``) prints messages in English."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from landuse.errors import LanduseError, ValidationFailed
from landuse.i18n import set_lang, t

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="开发区土地集约利用与亩均效益评价 / Land-use efficiency GIS for development zones (标准地 / 亩均效益).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
policy_app = typer.Typer(help="政策参数文件 / The policy file.", no_args_is_help=True)
user_app = typer.Typer(help="Web 用户管理 / Web-service accounts.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(user_app, name="user")

DB_HELP = "数据库：PostGIS URL 或 GeoPackage 路径（默认 LANDUSE_DATABASE_URL，再默认 ./landuse.gpkg）/ PostGIS URL or GeoPackage path"
POLICY_HELP = "政策文件 TOML（默认随产品提供的政策）/ policy TOML file (default: the shipped policy)"


@app.callback()
def _main(lang: Optional[str] = typer.Option(None, "--lang", help="界面语言 zh|en / message language")) -> None:
    if lang:
        set_lang(lang)


def _fail(exc: Exception, code: int = 1) -> None:
    err_console.print(f"[bold red]{t('错误', 'Error')}:[/] {exc}")
    raise typer.Exit(code)


def _store(db: str | None, *, init: bool = True):
    from parcels.store import open_store

    return open_store(db, init=init)


def _policy(path: Path | None):
    from landuse.policy import load_policy

    return load_policy(path)


class _Bar:
    """A rich progress bar over the steps of a long command; ``say(msg)`` finishes the previous
    step and starts the next one (the message is also logged with its time)."""

    def __init__(self, total: int | None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("[cyan]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.task = self.progress.add_task("", total=total)
        self.started = False

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        if self.started:
            self.progress.update(self.task, advance=1)
        t_ = self.progress.tasks[0]
        if t_.total is not None and t_.completed < t_.total:
            self.progress.update(self.task, completed=t_.total)
        self.progress.stop()

    def say(self, msg: str) -> None:
        if self.started:
            self.progress.update(self.task, advance=1)
        self.started = True
        self.progress.update(self.task, description=msg)
        self.progress.console.log(msg)


def _progress(total: int | None = None):
    """A progress bar for long steps (rich)."""
    bar = _Bar(total)
    bar.start()
    return bar, bar.say


def _problem_table(problems, limit: int = 60) -> Table:
    tab = Table(title=t("数据问题", "Data problems"), show_lines=False)
    for h in (t("级别", "severity"), t("文件", "file"), t("图层", "layer"), t("行", "row"), t("字段", "column"),
              t("值", "value"), t("应为", "expected")):
        tab.add_column(h, overflow="fold")
    for p in problems[:limit]:
        sev = "[red]错误 error[/]" if p.severity == "error" else "[yellow]警告 warning[/]"
        tab.add_row(sev, p.file, p.layer, "" if p.row is None else str(p.row), p.column or "",
                    "" if p.value is None else str(p.value)[:60], p.expected)
    return tab


def _write_problems(problems, path: Path) -> Path:
    from parcels.export import write_csv, write_frame
    from parcels.importer import PROBLEM_HEADERS_ZH, problems_frame

    df = problems_frame(problems)
    if path.suffix.lower() == ".xlsx":
        write_frame(df, path, layer_name="problems", extra_headers=PROBLEM_HEADERS_ZH)
    else:
        write_csv(df, path)
    return path


# ------------------------------------------------------------------------------------------------
# issue 2: data in and out
# ------------------------------------------------------------------------------------------------

@app.command("init")
def init_cmd(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """建库或升级库结构 / Create or migrate the store's schema."""
    try:
        s = _store(db)
    except LanduseError as exc:
        _fail(exc)
    console.print(t(f"已就绪：{s.kind} {s.url}", f"ready: {s.kind} {s.url}"))


@app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="数据包：文件夹、zip 或 GeoPackage / data package: folder, zip or GeoPackage"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    assume_crs: Optional[str] = typer.Option(None, "--assume-crs", help="无 .prj 时采用的坐标系，如 EPSG:4547 / CRS for files without .prj"),
    report: Path = typer.Option(Path("import_problems.csv"), "--report", help="问题清单文件 .csv/.xlsx / problem list file"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
) -> None:
    """导入数据包（全部成功或不做任何修改）/ Import a data package (all or nothing)."""
    from landuse.pipeline import run_import

    try:
        pol = _policy(policy)
        store = _store(db)
        status, say = _progress(3)
        try:
            rep = run_import(path, store, policy=pol, assume_crs=assume_crs, progress=say)
        finally:
            status.stop()
    except ValidationFailed as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        console.print(_problem_table(exc.problems))
        _write_problems(exc.problems, report)
        for n in getattr(exc, "notes", []):
            console.print(f"[dim]· {n}[/]")
        _fail(LanduseError(t(f"发现 {len(errors)} 个错误，未导入任何数据。完整清单见 {report}",
                             f"{len(errors)} errors found; nothing was imported. Full list in {report}")))
        return
    except LanduseError as exc:
        _fail(exc)
        return
    for n in rep.notes:
        console.print(f"[dim]· {n}[/]")
    if rep.problems:
        console.print(_problem_table(rep.problems))
        _write_problems(rep.problems, report)
        console.print(t(f"{len(rep.problems)} 个警告，清单见 {report}", f"{len(rep.problems)} warnings, list in {report}"))
    tab = Table(title=t("导入结果", "Import result"))
    for h in (t("图层", "layer"), t("新增", "inserted"), t("更新", "updated"), t("未变", "unchanged")):
        tab.add_column(h)
    for c in rep.changes:
        tab.add_row(c.layer, str(c.inserted), str(c.updated), str(c.unchanged))
    console.print(tab)


@app.command("sample")
def sample_cmd(
    out: Path = typer.Option(..., "--out", help="输出文件夹 / output folder"),
    scale: str = typer.Option("small", "--scale", help="small | province"),
    seed: int = typer.Option(1, "--seed", help="随机种子 / random seed"),
) -> None:
    """生成示例数据包（江西试验区风格）/ Generate a sample data package (Jiangxi-like)."""
    from parcels.sample import write_sample

    if scale not in ("small", "province"):
        _fail(LanduseError("--scale small|province"), 2)
    from rich.progress import Progress

    with Progress(console=console) as prog:
        task = prog.add_task(t("生成示例数据", "generating"), total=None)

        def step(stage: str, i: int, n: int) -> None:
            prog.update(task, description=f"{t('生成', 'generating')} {stage}", completed=i, total=max(n, 1))

        summary = write_sample(out, scale=scale, seed=seed, progress=step)
    console.print(t(f"示例数据已写入 {out}", f"sample written to {out}"))
    console.print(summary.get("counts", summary))


@app.command("export")
def export_cmd(
    layer: str = typer.Argument(..., help="图层名，如 parcels、zone_results / layer name"),
    out: Path = typer.Option(..., "--out", help="输出文件 .csv/.xlsx/.gpkg/.shp / output file"),
    year: Optional[int] = typer.Option(None, "--year", help="年度 / year"),
    zone: Optional[str] = typer.Option(None, "--zone", help="只导出该开发区 / only this zone"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """导出图层（格式由扩展名决定）/ Export a layer (format from the extension)."""
    from landuse.i18n import lang
    from landuse.pipeline import export_layer

    try:
        path, n = export_layer(_store(db), layer, out, year=year, zones=[zone] if zone else None, lang=lang())
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"已导出 {n} 行到 {path}", f"exported {n} rows to {path}"))


@app.command("template")
def template_cmd(out: Path = typer.Option(..., "--out", help="输出文件夹 / output folder")) -> None:
    """生成空白模板（中文表头 Excel 与空 GeoPackage）/ Write empty templates to fill in."""
    from parcels.export import write_template

    for p in write_template(out):
        console.print(t(f"已写入 {p}", f"written {p}"))


# ------------------------------------------------------------------------------------------------
# policy
# ------------------------------------------------------------------------------------------------

@policy_app.command("show")
def policy_show(policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP)) -> None:
    """显示政策参数（含版本与哈希）/ Print the policy with its version and hash."""
    from landuse.policy import default_policy_text

    try:
        pol = _policy(policy)
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(f"# {t('版本', 'version')}: {pol.version}   {t('哈希', 'hash')}: {pol.hash}")
    text = policy.read_text(encoding="utf-8") if policy else default_policy_text()
    sys.stdout.write(text)


@policy_app.command("init")
def policy_init(out: Path = typer.Option(..., "--out", help="输出 TOML 文件 / output TOML file"),
                force: bool = typer.Option(False, "--force", help="覆盖已有文件 / overwrite")) -> None:
    """复制默认政策文件以便修改 / Write a copy of the default policy to edit."""
    from landuse.policy import default_policy_text

    if out.exists() and not force:
        _fail(LanduseError(t(f"{out} 已存在（用 --force 覆盖）", f"{out} exists (use --force)")))
    out.write_text(default_policy_text(), encoding="utf-8")
    console.print(t(f"已写入 {out}", f"written {out}"))


@app.command("evaluate")
def evaluate_cmd(
    year: Optional[int] = typer.Option(None, "--year", help="评价年度（缺省为全部年度）/ year (default: every year in the data)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="统计日期 YYYY-MM-DD（默认年末）/ as-of date (default: year end)"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    built_up: Optional[Path] = typer.Option(None, "--built-up", help="遥感建成区栅格 GeoTIFF / built-up raster"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """计算并保存评价结果（重算替换）/ Compute and store the results for a year (re-running replaces them)."""
    from landuse.pipeline import evaluate, growth_summary

    try:
        pol = _policy(policy)
        store = _store(db)
        years = [year] if year else store.years()
        if not years:
            raise LanduseError(t("没有企业年度数据 / no enterprise_years in the store", "no enterprise_years in the store"))
        status, say = _progress(2 * len(years) + 1)
        try:
            out = evaluate(store, years=years, policy=pol, as_of=_date(as_of), built_up=built_up, progress=say)
        finally:
            status.stop()
    except LanduseError as exc:
        _fail(exc)
        return
    last = out[max(out)]
    pa = last["pilot_area_results"]
    names = dict(zip(pa["pilot_area_code"], pa["pilot_area_name"].fillna(""), strict=False))
    console.print(t(f"[bold]{max(out)} 年 试验区亩均营业收入 +15% 检查[/]（政策 {pol.version}，哈希 {pol.hash}）",
                    f"[bold]{max(out)}: pilot areas' revenue per mu +15 % check[/] (policy {pol.version}, hash {pol.hash})"))
    from landuse.i18n import lang

    for line in growth_summary(pa, key="pilot_area_code", names=names, lang=lang()):
        console.print("  " + line)
    n_flags = len(last["flags"])
    console.print(t(f"已保存 {len(out)} 个年度的结果；{max(out)} 年问题宗地标记 {n_flags} 条。",
                    f"stored results for {len(out)} year(s); {n_flags} parcel flags in {max(out)}."))


@app.command("targets")
def targets_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx/.gpkg/.shp/.csv / output file"),
    zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """低效闲置用地处置清单（按优先序）/ The ranked target list of inefficient and idle parcels."""
    from landuse.i18n import lang
    from landuse.pipeline import targets_frame, write_targets

    try:
        df = targets_frame(_store(db), year=year, zone=zone, policy=_policy(policy))
        path = write_targets(df, out, lang=lang())
    except LanduseError as exc:
        _fail(exc)
        return
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
    from landuse.config import get_settings
    from landuse.i18n import lang
    from landuse.pipeline import map_html

    if zone and pilot_area:
        _fail(LanduseError(t("--zone 与 --pilot-area 只能选一个", "give --zone or --pilot-area, not both")), 2)
    st = get_settings()
    try:
        status, say = _progress(1)
        try:
            say(t("生成地图", "building the map"))
            html = map_html(_store(db), year=year, policy=_policy(policy), zone=zone, pilot_area=pilot_area, lang=lang(),
                            basemap=basemap, tianditu_key=st.tianditu_key, tile_url=st.tile_url)
        finally:
            status.stop()
    except LanduseError as exc:
        _fail(exc)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
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
    from landuse.pipeline import read_layer, require_results
    from maps.raster import write_raster

    try:
        store = _store(db)
        require_results(store, year)
        pr = read_layer(store, "parcel_results", year=year, zones=[zone] if zone else None)
        path = write_raster(pr, indicator=indicator, cell_m=cell, out=out)
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"栅格已写入 {path}", f"raster written to {path}"))


@app.command("quota")
def quota_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    total_mu: int = typer.Option(..., "--total-mu", help="待分配的新增建设用地指标总量（亩）/ quota to distribute (mu)"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx/.csv / output file"),
    level: str = typer.Option("zone", "--level", help="zone | pilot_area"),
    pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="只分配该试验区的开发区 / only this pilot area's zones"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """新增建设用地指标倾斜建议（模型测算，非正式发布规则）/ Quota tilt recommendation (a model, not a published rule)."""
    from landuse.pipeline import QUOTA_HEADERS_ZH, quota
    from parcels.export import write_frame

    if level not in ("zone", "pilot_area"):
        _fail(LanduseError("--level zone|pilot_area"), 2)
    try:
        df = quota(_store(db), year=year, total_mu=total_mu, policy=_policy(policy), level=level, pilot_area=pilot_area)
        write_frame(df, out, layer_name="quota", extra_headers=QUOTA_HEADERS_ZH)
    except LanduseError as exc:
        _fail(exc)
        return
    tab = Table(title=t(f"{year} 年新增建设用地指标建议（共 {total_mu} 亩；模型测算，非正式发布规则）",
                        f"{year} quota recommendation ({total_mu} mu; a model, not a published rule)"))
    for h in (t("单元", "unit"), t("名称", "name"), t("指标(亩)", "quota (mu)"), t("说明", "explanation")):
        tab.add_column(h, overflow="fold")
    for _, r in df.iterrows():
        tab.add_row(str(r["unit"]), str(r.get("name", "") or ""), str(int(r["quota_mu"])), str(r["quota_explanation"]))
    console.print(tab)
    console.print(t(f"合计 {int(df['quota_mu'].sum())} 亩，已写入 {out}，并保存到评价结果", f"total {int(df['quota_mu'].sum())} mu; written to {out} and stored"))


@app.command("report")
def report_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx / .html / .pdf / output file"),
    pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="试验区代码 / pilot area code"),
    total_mu: Optional[int] = typer.Option(None, "--total-mu", help="如需在报告中测算指标倾斜，给出总量（亩）/ quota total to model"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """评价报告（Excel 或自包含 HTML，可打印）/ The evaluator's report (Excel, or a self-contained printable HTML)."""
    from landuse.i18n import lang
    from landuse.reports import write_report

    try:
        path = write_report(_store(db), year=year, out=out, policy=_policy(policy), pilot_area=pilot_area, lang=lang(),
                            total_quota_mu=total_mu)
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"报告已写入 {path}", f"report written to {path}"))


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo-out"), "--out", help="输出文件夹 / output folder"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    seed: int = typer.Option(1, "--seed", help="随机种子 / random seed"),
) -> None:
    """演示：生成示例数据、导入、评价全部年度并输出报告与地图 / Demo on generated data."""
    from landuse.demo import run_demo

    try:
        run_demo(out=out, db=db, seed=seed, console=console)
    except LanduseError as exc:
        _fail(exc)


# ------------------------------------------------------------------------------------------------
# issue 7: the web service and its accounts
# ------------------------------------------------------------------------------------------------

@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / listen address"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    workers: int = typer.Option(1, "--workers", help="进程数 / worker processes"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """启动 Web 服务（FastAPI + uvicorn）/ Run the web service."""
    from landuse.web.app import serve

    try:
        s = _store(db)
        s.close()
    except LanduseError as exc:
        _fail(exc)
        return
    serve(db, host=host, port=port, workers=workers)


def _read_password(stdin: bool) -> str:
    if stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
    else:
        pw = typer.prompt(t("密码", "Password"), hide_input=True, confirmation_prompt=True)
    return pw


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名 / user name"),
    role: str = typer.Option(..., "--role", help="admin | evaluator | manager | viewer"),
    zones: Optional[str] = typer.Option(None, "--zones", help="开发区代码，逗号分隔（manager 必填）/ zone codes, comma-separated"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码 / read the password from stdin"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """新增 Web 用户（首次安装用它创建第一个管理员）/ Add a web account (creates the first admin)."""
    from landuse.web import auth

    try:
        s = _store(db)
        auth.add_user(s, name, role=role, password=_read_password(password_stdin), zones=zones, actor="cli")
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"已创建用户 {name}（{role}）", f"user {name} ({role}) created"))


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """列出 Web 用户 / List web accounts."""
    from landuse.web import auth

    try:
        users = auth.list_users(_store(db))
    except LanduseError as exc:
        _fail(exc)
        return
    tab = Table(title=t("用户", "Users"))
    for h in (t("用户名", "user"), t("角色", "role"), t("开发区", "zones"), t("状态", "status")):
        tab.add_column(h)
    for u in users:
        tab.add_row(u.username, u.role, ",".join(u.zones) or t("全部", "all"),
                    t("启用", "active") if u.active else t("停用", "disabled"))
    console.print(tab)


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名 / user name"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """停用用户并结束其登录会话 / Disable an account and end its sessions."""
    from landuse.web import auth

    try:
        auth.set_active(_store(db), name, False, actor="cli")
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"已停用 {name}", f"{name} disabled"))


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="用户名 / user name"),
                password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码 / read the password from stdin"),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """修改用户密码（结束其全部会话）/ Set a new password (ends the user's sessions)."""
    from landuse.web import auth

    try:
        auth.set_password(_store(db), name, _read_password(password_stdin), actor="cli")
    except LanduseError as exc:
        _fail(exc)
        return
    console.print(t(f"已修改 {name} 的密码", f"password of {name} changed"))


def _date(s: str | None) -> _dt.date | None:
    if not s:
        return None
    try:
        return _dt.date.fromisoformat(s)
    except ValueError:
        _fail(LanduseError(t(f"日期格式应为 YYYY-MM-DD：{s}", f"date must be YYYY-MM-DD: {s}")), 2)
        raise


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
