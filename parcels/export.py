"""Writing layers for the tools people use: CSV, Excel (Chinese headers), GeoPackage, Shapefile.

The format follows the file extension. Excel sheets have Chinese headers in the contract's column
order, a frozen header row, filters, and numbers stored as numbers. Shapefiles cut field names to 10 characters: the names are
made unique and a ``<name>.fields.csv`` beside the file maps each short name to the full English
name and the Chinese label; the text encoding is UTF-8 with a ``.cpg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from landuse.core.contract import LAYERS, Layer
from landuse.core.errors import LanduseError
from landuse.core.labels import header, yes_no
from landuse.core.policy.maps import MapsPolicy
from landuse.core.policy.rules import Rule

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


#: codes that deliverables show as words: the code column keeps its code (header "…代码"), a label
#: column in words follows it
CODE_LABELS = {"stage": "stage_label", "zone_type": "zone_type_label"}


def _label_columns(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Add the word of each coded value beside its code column (stage → stage_label …)."""
    from landuse.core.labels import ZONE_TYPE_LABELS, pick, stage_label

    out = df
    for code, lab in CODE_LABELS.items():
        if code in out.columns and lab not in out.columns:
            if code == "stage":
                words = out[code].map(lambda v: stage_label(v, lang) if isinstance(v, str) and v else None)
            else:
                words = out[code].map(lambda v: pick(ZONE_TYPE_LABELS[v], lang) if v in ZONE_TYPE_LABELS else v)
            i = list(out.columns).index(code)
            out = out.copy()
            out.insert(i + 1, lab, words)
    return out


def _display_width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


#: integer-like columns shown without thousands separators (years, ranks, counts)
_PLAIN_INT = ("year", "baseline_year", "priority", "rank", "rank_change", "intensive_rank", "max_severity",
              "flag_count", "n_users", "sf_buildings", "tenants", "floors", "targets_met", "targets_total",
              "last_rank_streak", "row", "severity")


def number_format(name: str, header_text: str = "") -> str:
    """The Excel number format of a column: percent for rates, one decimal for 万元/亩, thousands
    separators for amounts, plain integers for years, ranks and counts."""
    from landuse.core.labels import PERCENT_COLUMNS

    if name in PERCENT_COLUMNS or name.startswith(("c_", "w_")):
        return "0.0%"
    if name in _PLAIN_INT or name.endswith("_year"):
        return "0"
    if name.endswith("_per_mu") or "万元/亩" in header_text or name.endswith("_per_industrial_mu"):
        return "#,##0.0"
    if name in ("far", "far_overall", "far_industrial", "commit_far", "score", "intensive_score", "stored_score",
                "score_recomputed", "factor", "factor_clipped"):
        return "0.00"
    if name.endswith("_m2"):
        return "#,##0"
    if name.endswith(("_mu", "_wan")) or "(亩)" in header_text or "万元" in header_text:
        return "#,##0.0"
    return "#,##0.00"


def write_xlsx(frames: dict[str, pd.DataFrame], out: Path, *, layers: dict[str, Layer | None] | None = None,
               lang: str = "zh", extra_headers: dict[str, str] | None = None, titles: dict[str, str] | None = None,
               notes: list[str] | None = None) -> Path:
    """Several frames as sheets of one workbook (sheet name → frame), as people receive them:
    headers in the user's language with units, codes as text with their words in a label column,
    number formats (percent, 1 decimal for 万元/亩, thousands separators), frozen header, filters,
    column widths, A4 landscape print set-up fitted to the page width with the header row repeated,
    and a last sheet (说明) explaining every column and the policy version. No cell holds a formula
    (:data:`XLSX_OPTIONS`)."""
    import datetime as _dt
    import math

    import xlsxwriter

    from landuse.core.labels import t

    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out), XLSX_OPTIONS)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fmts: dict[str, Any] = {}
    explain: list[tuple[str, str, str, str, str]] = []
    policies: set[str] = set()
    for sheet, frame in frames.items():
        layer = (layers or {}).get(sheet)
        df = _label_columns(pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore")), lang)
        for pc in ("policy_version", "policy_hash"):
            if pc in df.columns:
                policies |= {str(v) for v in df[pc].dropna().unique()}
        name = sheet[:31]
        ws = wb.add_worksheet(name)
        heads = headers_for(df, layer, lang, extra_headers)
        for code in CODE_LABELS:
            if code in df.columns and CODE_LABELS[code] in df.columns:
                heads[list(df.columns).index(code)] = header(code + "_code", None, lang)
        widths = [min(max(_display_width(h) / 1.6 + 1, 8), 30) for h in heads]
        kinds = []
        for j, (c, h) in enumerate(zip(df.columns, heads, strict=True)):
            ws.write_string(0, j, h, head)
            s = df[c]
            if str(s.dtype) == "boolean" or s.dtype == bool:
                kinds.append("bool")
            elif pd.api.types.is_datetime64_any_dtype(s):
                kinds.append("date")
            elif pd.api.types.is_numeric_dtype(s):
                nf = number_format(str(c), h)
                fmts.setdefault(nf, wb.add_format({"num_format": nf}))
                kinds.append(nf)
            else:
                kinds.append("text")
            fmt_desc = {"bool": t("是/否", "yes/no", lang), "date": "yyyy-mm-dd", "text": t("文本", "text", lang)}.get(
                kinds[-1], kinds[-1])
            col = layer.col(c) if layer is not None and c in layer.names else None
            explain.append((name, str(c), h, (col.en if col else header(str(c), None, "en")), fmt_desc))
        for i, row in enumerate(df.itertuples(index=False, name=None), start=1):
            for j, v in enumerate(row):
                if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                    continue
                k = kinds[j]
                if k == "bool":
                    ws.write_string(i, j, yes_no(v, lang))
                elif k == "date" or isinstance(v, (pd.Timestamp, _dt.date)):
                    ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), date)
                    widths[j] = max(widths[j], 11)
                elif k != "text" and isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                    x = float(v)
                    if math.isinf(x):
                        ws.write_string(i, j, "∞")
                        continue
                    ws.write_number(i, j, x, fmts[k])
                    widths[j] = max(widths[j], min(len(f"{x:,.1f}") + 2, 18))
                else:
                    sv = str(v)
                    ws.write_string(i, j, sv, text)  # codes stay text (an all-digit USCC is not a number)
                    widths[j] = max(widths[j], min(_display_width(sv) + 1, 50))
        for j, w in enumerate(widths):  # empty cells carry the column's format too
            ws.set_column(j, j, w, text if kinds[j] == "text" else (date if kinds[j] == "date" else fmts.get(kinds[j])))
        ws.set_row(0, 32)
        ws.freeze_panes(1, 0)
        if len(df.columns):
            ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
        print_setup(ws, (titles or {}).get(sheet) or name)
    # the sheet that explains the columns and the policy
    guide = wb.add_worksheet(t("说明", "about", lang))
    g_heads = [t("工作表", "sheet", lang), t("列名(代码)", "column (code)", lang), t("表头", "header", lang),
               t("英文", "English", lang), t("格式", "format", lang)]
    for j, h in enumerate(g_heads):
        guide.write_string(0, j, h, head)
    for i, row in enumerate(explain, start=1):
        for j, v in enumerate(row):
            guide.write_string(i, j, v, text)
    r = len(explain) + 2
    info = [(t("政策版本", "policy version", lang), "；".join(sorted(policies)) or t("（本表不含评价结果）", "(no results)", lang)),
            (t("生成时间", "written", lang), _dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
            (t("说明", "note", lang), t("代码列保留代码（文本），其后的列给出中文含义；比例以百分数显示，金额单位见表头。",
                                      "Code columns keep the code (text); the next column gives its words. "
                                      "Rates are percentages; units are in the headers.", lang))]
    for idx, (a, b) in enumerate([*info, *[(t("提示", "note", lang), n) for n in (notes or [])]]):
        guide.write_string(r + idx, 0, a, head)
        guide.write_string(r + idx, 1, b)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 26)
    guide.set_column(2, 2, 30)
    guide.set_column(3, 3, 34)
    guide.set_column(4, 4, 12)
    guide.freeze_panes(1, 0)
    print_setup(guide, t("说明", "about", lang))
    wb.close()
    return out


def print_setup(ws, title: str) -> None:
    """A4 landscape, fitted to one page wide, the header row on every page, page numbers."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    safe = title.replace("&", "&&")
    ws.set_header(f"&C{safe}")
    ws.set_footer("&C&P / &N")


def write_frame(df: pd.DataFrame, out: str | Path, *, layer: Layer | None = None, layer_name: str | None = None,
                lang: str = "zh", extra_headers: dict[str, str] | None = None, maps: MapsPolicy | None = None,
                rules: list[Rule] | None = None) -> Path:
    """Write one frame; format by extension. A GeoPackage is version 1.3 with a default QGIS style
    and Chinese column names (:mod:`parcels.layer_styles`; ``maps``/``rules``: the policy's palettes
    and rules, default the default policy's)."""
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
            from parcels.layer_styles import GPKG_OPTIONS, style_geopackage

            if out.exists():
                out.unlink()  # a new file (GeoPackage 1.3), not a layer added to an old one
            pyogrio.write_dataframe(_bools_as_int(g), out, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS, **kw)
            style_geopackage(out, maps=maps, rules=rules)
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
        textf = wb.add_format({"num_format": "@"})
        datef = wb.add_format({"num_format": "yyyy-mm-dd"})
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
                # codes typed in Excel stay text (an 18-digit USCC is not turned into 9.13604E+17)
                cf = textf if c.kind == "str" else (datef if c.kind == "date" else None)
                ws.set_column(j, j, max(12, len(c.zh) * 2), cf)
            ws.freeze_panes(1, 0)
    from parcels.layer_styles import GPKG_OPTIONS, style_geopackage

    gpkg = out / "landuse_template.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for layer in INPUT_LAYERS:
        if layer.geometry:
            df = empty_layer(layer).drop(columns=list(layer.derived))
            pyogrio.write_dataframe(df, gpkg, layer=layer.name, driver="GPKG", geometry_type="MultiPolygon",
                                    dataset_options=GPKG_OPTIONS)
    style_geopackage(gpkg)
    return [xlsx, gpkg]


def layer_or_none(name: str) -> Layer | None:
    return LAYERS.get(name)
