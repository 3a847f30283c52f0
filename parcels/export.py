"""Writing layers for the tools people use: CSV, Excel (Chinese headers), GeoPackage, Shapefile.

The format follows the file extension. Excel sheets have Chinese headers in the contract's column
order, a frozen header row, filters, and numbers stored as numbers. Shapefiles cut field names to 10 characters: the names are
made unique and a ``<name>.fields.csv`` beside the file maps each short name to the full English
name and the Chinese label; the text encoding is UTF-8 with a ``.cpg``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from landuse.core.contract import LAYERS, Layer
from landuse.core.errors import LanduseError
from landuse.core.labels import header, yes_no

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".gpkg": "gpkg", ".shp": "shp", ".geojson": "geojson"}

#: xlsxwriter options for every workbook the product writes: text is always written as text, never
#: turned into a formula or a hyperlink (OWASP "CSV/formula injection": a firm named "=HYPERLINK(…)")
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}

#: first characters that make a spreadsheet treat a CSV field as a formula (OWASP)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_text(v):
    """A text value made safe for a CSV opened in Excel: a leading ``'`` before a formula trigger."""
    if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS):
        return "'" + v
    return v


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot be read as formulas (numbers stay numbers)."""
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(csv_safe_text)
    return out


def write_csv(df: pd.DataFrame, out: Path) -> Path:
    """CSV for Excel users: UTF-8 with BOM, formula triggers escaped."""
    csv_safe(df.drop(columns=["geometry"], errors="ignore")).to_csv(out, index=False, encoding="utf-8-sig")
    return out


def headers_for(df: pd.DataFrame, layer: Layer | None, lang: str = "zh", extra: dict[str, str] | None = None) -> list[str]:
    """Column headers in the user's language: ``extra`` overrides, else :func:`landuse.core.labels.header`."""
    return [(extra or {}).get(c) or header(c, layer.name if layer else None, lang) for c in df.columns]


def _unique_short(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        s = n[:10]
        i = 1
        while s in out:
            suffix = str(i)
            s = n[: 10 - len(suffix)] + suffix
            i += 1
        out.append(s)
    return out


def write_xlsx(frames: dict[str, pd.DataFrame], out: Path, *, layers: dict[str, Layer | None] | None = None,
               lang: str = "zh", extra_headers: dict[str, str] | None = None, titles: dict[str, str] | None = None) -> Path:
    """Several frames as sheets of one workbook; sheet name → frame."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="xlsxwriter", datetime_format="yyyy-mm-dd", date_format="yyyy-mm-dd",
                        engine_kwargs={"options": XLSX_OPTIONS}) as xw:
        wb = xw.book
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        for sheet, df in frames.items():
            layer = (layers or {}).get(sheet)
            df = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
            for c in df.columns:
                if str(df[c].dtype) == "boolean":
                    df[c] = df[c].map(lambda v: None if pd.isna(v) else yes_no(v, lang))
                elif str(df[c].dtype) == "Int64":
                    df[c] = df[c].astype("float64")
            name = sheet[:31]
            df.to_excel(xw, sheet_name=name, index=False, header=False, startrow=1)
            ws = xw.sheets[name]
            for j, h in enumerate(headers_for(df, layer, lang, extra_headers)):
                ws.write(0, j, h, head)
                width = max(len(str(h)) * (2 if lang == "zh" else 1), 10)
                ws.set_column(j, j, min(width, 40))
            ws.freeze_panes(1, 0)
            if len(df.columns):
                ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
    return out


def write_frame(df: pd.DataFrame, out: str | Path, *, layer: Layer | None = None, layer_name: str | None = None,
                lang: str = "zh", extra_headers: dict[str, str] | None = None) -> Path:
    """Write one frame; format by extension."""
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise LanduseError(f"{out}: 不支持的格式 / unsupported format (use {', '.join(FORMATS)})")
    out.parent.mkdir(parents=True, exist_ok=True)
    name = layer_name or (layer.name if layer else out.stem)
    spatial = isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any()
    if fmt == "csv":
        write_csv(pd.DataFrame(df), out)
    elif fmt == "xlsx":
        write_xlsx({name: df}, out, layers={name: layer}, lang=lang, extra_headers=extra_headers)
    elif fmt in ("gpkg", "geojson"):
        g = df if spatial else pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
        kw = {"geometry_type": "MultiPolygon"} if spatial else {}
        if fmt == "geojson":
            if not spatial:
                raise LanduseError(f"{out}: 该图层没有几何 / layer {name} has no geometry; use csv/xlsx/gpkg")
            pyogrio.write_dataframe(g.to_crs(4326) if spatial else g, out, driver="GeoJSON")
        else:
            pyogrio.write_dataframe(_bools_as_int(g), out, layer=name, driver="GPKG", **kw)
    elif fmt == "shp":
        if not spatial:
            raise LanduseError(f"{out}: Shapefile 需要几何 / a Shapefile needs geometry; layer {name} has none")
        g = _bools_as_int(df)
        cols = [c for c in g.columns if c != "geometry"]
        short = _unique_short(cols)
        g = g.rename(columns=dict(zip(cols, short, strict=True)))
        for c in short:
            if pd.api.types.is_datetime64_any_dtype(g[c]):
                g[c] = g[c].dt.strftime("%Y-%m-%d")
        pyogrio.write_dataframe(g, out, driver="ESRI Shapefile", encoding="UTF-8")
        labels = {c.name: c.zh for c in layer.columns} if layer else {}
        write_csv(pd.DataFrame({"short": short, "name": cols, "label_zh": [labels.get(c, "") for c in cols]}),
                  out.with_suffix(".fields.csv"))
    return out


def _bools_as_int(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if str(out[c].dtype) == "boolean":
            out[c] = out[c].astype("float64")  # GDAL has no nullable boolean: 1/0/empty
    return out


def write_template(out_dir: str | Path) -> list[Path]:
    """An empty Excel workbook with Chinese headers (one sheet per table layer; each header's comment
    gives the English name and type) and an empty GeoPackage with the spatial layers, to fill in."""
    from landuse.core.contract import INPUT_LAYERS

    from parcels.store.base import empty_layer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx = out / "landuse_template.xlsx"
    with pd.ExcelWriter(xlsx, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as xw:
        wb = xw.book
        req = wb.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
        opt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        guide = wb.add_worksheet("说明")
        guide.write(0, 0, "填写说明 / How to fill in")
        guide.write(1, 0, "每个工作表对应一个图层；第1行为中文表头（可直接导入），红色为必填，表头批注给出英文列名和类型。空间图层（开发区、宗地、建筑）请填入 landuse_template.gpkg。")
        guide.write(2, 0, "Each sheet is one layer; row 1 holds the Chinese headers the importer accepts, red = required; each header's comment gives the English column name and type. "
                          "Spatial layers (zones, parcels, buildings) go in landuse_template.gpkg.")
        guide.write(3, 0, "开发区土地利用现状调查（land_survey，开发区土地集约利用评价）可直接使用国家数据库的 Shapefile 或 File Geodatabase（字段 TBBH、DLDM、DLMJ、GYDM、KFQPJFW、JZMJ…），也可填入 landuse_template.gpkg；开发区年度统计填 zone_years 工作表。")
        guide.write(4, 0, "The intensive-use survey (land_survey) may come as the national database's Shapefile or File Geodatabase "
                          "(fields TBBH, DLDM, DLMJ, GYDM, KFQPJFW, JZMJ…) or in landuse_template.gpkg; zone statistics go in the zone_years sheet.")
        guide.set_column(0, 0, 120)
        for layer in INPUT_LAYERS:
            if layer.geometry and layer.geometry_required:
                continue
            ws = wb.add_worksheet(layer.name)
            cols = [c for c in layer.columns if c.name not in layer.derived]
            for j, c in enumerate(cols):
                ws.write(0, j, c.zh, req if c.required else opt)
                ws.write_comment(0, j, f"{c.name} ({c.kind}){' — required' if c.required else ''}")
                ws.set_column(j, j, max(12, len(c.zh) * 2))
            ws.freeze_panes(1, 0)
    gpkg = out / "landuse_template.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for layer in INPUT_LAYERS:
        if layer.geometry:
            df = empty_layer(layer).drop(columns=list(layer.derived))
            pyogrio.write_dataframe(df, gpkg, layer=layer.name, driver="GPKG", geometry_type="MultiPolygon")
    return [xlsx, gpkg]


def layer_or_none(name: str) -> Layer | None:
    return LAYERS.get(name)
