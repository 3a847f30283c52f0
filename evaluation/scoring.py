"""Composite score and ranks of zones and pilot areas (docs/domain.md §9).

Components (each a fraction, higher is better), from a ``zone_results`` or ``pilot_area_results``
frame of one year:

==============  ==============================================================================
intensive       ``intensive_score`` / 100 (集约度分值)
growth          attainment of the per-mu revenue target, ``score.growth_attainment``:
                ``target_share`` (default) = growth / g_Y, g_Y the target growth on the path for
                the year (``growth.path``: (1 + 0.15)^((Y − 2020)/5) − 1, so 0.15 in 2025), i.e.
                0 % → 0, +15 % in 2025 → 1, clipped to [0, cap]; ``level_ratio`` = (1 + growth) /
                (1 + g_Y) (0 % → 0.87). In the baseline year (g_Y = 0) growth does not apply.
occupancy       ``occupancy_rate`` / occupancy target (0.80)
pilot_targets   mean attainment of the pilot-area targets that are not components themselves
                (growth and occupancy are not counted twice; ``pilot_targets.pilot_area_targets``;
                zones take their pilot area's value through ``pilot_area_code``)
unflagged       1 − ``flagged_share`` (share of supplied land flagged idle or inefficient)
==============  ==============================================================================

Normalisation per component (``score.components.<name>.normalisation``): ``'attainment'`` caps
the value to [0, ``score.attainment_cap``]; ``'minmax'`` maps it to (x − min)/(max − min) over the
units scored together (all equal → 1).

A unit without a value for a component: ``missing = 'zero'`` — no data, the component scores 0
(listed in ``score_missing``; missing is not a pass); ``'not_applicable'`` — the component does not
apply to the unit and the other weights are renormalised (listed in ``score_not_applicable``).
A unit with no data for a ``headline`` component (the +15 % growth) gets a provisional rank
(``rank_provisional``). Score = 100 × Σ w·n / Σ w over the components that apply.

Weights: expert weights from the policy, and the entropy weight method on the components' **raw
values** (intensive score, 1 + growth, occupancy rate, pilot-target attainment, unflagged share;
``score.entropy_normalisation``, default proportions) over the units with every component; a
component whose raw values hardly vary (coefficient of variation < ``entropy_min_cv``) gets weight 0
and a warning, and a component above ``entropy_warn_share`` of the weights is warned about. Both
scorings are always computed (``score_expert``/``rank_expert``, ``score_entropy``/``rank_entropy``)
so evaluators see them side by side; ``score``/``rank`` follow ``score.weight_method``. Fewer than 2
complete units → no entropy scoring (warning; expert weights used if entropy was asked for).
Rank: 1 = best, ties share the smallest rank; ``rank_change`` = previous rank − rank (positive:
moved up).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.entropy import entropy_weights
from landuse.core.contract import PROVINCE
from landuse.core.policy import GrowthPolicy, Policy

#: pilot-area targets that are composite-score components of their own (not counted twice)
DOUBLE_COUNTED = {"growth": "growth", "occupancy": "occupancy"}


@dataclass(frozen=True)
class CompositeScore:
    """The composite score table and the weights that produced it."""

    #: one row per unit: c_<component> (attainment), r_<component> (raw value), s_<component>
    #: (value | no_data | not_applicable), n_<component> (normalised), score, rank, rank_change, score_missing, score_not_applicable,
    #: rank_provisional, score_expert, rank_expert, score_entropy, rank_entropy
    table: pd.DataFrame
    #: weight per component actually used (sums to 1 over the components present)
    weights: pd.Series
    #: 'expert' or 'entropy'
    method: str
    #: normalisation inside the entropy method ('minmax' / 'proportion'), None for expert weights
    entropy_normalisation: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: both weight sets, side by side (entropy None when it cannot be computed)
    weights_expert: pd.Series | None = None
    weights_entropy: pd.Series | None = None


def ranks(score: pd.Series) -> pd.Series:
    """1 = best; ties share the smallest rank; NaN scores get no rank."""
    return score.rank(ascending=False, method="min").astype("Int64")


def flagged_share(
    parcel_results: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    key: str = "zone_code",
    rules: list[str] | None = None,
    supplied_stages: tuple[str, ...] = ("supplied", "started", "completed", "in_production", "idle"),
) -> pd.Series:
    """Share of supplied land (mu) carrying at least one flag (of ``rules``; all rules when None).

    Denominator: ``area_mu`` of parcels in ``supplied_stages``; numerator: those of them flagged.
    ``parcel_results`` must carry ``key`` (zone_code, or pilot_area_code when mapped by the caller).
    """
    f = flags if rules is None else flags[flags["rule"].isin(rules)]
    flagged_codes = set(f["parcel_code"])
    pr = parcel_results
    sup = pr["stage"].isin(supplied_stages)
    area = pd.to_numeric(pr["area_mu"], errors="coerce").astype("float64")
    parts = pd.DataFrame(
        {key: pr[key], "sup": area.where(sup, 0.0), "flag": area.where(sup & pr["parcel_code"].isin(flagged_codes), 0.0)}
    )
    g = parts.groupby(key).sum()
    return (g["flag"] / g["sup"]).where(g["sup"] > 0).rename("flagged_share")


def last_rank_streak(rank_history: pd.DataFrame, *, key: str = "zone_code", year: int,
                     within: str | None = None) -> pd.Series:
    """Years running, up to ``year``, each unit was ranked last (rank equal to that year's worst rank).

    ``rank_history`` has columns ``key``, ``year``, ``rank`` (and ``within`` when given). With
    ``within`` (e.g. ``zone_type``: ranks are published per type, docs/domain.md §9) a unit is last
    when its rank is the worst among the units of the same value of that column in that year; a
    unit alone in its group is never last. A year in which a unit has no rank breaks its streak.
    """
    cols = [key, "year", "rank"] + ([within] if within else [])
    h = rank_history[cols].dropna(subset=[key, "year", "rank"])
    h = h[h["year"] <= year]
    if within:
        h = h.assign(**{within: h[within].astype(object).where(h[within].notna(), "")})
        by = ["year", within]
    else:
        by = ["year"]
    worst = h.groupby(by)["rank"].transform("max")
    size = h.groupby(by)["rank"].transform("size")
    # a unit alone in its group is not "last" of anything
    h = h.assign(last=(h["rank"] == worst) & (size >= 2))
    out = {}
    for code, grp in h.groupby(key):
        lasts = dict(zip(grp["year"], grp["last"]))
        n, y = 0, year
        while lasts.get(y, False):
            n += 1
            y -= 1
        out[code] = n
    return pd.Series(out, dtype="int64", name="last_rank_streak")


def path_growth(year: int, growth_policy: GrowthPolicy) -> float:
    """The target growth on the path in ``year``: constant (1 + g)^t − 1 or linear g·t, t = (year −
    baseline)/(target − baseline) (the growth counterpart of ``expected_revenue_per_mu``)."""
    gp = growth_policy
    span = gp.target_year - gp.baseline_year
    t = (float(year) - gp.baseline_year) / span if span else 1.0
    if gp.path == "linear":
        return gp.target_growth * t
    return (1.0 + gp.target_growth) ** t - 1.0


def growth_attainment(growth: pd.Series, year: int | None, policy: Policy) -> pd.Series:
    """Attainment of the per-mu growth target (module doc); NaN where the target is not positive."""
    g_y = path_growth(year, policy.growth) if year is not None and not pd.isna(year) else policy.growth.target_growth
    if not g_y > 0:
        return pd.Series(np.nan, index=growth.index, dtype="float64")
    if policy.score.growth_attainment == "level_ratio":
        return (1.0 + growth) / (1.0 + g_y)
    return growth / g_y


def pilot_component(pilot_targets: pd.DataFrame, components) -> pd.Series:
    """Mean attainment over the assessed pilot-area targets that are not score components."""
    pt = pilot_targets
    if "pilot_area_code" in pt.columns:
        pt = pt.set_index("pilot_area_code")
    skip = {t for t, c in DOUBLE_COUNTED.items() if c in components}
    cols = [c for c in pt.columns if c.endswith("_attainment") and c != "target_attainment"
            and c.removesuffix("_attainment") not in skip]
    if not cols:
        return pd.to_numeric(pt["target_attainment"], errors="coerce") if "target_attainment" in pt.columns else (
            pd.Series(np.nan, index=pt.index))
    return pt[cols].apply(pd.to_numeric, errors="coerce").mean(axis=1, skipna=True)


def _year_of(ar: pd.DataFrame):
    if "year" in ar.columns:
        y = pd.to_numeric(ar["year"], errors="coerce").dropna()
        if len(y):
            return int(y.iloc[0])
    return None


def score_components(
    area_results: pd.DataFrame,
    *,
    policy: Policy,
    pilot_targets: pd.DataFrame | None = None,
    key: str = "zone_code",
    raw: bool = False,
) -> pd.DataFrame:
    """Components (attainments; with ``raw`` the raw indicator values used by the entropy method)
    indexed by ``key``; see the module doc."""
    ar = area_results
    if key in ar.columns:
        ar = ar.set_index(key)
    ar = ar[ar.index != PROVINCE]

    def num(name: str) -> pd.Series:
        if name in ar.columns:
            return pd.to_numeric(ar[name], errors="coerce").astype("float64")
        return pd.Series(np.nan, index=ar.index, dtype="float64")

    out = pd.DataFrame(index=ar.index)
    year = _year_of(ar)
    if raw:
        out["intensive"] = num("intensive_score")
        g = growth_attainment(num("growth"), year, policy)
        out["growth"] = (1.0 + num("growth")).where(g.notna())
        out["occupancy"] = num("occupancy_rate")
    else:
        out["intensive"] = num("intensive_score") / 100.0
        out["growth"] = growth_attainment(num("growth"), year, policy)
        out["occupancy"] = num("occupancy_rate") / policy.occupancy.target
    if pilot_targets is not None and len(pilot_targets):
        att = pilot_component(pilot_targets, policy.score.components)
        codes = ar.index.to_series() if key == "pilot_area_code" else ar.get("pilot_area_code")
        out["pilot_targets"] = codes.map(att).astype("float64") if codes is not None else np.nan
    else:
        out["pilot_targets"] = np.nan
    out["unflagged"] = 1.0 - num("flagged_share")
    if raw:
        out = out.clip(lower=0.0)
    return out


def _status(comps: pd.DataFrame, ar: pd.DataFrame, *, policy, key: str) -> pd.DataFrame:
    """'value' | 'no_data' | 'not_applicable' per unit and component."""
    sp = policy.score
    st = pd.DataFrame(index=comps.index)
    year = _year_of(ar.reset_index() if key not in ar.columns else ar)
    baseline = year is not None and not path_growth(year, policy.growth) > 0
    for c in comps.columns:
        spec = sp.components.get(c)
        miss = "not_applicable" if spec is None or spec.missing == "not_applicable" else "no_data"
        s = pd.Series(np.where(comps[c].notna(), "value", miss), index=comps.index, dtype=object)
        if c == "growth" and baseline:  # no growth target in the baseline year
            s[:] = "not_applicable"
        st[c] = s
    return st


def _score(n: pd.DataFrame, status: pd.DataFrame, weights: pd.Series) -> pd.Series:
    names = list(weights.index)
    nv = n[names].to_numpy(dtype="float64")
    applies = (status[names] != "not_applicable").to_numpy()
    val = np.where(np.isnan(nv), 0.0, nv)  # no data scores 0
    w = weights.to_numpy(dtype="float64")
    num = (np.where(applies, val, 0.0)) @ w
    den = applies.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(den > 0, 100.0 * num / den, np.nan), index=n.index)


def _entropy(raw: pd.DataFrame, present: list[str], sp, notes: list[str]) -> pd.Series | None:
    complete = raw[present].dropna()
    if len(complete) < 2 or not present:
        notes.append("entropy weights need ≥ 2 units with every component; not computed")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = entropy_weights(complete, normalisation=sp.entropy_normalisation, min_cv=sp.entropy_min_cv)
    for c in w.attrs.get("near_constant", []):
        notes.append(f"熵权法：{c} 各单位取值几乎相同（变异系数 {w.attrs['cv'][c]:.4f} < {sp.entropy_min_cv:g}），"
                     f"权重取 0 / entropy: {c} hardly varies (CV {w.attrs['cv'][c]:.4f}): weight 0")
    top = w.idxmax()
    if w[top] > sp.entropy_warn_share:
        notes.append(f"熵权法：{top} 权重 {w[top]:.1%} 超过 {sp.entropy_warn_share:.0%}，排名主要由该项决定 / "
                     f"entropy: {top} takes {w[top]:.1%} of the weight (> {sp.entropy_warn_share:.0%})")
    return w


def composite_score(
    area_results: pd.DataFrame,
    *,
    policy: Policy,
    pilot_targets: pd.DataFrame | None = None,
    previous_ranks: pd.Series | None = None,
    key: str = "zone_code",
) -> CompositeScore:
    """Composite score (0–100), rank and rank change of each zone (or pilot area, ``key='pilot_area_code'``).

    ``area_results``: zone_results / pilot_area_results of one year (the ``PROVINCE`` row is
    ignored). ``pilot_targets``: the output of :func:`evaluation.pilot_targets.pilot_area_targets`.
    ``previous_ranks``: last year's ranks indexed by the same codes.
    """
    sp = policy.score
    comps = score_components(area_results, policy=policy, pilot_targets=pilot_targets, key=key)
    raw = score_components(area_results, policy=policy, pilot_targets=pilot_targets, key=key, raw=True)
    ar = area_results.set_index(key) if key in area_results.columns else area_results
    names = list(sp.components)
    comps = comps.reindex(columns=names)
    raw = raw.reindex(columns=names)
    status = _status(comps, ar[ar.index != PROVINCE], policy=policy, key=key)
    notes: list[str] = []
    table = pd.DataFrame(index=comps.index)
    for c in names:
        table[f"c_{c}"] = comps[c]
    for c in names:
        table[f"r_{c}"] = raw[c]
    for c in names:
        table[f"s_{c}"] = status[c]
    n = pd.DataFrame(index=comps.index)
    for c in names:
        x = comps[c]
        if sp.components[c].normalisation == "attainment":
            v = x.clip(0.0, sp.attainment_cap)
        else:
            lo, hi = x.min(), x.max()
            v = (x - lo) / (hi - lo) if hi > lo else x.where(x.isna(), 1.0)
        n[c] = v
        table[f"n_{c}"] = v
    present = [c for c in names if comps[c].notna().any()]
    absent = [c for c in names if c not in present]
    if absent:
        notes.append(f"components with no value for any unit, left out: {absent}")

    expert = pd.Series({c: sp.components[c].weight for c in names}, dtype="float64")
    expert[absent] = 0.0
    if expert.sum() > 0:
        expert = expert / expert.sum()
    ent = _entropy(raw, present, sp, notes)
    if ent is not None:
        ent = ent.reindex(names).fillna(0.0)
        ent = ent / ent.sum() if ent.sum() > 0 else ent
    method = sp.weight_method
    ent_norm = sp.entropy_normalisation if ent is not None else None
    if method == "entropy" and ent is None:
        notes.append("entropy weights unavailable; expert weights used")
        method = "expert"
    weights = (ent if method == "entropy" and ent is not None else expert).rename("weight")

    table["score_expert"] = _score(n, status, expert)
    table["rank_expert"] = ranks(table["score_expert"])
    table["score_entropy"] = _score(n, status, ent) if ent is not None else np.nan
    table["rank_entropy"] = ranks(table["score_entropy"]) if ent is not None else pd.array(
        [pd.NA] * len(table), dtype="Int64")
    table["score"] = table["score_entropy"] if method == "entropy" else table["score_expert"]
    used = weights > 0
    table["score_missing"] = [",".join(c for c in names if used[c] and status.at[i, c] == "no_data")
                              for i in table.index]
    table["score_not_applicable"] = [",".join(c for c in names if used[c] and status.at[i, c] == "not_applicable")
                                     for i in table.index]
    headline = [c for c in names if sp.components[c].headline]
    table["rank_provisional"] = (status[headline] == "no_data").any(axis=1) if headline else False
    table["rank"] = ranks(table["score"])
    prov = list(table.index[table["rank_provisional"].to_numpy(dtype=bool)])
    if prov:
        notes.append(f"排名为暂定（缺少核心指标 {'、'.join(headline)} 的数据）/ provisional rank (no data for "
                     f"the headline component): {', '.join(map(str, prov))}")
    if previous_ranks is not None:
        prev = pd.to_numeric(previous_ranks, errors="coerce").reindex(table.index)
        table["rank_change"] = (prev - table["rank"].astype("float64")).astype("Int64")
    else:
        table["rank_change"] = pd.array([pd.NA] * len(table), dtype="Int64")
    for n_ in notes:
        warnings.warn(f"composite_score: {n_}", stacklevel=2)
    return CompositeScore(table=table, weights=weights, method=method, entropy_normalisation=ent_norm,
                          warnings=notes, weights_expert=expert.rename("weight"),
                          weights_entropy=None if ent is None else ent.rename("weight"))
