"""Standard-land kind: ``standard_land`` (a check of the life cycle failed, docs/domain.md §10): the
acceptance checks in the completion year only (afterwards they are recorded), the review every year."""

from __future__ import annotations

import pandas as pd

from evaluation.rules.common import empty
from evaluation.rules.registry import register


@register("standard_land")
def standard_land(rule, ctx):
    chk = ctx.sl_checks()
    if chk.empty:
        return empty()
    # a recorded acceptance result (judged in the completion year) is not a new finding
    recorded = chk["recorded"].astype("boolean").fillna(False).astype(bool) if "recorded" in chk.columns else False
    f = chk[(chk["status"] == "failed") & chk["phase"].isin(rule.phases) & ~recorded]
    f = f[f["parcel_code"].isin(ctx.pr.index[ctx.scope.to_numpy()])]
    if f.empty:
        return empty()
    f = f.sort_values("parcel_code", kind="stable")
    codes = f["parcel_code"].to_numpy(dtype=object)
    ev: dict = {}
    data: dict = {}
    worst: dict = {}
    for code, chk_code, a, c, sf, e, cons in zip(
        codes, f["check"], f["actual"], f["committed"], f["shortfall"], f["evidence"], f["consequence"]
    ):
        ev.setdefault(code, []).append(str(e))
        data.setdefault(code, []).append({"check": chk_code, "actual": a, "committed": c, "shortfall": sf})
        if code not in worst or sf > worst[code][0]:
            worst[code] = (sf, cons)
    idx = list(ev)
    act = [f"{worst[c][1]}（{rule.action_zh}）" if rule.action_zh else worst[c][1] for c in idx]
    return pd.DataFrame(
        {
            "evidence": ["；".join(ev[c]) for c in idx],
            "action": act,
            "data": [{"checks": data[c]} for c in idx],
        },
        index=pd.Index(idx, dtype=object),
    )
