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
    survey = survey_for_map(store, year=year, zones=limit) if limit is not None else None
    return {"parcels": pr, "zones": gpd.GeoDataFrame(zr, geometry="geometry", crs=4490), "flags": flags, "buildings": bg,
            "survey": survey}


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
    return build_map(parcels=f["parcels"], zones=f["zones"], flags=f["flags"], buildings=f["buildings"], policy=policy,
                     title=title, lang=lang, basemap=basemap, tianditu_key=tianditu_key, tile_url=tile_url,
                     detail="zone" if zone else "overview", survey=f.get("survey"))
