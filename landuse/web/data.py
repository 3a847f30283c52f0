"""The web service's view of the stored results: :mod:`landuse.services.results` (the one read path
every interface uses), restricted to what the logged-in user may see.

Every function takes the caller's :class:`~landuse.web.access.Principal`, passes the user's zones
(``access.zone_list``) to the service and returns only public columns to a viewer
(``access.redact``). Codes from a request are checked against the store before use (404 when
unknown or outside the user's zones: the two are indistinguishable).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import HTTPException

from landuse.core.labels import stage_label
from landuse.core.policy import Policy
from landuse.services import results
from landuse.web.access import (
    Principal,
    can_see_figures,
    check_zone,
    redact,
    redact_dict,
    sees_zone,
    visible_zones,
    zone_list,
)
from maps.styles import LAND_CLASS_COLOURS, RANGE_COLOURS, STAGE_COLOURS, land_class_key

STAGE_ZH = {k: stage_label(k, "zh") for k in STAGE_COLOURS}


def _survey_legend() -> list[list[str]]:
    from landuse.core.labels import LAND_CLASS_LABELS, RANGE_LABELS

    rows = [[c, f"{k} {LAND_CLASS_LABELS[k][0]}"] for k, c in LAND_CLASS_COLOURS.items() if k != "C3"]
    return rows + [[c, f"{RANGE_LABELS[r][0]}（边界）"] for r, c in RANGE_COLOURS.items()]


#: the map page's legend of the survey layer: [colour, words]
SURVEY_LEGEND = _survey_legend()


def is_pg(store) -> bool:
    return getattr(store, "kind", "") == "postgis"


def not_found() -> HTTPException:
    return HTTPException(404, "未找到 / not found")


# ------------------------------------------------------------------------------------------------
# JSON helpers
# ------------------------------------------------------------------------------------------------

def py(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    df = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
    cols = list(df.columns)
    return [{c: py(v) for c, v in zip(cols, r, strict=True)} for r in df.itertuples(index=False, name=None)]


# ------------------------------------------------------------------------------------------------
# years, policy, codes
# ------------------------------------------------------------------------------------------------

def result_years(store) -> list[int]:
    return results.result_years(store)


def default_year(store, year: int | None) -> int | None:
    return results.latest_year(store, year)


def results_stale(store, year: int) -> bool:
    """The banner's question: were the results of ``year`` computed from other inputs than the store holds?"""
    return results.is_stale(store, year)


def policy_for(store, year: int | None, fallback: Policy) -> Policy:
    """The policy the results shown were computed with (the store keeps it), else ``fallback``."""
    return results.stored_policy(store, year, fallback)


def check_known_zone(store, principal: Principal, zone_code: str) -> None:
    """404 unless ``zone_code`` is a zone of the store that the user sees."""
    check_zone(principal, zone_code)
    if not results.known_zone(store, zone_code):
        raise not_found()


def check_pilot_area(store, principal: Principal, pilot_area_code: str) -> None:
    """404 unless ``pilot_area_code`` is a pilot area of the store with a zone the user sees."""
    z = store.read("zones", where={"pilot_area_code": pilot_area_code}, columns=["zone_code"], geometry=False)
    if z.empty or not any(sees_zone(principal, c) for c in z["zone_code"]):
        raise not_found()


def zones(store, principal: Principal) -> list[dict[str, Any]]:
    """The zones a user sees: code, name, level, pilot area and bounding box (lon/lat)."""
    out = []
    for r in records(results.zone_extents(store, zone_list(principal))):
        bbox = [r.pop("x0"), r.pop("y0"), r.pop("x1"), r.pop("y1")]
        r["bbox"] = None if any(v is None for v in bbox) else bbox
        out.append(r)
    return out


def zone_names(store, principal: Principal) -> dict[str, str]:
    return {z["zone_code"]: z["zone_name"] or "" for z in zones(store, principal)}


# ------------------------------------------------------------------------------------------------
# dashboard
# ------------------------------------------------------------------------------------------------

DASHBOARD_COLUMNS = [
    "zone_code", "zone_name", "pilot_area_code", "year", "developed_mu", "revenue_per_mu", "tax_per_mu",
    "baseline_year", "baseline_revenue_per_mu", "growth", "target_growth", "goal_met", "expected_revenue_per_mu",
    "on_track", "like_for_like_growth", "revenue_growth_part", "area_growth_part", "occupancy_rate",
    "occupancy_rate_count", "occupancy_met", "sf_buildings", "flagged_share", "intensive_score", "score", "rank",
    "rank_change", "quota_mu", "policy_version", "revenue_coverage", "baseline_revenue_coverage", "provisional",
    "reported_revenue_per_mu", "reported_developed_mu", "revenue_other_land_wan", "intensive_basis", "zone_type",
    "intensive_rank",
]


def _zone_table_all(store, year: int) -> list[dict[str, Any]]:
    """Every zone's dashboard row of ``year``, unredacted (computed once per shown version)."""
    from landuse.core.labels import intensive_basis_label

    def build() -> list[dict[str, Any]]:
        out = records(results.zone_rows(store, year=year, zones=None, columns=DASHBOARD_COLUMNS))
        for r in out:
            if r.get("intensive_basis"):
                r["intensive_basis_zh"] = intensive_basis_label(r["intensive_basis"], "zh")
        return out

    return results.cached(store, year, f"zone_table:{year}", build)


def zone_table(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    """The zones' dashboard rows of ``year`` the user sees (figures only for roles that see them)."""
    z = visible_zones(principal)
    return [redact_dict(r, principal) for r in _zone_table_all(store, year) if z is None or r.get("zone_code") in z]


PILOT_COLUMNS = ["pilot_area_code", "pilot_area_name", "year", "developed_mu", "revenue_per_mu", "baseline_year",
                 "baseline_revenue_per_mu", "growth", "target_growth", "goal_met", "expected_revenue_per_mu", "on_track",
                 "occupancy_rate", "occupancy_met", "flagged_share", "score", "rank", "revenue_coverage",
                 "baseline_revenue_coverage", "provisional", "reported_revenue_per_mu", "revenue_other_land_wan",
                 "unlinked_revenue_wan"]


def pilot_table(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    """The pilot areas' rows of ``year`` (the +15 % target is a pilot-area target) and the province
    total (``PROVINCE``, shown as 全省, last). A user bound to zones sees the pilot areas of those zones
    and no province row."""
    zl = zone_list(principal)
    summary = _pilot_table_all(store, year)
    rows = summary["rows"]
    if zl is not None:
        mine = {summary["pilot_of"].get(z) for z in zl} - {None}
        rows = [r for r in rows if r["pilot_area_code"] in mine]
    if can_see_figures(principal):
        return [dict(r) for r in rows]
    return [{k: r[k] for k in ("pilot_area_code", "pilot_area_name", "year", "province")} for r in rows]


def _pilot_table_all(store, year: int) -> dict[str, Any]:
    """Every pilot area's row of ``year`` (province last) and each zone's pilot area, unredacted
    (computed once per shown version)."""
    from landuse.core.contract import is_province, province_mask
    from landuse.core.labels import unit_name

    def build() -> dict[str, Any]:
        df = results.read_layer(store, "pilot_area_results", year=year).reindex(columns=PILOT_COLUMNS)
        df = df.assign(_p=province_mask(df["pilot_area_code"]).astype(int)).sort_values(
            ["_p", "pilot_area_code"]).drop(columns="_p")
        rows = records(df)
        for r in rows:
            r["pilot_area_name"] = unit_name(r["pilot_area_code"], r.get("pilot_area_name"), "zh")
            r["province"] = is_province(r["pilot_area_code"])
        z = store.read("zones", columns=["zone_code", "pilot_area_code"], geometry=False).dropna(subset=["pilot_area_code"])
        return {"rows": rows, "pilot_of": dict(zip(z["zone_code"], z["pilot_area_code"], strict=True))}

    return results.cached(store, year, f"pilot_table:{year}", build)


def zone_dashboard(store, principal: Principal, zone_code: str, year: int) -> dict[str, Any]:
    """The +15 % check, occupancy, score, flags and grades of one zone in one year."""
    check_zone(principal, zone_code)
    key = results.summary_key(store, year)
    if zone_code not in _zone_codes(store, year, key):
        raise not_found()
    out = dict(results.cached(store, year, f"zone_dashboard:{year}:{zone_code}",
                              lambda: _zone_dashboard_all(store, zone_code, year), key=key))
    if not can_see_figures(principal):  # unreachable through the routes (viewers lack "dashboard")
        out = {k: out[k] for k in ("zone_code", "year", "stages", "parcels")}
    return out


def _zone_codes(store, year: int, key) -> frozenset[str]:
    """The store's zone codes (kept with the summaries: an import or an edit changes their key)."""
    return results.cached(store, year, "zone_codes", lambda: frozenset(
        store.read("zones", columns=["zone_code"], geometry=False)["zone_code"].dropna()), key=key)


def _zone_dashboard_all(store, zone_code: str, year: int) -> dict[str, Any]:
    """One zone's dashboard of ``year``, unredacted."""
    d = results.zone_dashboard(store, year=year, zone=zone_code, columns=DASHBOARD_COLUMNS)
    out: dict[str, Any] = {"zone_code": zone_code, "year": year,
                           "result": (records(d["result"])[0] if len(d["result"]) else None)}
    out["flags"] = records(d["flags"])
    out["flagged_parcels"] = d["flagged_parcels"]
    out["severity"] = d["severity"]
    grades = {str(k): int(v) for k, v in d["grades"].items()}
    if d["ungraded"]:
        grades["未评级"] = d["ungraded"]
    out["grades"] = grades
    out["enterprises"] = d["enterprises"]
    out["stages"] = [{"stage": k, "stage_zh": stage_label(k, "zh"), "parcels": int(r["count"]), "area_mu": py(r["sum"])}
                     for k, r in d["stages"].iterrows()]
    out["parcels"] = d["parcels"]
    out["survey"] = zone_survey(store, zone_code, year)
    return out


def zone_survey(store, zone_code: str, year: int) -> dict[str, Any]:
    """The zone's TD/T 1029 figures on its survey (主区, 发展方向区, 全区), words for the codes."""
    from landuse.core.labels import intensive_basis_label, range_label

    rows = records(results.zone_survey_rows(store, year=year, zone=zone_code))
    for r in rows:
        r["range_zh"] = range_label(r.get("range"), "zh")
    basis = results.intensive_basis(store, year=year, zone=zone_code)
    return {"rows": rows, "basis": basis, "basis_zh": intensive_basis_label(basis, "zh") if basis else None,
            "survey_year": rows[0]["survey_year"] if rows else None}


# ------------------------------------------------------------------------------------------------
# the survey on the map
# ------------------------------------------------------------------------------------------------

def zone_survey_geojson(store, principal: Principal, zone_code: str, year: int | None) -> dict[str, Any]:
    """The 图斑 of the zone's survey (the one its figures of ``year`` used) with their class colour, and
    the outlines of its 主区 / 发展方向区 (``kind`` 'range')."""
    from landuse.core.labels import SUPPLY_TYPE_LABELS, land_class_label, range_label

    check_known_zone(store, principal, zone_code)
    if year is None:
        return {"type": "FeatureCollection", "features": [], "zone_code": zone_code}
    g = results.zone_survey_patches(store, year=year, zone=zone_code)
    feats = []
    if len(g):
        g = g[g.geometry.notna()].copy()
        g["geometry"] = g.geometry.set_precision(1e-7)
        for rec, geom in zip(records(g), g.geometry.values, strict=True):
            cls = rec.get("land_class")
            key = land_class_key(cls)
            area = rec.get("area_m2")
            floor = rec.get("floor_area_m2")
            props = {"kind": "patch", "patch_code": rec.get("patch_code"), "land_class": cls,
                     "class_zh": land_class_label(cls, "zh"), "colour": LAND_CLASS_COLOURS.get(key or "", "#bdbdbd"),
                     "range": rec.get("range"), "range_zh": range_label(rec.get("range"), "zh"),
                     "area_ha": None if area is None else round(area / 10_000.0, 4),
                     "far": None if not area or floor is None else round(floor / area, 2),
                     "supply_type": rec.get("supply_type"),
                     "supply_zh": SUPPLY_TYPE_LABELS.get(rec.get("supply_type") or "", (None,))[0],
                     "survey_year": rec.get("survey_year")}
            feats.append({"type": "Feature", "properties": props, "geometry": geom.__geo_interface__})
        rng = g.assign(range=g["range"].fillna("主区")).dissolve(by="range", as_index=False)
        for r, geom in zip(rng["range"], rng.geometry, strict=True):
            outline = shapely.multipolygons([shapely.Polygon(q.exterior) for q in getattr(geom, "geoms", [geom])
                                             if q.geom_type == "Polygon"])
            feats.append({"type": "Feature", "properties": {"kind": "range", "range": r, "range_zh": range_label(r, "zh"),
                                                            "colour": RANGE_COLOURS.get(r, "#333")},
                          "geometry": outline.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats, "zone_code": zone_code, "year": year}


# ------------------------------------------------------------------------------------------------
# parcels: GeoJSON, detail, search
# ------------------------------------------------------------------------------------------------

MAP_COLUMNS_PUBLIC = ["parcel_code", "zone_code", "holder_name", "stage", "area_mu", "developed"]
MAP_COLUMNS_FIGURES = ["revenue_per_mu", "tax_per_mu", "far", "building_coverage", "flags", "flag_count",
                       "max_severity"]


def map_columns(principal: Principal) -> list[str]:
    return MAP_COLUMNS_PUBLIC + (MAP_COLUMNS_FIGURES if can_see_figures(principal) else [])


def zone_parcels_geojson(store, principal: Principal, zone_code: str, year: int) -> dict[str, Any]:
    check_known_zone(store, principal, zone_code)
    figures = can_see_figures(principal)
    g = results.zone_parcels(store, year=year, zone=zone_code, columns=map_columns(principal), with_grade=figures)
    g = gpd.GeoDataFrame(redact(g, principal), geometry="geometry", crs=4490)
    g["geometry"] = g.geometry.set_precision(1e-7) if len(g) else g.geometry
    feats = []
    for rec, geom in zip(records(g), g.geometry.values, strict=True):
        if geom is None:
            continue
        rec["stage_zh"] = STAGE_ZH.get(rec.get("stage"), rec.get("stage"))
        feats.append({"type": "Feature", "properties": rec, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats, "zone_code": zone_code, "year": year}


def parcel_detail(store, principal: Principal, parcel_code: str, year: int | None) -> dict[str, Any]:
    """Everything a popup shows about one parcel (404 outside the user's zones)."""
    zone = results.parcel_zone(store, parcel_code)
    if zone is None:
        raise not_found()
    check_zone(principal, zone)
    d = results.parcel_detail(store, parcel_code=parcel_code, year=year, figures=can_see_figures(principal))
    if d is None:
        raise not_found()
    out: dict[str, Any] = records(d["facts"])[0]
    out["year"] = year
    if d["result"] is not None:
        out.update(records(d["result"])[0])
        out["stage_zh"] = STAGE_ZH.get(out.get("stage"), out.get("stage"))
        if can_see_figures(principal):
            out["grade"] = d["grade"]
            out["flag_list"] = records(d["flags"]) if d["flags"] is not None else []
    out["zone_name"] = zone_names(store, principal).get(zone, "")
    return redact_dict(out, principal)


def search(store, principal: Principal, q: str, year: int | None, limit: int = 20) -> list[dict[str, Any]]:
    """Parcels whose code or holder name contains ``q`` (in the user's zones)."""
    df = results.search(store, q, year=year, zones=zone_list(principal), limit=limit)
    out = records(redact(df, principal))
    for r in out:
        r["stage_zh"] = STAGE_ZH.get(r.get("stage"), r.get("stage"))
    return out


# ------------------------------------------------------------------------------------------------
# targets
# ------------------------------------------------------------------------------------------------

def targets(store, principal: Principal, *, year: int, policy: Policy, zone: str | None = None,
            rule: str | None = None, severity: int | None = None, with_geometry: bool = False) -> pd.DataFrame:
    if zone is not None:
        check_known_zone(store, principal, zone)
    t = results.targets(store, year=year, policy=policy, zones=zone_list(principal), zone=zone, rule=rule,
                        severity=severity, with_geometry=with_geometry)
    out = redact(t, principal)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4490) if with_geometry else out


#: columns the target list can be sorted by (page and API); ties keep the priority order
TARGET_SORTS = ("priority", "parcel_code", "zone_code", "holder_name", "area_mu", "revenue_per_mu", "tax_per_mu",
                "far", "max_severity", "gain_mu", "gain_wan")


def sort_targets(t: pd.DataFrame, sort: str | None, order: str | None) -> pd.DataFrame:
    """The target list sorted by ``sort`` (one of :data:`TARGET_SORTS`; missing values last), ties in
    priority order. Unknown keys are refused by the routes' validation before this is called."""
    key = sort or "priority"
    if key not in TARGET_SORTS:
        raise HTTPException(422, f"排序字段应为 {', '.join(TARGET_SORTS)} / sort must be one of {', '.join(TARGET_SORTS)}")
    if key == "priority" and order != "desc" or key not in t.columns or len(t) == 0:
        return t
    desc = order == "desc"
    base = t.sort_values("priority", kind="stable") if "priority" in t.columns else t
    return base.sort_values(key, ascending=not desc, kind="stable", na_position="last")


def page_of(t: pd.DataFrame, page: int, per_page: int) -> tuple[pd.DataFrame, int, int]:
    """(rows of ``page`` (1-based), the page shown, the number of pages)."""
    pages = max(1, -(-len(t) // per_page))
    page = min(max(1, page), pages)
    return t.iloc[(page - 1) * per_page: page * per_page], page, pages


def target_rules(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    return records(results.target_rules(store, year=year, zones=zone_list(principal)))


# ------------------------------------------------------------------------------------------------
# vector tiles
# ------------------------------------------------------------------------------------------------

def serves_tiles(store, year: int | None) -> bool:
    """Vector tiles: stored ones (either backend, :mod:`landuse.services.tiles`) or PostGIS's live ones."""
    from landuse.services import tiles

    return is_pg(store) or (year is not None and tiles.has_tiles(store, year))


def tile(store, principal: Principal, z: int, x: int, y: int, year: int) -> bytes | None:
    """The stored tile when the year has stored tiles (a lookup, tried first), else PostGIS's live
    tile; None when neither serves (a GeoPackage without stored tiles of the year)."""
    body = stored_tile(store, principal, z, x, y, year)
    return body if body is not None else live_tile(store, principal, z, x, y, year)


def stored_tile(store, principal: Principal, z: int, x: int, y: int, year: int) -> bytes | None:
    """The stored tile for the user (scoped to their zones, public columns for a viewer); None
    when ``year`` has no stored tiles."""
    from landuse.services import tiles

    return tiles.tile(store, year=year, z=z, x=x, y=y, zones=zone_list(principal), figures=can_see_figures(principal))


def live_tile(store, principal: Principal, z: int, x: int, y: int, year: int) -> bytes | None:
    """PostGIS's live tile for the user (``ST_AsMVT``); None on a GeoPackage."""
    if not is_pg(store):
        return None
    return store.mvt_tile(z, x, y, year=year, zones=zone_list(principal), figures=can_see_figures(principal))


# ------------------------------------------------------------------------------------------------
# the map's styling and the pilot-area outlines
# ------------------------------------------------------------------------------------------------

def map_config(store, principal: Principal, *, policy: Policy, year: int | None) -> dict[str, Any]:
    from landuse.services.maps import web_map_config

    return web_map_config(store, policy=policy, year=year, zones=zone_list(principal),
                          figures=can_see_figures(principal))


def pilot_areas(store, principal: Principal, year: int) -> dict[str, Any]:
    from landuse.services.maps import pilot_areas_geojson

    return pilot_areas_geojson(store, year=year, zones=zone_list(principal), figures=can_see_figures(principal))
