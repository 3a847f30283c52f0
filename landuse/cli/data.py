"""Data in and out: ``init``, ``import``, ``sample``, ``export``, ``template``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from landuse.cli import app
from landuse.cli.common import DB_HELP, POLICY_HELP, Steps, console, load_policy, masked, open_store, problem_table, warn_stale
from landuse.core.errors import LanduseError, ValidationFailed
from landuse.core.labels import lang, t


@app.command("init")
def init_cmd(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """建库或升级库结构 / Create or migrate the store's schema."""
    s = open_store(db, create=True)
    console.print(t(f"已就绪：{s.kind} {masked(s.url)}", f"ready: {s.kind} {masked(s.url)}"))


@app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="数据包：文件夹、zip 或 GeoPackage / data package: folder, zip or GeoPackage"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    assume_crs: Optional[str] = typer.Option(None, "--assume-crs", help="无 .prj 时采用的坐标系，如 EPSG:4547 / CRS for files without .prj"),
    report: Path = typer.Option(Path("import_problems.csv"), "--report", help="问题清单文件 .csv/.xlsx / problem list file"),
    policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP),
    towgs84: Optional[str] = typer.Option(None, "--towgs84", help="西安80/北京54 至 CGCS2000 的七参数 dx,dy,dz,rx,ry,rz,s（米、角秒、ppm）/ seven parameters for Xian 1980 / Beijing 1954"),
    keep_declared_zone: bool = typer.Option(False, "--keep-declared-zone", help="坐标系声明的带号与横坐标带号不一致时保留声明的带号 / keep a declared GK zone that contradicts the eastings' prefix"),
    units: Optional[list[str]] = typer.Option(None, "--units", help="调查数据列的单位，如 JZMJ=m2、GDZCTZZE@Z1=yuan（ha|m2|mu|yuan|wan）/ unit of a survey column, COLUMN[@ZONE]=UNIT"),
) -> None:
    """导入数据包（全部成功或不做任何修改）/ Import a data package (all or nothing)."""
    from landuse.services.exports import write_problems
    from landuse.services.imports import run_import

    pol = load_policy(policy)
    store = open_store(db, create=True)
    try:
        with Steps(3) as steps:
            rep = run_import(path, store, policy=pol, assume_crs=assume_crs, progress=steps.say, towgs84=towgs84,
                             keep_declared_zone=keep_declared_zone, units=units)
    except ValidationFailed as exc:
        write_problems(exc.problems, report, lang=lang())
        exc.report_path = report  # type: ignore[attr-defined]
        raise
    for n in rep.notes:
        console.print(f"[dim]· {n}[/]")
    if rep.problems:
        console.print(problem_table(rep.problems))
        write_problems(rep.problems, report, lang=lang())
        console.print(t(f"{len(rep.problems)} 个警告，清单见 {report}", f"{len(rep.problems)} warnings, list in {report}"))
    tab = Table(title=t("导入结果", "Import result"))
    for h in (t("图层", "layer"), t("新增", "inserted"), t("更新", "updated"), t("未变", "unchanged")):
        tab.add_column(h)
    for c in rep.changes:
        tab.add_row(c.layer, str(c.inserted), str(c.updated), str(c.unchanged))
    console.print(tab)


@app.command("sample")
def sample_cmd(
    out: str = typer.Option(..., "--out", help="输出文件夹；nation 时也可为 PostGIS 地址或 .gpkg 文件 / output folder; "
                                            "for nation also a PostGIS URL or a .gpkg file"),
    scale: str = typer.Option("small", "--scale", help="small | province | nation（全国：逐省生成 / national, province by province）"),
    seed: int = typer.Option(1, "--seed", help="随机种子 / random seed"),
    provinces: int = typer.Option(30, "--provinces", help="nation 的省份数（默认 30）/ number of provinces of a nation (default 30)"),
    province_scale: str = typer.Option("province", "--province-scale",
                                       help="nation 中每省的规模 province | small / scale of each province of a nation"),
) -> None:
    """生成示例数据包（江西试验区风格；nation：逐省生成全国数据）/ Generate a sample data package (Jiangxi-like; nation: province by province)."""
    from rich.progress import Progress

    from parcels.sample import write_sample

    if scale not in ("small", "province", "nation"):
        raise LanduseError("--scale small|province|nation")
    if scale == "nation":
        from landuse.services.nation import write_nation

        if province_scale not in ("small", "province"):
            raise LanduseError("--province-scale small|province")
        rows = write_nation(out, scale=province_scale, provinces=provinces, seed=seed, say=console.print)
        n = sum(r["counts"]["parcels"] for r in rows)
        console.print(t(f"全国示例数据已写入 {masked(out)}：{len(rows)} 个省、{n} 宗地",
                        f"national sample written to {masked(out)}: {len(rows)} provinces, {n} parcels"))
        return
    with Progress(console=console) as prog:
        task = prog.add_task(t("生成示例数据", "generating"), total=None)

        def step(stage: str, i: int, n: int) -> None:
            prog.update(task, description=f"{t('生成', 'generating')} {stage}", completed=i, total=max(n, 1))

        summary = write_sample(Path(out), scale=scale, seed=seed, progress=step)
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
    from landuse.services.exports import export_layer

    from landuse.core.contract import LAYERS

    store = open_store(db)
    path, n = export_layer(store, layer, out, year=year, zones=[zone] if zone else None, lang=lang())
    console.print(t(f"已导出 {n} 行到 {path}", f"exported {n} rows to {path}"))
    if layer in LAYERS and LAYERS[layer].output:
        warn_stale(store, year)


@app.command("template")
def template_cmd(out: Path = typer.Option(..., "--out", help="输出文件夹 / output folder")) -> None:
    """生成空白模板（中文表头 Excel 与空 GeoPackage）/ Write empty templates to fill in."""
    from parcels.export import write_template

    for p in write_template(out):
        console.print(t(f"已写入 {p}", f"written {p}"))
