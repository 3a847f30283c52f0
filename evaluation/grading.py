"""Enterprise per-mu grading A/B/C/D (亩均论英雄, docs/domain.md §8). Pure: frames in, frames out.

Who is graded: linked firms with land, not exempt. Exemptions get no grade and the reason in
``grade_note``, checked in this order: not linked to land; utilities (``exempt_industries``, GB/T 4754
division, letter optional); in production for less than ``min_years_in_production`` years at the end
of the year (``production_start_date``); projects under construction within their contract term
(``construction``: every parcel the firm uses is supplied or started, not completed, and its
``agreed_completion_date`` has not passed or is unknown); no land in use (``land_mu`` missing or 0);
规下 firms with ``land_mu`` below ``below_scale_min_land_mu``; firms with no value for any indicator of
their group (no data for the year).

Tenants merged into their holder (``allocation.method = 'merge_tenants'``, docs/domain.md §5): the
caller passes ``merged`` (:func:`merge_tenants`): each holder is graded on its parcels' merged
figures (its own output plus its tenants' output on its land) and each tenant shares its holder's
grade with the note 随宗地权利人 (it is not ranked itself: the holder counts once in its group).

Grading groups: (year, ``group_by`` unit, 规上/规下); 规上 and 规下 use their own indicators. A group
with fewer than ``merge_below`` graded firms is pooled with the other small groups of the next unit
up (county 360402 → city 360400 → province 360000; a zone → its county → …; codes that are not
6-digit administrative codes have no parent), so that the D band (bottom 5 %) is not one firm of a
handful (noted).

Scores (``method``):

- ``ratio``: item = weight × min(value / benchmark, cap), cap = the indicator's ``cap`` or
  ``default_cap``; benchmark = the indicator's fixed ``benchmark`` when set, else by ``benchmark``:
  ``previous_year_ratio_of_sums`` (default) = the group's figure of year − 1 as a ratio of sums over
  its graded firms (Σ tax / Σ land: the county figure, docs/domain.md §8), parts from ``history``
  (enterprise_results of earlier years) and ``enterprise_years`` (for emissions, employees, R&D,
  electricity), falling back to the current year's figure with a note; ``previous_year_mean`` = the
  mean of the firms' ratios likewise; ``current_year_ratio_of_sums`` / ``current_year_mean``;
  always × ``benchmark_multiple``. Negative items are clipped to 0.
- ``minmax``: item = weight × (floor + (100 − floor) × (x − min)/(max − min)) / 100 over the group;
  when max = min every firm gets the full weight.

A firm missing an item (NaN or infinite) gets the mean item score of the firms in its group that
have it (noted); when nobody in the group has it the item scores 0 (noted).

Bands: scores are rounded to 6 decimals, ranked on descending score with rank method 'min' within
the group (equal scores share the best rank); band b holds the ranks up to its cumulative edge
c_b = round(upto_b × n) with the policy's ``band_rounding``: ``floor`` (a firm gets the first band
whose ``upto`` ≥ rank/n; the last band takes the rounding, so a group of 5+ has a D firm),
``nearest`` (half up) or ``ceil``. Groups with fewer than ``min_group_size`` graded firms (default 5,
after pooling) are scored but not graded (noted). So equal scores always get the same grade and a tie
across a band edge goes to the better grade; e.g. n = 10 with A up to 0.20: ranks 1, 2 → A; if the
2nd and 3rd firms tie, both rank 2 → both A, and the next firm has rank 4 → B.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.standard_land import object_strings
from landuse.core.errors import PolicyError
from landuse.core.policy import Policy

__all__ = ["grade_enterprises", "grade_streak", "GRADE_COLUMNS", "industry_matches", "construction_status",
           "merge_tenants", "RATIO_PARTS"]

GRADE_COLUMNS = ["score", "grade", "grade_group", "grade_note"]
ABOVE, BELOW = "规上", "规下"

#: indicator → (numerator, denominator) for ratio-of-sums benchmarks (enterprise_results columns, or
#: enterprise_years columns for the parts enterprise_results does not keep)
RATIO_PARTS: dict[str, tuple[str, str]] = {
    "revenue_per_mu": ("revenue_wan", "land_mu"),
    "tax_per_mu": ("tax_wan", "land_mu"),
    "value_added_per_mu": ("value_added_wan", "land_mu"),
    "investment_per_mu": ("investment_wan", "land_mu"),
    "va_per_energy": ("value_added_wan", "energy_tce"),
    "va_per_emission": ("value_added_wan", "emission_t"),
    "labour_productivity": ("value_added_wan", "employees"),
    "rd_share": ("rd_expense_wan", "revenue_wan"),
    "tax_per_mwh": ("tax_wan", "electricity_mwh"),
}
#: enterprise_results columns that come from enterprise_years under another name
_EY_NAMES = {"investment_wan": "fixed_asset_investment_wan"}
#: values merged from tenants into their holder (merge_tenants), then the ratios recomputed
MERGE_VALUES = ("revenue_wan", "tax_wan", "value_added_wan", "energy_tce", "investment_wan", "emission_t",
                "rd_expense_wan", "employees", "electricity_mwh")


def _bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _digits(code) -> str:
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return ""
    return str(code).strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")


def industry_matches(codes: pd.Series, prefixes) -> pd.Series:
    """True where a GB/T 4754 code starts with one of the prefixes (section letters ignored:
    "D44" matches "4411" and "D4411")."""
    pre = tuple(p for p in (_digits(x) for x in prefixes) if p)
    if not pre:
        return pd.Series(False, index=codes.index)
    # once per distinct code, not per row
    idx, uniq = pd.factorize(codes.astype(object), use_na_sentinel=True)
    hit = np.array([bool(d) and d.startswith(pre) for d in (_digits(c) for c in uniq)] + [False], dtype=bool)
    return pd.Series(hit[idx], index=codes.index)


def _exemptions(er: pd.DataFrame, gp, years: pd.Series, enterprises: pd.DataFrame | None,
                construction: pd.DataFrame | None) -> pd.Series:
    reason = pd.Series(None, index=er.index, dtype=object)

    def put(mask: pd.Series, text) -> None:
        m = mask & reason.isna()
        if isinstance(text, pd.Series):
            reason[m] = text[m]
        else:
            reason[m] = text

    if "linked" in er.columns:
        put(~_bool(er["linked"]), "未关联用地，不参评")
    if "industry_code" in er.columns and gp.exempt_industries:
        put(
            industry_matches(er["industry_code"], gp.exempt_industries),
            f"公用事业（{'、'.join(gp.exempt_industries)}）不参评",
        )
    start = None
    if "production_start_date" in er.columns:
        start = pd.to_datetime(er["production_start_date"])
    elif enterprises is not None and "production_start_date" in enterprises.columns and "uscc" in er.columns:
        m = enterprises.drop_duplicates("uscc").set_index("uscc")["production_start_date"]
        start = pd.to_datetime(er["uscc"].map(m))
    if start is not None and gp.min_years_in_production > 0:
        months = int(round(gp.min_years_in_production * 12))
        year_end = pd.to_datetime(years.astype("Int64").astype(str) + "-12-31", errors="coerce")
        young = start.notna() & (start + pd.DateOffset(months=months) > year_end)
        put(young, f"投产不满{gp.min_years_in_production:g}年，不参评")
    if construction is not None and gp.exempt_under_construction and "uscc" in er.columns and len(construction):
        c = construction.reindex(er["uscc"].to_numpy())
        within = c["within_term"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        deadline = pd.to_datetime(c["deadline"]).to_numpy()
        text = pd.Series(
            [f"在建项目（约定竣工日期 {pd.Timestamp(d):%Y-%m-%d} 前），不参评" if pd.notna(d)
             else "在建项目（约定竣工日期未知，按合同期内计），不参评" for d in deadline],
            index=er.index, dtype=object,
        )
        put(pd.Series(within, index=er.index), text)
    land = pd.to_numeric(er.get("land_mu", pd.Series(np.nan, index=er.index)), errors="coerce")
    put(~(land > 0), "在建项目或无已开发用地，不参评")
    above = _bool(er["above_scale"]) if "above_scale" in er.columns else pd.Series(False, index=er.index)
    put(
        ~above & (land < gp.below_scale_min_land_mu),
        f"规下企业用地不足{gp.below_scale_min_land_mu:g}亩，不参评",
    )
    return reason


def construction_status(uses: pd.DataFrame, parcel_results: pd.DataFrame, parcels: pd.DataFrame | None, *,
                        as_of) -> pd.DataFrame:
    """Per enterprise using land (index uscc): ``under_construction`` (every parcel it uses — held or
    leased — is at stage ``supplied`` or ``started``: nothing completed), ``deadline`` (the latest
    ``agreed_completion_date`` of those parcels; NaT when one is unknown) and ``within_term``
    (under construction and the deadline not passed at ``as_of``, or unknown)."""
    cols = ["under_construction", "deadline", "within_term"]
    if uses is None or len(uses) == 0 or "stage" not in parcel_results.columns:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="uscc", dtype=object))
    pr = parcel_results[["parcel_code", "stage"]].drop_duplicates("parcel_code").set_index("parcel_code")
    stage = uses["parcel_code"].map(pr["stage"])
    building = stage.isin(["supplied", "started"])
    if parcels is not None and "agreed_completion_date" in parcels.columns:
        acd = parcels[["parcel_code", "agreed_completion_date"]].drop_duplicates("parcel_code").set_index(
            "parcel_code")["agreed_completion_date"]
        deadline = pd.to_datetime(uses["parcel_code"].map(acd))
    else:
        deadline = pd.Series(pd.NaT, index=uses.index, dtype="datetime64[ns]")
    f = pd.DataFrame({"uscc": uses["uscc"].to_numpy(), "building": building.to_numpy(),
                      "deadline": deadline.to_numpy(), "unknown": deadline.isna().to_numpy()})
    g = f.groupby("uscc")
    out = pd.DataFrame({"under_construction": g["building"].all(), "deadline": g["deadline"].max(),
                        "unknown": g["unknown"].any()})
    out.loc[out["unknown"], "deadline"] = pd.NaT
    as_of = pd.Timestamp(as_of)
    out["within_term"] = out["under_construction"] & (out["deadline"].isna() | (out["deadline"] >= as_of))
    out.index.name = "uscc"
    return out[cols]


def merge_tenants(enterprise_results: pd.DataFrame, uses: pd.DataFrame, values: pd.DataFrame) -> dict:
    """Tenants merged into their holders (docs/domain.md §5, ``allocation.method = 'merge_tenants'``).

    ``uses``: ``evaluation.allocation.land_uses`` rows (parcel_code, uscc, kind, share); ``values``:
    the enterprises' values of the year (index uscc, ``MERGE_VALUES`` columns). A tenant's output on a
    holder's parcel (its ``share`` there × its values) is added to the holder's; the tenant follows
    the holder to whom most of its output went. Returns ``{"frame": enterprise_results with the
    holders' values and ratios on the merged figures, "holder_of": Series tenant uscc → holder}``.
    """
    from evaluation.indicators import enterprise_ratios, per_mu

    er = enterprise_results
    if uses is None or len(uses) == 0:
        return {"frame": er, "holder_of": pd.Series(dtype=object)}
    holder = uses.loc[uses["kind"] == "own"].drop_duplicates("parcel_code").set_index("parcel_code")["uscc"]
    lease = uses.loc[(uses["kind"] != "own") & (uses["share"] > 0)].copy()
    lease["holder"] = lease["parcel_code"].map(holder)
    lease = lease.dropna(subset=["holder"])
    lease = lease[lease["holder"] != lease["uscc"]]
    if lease.empty:
        return {"frame": er, "holder_of": pd.Series(dtype=object)}
    vals = values.reindex(columns=list(MERGE_VALUES)).astype("float64")
    part = vals.reindex(lease["uscc"].to_numpy()).mul(lease["share"].to_numpy(), axis=0)
    part.index = lease["holder"].to_numpy()
    added = part.groupby(level=0).sum(min_count=1)
    by_holder = lease.groupby(["uscc", "holder"])["share"].sum().reset_index()
    by_holder = by_holder.sort_values(["uscc", "share", "holder"], ascending=[True, False, True])
    holder_of = by_holder.drop_duplicates("uscc").set_index("uscc")["holder"]

    out = er.copy()
    key = out["uscc"].astype(object)
    hit = key.isin(added.index).to_numpy()
    if hit.any():
        own = vals.reindex(key[hit].to_numpy())
        merged = own.add(added.reindex(key[hit].to_numpy()).to_numpy(), fill_value=0.0)
        merged = merged.where(own.notna() | added.reindex(key[hit].to_numpy()).notna().to_numpy())
        merged.index = out.index[hit]
        for c in merged.columns:
            out.loc[hit, c] = merged[c].to_numpy()
        land = out.loc[hit, ["land_mu"]].astype("float64") if "land_mu" in out.columns else None
        if land is not None:
            frame = merged.assign(land_mu=land["land_mu"].to_numpy())
            for c, v in per_mu(frame, "land_mu").items():
                out.loc[hit, c] = v.to_numpy()
        for c, v in enterprise_ratios(merged).items():
            out.loc[hit, c] = v.to_numpy()
    return {"frame": out, "holder_of": holder_of}


def _parts(frame: pd.DataFrame, ey: pd.DataFrame | None, year_col: pd.Series, col: str) -> pd.Series:
    """``col`` of each row of ``frame``: its own column, else enterprise_years of the row's year."""
    if col in frame.columns:
        return pd.to_numeric(frame[col], errors="coerce").astype("float64")
    src = _EY_NAMES.get(col, col)
    if ey is None or src not in ey.columns or "uscc" not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    e, firms, rows, cols = _ey_lookup(ey)
    if src not in cols:
        cols[src] = pd.to_numeric(e[src], errors="coerce").to_numpy(dtype="float64")
    u = firms.get_indexer(frame["uscc"].astype(object).to_numpy())
    y = year_col.astype("float64").to_numpy()
    ok = (u >= 0) & ~np.isnan(y)
    pos = rows.get_indexer(np.where(ok, u.astype("int64") * _YEAR_SPAN + np.nan_to_num(y).astype("int64"), -1))
    v = cols[src]
    return pd.Series(np.where(pos >= 0, v[np.maximum(pos, 0)] if len(v) else np.nan, np.nan), index=frame.index)


_YEAR_SPAN = 100_000
_EY_LOOKUP: list = []


def _ey_lookup(ey: pd.DataFrame):
    """enterprise_years one row per (uscc, year), and integer keys to find a (firm, year) in it:
    built once per frame (the grading asks it for every indicator's parts)."""
    if _EY_LOOKUP and _EY_LOOKUP[0] is ey:
        return _EY_LOOKUP[1:]
    e = ey.assign(_y=pd.to_numeric(ey["year"], errors="coerce")).drop_duplicates(["uscc", "_y"])
    firms = pd.Index(pd.unique(e["uscc"].astype(object).to_numpy()))
    code = firms.get_indexer(e["uscc"].astype(object).to_numpy()).astype("int64")
    y = e["_y"].to_numpy(dtype="float64")
    keys = np.where(np.isnan(y), -2 - np.arange(len(e), dtype="int64"),  # a year-less row matches nothing
                    code * _YEAR_SPAN + np.nan_to_num(y).astype("int64"))
    _EY_LOOKUP[:] = [ey, e, firms, pd.Index(keys), {}]
    return _EY_LOOKUP[1:]


def _group_sums(frame: pd.DataFrame, ey, ind, keys: list[pd.Series]) -> pd.Series:
    """Σ numerator / Σ denominator of ``ind`` by ``keys`` over the rows with both parts (den > 0)."""
    num_c, den_c = (ind.numerator, ind.denominator) if ind.numerator and ind.denominator else RATIO_PARTS.get(
        ind.column, (None, None))
    if num_c is None or den_c is None:
        return pd.Series(dtype="float64")
    year = keys[0]
    n = _parts(frame, ey, year, num_c)
    d = _parts(frame, ey, year, den_c)
    ok = n.notna() & d.notna() & (d > 0)
    df = pd.DataFrame({f"k{i}": k.to_numpy() for i, k in enumerate(keys)}, index=frame.index)
    df["n"], df["d"] = n.where(ok), d.where(ok)
    g = df.dropna(subset=["n"]).groupby([f"k{i}" for i in range(len(keys))])[["n", "d"]].sum()
    return (g["n"] / g["d"]).where(g["d"] > 0)


def _history_keys(history: pd.DataFrame, gp) -> list[pd.Series]:
    scale = pd.Series(np.where(_bool(history["above_scale"]), ABOVE, BELOW) if "above_scale" in history.columns
                      else ABOVE, index=history.index)
    return [history["year"].astype("Int64"), history[gp.group_by].astype(object), scale]


def _history_means(history: pd.DataFrame | None, gp, col: str) -> pd.Series:
    """Mean of ``col`` by (year, unit, scale) over graded firms in history."""
    if history is None or col not in history.columns or gp.group_by not in history.columns:
        return pd.Series(dtype=float)
    h = history
    if "grade" in h.columns:
        h = h[h["grade"].notna()]
    scale = np.where(_bool(h["above_scale"]), ABOVE, BELOW) if "above_scale" in h.columns else ABOVE
    v = pd.to_numeric(h[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
    key = pd.DataFrame(
        {
            "year": h["year"].astype("Int64").to_numpy(),
            "unit": h[gp.group_by].to_numpy(),
            "scale": scale,
            "v": v.to_numpy(),
        }
    )
    return key.dropna(subset=["v"]).groupby(["year", "unit", "scale"])["v"].mean()


def _history_ratio_of_sums(history: pd.DataFrame | None, ey, gp, ind) -> pd.Series:
    """Σ/Σ of ``ind`` by (year, unit, scale) over graded firms in history."""
    if history is None or len(history) == 0 or gp.group_by not in history.columns:
        return pd.Series(dtype=float)
    h = history
    if "grade" in h.columns:
        h = h[h["grade"].notna()]
    if h.empty:
        return pd.Series(dtype=float)
    return _group_sums(h, ey, ind, _history_keys(h, gp))


def _parent(unit) -> str | None:
    """The administrative unit above a 6-digit code: county 360402 → city 360400 → province 360000."""
    u = str(unit)
    if len(u) != 6 or not u.isdigit():
        return None
    if u[4:] != "00":
        return u[:4] + "00"
    if u[2:] != "0000":
        return u[:2] + "0000"
    return None


def _pool_small_groups(keys: pd.DataFrame, graded: pd.Series, gp, county: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The grading unit of each firm after pooling groups smaller than ``merge_below`` upward, and
    the note for pooled firms. ``keys``: year, unit, scale; ``county``: each firm's county code (the
    parent of a zone)."""
    unit = keys["unit"].astype(object).copy()
    label = unit.astype(str)
    note = pd.Series(None, index=keys.index, dtype=object)
    if gp.merge_below <= 1:
        return label, note
    zone_level = gp.group_by == "zone_code"
    for _ in range(4):
        sizes = graded.groupby([keys["year"], unit, keys["scale"]], dropna=False).transform("sum")
        small = graded & (sizes < gp.merge_below)
        if not small.any():
            break
        moved = False
        for i in keys.index[small.to_numpy()]:
            u = unit[i]
            if zone_level and not str(u).isdigit():
                parent = county.get(i) if county is not None else None
                parent = None if parent is None or pd.isna(parent) else str(parent)
            else:
                parent = _parent(u)
            if parent is None:
                continue
            # pool only with the other small groups: a large group keeps its own ranking
            unit[i] = parent
            label[i] = f"{parent}(合并)"
            moved = True
        if not moved:
            break
    n0 = graded.groupby([keys["year"], keys["unit"], keys["scale"]], dropna=False).transform("sum")
    pooled = graded & (label != keys["unit"].astype(str))
    for i in keys.index[pooled.to_numpy()]:
        note[i] = f"所在单位参评企业{int(n0[i])}家，不足{gp.merge_below}家，并入上级 {unit[i]} 合并评级"
    return label, note


def _cum_edges(n: np.ndarray, upto: float, rounding: str) -> np.ndarray:
    x = upto * n
    if rounding == "floor":
        return np.floor(x + 1e-9)
    if rounding == "nearest":
        return np.floor(x + 0.5 + 1e-9)
    return np.ceil(x - 1e-9)


def grade_enterprises(
    enterprise_results: pd.DataFrame,
    *,
    policy: Policy,
    history: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    enterprise_years: pd.DataFrame | None = None,
    construction: pd.DataFrame | None = None,
    merged: dict | None = None,
) -> pd.DataFrame:
    """Score and grade enterprises; returns ``GRADE_COLUMNS`` indexed like ``enterprise_results``.

    ``history``: earlier enterprise_results (any years; columns uscc, year, the group unit,
    above_scale, the indicators, their parts and optionally grade) for previous-year benchmarks.
    ``enterprises``: the enterprises input, used for ``production_start_date`` when the results
    do not carry it. ``enterprise_years``: the input, for the parts of ratio-of-sums benchmarks that
    enterprise_results does not keep (emissions, employees, R&D, electricity).
    ``construction``: :func:`construction_status` (projects under construction within their term are
    not graded). ``merged``: :func:`merge_tenants` output (holders graded on merged figures, tenants
    follow them).
    """
    gp = policy.grading
    er = enterprise_results
    idx = er.index
    out = pd.DataFrame(
        {"score": np.nan, "grade": None, "grade_group": None, "grade_note": None}, index=idx
    ).astype({"score": float, "grade": object, "grade_group": object, "grade_note": object})
    if er.empty:
        return out
    holder_of = pd.Series(dtype=object)
    if merged is not None:
        holder_of = merged["holder_of"]
        er = merged["frame"].loc[idx]
    years = er["year"].astype("Int64") if "year" in er.columns else pd.Series(pd.NA, index=idx, dtype="Int64")
    unit = (
        er[gp.group_by].astype(object).where(er[gp.group_by].notna(), "未知")
        if gp.group_by in er.columns
        else pd.Series("未知", index=idx, dtype=object)
    )
    above = _bool(er["above_scale"]) if "above_scale" in er.columns else pd.Series(False, index=idx)
    scale = pd.Series(np.where(above, ABOVE, BELOW), index=idx)
    out["grade_group"] = unit.astype(str) + "·" + scale

    reason = _exemptions(er, gp, years, enterprises, construction)
    tenant = er["uscc"].isin(holder_of.index) if "uscc" in er.columns else pd.Series(False, index=idx)
    if tenant.any():  # merged tenants are not ranked: the holder counts once
        reason = reason.where(~tenant, pd.Series("随宗地权利人合并计分", index=idx))
    graded = reason.isna()

    # firms with no value for any of their indicators are not graded (no data for the year)
    for scale_name, indicators in ((ABOVE, gp.above_scale), (BELOW, gp.below_scale)):
        cols = [i.column for i in indicators if i.column in er.columns]
        if not cols:
            continue
        vals = er[cols].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
        empty = graded & (scale == scale_name) & vals.isna().all(axis=1)
        reason[empty] = "当年无评价数据，不参评"
        graded &= ~empty
    out.loc[~graded, "grade_note"] = reason[~graded]

    notes: dict = {i: [] for i in idx[graded.to_numpy()]}
    fallback: dict = {}
    score = pd.Series(0.0, index=idx)
    keys = pd.DataFrame({"year": years, "unit": unit, "scale": scale}, index=idx)
    ratio_of_sums = gp.benchmark.endswith("ratio_of_sums")

    for scale_name, indicators in ((ABOVE, gp.above_scale), (BELOW, gp.below_scale)):
        sel = graded & (scale == scale_name)
        if not sel.any():
            continue
        if not indicators:
            raise PolicyError(f"grading: no indicators for {scale_name} firms")
        k = keys[sel]
        for ind in indicators:
            label = ind.label_zh or ind.column
            x = (
                pd.to_numeric(er.loc[sel, ind.column], errors="coerce").astype(float)
                if ind.column in er.columns
                else pd.Series(np.nan, index=k.index)
            )
            x = x.replace([np.inf, -np.inf], np.nan)
            grp = [k["year"], k["unit"], k["scale"]]
            if gp.method == "ratio":
                if ind.benchmark is not None:
                    bench = pd.Series(float(ind.benchmark), index=k.index)
                elif gp.benchmark == "fixed":
                    raise PolicyError(f"grading: benchmark = 'fixed' but {ind.column} has no benchmark")
                else:
                    if ratio_of_sums:
                        cs = _group_sums(er.loc[sel], enterprise_years, ind, grp)
                        ck = pd.MultiIndex.from_arrays([k["year"], k["unit"], k["scale"]])
                        cur = pd.Series(cs.reindex(ck).to_numpy() if len(cs) else np.nan, index=k.index, dtype=float)
                        if cs.empty:  # no parts known: the mean of the ratios
                            cur = x.groupby(grp, dropna=False).transform("mean")
                    else:
                        cur = x.groupby(grp, dropna=False).transform("mean")
                    if gp.benchmark.startswith("previous_year"):
                        hm = (_history_ratio_of_sums(history, enterprise_years, gp, ind) if ratio_of_sums
                              else _history_means(history, gp, ind.column))
                        prev_key = pd.MultiIndex.from_arrays(
                            [(k["year"] - 1).astype("Int64"), k["unit"], k["scale"]]
                        )
                        prev = pd.Series(
                            hm.reindex(prev_key).to_numpy() if len(hm) else np.nan, index=k.index, dtype=float
                        )
                        fb = prev.isna() & cur.notna()
                        for i in k.index[fb.to_numpy()]:
                            fallback.setdefault(i, []).append(label)
                        bench = prev.fillna(cur)
                    else:
                        bench = cur
                    bench = bench * gp.benchmark_multiple
                ratio = x / bench.where(bench > 0)
                cap = ind.cap if ind.cap is not None else gp.default_cap
                if cap is not None:
                    ratio = ratio.clip(upper=cap)
                item = (ind.weight * ratio).clip(lower=0)
            else:
                lo = x.groupby(grp, dropna=False).transform("min")
                hi = x.groupby(grp, dropna=False).transform("max")
                span = hi - lo
                frac = ((x - lo) / span.where(span > 0)).where(span > 0, 1.0).where(x.notna())
                f = gp.minmax_floor
                item = ind.weight * (f + (100.0 - f) * frac) / 100.0
            missing = item.isna()
            if missing.any():
                avg = item.groupby(grp, dropna=False).transform("mean")
                for i in k.index[missing.to_numpy()]:
                    if pd.notna(avg[i]):
                        notes[i].append(f"缺{label}，按组平均分计")
                    else:
                        notes[i].append(f"缺{label}，组内均无数据，计0分")
                item = item.fillna(avg).fillna(0.0)
            score.loc[k.index] += item
        for i, labels in fallback.items():
            if i in k.index:
                cur_word = "当年全组合计比值" if ratio_of_sums else "当年均值"
                text = (
                    f"各项基准缺上年数据，取{cur_word}"
                    if len(labels) == len(indicators)
                    else f"基准缺上年数据，取{cur_word}：{'、'.join(labels)}"
                )
                notes[i].insert(0, text)

    score = score.where(graded)
    out["score"] = score.astype(float)
    if graded.any() and gp.bands:
        county = er["county_code"] if "county_code" in er.columns else None
        band_unit, pool_note = _pool_small_groups(keys, graded, gp, county)
        out.loc[graded, "grade_group"] = (band_unit.astype(str) + "·" + scale)[graded]
        s = score[graded].round(6)
        g = [keys.loc[graded, "year"], band_unit[graded], keys.loc[graded, "scale"]]
        rank = s.groupby(g, dropna=False).rank(method="min", ascending=False).to_numpy()
        n = s.groupby(g, dropna=False).transform("size").to_numpy()
        grade = np.full(len(s), None, dtype=object)
        for b in gp.bands:
            edge = n if b is gp.bands[-1] else _cum_edges(n, b.upto, gp.band_rounding)
            grade = np.where((grade == None) & (rank <= edge), b.grade, grade)  # noqa: E711
        grade = np.where(grade == None, gp.bands[-1].grade, grade)  # noqa: E711
        small = n < gp.min_group_size
        # numpy's stubs refuse None as a value of np.where
        grade = np.where(small, None, grade)  # type: ignore[call-overload]
        out.loc[s.index, "grade"] = grade
        for i in s.index[small]:
            notes[i].insert(0, f"组内参评企业不足{gp.min_group_size}家，仅计分不分等级")
        for i in s.index:
            if isinstance(pool_note.get(i), str):
                notes[i].insert(0, pool_note[i])
        if len(holder_of):
            for i in s.index:
                u = er.at[i, "uscc"]
                if u in set(holder_of.to_numpy()):
                    notes[i].insert(0, "按宗地合并口径计分（含承租企业产出）")
    for i, lst in notes.items():
        if lst:
            out.at[i, "grade_note"] = "；".join(lst)
    if tenant.any():  # tenants share their holder's grade and score
        by_uscc = out.assign(uscc=er["uscc"].to_numpy()).drop_duplicates("uscc").set_index("uscc")
        for i in idx[tenant.to_numpy()]:
            h = holder_of.get(er.at[i, "uscc"])
            if h in by_uscc.index:
                out.at[i, "grade"] = by_uscc.at[h, "grade"]
                out.at[i, "score"] = by_uscc.at[h, "score"]
                out.at[i, "grade_group"] = by_uscc.at[h, "grade_group"]
            out.at[i, "grade_note"] = f"随宗地权利人 {h}"
    return object_strings(out)


def grade_streak(
    current: pd.DataFrame, history: pd.DataFrame | None, *, year: int, grade: str = "D", years: int = 2
) -> pd.Series:
    """uscc → True when graded ``grade`` in ``year`` (``current``: uscc, grade) and in each of the
    ``years − 1`` years before it (``history``: uscc, year, grade). Indexed by the current uscc."""
    cur = current.dropna(subset=["uscc"]).drop_duplicates("uscc").set_index("uscc")["grade"]
    hit = cur == grade
    if years > 1:
        if history is None or history.empty:
            return pd.Series(False, index=cur.index)
        h = history[["uscc", "year", "grade"]].copy()
        h["year"] = h["year"].astype("Int64")
        for back in range(1, years):
            prev = h[h["year"] == year - back].drop_duplicates("uscc").set_index("uscc")["grade"]
            hit &= prev.reindex(cur.index).eq(grade).fillna(False).astype(bool)
    return hit.astype(bool)
