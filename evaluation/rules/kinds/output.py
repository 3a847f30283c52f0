"""Output kinds: ``zero_output`` (停产)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.rules.common import as_bool, label, num
from evaluation.rules.registry import register
from evaluation.standard_land import fmt_num


@register("zero_output")
def zero_output(rule, ctx):
    hit = ctx.scope.copy()
    # a zero must be reported (or the land unused): a missing figure is not a zero (docs/domain.md §11)
    if "output_status" in ctx.pr.columns:
        hit &= ~ctx.pr["output_status"].isin(["not_reported", "partly_reported"]).to_numpy()
    for c in rule.columns:
        hit &= num(ctx.pr, c).fillna(0.0) <= rule.max_value
    pos = np.flatnonzero(hit.to_numpy())
    idx = ctx.pr.index[pos]
    no_ent = (
        as_bool(ctx.pr["no_enterprise"]).to_numpy()[pos]
        if "no_enterprise" in ctx.pr.columns
        else np.zeros(len(pos), dtype=bool)
    )
    vals = {c: num(ctx.pr, c).fillna(0.0).to_numpy()[pos] for c in rule.columns}
    ev, data = [], []
    for j in range(len(pos)):
        parts = [f"{label(c)} {fmt_num(vals[c][j])}" for c in rule.columns]
        text = f"{ctx.year}年" + "、".join(parts) + f"（≤ {fmt_num(rule.max_value)}）"
        if no_ent[j]:
            text += "，已开发无使用企业"
        else:
            text += "，使用企业申报为0"
        ev.append(text)
        data.append({"columns": list(rule.columns), "max_value": rule.max_value})
    return pd.DataFrame({"evidence": ev, "data": data}, index=idx)
