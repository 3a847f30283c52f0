"""Result versions: ``landuse results list|publish|diff --year Y`` (landuse.services.versions)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from landuse.cli import app
from landuse.cli.common import DB_HELP, POLICY_HELP, console, load_policy, open_store
from landuse.core.labels import t

results_app = typer.Typer(help="评价结果版本：列出、发布、比较 / result versions: list, publish, compare",
                          no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("list")
def list_cmd(
    year: Optional[int] = typer.Option(None, "--year", help="年度（缺省为全部）/ year (default: all)"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """列出评价结果版本 / List the result versions."""
    from landuse.services import versions

    store = open_store(db)
    rows = versions.list_versions(store, year)
    if not rows:
        console.print(t("没有记录的版本", "no versions recorded"))
        return
    tab = Table(show_lines=False)
    for h in (t("版本", "version"), t("状态", "status"), t("来源", "origin"), t("计算时间", "computed"),
              t("计算人", "by"), t("输入哈希", "inputs"), t("政策哈希", "policy"), t("发布", "published"),
              t("公示截止", "objections until"), t("说明", "note")):
        tab.add_column(h, overflow="fold")
    tab.columns[0].no_wrap = True
    for r in rows:
        st = t(versions.STATUS_ZH.get(r["status"], r["status"]), r["status"])
        pub = f"{str(r.get('published_at') or '')[:16]} {r.get('published_by') or ''}".strip()
        note = r.get("publish_note") or r.get("note") or ""
        if r["status"] == "superseded":
            note = t(f"被替代：{r.get('superseded_reason') or ''}", f"superseded: {r.get('superseded_reason') or ''}")
        tab.add_row(r["version_id"], st, r.get("origin") or "", str(r["created_at"])[:16], r.get("created_by") or "",
                    r.get("inputs_hash") or "", r.get("policy_hash") or "", pub, r.get("window_closes") or "", note)
    console.print(tab)


@results_app.command("publish")
def publish_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    version: str = typer.Option(..., "--version", help="版本，如 v2 / version, e.g. v2"),
    note: str = typer.Option(..., "--note", help="发布说明（替代已发布版本时为理由）/ note (the reason when it replaces a published version)"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """发布一个版本（页面、报告、导出随之显示该版本；记入审计）/ Publish a version (audited)."""
    from landuse.services import versions

    store = open_store(db)
    v = versions.publish(store, year=year, version=version, note=note, actor=f"cli:{getpass.getuser()}",
                         policy=load_policy(policy))
    console.print(t(f"已发布 {v['version_id']}；异议公示期至 {v['window_closes']}",
                    f"published {v['version_id']}; objections until {v['window_closes']}"))


@results_app.command("diff")
def diff_cmd(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    a: str = typer.Option(..., "--a", help="版本 A / version A"),
    b: str = typer.Option(..., "--b", help="版本 B / version B"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """比较同一年度的两个版本 / Compare two versions of a year."""
    from landuse.services import versions

    store = open_store(db)
    d = versions.diff(store, year=year, a=a, b=b)
    if all(len(f) == 0 for f in d.values()):
        console.print(t("两个版本的开发区指标、企业等级和问题认定相同", "the two versions agree on zone figures, grades and flags"))
        return
    for key, title in (("zones", t("开发区指标", "zone figures")), ("grades", t("企业等级", "grades")),
                       ("flags", t("问题认定", "flags"))):
        f = d[key]
        if len(f) == 0:
            continue
        tab = Table(title=f"{title} ({len(f)})")
        for c in f.columns:
            tab.add_column(str(c))
        for _, r in f.head(200).iterrows():
            tab.add_row(*["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in r.tolist()])
        console.print(tab)
