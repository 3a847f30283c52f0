"""Composite score and ranks of zones and pilot areas (docs/domain.md §9).

Components (each a fraction, higher is better), from a ``zone_results`` or ``pilot_area_results``
frame of one year:

==============  ==============================================================================
intensive       ``intensive_score`` / 100 (集约度分值)
growth          attainment of the per-mu revenue target: (1 + growth) / (1 + target_growth),
                i.e. the value reached over the target value baseline × 1.15
occupancy       ``occupancy_rate`` / occupancy target (0.80)
pilot_targets   mean attainment of the pilot-area targets (``pilot_targets.target_attainment``;
                zones take their pilot area's value through ``pilot_area_code``)
unflagged       1 − ``flagged_share`` (share of supplied land flagged idle or inefficient)
==============  ==============================================================================

Normalisation per component (``score.components.<name>.normalisation``): ``'attainment'`` caps
the value to [0, ``score.attainment_cap``]; ``'minmax'`` maps it to (x − min)/(max − min) over the
units scored together (all equal → 1). Weights: expert weights from the policy, or the entropy
weight method on the normalised components (``score.weight_method = 'entropy'``, normalisation
``score.entropy_normalisation``; computed over units with every component; fewer than 2 such
units → expert weights and a warning). A unit missing a component is scored on the others, with
their weights renormalised (listed in ``score_missing``). Score = 100 × weighted mean.
Rank: 1 = best, ties share the smallest rank; ``rank_change`` = previous rank − rank (positive:
moved up).
"""

from __future__ import annotations

from landuse.core.contract import PROVINCE

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.entropy import entropy_weights



@dataclass(frozen=True)
class CompositeScore:
    """The composite score table and the weights that produced it."""

    #: one row per unit: c_<component> (raw), n_<component> (normalised), score, rank, rank_change,
    #: score_missing
    table: pd.DataFrame
    #: weight per component actually used (sums to 1 over the components present)
    weights: pd.Series
    #: 'expert' or 'entropy'
    method: str
    #: normalisation inside the entropy method ('minmax' / 'proportion'), None for expert weights
    entropy_normalisation: str | None = None
    warnings: list[str] = field(default_factory=list)


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


def last_rank_streak(rank_history: pd.DataFrame, *, key: str = "zone_code", year: int) -> pd.Series:
    """Years running, up to ``year``, each unit was ranked last (rank equal to that year's worst rank).

    ``rank_history`` has columns ``key``, ``year``, ``rank``. A year in which a unit has no rank
    breaks its streak.
    """
    h = rank_history[[key, "year", "rank"]].dropna()
    h = h[h["year"] <= year]
    worst = h.groupby("year")["rank"].transform("max")
    h = h.assign(last=h["rank"] == worst)
    out = {}
    for code, grp in h.groupby(key):
        lasts = dict(zip(grp["year"], grp["last"]))
        n, y = 0, year
        while lasts.get(y, False):
            n += 1
            y -= 1
        out[code] = n
    return pd.Series(out, dtype="int64", name="last_rank_streak")


def score_components(
    area_results: pd.DataFrame,
    *,
    policy,
    pilot_targets: pd.DataFrame | None = None,
    key: str = "zone_code",
) -> pd.DataFrame:
    """Raw components (fractions, higher is better) indexed by ``key``; see the module doc."""
    ar = area_results
    if key in ar.columns:
        ar = ar.set_index(key)
    ar = ar[ar.index != PROVINCE]

    def num(name: str) -> pd.Series:
        if name in ar.columns:
            return pd.to_numeric(ar[name], errors="coerce").astype("float64")
        return pd.Series(np.nan, index=ar.index, dtype="float64")

    target_growth = policy.growth.target_growth
    out = pd.DataFrame(index=ar.index)
    out["intensive"] = num("intensive_score") / 100.0
    out["growth"] = (1.0 + num("growth")) / (1.0 + target_growth)
    out["occupancy"] = num("occupancy_rate") / policy.occupancy.target
    if pilot_targets is not None and "target_attainment" in pilot_targets.columns:
        pt = pilot_targets
        if "pilot_area_code" in pt.columns:
            pt = pt.set_index("pilot_area_code")
        att = pd.to_numeric(pt["target_attainment"], errors="coerce")
        codes = ar.index.to_series() if key == "pilot_area_code" else ar.get("pilot_area_code")
        out["pilot_targets"] = (
            codes.map(att).astype("float64") if codes is not None else np.nan
        )
    else:
        out["pilot_targets"] = np.nan
    out["unflagged"] = 1.0 - num("flagged_share")
    return out


def composite_score(
    area_results: pd.DataFrame,
    *,
    policy,
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
    names = list(sp.components)
    notes: list[str] = []
    table = pd.DataFrame(index=comps.index)
    for c in names:
        table[f"c_{c}"] = comps[c]
    for c in names:
        x = comps[c]
        if sp.components[c].normalisation == "attainment":
            n = x.clip(0.0, sp.attainment_cap)
        else:
            lo, hi = x.min(), x.max()
            n = (x - lo) / (hi - lo) if hi > lo else x.where(x.isna(), 1.0)
        table[f"n_{c}"] = n
    ncols = [f"n_{c}" for c in names]
    present = [c for c in names if table[f"n_{c}"].notna().any()]
    absent = [c for c in names if c not in present]
    if absent:
        notes.append(f"components with no value for any unit, left out: {absent}")

    method = sp.weight_method
    ent_norm = None
    expert = pd.Series({c: sp.components[c].weight for c in present}, dtype="float64")
    if method == "entropy":
        complete = table[[f"n_{c}" for c in present]].dropna()
        if len(complete) >= 2 and present:
            m = complete.copy()
            m.columns = present
            w = entropy_weights(m, normalisation=sp.entropy_normalisation)
            ent_norm = sp.entropy_normalisation
        else:
            notes.append("entropy weights need ≥ 2 units with every component; expert weights used")
            w = expert
            method = "expert"
    else:
        w = expert
    if w.sum() > 0:
        w = w / w.sum()
    weights = w.reindex(names).fillna(0.0).rename("weight")

    nmat = table[ncols].to_numpy(dtype="float64")
    wv = weights.to_numpy()
    have = ~np.isnan(nmat)
    num = np.where(have, nmat, 0.0) @ wv
    den = have.astype(float) @ wv
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, 100.0 * num / den, np.nan)
    table["score"] = score
    table["score_missing"] = [
        ",".join(c for c, h in zip(names, row) if not h and weights[c] > 0) for row in have
    ]
    table["rank"] = ranks(table["score"])
    if previous_ranks is not None:
        prev = pd.to_numeric(previous_ranks, errors="coerce").reindex(table.index)
        table["rank_change"] = (prev - table["rank"].astype("float64")).astype("Int64")
    else:
        table["rank_change"] = pd.array([pd.NA] * len(table), dtype="Int64")
    for n_ in notes:
        warnings.warn(f"composite_score: {n_}", stacklevel=2)
    return CompositeScore(table=table, weights=weights, method=method, entropy_normalisation=ent_norm, warnings=notes)
