"""Folium map pages for land-bureau staff: offline, Chinese first, fast at province scale.

The page is a folium ``Map`` whose CDN assets are replaced by inlined vendored copies
(:mod:`maps.assets`); the data travel as one JSON column table plus polyline-coded geometry streams
(:mod:`maps.encode`) and are drawn by canvas layers (``static/landuse_map.js``). See docs/maps.md.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import folium
from branca.element import Element, MacroElement
from jinja2 import Template
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.core.errors import LanduseError
from maps import assets, styles
from maps.encode import GEOGRAPHIC_CRS, encode_geometries, simplify_metric

__all__ = ["build_map", "MapError", "basemap_tiles", "OFFSET_BASEMAP_HOSTS"]


class MapError(LanduseError):
    """A map cannot be built as asked (e.g. an offset GCJ-02/BD-09 basemap, a missing key)."""


#: tile hosts serving offset coordinates (GCJ-02 / BD-09): they do not line up with CGCS2000 data
OFFSET_BASEMAP_HOSTS = ("autonavi.com", "amap.com", "gaode.com", "baidu.com", "bdimg.com", "bdstatic.com",
                        "map.qq.com", "gtimg.com", "google.cn", "googleapis.cn", "sogou.com")

TIANDITU_URL = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")

UI = {
    "zh": dict(
        parcel="宗地", holder="权利人", zone="开发区", area="面积(亩)", stage="生命周期阶段",
        revenue="亩均营业收入(万元/亩)", tax="亩均税收(万元/亩)", far="容积率", coverage="建筑系数",
        grade="企业等级", ungraded="未评级", flags="问题及原因", evidence="依据", action="建议措施",
        noFlags="无低效闲置问题", zoneCode="开发区代码", score="综合得分", unscored="未评分", rank="排名",
        growth="较基期增长", developed="实际开发工业用地(亩)", occupancy="标准厂房入驻率", factory="标准厂房",
        floorArea="建筑面积(平方米)", searchPlaceholder="搜索宗地代码或企业名称", noResult="无匹配结果",
        fullscreen="全屏", exitFullscreen="退出全屏", zoomToZone="放大到开发区", legend="图例",
        showFrom="放大到第 {z} 级显示", l_rev="宗地:亩均营业收入", l_grade="宗地:企业等级", l_stage="宗地:生命周期阶段",
        l_zones="开发区(综合得分)", l_flags="问题宗地(主要原因)", l_idle="闲置土地", l_factories="标准厂房(入驻率)",
        b_vec="天地图矢量", b_cva="天地图注记", b_local="本地底图", undeveloped="未开发",
        year="年度", l_pilot="试验区(+15% 检查)", pilotArea="试验区", growthMet="达到目标", growthNotMet="未达目标",
        targetGrowth="目标增长", searchZone="开发区", searchParcel="宗地",
        print="打印", printTitle="打印视图", paper="纸张", doPrint="打印", exitPrint="退出打印", printed="制图日期",
        policy="政策版本", north="北", measure="量算", measureLine="测距离", measureArea="测面积", measureClear="清除",
        measureHint="单击地图加点，双击结束", distance="距离", areaLabel="面积",
        table="属性表", tableTitle="视图内宗地", filter="筛选", exportCsv="导出 CSV", rowsShown="{n} 宗(视图内 {m} 宗)",
        close="关闭", yes="是", no="否", tableLimit="仅显示前 {n} 行，导出包含全部",
        l_survey="土地利用现状调查(地类)", l_ranges="评价范围(主区/发展方向区)", patch="图斑", landClass="地类",
        areaHa="面积(公顷)", supplyType="供应类型", range="评价范围", surveyYear="调查年度", farSurvey="容积率",
    ),
    "en": dict(
        parcel="Parcel", holder="Holder", zone="Zone", area="Area (mu)", stage="Life-cycle stage",
        revenue="Revenue per mu (万元/mu)", tax="Tax per mu (万元/mu)", far="FAR", coverage="Building coverage",
        grade="Enterprise grade", ungraded="not graded", flags="Problems and reasons", evidence="Evidence",
        action="Recommended action", noFlags="No inefficiency flags", zoneCode="Zone code", score="Composite score",
        unscored="not scored", rank="Rank", growth="Growth on baseline", developed="Developed industrial land (mu)",
        occupancy="Standard-factory occupancy", factory="Standard factory", floorArea="Floor area (m²)",
        searchPlaceholder="Search parcel code or enterprise", noResult="No match",
        fullscreen="Full screen", exitFullscreen="Exit full screen", zoomToZone="Zoom to zone", legend="Legend",
        showFrom="shown from zoom {z}", l_rev="Parcels: revenue per mu", l_grade="Parcels: enterprise grade", l_stage="Parcels: life-cycle stage",
        l_zones="Zones (composite score)", l_flags="Flagged parcels (main reason)", l_idle="Idle land",
        l_factories="Standard factories (occupancy)", b_vec="Tianditu map", b_cva="Tianditu labels",
        b_local="Local basemap", undeveloped="not yet developed", year="Year", l_pilot="Pilot areas (+15 % check)",
        pilotArea="Pilot area", growthMet="target met", growthNotMet="target not met", targetGrowth="target growth",
        searchZone="Zone", searchParcel="Parcel", print="Print", printTitle="Print view", paper="Paper", doPrint="Print",
        exitPrint="Exit print view", printed="Printed", policy="Policy version", north="N", measure="Measure",
        measureLine="Distance", measureArea="Area", measureClear="Clear", measureHint="click to add points, double-click to finish",
        distance="Distance", areaLabel="Area", table="Table", tableTitle="Parcels in view", filter="Filter",
        exportCsv="Export CSV", rowsShown="{n} parcels ({m} in view)", close="Close", yes="yes", no="no",
        tableLimit="first {n} rows shown; the export has all",
        l_survey="Land use survey (classes)", l_ranges="Evaluated ranges (main / development direction)",
        patch="Patch", landClass="Land class", areaHa="Area (ha)", supplyType="Supply type", range="Range",
        surveyYear="Survey year", farSurvey="FAR",
    ),
}


# ---------------------------------------------------------------------------------------------
# basemaps
# ---------------------------------------------------------------------------------------------

def _refuse_offset(url: str) -> None:
    host = (urlparse(url).hostname or "").lower()
    low = url.lower()
    for bad in OFFSET_BASEMAP_HOSTS:
        if host == bad or host.endswith("." + bad) or (not host and bad in low):
            raise MapError(
                f"底图 {url} 使用偏移坐标(GCJ-02/BD-09,高德/百度/腾讯等),与 CGCS2000 数据不重合,不能使用;"
                f"请使用天地图(--basemap tianditu)或本地 CGCS2000/WGS84 瓦片。 / "
                f"The basemap {url} is in offset coordinates (GCJ-02/BD-09) and does not line up with "
                "CGCS2000 data; use Tianditu or local CGCS2000/WGS84 tiles.")


def _local_template(tile_url: str) -> str:
    p = Path(tile_url).expanduser()
    if "{z}" not in tile_url and p.is_dir():
        ext = "png"
        for f in p.rglob("*"):
            if f.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
                ext = f.suffix.lstrip(".")
                break
        return p.resolve().as_uri() + "/{z}/{x}/{y}." + ext
    if not all(k in tile_url for k in ("{z}", "{x}")) or not ("{y}" in tile_url or "{-y}" in tile_url):
        raise MapError(f"本地底图地址须为瓦片目录或含 {{z}}/{{x}}/{{y}} 的模板 / tile_url must be a tile folder "
                       f"or a template with {{z}}, {{x}} and {{y}}: {tile_url!r}")
    return tile_url


def basemap_tiles(basemap: str, *, tianditu_key: str | None, tile_url: str | None, lang: str) -> list[dict]:
    """Tile layers for the page: ``[]`` for none; Tianditu web-Mercator ('w') services; a local template.

    Tianditu's 'w' tile matrix is Web Mercator on the CGCS2000 datum: it lines up with EPSG:4490 data
    within well under a metre, and needs no custom Leaflet CRS (the 'c' matrix would).
    """
    ui = UI["en" if lang == "en" else "zh"]
    if basemap == "none":
        return []
    if basemap == "tianditu":
        if not tianditu_key:
            raise MapError("天地图底图需要 tk 密钥(LANDUSE_TIANDITU_KEY) / the Tianditu basemap needs a key "
                           "(LANDUSE_TIANDITU_KEY)")
        key = re.sub(r"[^0-9A-Za-z]", "", tianditu_key)
        opts = {"subdomains": "01234567", "maxZoom": 18, "attribution": "天地图 Tianditu (CGCS2000)"}
        return [
            {"name": ui["b_vec"], "url": TIANDITU_URL.format(layer="vec", key=key), "options": opts},
            {"name": ui["b_cva"], "url": TIANDITU_URL.format(layer="eva" if lang == "en" else "cva", key=key),
             "options": {**opts, "attribution": ""}},
        ]
    if basemap == "local":
        if not tile_url:
            raise MapError("本地底图需要瓦片地址(LANDUSE_TILE_URL) / the local basemap needs tile_url "
                           "(LANDUSE_TILE_URL)")
        _refuse_offset(tile_url)
        return [{"name": ui["b_local"], "url": _local_template(tile_url), "options": {"maxZoom": 20}}]
    raise MapError(f"未知底图 / unknown basemap {basemap!r}: none | tianditu | local")


# ---------------------------------------------------------------------------------------------
# data preparation
# ---------------------------------------------------------------------------------------------

def _geographic(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        return gdf.set_crs(GEOGRAPHIC_CRS)
    if gdf.crs.to_epsg() in (GEOGRAPHIC_CRS, 4326):
        return gdf
    return gdf.to_crs(GEOGRAPHIC_CRS)


def _col(df: pd.DataFrame, name: str, default=None) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype="object")


def _nums(s: pd.Series, digits: int) -> list:
    v = pd.to_numeric(s, errors="coerce").astype("float64").round(digits)
    return [None if not math.isfinite(x) else (int(x) if x == int(x) and abs(x) < 1e15 else x) for x in v.tolist()]


def _codes(s: pd.Series) -> tuple[list[int], list]:
    """Dictionary-encode a string column: (index per row, values); missing → index of None."""
    vals = s.astype("object").where(s.notna(), None)
    cat = pd.Categorical(vals)
    cats = [str(c) for c in cat.categories]
    codes = cat.codes.astype(np.int64)
    codes[codes < 0] = len(cats)
    return codes.tolist(), cats + [None]


def _strs(s: pd.Series) -> list:
    return [None if (x is None or (isinstance(x, float) and math.isnan(x))) else str(x) for x in s.tolist()]


def _encode(gdf: gpd.GeoDataFrame, tol_m: float, quantum: float, origin) -> dict:
    g = simplify_metric(gdf.geometry.values.to_numpy() if hasattr(gdf.geometry.values, "to_numpy")
                        else np.asarray(gdf.geometry.values), tol_m)
    enc = encode_geometries(g, quantum=quantum, origin=origin)
    enc["q"] = quantum
    return enc


def _script_block(id_: str, text: str) -> str:
    return f'<script type="text/plain" id="{id_}">{text}</script>'


#: zones smaller than this many pixels across (bounding box) are drawn as a circle marker at their centroid
ZONE_MARKER_PX = 14
ZONE_MARKER_RADIUS = 9


def _marker_points(zones: gpd.GeoDataFrame) -> tuple[list, list]:
    """Marker position per zone: the centroid, or a point on the surface when the centroid falls outside."""
    lon, lat = [], []
    for g in zones.geometry.tolist():
        if g is None or g.is_empty:
            lon.append(None)
            lat.append(None)
            continue
        p = shapely.centroid(g)
        if not shapely.intersects(g, p):
            p = shapely.point_on_surface(g)
        lon.append(round(float(p.x), 6))
        lat.append(round(float(p.y), 6))
    return lon, lat


def _building_geometry(buildings: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Buildings with their own geometry, or placed at their parcel's representative point."""
    if buildings is None or len(buildings) == 0:
        return None
    if isinstance(buildings, gpd.GeoDataFrame) and buildings.geometry.notna().any():
        return _geographic(buildings)
    pts = parcels.set_index("parcel_code").geometry.representative_point()
    df = pd.DataFrame(buildings).copy()
    geom = df["parcel_code"].map(pts) if "parcel_code" in df else pd.Series([None] * len(df))
    return gpd.GeoDataFrame(df.drop(columns=[c for c in ("geometry",) if c in df]),
                            geometry=gpd.GeoSeries(geom.values, crs=parcels.crs), crs=parcels.crs)


# ---------------------------------------------------------------------------------------------
# the public builder
# ---------------------------------------------------------------------------------------------

def _survey_data(survey: gpd.GeoDataFrame | None, zindex: dict, lang: str) -> tuple:
    """(survey frame, S column table, ranges frame, R table) for the intensive-use survey layers."""
    if survey is None or len(survey) == 0 or "geometry" not in survey.columns or not survey.geometry.notna().any():
        return None, None, None, None
    from landuse.core.labels import SUPPLY_TYPE_LABELS, land_class_label, range_label

    sv = _geographic(survey[survey.geometry.notna()]).reset_index(drop=True)
    cls = _col(sv, "land_class")
    cls_idx, cls_vals = _codes(cls.map(lambda c: f"{c} {land_class_label(c, lang)}" if isinstance(c, str) else None))
    sup = _col(sv, "supply_type").map(
        lambda c: f"{c} {SUPPLY_TYPE_LABELS[c][1 if lang == 'en' else 0]}" if c in SUPPLY_TYPE_LABELS else c)
    sup_idx, sup_vals = _codes(sup)
    rng = _col(sv, "range").fillna("主区")
    rng_idx, rng_vals = _codes(rng.map(lambda r: range_label(r, lang)))
    area = pd.to_numeric(_col(sv, "area_m2"), errors="coerce")
    floor = pd.to_numeric(_col(sv, "floor_area_m2"), errors="coerce")
    S = {"geom": {}, "code": _strs(_col(sv, "patch_code")), "cls": cls_idx, "classes": cls_vals,
         "sup": sup_idx, "supplies": sup_vals, "rng": rng_idx, "ranges": rng_vals,
         "zone": [zindex.get(z, -1) for z in _strs(_col(sv, "zone_code"))], "year": _nums(_col(sv, "survey_year"), 0),
         "area": _nums(area / 10_000.0, 4), "far": _nums(floor / area, 2)}
    parts = sv.assign(range=rng.to_numpy())
    ranges = parts.dissolve(by=["zone_code", "range"], as_index=False)[["zone_code", "range", "geometry"]]
    # an outline, not the patches' seams: drop the holes slivers between patches leave in the union
    ranges["geometry"] = [shapely.multipolygons([shapely.Polygon(q.exterior) for q in getattr(g, "geoms", [g])
                                                 if q.geom_type == "Polygon"]) for g in ranges.geometry]
    R = {"geom": {}, "range": _strs(ranges["range"]), "zone": _strs(ranges["zone_code"])}
    return sv, S, ranges, R


def build_map(*, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, flags: pd.DataFrame | None,
              buildings: gpd.GeoDataFrame | pd.DataFrame | None, policy, title: str, lang: str = "zh",
              basemap: Literal["none", "tianditu", "local"] = "none", tianditu_key: str | None = None,
              tile_url: str | None = None, detail: Literal["overview", "zone"] = "overview",
              pilot_areas: gpd.GeoDataFrame | None = None, year: int | None = None,
              made: str | None = None, survey: gpd.GeoDataFrame | None = None) -> str:
    """One self-contained HTML page (returned as text) with the parcel map layers.

    ``detail="overview"`` (province or city): parcels are simplified to ``maps.overview_simplify_m``
    and drawn as dots below zoom ``maps.overview_parcel_min_zoom``; ``"zone"``: finer geometry, parcel
    polygons at every zoom, flagged parcels shown at start.

    ``pilot_areas`` (optional): one outline per pilot area with its +15 % status (``growth``,
    ``target_growth``, ``goal_met``). ``year`` is said in every popup; ``made`` (ISO date) and the
    policy version are printed by the print view.
    ``survey``: the intensive-use survey (``land_survey`` rows with geometry): a base layer of the
    land classes in their map colours (``maps.styles.LAND_CLASS_COLOURS``), chosen in the switcher
    instead of a parcel colouring, and an overlay of the 主区 / 发展方向区 outlines.
    """
    lang = "en" if lang == "en" else "zh"
    ui = UI[lang]
    mp = policy.maps
    tiles = basemap_tiles(basemap, tianditu_key=tianditu_key, tile_url=tile_url, lang=lang)
    overview = detail != "zone"
    tol = mp.overview_simplify_m if overview else mp.zone_simplify_m
    quantum = mp.overview_quantum_deg if overview else mp.zone_quantum_deg

    parcels = _geographic(parcels).reset_index(drop=True)
    zones = _geographic(zones).reset_index(drop=True) if zones is not None else gpd.GeoDataFrame(
        {"zone_code": []}, geometry=[], crs=GEOGRAPHIC_CRS)
    flags = flags if flags is not None else pd.DataFrame(columns=["parcel_code", "rule", "label", "severity"])
    bld = _building_geometry(buildings, parcels)

    frames = [f for f in (parcels, zones) if len(f) and f.geometry.notna().any()]
    if frames:
        b = np.array([f.geometry.dropna().total_bounds for f in frames])
        minx, miny, maxx, maxy = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    else:
        minx, miny, maxx, maxy = 115.8, 28.5, 116.0, 28.7
    origin = (math.floor(minx * 100) / 100, math.floor(miny * 100) / 100)

    # --- parcels: attributes as a column table --------------------------------------------------
    zone_codes = _strs(zones["zone_code"]) if "zone_code" in zones else []
    zone_names = _strs(_col(zones, "zone_name"))
    pz = _strs(_col(parcels, "zone_code"))
    for z in pz:
        if z is not None and z not in zone_codes:
            zone_codes.append(z)
            zone_names.append(None)
    zindex = {z: i for i, z in enumerate(zone_codes)}
    holder_idx, holders = _codes(_col(parcels, "holder_name"))
    stage = _col(parcels, "stage")
    stage_keys = [k for k, *_ in styles.STAGES]
    present = [s for s in stage_keys if s in set(stage.dropna())] + sorted(set(stage.dropna()) - set(stage_keys))
    stage_pos = {s: i for i, s in enumerate(present)}
    grade = _col(parcels, "grade")
    grade_keys = [g for g, _ in styles.GRADES]
    gl = styles.grade_style([], lang).legend.entries

    codes = _strs(parcels["parcel_code"])
    pindex = {c: i for i, c in enumerate(codes)}
    P = {
        "geom": {},
        "code": codes,
        "holder": holder_idx, "holders": holders,
        "zone": [zindex.get(z, len(zone_codes)) for z in pz],
        "stage": [stage_pos.get(s, len(present)) for s in stage.tolist()],
        "stages": [styles.stage_label(s, lang) for s in present] + [None],
        "grade": [grade_keys.index(g) if g in grade_keys else len(grade_keys) for g in grade.tolist()],
        "grades": [e.label for e in gl[:-1]] + [None],
        "area": _nums(_col(parcels, "area_mu"), 2),
        "rev": _nums(_col(parcels, "revenue_per_mu"), 1),
        "tax": _nums(_col(parcels, "tax_per_mu"), 2),
        "far": _nums(_col(parcels, "far"), 2),
        "cov": _nums(_col(parcels, "building_coverage"), 3),
        "dev": [None if v is None or v != v else int(bool(v)) for v in _col(parcels, "developed").tolist()],
    }
    Z = {
        "geom": {}, "code": zone_codes[: len(zones)], "name": zone_names[: len(zones)],
        "score": _nums(_col(zones, "score"), 1), "rank": _nums(_col(zones, "rank"), 0),
        "rev": _nums(_col(zones, "revenue_per_mu"), 1), "growth": _nums(_col(zones, "growth"), 4),
        "dev": _nums(_col(zones, "developed_mu"), 1), "occ": _nums(_col(zones, "occupancy_rate"), 4),
    }
    Z["lon"], Z["lat"] = _marker_points(zones)
    P["zones"] = zone_codes + [None]
    P["zoneNames"] = zone_names + [None]

    # --- flags ------------------------------------------------------------------------------------
    fl = flags[flags["parcel_code"].isin(pindex)] if len(flags) else flags
    rule_order = [r.code for r in policy.rules.rule] if hasattr(policy, "rules") else []
    rules = styles.rule_categories(fl, mp, rule_order)
    rule_pos = {r: i for i, (r, _, _) in enumerate(rules)}
    act_idx, acts = _codes(_col(fl, "action"))
    F = {
        "p": [pindex[c] for c in fl["parcel_code"]],
        "r": [rule_pos[r] for r in fl["rule"]],
        "rules": [[r, lab] for r, lab, _ in rules],
        "ev": _strs(_col(fl, "evidence")),
        "a": act_idx, "acts": acts,
    }

    # --- styles -------------------------------------------------------------------------------------
    rev = styles.revenue_style(_col(parcels, "revenue_per_mu"), mp, lang,
                               developed=_col(parcels, "developed") if "developed" in parcels.columns else None)
    grd = styles.grade_style(grade, lang, mp)
    stg = styles.stage_style(stage, lang, mp)
    zsc = styles.zone_score_style(_col(zones, "score"), mp, lang)
    main = styles.main_reasons(fl)
    main_idx = np.array([pindex[c] for c in main["parcel_code"]], dtype=np.int64)
    fls = styles.flag_reason_style(main["rule"], fl, lang, mp, rule_order)
    hatches = styles.problem_hatches(mp, rule_order + [r for r, _, _ in rules])
    idle_rules = {r for r in fl["rule"].astype(str) if "idle" in r.lower()} if len(fl) else set()
    idle_mask = (stage.astype("object") == "idle").to_numpy(dtype=bool).copy()
    if idle_rules:
        idle_mask |= parcels["parcel_code"].isin(set(fl.loc[fl["rule"].isin(idle_rules), "parcel_code"])).to_numpy()
    idle_idx = np.flatnonzero(idle_mask)
    t = styles.TEXT[lang]
    idle_hatch = hatches.get("idle", "cross")
    idle_legend = styles.Legend(t["idle"], (styles.LegendEntry(mp.problem_color, t["idle_entry"], idle_hatch),))

    min_zoom = mp.overview_parcel_min_zoom if overview else 0

    def spec(id_, name, source, st: styles.Styled | None, *, group="overlay", on=False, z=0, idx=None,
             cls=None, colors=None, legend=None, **kw):
        d = {"id": id_, "name": name, "source": source, "group": group, "on": on, "z": z,
             "cls": (st.classes.tolist() if st is not None else cls),
             "colors": list(st.colors) if st is not None else colors,
             "legend": (st.legend if st is not None else legend).as_dict()}
        if idx is not None:
            d["idx"] = [int(i) for i in idx]
        if st is not None and st.dashed:
            d["dashed"] = list(st.dashed)
            d["dashColor"] = mp.undeveloped_outline
        d.update(kw)
        return d

    layers = [
        spec("zones", ui["l_zones"], "zones", zsc, on=True, z=1, fillOpacity=0.18, weight=2, strokeByClass=True,
             labels=[n if n is not None else c for n, c in zip(Z["name"], Z["code"])], labelZoom=8 if overview else 12,
             markerPx=ZONE_MARKER_PX, markerRadius=ZONE_MARKER_RADIUS),
        spec("p_rev", ui["l_rev"], "parcels", rev, group="base", on=True, z=2, minZoom=min_zoom),
        spec("p_grade", ui["l_grade"], "parcels", grd, group="base", z=2, minZoom=min_zoom),
        spec("p_stage", ui["l_stage"], "parcels", stg, group="base", z=2, minZoom=min_zoom),
        spec("idle", ui["l_idle"], "parcels", None, z=3, idx=idle_idx, cls=[0] * len(idle_idx),
             colors=[mp.problem_color], legend=idle_legend, minZoom=min_zoom, fillOpacity=1, stroke=mp.problem_color,
             weight=2, hatch=[idle_hatch]),
        spec("flags", ui["l_flags"], "parcels", fls, on=not overview, z=4, idx=main_idx, minZoom=min_zoom,
             fillOpacity=1, stroke=mp.problem_color, weight=2, dot=5,
             hatch=[e.style for e in fls.legend.entries[:-1]] + [""]),
    ]
    PA = None
    if pilot_areas is not None and len(pilot_areas) and pilot_areas.geometry.notna().any():
        pa = _geographic(pilot_areas).reset_index(drop=True)
        met = _col(pa, "goal_met").tolist()
        growth = _nums(_col(pa, "growth"), 4)
        tg = _nums(_col(pa, "target_growth"), 4)
        cls = [2 if pd.isna(m) else (0 if bool(m) else 1) for m in met]
        g_txt = f"{(tg[0] if tg and tg[0] is not None else policy.growth.target_growth) * 100:.0f}%" \
            if hasattr(policy, "growth") else "15%"
        names = _strs(_col(pa, "pilot_area_name"))
        codes_pa = _strs(_col(pa, "pilot_area_code"))
        PA = {"geom": {}, "code": codes_pa, "name": names, "growth": growth, "target": tg, "met": cls}
        labels_pa = []
        for n, c, gr, k in zip(names, codes_pa, growth, cls):
            txt = (n or c or "")
            if gr is not None:
                txt += f" {gr * 100:+.1f}% " + ("✓" if k == 0 else "✗")
            labels_pa.append(txt)
        pa_legend = styles.Legend(ui["l_pilot"], (
            styles.LegendEntry(mp.pilot_area_color, t["pilot_met"].format(g=g_txt), "outline"),
            styles.LegendEntry(mp.pilot_area_color, t["pilot_not_met"].format(g=g_txt), "outline-dashed"),
            styles.LegendEntry(mp.pilot_area_color, t["pilot_na"], "outline-dotted")))
        layers.insert(0, spec("pilots", ui["l_pilot"], "pilots", None, on=True, z=0, cls=cls,
                              colors=[mp.pilot_area_color] * 3, legend=pa_legend, fillOpacity=0, weight=3,
                              stroke=mp.pilot_area_color, dashed=[1], dashColor=mp.pilot_area_color, dotted=[2],
                              labels=labels_pa, labelZoom=0, labelBelow=True, labelMinPx=120))
    sv, S, ranges, R = _survey_data(survey, zindex, lang)
    if sv is not None:
        lcs = styles.land_class_style(_col(sv, "land_class"), lang)
        rgs = styles.range_style(ranges["range"], lang)
        layers.insert(4, spec("survey", ui["l_survey"], "survey", lcs, group="base", z=2, fillOpacity=0.8, weight=0.4,
                              stroke="#555"))
        layers.append(spec("ranges", ui["l_ranges"], "ranges", rgs, on=True, z=6, fillOpacity=0, weight=2.5,
                           strokeByClass=True, noHit=True,
                           dashByClass=[styles.RANGE_DASHES.get(r, []) for r in styles.RANGE_COLOURS] + [[]]))
    B = None
    if bld is not None and len(bld):
        occ = styles.occupancy_style(_col(bld, "occupancy_rate"), mp, lang)
        B = {"geom": {}, "code": _strs(_col(bld, "building_code")), "parcel": _strs(_col(bld, "parcel_code")),
             "area": _nums(_col(bld, "floor_area_m2"), 0), "occ": _nums(_col(bld, "occupancy_rate"), 4)}
        layers.append(spec("factories", ui["l_factories"], "buildings", occ, on=True, z=5, fillOpacity=0.9,
                           stroke="#333", weight=1, dot=9, round=True))
        if overview:  # not at province scale: only from the zoom where parcels become polygons
            layers[-1]["showZoom"] = min_zoom
        layers[-1]["hideEmptyLast"] = True
    for lyr in layers:
        lyr["hideEmptyLast"] = True

    # --- geometry streams ---------------------------------------------------------------------------
    blocks = []
    pa_gdf = _geographic(pilot_areas).reset_index(drop=True) if PA is not None else None
    for name, gdf, target in (("parcels", parcels, P), ("zones", zones, Z), ("buildings", bld, B),
                              ("pilots", pa_gdf, PA), ("survey", sv, S), ("ranges", ranges, R)):
        if target is None:
            continue
        enc = _encode(gdf, tol if name not in ("zones", "pilots") else mp.overview_simplify_m, quantum, origin)
        for part in ("nr", "nv", "xy"):
            id_ = f"lu-{name}-{part}"
            blocks.append(_script_block(id_, enc[part]))
            target["geom"][part] = id_
        target["geom"]["q"] = quantum

    config = {
        "title": title, "lang": lang, "text": ui, "origin": list(origin),
        "bounds": [[miny, minx], [maxy, maxx]], "parcels": P, "zones": Z, "buildings": B, "flags": F,
        "pilots": PA, "survey": S, "ranges": R, "layers": layers, "tiles": tiles,
        "parcelLayerIds": ["p_rev", "p_grade", "p_stage"],
        "year": year, "made": made, "policyVersion": getattr(policy, "version", None),
        "problemColor": mp.problem_color, "hatches": hatches,
    }
    cfg = json.dumps(config, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")

    # --- the folium page ----------------------------------------------------------------------------
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=None,
                   control_scale=False, prefer_canvas=False, zoom_control=True, max_zoom=20)
    m.default_js = []  # folium's CDN links (Leaflet, jQuery, Bootstrap, awesome-markers…): all replaced
    m.default_css = []
    root = m.get_root()
    root.header.add_child(_Raw(
        f'<meta charset="utf-8"><title>{html.escape(title)}</title>\n{assets.head_html()}'), name="lu_assets")
    root.html.add_child(_Raw(
        f'<script type="application/json" id="lu-config">{cfg}</script>\n' + "\n".join(blocks)), name="lu_data")
    m.add_child(_Init(), name="lu_init")  # a child of the map: its script comes after the map's
    return root.render()


class _Raw(Element):
    """Literal HTML: never passed through Jinja (geometry and user text may contain ``{{`` or ``{%``)."""

    def __init__(self, text: str):
        super().__init__("")
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _Init(MacroElement):
    _template = Template("""{% macro script(this, kwargs) %}
LanduseMap.init({{ this._parent.get_name() }}, JSON.parse(document.getElementById('lu-config').textContent));
{% endmacro %}""")
