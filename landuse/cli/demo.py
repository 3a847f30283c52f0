"""``landuse demo`` (README): a generated Jiangxi-like province, imported into the embedded
GeoPackage, evaluated for every year, with the outputs people use written to a folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from typing import Optional

import typer
from rich.console import Console

from landuse.cli import app
from landuse.cli.common import DB_HELP, console
from landuse.core.labels import lang, t
from landuse.core.policy import load_policy
from landuse.core.settings import get_settings, resolve_db
from landuse.services import results
from landuse.services.evaluate import evaluate, growth_summary
from landuse.services.exports import export_layer, write_targets
from landuse.services.imports import run_import
from landuse.services.maps import map_html
from parcels.sample import write_sample
from parcels.store import open_store


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo-out"), "--out", help="输出文件夹 / output folder"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    seed: int = typer.Option(1, "--seed", help="随机种子 / random seed"),
) -> None:
    """演示：生成示例数据、导入、评价全部年度并输出报告与地图 / Demo on generated data."""
    run_demo(out=out, db=db, seed=seed, console=console)


def run_demo(*, out: Path, db: str | None = None, seed: int = 1, console: Console | None = None) -> dict[str, Path]:
    con = console or Console()
    out.mkdir(parents=True, exist_ok=True)
    target = resolve_db(db)
    pkg = out / "sample-package"
    if pkg.exists():
        shutil.rmtree(pkg)
    con.rule(t("1 生成示例数据包", "1 generating a sample package"))
    summary = write_sample(pkg, scale="small", seed=seed)
    con.print(summary.get("counts", {}))
    con.rule(t(f"2 导入 {target}", f"2 importing into {target}"))
    store = open_store(target, init=True)
    policy = load_policy(None)
    rep = run_import(pkg, store, policy=policy, progress=lambda m: con.log(m))
    for n in rep.notes[:6]:
        con.print(f"[dim]· {n}[/]")
    con.print(t(f"导入完成（警告 {len(rep.problems)} 条）", f"imported ({len(rep.problems)} warnings)"))
    if (pkg / "_disposals.csv").exists():  # the sample's disposal ledger (earlier years' campaign)
        from landuse.services.ledger import load_disposals, read_ledger

        if not len(read_ledger(store)):
            n = len(load_disposals(store, pkg / "_disposals.csv", actor="demo"))
            con.print(t(f"处置台账：载入 {n} 条", f"disposal ledger: {n} entries loaded"))
    con.rule(t("3 评价全部年度", "3 evaluating every year"))
    years = store.years()
    res = evaluate(store, years=years, policy=policy, progress=lambda m: con.log(m))
    y = max(res)
    pa = res[y]["pilot_area_results"]
    names = dict(zip(pa["pilot_area_code"], pa["pilot_area_name"].fillna(""), strict=False))
    con.print(t(f"[bold]{y} 年各试验区亩均营业收入（按实际开发面积）较 2020 年 +15% 检查[/]",
                f"[bold]{y}: pilot areas' revenue per mu on developed land, +15 % on 2020[/]"))
    for line in growth_summary(pa, key="pilot_area_code", names=names, lang=lang()):
        con.print("  " + line)
    con.rule(t("4 输出", "4 outputs"))
    outputs: dict[str, Path] = {}
    outputs["zone_results"] = export_layer(store, "zone_results", out / f"zone_results_{y}.xlsx", year=y)[0]
    outputs["targets"] = write_targets(results.targets(store, year=y, policy=policy), out / f"targets_{y}.xlsx")
    st = get_settings()
    outputs["map_overview"] = out / f"map_province_{y}.html"
    outputs["map_overview"].write_text(map_html(store, year=y, policy=policy, lang=lang(), tianditu_key=st.tianditu_key),
                                       encoding="utf-8")
    zr = res[y]["zone_results"].sort_values("zone_code")
    first_zone = str(zr["zone_code"].iloc[0])
    outputs["map_zone"] = out / f"map_zone_{first_zone}_{y}.html"
    outputs["map_zone"].write_text(map_html(store, year=y, policy=policy, zone=first_zone, lang=lang()), encoding="utf-8")
    from landuse.reports import write_report

    outputs["report_xlsx"] = write_report(store, year=y, out=out / f"report_{y}.xlsx", policy=policy, lang=lang())
    outputs["report_html"] = write_report(store, year=y, out=out / f"report_{y}.html", policy=policy, lang=lang())
    for k, p in outputs.items():
        con.print(f"  {k}: {p}")
    return outputs
