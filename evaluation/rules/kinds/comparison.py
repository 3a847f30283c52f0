"""Comparison kinds: ``threshold``, ``relative_to_zone``, ``commitment``, ``flag_column``, ``coverage``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.rules.common import (
    as_bool,
    compare,
    empty,
    frac,
    label,
    num,
    thresholds,
    zone_reference,
)
from evaluation.indicators import building_coefficient, yard_dependent
from evaluation.rules.registry import register
from evaluation.standard_land import fmt_pct, fmt_value


@register("threshold")
def threshold(rule, ctx):
    value = num(ctx.pr, rule.column)
    thr = thresholds(rule, ctx.industry)
    lbl = label(rule.column)
    return compare(
        rule, ctx.pr, ctx.scope, value, thr,
        lambda v, s, t, k: f"{lbl} {fmt_value(rule.column, v)} {s} {fmt_value(rule.column, t)}",
    )


@register("relative_to_zone")
def relative_to_zone(rule, ctx):
    value = num(ctx.pr, rule.column)
    ref = zone_reference(ctx.pr, ctx.developed, rule.column, rule.statistic, rule.numerator)
    ref_a = ref.to_numpy(dtype=float)
    thr = ref * rule.fraction
    lbl = label(rule.column)
    stat = {"ratio_of_sums": "均值", "mean": "平均", "median": "中位数"}[rule.statistic]
    fr = frac(rule.fraction)
    out = compare(
        rule, ctx.pr, ctx.scope, value, thr,
        lambda v, s, t, k: (
            f"{lbl} {fmt_value(rule.column, v)} {s} 开发区{stat} "
            f"{fmt_value(rule.column, ref_a[k])} × {fr} = "
            f"{fmt_value(rule.column, t)}"
        ),
    )
    refs = ref.reindex(out.index).to_numpy(dtype=float)
    for d, r in zip(out["data"], refs):
        d["zone_reference"] = r
        d["fraction"] = rule.fraction
    return out


@register("commitment")
def commitment(rule, ctx):
    fr = 1.0 if rule.fraction is None else rule.fraction
    ev: dict[int, list[str]] = {}
    data: dict[int, list[dict]] = {}
    for col, commit_col in rule.pairs.items():
        value = num(ctx.pr, col).to_numpy(dtype=float)
        commit = (
            num(ctx.parcels, commit_col) if commit_col in ctx.parcels.columns else num(ctx.pr, commit_col)
        ).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hit = ctx.scope.to_numpy() & ~np.isnan(value) & (commit > 0) & (value < commit * fr)
        lbl = label(col)
        tail = f" × {frac(fr)}" if fr != 1 else ""
        for k in np.flatnonzero(hit).tolist():
            a, c = value[k], commit[k]
            ev.setdefault(k, []).append(
                f"{lbl} {fmt_value(col, a)} < 承诺 {fmt_value(col, c)}{tail}（差 {fmt_pct(1 - a / c)}）"
            )
            data.setdefault(k, []).append({"column": col, "value": a, "committed": c, "fraction": fr})
    pos = sorted(ev)
    return pd.DataFrame(
        {"evidence": ["；".join(ev[k]) for k in pos], "data": [{"checks": data[k]} for k in pos]},
        index=ctx.pr.index[pos],
    )


@register("flag_column")
def flag_column(rule, ctx):
    if rule.flag in ctx.pr.columns:
        f = as_bool(ctx.pr[rule.flag])
        if rule.flag in ctx.parcels.columns:
            f |= as_bool(ctx.parcels[rule.flag])
    elif rule.flag in ctx.parcels.columns:
        f = as_bool(ctx.parcels[rule.flag])
    else:
        return empty()
    idx = ctx.pr.index[(ctx.scope & f).to_numpy()]
    lbl = label(rule.flag)
    return pd.DataFrame(
        {"evidence": [f"{lbl}：是"] * len(idx), "data": [{"flag": rule.flag}] * len(idx)}, index=idx
    )


def coverage_figures(ctx) -> pd.DataFrame:
    """建筑系数 where the yard area is known, else 建筑密度, per parcel of ``ctx.pr``
    (:func:`evaluation.indicators.building_coefficient`) plus ``yard_dependent``."""
    pr, parcels = ctx.pr, ctx.parcels
    fig = building_coefficient(num(pr, "area_mu"), num(parcels, "footprint_area_m2"),
                               num(parcels, "structures_yard_area_m2"), density=num(pr, "building_coverage"))
    col = (lambda c: parcels[c] if c in parcels.columns else pd.Series(None, index=pr.index, dtype=object))
    fig["yard_dependent"] = yard_dependent(col("land_use_code"), col("land_use_scheme"), ctx.industry,
                                           ctx.policy.land)
    return fig


@register("coverage")
def coverage(rule, ctx):
    """建筑系数 (buildings + structures + open yards and work areas) ``op`` ``threshold``; with the
    yard area unknown the footprint-only 建筑密度 is judged and labelled so, except on yard-dependent
    parcels (steel, building materials, warehousing and logistics), which it would wrongly fail."""
    fig = coverage_figures(ctx)
    density_only = fig["basis"] == "density"
    scope = ctx.scope & ~(density_only & fig["yard_dependent"])
    thr = pd.Series(float(rule.threshold), index=ctx.pr.index)
    if rule.by_industry:
        thr = thresholds(rule, ctx.industry)
    basis = fig["basis"].to_numpy(dtype=object)

    def describe(v, s, t, k):
        if basis[k] == "coefficient":
            return f"建筑系数 {fmt_pct(v)} {s} {fmt_pct(t)}（含构筑物、露天堆场和操作场地）"
        return f"建筑密度 {fmt_pct(v)} {s} {fmt_pct(t)}（仅建筑基底，缺构筑物、露天堆场和操作场地面积）"

    out = compare(rule, ctx.pr, scope, fig["value"], thr, describe)
    for d, b in zip(out["data"], fig["basis"].reindex(out.index)):
        d["column"] = "building_coefficient" if b == "coefficient" else "building_coverage"
        d["basis"] = b
    return out
