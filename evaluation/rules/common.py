"""Helpers shared by the rule kinds and the engine: columns, labels, zone references, thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

from evaluation.standard_land import fmt_num, fmt_pct
from landuse.core.contract import PARCEL_RESULTS, PARCELS

OPS = {
    "lt": (np.less, "<"),
    "le": (np.less_equal, "≤"),
    "gt": (np.greater, ">"),
    "ge": (np.greater_equal, "≥"),
}
_EXTRA_LABELS = {"office_share": "办公用地比例", "built_up_share": "遥感建成比例"}


def label(column: str) -> str:
    """The Chinese label of a parcel_results (or parcels) column, without its unit."""
    try:
        zh = PARCEL_RESULTS.col(column).zh
    except KeyError:
        try:
            zh = PARCELS.col(column).zh
        except KeyError:
            return _EXTRA_LABELS.get(column, column)
    return zh.split("(")[0]


def frac(x: float) -> str:
    f = Fraction(x).limit_denominator(12)
    if abs(float(f) - x) < 1e-9 and f.denominator != 1 and f.numerator == 1:
        return f"{f.numerator}/{f.denominator}"
    return fmt_pct(x) if x < 1 else fmt_num(x)


def as_bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def num(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").astype(float)


def dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[col], errors="coerce")


def developed(pr: pd.DataFrame) -> pd.Series:
    dev = as_bool(pr["developed"]) if "developed" in pr.columns else pd.Series(False, index=pr.index)
    if "industrial" in pr.columns:
        dev &= pr["industrial"].astype("boolean").fillna(True).astype(bool)
    return dev


def supplied(pr: pd.DataFrame) -> pd.Series:
    stage = pr["stage"] if "stage" in pr.columns else pd.Series(None, index=pr.index, dtype=object)
    sup = stage.notna() & (stage != "unsupplied")
    if "industrial" in pr.columns:
        sup &= pr["industrial"].astype("boolean").fillna(True).astype(bool)
    return sup | developed(pr)


def zone_reference(
    pr: pd.DataFrame, developed: pd.Series, column: str, statistic: str, numerator: str | None = None
) -> pd.Series:
    """The zone figure of ``column`` over developed parcels, broadcast to every parcel of ``pr``."""
    d = pr[developed]
    if statistic == "ratio_of_sums":
        numer = numerator or (column.removesuffix("_per_mu") + "_wan")
        if numer not in d.columns:
            raise KeyError(f"ratio_of_sums for {column}: numerator column {numer!r} not in parcel_results")
        sums = pd.DataFrame({"n": num(d, numer).fillna(0.0), "a": num(d, "area_mu"), "z": d["zone_code"]})
        g = sums.groupby("z")[["n", "a"]].sum()
        ref = g["n"] / g["a"].where(g["a"] > 0)
    else:
        v = num(d, column)
        ref = v.groupby(d["zone_code"]).agg(statistic)
    return pr["zone_code"].map(ref).astype(float)


def zone_median_revenue_per_mu(parcel_results: pd.DataFrame) -> pd.Series:
    """zone_code → median revenue_per_mu (missing = 0) of the zone's developed industrial parcels.

    ``parcel_results`` must hold one year (or pass the rows of one year)."""
    pr = parcel_results
    dev = developed(pr)
    rpm = num(pr, "revenue_per_mu").fillna(0.0)
    return rpm[dev].groupby(pr.loc[dev, "zone_code"]).median()


def industry_of_holder(pr: pd.DataFrame, enterprise_results: pd.DataFrame | None,
                       inputs: Mapping[str, pd.DataFrame] | None) -> pd.Series:
    """The GB/T 4754 code of each parcel's holder (enterprise_results, else the enterprises input)."""
    codes = None
    for frame in (enterprise_results, (inputs or {}).get("enterprises")):
        if frame is not None and {"uscc", "industry_code"} <= set(frame.columns):
            m = frame.dropna(subset=["uscc"]).drop_duplicates("uscc").set_index("uscc")["industry_code"]
            s = pr.get("holder_uscc", pd.Series(None, index=pr.index)).map(m)
            codes = s if codes is None else codes.fillna(s)
    return codes if codes is not None else pd.Series(None, index=pr.index, dtype=object)


def digits(code) -> str:
    """The digits of a GB/T 4754 code (section letter dropped): 'C2614' → '2614'."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return ""
    return str(code).strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")


def prefix_lookup(table: dict[str, float], industry: pd.Series) -> pd.Series:
    """The value of the longest code prefix of ``table`` matching each industry code (NaN: none)."""
    chosen = pd.Series(np.nan, index=industry.index)
    if not table:
        return chosen
    items = sorted(((digits(k), v) for k, v in table.items()), key=lambda kv: -len(kv[0]))
    # once per distinct code (a few hundred), not per parcel
    idx, uniq = pd.factorize(industry.astype(object), use_na_sentinel=True)
    vals = np.full(len(uniq) + 1, np.nan)
    for i, code in enumerate(uniq):
        d = digits(code)
        if d:
            vals[i] = next((float(v) for pre, v in items if d.startswith(pre) and not pd.isna(v)), np.nan)
    return pd.Series(vals[idx], index=industry.index)


def thresholds(rule, industry: pd.Series) -> pd.Series:
    """The rule's threshold per parcel: ``by_industry`` (longest prefix) else ``threshold``."""
    thr = pd.Series(float(rule.threshold), index=industry.index)
    if rule.by_industry:
        thr = prefix_lookup(rule.by_industry, industry).fillna(thr)
    return thr


def compare(rule, pr: pd.DataFrame, scope: pd.Series, value: pd.Series, thr: pd.Series,
            describe) -> pd.DataFrame:
    """Parcels in ``scope`` whose ``value`` ``rule.op`` ``thr`` (both known), with evidence."""
    fn, sym = OPS[rule.op]
    v_all, t_all = value.to_numpy(dtype=float), thr.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        hit = scope.to_numpy() & ~np.isnan(v_all) & ~np.isnan(t_all) & fn(v_all, t_all)
    pos = np.flatnonzero(hit)
    v, t = v_all[pos], t_all[pos]
    ev = [describe(a, sym, b, k) for a, b, k in zip(v, t, pos)]
    data = [{"column": rule.column, "value": a, "op": rule.op, "threshold": b} for a, b in zip(v, t)]
    return pd.DataFrame({"evidence": ev, "data": data}, index=pr.index[pos])


def empty() -> pd.DataFrame:
    return pd.DataFrame({"evidence": [], "data": []})
