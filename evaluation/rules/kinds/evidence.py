"""Evidence kinds (not findings by themselves): ``raster_mismatch`` (remote sensing vs declared stage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.rules.common import empty, num
from evaluation.rules.registry import register
from evaluation.standard_land import fmt_pct
from landuse.core.labels import stage_label


@register("raster_mismatch")
def raster_mismatch(rule, ctx):
    share = ctx.built_up
    if share is None:
        if "built_up_share" not in ctx.pr.columns:
            return empty()
        share = num(ctx.pr, "built_up_share")
    else:
        share = pd.to_numeric(share, errors="coerce").reindex(ctx.pr.index).astype(float)
    stage = ctx.pr.get("stage", pd.Series(None, index=ctx.pr.index, dtype=object))
    over = stage.isin(rule.undeveloped_stages) & (share >= rule.max_share_undeveloped)
    under = stage.isin(rule.developed_stages) & (share < rule.min_share_developed)
    hit = ctx.scope & share.notna() & (over | under)
    pos = np.flatnonzero(hit.to_numpy())
    st_a, sh_a, ov_a = (
        stage.to_numpy(dtype=object)[pos],
        share.to_numpy(dtype=float)[pos],
        over.to_numpy()[pos],
    )
    ev = []
    for st, sh, ov in zip(st_a, sh_a, ov_a):
        zh = stage_label(st, "zh")
        if ov:
            ev.append(f"申报{zh}，遥感建成比例 {fmt_pct(sh)} ≥ {fmt_pct(rule.max_share_undeveloped)}")
        else:
            ev.append(f"申报{zh}，遥感建成比例 {fmt_pct(sh)} < {fmt_pct(rule.min_share_developed)}")
    return pd.DataFrame(
        {"evidence": ev, "data": [{"stage": st, "built_up_share": sh} for st, sh in zip(st_a, sh_a)]},
        index=ctx.pr.index[pos],
    )
