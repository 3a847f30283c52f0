"""The +15 % check of per-mu revenue on developed land (docs/domain.md §2, §5; seed 二).

For each area (zone, pilot area, province), with ``B`` = baseline year, ``T`` = target year,
``g`` = target growth, ``R`` = Σ revenue and ``A`` = Σ developed industrial mu (each year with its
own developed area), ``v = R / A``:

- ``growth = v_Y / v_B − 1``; ``goal_met = growth ≥ g`` (reported for every year; it is the
  assessment in and after the target year). Compared as ``v_Y ≥ v_B·(1+g)`` with a relative
  tolerance of 1e-9 so that exactly +15 % (e.g. 100 → 115) is met despite floating point.
- ``expected_revenue_per_mu``: constant growth ``v_B·(1+g)^((Y−B)/(T−B))``, or linear
  ``v_B·(1 + g·(Y−B)/(T−B))`` (``policy.growth.path``); ``on_track = v_Y ≥ expected ×
  on_track_tolerance`` (same tolerance).
- ``like_for_like_growth``: the same ratio of sums restricted to the parcels developed in both years.
- Log-ratio decomposition: ``ln(v_Y/v_B) = ln(R_Y/R_B) − ln(A_Y/A_B)``. ``revenue_growth_part =
  ln(R_Y/R_B)`` (positive when revenue grew), ``area_growth_part = −ln(A_Y/A_B)`` (negative when the
  developed area grew: more land dilutes the per-mu figure). They sum to ``ln(1 + growth)``. NaN when
  any of the four sums is not positive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.indicators import ratio
from landuse.core.policy import GrowthPolicy

REL_TOL = 1e-9


def expected_path(baseline: pd.Series, *, year: int, baseline_year: int, target_year: int,
                  target_growth: float, path: str = "constant") -> pd.Series:
    """Expected per-mu revenue in ``year`` on the path from the baseline to the target."""
    span = target_year - baseline_year
    t = (year - baseline_year) / span if span else 1.0
    if path == "linear":
        factor = 1.0 + target_growth * t
    else:
        factor = (1.0 + target_growth) ** t
    return baseline * factor


def _geq(a: pd.Series, b: pd.Series) -> pd.Series:
    a = a.astype("float64")
    b = b.astype("float64")
    ok = a >= b * (1.0 - REL_TOL) - 1e-12
    out = pd.Series(ok.to_numpy(), index=a.index).astype("boolean")
    out[(a.isna() | b.isna()).to_numpy()] = pd.NA
    return out


def _den(frame: pd.DataFrame) -> pd.Series:
    """The denominator of revenue per mu: the reported developed land when known, else all of it."""
    col = "reported_mu" if "reported_mu" in frame.columns else "developed_mu"
    return frame[col].astype("float64")


def growth_table(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    *,
    year: int,
    policy: GrowthPolicy,
    like_current: pd.DataFrame | None = None,
    like_baseline: pd.DataFrame | None = None,
    coverage_threshold: float | None = None,
) -> pd.DataFrame:
    """Growth columns for each area (rows of ``current``).

    ``current`` / ``baseline``: per area ``revenue_wan`` and ``reported_mu`` (developed land whose
    users reported; ``developed_mu`` when absent) of the evaluated and baseline years, and
    ``revenue_coverage``. ``like_current`` / ``like_baseline``: the same sums over the parcels
    developed in both years. A unit whose coverage this year or in the baseline year is below
    ``coverage_threshold`` is ``provisional``: it neither meets nor misses (goal_met, on_track empty).
    """
    idx = current.index
    base = baseline.reindex(idx)
    r_y = current["revenue_wan"].astype("float64")
    a_y = _den(current)
    r_b = base["revenue_wan"].astype("float64")
    a_b = _den(base)
    v_y = ratio(r_y, a_y)
    v_b = ratio(r_b, a_b)
    g = float(policy.target_growth)
    growth = ratio(v_y, v_b) - 1.0
    expected = expected_path(
        v_b, year=year, baseline_year=policy.baseline_year, target_year=policy.target_year,
        target_growth=g, path=policy.path,
    )
    if like_current is not None and like_baseline is not None:
        lc = like_current.reindex(idx)
        lb = like_baseline.reindex(idx)
        lfl = ratio(ratio(lc["revenue_wan"], _den(lc)), ratio(lb["revenue_wan"], _den(lb))) - 1.0
    else:
        lfl = pd.Series(np.nan, index=idx)
    with np.errstate(invalid="ignore", divide="ignore"):
        rev_part = np.log(ratio(r_y, r_b))
        area_part = -np.log(ratio(a_y, a_b))
        both = (r_y > 0) & (r_b > 0) & (a_y > 0) & (a_b > 0)
    cov = current["revenue_coverage"].astype("float64") if "revenue_coverage" in current.columns \
        else pd.Series(np.nan, index=idx)
    cov_b = base["revenue_coverage"].astype("float64") if "revenue_coverage" in base.columns \
        else pd.Series(np.nan, index=idx)
    thin = ((cov < coverage_threshold) | (cov_b < coverage_threshold)) if coverage_threshold is not None \
        else pd.Series(False, index=idx)
    met = _geq(v_y, v_b * (1.0 + g))
    on_track = _geq(v_y, expected * float(policy.on_track_tolerance))
    met[thin.to_numpy()] = pd.NA
    on_track[thin.to_numpy()] = pd.NA
    return pd.DataFrame(
        {
            "baseline_year": pd.array([policy.baseline_year] * len(idx), dtype="Int64"),
            "baseline_revenue_per_mu": v_b.to_numpy(),
            "growth": growth.to_numpy(),
            "target_growth": g,
            "goal_met": met.array,
            "expected_revenue_per_mu": expected.to_numpy(),
            "on_track": on_track.array,
            "baseline_revenue_coverage": cov_b.to_numpy(),
            "provisional": pd.array(thin.to_numpy(dtype=bool), dtype="boolean"),
            "like_for_like_growth": np.asarray(lfl, dtype="float64"),
            "revenue_growth_part": np.where(both, rev_part, np.nan),
            "area_growth_part": np.where(both, area_part, np.nan) + 0.0,
        },
        index=idx,
    )
