"""Per-mu and efficiency indicators (docs/domain.md §5), per parcel, enterprise and area (zone/pilot area).

All ratios are NaN when the denominator is missing or not positive. Area figures are ratios of
sums over **developed industrial land**, never means of parcel ratios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.core.policy import LandPolicy
from landuse.core.units import M2_PER_MU

#: value columns spread from enterprises to parcels (output name → enterprise_years column)
VALUE_COLUMNS: dict[str, str] = {
    "revenue_wan": "revenue_wan",
    "tax_wan": "tax_wan",
    "value_added_wan": "value_added_wan",
    "energy_tce": "energy_tce",
    "investment_wan": "fixed_asset_investment_wan",
}
#: per-mu indicator → value column
PER_MU: dict[str, str] = {
    "revenue_per_mu": "revenue_wan",
    "tax_per_mu": "tax_wan",
    "value_added_per_mu": "value_added_wan",
    "investment_per_mu": "investment_wan",
}
#: columns that are 0 (not NaN) on land with no enterprise output (required enterprise_years fields)
ZERO_WHEN_EMPTY = ("revenue_wan", "tax_wan")


def ratio(num, den):
    """num / den, NaN where den is missing or ≤ 0 (works on scalars, arrays and Series)."""
    num_a = np.asarray(num, dtype="float64")
    den_a = np.asarray(den, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den_a > 0, num_a / np.where(den_a > 0, den_a, 1.0), np.nan)
    if isinstance(num, pd.Series):
        return pd.Series(out, index=num.index, dtype="float64")
    if isinstance(den, pd.Series):
        return pd.Series(out, index=den.index, dtype="float64")
    return out if out.ndim else float(out)


def per_mu(frame: pd.DataFrame, area_col: str) -> pd.DataFrame:
    """The four per-mu indicators of ``frame`` (value columns / ``area_col``)."""
    return pd.DataFrame({k: ratio(frame[v], frame[area_col]) for k, v in PER_MU.items()}, index=frame.index)


def enterprise_values(enterprise_years: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per enterprise (index uscc) for ``year`` with the value columns and the inputs of
    the efficiency ratios. Duplicated (uscc, year) rows, a data error, are summed."""
    ey = enterprise_years.loc[pd.to_numeric(enterprise_years["year"], errors="coerce").to_numpy() == int(year)]
    cols = {
        **VALUE_COLUMNS,
        "emission_t": "emission_t",
        "rd_expense_wan": "rd_expense_wan",
        "employees": "employees",
        "electricity_mwh": "electricity_mwh",
    }
    data = {}
    for out, src in cols.items():
        if src in ey.columns:
            data[out] = pd.to_numeric(ey[src], errors="coerce").astype("float64").to_numpy()
        else:
            data[out] = np.full(len(ey), np.nan)
    df = pd.DataFrame(data, index=pd.Index(ey["uscc"].astype(object).to_numpy(), name="uscc"))
    if df.index.has_duplicates:
        df = df.groupby(level=0).sum(min_count=1)
    if "has_rd_institution" in ey.columns:
        hr = ey["has_rd_institution"].astype("boolean")
        hr.index = pd.Index(ey["uscc"].astype(object).to_numpy(), name="uscc")
        df["has_rd_institution"] = hr.groupby(level=0).max()
    else:
        df["has_rd_institution"] = pd.Series(pd.NA, index=df.index, dtype="boolean")
    return df


def enterprise_ratios(v: pd.DataFrame) -> pd.DataFrame:
    """单位能耗增加值, 单位排放增加值, 全员劳动生产率, R&D 占比, 单位电耗税收 for each enterprise."""
    return pd.DataFrame(
        {
            "va_per_energy": ratio(v["value_added_wan"], v["energy_tce"]),
            "va_per_emission": ratio(v["value_added_wan"], v["emission_t"]),
            "labour_productivity": ratio(v["value_added_wan"], v["employees"]),
            "rd_share": ratio(v["rd_expense_wan"], v["revenue_wan"]),
            "tax_per_mwh": ratio(v["tax_wan"], v["electricity_mwh"]),
        },
        index=v.index,
    )


def parcel_form(area_mu: pd.Series, floor_area_m2: pd.Series, footprint_m2: pd.Series) -> pd.DataFrame:
    """FAR (容积率 = floor area / land area) and building coverage (建筑系数 = footprint / land area)."""
    area_m2 = area_mu * M2_PER_MU
    return pd.DataFrame(
        {"far": ratio(floor_area_m2, area_m2), "building_coverage": ratio(footprint_m2, area_m2)},
        index=area_mu.index,
    )


def group_codes(groups: pd.Series | np.ndarray, index: pd.Index) -> np.ndarray:
    """Integer position of each label in ``index`` (−1 for a missing or unknown label)."""
    return index.get_indexer(pd.Index(np.asarray(groups, dtype=object)))


def _sum(c: np.ndarray, x: np.ndarray, n: int, *, nan_when_empty: bool) -> np.ndarray:
    ok = ~np.isnan(x)
    tot = np.bincount(c[ok], weights=x[ok], minlength=n)
    if nan_when_empty:
        tot = np.where(np.bincount(c[ok], minlength=n) > 0, tot, np.nan)
    return tot


def area_totals(parcels: pd.DataFrame, groups, index: pd.Index) -> pd.DataFrame:
    """Ratios of sums over developed industrial land in the zones, per group of ``index``.

    ``parcels`` (one row per parcel) needs ``developed`` and ``in_zone`` (bool), ``area_mu``, the
    value columns, ``reported_mu`` / ``va_reported_mu`` / ``inv_reported_mu`` (the land whose users
    reported each item), ``floor_area_m2`` and ``footprint_area_m2``; ``groups`` gives each parcel's
    group: labels (aligned with the rows), or integer codes into ``index`` (−1: none).

    Returns ``developed_mu``; Σ values; per-mu ratios on the reported land (missing is not zero:
    land whose users did not report leaves numerator and denominator); ``revenue_coverage`` =
    reported developed mu / developed mu, and the coverage of value added and investment;
    ``revenue_other_land_wan`` = revenue spread onto the group's land that is not developed
    industrial land in a zone; ``far`` and ``building_coverage`` over the developed parcels whose
    floor area / footprint is known; ``reported_mu`` (the denominator of revenue per mu).
    """
    codes = groups if isinstance(groups, np.ndarray) and groups.dtype.kind == "i" else group_codes(groups, index)
    n = len(index)
    inside = codes >= 0
    dev_all = parcels["developed"].to_numpy(dtype=bool)
    if "in_zone" in parcels.columns:
        dev_all = dev_all & parcels["in_zone"].to_numpy(dtype=bool)
    sel = dev_all & inside
    c = codes[sel]
    col = lambda name: parcels[name].to_numpy(dtype="float64")  # noqa: E731
    area = np.nan_to_num(col("area_mu")[sel])
    out: dict[str, np.ndarray] = {"developed_mu": np.bincount(c, weights=area, minlength=n)}
    rep = {"revenue_wan": "reported_mu", "tax_wan": "reported_mu", "value_added_wan": "va_reported_mu",
           "investment_wan": "inv_reported_mu"}
    dens = {}
    for name in set(rep.values()):
        src = col(name)[sel] if name in parcels.columns else area
        dens[name] = np.bincount(c, weights=np.nan_to_num(src), minlength=n)
    for v in VALUE_COLUMNS:
        out[v] = _sum(c, col(v)[sel], n, nan_when_empty=v not in ZERO_WHEN_EMPTY)
    out["reported_mu"] = dens["reported_mu"]
    res = pd.DataFrame(out, index=index)
    for k, v in PER_MU.items():
        res[k] = ratio(res[v], dens[rep[v]])
    res["revenue_coverage"] = ratio(dens["reported_mu"], res["developed_mu"])
    res["value_added_coverage"] = ratio(dens["va_reported_mu"], res["developed_mu"])
    res["investment_coverage"] = ratio(dens["inv_reported_mu"], res["developed_mu"])
    other = inside & ~dev_all
    res["revenue_other_land_wan"] = np.bincount(codes[other], weights=np.nan_to_num(col("revenue_wan")[other]),
                                                minlength=n)
    for name, src in (("far", "floor_area_m2"), ("building_coverage", "footprint_area_m2")):
        x = col(src)[sel]
        ok = ~np.isnan(x)
        num = np.bincount(c[ok], weights=x[ok], minlength=n)
        den = np.bincount(c[ok], weights=area[ok] * M2_PER_MU, minlength=n)
        res[name] = ratio(num, den)
    return res


def building_coefficient(area_mu: pd.Series, footprint_m2: pd.Series, yard_m2: pd.Series,
                         density: pd.Series | None = None) -> pd.DataFrame:
    """建筑系数 (国土资发〔2008〕24号): (building footprint + structures, open yards and work areas) /
    parcel area, where the yard area is known (``building_coefficient``); the footprint-only figure
    is 建筑密度 (``building_density``: ``density`` when given, else footprint / area). ``basis`` is
    ``coefficient`` where the yard area is known, ``density`` where only the footprint is, None
    where neither; ``value`` the figure on that basis. Indexed like ``area_mu``."""
    area_m2 = area_mu.astype("float64") * M2_PER_MU
    dens = ratio(footprint_m2, area_m2)
    if density is not None:
        dens = density.astype("float64").where(density.notna(), dens)
    foot = footprint_m2.astype("float64").where(footprint_m2.notna(), dens * area_m2)
    coef = ratio(foot + yard_m2.astype("float64"), area_m2)
    # numpy's stubs refuse None as a value of np.where
    basis = pd.Series(np.where(coef.notna(), "coefficient", np.where(dens.notna(), "density", None)),  # type: ignore[call-overload]
                      index=area_mu.index, dtype=object)
    return pd.DataFrame({"building_coefficient": coef, "building_density": dens, "value": coef.fillna(dens),
                         "basis": basis}, index=area_mu.index)


def code_prefix_match(codes: pd.Series, prefixes) -> pd.Series:
    """True where a GB/T 4754 code starts with one of ``prefixes`` (section letters ignored: "C31"
    matches "3120" and "C3120")."""
    def digits(c) -> str:
        if c is None or (isinstance(c, float) and np.isnan(c)) or c is pd.NA:
            return ""
        return str(c).strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")

    pre = tuple(p for p in (digits(x) for x in prefixes) if p)
    if not pre:
        return pd.Series(False, index=codes.index)
    # once per distinct code, not per row
    idx, uniq = pd.factorize(codes.astype(object), use_na_sentinel=True)
    hit = np.array([bool(d) and d.startswith(pre) for d in (digits(c) for c in uniq)] + [False], dtype=bool)
    return pd.Series(hit[idx], index=codes.index)


def yard_dependent(land_use_code: pd.Series, land_use_scheme: pd.Series, industry_code: pd.Series,
                   land_policy: LandPolicy) -> pd.Series:
    """Parcels whose 建筑系数 rests on structures and open yards (``land.yard_dependent_land_uses``
    by scheme, ``land.yard_dependent_industries`` by the holder's industry): a footprint-only
    figure says nothing about them."""
    uses = {sch: tuple(str(p) for p in prefixes)
            for sch, prefixes in (getattr(land_policy, "yard_dependent_land_uses", {}) or {}).items() if prefixes}
    # once per distinct (scheme, use code) pair, not per row (text trimmed; missing as "")
    ci, cu = _distinct_text(land_use_code)
    si, su = _distinct_text(land_use_scheme)
    pair = si.astype("int64") * len(cu) + ci
    pi, pu = pd.factorize(pair)
    hit = np.array([any(su[p // len(cu)] == sch and cu[p % len(cu)].startswith(pre) for sch, pre in uses.items())
                    for p in pu], dtype=bool)
    by_use = hit[pi] if len(pu) else np.zeros(len(land_use_code), dtype=bool)
    by_ind = code_prefix_match(industry_code, getattr(land_policy, "yard_dependent_industries", []) or [])
    return pd.Series(by_use, index=land_use_code.index) | by_ind.to_numpy(dtype=bool)


def _distinct_text(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's position among the distinct values of ``s`` as trimmed text (missing: "", last)."""
    idx, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    text = [str(v).strip() for v in uniq] + [""]
    return np.where(idx < 0, len(uniq), idx), text
