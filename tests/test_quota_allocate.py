"""Quota tilt (evaluation.quota): unit cases and hypothesis properties."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.quota import QuotaError, allocate_quota
from landuse.core.policy import default_policy

P = default_policy()


def _with_quota(**changes):
    """The default policy with some ``[quota]`` settings changed."""
    return P.model_copy(update={"quota": P.quota.model_copy(update=changes)})


def _units(**cols):
    n = len(next(iter(cols.values())))
    idx = pd.Index([f"Z{i}" for i in range(n)], name="zone_code")
    return pd.DataFrame(cols, index=idx)


def test_equal_scores_equal_bases_split_evenly():
    u = _units(score=[50.0, 50.0], base=[1.0, 1.0])
    r = allocate_quota(u, total_mu=100, policy=P)
    assert list(r.quota_mu) == [50, 50]
    assert (r.factor == 1.0).all()
    assert r.note.iloc[0].startswith("模型测算，非正式发布规则")


def test_factor_clipped_and_explained():
    # mean = (10 + 190)/2 = 100; linear factors 1 ± 0.9 → 0.1 and 1.9 → clipped 0.5 and 1.5
    u = _units(score=[10.0, 190.0], base=[1.0, 1.0])
    r = allocate_quota(u, total_mu=100, policy=P)
    assert list(r.factor) == pytest.approx([0.1, 1.9])
    assert list(r.factor_clipped) == [0.5, 1.5]
    assert list(r.quota_mu) == [25, 75]
    assert "限定为 1.50" in r.quota_explanation.iloc[1]


def test_linkage_and_missing_info():
    u = _units(score=[1.0, 1.0, 1.0], base=[1.0, 1.0, 1.0],
               idle_disposal_done=pd.array([True, False, None], dtype="boolean"),
               unsupplied_disposal_done=pd.array([True, True, True], dtype="boolean"))
    r = allocate_quota(u, total_mu=0, policy=P)
    assert list(r.linkage_adj) == pytest.approx([0.10, -0.20, 0.0])
    assert (r.quota_mu == 0).all()
    # N = 100: own results 33.33 each → 34, 33, 33 (the tied remainder goes by code);
    # 增存挂钩 on top: +10 % × 34 = 3.4 → +3; −20 % × 33 = −6.6 → −7; unknown → 0
    r = allocate_quota(u, total_mu=100, policy=P)
    assert list(r.own_mu) == [34, 33, 33] and list(r.linkage_mu) == [3, -7, 0]
    assert list(r.quota_mu) == [37, 26, 33] and r.quota_mu.sum() == 100 + 3 - 7
    assert "不详" in r.quota_explanation.iloc[2]
    assert "+3 亩" in r.quota_explanation.iloc[0] and "核减 7 亩" in r.quota_explanation.iloc[1]


def test_hard_rules_block():
    u = _units(score=[60.0, 80.0, 70.0], base=[1.0, 1.0, 1.0],
               approved_unsupplied_mu=[301.0, 300.0, 10.0], annual_absorption_mu=[100.0, 100.0, 0.0],
               last_rank_streak=[0, 1, 0])
    r = allocate_quota(u, total_mu=10, policy=P)
    # Z0: 3.01 years > 3 blocked; Z1: exactly 3 years allowed; Z2: no absorption, land left → ∞
    assert list(r.eligible) == [False, True, False]
    assert list(r.blocked_reason) == ["absorption", None, "absorption"]
    assert list(r.quota_mu) == [0, 10, 0]
    assert "无法消化" in r.quota_explanation.iloc[2]
    u2 = u.assign(last_rank_streak=[0, 2, 0])
    with pytest.warns(UserWarning, match="no unit is eligible"):
        r2 = allocate_quota(u2, total_mu=10, policy=P)
    assert (r2.quota_mu == 0).all()
    assert r2.blocked_reason.iloc[1] == "last_rank"
    assert "连续 2 年排名末位" in r2.quota_explanation.iloc[1]


def test_all_blocked_zero_total_no_warning():
    u = _units(score=[1.0], base=[1.0], last_rank_streak=[3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = allocate_quota(u, total_mu=0, policy=P)
    assert r.quota_mu.iloc[0] == 0


def test_zero_bases_share_equally_among_eligible():
    u = _units(score=[1.0, 2.0], base=[0.0, 0.0])
    with pytest.warns(UserWarning):
        r = allocate_quota(u, total_mu=7, policy=P)
    assert r.quota_mu.sum() == 7


def test_bad_inputs():
    u = _units(score=[1.0], base=[-1.0])
    with pytest.raises(QuotaError):
        allocate_quota(u, total_mu=5, policy=P)
    with pytest.raises(QuotaError):
        allocate_quota(_units(score=[1.0]), total_mu=-1, policy=P)
    with pytest.raises(QuotaError):
        allocate_quota(_units(score=[1.0]), total_mu=2.5, policy=P)


def test_does_not_mutate_and_keeps_index():
    u = _units(score=[3.0, 1.0], base=[1.0, 2.0])
    before = u.copy()
    r = allocate_quota(u, total_mu=9, policy=P)
    pd.testing.assert_frame_equal(u, before)
    assert r.index.equals(u.index)


def test_linkage_is_on_top_of_the_own_result_not_renormalised_away():
    """Two equal units, N = 100: own results 50 and 50. Both tasks met → +10 % = +5 from the reserve;
    one missed → −20 % = −10 back to it: 55 and 40, Σ = 95 = 100 + 5 − 10. (Renormalised weights
    1.1 : 0.8 gave 57.9 and 42.1: +15.8 % / −15.8 % while the explanations said +10 % / −20 %; and
    with both units meeting both tasks the bonus did nothing.)"""
    u = _units(score=[5.0, 5.0], base=[1.0, 1.0],
               idle_disposal_done=pd.array([True, True], dtype="boolean"),
               unsupplied_disposal_done=pd.array([True, False], dtype="boolean"))
    r = allocate_quota(u, total_mu=100, policy=P)
    assert list(r.own_mu) == [50, 50] and list(r.linkage_mu) == [5, -10] and list(r.quota_mu) == [55, 40]
    assert r.attrs["summary"].startswith("各单位测算合计 100 亩（待分配 100 亩）；增存挂钩奖励 5 亩由预留指标安排、核减 10 亩退回预留指标")
    assert "100 + 5 − 10 = 95 亩" in r.attrs["summary"]
    both = allocate_quota(u.assign(unsupplied_disposal_done=pd.array([True, True], dtype="boolean")), total_mu=100,
                          policy=P)
    assert list(both.quota_mu) == [55, 55]  # the bonus is real when everyone earns it


def test_tie_broken_by_score_then_code():
    # equal weights, N odd: remainders 0.5 tie. Equal scores → code order (Z0 first)
    u = _units(score=[5.0, 5.0], base=[1.0, 1.0])
    r = allocate_quota(u, total_mu=3, policy=_with_quota(slope=0.0))
    assert list(r.quota_mu) == [2, 1]
    # slope 0 → factor 1 for all: the higher score wins the tie
    u = _units(score=[4.0, 5.0], base=[1.0, 1.0])
    r = allocate_quota(u, total_mu=3, policy=_with_quota(slope=0.0))
    assert list(r.quota_mu) == [1, 2]


# ---------------------------------------------------------------- properties

unit_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),  # score
        st.floats(0, 1000, allow_nan=False),  # base
        st.one_of(st.none(), st.floats(0, 1000, allow_nan=False)),  # approved unsupplied
        st.one_of(st.none(), st.floats(0, 300, allow_nan=False)),  # absorption
        st.sampled_from([True, False, None]),
        st.sampled_from([True, False, None]),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
)


def _frame(rows):
    cols = list(zip(*rows))
    return _units(
        score=pd.array(cols[0], dtype="Float64").astype("float64"),
        base=list(cols[1]),
        approved_unsupplied_mu=pd.array(cols[2], dtype="Float64").astype("float64"),
        annual_absorption_mu=pd.array(cols[3], dtype="Float64").astype("float64"),
        idle_disposal_done=pd.array(cols[4], dtype="boolean"),
        unsupplied_disposal_done=pd.array(cols[5], dtype="boolean"),
        last_rank_streak=list(cols[6]),
    )


@settings(max_examples=300, deadline=None)
@given(unit_rows, st.integers(0, 100_000), st.sampled_from(["linear", "ratio"]))
def test_sum_is_total(rows, n, method):
    u = _frame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = allocate_quota(u, total_mu=n, policy=_with_quota(factor_method=method))
    assert (r.quota_mu >= 0).all()
    if n == 0:
        assert (r.quota_mu == 0).all()
    elif r.eligible.any():
        assert int(r.own_mu.sum()) == n  # the units' own results share N exactly
        assert (r.quota_mu[~r.eligible.astype(bool)] == 0).all()
    else:
        assert (r.quota_mu == 0).all()
    # Σ quota = N + Σ bonus − Σ penalty (the reserve outside N), as the summary says
    bonus, penalty = r.attrs["bonus_mu"], r.attrs["penalty_mu"]
    assert int(r.quota_mu.sum()) == int(r.own_mu.sum()) + bonus - penalty
    assert f"= {int(r.quota_mu.sum())} 亩" in r.attrs["summary"]
    # whole mu within one of the raw share; the adjustment within half a mu of rate × own
    assert (np.abs(r.own_mu - r.raw_mu) < 1 + 1e-6).all()
    assert (np.abs(r.linkage_mu - r.linkage_adj * r.own_mu) <= 0.5 + 1e-9).all()


@settings(max_examples=300, deadline=None)
@given(unit_rows, st.integers(1, 100_000))
def test_higher_score_never_less_per_base_share(rows, n):
    u = _frame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = allocate_quota(u, total_mu=n, policy=P)
    e = r[r.eligible.astype(bool) & r.score.notna() & (r.base_share > 0)]
    g = e.sort_values("score")
    per = (g.raw_mu / g.base_share).to_numpy()
    # compared without subtracting: two shares so small (subnormal) that the quotient overflows to
    # inf are equal, not a decrease (inf − inf would be nan)
    assert (per[1:] >= per[:-1] * (1 - 1e-6) - 1e-6).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=10), st.integers(1, 10_000))
def test_equal_bases_rounded_quota_monotone_in_score(scores, n):
    u = _units(score=scores, base=[1.0] * len(scores))
    r = allocate_quota(u, total_mu=n, policy=P)
    s, q = r.score.to_numpy(), r.quota_mu.to_numpy()
    for i in range(len(s)):
        for j in range(len(s)):
            if s[i] > s[j]:
                assert q[i] >= q[j]
    assert r.quota_mu.sum() == n
