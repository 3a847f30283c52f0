"""Offline map pages (one self-contained HTML file each) from the stored results."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.services import results
from parcels.store.base import Store


def map_frames(store: Store, *, year: int, zone: str | None = None, pilot_area: str | None = None,
               zones: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """What a map page shows: parcels (results + holder name + grade), zones (results), flags,
    standard factories (occupancy), restricted to a zone, a pilot area or a list of zones."""
    results.require_results(store, year)
    zin = store.read("zones")
    limit = zones
    if zone:
        results.check_zone_code(store, zone)
        limit = [zone] if limit is None else [z for z in limit if z == zone]
    elif pilot_area:
        results.check_pilot_area_code(store, pilot_area)
        codes = zin.loc[zin["pilot_area_code"] == pilot_area, "zone_code"].tolist()
        limit = codes if limit is None else [z for z in limit if z in codes]
    pr = results.read_layer(store, "parcel_results", year=year, zones=limit)
    ent = store.read("enterprises", columns=["uscc", "name"])
    er = store.read("enterprise_results", year=year, columns=["uscc", "grade"])
    pr = pr.merge(ent.rename(columns={"uscc": "holder_uscc", "name": "holder_name_e"}), on="holder_uscc", how="left")
    pr["holder_name"] = pr["holder_name"].fillna(pr.pop("holder_name_e")) if "holder_name" in pr.columns else pr.pop("holder_name_e")
    pr = pr.merge(er.rename(columns={"uscc": "holder_uscc"}), on="holder_uscc", how="left")
    pr = gpd.GeoDataFrame(pr, geometry="geometry", crs=4490)
    zr = results.read_layer(store, "zone_results", year=year, zones=limit)
    zr = zr.merge(zin[["zone_code", "zone_name"]].rename(columns={"zone_name": "_zn"}), on="zone_code", how="left")
    zr["zone_name"] = zr["zone_name"].fillna(zr.pop("_zn"))
    flags = store.read("flags", year=year, zones=limit)
    br = store.read("building_results", year=year, zones=limit)
    b = store.read("buildings", columns=["building_code"])
    b = b[b["building_code"].isin(br["building_code"])]
    bg = gpd.GeoDataFrame(br.merge(pd.DataFrame(b), on="building_code", how="left"), geometry="geometry", crs=4490)
    zg = gpd.GeoDataFrame(zr, geometry="geometry", crs=4490)
    survey = survey_for_map(store, year=year, zones=limit) if limit is not None else None
    return {"parcels": pr, "zones": zg, "flags": flags, "buildings": bg,
            "pilot_areas": pilot_area_outlines(store, year=year, zones=zin if limit is None else
                                               zin[zin["zone_code"].isin(limit)]),
            "survey": survey}


def pilot_area_outlines(store: Store, *, year: int, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One outline per pilot area (the union of its zones shown) with its +15 % status of ``year``:
    growth, target_growth, goal_met (pilot_area_results)."""
    z = zones[zones["pilot_area_code"].notna() & zones.geometry.notna()] if len(zones) else zones
    cols = ["pilot_area_code", "pilot_area_name", "growth", "target_growth", "goal_met", "geometry"]
    if len(z) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols[:-1]}, geometry=[], crs=4490)
    g = gpd.GeoDataFrame(z[["pilot_area_code", "geometry"]], geometry="geometry", crs=4490)
    g["geometry"] = g.geometry.make_valid()
    d = g.dissolve(by="pilot_area_code", as_index=False)
    pa = store.read("pilot_area_results", year=year,
                    columns=["pilot_area_code", "pilot_area_name", "growth", "target_growth", "goal_met"])
    names = z.groupby("pilot_area_code")["pilot_area_name"].first() if "pilot_area_name" in z else None
    d = d.merge(pd.DataFrame(pa), on="pilot_area_code", how="left")
    if names is not None:
        d["pilot_area_name"] = d["pilot_area_name"].fillna(d["pilot_area_code"].map(names))
    return gpd.GeoDataFrame(d[cols], geometry="geometry", crs=4490)


def survey_for_map(store: Store, *, year: int, zones: list[str] | None) -> gpd.GeoDataFrame | None:
    """Each zone's latest intensive-use survey up to ``year`` (None when there is none). Province-wide
    overview pages leave the survey out (hundreds of thousands of 图斑); zone and pilot-area pages show it."""
    ls = store.read("land_survey", zones=zones)
    if len(ls) == 0:
        return None
    y = pd.to_numeric(ls["survey_year"], errors="coerce")
    ls = ls[y <= year]
    if len(ls) == 0:
        return None
    latest = ls.groupby("zone_code")["survey_year"].transform("max")
    return gpd.GeoDataFrame(ls[ls["survey_year"] == latest], geometry="geometry", crs=4490)


def map_html(store: Store, *, year: int, policy: Policy, zone: str | None = None, pilot_area: str | None = None,
             zones: list[str] | None = None, lang: str = "zh", basemap: str = "none", tianditu_key: str | None = None,
             tile_url: str | None = None) -> str:
    from maps.builder import build_map

    f = map_frames(store, year=year, zone=zone, pilot_area=pilot_area, zones=zones)
    where = zone or pilot_area or t("全省", "province", lang)
    title = t(f"{where} {year} 年宗地亩均效益图", f"{where} {year}: parcel efficiency map", lang)
    import datetime as _dt

    return build_map(parcels=f["parcels"], zones=f["zones"], flags=f["flags"], buildings=f["buildings"], policy=policy,
                     title=title, lang=lang, basemap=basemap, tianditu_key=tianditu_key, tile_url=tile_url,
                     detail="zone" if zone else "overview", pilot_areas=f["pilot_areas"], year=year,
                     made=_dt.date.today().isoformat(), survey=f.get("survey"))


def web_map_config(store: Store, *, policy: Policy, year: int | None, zones: list[str] | None, lang: str = "zh",
                   figures: bool = True) -> dict:
    """What the web map draws with: the themes of the policy (maps.styles.theme_config, the palettes of
    the offline pages), its words, the policy version. A data-driven revenue scheme classifies the
    year's parcels the user sees (fixed bounds need no data)."""
    import datetime as _dt

    from maps.builder import UI
    from maps.styles import theme_config

    values = None
    if figures and year is not None and policy.maps.revenue_scheme != "UserDefined":
        values = results.read_layer(store, "parcel_results", year=year, zones=zones)["revenue_per_mu"]
    return {"theme": theme_config(policy.maps, policy.rules.rule, lang, values), "text": UI["en" if lang == "en" else "zh"],
            "policyVersion": policy.version, "made": _dt.date.today().isoformat(),
            "targetGrowth": policy.growth.target_growth}


def pilot_areas_geojson(store: Store, *, year: int, zones: list[str] | None, figures: bool) -> dict:
    """The outlines of the pilot areas of the zones a user sees, with their +15 % status (figures only)."""
    zin = store.read("zones")
    if zones is not None:
        zin = zin[zin["zone_code"].isin(zones)]
    g = pilot_area_outlines(store, year=year, zones=zin)
    feats = []
    for r in g.itertuples(index=False):
        if r.geometry is None or r.geometry.is_empty:
            continue
        props = {"pilot_area_code": r.pilot_area_code, "pilot_area_name": r.pilot_area_name}
        if figures:
            def num(v):
                return None if pd.isna(v) else float(v)
            props.update(growth=num(r.growth), target_growth=num(r.target_growth),
                         goal_met=None if pd.isna(r.goal_met) else bool(r.goal_met))
        geom = r.geometry.simplify(1e-5, preserve_topology=True)
        feats.append({"type": "Feature", "properties": props, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats, "year": year}
