"""The ranked target list of inefficient/idle parcels (docs/domain.md §1, §7). Pure.

Per parcel (and year) its flags are summarised: ``gain_mu`` = the largest gain_mu of its flags
(the same land cannot be freed twice), ``gain_wan`` = the largest gain_wan (the same revenue gap),
missing gains count as 0.

Priority (1 = act first), within a year (and within the zone when ``zone`` is given):

1. ``max_severity`` descending;
2. then ``priority_key`` = gain_mu × the zone's median revenue_per_mu + gain_wan, descending
   (万元: land freed is valued at what the zone's median parcel earns on it);
3. then ``parcel_code`` ascending (a stable, reproducible order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evaluation.rules import zone_median_revenue_per_mu
from evaluation.standard_land import object_strings
from landuse.core.policy import Policy

__all__ = ["target_list", "flag_summary", "apply_flag_summary", "TARGET_COLUMNS"]

TARGET_COLUMNS = [
    "priority",
    "parcel_code",
    "zone_code",
    "year",
    "holder_uscc",
    "holder_name",
    "stage",
    "area_mu",
    "revenue_per_mu",
    "tax_per_mu",
    "value_added_per_mu",
    "investment_per_mu",
    "far",
    "building_coverage",
    "rules",
    "reasons",
    "max_severity",
    "flag_count",
    "evidence",
    "actions",
    "gain_mu",
    "gain_wan",
    "priority_key",
    "policy_version",
    "policy_hash",
]


def _join(values) -> str:
    """Join distinct non-empty strings in order of first appearance."""
    return "；".join(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def flag_summary(parcel_results: pd.DataFrame, flags: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """One row per flagged (year, parcel_code): rules, reasons, evidence, actions, counts, gains,
    ``priority_key`` and ``priority`` (ranked within the year, see the module docstring).
    ``text=False``: reasons, evidence and actions left empty (what :func:`apply_flag_summary` needs)."""
    cols = [
        "year",
        "parcel_code",
        "zone_code",
        "rules",
        "reasons",
        "max_severity",
        "flag_count",
        "evidence",
        "actions",
        "gain_mu",
        "gain_wan",
        "priority_key",
        "priority",
    ]
    if flags is None or flags.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    f = flags.reset_index(drop=True)
    f = f.assign(year=f["year"].astype("Int64"), _pos=np.arange(len(f)))
    f = f.sort_values(["year", "parcel_code", "_pos"], kind="mergesort")
    g = f.groupby(["year", "parcel_code"], sort=True)
    s = pd.DataFrame(
        {
            "zone_code": g["zone_code"].first(),
            "max_severity": g["severity"].max().astype("Int64"),
            "flag_count": g["rule"].size().astype("Int64"),
            "gain_mu": g["gain_mu"].max().fillna(0.0).astype(float),
            "gain_wan": g["gain_wan"].max().fillna(0.0).astype(float),
        }
    ).reset_index()
    # text columns: over each group's run of the sorted rows (groupby.agg with Python joins is far slower)
    gid = g.ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    runs = list(zip(starts, np.r_[starts[1:], len(gid)]))

    def joined(values: np.ndarray, join: Callable[[Any], str]) -> list[str]:
        return [join(values[a:b]) for a, b in runs]

    s["rules"] = joined(f["rule"].to_numpy(dtype=object), ",".join)
    if text:
        label = f["label"].to_numpy(dtype=object)
        tagged = np.array([f"【{lb}】{ev}" if isinstance(ev, str) and ev else f"【{lb}】"
                           for lb, ev in zip(label, f["evidence"].to_numpy(dtype=object))], dtype=object)
        s["reasons"] = joined(label, _join)
        s["evidence"] = joined(tagged, _join)
        s["actions"] = joined(f["action"].to_numpy(dtype=object), _join)
    else:
        s["reasons"] = s["evidence"] = s["actions"] = None
    # zone medians per year
    med_parts = []
    for yr, rows in parcel_results.groupby(parcel_results["year"].astype("Int64")):
        m = zone_median_revenue_per_mu(rows)
        med_parts.append(pd.DataFrame({"year": yr, "zone_code": m.index, "zone_median": m.to_numpy()}))
    if med_parts:
        med = pd.concat(med_parts, ignore_index=True)
        med["year"] = med["year"].astype("Int64")
        s = s.merge(med, on=["year", "zone_code"], how="left")
    else:
        s["zone_median"] = np.nan
    s["priority_key"] = s["gain_mu"] * s["zone_median"].fillna(0.0) + s["gain_wan"]
    s = s.drop(columns="zone_median")
    s["priority"] = _rank(s)
    return object_strings(s[cols].copy())


def _rank(s: pd.DataFrame) -> pd.Series:
    order = s.sort_values(
        ["year", "max_severity", "priority_key", "parcel_code"],
        ascending=[True, False, False, True],
        kind="mergesort",
    )
    pri = order.groupby("year").cumcount() + 1
    return pri.reindex(s.index).astype("Int64")


def target_list(
    parcel_results: pd.DataFrame, flags: pd.DataFrame, *, policy: Policy | None = None,
    zone: str | None = None,
) -> pd.DataFrame:
    """One row per flagged parcel (and year), ranked by ``priority``; columns ``TARGET_COLUMNS``
    (those parcel_results lacks are left empty). With ``zone`` only that zone's parcels, ranked
    within it. ``policy`` fills policy_version/hash when the flags do not carry them."""
    s = flag_summary(parcel_results, flags)
    if zone is not None:
        s = s[s["zone_code"] == zone].copy()
        s["priority"] = _rank(s)
    pr = parcel_results.copy()
    pr["year"] = pr["year"].astype("Int64")
    keep = [c for c in TARGET_COLUMNS if c in pr.columns and c not in s.columns]
    out = s.merge(
        pr[["year", "parcel_code", *keep]].drop_duplicates(["year", "parcel_code"]),
        on=["year", "parcel_code"],
        how="left",
    )
    if flags is not None and not flags.empty and {"policy_version", "policy_hash"} <= set(flags.columns):
        pv = flags.groupby(["year", "parcel_code"])[["policy_version", "policy_hash"]].first().reset_index()
        pv["year"] = pv["year"].astype("Int64")
        out = out.drop(columns=[c for c in ("policy_version", "policy_hash") if c in out.columns])
        out = out.merge(pv, on=["year", "parcel_code"], how="left")
    for c in TARGET_COLUMNS:
        if c not in out.columns:
            out[c] = None
    if policy is not None:
        out["policy_version"] = out["policy_version"].fillna(policy.version)
        out["policy_hash"] = out["policy_hash"].fillna(policy.hash)
    out = out.sort_values(["year", "priority"], kind="mergesort").reset_index(drop=True)
    return object_strings(out[TARGET_COLUMNS].copy())


def apply_flag_summary(parcel_results: pd.DataFrame, flags: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
    """A copy of ``parcel_results`` with the per-parcel flag columns filled: ``flags`` (comma-joined
    rule codes, None when unflagged), ``flag_count`` (0), ``max_severity`` (NA), ``priority`` (NA),
    ``gain_mu`` and ``gain_wan`` (0.0 when unflagged). ``copy=False``: filled in place (a caller's
    own frame) and returned."""
    out = parcel_results.copy() if copy else parcel_results
    s = flag_summary(parcel_results, flags, text=False)
    years = pd.unique(out["year"].astype("Int64"))
    if len(years) == 1 and not pd.isna(years[0]):  # one year (an evaluation's): by parcel alone
        s = s[s["year"].astype("Int64") == years[0]].set_index("parcel_code")
        key = out["parcel_code"]
    else:
        key = pd.MultiIndex.from_arrays([out["year"].astype("Int64"), out["parcel_code"]])
        s = s.set_index(["year", "parcel_code"])
    s = s[~s.index.duplicated()]
    r = s.reindex(key)
    out["flags"] = pd.Series(
        [v if isinstance(v, str) else None for v in r["rules"]], index=out.index, dtype=object
    )
    out["flag_count"] = pd.array(r["flag_count"].fillna(0).to_numpy(), dtype="Int64")
    out["max_severity"] = pd.array(r["max_severity"].to_numpy(), dtype="Int64")
    out["priority"] = pd.array(r["priority"].to_numpy(), dtype="Int64")
    out["gain_mu"] = r["gain_mu"].astype(float).fillna(0.0).to_numpy()
    out["gain_wan"] = r["gain_wan"].astype(float).fillna(0.0).to_numpy()
    return out
