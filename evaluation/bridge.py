"""Why an area's revenue per mu moved between two years: a bridge that sums exactly to the change.

Revenue per mu of an area is ``V = R / A`` with ``R`` = Σ ``revenue_wan`` and ``A`` = Σ
``reported_mu`` over its developed parcels (the zone figure of docs/domain.md §2). For a baseline
year 0 and a current year 1 the parcels fall into: *kept* (developed in both), *new* (developed in
year 1 only: newly developed land) and *taken back* (developed in year 0 only: land taken back,
收回, or no longer developed). A parcel's firm is its land-right holder (``holder_uscc``); on a kept
parcel whose holder changed, the old holder left and the new one arrived.

The bridge moves revenue first, on the baseline land, then the land::

    firms_both     = Σ_kept,same holder (r1 − r0) / A0
    firms_left     = −(Σ_taken back r0 + Σ_kept,holder changed r0) / A0
    firms_arrived  = (Σ_new r1 + Σ_kept,holder changed r1) / A0
    new_land       = R1 / (A0 + N) − R1 / A0               (N = Σ_new a1: dilutes the average)
    land_taken     = R1 / (A0 + N − T) − R1 / (A0 + N)      (T = Σ_taken back a0)
    reported_land  = R1 / A1 − R1 / (A0 + N − T)            (reported land of kept parcels changed)

The revenue terms sum to (R1 − R0)/A0 and the land terms telescope to R1/A1 − R1/A0, so the six
sum to V1 − V0 (up to floating point; the property test checks it). Missing revenue is not zero:
parcels without a reported figure have no ``reported_mu`` and so are in neither sum.

Pure: frames in, frames out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["BRIDGE_TERMS", "parcel_frame", "bridge", "contributions", "gap_to_path"]

BRIDGE_TERMS = ("firms_both", "firms_left", "firms_arrived", "new_land", "land_taken", "reported_land")


def parcel_frame(pr0: pd.DataFrame, pr1: pd.DataFrame) -> pd.DataFrame:
    """One row per parcel developed in either year: ``r0, a0, h0`` (revenue, reported mu, holder in
    the baseline) and ``r1, a1, h1``, ``zone_code`` and ``category`` (kept_same / kept_changed /
    new / taken_back)."""
    def dev(pr: pd.DataFrame) -> pd.DataFrame:
        d = pr[pr["developed"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
        return pd.DataFrame({"parcel_code": d["parcel_code"].to_numpy(), "zone_code": d["zone_code"].to_numpy(),
                             "r": pd.to_numeric(d["revenue_wan"], errors="coerce").fillna(0.0).to_numpy(float),
                             "a": pd.to_numeric(d["reported_mu"], errors="coerce").fillna(0.0).to_numpy(float),
                             "h": d["holder_uscc"].astype(object).to_numpy()}).drop_duplicates("parcel_code")

    d0, d1 = dev(pr0), dev(pr1)
    m = d0.merge(d1, on="parcel_code", how="outer", suffixes=("0", "1"))
    m["zone_code"] = m["zone_code1"].where(m["zone_code1"].notna(), m["zone_code0"])
    in0, in1 = m["r0"].notna().to_numpy(), m["r1"].notna().to_numpy()
    for c in ("r0", "a0", "r1", "a1"):
        m[c] = m[c].astype("float64").fillna(0.0)
    same = (m["h0"].astype(object).fillna("\x00") == m["h1"].astype(object).fillna("\x00")).to_numpy()
    m["category"] = np.select([in0 & in1 & same, in0 & in1, in1], ["kept_same", "kept_changed", "new"],
                              default="taken_back")
    return m[["parcel_code", "zone_code", "category", "h0", "r0", "a0", "h1", "r1", "a1"]]


def bridge(parcels: pd.DataFrame) -> dict[str, float]:
    """The bridge of one area from :func:`parcel_frame` rows: ``v0``, ``v1``, ``change``, the six
    terms (``BRIDGE_TERMS``) and the sums ``r0, a0, r1, a1``; NaN terms when A0 or A1 is 0."""
    p = parcels
    cat = p["category"].to_numpy()
    r0, a0, r1, a1 = (p[c].to_numpy(dtype="float64") for c in ("r0", "a0", "r1", "a1"))
    R0, A0, R1, A1 = (math.fsum(x) for x in (r0, a0, r1, a1))
    out: dict[str, float] = {"r0": R0, "a0": A0, "r1": R1, "a1": A1}
    if A0 <= 0 or A1 <= 0:
        out.update({"v0": R0 / A0 if A0 > 0 else math.nan, "v1": R1 / A1 if A1 > 0 else math.nan,
                    "change": math.nan, **{k: math.nan for k in BRIDGE_TERMS}})
        return out
    same, changed, new, taken = (cat == "kept_same"), (cat == "kept_changed"), (cat == "new"), (cat == "taken_back")
    N = math.fsum(a1[new])
    T = math.fsum(a0[taken])
    out["v0"], out["v1"] = R0 / A0, R1 / A1
    out["change"] = out["v1"] - out["v0"]
    out["firms_both"] = math.fsum(r1[same] - r0[same]) / A0
    out["firms_left"] = -(math.fsum(r0[taken]) + math.fsum(r0[changed])) / A0
    out["firms_arrived"] = (math.fsum(r1[new]) + math.fsum(r1[changed])) / A0
    out["new_land"] = R1 / (A0 + N) - R1 / A0
    a_after_taken = A0 + N - T
    if a_after_taken > 0:
        out["land_taken"] = R1 / a_after_taken - R1 / (A0 + N)
        out["reported_land"] = R1 / A1 - R1 / a_after_taken
    else:  # every baseline parcel taken back and no new land: no meaningful middle step
        out["land_taken"] = R1 / A1 - R1 / (A0 + N)
        out["reported_land"] = 0.0
    return out


def contributions(parcels: pd.DataFrame, b: dict[str, float]) -> pd.DataFrame:
    """Each parcel's share of the bridge (万元/亩): its revenue change over A0, plus, for new and
    taken-back land, its area share of ``new_land`` / ``land_taken``. Sorted by absolute size."""
    p = parcels.copy()
    A0 = b["a0"]
    if not A0 or A0 <= 0 or math.isnan(b.get("change", math.nan)):
        p["contribution"] = np.nan
        return p
    p["revenue_part"] = (p["r1"] - p["r0"]) / A0
    N = p.loc[p["category"] == "new", "a1"].sum()
    T = p.loc[p["category"] == "taken_back", "a0"].sum()
    land = np.zeros(len(p))
    if N > 0:
        land += np.where(p["category"] == "new", b["new_land"] * p["a1"] / N, 0.0)
    if T > 0:
        land += np.where(p["category"] == "taken_back", b["land_taken"] * p["a0"] / T, 0.0)
    p["land_part"] = land
    p["contribution"] = p["revenue_part"] + p["land_part"]
    return p.reindex(p["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def gap_to_path(v1: float, a1: float, r1: float, expected: float, target: float) -> dict[str, float]:
    """The gap to the +15 % path: ``gap_per_mu`` = V1 − the path value of the year (negative: behind),
    ``revenue_needed_wan`` = revenue that would put the area on the path on its current land
    (0 when on it); the same against the target value (V0·(1+g)): ``target_gap_per_mu``,
    ``target_revenue_needed_wan``."""
    def need(v: float) -> float:
        return max(v * a1 - r1, 0.0) if not (math.isnan(v) or math.isnan(a1)) else math.nan

    return {"expected": expected, "gap_per_mu": v1 - expected, "revenue_needed_wan": need(expected),
            "target": target, "target_gap_per_mu": v1 - target, "target_revenue_needed_wan": need(target)}
