"""Default layer styles and Chinese field names inside the GeoPackages the product writes, so that they
open in QGIS drawn as the web map draws them.

- GeoPackage 1.3 (GDAL creation option ``VERSION=1.3``, :data:`GPKG_OPTIONS`): QGIS 3.22 (GDAL 3.6, the
  version of many bureau PCs) warns on every layer of a 1.4 file, the default of newer GDAL.
- ``layer_styles``: the table QGIS itself writes with "Save as default in the datasource"
  (``QgsVectorLayer::saveStyleToDatabase``) and reads when a layer is opened: one default row per
  layer, a QML style (renderer, symbols, Chinese field aliases) and an SLD one for other readers.
- ``gpkg_data_columns`` (GeoPackage schema extension, OGC 12-128r18 §2.3.2): each column's Chinese
  name and English title, for readers other than QGIS.

Themes follow the policy's palettes (``[maps]``, :class:`landuse.core.policy.maps.MapsPolicy`): parcels
by revenue per mu in the fixed classes, land not yet developed white with a dashed outline, problems
hatched in the problem colour by main reason (the first code of ``flags``, the most severe); zones by
composite score. Other layers get a plain style and their aliases.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio

from landuse.core.contract import LAYERS
from landuse.core.labels import header
from landuse.core.policy.maps import MapsPolicy
from landuse.core.policy.rules import Rule as PolicyRule

#: GDAL dataset creation options for every GeoPackage the product creates
GPKG_OPTIONS = {"VERSION": "1.3"}

STYLE_NAME = "landuse 默认样式"

#: hatching of the maps (landuse.core.policy.maps.HATCHES) as Qt brush styles (QGIS SimpleFill "style")
#: (Qt has 14 brushes: the finer map patterns share the sparse dot brushes, dense1–dense4 would hide the theme)
QT_BRUSH = {"diagonal": "b_diagonal", "back_diagonal": "f_diagonal", "cross": "diagonal_x", "horizontal": "horizontal",
            "vertical": "vertical", "grid": "cross", "dots": "dense7", "dense": "dense5", "diagonal_dashed": "dense6",
            "back_diagonal_dashed": "dense6", "horizontal_dashed": "dense7", "rings": "dense7"}


# ------------------------------------------------------------------------------------------------
# filters, written both as QGIS expressions and as OGC filters (SLD)
# ------------------------------------------------------------------------------------------------

def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _lit(v: Any) -> str:
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return repr(float(v)) if isinstance(v, float) else str(v)


def expression(f: tuple) -> str:
    op = f[0]
    if op == "and":
        return " AND ".join(f"({expression(x)})" for x in f[1])
    if op == "or":
        return " OR ".join(f"({expression(x)})" for x in f[1])
    if op == "not_false":  # true or missing (QGIS reads a GeoPackage boolean as a bool: to_int gives 1/0)
        return f"coalesce(to_int({_q(f[1])}), 1) <> 0"
    if op == "false":
        return f"coalesce(to_int({_q(f[1])}), 1) = 0"
    if op == "null":
        return f"{_q(f[1])} IS NULL"
    if op == "like":
        return f"{_q(f[1])} LIKE {_lit(f[2])}"
    sym = {"le": "<=", "gt": ">", "eq": "=", "ge": ">=", "lt": "<"}[op]
    return f"{_q(f[1])} {sym} {_lit(f[2])}"


OGC = "http://www.opengis.net/ogc"
SE = "http://www.opengis.net/se"
SLD = "http://www.opengis.net/sld"


def _ogc(parent: ET.Element, f: tuple) -> None:
    op = f[0]

    def prop(el, col):
        ET.SubElement(el, f"{{{OGC}}}PropertyName").text = col

    def cmp(tag, col, v):
        el = ET.SubElement(parent, f"{{{OGC}}}{tag}")
        prop(el, col)
        ET.SubElement(el, f"{{{OGC}}}Literal").text = str(v)

    if op in ("and", "or"):
        el = ET.SubElement(parent, f"{{{OGC}}}{'And' if op == 'and' else 'Or'}")
        for x in f[1]:
            _ogc(el, x)
    elif op == "not_false":
        cmp("PropertyIsNotEqualTo", f[1], 0)
    elif op == "false":
        cmp("PropertyIsEqualTo", f[1], 0)
    elif op == "null":
        el = ET.SubElement(parent, f"{{{OGC}}}PropertyIsNull")
        prop(el, f[1])
    elif op == "like":
        el = ET.SubElement(parent, f"{{{OGC}}}PropertyIsLike", wildCard="%", singleChar="_", escape="\\")
        prop(el, f[1])
        ET.SubElement(el, f"{{{OGC}}}Literal").text = f[2]
    else:
        cmp({"le": "PropertyIsLessThanOrEqualTo", "gt": "PropertyIsGreaterThan", "eq": "PropertyIsEqualTo",
             "ge": "PropertyIsGreaterThanOrEqualTo", "lt": "PropertyIsLessThan"}[op], f[1], f[2])


# ------------------------------------------------------------------------------------------------
# rules of a layer's style
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fill:
    color: str | None  # None: no fill
    outline: str
    width_mm: float = 0.2
    outline_style: str = "solid"  # solid | dash | dot
    brush: str = "solid"  # a Qt brush (hatching) when not solid
    opacity: float = 1.0


@dataclass(frozen=True)
class Rule:
    label: str
    filter: tuple | None
    fill: Fill


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def parcel_rules(maps: MapsPolicy, problems: list[tuple[str, str]], columns: set[str]) -> list[Rule]:
    """Parcels by revenue per mu (fixed classes of the policy), 未开发, no data; then the problems
    (``problems``: (rule code, Chinese label), most severe first) hatched over them."""
    out: list[Rule] = []
    dev = "developed" in columns
    base: list[tuple] = [("not_false", "developed")] if dev else []
    bins = list(maps.revenue_bins) if maps.revenue_bins else [100.0, 200.0, 300.0, 400.0, 600.0]
    n = len(bins) + 1
    cols = [maps.revenue_colors[int(round(i * (len(maps.revenue_colors) - 1) / max(n - 1, 1)))] for i in range(n)]
    if "revenue_per_mu" in columns:
        lo = None
        for i, hi in enumerate([*bins, math.inf]):
            conds = list(base)
            if lo is not None:
                conds.append(("gt", "revenue_per_mu", lo))
            if hi != math.inf:
                conds.append(("le", "revenue_per_mu", hi))
            label = f"≤ {_fmt(hi)}" if lo is None else (f"> {_fmt(lo)}" if hi == math.inf else f"{_fmt(lo)} – {_fmt(hi)}")
            out.append(Rule(f"亩均营业收入 {label} 万元/亩", ("and", conds), Fill(cols[i], "#555555", 0.15)))
            lo = hi
        out.append(Rule("亩均营业收入 无数据", ("and", [*base, ("null", "revenue_per_mu")]),
                        Fill(maps.missing_color, "#555555", 0.15)))
    else:
        out.append(Rule("宗地", ("and", base) if base else None, Fill("#e8e8e8", "#555555", 0.15)))
    if dev:
        out.append(Rule("未开发", ("false", "developed"),
                        Fill(maps.undeveloped_color, maps.undeveloped_outline, 0.3, "dash")))
    codes = "flags" if "flags" in columns else ("rules" if "rules" in columns else None)
    if codes:  # parcel_results.flags / the target list's rules: codes, most severe first
        from landuse.core.policy.maps import HATCHES

        hatches = dict(maps.problem_hatch)
        spare = [h for h in HATCHES if h not in hatches.values()] or list(HATCHES)
        for k, (code, label) in enumerate(problems):
            h = hatches.get(code) or spare[k % len(spare)]
            flt = ("or", [("eq", codes, code), ("like", codes, f"{code},%")])
            out.append(Rule(f"问题：{label}", flt, Fill(maps.problem_color, maps.problem_color, 0.5,
                                                      brush=QT_BRUSH.get(h, "b_diagonal"))))
    return out


def zone_rules(maps: MapsPolicy, columns: set[str]) -> list[Rule]:
    if "score" not in columns:
        return [Rule("开发区", None, Fill(None, maps.zone_score_colors[-1], 0.6))]
    bins = list(maps.zone_score_bins)
    out, lo = [], None
    n = len(bins)
    for i, hi in enumerate(bins):
        c = maps.zone_score_colors[int(round(i * (len(maps.zone_score_colors) - 1) / max(n - 1, 1)))]
        conds = ([("gt", "score", lo)] if lo is not None else []) + [("le", "score", hi)]
        label = f"综合得分 ≤ {_fmt(hi)}" if lo is None else f"综合得分 {_fmt(lo)} – {_fmt(hi)}"
        out.append(Rule(label, ("and", conds), Fill(c, "#3f007d", 0.5, opacity=0.55)))
        lo = hi
    out.append(Rule("未评分", ("null", "score"), Fill(maps.missing_color, "#3f007d", 0.5, opacity=0.55)))
    return out


def rules_for(layer: str, columns: set[str], maps: MapsPolicy, problems: list[tuple[str, str]]) -> list[Rule]:
    if layer in ("zone_results", "zones") or ("zone_name" in columns and "parcel_code" not in columns):
        return zone_rules(maps, columns)
    if layer in ("parcel_results", "targets") or ("parcel_code" in columns and "revenue_per_mu" in columns):
        return parcel_rules(maps, problems, columns)
    if layer == "buildings" or "building_code" in columns:
        return [Rule("建筑", None, Fill("#fec44f", "#993404", 0.2))]
    if "stage" in columns:
        return [Rule(k, ("eq", "stage", k), Fill(c, "#555555", 0.15)) for k, c in maps.stage_colors.items()]
    return [Rule("宗地", None, Fill("#e8e8e8", "#555555", 0.15))]


# ------------------------------------------------------------------------------------------------
# QML and SLD
# ------------------------------------------------------------------------------------------------

def _rgba(c: str | None, alpha: float = 1.0) -> str:
    if c is None:
        return "0,0,0,0"
    return f"{int(c[1:3], 16)},{int(c[3:5], 16)},{int(c[5:7], 16)},{int(round(alpha * 255))}"


def aliases(layer: str, fields: list[str]) -> dict[str, str]:
    """Chinese name of each column (with its unit), unique within the layer."""
    known = layer if layer in LAYERS else None
    out: dict[str, str] = {}
    seen: set[str] = set()
    for f in fields:
        name = header(f, known, "zh")
        if name in seen:
            name = f"{name}({f})"
        seen.add(name)
        out[f] = name
    return out


def qml(layer: str, fields: list[str], geometry: bool, maps: MapsPolicy, problems: list[tuple[str, str]]) -> str:
    root = ET.Element("qgis", {"version": "3.22.16-Białowieża", "styleCategories": "AllStyleCategories",
                               "hasScaleBasedVisibilityFlag": "0", "labelsEnabled": "0", "readOnly": "0"})
    if geometry:
        rules = rules_for(layer, set(fields), maps, problems)
        r = ET.SubElement(root, "renderer-v2", {"type": "RuleRenderer", "symbollevels": "0", "forceraster": "0",
                                                "enableorderby": "0", "referencescale": "-1"})
        rs = ET.SubElement(r, "rules", {"key": "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, layer)) + "}"})
        syms = ET.SubElement(r, "symbols")
        for i, rule in enumerate(rules):
            attrs = {"key": "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{layer}/{i}")) + "}", "symbol": str(i),
                     "label": rule.label}
            if rule.filter is not None:
                attrs["filter"] = expression(rule.filter)
            ET.SubElement(rs, "rule", attrs)
            s = ET.SubElement(syms, "symbol", {"type": "fill", "name": str(i), "alpha": f"{rule.fill.opacity:g}",
                                               "clip_to_extent": "1", "force_rhr": "0"})
            lay = ET.SubElement(s, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
            fl = rule.fill
            props = {"color": _rgba(fl.color), "style": "no" if fl.color is None else fl.brush,
                     "outline_color": _rgba(fl.outline), "outline_style": fl.outline_style,
                     "outline_width": f"{fl.width_mm:g}", "outline_width_unit": "MM", "joinstyle": "bevel",
                     "offset": "0,0", "offset_unit": "MM"}
            for k, v in props.items():
                ET.SubElement(lay, "prop", {"k": k, "v": v})
        ET.SubElement(root, "layerGeometryType").text = "2"
    al = ET.SubElement(root, "aliases")
    for i, (f, name) in enumerate(aliases(layer, fields).items()):
        ET.SubElement(al, "alias", {"field": f, "index": str(i + 1), "name": name})
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def sld(layer: str, fields: list[str], geometry: bool, maps: MapsPolicy, problems: list[tuple[str, str]]) -> str:
    ET.register_namespace("", SLD)
    ET.register_namespace("se", SE)
    ET.register_namespace("ogc", OGC)
    root = ET.Element(f"{{{SLD}}}StyledLayerDescriptor", {"version": "1.1.0"})
    nl = ET.SubElement(root, f"{{{SLD}}}NamedLayer")
    ET.SubElement(nl, f"{{{SE}}}Name").text = layer
    us = ET.SubElement(nl, f"{{{SLD}}}UserStyle")
    ET.SubElement(us, f"{{{SE}}}Name").text = layer
    fts = ET.SubElement(us, f"{{{SE}}}FeatureTypeStyle")
    for rule in (rules_for(layer, set(fields), maps, problems) if geometry else []):
        r = ET.SubElement(fts, f"{{{SE}}}Rule")
        ET.SubElement(r, f"{{{SE}}}Name").text = rule.label
        if rule.filter is not None:
            _ogc(ET.SubElement(r, f"{{{OGC}}}Filter"), rule.filter)
        ps = ET.SubElement(r, f"{{{SE}}}PolygonSymbolizer")
        fl = rule.fill
        if fl.color is not None:
            fill = ET.SubElement(ps, f"{{{SE}}}Fill")
            if fl.brush != "solid":  # hatching: a well-known-name mark pattern
                gf = ET.SubElement(fill, f"{{{SE}}}GraphicFill")
                g = ET.SubElement(gf, f"{{{SE}}}Graphic")
                mk = ET.SubElement(g, f"{{{SE}}}Mark")
                ET.SubElement(mk, f"{{{SE}}}WellKnownName").text = "shape://slash" if "diagonal" in fl.brush else "shape://times"
                st = ET.SubElement(mk, f"{{{SE}}}Stroke")
                ET.SubElement(st, f"{{{SE}}}SvgParameter", name="stroke").text = fl.color
                ET.SubElement(g, f"{{{SE}}}Size").text = "8"
            else:
                ET.SubElement(fill, f"{{{SE}}}SvgParameter", name="fill").text = fl.color
                if fl.opacity < 1:
                    ET.SubElement(fill, f"{{{SE}}}SvgParameter", name="fill-opacity").text = f"{fl.opacity:g}"
        st = ET.SubElement(ps, f"{{{SE}}}Stroke")
        ET.SubElement(st, f"{{{SE}}}SvgParameter", name="stroke").text = fl.outline
        ET.SubElement(st, f"{{{SE}}}SvgParameter", name="stroke-width").text = f"{fl.width_mm * 3.78:.2g}"
        if fl.outline_style == "dash":
            ET.SubElement(st, f"{{{SE}}}SvgParameter", name="stroke-dasharray").text = "4 2"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# ------------------------------------------------------------------------------------------------
# writing into a GeoPackage
# ------------------------------------------------------------------------------------------------

LAYER_STYLES_DDL = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    """"update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""")
DATA_COLUMNS_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
    "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))")
DATA_COLUMN_CONSTRAINTS_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
    "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
    "max_is_inclusive BOOLEAN, description TEXT, "
    "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))")
SCHEMA_EXT = "http://www.geopackage.org/spec/#extension_schema"


def _problems(rules: Any) -> list[tuple[str, str]]:
    if rules is None:
        from landuse.core.policy import default_policy

        rules = default_policy().rules.rule
    return [(r.code, r.label_zh) for r in sorted(rules, key=lambda r: (-r.severity, r.code))]


def register_plain_tables(path: str | Path) -> list[str]:
    """Register the plain SQLite tables of the file (e.g. a store's accounts and audit log) in
    ``gpkg_contents`` as attribute tables: QGIS lists every table of a GeoPackage and logs "Cannot
    find layer" for one that GDAL, reading ``gpkg_contents``, does not know."""
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_contents'").fetchone():
            return []
        plain = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'gpkg%' AND name NOT LIKE 'rtree%' "
            "AND name NOT LIKE 'sqlite%' AND name NOT IN ('layer_styles') "
            "AND name NOT IN (SELECT table_name FROM gpkg_contents)")]
        for t in plain:
            con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                        "VALUES (?, 'attributes', ?, '系统表，请勿编辑 / system table, do not edit', "
                        "strftime('%Y-%m-%dT%H:%M:%fZ','now'))", (t, t))
        return plain


def has_styles(path: str | Path) -> bool:
    with contextlib.closing(sqlite3.connect(path)) as con:
        return bool(con.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone())


def style_geopackage(path: str | Path, *, maps: MapsPolicy | None = None,
                     rules: list[PolicyRule] | None = None, layers: list[str] | None = None) -> None:
    """Write (replace) the default QGIS style and the Chinese column names of every layer of the
    GeoPackage at ``path`` (or of ``layers``). ``rules``: the policy's rules (problem labels and
    order); default: the default policy's."""
    path = Path(path)
    mp = maps or MapsPolicy()
    problems = _problems(rules)
    register_plain_tables(path)
    info = {}
    for name, geom in pyogrio.list_layers(path):
        name = str(name)
        if layers is not None and name not in layers:
            continue
        if name in ("layer_styles",):
            continue
        meta = pyogrio.read_info(path, layer=name)
        info[name] = ([str(f) for f in meta["fields"]], geom is not None, meta.get("geometry_name") or "geom")
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute(LAYER_STYLES_DDL)
        con.execute(DATA_COLUMNS_DDL)
        con.execute(DATA_COLUMN_CONSTRAINTS_DDL)
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                    "SELECT 'layer_styles', 'attributes', 'layer_styles', strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                    "WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')")
        con.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        for t in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
                        (t, SCHEMA_EXT))
        for name, (fields, geometry, geom_col) in info.items():
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?", (name, STYLE_NAME))
            con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (name,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL)",
                (name, geom_col if geometry else "", STYLE_NAME, qml(name, fields, geometry, mp, problems),
                 sld(name, fields, geometry, mp, problems), "与 Web 地图一致的主题与中文字段名 / the web map's theme"))
            con.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (name,))
            known = name if name in LAYERS else None
            for f, zh in aliases(name, fields).items():
                con.execute("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                            "VALUES (?, ?, ?, ?, ?)", (name, f, zh, header(f, known, "en"), None))
