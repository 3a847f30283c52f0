"""Why a zone (or pilot area, or the province) moved between two years (:mod:`evaluation.bridge`).

Reads the shown result version of each year through :mod:`landuse.services.results`; the caller
passes the zones the user may see.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from evaluation.bridge import BRIDGE_TERMS, bridge, contributions, gap_to_path, parcel_frame
from landuse.core.contract import PROVINCE
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.services import results
from parcels.store.base import Store

__all__ = ["compare", "BRIDGE_ZH"]

BRIDGE_ZH = {
    "firms_both": ("两年均在的企业营收变化", "revenue of firms present in both years"),
    "firms_left": ("退出企业", "firms that left"),
    "firms_arrived": ("新进企业", "firms that arrived"),
    "new_land": ("新开发土地摊薄", "newly developed land diluting the average"),
    "land_taken": ("收回（不再计入）的土地", "land taken back"),
    "reported_land": ("同一宗地申报面积变化", "reported land of the same parcels changed"),
}
PR_COLS = ["parcel_code", "zone_code", "developed", "revenue_wan", "reported_mu", "holder_uscc", "holder_name"]


def compare(store: Store, *, policy: Policy, year: int, baseline: int | None = None, zone: str | None = None,
            pilot_area: str | None = None, zones: list[str] | None = None, top: int = 10) -> dict[str, Any]:
    """The comparison of one area (``zone``, else ``pilot_area``, else every zone in ``zones``) between
    ``baseline`` (default ``policy.growth.baseline_year``) and ``year``."""
    b_year = int(baseline if baseline is not None else policy.growth.baseline_year)
    for y in (b_year, int(year)):
        results.require_results(store, y)
    if zone:
        results.check_zone_code(store, zone)
        scope = [zone] if zones is None or zone in zones else []
        level, code = "zone", zone
    elif pilot_area:
        results.check_pilot_area_code(store, pilot_area)
        zt = store.read("zones", where={"pilot_area_code": pilot_area}, columns=["zone_code"], geometry=False)
        scope = [z for z in zt["zone_code"] if zones is None or z in zones]
        level, code = "pilot_area", pilot_area
    else:
        scope, level, code = zones, "province", PROVINCE
    if scope == []:
        raise LanduseError(t("无权查看该区域", "not an area you may see"))
    pr0 = results.read_layer(store, "parcel_results", year=b_year, zones=scope, with_geometry=False, columns=PR_COLS)
    pr1 = results.read_layer(store, "parcel_results", year=int(year), zones=scope, with_geometry=False, columns=PR_COLS)
    p = parcel_frame(pr0, pr1)
    b = bridge(p)
    g = policy.growth
    span = g.target_year - g.baseline_year
    tt = (int(year) - b_year) / span if span else 1.0
    factor = (1 + g.target_growth) ** tt if g.path != "linear" else 1 + g.target_growth * tt
    v0 = b["v0"]
    expected = v0 * factor if not math.isnan(v0) else math.nan
    target = v0 * (1 + g.target_growth) if not math.isnan(v0) else math.nan
    c = contributions(p, b)
    names = pd.concat([pr0[["holder_uscc", "holder_name"]], pr1[["holder_uscc", "holder_name"]]]).dropna(
        subset=["holder_uscc"]).drop_duplicates("holder_uscc").set_index("holder_uscc")["holder_name"]
    c["holder"] = c["h1"].where(c["h1"].notna(), c["h0"])
    c["holder_name"] = c["holder"].map(names)
    firms = (c.dropna(subset=["holder"]).groupby("holder").agg(contribution=("contribution", "sum"),
                                                               r0=("r0", "sum"), r1=("r1", "sum"),
                                                               parcels=("parcel_code", "count"))
             .reset_index())
    firms["holder_name"] = firms["holder"].map(names)
    firms = firms.reindex(firms["contribution"].abs().sort_values(ascending=False).index).head(top)
    # the stored figures of the two years, side by side
    side = []
    if level != "province":
        layer = "zone_results" if level == "zone" else "pilot_area_results"
        key = "zone_code" if level == "zone" else "pilot_area_code"
        for y in (b_year, int(year)):
            df = results.read_layer(store, layer, year=y, with_geometry=False, zones=scope if level == "zone" else None)
            df = df[df[key] == code]
            side.append(df.iloc[0].to_dict() if len(df) else {})
    # the path runs from the policy's baseline: take it from the stored figures of the year when there
    if len(side) == 2 and side[1]:
        exp_s, base_s = side[1].get("expected_revenue_per_mu"), side[1].get("baseline_revenue_per_mu")
        if exp_s is not None and not pd.isna(exp_s):
            expected = float(exp_s)
        if base_s is not None and not pd.isna(base_s):
            target = float(base_s) * (1 + g.target_growth)
    gap = gap_to_path(b["v1"], b["a1"], b["r1"], expected=expected, target=target)
    return {"level": level, "code": code, "baseline": b_year, "year": int(year), "bridge": b, "gap": gap,
            "terms": list(BRIDGE_TERMS), "parcels": c.head(top), "firms": firms, "stored": side,
            "version": {y: results.shown_version(store, y) for y in (b_year, int(year))}}
