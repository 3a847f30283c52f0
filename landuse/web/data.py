"""Reading for the web service: the same store the CLI uses, filtered to the user's zones.

Every function takes the caller's :class:`~landuse.web.access.Principal` and returns only rows of
zones the user sees (``access.zone_list``) and, for a viewer, only public columns
(``access.redact``). On PostGIS the reads are parameterised SQL with explicit column lists (column
names come from the contract in ``landuse.columns``, never from a request); on a GeoPackage they
go through ``Store.read`` and pandas.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.columns import LAYERS
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
from maps.styles import STAGES

STAGE_ZH = {k: zh for k, zh, _en, _c in STAGES}
STAGE_COLOURS = {k: c for k, _zh, _en, c in STAGES}


def is_pg(store) -> bool:
    return getattr(store, "kind", "") == "postgis"


def _sql(store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        res = conn.execute(text(sql), params)
        cols = list(res.keys())
        # plain tuples: building a frame from Row objects is ~10x slower (attribute probing)
        return pd.DataFrame.from_records([tuple(r) for r in res.fetchall()], columns=cols)


def rows(store, name: str, *, year: int | None = None, zones: list[str] | None = None,
         where: dict[str, Any] | None = None, columns: list[str] | None = None, geometry: bool = False) -> pd.DataFrame:
    """Rows of a contract layer, optionally filtered by year, zones and column equality."""
    layer = LAYERS[name]
    cols = [c for c in (columns or layer.names) if c in layer.names]
    if zones is not None and not zones and "zone_code" in layer.names:
        return pd.DataFrame(columns=cols + (["geometry"] if geometry else []))
    if is_pg(store):
        sel = [f'"{c}"' for c in cols]
        if geometry and layer.geometry:
            sel.append('ST_AsBinary("geometry") AS geometry')
        clauses, params = [], {}
        if year is not None and layer.year_column:
            clauses.append(f'"{layer.year_column}" = :year')
            params["year"] = int(year)
        if zones is not None and "zone_code" in layer.names:
            clauses.append('"zone_code" = ANY(:zones)')
            params["zones"] = list(zones)
        for i, (k, v) in enumerate((where or {}).items()):
            if k not in layer.names:
                raise KeyError(k)
            clauses.append(f'"{k}" = :w{i}')
            params[f"w{i}"] = v
        sql = f'SELECT {", ".join(sel)} FROM "{name}"' + (" WHERE " + " AND ".join(clauses) if clauses else "")
        df = _sql(store, sql, params)
        if geometry and layer.geometry:
            import shapely

            wkb = [bytes(b) if b is not None else None for b in df["geometry"].tolist()]
            df = gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=gpd.GeoSeries(
                shapely.from_wkb(wkb) if wkb else [], index=df.index), crs=4490)
        return df
    df = store.read(name, year=year, zones=zones)
    for k, v in (where or {}).items():
        df = df[df[k] == v]
    keep = cols + (["geometry"] if geometry and layer.geometry else [])
    df = df[keep]
    return df if geometry and layer.geometry else pd.DataFrame(df)


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
# years and zones
# ------------------------------------------------------------------------------------------------

def result_years(store) -> list[int]:
    if is_pg(store):
        df = _sql(store, 'SELECT DISTINCT "year" FROM "zone_results" ORDER BY 1', {})
        return [int(y) for y in df["year"].dropna()]
    return store.result_years()


def default_year(store, year: int | None) -> int | None:
    if year is not None:
        return int(year)
    ys = result_years(store)
    return ys[-1] if ys else None


def zones(store, principal: Principal) -> list[dict[str, Any]]:
    """The zones a user sees: code, name, level, pilot area and bounding box (lon/lat)."""
    zl = zone_list(principal)
    if is_pg(store):
        sql = ('SELECT zone_code, zone_name, level, pilot_area_code, pilot_area_name, '
               'ST_XMin(b) AS x0, ST_YMin(b) AS y0, ST_XMax(b) AS x1, ST_YMax(b) AS y1 '
               'FROM (SELECT *, geometry::box2d AS b FROM zones) z')
        params: dict[str, Any] = {}
        if zl is not None:
            sql += " WHERE zone_code = ANY(:zones)"
            params["zones"] = zl
        df = _sql(store, sql + " ORDER BY zone_code", params)
    else:
        z = store.read("zones", zones=zl)
        b = z.geometry.bounds if len(z) else pd.DataFrame(columns=["minx", "miny", "maxx", "maxy"])
        df = pd.DataFrame({c: z[c] for c in ("zone_code", "zone_name", "level", "pilot_area_code", "pilot_area_name")})
        df["x0"], df["y0"], df["x1"], df["y1"] = b["minx"].values, b["miny"].values, b["maxx"].values, b["maxy"].values
        df = df.sort_values("zone_code")
    out = []
    for r in records(df):
        bbox = [r.pop("x0"), r.pop("y0"), r.pop("x1"), r.pop("y1")]
        r["bbox"] = None if any(v is None for v in bbox) else bbox
        out.append(r)
    return out


def check_known_zone(store, principal: Principal, zone_code: str) -> None:
    """404 unless ``zone_code`` is a zone of the store that the user sees (request values are checked
    against the store before they are used anywhere)."""
    check_zone(principal, zone_code)
    if rows(store, "zones", where={"zone_code": zone_code}, columns=["zone_code"]).empty:
        from fastapi import HTTPException

        raise HTTPException(404, "未找到 / not found")


def check_pilot_area(store, principal: Principal, pilot_area_code: str) -> None:
    """404 unless ``pilot_area_code`` is a pilot area of the store with a zone the user sees."""
    z = rows(store, "zones", where={"pilot_area_code": pilot_area_code}, columns=["zone_code"])
    if z.empty or not any(sees_zone(principal, c) for c in z["zone_code"]):
        from fastapi import HTTPException

        raise HTTPException(404, "未找到 / not found")


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
    "rank_change", "quota_mu", "policy_version",
]


def zone_table(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    df = rows(store, "zone_results", year=year, zones=zone_list(principal), columns=DASHBOARD_COLUMNS)
    df = redact(df.sort_values("zone_code"), principal)
    return records(df)


def zone_dashboard(store, principal: Principal, zone_code: str, year: int) -> dict[str, Any]:
    """The +15 % check, occupancy, score, flags and grades of one zone in one year."""
    check_known_zone(store, principal, zone_code)
    zr = rows(store, "zone_results", year=year, zones=[zone_code], columns=DASHBOARD_COLUMNS)
    out: dict[str, Any] = {"zone_code": zone_code, "year": year,
                           "result": (records(zr)[0] if len(zr) else None)}
    fl = rows(store, "flags", year=year, zones=[zone_code], columns=["parcel_code", "rule", "label", "severity"])
    if len(fl):
        g = fl.groupby(["rule", "label"], dropna=False).agg(parcels=("parcel_code", "nunique")).reset_index()
        out["flags"] = records(g.sort_values("parcels", ascending=False))
        out["flagged_parcels"] = int(fl["parcel_code"].nunique())
        sev = fl.groupby("parcel_code")["severity"].max().value_counts().sort_index()
        out["severity"] = {str(int(k)): int(v) for k, v in sev.items() if not pd.isna(k)}
    else:
        out["flags"], out["flagged_parcels"], out["severity"] = [], 0, {}
    er = rows(store, "enterprise_results", year=year, zones=[zone_code], columns=["uscc", "grade", "above_scale"])
    grades = er["grade"].fillna("未评级").value_counts() if len(er) else pd.Series(dtype=int)
    out["grades"] = {str(k): int(v) for k, v in grades.items()}
    out["enterprises"] = len(er)
    pr = rows(store, "parcel_results", year=year, zones=[zone_code], columns=["parcel_code", "stage", "area_mu"])
    st = pr.groupby("stage")["area_mu"].agg(["count", "sum"]) if len(pr) else pd.DataFrame(columns=["count", "sum"])
    out["stages"] = [{"stage": k, "stage_zh": STAGE_ZH.get(k, k), "parcels": int(r["count"]), "area_mu": py(r["sum"])}
                     for k, r in st.iterrows()]
    out["parcels"] = len(pr)
    if not can_see_figures(principal):  # unreachable through the routes (viewers lack "dashboard")
        out = {k: out[k] for k in ("zone_code", "year", "stages", "parcels")}
    return out


# ------------------------------------------------------------------------------------------------
# parcels: GeoJSON, detail, search
# ------------------------------------------------------------------------------------------------

MAP_COLUMNS_PUBLIC = ["parcel_code", "zone_code", "holder_name", "stage", "area_mu"]
MAP_COLUMNS_FIGURES = ["revenue_per_mu", "tax_per_mu", "flags", "flag_count", "max_severity"]


def map_columns(principal: Principal) -> list[str]:
    return MAP_COLUMNS_PUBLIC + (MAP_COLUMNS_FIGURES if can_see_figures(principal) else [])


def _grades(store, year: int, usccs: list[str]) -> dict[str, str]:
    usccs = [u for u in dict.fromkeys(usccs) if isinstance(u, str)]
    if not usccs:
        return {}
    if is_pg(store):
        df = _sql(store, 'SELECT uscc, grade FROM enterprise_results WHERE "year" = :y AND uscc = ANY(:u)',
                  {"y": int(year), "u": usccs})
    else:
        df = store.read("enterprise_results", year=year)
        df = df[df["uscc"].isin(usccs)]
    return {u: g for u, g in zip(df["uscc"], df["grade"], strict=True) if isinstance(g, str)}


def zone_parcels_geojson(store, principal: Principal, zone_code: str, year: int) -> dict[str, Any]:
    check_known_zone(store, principal, zone_code)
    cols = map_columns(principal)
    pr = rows(store, "parcel_results", year=year, zones=[zone_code], columns=cols)
    geo = rows(store, "parcels", zones=[zone_code], columns=["parcel_code", "zone_code"], geometry=True)
    geo = geo[["parcel_code", "geometry"]]
    if len(pr):
        g = geo.merge(pd.DataFrame(pr).drop(columns=["zone_code"]), on="parcel_code", how="left")
    else:
        g = geo
    g["zone_code"] = zone_code
    if can_see_figures(principal) and len(g) and "flags" in g.columns:
        hold = rows(store, "parcel_results", year=year, zones=[zone_code], columns=["parcel_code", "holder_uscc"])
        gm = _grades(store, year, hold["holder_uscc"].dropna().tolist())
        g = g.merge(hold, on="parcel_code", how="left")
        g["grade"] = g["holder_uscc"].map(gm)
        g = g.drop(columns=["holder_uscc"])
    g = gpd.GeoDataFrame(redact(g, principal), geometry="geometry", crs=4490)
    g["geometry"] = g.geometry.set_precision(1e-7) if len(g) else g.geometry
    feats = []
    for rec, geom in zip(records(g), g.geometry.values, strict=True):
        if geom is None:
            continue
        rec["stage_zh"] = STAGE_ZH.get(rec.get("stage"), rec.get("stage"))
        feats.append({"type": "Feature", "properties": rec, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats, "zone_code": zone_code, "year": year}


def _parcel_zone(store, parcel_code: str) -> str | None:
    df = rows(store, "parcels", where={"parcel_code": parcel_code}, columns=["parcel_code", "zone_code"])
    return None if df.empty else df["zone_code"].iloc[0]


def parcel_detail(store, principal: Principal, parcel_code: str, year: int | None) -> dict[str, Any]:
    """Everything a popup shows about one parcel (404 outside the user's zones)."""
    from fastapi import HTTPException

    zone = _parcel_zone(store, parcel_code)
    if zone is None:
        raise HTTPException(404, "未找到 / not found")
    check_zone(principal, zone)
    base = rows(store, "parcels", where={"parcel_code": parcel_code},
                columns=["parcel_code", "zone_code", "land_use_code", "land_use_scheme", "registered_area_m2",
                         "supply_date", "completion_date", "standard_land", "geodesic_area_m2"])
    out: dict[str, Any] = records(base)[0]
    out["year"] = year
    if year is not None:
        pr = rows(store, "parcel_results", year=year, where={"parcel_code": parcel_code})
        if len(pr):
            out.update(records(pr)[0])
            out["stage_zh"] = STAGE_ZH.get(out.get("stage"), out.get("stage"))
            if can_see_figures(principal):
                out["grade"] = _grades(store, year, [out.get("holder_uscc")]).get(out.get("holder_uscc"))
                fl = rows(store, "flags", year=year, where={"parcel_code": parcel_code},
                          columns=["rule", "label", "severity", "evidence", "action", "gain_mu", "gain_wan"])
                out["flag_list"] = records(fl.sort_values("severity", ascending=False))
    names = zone_names(store, principal)
    out["zone_name"] = names.get(zone, "")
    return redact_dict(out, principal)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(store, principal: Principal, q: str, year: int | None, limit: int = 20) -> list[dict[str, Any]]:
    """Parcels whose code or holder name contains ``q`` (in the user's zones)."""
    q = (q or "").strip()
    if not q:
        return []
    zl = zone_list(principal)
    if is_pg(store):
        if year is not None:
            sql = ("SELECT r.parcel_code, r.zone_code, r.holder_name, r.stage, "
                   "ST_X(ST_PointOnSurface(p.geometry)) AS lon, ST_Y(ST_PointOnSurface(p.geometry)) AS lat "
                   "FROM parcel_results r JOIN parcels p ON p.parcel_code = r.parcel_code "
                   "WHERE r.year = :y AND (r.parcel_code ILIKE :q OR r.holder_name ILIKE :q)")
            params: dict[str, Any] = {"y": int(year), "q": _like(q)}
            pre = "r."
        else:
            sql = ("SELECT p.parcel_code, p.zone_code, ST_X(ST_PointOnSurface(p.geometry)) AS lon, "
                   "ST_Y(ST_PointOnSurface(p.geometry)) AS lat FROM parcels p WHERE p.parcel_code ILIKE :q")
            params = {"q": _like(q)}
            pre = "p."
        if zl is not None:
            sql += f" AND {pre}zone_code = ANY(:zones)"
            params["zones"] = zl
        df = _sql(store, sql + f" ORDER BY {pre}parcel_code LIMIT {int(limit)}", params)
    else:
        geo = store.read("parcels", zones=zl)[["parcel_code", "zone_code", "geometry"]]
        if year is not None:
            pr = pd.DataFrame(store.read("parcel_results", year=year, zones=zl))[["parcel_code", "holder_name", "stage"]]
            geo = geo.merge(pr, on="parcel_code", how="left")
        ql = q.lower()
        hit = geo["parcel_code"].str.lower().str.contains(ql, regex=False)
        if "holder_name" in geo.columns:
            hit |= geo["holder_name"].fillna("").str.lower().str.contains(ql, regex=False)
        df = geo[hit].sort_values("parcel_code").head(limit)
        pts = df.geometry.representative_point()
        df = pd.DataFrame(df.drop(columns="geometry"))
        df["lon"], df["lat"] = pts.x.values, pts.y.values
    df = redact(df, principal)
    out = records(df)
    for r in out:
        r["stage_zh"] = STAGE_ZH.get(r.get("stage"), r.get("stage"))
    return out


# ------------------------------------------------------------------------------------------------
# targets
# ------------------------------------------------------------------------------------------------

def targets(store, principal: Principal, *, year: int, policy, zone: str | None = None, rule: str | None = None,
            severity: int | None = None) -> pd.DataFrame:
    from evaluation.targets import TARGET_COLUMNS, target_list

    if zone is not None:
        check_known_zone(store, principal, zone)
    zl = [zone] if zone else zone_list(principal)
    pcols = ["parcel_code", "zone_code", "year", *[c for c in TARGET_COLUMNS if c in LAYERS["parcel_results"].names]]
    pr = rows(store, "parcel_results", year=year, zones=zl, columns=list(dict.fromkeys(pcols)))
    fl = rows(store, "flags", year=year, zones=zl)
    if pr.empty or fl.empty:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    from parcels.schema import coerce

    pr = coerce(pr, LAYERS["parcel_results"])[list(dict.fromkeys(pcols))]
    fl = coerce(fl, LAYERS["flags"])
    t = target_list(pr, fl, policy=policy, zone=zone)
    if rule:
        t = t[t["rules"].fillna("").map(lambda s: rule in s.split(","))]
    if severity is not None:
        t = t[pd.to_numeric(t["max_severity"], errors="coerce") >= int(severity)]
    return redact(t.reset_index(drop=True), principal)


def target_rules(store, principal: Principal, year: int) -> list[dict[str, Any]]:
    fl = rows(store, "flags", year=year, zones=zone_list(principal), columns=["rule", "label"])
    if fl.empty:
        return []
    return records(fl.drop_duplicates("rule").sort_values("rule"))


def target_geometry(store, principal: Principal, t: pd.DataFrame) -> gpd.GeoDataFrame:
    zl = sorted(set(t["zone_code"].dropna())) if len(t) else []
    zl = [z for z in zl if visible_zones(principal) is None or z in visible_zones(principal)]
    geo = rows(store, "parcels", zones=zl, columns=["parcel_code"], geometry=True)
    g = pd.DataFrame(t).merge(pd.DataFrame(geo), on="parcel_code", how="left")
    return gpd.GeoDataFrame(g, geometry="geometry", crs=4490)


# ------------------------------------------------------------------------------------------------
# vector tiles (PostGIS)
# ------------------------------------------------------------------------------------------------

TILE_SQL = """
WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
     b4490 AS (SELECT ST_Transform(env, 4490) AS env FROM b),
t AS (
  SELECT ST_AsMVTGeom(ST_Transform(p.geometry, 3857), b.env, 4096, 64, true) AS geom,
         {attrs}
  FROM parcels p
  CROSS JOIN b
  CROSS JOIN b4490
  LEFT JOIN parcel_results r ON r.parcel_code = p.parcel_code AND r.year = :year
  {joins}
  WHERE p.geometry && b4490.env {zone_filter}
)
SELECT ST_AsMVT(t, 'parcels', 4096, 'geom') FROM t WHERE geom IS NOT NULL
"""

TILE_ATTRS_PUBLIC = ["p.parcel_code", "p.zone_code", "r.holder_name", "r.stage", "r.area_mu"]
TILE_ATTRS_FIGURES = ["r.revenue_per_mu", "r.tax_per_mu", "r.flags", "r.flag_count", "r.max_severity", "e.grade"]


def tile(store, principal: Principal, z: int, x: int, y: int, year: int) -> bytes:
    attrs = list(TILE_ATTRS_PUBLIC)
    joins = ""
    if can_see_figures(principal):
        attrs += TILE_ATTRS_FIGURES
        joins = "LEFT JOIN enterprise_results e ON e.uscc = r.holder_uscc AND e.year = :year"
    params: dict[str, Any] = {"z": int(z), "x": int(x), "y": int(y), "year": int(year)}
    zl = zone_list(principal)
    zone_filter = ""
    if zl is not None:
        zone_filter = "AND p.zone_code = ANY(:zones)"
        params["zones"] = zl
    sql = TILE_SQL.format(attrs=", ".join(attrs), joins=joins, zone_filter=zone_filter)
    from sqlalchemy import text

    with store.engine.connect() as conn:
        data = conn.execute(text(sql), params).scalar()
    return bytes(data) if data is not None else b""
