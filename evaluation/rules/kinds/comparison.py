"""Comparison kinds: ``threshold``, ``relative_to_zone``, ``commitment``, ``flag_column``."""

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
        for k in np.flatnonzero(hit):
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
