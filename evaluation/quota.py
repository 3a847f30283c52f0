"""Tilt of the annual new construction-land quota (新增建设用地指标倾斜), docs/domain.md §9, §13.

模型测算，非正式发布规则: the seed promises a tilt to zones that use land well but publishes no
formula. This module proposes one, transparently; every parameter is in ``[quota]`` of the policy
and every output line explains itself in one Chinese sentence.

Steps for ``total_mu`` = N mu and units u (zones or pilot areas):

1. base share b_u = base_u / Σ base (``policy.quota.base = 'column'``), or 1/n (``'equal'``, or
   when no unit has a positive base). A missing base counts as 0.
2. score factor f_u = 1 + slope·(s_u − s̄)/s̄ (``'linear'``) or s_u/s̄ (``'ratio'``), s̄ the mean
   score over the units that have one; a unit without a score, or s̄ ≤ 0, gets f = 1. Clipped to
   [factor_min, factor_max].
3. hard rules make a unit ineligible (quota 0): approved-but-unsupplied land (批而未供) would take
   more than ``max_absorption_years`` to absorb at the annual absorption, both measured over the
   same scope — where 批而未供 is measured, the pilot area's region (``absorption_scope``; zones of a
   blocked region are all blocked); absorption 0 with land left counts as infinite; missing data →
   rule not applied, said in the explanation; ranked last ``last_rank_streak_block`` years running
   (within the zone type).
4. the unit's own result: raw_u = N·b_u·f_u / Σ b·f over the eligible units (sums to N), in whole
   mu by the largest remainder (Hamilton) method: ⌊raw⌋, then one mu each to the largest
   remainders; remainders equal to 1e-9 are a tie, broken by the higher score (a missing score
   ranks last), then by the unit code. If every eligible weight is 0 the eligible units share N
   equally. If no unit is eligible, every quota is 0 and a warning is issued.
5. 增存挂钩 (自然资规〔2018〕1号) on top of the unit's own result: +``linkage_bonus`` of it when both
   disposal tasks (idle land, 批而未供) are met, −``linkage_penalty`` of it when either is missed, no
   change when the status is unknown; rounded to whole mu (half away from zero). The net comes from
   or returns to a reserve outside N, so Σ quota = N + Σ bonus − Σ penalty (``attrs['summary']``).

Properties (tested): Σ own_mu = N whenever a unit is eligible; Σ quota_mu = N + Σ linkage_mu;
N = 0 gives 0 everywhere; among eligible units raw_mu per unit of base share never falls as the
score rises (after rounding this holds exactly for units with equal base shares).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from landuse.core.errors import LanduseError
from landuse.core.policy import Policy

_TIE_DECIMALS = 9


class QuotaError(LanduseError):
    """The quota inputs are unusable (negative base or total)."""


def _bool_or_none(v) -> bool | None:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return bool(v)


def _fmt_pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _fmt_years(y: float, limit: float) -> str:
    """One decimal, or two when one would hide which side of the limit the value is on (3.03 > 3)."""
    one = f"{y:.1f}"
    return f"{y:.2f}" if float(one) == limit and y != limit else one


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5 + 1e-9)


def allocate_quota(units: pd.DataFrame, *, total_mu: int, policy: Policy) -> pd.DataFrame:
    """Allocate ``total_mu`` whole mu of new construction-land quota over ``units``.

    ``units`` is indexed by ``zone_code`` or ``pilot_area_code`` and may carry: ``score``,
    ``base`` (demand, or any share weight) and ``base_kind`` (what the base is, for the
    explanation), ``approved_unsupplied_mu`` and ``annual_absorption_mu`` (of the scope where
    批而未供 is measured, named in ``absorption_scope``), ``idle_disposal_done``,
    ``unsupplied_disposal_done`` (bool), ``last_rank_streak`` (years ranked last, int).
    Missing columns mean the step is not applied (said in each explanation).

    Returns a new frame indexed like ``units`` with: ``base_mu``, ``base_share``, ``score``,
    ``factor``, ``factor_clipped``, ``absorption_years``, ``eligible``, ``blocked_reason``,
    ``raw_mu`` (the own result before rounding), ``own_mu`` (int), ``linkage_adj`` (rate),
    ``linkage_mu`` (int, from / to the reserve), ``quota_mu`` (int), ``quota_explanation``, ``note``.
    ``attrs``: ``warnings`` (also issued with :func:`warnings.warn`), ``mean_score``, ``note``,
    ``total_mu``, ``bonus_mu``, ``penalty_mu``, ``summary`` (Σ quota = N + Σ bonus − Σ penalty).
    """
    q = policy.quota
    if isinstance(total_mu, bool) or int(total_mu) != total_mu or total_mu < 0:
        raise QuotaError(f"total_mu must be a whole number of mu ≥ 0, not {total_mu!r}")
    total_mu = int(total_mu)
    if not units.index.is_unique:
        raise QuotaError("units: the index (zone or pilot-area code) must be unique")
    n = len(units)
    idx = units.index
    out_warnings: list[str] = []

    def col(name: str, default=np.nan) -> pd.Series:
        if name in units.columns:
            return units[name]
        return pd.Series(default, index=idx, dtype="object" if default is None else "float64")

    # 1. base share
    base_given = q.base == "column" and "base" in units.columns
    base = pd.to_numeric(col("base"), errors="coerce").astype("float64").fillna(0.0) if base_given else pd.Series(
        1.0, index=idx)
    if (base < 0).any():
        raise QuotaError(f"units.base must be ≥ 0; negative for {list(base[base < 0].index)}")
    if base.sum() > 0:
        base_share = base / base.sum()
    else:
        base_share = pd.Series(1.0 / n if n else 0.0, index=idx)
        if base_given and n:
            out_warnings.append("no unit has a positive base; equal base shares used")
    base_kind = col("base_kind", None) if "base_kind" in units.columns else pd.Series(None, index=idx, dtype=object)

    # 2. score factor
    score = pd.to_numeric(col("score"), errors="coerce").astype("float64")
    mean = float(score.mean()) if score.notna().any() else float("nan")
    if not (mean > 0):
        factor = pd.Series(1.0, index=idx)
    elif q.factor_method == "linear":
        factor = (1.0 + q.slope * (score - mean) / mean).fillna(1.0)
    else:
        factor = (score / mean).fillna(1.0)
    factor_clipped = factor.clip(q.factor_min, q.factor_max)

    # 3. hard rules
    approved = pd.to_numeric(col("approved_unsupplied_mu"), errors="coerce").astype("float64")
    absorption = pd.to_numeric(col("annual_absorption_mu"), errors="coerce").astype("float64")
    scope = col("absorption_scope", None) if "absorption_scope" in units.columns else pd.Series(None, index=idx,
                                                                                               dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.where(approved <= 0, 0.0, approved / absorption)
    years = pd.Series(years, index=idx, dtype="float64")
    years[approved.isna() | absorption.isna()] = np.nan
    years[(approved > 0) & (absorption <= 0)] = np.inf
    streak = pd.to_numeric(col("last_rank_streak"), errors="coerce").astype("float64")
    blocked_last = streak >= q.last_rank_streak_block
    blocked_abs = years > q.max_absorption_years
    eligible = ~(blocked_last | blocked_abs)
    reason = pd.Series(
        [
            ";".join(r for r, b in (("last_rank", bl), ("absorption", ba)) if b) or None
            for bl, ba in zip(blocked_last, blocked_abs)
        ],
        index=idx,
        dtype="object",
    )

    # 4. the unit's own result (its share of N), whole mu by the largest remainder
    weight = (base_share * factor_clipped).where(eligible, 0.0)
    raw = pd.Series(0.0, index=idx)
    equal_fallback = False
    if total_mu > 0:
        if weight.sum() > 0:
            raw = total_mu * weight / weight.sum()
        elif eligible.any():
            equal_fallback = True
            raw = pd.Series(np.where(eligible, total_mu / eligible.sum(), 0.0), index=idx)
            out_warnings.append("every eligible unit has a zero weight; the quota is shared equally among them")
        else:
            out_warnings.append(
                f"no unit is eligible (all blocked by hard rules): {total_mu} mu left unallocated, every quota is 0"
            )
    floors = np.floor(np.round(raw.to_numpy(), _TIE_DECIMALS)).astype("int64")
    floors = np.maximum(floors, 0)
    rem = np.round(raw.to_numpy() - floors, _TIE_DECIMALS)
    left = total_mu - int(floors.sum()) if raw.sum() > 0 else 0
    score_key = score.fillna(-np.inf).to_numpy()
    codes = [str(c) for c in idx]
    order = sorted(range(n), key=lambda i: (-rem[i], -score_key[i], codes[i]))
    got_extra = np.zeros(n, dtype=bool)
    own = floors.copy()
    if left > 0:
        cand = [i for i in order if eligible.iloc[i]]
        for i in cand[:left]:
            own[i] += 1
            got_extra[i] = True
    elif left < 0:  # float noise only: take back from the smallest remainders
        for i in [i for i in reversed(order) if own[i] > 0][: -left]:
            own[i] -= 1
    cut_rem = min((rem[i] for i in range(n) if got_extra[i]), default=None)

    # 5. 增存挂钩 on top of the own result, from / to the reserve outside N
    idle_done = [_bool_or_none(v) for v in col("idle_disposal_done", None)]
    unsup_done = [_bool_or_none(v) for v in col("unsupplied_disposal_done", None)]
    linkage = []
    for a, b in zip(idle_done, unsup_done):
        if a is False or b is False:
            linkage.append(-q.linkage_penalty)
        elif a is True and b is True:
            linkage.append(q.linkage_bonus)
        else:
            linkage.append(0.0)
    linkage_adj = pd.Series(linkage, index=idx, dtype="float64")
    linkage_mu = _round_half_away(own * linkage_adj.to_numpy()).astype("int64")
    linkage_mu = np.where(eligible.to_numpy(), linkage_mu, 0)
    quota = own + linkage_mu
    bonus, penalty = int(linkage_mu[linkage_mu > 0].sum()), int(-linkage_mu[linkage_mu < 0].sum())

    explanations = []
    for i, code in enumerate(idx):
        parts = []
        if not eligible.iloc[i]:
            if blocked_last.iloc[i]:
                parts.append(
                    f"同类型开发区中连续 {int(streak.iloc[i])} 年排名末位（≥{q.last_rank_streak_block} 年），不得扩大用地规模"
                )
            if blocked_abs.iloc[i]:
                y = years.iloc[i]
                ytxt = "无法消化（近年未供地）" if math.isinf(y) else f"消化周期 {_fmt_years(y, q.max_absorption_years)} 年"
                where = f"所在{scope.iloc[i]}" if isinstance(scope.iloc[i], str) and scope.iloc[i] else ""
                parts.append(
                    f"{where}批而未供土地 {approved.iloc[i]:.0f} 亩、近年年均供地 {absorption.iloc[i]:.0f} 亩，{ytxt}，"
                    f"超过 {q.max_absorption_years:g} 年"
                )
            explanations.append("；".join(parts) + "，不安排新增指标；0 亩。")
            continue
        kind = base_kind.iloc[i] if isinstance(base_kind.iloc[i], str) and base_kind.iloc[i] else None
        btxt = f"基础份额 {_fmt_pct(base_share.iloc[i])}"
        if kind and base_given:
            btxt += f"（{kind} {base.iloc[i]:.1f} 亩）"
        parts.append(btxt)
        s = score.iloc[i]
        if np.isnan(s) or not (mean > 0):
            parts[-1] += "，无得分，系数 1.00"
        else:
            # compare as displayed (one decimal), so the sentence never says "81.4 低于平均 81.4"
            sd, md = round(s, 1), round(mean, 1)
            rel = "高于" if sd > md else ("低于" if sd < md else "持平于")
            txt = f"，得分 {s:.1f} {rel}平均（{mean:.1f}），系数 {factor.iloc[i]:.2f}"
            if factor_clipped.iloc[i] != factor.iloc[i]:
                txt += f"，限定为 {factor_clipped.iloc[i]:.2f}"
            parts[-1] += txt
        if np.isnan(years.iloc[i]):
            parts.append("批而未供消化周期数据不全，未核查")
        elif isinstance(scope.iloc[i], str) and scope.iloc[i]:
            parts.append(f"所在{scope.iloc[i]}批而未供消化周期 {_fmt_years(years.iloc[i], q.max_absorption_years)} 年"
                         f"（≤{q.max_absorption_years:g} 年）")
        if equal_fallback:
            parts.append("各单位权重均为 0，按可分配单位平均分配")
        if total_mu == 0:
            parts.append("本年度无指标可分配，得 0 亩。")
            explanations.append("；".join(parts))
            continue
        r = f"本单位测算 {raw.iloc[i]:.2f} 亩，按最大余额法取整得 {int(own[i])} 亩"
        if got_extra[i]:
            r += f"（余数 {rem[i]:.2f} 进位）"
        elif cut_rem is not None and rem[i] == cut_rem and rem[i] > 0:
            r += f"（余数 {rem[i]:.2f} 与进位单位相同，按得分、代码顺序未进位）"
        parts.append(r)
        la = linkage_adj.iloc[i]
        lm = int(linkage_mu[i])
        if la > 0:
            parts.append(f"增存挂钩任务均完成，在本单位测算结果上 +{la * 100:.0f}%，由预留指标另行安排 +{lm} 亩")
        elif la < 0:
            parts.append(f"增存挂钩任务未完成，在本单位测算结果上 −{-la * 100:.0f}%，核减 {-lm} 亩退回预留指标")
        else:
            parts.append("增存挂钩任务完成情况不详，不调整")
        parts.append(f"合计 {int(quota[i])} 亩。")
        explanations.append("；".join(parts))

    for w in out_warnings:
        warnings.warn(f"allocate_quota: {w}", stacklevel=2)

    out = pd.DataFrame(
        {
            "base_mu": base.astype("float64") if base_given else pd.Series(np.nan, index=idx),
            "base_share": base_share.astype("float64"),
            "score": score,
            "factor": factor.astype("float64"),
            "factor_clipped": factor_clipped.astype("float64"),
            "absorption_years": years,
            "eligible": eligible.astype("boolean"),
            "blocked_reason": reason,
            "raw_mu": raw.astype("float64"),
            "own_mu": pd.Series(own, index=idx, dtype="int64"),
            "linkage_adj": linkage_adj,
            "linkage_mu": pd.Series(linkage_mu, index=idx, dtype="int64"),
            "quota_mu": pd.Series(quota, index=idx, dtype="int64"),
            "quota_explanation": pd.Series(explanations, index=idx, dtype="object"),
            "note": q.note,
        },
        index=idx,
    )
    total_out = int(quota.sum())
    own_total = int(own.sum())
    out.attrs["warnings"] = out_warnings
    out.attrs["mean_score"] = mean
    out.attrs["note"] = q.note
    out.attrs["total_mu"] = total_mu
    out.attrs["bonus_mu"] = bonus
    out.attrs["penalty_mu"] = penalty
    out.attrs["summary"] = (
        f"各单位测算合计 {own_total} 亩（待分配 {total_mu} 亩）；增存挂钩奖励 {bonus} 亩由预留指标安排、核减 {penalty} 亩退回预留指标："
        f"建议指标合计 = {own_total} + {bonus} − {penalty} = {total_out} 亩 / own results {own_total} mu (of {total_mu}); "
        f"增存挂钩 +{bonus} mu from the reserve, −{penalty} mu back to it: Σ quota = {own_total} + {bonus} − {penalty} "
        f"= {total_out} mu"
    )
    return out
