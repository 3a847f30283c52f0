"""Grade kinds: ``grade_streak`` (the holder graded D n years running)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.grading import grade_enterprises, grade_streak as streak_of
from evaluation.rules.common import empty
from evaluation.rules.registry import register


@register("grade_streak")
def grade_streak(rule, ctx):
    er = ctx.enterprise_results
    if er is None or er.empty or "uscc" not in er.columns:
        return empty()
    cur = er
    if "year" in cur.columns:
        cur = cur[cur["year"].astype("Int64") == ctx.year]
    if "grade" not in cur.columns or cur["grade"].isna().all():
        graded = grade_enterprises(cur, policy=ctx.policy, history=ctx.grade_history)
        cur = cur.assign(grade=graded["grade"])
    streak = streak_of(cur, ctx.grade_history, year=ctx.year, grade=rule.grade, years=rule.years)
    holder = ctx.pr.get("holder_uscc", pd.Series(None, index=ctx.pr.index))
    hit = ctx.scope & holder.map(streak).fillna(False).astype(bool)
    pos = np.flatnonzero(hit.to_numpy())
    yrs = "、".join(str(ctx.year - k) for k in reversed(range(rule.years)))
    holders = holder.to_numpy(dtype=object)[pos]
    ev = [f"权利人 {h} {yrs}年均评为{rule.grade}类" for h in holders]
    return pd.DataFrame(
        {
            "evidence": ev,
            "data": [{"holder_uscc": h, "grade": rule.grade, "years": rule.years} for h in holders],
        },
        index=ctx.pr.index[pos],
    )
