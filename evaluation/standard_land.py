"""Standard-land (标准地) life-cycle checks (docs/domain.md §10). Pure: frames in, frames out.

For every standard-land parcel and every check of ``policy.standard_land.check``:

- completion acceptance (phase ``acceptance``) falls due on ``completion_date``;
- the full-production review (phase ``review``) falls due ``review_delay_years`` after it
  (whole months: 2 years = 24 months after the completion date).

Status at ``as_of``: ``not_due`` (no completion date, or the due date is after ``as_of``), ``due``
(due, but the actual value or the commitment is missing so it cannot be judged), ``passed`` or
``failed``. Shortfall (fraction): ``ge`` checks (committed − actual) / committed; ``le`` checks
(actual − limit) / limit; 0 when passed. A failed check gets the consequence of the first
``standard_land.band`` whose ``below`` exceeds its shortfall (the last band takes the rest).

Completion acceptance is a one-off check (``acceptance_once``): judged on the parcel's own figures
(derived actuals: ``parcel_investment_per_mu`` = the parcel's ``invested_wan`` / its area, never
the firm's cumulative investment spread over all its land; ``building_coefficient`` = 建筑系数 with
structures and yards, or the footprint-only 建筑密度 labelled so, which is not judged on
yard-dependent parcels; ``office_share``), and in the years after the completion year the row
carries the recorded result with ``recorded`` true. Review checks are judged every year once due.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evaluation.indicators import building_coefficient, yard_dependent
from landuse.core.policy import Policy
from landuse.core.units import M2_PER_MU

__all__ = ["standard_land_checks", "CHECK_COLUMNS", "fmt_num", "fmt_pct", "object_strings"]

CHECK_COLUMNS = [
    "parcel_code",
    "zone_code",
    "year",
    "check",
    "phase",
    "label",
    "due_date",
    "status",
    "actual",
    "committed",
    "op",
    "shortfall",
    "consequence",
    "evidence",
    "recorded",
]

#: columns shown as percentages in evidence strings
PERCENT_COLUMNS = {"building_coverage", "building_coefficient", "office_share", "built_up_share", "rd_share"}


def object_strings(df: pd.DataFrame) -> pd.DataFrame:
    """String columns as object dtype with None for missing (the store's convention; pandas 3
    would otherwise infer its ``str`` dtype). Modifies and returns ``df`` (a frame we built)."""
    for c in df.columns:
        if isinstance(df[c].dtype, pd.StringDtype) or df[c].dtype == object:
            col = df[c].astype(object)
            df[c] = pd.Series(np.where(col.isna(), None, col), index=df.index, dtype=object)
    return df


def fmt_num(x: float) -> str:
    """A readable number: 2 decimals, trailing zeros dropped but one kept (1.0, 0.62, 12.35)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{float(x):.2f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def fmt_pct(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{100 * float(x):.1f}".rstrip("0").rstrip(".")
    return f"{s}%"


def fmt_value(column: str, x: float) -> str:
    return fmt_pct(x) if column in PERCENT_COLUMNS else fmt_num(x)


def year_rows(parcel_results: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``year``, the first of each parcel code; a year's own results (every row of the
    year, each code once) as they are, without a filtered copy."""
    pr = parcel_results
    if "year" in pr.columns:
        of_year = (pr["year"].astype("Int64") == year).to_numpy(dtype=bool, na_value=False)
        if not of_year.all():
            pr = pr[of_year]
    again = pr["parcel_code"].duplicated().to_numpy()
    if again.any():
        pr = pr[~again]
    return pr


def _year_rows(parcel_results: pd.DataFrame, year: int) -> pd.DataFrame:
    return year_rows(parcel_results, year).set_index("parcel_code")


def _bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _band(shortfall: np.ndarray, bands) -> list[str | None]:
    out: list[str | None] = []
    for sf in shortfall:
        if not np.isfinite(sf):
            out.append(None)
            continue
        for b in bands:
            if b.below is None or sf < b.below:
                out.append(b.consequence_zh)
                break
        else:  # pragma: no cover - the policy validator guarantees a last open band
            out.append(None)
    return out


def standard_land_checks(
    parcels: pd.DataFrame, parcel_results: pd.DataFrame, *, year: int, as_of=None, policy: Policy,
    industry: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per (standard-land parcel, check) with columns ``CHECK_COLUMNS``.

    ``parcels`` is the parcels input layer (standard_land, completion_date, commit_*, invested_wan,
    footprint_area_m2, structures_yard_area_m2 and office_area_m2); ``parcel_results`` holds the
    evaluated figures (rows of other years ignored). ``as_of`` defaults to the end of ``year``.
    ``industry``: parcel_code → the holder's GB/T 4754 code (for yard-dependent industries).
    """
    pol = policy.standard_land
    as_of = pd.Timestamp(f"{year}-12-31") if as_of is None else pd.Timestamp(as_of)
    if "standard_land" not in parcels.columns or not pol.check:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CHECK_COLUMNS})
    sl = parcels[_bool(parcels["standard_land"])].drop_duplicates("parcel_code").set_index("parcel_code")
    pr = _year_rows(parcel_results, year).reindex(sl.index)

    completion = pd.to_datetime(sl.get("completion_date", pd.Series(pd.NaT, index=sl.index)))
    months = int(round(pol.review_delay_years * 12))
    review_due = completion + pd.DateOffset(months=months)

    # area for the office share: evaluated area, else registered, else geodesic
    area_m2 = pr["area_mu"] * M2_PER_MU if "area_mu" in pr.columns else pd.Series(np.nan, index=sl.index)
    for alt in ("registered_area_m2", "geodesic_area_m2"):
        if alt in sl.columns:
            area_m2 = area_m2.fillna(sl[alt])
    derived = {}
    if "office_area_m2" in sl.columns:
        derived["office_share"] = sl["office_area_m2"] / area_m2.where(area_m2 > 0)
    area_mu = area_m2 / M2_PER_MU
    derived["parcel_investment_per_mu"] = (
        pd.to_numeric(sl["invested_wan"], errors="coerce").astype(float) / area_mu.where(area_mu > 0)
        if "invested_wan" in sl.columns else pd.Series(np.nan, index=sl.index)
    )

    def snum(c: str) -> pd.Series:
        return pd.to_numeric(sl[c], errors="coerce").astype(float) if c in sl.columns else pd.Series(np.nan, index=sl.index)

    cov = building_coefficient(area_mu, snum("footprint_area_m2"), snum("structures_yard_area_m2"),
                               density=pd.to_numeric(pr["building_coverage"], errors="coerce").astype(float)
                               if "building_coverage" in pr.columns else None)
    derived["building_coefficient"] = cov["value"]
    ind = industry.reindex(sl.index) if industry is not None else pd.Series(None, index=sl.index, dtype=object)
    ycol = (lambda c: sl[c] if c in sl.columns else pd.Series(None, index=sl.index, dtype=object))
    density_only = ((cov["basis"] == "density")
                    & yard_dependent(ycol("land_use_code"), ycol("land_use_scheme"), ind, policy.land))
    density_label = (cov["basis"] == "density").to_numpy()

    zone = pr["zone_code"] if "zone_code" in pr.columns else pd.Series(None, index=sl.index, dtype=object)
    if "zone_code" in sl.columns:
        zone = zone.fillna(sl["zone_code"])

    parts = []
    for chk in pol.check:
        if chk.actual in derived:
            actual = derived[chk.actual]
        elif chk.actual in pr.columns:
            actual = pr[chk.actual]
        elif chk.actual in sl.columns:
            actual = sl[chk.actual]
        else:
            actual = pd.Series(np.nan, index=sl.index)
        actual = pd.to_numeric(actual, errors="coerce").astype(float)
        if chk.committed is not None:
            target = (
                pd.to_numeric(sl[chk.committed], errors="coerce").astype(float)
                if chk.committed in sl.columns
                else pd.Series(np.nan, index=sl.index)
            )
        else:
            target = pd.Series(float(chk.limit) if chk.limit is not None else np.nan, index=sl.index)
        due = completion if chk.phase == "acceptance" else review_due
        is_due = due.notna() & (due <= as_of)
        coverage_check = chk.actual == "building_coefficient"
        if coverage_check:  # 建筑密度 alone says nothing on yard-dependent land: not judged
            actual = actual.where(~density_only)
        judgeable = is_due & actual.notna() & target.notna()
        recorded = (is_due & (due.dt.year < as_of.year)).to_numpy() if (
            chk.phase == "acceptance" and pol.acceptance_once) else np.zeros(len(sl), dtype=bool)
        a, t = actual.to_numpy(), target.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            if chk.op == "ge":
                ok = a >= t - 1e-9
                sf = np.where(t > 0, (t - a) / t, np.where(a >= t, 0.0, 1.0))
            else:
                ok = a <= t + 1e-9
                sf = np.where(t > 0, (a - t) / t, np.where(a <= t, 0.0, 1.0))
        sf = np.where(ok, 0.0, np.clip(sf, 0.0, None))
        status = np.where(
            ~is_due.to_numpy(),
            "not_due",
            np.where(~judgeable.to_numpy(), "due", np.where(ok, "passed", "failed")),
        )
        shortfall = np.where(judgeable.to_numpy(), sf, np.nan)
        consequence = _band(np.where(status == "failed", shortfall, np.nan), pol.band)
        target_word = "承诺" if chk.committed is not None else "要求"
        cmp_fail = "<" if chk.op == "ge" else ">"
        cmp_ok = "≥" if chk.op == "ge" else "≤"
        evidence: list[str | None] = [None] * len(status)
        due_arr = due.to_numpy()
        density_only_arr = density_only.to_numpy(dtype=bool)
        for k in np.flatnonzero(status != "not_due"):  # no evidence before the check is due
            st, av, tv, s = status[k], a[k], t[k], shortfall[k]
            lbl = chk.label_zh
            if coverage_check and density_label[k]:
                lbl = "建筑密度(仅建筑基底)"
            if st in ("passed", "failed"):
                sym = cmp_ok if st == "passed" else cmp_fail
                text = f"{lbl} {fmt_value(chk.actual, av)} {sym} {target_word} {fmt_value(chk.actual, tv)}"
                if st == "failed":
                    text += f"（差 {fmt_pct(s)}）"
                if recorded[k]:
                    text += f"（{pd.Timestamp(due_arr[k]):%Y-%m-%d}竣工验收记录）"
                evidence[k] = text
            elif st == "due":
                if coverage_check and density_only_arr[k]:
                    missing = "构筑物、露天堆场和操作场地面积"
                elif chk.actual == "parcel_investment_per_mu" and not np.isfinite(av):
                    missing = "宗地已完成投资"
                else:
                    missing = "实际值" if not np.isfinite(av) else f"{target_word}值"
                evidence[k] = f"{chk.label_zh}：已到期，缺{missing}，无法判定"
        parts.append(
            pd.DataFrame(
                {
                    "parcel_code": sl.index.to_numpy(),
                    "zone_code": zone.to_numpy(),
                    "year": year,
                    "check": chk.code,
                    "phase": chk.phase,
                    "label": chk.label_zh,
                    "due_date": due.to_numpy(),
                    "status": status,
                    "actual": a,
                    "committed": t,
                    "op": chk.op,
                    "shortfall": shortfall,
                    "consequence": consequence,
                    "evidence": evidence,
                    "recorded": recorded,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CHECK_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["due_date"] = pd.to_datetime(out["due_date"])
    order = {c.code: i for i, c in enumerate(pol.check)}
    out = out.sort_values(
        ["parcel_code", "check"], key=lambda s: s.map(order) if s.name == "check" else s, kind="stable"
    ).reset_index(drop=True)
    return object_strings(out[CHECK_COLUMNS].copy())
