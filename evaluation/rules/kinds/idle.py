"""Idle-land kinds: ``idle`` (statutory idle land, 53号令) and ``idle_data`` (idle land that cannot
be assessed for want of data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.lifecycle import MISSING_ZH
from evaluation.rules.common import as_bool, empty
from evaluation.rules.registry import register
from evaluation.standard_land import fmt_num

_DATA_KEYS = ("idle_kind", "idle_since", "idle_days", "fee_wan", "fee_due", "fee_due_date", "takeback", "exempt")


def _zh(text: str) -> str:
    """The Chinese half of each "中文 / English" sentence of a bilingual evidence text."""
    return "；".join(part.split(" / ")[0] for part in text.split("；"))


def _flag(r, key) -> bool:
    v = r.get(key)
    return bool(pd.notna(v) and v)


@register("idle")
def idle(rule, ctx):
    """Severity and action by case: exempt (government or force majeure: extension, no fee, gain 0 —
    the land is not freed); take-back after two years not started; halted works two years (a legal
    review before any take-back); the year the land became idle (the one-off fee); a later year
    (the fee was due then: follow the disposal)."""
    idle = ctx.idle
    if idle is None or idle.empty:
        return empty()
    f = as_bool(idle["idle"]) if "idle" in idle.columns else pd.Series(False, index=idle.index)
    pos = np.flatnonzero((ctx.scope & f).to_numpy())
    idx = ctx.pr.index[pos]
    sev, act, ev, data, gain = [], [], [], [], []
    for r in idle.iloc[pos].to_dict("records"):
        exempt, takeback, due = _flag(r, "exempt"), _flag(r, "takeback"), _flag(r, "fee_due")
        halted = r.get("idle_kind") == "halted"
        fee = r.get("fee_wan")
        gain.append(0.0 if exempt else np.nan)  # NaN: the rule's own gain (the parcel's area)
        if exempt:
            sev.append(rule.exempt_severity if rule.exempt_severity is not None else rule.severity)
            act.append(rule.exempt_action_zh or rule.action_zh)
        elif takeback:
            sev.append(rule.takeback_severity if rule.takeback_severity is not None else rule.severity)
            if halted:
                act.append(rule.halted_takeback_action_zh or rule.takeback_action_zh or rule.action_zh)
            else:
                act.append(rule.takeback_action_zh or rule.action_zh)
        elif due or not rule.continuing_action_zh:
            sev.append(rule.severity)
            a = rule.action_zh
            if due and pd.notna(fee) and fee > 0:
                a += f"（闲置费 {fmt_num(fee)} 万元）"
            act.append(a)
        else:
            sev.append(rule.severity)
            act.append(rule.continuing_action_zh)
        given = r.get("evidence")
        if isinstance(given, str) and given.strip():
            text = _zh(given)
        else:
            kind = {"not_started": "未动工", "halted": "中止开发"}.get(r.get("idle_kind"), "闲置")
            since = r.get("idle_since")
            text = f"{kind}，自{since:%Y-%m-%d}起闲置" if pd.notna(since) else kind
            if pd.notna(r.get("idle_days")):
                text += f" {int(r.get('idle_days'))} 天"
            if exempt:
                text += "；政府原因或不可抗力"
            elif due and pd.notna(fee) and fee > 0:
                text += f"；闲置费 {fmt_num(fee)} 万元（一次性）"
            if takeback:
                text += "；满两年，收回须法律审核" if halted else "；满两年可无偿收回"
        ev.append(text)
        data.append({k: (None if pd.isna(r.get(k)) else (str(r.get(k))[:10] if k in ("idle_since", "fee_due_date")
                                                          else r.get(k)))
                     for k in _DATA_KEYS if k in r})
    return pd.DataFrame({"evidence": ev, "severity": sev, "action": act, "gain_mu": gain, "data": data}, index=idx)


@register("idle_data")
def idle_data(rule, ctx):
    """Supplied land whose idle status cannot be judged: ``missing_data`` of the idle status (no
    agreed start date on land supplied a year or more and not started; a year-long halt with the
    developed area or the investment unknown). Evidence names the missing items."""
    idle = ctx.idle
    if idle is None or idle.empty or "missing_data" not in idle.columns:
        return empty()
    miss = idle["missing_data"]
    hit = ctx.scope & miss.notna() & (miss.astype(str) != "")
    pos = np.flatnonzero(hit.to_numpy())
    idx = ctx.pr.index[pos]
    ev, data = [], []
    for r in idle.iloc[pos].to_dict("records"):
        items = [m for m in str(r["missing_data"]).split(";") if m]
        given = r.get("evidence")
        names = "、".join(MISSING_ZH.get(m, m) for m in items)
        ev.append(_zh(given) if isinstance(given, str) and given.strip() else f"缺少{names}，无法认定是否闲置")
        data.append({"missing": items})
    return pd.DataFrame({"evidence": ev, "data": data}, index=idx)
