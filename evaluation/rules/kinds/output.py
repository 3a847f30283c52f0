"""Output kinds: ``zero_output`` (停产) and ``not_reported`` (the figures of a parcel's users are missing)."""

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


@register("not_reported")
def not_reported(rule, ctx):
    """Developed land whose users did not report the year's figures (docs/domain.md §11): the land
    left the per-mu figures; the output-based rules cannot judge it. Evidence: the share of the
    parcel not reported and which of its users are missing."""
    if "output_status" not in ctx.pr.columns:
        return pd.DataFrame({"evidence": [], "data": []})
    hit = ctx.scope & ctx.pr["output_status"].isin(["not_reported", "partly_reported"])
    pos = np.flatnonzero(hit.to_numpy())
    idx = ctx.pr.index[pos]
    share = num(ctx.pr, "reported_share").to_numpy()[pos]
    status = ctx.pr["output_status"].to_numpy()[pos]
    holder = (ctx.pr["holder_name"] if "holder_name" in ctx.pr.columns else pd.Series(None, index=ctx.pr.index))
    holder = holder.to_numpy()[pos]
    ev, data = [], []
    for s, st, h in zip(share, status, holder):
        who = h if (st == "not_reported" and isinstance(h, str) and h) else "使用企业"
        part = 1.0 - (0.0 if np.isnan(s) else s)
        ev.append(f"{ctx.year}年{who}未报送营业收入等数据，占宗地 {part:.0%} 的用地未计入亩均指标 / "
                  f"{ctx.year}: figures not reported for {part:.0%} of the parcel")
        data.append({"unreported_share": part})
    return pd.DataFrame({"evidence": ev, "data": data}, index=idx)
