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
from landuse.core.labels import BRIDGE_LABELS, t
from landuse.core.policy import Policy
from landuse.services import results
from parcels.store.base import Store

__all__ = ["compare", "bridge_table", "BRIDGE_ZH", "BRIDGE_TABLE_COLUMNS"]

BRIDGE_ZH = {k: BRIDGE_LABELS[k] for k in BRIDGE_TERMS}
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
        zy = results.read_layer(store, "zone_results", year=int(year), with_geometry=False,
                                columns=["zone_code", "pilot_area_code"])  # the zones it manages in ``year``
        scope = [z for z in zy.loc[zy["pilot_area_code"] == pilot_area, "zone_code"] if zones is None or z in zones]
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


BRIDGE_TABLE_COLUMNS = ["level", "code", "name", "baseline_year", "year", "v0", "v1", "change", *BRIDGE_TERMS,
                        "expected", "gap_per_mu", "revenue_needed_wan", "target", "target_gap_per_mu",
                        "target_revenue_needed_wan"]


def bridge_table(store: Store, *, policy: Policy, year: int, baseline: int | None = None,
                 zones: list[str] | None = None) -> pd.DataFrame:
    """The bridge and the gap of every zone, pilot area and the province total (rows in that order)
    between ``baseline`` (default the policy's) and ``year``; empty when either year has no results."""
    b_year = int(baseline if baseline is not None else policy.growth.baseline_year)
    have = set(results.result_years(store))
    if b_year not in have or int(year) not in have:
        return pd.DataFrame(columns=BRIDGE_TABLE_COLUMNS)
    pr0 = results.read_layer(store, "parcel_results", year=b_year, zones=zones, with_geometry=False, columns=PR_COLS)
    pr1 = results.read_layer(store, "parcel_results", year=int(year), zones=zones, with_geometry=False,
                             columns=PR_COLS)
    p = parcel_frame(pr0, pr1)
    zt = store.read("zones", zones=zones, columns=["zone_code", "zone_name", "pilot_area_code", "pilot_area_name"],
                    geometry=False)
    # a pilot area's zones: those it manages directly in ``year`` (zone_results.pilot_area_code), the same
    # zones in both years, as the +15 % check counts them
    zy = results.read_layer(store, "zone_results", year=int(year), zones=zones, with_geometry=False,
                            columns=["zone_code", "pilot_area_code"])
    pa_of = dict(zip(zy["zone_code"], zy["pilot_area_code"], strict=False))
    p["pilot_area_code"] = p["zone_code"].map(pa_of)
    zr = results.read_layer(store, "zone_results", year=int(year), zones=zones, with_geometry=False,
                            columns=["zone_code", "expected_revenue_per_mu", "baseline_revenue_per_mu"]).set_index("zone_code")
    par = results.read_layer(store, "pilot_area_results", year=int(year), with_geometry=False,
                             columns=["pilot_area_code", "expected_revenue_per_mu", "baseline_revenue_per_mu"]
                             ).set_index("pilot_area_code")
    g = policy.growth
    rows = []

    def one(level: str, code: str, name: str, sub: pd.DataFrame, stored: pd.DataFrame) -> None:
        b = bridge(sub)
        exp = stored["expected_revenue_per_mu"].get(code) if code in stored.index else None
        base = stored["baseline_revenue_per_mu"].get(code) if code in stored.index else None
        expected = float(exp) if exp is not None and not pd.isna(exp) else math.nan
        target = float(base) * (1 + g.target_growth) if base is not None and not pd.isna(base) else math.nan
        rows.append({"level": level, "code": code, "name": name, "baseline_year": b_year, "year": int(year),
                     **{k: b[k] for k in ("v0", "v1", "change", *BRIDGE_TERMS)},
                     **gap_to_path(b["v1"], b["a1"], b["r1"], expected=expected, target=target)})

    names = dict(zip(zt["zone_code"], zt["zone_name"], strict=False))
    for z in sorted(zt["zone_code"]):
        one("zone", z, names.get(z) or "", p[p["zone_code"] == z], zr)
    pnames = zt.dropna(subset=["pilot_area_code"]).drop_duplicates("pilot_area_code").set_index(
        "pilot_area_code")["pilot_area_name"]
    for pa in sorted({v for v in pa_of.values() if isinstance(v, str)}):
        one("pilot_area", pa, pnames.get(pa, "") or "", p[p["pilot_area_code"] == pa], par)
    if zones is None:
        one("province", PROVINCE, t("全省", "province"), p, par)
    return pd.DataFrame(rows, columns=BRIDGE_TABLE_COLUMNS)
