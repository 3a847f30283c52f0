"""Inefficient and idle industrial land: the rules of docs/domain.md §7 as policy data, one engine.

Each ``[[rules.rule]]`` of the policy names a generic kind (see ``landuse.core.policy.rules.Rule``); this
module knows the kinds, the policy holds the rules. ``flag_parcels`` returns one row per (parcel,
rule) in the columns of the ``flags`` layer.

Scope: rules with ``scope = "developed"`` look at developed industrial parcels (``developed`` and
``industrial`` of parcel_results; a missing ``industrial`` column counts as industrial);
``scope = "supplied"`` (idle, rs_mismatch) at industrial parcels whose stage is known and not
``unsupplied``. Missing values never trigger a comparison rule (a parcel without a FAR is not
"below 1.0"), except in ``zero_output`` where missing output counts as 0 (no enterprise, no output).

Zone figures use the zone's developed industrial parcels of the year: the ``ratio_of_sums``
statistic is Σ numerator / Σ area_mu (the zone's own 亩均 figure, docs/domain.md §5); the gain reference
is the median of revenue_per_mu (missing = 0) over the same parcels.

Gain: ``mu`` → gain_mu = area_mu; ``wan`` → gain_wan = max(zone median revenue_per_mu − the parcel's
revenue_per_mu (missing = 0), 0) × area_mu; the other gain column is NaN.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pandas as pd

from evaluation import lifecycle
from evaluation.grading import grade_enterprises, grade_streak
from evaluation.standard_land import fmt_num, fmt_pct, fmt_value, object_strings, standard_land_checks
from landuse.core.contract import FLAGS, PARCEL_RESULTS, PARCELS
from landuse.core.labels import stage_label

__all__ = ["flag_parcels", "FLAG_COLUMNS", "zone_reference", "zone_median_revenue_per_mu", "evidence_json"]

FLAG_COLUMNS = FLAGS.names
_OPS = {
    "lt": (np.less, "<"),
    "le": (np.less_equal, "≤"),
    "gt": (np.greater, ">"),
    "ge": (np.greater_equal, "≥"),
}
_EXTRA_LABELS = {"office_share": "办公用地比例", "built_up_share": "遥感建成比例"}


def _label(column: str) -> str:
    try:
        zh = PARCEL_RESULTS.col(column).zh
    except KeyError:
        return _EXTRA_LABELS.get(column, column)
    return zh.split("(")[0]


def _frac(x: float) -> str:
    f = Fraction(x).limit_denominator(12)
    if abs(float(f) - x) < 1e-9 and f.denominator != 1 and f.numerator == 1:
        return f"{f.numerator}/{f.denominator}"
    return fmt_pct(x) if x < 1 else fmt_num(x)


def _bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").astype(float)


def _year_rows(parcel_results: pd.DataFrame, year: int) -> pd.DataFrame:
    pr = parcel_results
    if "year" in pr.columns:
        pr = pr[pr["year"].astype("Int64") == year]
    pr = pr.drop_duplicates("parcel_code")
    out = pr.set_index(pr["parcel_code"].astype(object), drop=False)
    out.index.name = None
    return out


def _by_code(frame: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(index=index)
    if "parcel_code" in frame.columns:
        frame = frame.drop_duplicates("parcel_code").set_index("parcel_code")
    return frame.reindex(index)


def _developed(pr: pd.DataFrame) -> pd.Series:
    dev = _bool(pr["developed"]) if "developed" in pr.columns else pd.Series(False, index=pr.index)
    if "industrial" in pr.columns:
        dev &= pr["industrial"].astype("boolean").fillna(True).astype(bool)
    return dev


def _supplied(pr: pd.DataFrame) -> pd.Series:
    stage = pr["stage"] if "stage" in pr.columns else pd.Series(None, index=pr.index, dtype=object)
    sup = stage.notna() & (stage != "unsupplied")
    if "industrial" in pr.columns:
        sup &= pr["industrial"].astype("boolean").fillna(True).astype(bool)
    return sup | _developed(pr)


def zone_reference(
    pr: pd.DataFrame, developed: pd.Series, column: str, statistic: str, numerator: str | None = None
) -> pd.Series:
    """The zone figure of ``column`` over developed parcels, broadcast to every parcel of ``pr``."""
    d = pr[developed]
    if statistic == "ratio_of_sums":
        num = numerator or (column.removesuffix("_per_mu") + "_wan")
        if num not in d.columns:
            raise KeyError(f"ratio_of_sums for {column}: numerator column {num!r} not in parcel_results")
        sums = pd.DataFrame({"n": _num(d, num).fillna(0.0), "a": _num(d, "area_mu"), "z": d["zone_code"]})
        g = sums.groupby("z")[["n", "a"]].sum()
        ref = g["n"] / g["a"].where(g["a"] > 0)
    else:
        v = _num(d, column)
        ref = v.groupby(d["zone_code"]).agg(statistic)
    return pr["zone_code"].map(ref).astype(float)


def zone_median_revenue_per_mu(parcel_results: pd.DataFrame) -> pd.Series:
    """zone_code → median revenue_per_mu (missing = 0) of the zone's developed industrial parcels.

    ``parcel_results`` must hold one year (or pass the rows of one year)."""
    pr = parcel_results
    dev = _developed(pr)
    rpm = _num(pr, "revenue_per_mu").fillna(0.0)
    return rpm[dev].groupby(pr.loc[dev, "zone_code"]).median()


def _industry_of_holder(pr, enterprise_results, inputs) -> pd.Series:
    codes = None
    for frame in (enterprise_results, (inputs or {}).get("enterprises")):
        if frame is not None and {"uscc", "industry_code"} <= set(frame.columns):
            m = frame.dropna(subset=["uscc"]).drop_duplicates("uscc").set_index("uscc")["industry_code"]
            s = pr.get("holder_uscc", pd.Series(None, index=pr.index)).map(m)
            codes = s if codes is None else codes.fillna(s)
    return codes if codes is not None else pd.Series(None, index=pr.index, dtype=object)


def _digits(code) -> str:
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return ""
    return str(code).strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")


def _thresholds(rule, industry: pd.Series) -> pd.Series:
    thr = pd.Series(float(rule.threshold), index=industry.index)
    if rule.by_industry:
        # longest prefix wins
        items = sorted(((_digits(k), v) for k, v in rule.by_industry.items()), key=lambda kv: -len(kv[0]))
        dig = industry.map(_digits)
        chosen = pd.Series(np.nan, index=industry.index)
        for pre, v in items:
            hit = chosen.isna() & dig.str.startswith(pre) & (dig != "")
            chosen[hit] = v
        thr = chosen.fillna(thr)
    return thr


# ----------------------------------------------------------------------------------------------
# kinds: each returns a frame indexed by parcel_code (flagged only) with evidence [, severity,
# action, data]
# ----------------------------------------------------------------------------------------------


def _compare(rule, pr, scope, value: pd.Series, thr: pd.Series, describe) -> pd.DataFrame:
    fn, sym = _OPS[rule.op]
    v_all, t_all = value.to_numpy(dtype=float), thr.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        hit = scope.to_numpy() & ~np.isnan(v_all) & ~np.isnan(t_all) & fn(v_all, t_all)
    pos = np.flatnonzero(hit)
    v, t = v_all[pos], t_all[pos]
    ev = [describe(a, sym, b, k) for a, b, k in zip(v, t, pos)]
    data = [{"column": rule.column, "value": a, "op": rule.op, "threshold": b} for a, b in zip(v, t)]
    return pd.DataFrame({"evidence": ev, "data": data}, index=pr.index[pos])


def _k_threshold(rule, ctx):
    value = _num(ctx.pr, rule.column)
    thr = _thresholds(rule, ctx.industry)
    lbl = _label(rule.column)
    return _compare(
        rule,
        ctx.pr,
        ctx.scope,
        value,
        thr,
        lambda v, s, t, k: f"{lbl} {fmt_value(rule.column, v)} {s} {fmt_value(rule.column, t)}",
    )


def _k_relative(rule, ctx):
    value = _num(ctx.pr, rule.column)
    ref = zone_reference(ctx.pr, ctx.developed, rule.column, rule.statistic, rule.numerator)
    ref_a = ref.to_numpy(dtype=float)
    thr = ref * rule.fraction
    lbl = _label(rule.column)
    stat = {"ratio_of_sums": "均值", "mean": "平均", "median": "中位数"}[rule.statistic]
    frac = _frac(rule.fraction)
    out = _compare(
        rule,
        ctx.pr,
        ctx.scope,
        value,
        thr,
        lambda v, s, t, k: (
            f"{lbl} {fmt_value(rule.column, v)} {s} 开发区{stat} "
            f"{fmt_value(rule.column, ref_a[k])} × {frac} = "
            f"{fmt_value(rule.column, t)}"
        ),
    )
    refs = ref.reindex(out.index).to_numpy(dtype=float)
    for d, r in zip(out["data"], refs):
        d["zone_reference"] = r
        d["fraction"] = rule.fraction
    return out


def _k_commitment(rule, ctx):
    frac = 1.0 if rule.fraction is None else rule.fraction
    ev: dict[int, list[str]] = {}
    data: dict[int, list[dict]] = {}
    for col, commit_col in rule.pairs.items():
        value = _num(ctx.pr, col).to_numpy(dtype=float)
        commit = (
            _num(ctx.parcels, commit_col) if commit_col in ctx.parcels.columns else _num(ctx.pr, commit_col)
        ).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hit = ctx.scope.to_numpy() & ~np.isnan(value) & (commit > 0) & (value < commit * frac)
        lbl = _label(col)
        tail = f" × {_frac(frac)}" if frac != 1 else ""
        for k in np.flatnonzero(hit):
            a, c = value[k], commit[k]
            ev.setdefault(k, []).append(
                f"{lbl} {fmt_value(col, a)} < 承诺 {fmt_value(col, c)}{tail}（差 {fmt_pct(1 - a / c)}）"
            )
            data.setdefault(k, []).append({"column": col, "value": a, "committed": c, "fraction": frac})
    pos = sorted(ev)
    return pd.DataFrame(
        {"evidence": ["；".join(ev[k]) for k in pos], "data": [{"checks": data[k]} for k in pos]},
        index=ctx.pr.index[pos],
    )


def _k_flag(rule, ctx):
    if rule.flag in ctx.pr.columns:
        f = _bool(ctx.pr[rule.flag])
        if rule.flag in ctx.parcels.columns:
            f |= _bool(ctx.parcels[rule.flag])
    elif rule.flag in ctx.parcels.columns:
        f = _bool(ctx.parcels[rule.flag])
    else:
        return pd.DataFrame({"evidence": [], "data": []})
    idx = ctx.pr.index[(ctx.scope & f).to_numpy()]
    lbl = _label(rule.flag)
    if lbl == rule.flag:
        try:
            lbl = PARCELS.col(rule.flag).zh
        except KeyError:
            pass
    return pd.DataFrame(
        {"evidence": [f"{lbl}：是"] * len(idx), "data": [{"flag": rule.flag}] * len(idx)}, index=idx
    )


def _k_zero(rule, ctx):
    hit = ctx.scope.copy()
    for c in rule.columns:
        hit &= _num(ctx.pr, c).fillna(0.0) <= rule.max_value
    pos = np.flatnonzero(hit.to_numpy())
    idx = ctx.pr.index[pos]
    no_ent = (
        _bool(ctx.pr["no_enterprise"]).to_numpy()[pos]
        if "no_enterprise" in ctx.pr.columns
        else np.zeros(len(pos), dtype=bool)
    )
    vals = {c: _num(ctx.pr, c).fillna(0.0).to_numpy()[pos] for c in rule.columns}
    ev, data = [], []
    for j in range(len(pos)):
        parts = [f"{_label(c)} {fmt_num(vals[c][j])}" for c in rule.columns]
        text = f"{ctx.year}年" + "、".join(parts) + f"（≤ {fmt_num(rule.max_value)}）"
        if no_ent[j]:
            text += "，已开发无企业"
        ev.append(text)
        data.append({"columns": list(rule.columns), "max_value": rule.max_value})
    return pd.DataFrame({"evidence": ev, "data": data}, index=idx)


def _k_idle(rule, ctx):
    idle = ctx.idle
    if idle is None or idle.empty:
        return pd.DataFrame({"evidence": [], "data": []})
    f = _bool(idle["idle"]) if "idle" in idle.columns else pd.Series(False, index=idle.index)
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


def _k_grade(rule, ctx):
    er = ctx.enterprise_results
    if er is None or er.empty or "uscc" not in er.columns:
        return pd.DataFrame({"evidence": [], "data": []})
    cur = er
    if "year" in cur.columns:
        cur = cur[cur["year"].astype("Int64") == ctx.year]
    if "grade" not in cur.columns or cur["grade"].isna().all():
        hist = ctx.grade_history
        graded = grade_enterprises(cur, policy=ctx.policy, history=hist)
        cur = cur.assign(grade=graded["grade"])
    streak = grade_streak(cur, ctx.grade_history, year=ctx.year, grade=rule.grade, years=rule.years)
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


def _k_standard_land(rule, ctx):
    chk = ctx.sl_checks()
    if chk.empty:
        return pd.DataFrame({"evidence": [], "data": []})
    f = chk[(chk["status"] == "failed") & chk["phase"].isin(rule.phases)]
    f = f[f["parcel_code"].isin(ctx.pr.index[ctx.scope.to_numpy()])]
    if f.empty:
        return pd.DataFrame({"evidence": [], "data": []})
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


def _k_raster(rule, ctx):
    share = ctx.built_up
    if share is None:
        if "built_up_share" not in ctx.pr.columns:
            return pd.DataFrame({"evidence": [], "data": []})
        share = _num(ctx.pr, "built_up_share")
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


_KINDS = {
    "threshold": _k_threshold,
    "relative_to_zone": _k_relative,
    "commitment": _k_commitment,
    "flag_column": _k_flag,
    "zero_output": _k_zero,
    "idle": _k_idle,
    "grade_streak": _k_grade,
    "standard_land": _k_standard_land,
    "raster_mismatch": _k_raster,
}


class _Ctx:
    def __init__(self, **kw):
        self.__dict__.update(kw)
        self._sl = None

    def sl_checks(self):
        if self._sl is None:
            self._sl = (
                self.given_sl
                if self.given_sl is not None
                else standard_land_checks(
                    self.raw_parcels, self.raw_pr, year=self.year, as_of=self.as_of, policy=self.policy
                )
            )
        return self._sl


def _empty_flags() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    return out.astype({"year": "Int64", "severity": "Int64", "gain_mu": float, "gain_wan": float})


def flag_parcels(
    parcel_results: pd.DataFrame,
    *,
    inputs: dict | None,
    enterprise_results: pd.DataFrame | None,
    idle: pd.DataFrame | None,
    policy,
    year: int,
    grade_history: pd.DataFrame | None = None,
    built_up: pd.Series | None = None,
    as_of=None,
    standard_land: pd.DataFrame | None = None,
    with_data: bool = False,
) -> pd.DataFrame:
    """Apply every enabled rule of ``policy.rules``; one row per (parcel, rule), ``flags`` columns.

    - ``inputs``: the input layers by name; ``inputs["parcels"]`` supplies flag columns,
      commitments and completion dates.
    - ``enterprise_results``: for the holder's industry (per-industry thresholds) and grade; when it
      has no ``grade`` the year's rows are graded with ``grade_enterprises``.
    - ``idle``: ``evaluation.lifecycle.idle_status`` output (indexed by or carrying parcel_code);
      when None it is computed from ``inputs["parcels"]`` at ``as_of``.
    - ``grade_history``: earlier enterprise grades (uscc, year, grade).
    - ``built_up``: parcel_code → built-up share (``parcels.raster_evidence.built_up_share``);
      default: parcel_results' ``built_up_share``.
    - ``as_of``: default 31 December of ``year``; ``standard_land``: precomputed
      ``standard_land_checks`` output.
    - ``with_data``: add a ``data`` column with the compared values as a JSON string.

    Rows are sorted by parcel_code, then the rule's order in the policy.
    """
    inputs = inputs or {}
    as_of = pd.Timestamp(f"{year}-12-31") if as_of is None else pd.Timestamp(as_of)
    pr = _year_rows(parcel_results, year)
    if pr.empty or not policy.rules.enabled:
        out = _empty_flags()
        return out.assign(data=pd.Series(dtype=object)) if with_data else out
    raw_parcels = inputs.get("parcels")
    parcels = _by_code(raw_parcels, pr.index)
    if "zone_code" not in pr.columns:
        pr["zone_code"] = parcels.get("zone_code")
    if idle is None and raw_parcels is not None and not raw_parcels.empty:
        idle = lifecycle.idle_status(raw_parcels, as_of=as_of, policy=policy.idle)
    idle_f = None
    if idle is not None:
        idle_f = (
            idle.drop_duplicates("parcel_code").set_index("parcel_code").reindex(pr.index)
            if "parcel_code" in idle.columns
            else idle.reindex(pr.index)
        )

    developed = _developed(pr)
    supplied = _supplied(pr)
    completion = pd.to_datetime(parcels["completion_date"]) if "completion_date" in parcels.columns else None
    industry = _industry_of_holder(pr, enterprise_results, inputs)

    area = _num(pr, "area_mu")
    rpm = _num(pr, "revenue_per_mu").fillna(0.0)
    zone_median = pr["zone_code"].map(zone_median_revenue_per_mu(pr)).astype(float)
    gain_wan_all = (zone_median - rpm).clip(lower=0) * area

    ctx = _Ctx(
        pr=pr,
        parcels=parcels,
        raw_parcels=raw_parcels if raw_parcels is not None else pr,
        raw_pr=parcel_results,
        year=year,
        as_of=as_of,
        policy=policy,
        developed=developed,
        industry=industry,
        idle=idle_f,
        enterprise_results=enterprise_results,
        grade_history=grade_history,
        built_up=built_up,
        given_sl=standard_land,
    )

    parts = []
    for order, rule in enumerate(policy.rules.enabled):
        scope = supplied if rule.scope == "supplied" else developed
        if rule.grace_years > 0 and completion is not None:
            cutoff = as_of - pd.DateOffset(months=int(round(rule.grace_years * 12)))
            scope = scope & ~(completion > cutoff).fillna(False).astype(bool)
        ctx.scope = scope
        res = _KINDS[rule.kind](rule, ctx)
        if res.empty:
            continue
        idx = res.index
        sev = res["severity"] if "severity" in res.columns else pd.Series(rule.severity, index=idx)
        act = res["action"] if "action" in res.columns else pd.Series(rule.action_zh, index=idx)
        gmu = area.reindex(idx) if rule.gain == "mu" else pd.Series(np.nan, index=idx)
        gwan = gain_wan_all.reindex(idx) if rule.gain == "wan" else pd.Series(np.nan, index=idx)
        parts.append(
            pd.DataFrame(
                {
                    "parcel_code": idx.to_numpy(dtype=object),
                    "zone_code": pr["zone_code"].reindex(idx).to_numpy(),
                    "year": year,
                    "rule": rule.code,
                    "label": rule.label_zh,
                    "severity": sev.to_numpy(),
                    "evidence": res["evidence"].to_numpy(),
                    "action": act.to_numpy(),
                    "gain_mu": gmu.to_numpy(dtype=float),
                    "gain_wan": gwan.to_numpy(dtype=float),
                    "policy_version": policy.version,
                    "policy_hash": policy.hash,
                    "inputs_hash": None,  # stamped by the service that stores the results
                    "_order": order,
                    "data": res["data"].to_numpy() if "data" in res.columns else None,
                }
            )
        )
    if not parts:
        out = _empty_flags()
        return out.assign(data=pd.Series(dtype=object)) if with_data else out
    out = pd.concat(parts, ignore_index=True)
    for rule in policy.rules.enabled:
        if rule.unless:
            other = set(out.loc[out["rule"].isin(rule.unless), "parcel_code"])
            out = out[~((out["rule"] == rule.code) & out["parcel_code"].isin(other))]
    out = out.sort_values(["parcel_code", "_order"], kind="stable")
    out = out.reset_index(drop=True)
    out["year"] = out["year"].astype("Int64")
    out["severity"] = out["severity"].astype("Int64")
    cols = list(FLAG_COLUMNS)
    if with_data:
        out["data"] = out["data"].map(evidence_json)
        cols.append("data")
    return object_strings(out[cols].copy())


def evidence_json(data) -> str | None:
    """The machine-readable evidence of a flag as JSON (numbers as numbers, NaN as null)."""
    if data is None:
        return None

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, (np.bool_, bool)):
            return bool(v)
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return None if not np.isfinite(v) else float(v)
        if v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return v

    return json.dumps(clean(data), ensure_ascii=False, sort_keys=True)
