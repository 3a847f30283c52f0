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
    "rank_change", "quota_mu", "policy_version", "intensive_basis", "zone_type", "intensive_rank",
]


def zone_table(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    from landuse.core.labels import intensive_basis_label

    df = results.zone_rows(store, year=year, zones=zone_list(principal), columns=DASHBOARD_COLUMNS)
    out = records(redact(df, principal))
    for r in out:
        if r.get("intensive_basis"):
            r["intensive_basis_zh"] = intensive_basis_label(r["intensive_basis"], "zh")
    return out


def zone_dashboard(store, principal: Principal, zone_code: str, year: int) -> dict[str, Any]:
    """The +15 % check, occupancy, score, flags and grades of one zone in one year."""
    check_known_zone(store, principal, zone_code)
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
    if not can_see_figures(principal):  # unreachable through the routes (viewers lack "dashboard")
        out = {k: out[k] for k in ("zone_code", "year", "stages", "parcels")}
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

MAP_COLUMNS_PUBLIC = ["parcel_code", "zone_code", "holder_name", "stage", "area_mu"]
MAP_COLUMNS_FIGURES = ["revenue_per_mu", "tax_per_mu", "flags", "flag_count", "max_severity"]


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


def target_rules(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    return records(results.target_rules(store, year=year, zones=zone_list(principal)))


# ------------------------------------------------------------------------------------------------
# vector tiles
# ------------------------------------------------------------------------------------------------

def tile(store, principal: Principal, z: int, x: int, y: int, year: int) -> bytes:
    return store.mvt_tile(z, x, y, year=year, zones=zone_list(principal), figures=can_see_figures(principal))
