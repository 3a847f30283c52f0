"""Idle-land kinds: ``idle`` (statutory idle land, 53号令)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.rules.common import as_bool, empty
from evaluation.rules.registry import register
from evaluation.standard_land import fmt_num


@register("idle")
def idle(rule, ctx):
    idle = ctx.idle
    if idle is None or idle.empty:
        return empty()
    f = as_bool(idle["idle"]) if "idle" in idle.columns else pd.Series(False, index=idle.index)
    pos = np.flatnonzero((ctx.scope & f).to_numpy())
    idx = ctx.pr.index[pos]
    sev, act, ev, data = [], [], [], []
    for r in idle.iloc[pos].to_dict("records"):
        exempt = bool(pd.notna(r.get("exempt")) and r.get("exempt"))
        takeback = bool(pd.notna(r.get("takeback")) and r.get("takeback"))
        fee = r.get("fee_wan")
        if exempt:
            sev.append(rule.exempt_severity if rule.exempt_severity is not None else rule.severity)
            act.append(rule.exempt_action_zh or rule.action_zh)
        elif takeback:
            sev.append(rule.takeback_severity if rule.takeback_severity is not None else rule.severity)
            act.append(rule.takeback_action_zh or rule.action_zh)
        else:
            sev.append(rule.severity)
            a = rule.action_zh
            if pd.notna(fee) and fee > 0:
                a += f"（闲置费 {fmt_num(fee)} 万元）"
            act.append(a)
        given = r.get("evidence")
        if isinstance(given, str) and given.strip():
            text = given.split(" / ")[0]
        else:
            kind = {"not_started": "未动工", "halted": "中止开发"}.get(r.get("idle_kind"), "闲置")
            since = r.get("idle_since")
            text = f"{kind}，自{since:%Y-%m-%d}起闲置" if pd.notna(since) else kind
            if pd.notna(r.get("idle_days")):
                text += f" {int(r.get('idle_days'))} 天"
            if exempt:
                text += "；政府原因"
            elif pd.notna(fee) and fee > 0:
                text += f"；闲置费 {fmt_num(fee)} 万元"
            if takeback:
                text += "；满两年可收回"
        ev.append(text)
        data.append(
            {
                k: (None if pd.isna(r.get(k)) else (str(r.get(k)) if k == "idle_since" else r.get(k)))
                for k in ("idle_kind", "idle_since", "idle_days", "fee_wan", "fee_due", "takeback", "exempt")
                if k in r
            }
        )
    return pd.DataFrame({"evidence": ev, "severity": sev, "action": act, "data": data}, index=idx)
