"""Enterprise per-mu grading A/B/C/D (亩均论英雄, docs/domain.md §8). Pure: frames in, frames out.

Who is graded: linked firms with land, not exempt. Exemptions get no grade and the reason in
``grade_note``, checked in this order: not linked to land; utilities (``exempt_industries``, GB/T 4754
division, letter optional); in production for less than ``min_years_in_production`` years at the end
of the year (``production_start_date``); no land in use (``land_mu`` missing or 0: projects under
construction); 规下 firms with ``land_mu`` below ``below_scale_min_land_mu``; firms with no value for
any indicator of their group (no data for the year).

Grading groups: (year, ``group_by`` unit, 规上/规下); 规上 and 规下 use their own indicators.

Scores (``method``):

- ``ratio``: item = weight × min(value / benchmark, cap); benchmark = the indicator's fixed
  ``benchmark`` when set, else by ``benchmark``: ``previous_year_mean`` = mean of the indicator over the
  graded firms (rows with a grade; all rows when history has no grade column) of the same unit and
  scale in ``history`` for year − 1, falling back to the current year's group mean with a note;
  ``current_year_mean``; always × ``benchmark_multiple``. Negative items are clipped to 0.
- ``minmax``: item = weight × (floor + (100 − floor) × (x − min)/(max − min)) / 100 over the group;
  when max = min every firm gets the full weight.

A firm missing an item (NaN or infinite) gets the mean item score of the firms in its group that
have it (noted); when nobody in the group has it the item scores 0 (noted).

Bands: scores are rounded to 6 decimals, ranked on descending score with rank method 'min' within
the group (equal scores share the best rank), and a firm gets the first band whose ``upto`` ≥ rank/n.
Groups with fewer than ``min_group_size`` graded firms (default 5) are scored but not graded (noted).
So equal scores always get the same grade and a tie across a band edge goes to the better grade; e.g.
n = 10 with A up to 0.20: ranks 1, 2 → A; if the 2nd and 3rd firms tie, both rank 2 → both A, and the
next firm has rank 4 → B.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.standard_land import object_strings
from landuse.core.errors import PolicyError

__all__ = ["grade_enterprises", "grade_streak", "GRADE_COLUMNS", "industry_matches"]

GRADE_COLUMNS = ["score", "grade", "grade_group", "grade_note"]
ABOVE, BELOW = "规上", "规下"


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
    return codes.map(lambda c: _digits(c).startswith(pre) if _digits(c) else False).astype(bool)


def _exemptions(er: pd.DataFrame, gp, years: pd.Series, enterprises: pd.DataFrame | None) -> pd.Series:
    reason = pd.Series(None, index=er.index, dtype=object)

    def put(mask: pd.Series, text: str) -> None:
        reason[mask & reason.isna()] = text

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
    land = pd.to_numeric(er.get("land_mu", pd.Series(np.nan, index=er.index)), errors="coerce")
    put(~(land > 0), "在建项目或无已开发用地，不参评")
    above = _bool(er["above_scale"]) if "above_scale" in er.columns else pd.Series(False, index=er.index)
    put(
        ~above & (land < gp.below_scale_min_land_mu),
        f"规下企业用地不足{gp.below_scale_min_land_mu:g}亩，不参评",
    )
    return reason


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


def grade_enterprises(
    enterprise_results: pd.DataFrame,
    *,
    policy,
    history: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score and grade enterprises; returns ``GRADE_COLUMNS`` indexed like ``enterprise_results``.

    ``history``: earlier enterprise_results (any years; columns uscc, year, the group unit,
    above_scale, the indicators and optionally grade) for previous-year benchmarks.
    ``enterprises``: the enterprises input, used for ``production_start_date`` when the results
    do not carry it.
    """
    gp = policy.grading
    er = enterprise_results
    idx = er.index
    out = pd.DataFrame(
        {"score": np.nan, "grade": None, "grade_group": None, "grade_note": None}, index=idx
    ).astype({"score": float, "grade": object, "grade_group": object, "grade_note": object})
    if er.empty:
        return out
    years = er["year"].astype("Int64") if "year" in er.columns else pd.Series(pd.NA, index=idx, dtype="Int64")
    unit = (
        er[gp.group_by].astype(object).where(er[gp.group_by].notna(), "未知")
        if gp.group_by in er.columns
        else pd.Series("未知", index=idx, dtype=object)
    )
    above = _bool(er["above_scale"]) if "above_scale" in er.columns else pd.Series(False, index=idx)
    scale = pd.Series(np.where(above, ABOVE, BELOW), index=idx)
    out["grade_group"] = unit.astype(str) + "·" + scale

    reason = _exemptions(er, gp, years, enterprises)
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
                    cur = x.groupby(grp, dropna=False).transform("mean")
                    if gp.benchmark == "previous_year_mean":
                        hm = _history_means(history, gp, ind.column)
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
                if ind.cap is not None:
                    ratio = ratio.clip(upper=ind.cap)
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
                text = (
                    "各项基准缺上年数据，取当年均值"
                    if len(labels) == len(indicators)
                    else f"基准缺上年数据，取当年均值：{'、'.join(labels)}"
                )
                notes[i].insert(0, text)

    score = score.where(graded)
    out["score"] = score.astype(float)
    if graded.any() and gp.bands:
        s = score[graded].round(6)
        g = [keys.loc[graded, "year"], keys.loc[graded, "unit"], keys.loc[graded, "scale"]]
        rank = s.groupby(g, dropna=False).rank(method="min", ascending=False)
        n = s.groupby(g, dropna=False).transform("size")
        p = (rank / n).to_numpy()
        grade = np.full(len(s), gp.bands[-1].grade, dtype=object)
        for b in reversed(gp.bands):
            grade = np.where(p <= b.upto + 1e-12, b.grade, grade)
        small = (n < gp.min_group_size).to_numpy()
        grade = np.where(small, None, grade)
        out.loc[s.index, "grade"] = grade
        for i in s.index[small]:
            notes[i].insert(0, f"组内参评企业不足{gp.min_group_size}家，仅计分不分等级")
    for i, lst in notes.items():
        if lst:
            out.at[i, "grade_note"] = "；".join(lst)
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
