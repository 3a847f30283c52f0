"""The disposal ledger (处置台账): ``ledger`` (a zone's summary), ``ledger export``, ``ledger import``,
``ledger open`` (entries from the target list), ``ledger plan`` (a path to the +15 % target)."""

from __future__ import annotations

import datetime as _dt
import getpass
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from landuse.cli import app
from landuse.cli.common import DB_HELP, console, open_store
from landuse.core.contract import DISPOSAL_STATUSES
from landuse.core.labels import t

ledger_app = typer.Typer(help="处置台账 / the disposal ledger", invoke_without_command=True, no_args_is_help=False)
app.add_typer(ledger_app, name="ledger")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name on this system
        return "cli"


def _zones(store, zone: str | None) -> list[str] | None:
    if zone is None:
        return None
    from landuse.services.results import check_zone_code

    check_zone_code(store, zone)
    return [zone]


@ledger_app.callback()
def ledger_summary(ctx: typer.Context,
                   zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """处置台账汇总（按开发区）/ The ledger's summary per zone."""
    if ctx.invoked_subcommand is not None:
        return
    from landuse.services.ledger import read_ledger, summary

    store = open_store(db)
    led = read_ledger(store, zones=_zones(store, zone))
    if not len(led):
        console.print(t("台账为空：用 landuse ledger open 从问题清单立项，或在网页上立项",
                        "the ledger is empty: open entries with `landuse ledger open` or on the web"))
        return
    s = summary(led, today=_dt.date.today())
    tab = Table(title=t("处置台账汇总", "Disposal ledger summary"))
    heads = [t("开发区", "zone"), t("条目", "entries"), *DISPOSAL_STATUSES, t("处置中面积(亩)", "mu in disposal"),
             t("已处置面积(亩)", "mu disposed"), t("逾期", "overdue"), t("已征收闲置费(万元)", "fee collected (万元)")]
    for h in heads:
        tab.add_column(h)

    def num(v) -> str:
        return "—" if v is None or v != v else f"{v:,.1f}"

    for d in s.to_dict("records"):
        tab.add_row(str(d["zone_code"]), str(d["entries"]), *(str(d[st]) for st in DISPOSAL_STATUSES),
                    num(d["mu_in_disposal"]), num(d["mu_disposed"]), str(d["overdue"]), num(d["fee_collected_wan"]))
    console.print(tab)


@ledger_app.command("export")
def export_cmd(out: Path = typer.Option(..., "--out", help="输出 Excel 文件 .xlsx / output workbook"),
               zone: Optional[str] = typer.Option(None, "--zone", help="只导出该开发区 / only this zone"),
               db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """导出处置台账 Excel（局里的台账列，中文表头，下拉列表）/ Export the ledger workbook."""
    from landuse.core.errors import LanduseError
    from landuse.services.ledger_excel import export_ledger

    if out.suffix.lower() != ".xlsx":
        raise LanduseError(t("输出文件应为 .xlsx", "the output file must be .xlsx"))
    store = open_store(db)
    path, n = export_ledger(store, out, zones=_zones(store, zone))
    console.print(t(f"已导出 {n} 条台账到 {path}", f"exported {n} ledger entries to {path}"))


@ledger_app.command("import")
def import_cmd(path: Path = typer.Argument(..., help="台账 Excel 文件 / ledger workbook"),
               db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """导入修改后的台账 Excel，或 CSV 台账表（全部成功或不做任何修改）/ Apply an edited ledger workbook, or load a
    disposals CSV (all or nothing)."""
    from landuse.core.errors import LanduseError
    from landuse.services.ledger_excel import import_ledger

    if not path.exists():
        raise LanduseError(t(f"没有找到文件 {path}", f"no such file {path}"))
    if path.suffix.lower() == ".csv":  # a disposals table with the contract's columns: new entries
        from landuse.services.ledger import load_disposals

        keys = load_disposals(open_store(db), path, actor=_actor())
        console.print(t(f"新立项 {len(keys)} 条", f"{len(keys)} entries opened"))
        return
    rep = import_ledger(open_store(db), path, actor=_actor())
    if not (rep.changes or rep.opened or rep.notes):
        console.print(t("没有修改", "nothing changed"))
        return
    tab = Table(title=t("台账修改", "Ledger changes"))
    for h in (t("条目", "entry"), t("字段", "field"), t("原值", "before"), t("新值", "after")):
        tab.add_column(h)
    for k in rep.opened:
        tab.add_row(k, t("新立项", "opened"), "", "")
    for k, f, b, a in rep.changes:
        tab.add_row(k, f, "" if b is None else str(b), "" if a is None else str(a))
    for k in rep.notes:
        tab.add_row(k, t("新增进展", "progress note"), "", "")
    console.print(tab)
    console.print(t(f"新立项 {len(rep.opened)} 条，修改 {len(rep.changes)} 处，新增进展 {len(rep.notes)} 条",
                    f"{len(rep.opened)} opened, {len(rep.changes)} fields changed, {len(rep.notes)} notes added"))


@ledger_app.command("open")
def open_cmd(year: int = typer.Option(..., "--year", help="问题清单的年度 / the target list's year"),
             zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
             rule: Optional[list[str]] = typer.Option(None, "--rule", help="只立项这些规则 / only these rules"),
             parcel: Optional[list[str]] = typer.Option(None, "--parcel", help="只立项这些宗地 / only these parcels"),
             db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """从问题清单批量立项（每宗地每个问题一条）/ Open entries from the target list in bulk."""
    from landuse.services.ledger import open_from_targets
    from landuse.services.results import require_results

    store = open_store(db)
    require_results(store, year)
    keys = open_from_targets(store, year=year, zones=_zones(store, zone), actor=_actor(),
                             parcels=list(parcel) if parcel else None, rules=list(rule) if rule else None)
    console.print(t(f"新立项 {len(keys)} 条", f"{len(keys)} entries opened"))


@ledger_app.command("plan")
def plan_cmd(year: int = typer.Option(..., "--year", help="年度 / year"),
             zone: Optional[str] = typer.Option(None, "--zone", help="开发区代码 / zone code"),
             pilot_area: Optional[str] = typer.Option(None, "--pilot-area", help="试验区代码 / pilot area code"),
             open_: bool = typer.Option(False, "--open", help="将所选宗地立项 / open ledger entries for the plan"),
             db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """回到 +15% 路径所需的最少处置宗地（估算）/ The fewest targets that bring a unit onto its +15 % path."""
    from landuse.services.ledger import open_plan, plan_to_target

    store = open_store(db)
    if zone:
        _zones(store, zone)
    plan = plan_to_target(store, year=year, zone=zone, pilot_area=pilot_area)
    console.print(plan.message())
    if len(plan.chosen):
        tab = Table(title=t("处置计划（估算）", "Plan (estimates)"))
        for h in (t("序", "#"), t("宗地", "parcel"), t("开发区", "zone"), t("问题", "rules"), t("措施", "remedy"),
                  t("增收(万元)", "gain (万元)"),
                  t("腾退开发用地(亩)", "freed developed mu"), t("贡献(万元)", "contribution (万元)"),
                  t("完成后亩均营业收入", "revenue per mu after"), t("已在台账", "in ledger")):
            tab.add_column(h)
        for r in plan.chosen.to_dict("records"):
            how = t("原地提升", "raise in place") if r["remedy"] == "raise" else t("腾退", "free the land")
            tab.add_row(str(r["rank"]), r["parcel_code"], str(r["zone_code"]), str(r["rules"]), how, f"{r['gain_wan']:,.0f}",
                        f"{r['freed_mu']:,.1f}", f"{r['contribution']:,.0f}", f"{r['revenue_per_mu_after']:,.1f}",
                        t("是", "yes") if r["in_ledger"] else "")
        console.print(tab)
    if open_:
        keys = open_plan(store, plan, actor=_actor())
        console.print(t(f"新立项 {len(keys)} 条", f"{len(keys)} entries opened"))
