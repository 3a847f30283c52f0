"""Enterprise grading A/B/C/D (evaluation.grading) on tiny counties, numbers by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.grading import GRADE_COLUMNS, grade_enterprises, grade_streak
from landuse.core.policy import default_policy
from landuse.core.policy.rules import GradeBand, GradingPolicy, Indicator

P = default_policy()
Y = 2024


def pol(**kw):
    kw.setdefault("min_group_size", 1)
    kw.setdefault("merge_below", 1)  # no pooling of small groups (tested on its own below)
    return P.model_copy(update={"grading": P.grading.model_copy(update=kw)})


def firms(rows, year=Y):
    base = dict(
        year=year,
        county_code="C1",
        zone_code="Z1",
        above_scale=True,
        linked=True,
        land_mu=10.0,
        industry_code="C39",
    )
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["above_scale"] = df["above_scale"].astype("boolean")
    df["linked"] = df["linked"].astype("boolean")
    return df


RATIO = dict(
    method="ratio",
    benchmark="previous_year_mean",
    benchmark_multiple=1.0,
    above_scale=[
        Indicator(column="tax_per_mu", weight=60, label_zh="亩均税收"),
        Indicator(column="rd_share", weight=40, cap=2.0, label_zh="研发经费占比"),
    ],
)

HISTORY = firms(
    [
        dict(uscc="H1", tax_per_mu=10.0, rd_share=0.02, grade="A"),
        dict(uscc="H2", tax_per_mu=30.0, rd_share=0.04, grade="B"),
        dict(uscc="H3", tax_per_mu=1000.0, rd_share=1.0, grade=None),  # ungraded: not in the benchmark
    ],
    year=Y - 1,
)


def test_ratio_with_previous_year_benchmark_missing_item_and_cap():
    """Benchmarks from 2023 graded firms: tax (10+30)/2 = 20, rd (0.02+0.04)/2 = 0.03.
    A1: 60×40/20 + 40×min(0.09/0.03, 2) = 120 + 80 = 200
    A2: 60×1 + 40×1 = 100;  A3: 60×0.5 + 40×0.5 = 50;  A5: 60×0.25 + 40×1 = 55
    A4 (no rd): 60×0.5 + mean(80, 40, 20, 40) = 30 + 45 = 75
    n = 5: ranks 1..5 → rank/n 0.2 A, 0.4 B, 0.6 B, 0.8 C, 1.0 D."""
    er = firms(
        [
            dict(uscc="A1", tax_per_mu=40.0, rd_share=0.09),
            dict(uscc="A2", tax_per_mu=20.0, rd_share=0.03),
            dict(uscc="A3", tax_per_mu=10.0, rd_share=0.015),
            dict(uscc="A4", tax_per_mu=10.0, rd_share=np.nan),
            dict(uscc="A5", tax_per_mu=5.0, rd_share=0.03),
        ]
    ).set_index(pd.Index([10, 11, 12, 13, 14]))
    g = grade_enterprises(er, policy=pol(**RATIO), history=HISTORY)
    assert list(g.columns) == GRADE_COLUMNS and g.index.equals(er.index)
    assert g["score"].tolist() == pytest.approx([200, 100, 50, 75, 55])
    assert g["grade"].tolist() == ["A", "B", "D", "B", "C"]
    assert g.loc[13, "grade_note"] == "缺研发经费占比，按组平均分计"
    assert g.loc[10, "grade_note"] is None
    assert (g["grade_group"] == "C1·规上").all()


def test_benchmark_falls_back_to_current_year_with_note():
    """No history: current means tax (40+20)/2 = 30, rd (0.06+0.02)/2 = 0.04.
    F1: 60×4/3 + 40×1.5 = 80 + 60 = 140; F2: 60×2/3 + 40×0.5 = 40 + 20 = 60."""
    er = firms(
        [dict(uscc="F1", tax_per_mu=40.0, rd_share=0.06), dict(uscc="F2", tax_per_mu=20.0, rd_share=0.02)]
    )
    g = grade_enterprises(er, policy=pol(**RATIO), history=None)
    assert g["score"].tolist() == pytest.approx([140, 60])
    assert g.loc[0, "grade_note"] == "各项基准缺上年数据，取当年均值"
    # history for one indicator only: the note names the other
    hist = HISTORY.drop(columns="rd_share")
    g = grade_enterprises(er, policy=pol(**RATIO), history=hist)
    assert g.loc[0, "grade_note"] == "基准缺上年数据，取当年均值：研发经费占比"
    assert g["score"].tolist() == pytest.approx([60 * 2 + 40 * 1.5, 60 * 1 + 40 * 0.5])  # tax benchmark 20


def test_benchmark_multiple_and_fixed_benchmark():
    """×2 multiple on the previous-year benchmark (tax 40, rd 0.06); tax item fixed at 8 instead.
    F1 (tax 40, rd 0.06): 60×40/8 = 300 + 40×1 = 340 (no default cap; with the default cap of 2 the
    tax item would be 60 × 2 = 120)."""
    ind = [
        Indicator(column="tax_per_mu", weight=60, benchmark=8.0),
        Indicator(column="rd_share", weight=40, cap=2.0),
    ]
    g = grade_enterprises(
        firms([dict(uscc="F1", tax_per_mu=40.0, rd_share=0.06)]),
        policy=pol(**{**RATIO, "benchmark_multiple": 2.0, "above_scale": ind, "default_cap": None}),
        history=HISTORY,
    )
    assert g["score"].iat[0] == pytest.approx(340)
    assert g["grade"].iat[0] == "D"  # alone, min_group_size 1: rank 1 / 1 = 1.0 → D


def test_small_groups_scored_not_graded():
    """Default min_group_size 5: a group of 4 gets scores, no grades, and a note."""
    er = firms([dict(uscc=f"S{i}", v=float(10 * i + 10)) for i in range(4)])
    g = grade_enterprises(
        er, policy=pol(min_group_size=5, above_scale=[Indicator(column="v", weight=100, benchmark=100.0)])
    )
    assert g["score"].tolist() == pytest.approx([10, 20, 30, 40])
    assert g["grade"].isna().all()
    assert (g["grade_note"] == "组内参评企业不足5家，仅计分不分等级").all()


def test_minmax_with_floor():
    """tax 10/20/30 → items 60×0.2 = 12, 60×0.6 = 36, 60; tax_per_mwh 1/3/2 → 8, 40, 24.
    Scores 20, 76, 84; n = 3: 84 → 1/3 B, 76 → 2/3 B, 20 → 1.0 D."""
    p = pol(
        method="minmax",
        minmax_floor=20.0,
        above_scale=[Indicator(column="tax_per_mu", weight=60), Indicator(column="tax_per_mwh", weight=40)],
    )
    er = firms(
        [
            dict(uscc="M1", tax_per_mu=10.0, tax_per_mwh=1.0),
            dict(uscc="M2", tax_per_mu=20.0, tax_per_mwh=3.0),
            dict(uscc="M3", tax_per_mu=30.0, tax_per_mwh=2.0),
        ]
    )
    g = grade_enterprises(er, policy=p)
    assert g["score"].tolist() == pytest.approx([20, 76, 84])
    assert g["grade"].tolist() == ["D", "B", "B"]


def _scores_policy():
    return pol(method="ratio", above_scale=[Indicator(column="v", weight=100, benchmark=100.0)])


def test_tie_at_band_edge_gets_the_better_grade():
    """n = 10, one item scored = value. Scores 100, 90, 90, 80, ...: rank 'min' → 1, 2, 2, 4, ...
    2/10 = 0.2 ≤ 0.2 → both 90s are A (the second would be rank 3 = B without the tie rule);
    rank 4 → 0.4 → B. Bottom: 20, 20 share rank 9 → 0.9 → C: no D this year."""
    vals = [100, 90, 90, 80, 70, 60, 50, 40, 20, 20]
    er = firms([dict(uscc=f"T{i}", v=float(v)) for i, v in enumerate(vals)])
    g = grade_enterprises(er, policy=_scores_policy())
    assert g["grade"].tolist() == ["A", "A", "A", "B", "B", "B", "B", "C", "C", "C"]
    # without ties: 20 firms, rank 19 → 0.95 → C, rank 20 → D; ranks 1–4 A, 5–14 B
    er2 = firms([dict(uscc=f"U{i}", v=float(100 - i)) for i in range(20)])
    g2 = grade_enterprises(er2, policy=_scores_policy())
    assert g2["grade"].tolist() == ["A"] * 4 + ["B"] * 10 + ["C"] * 5 + ["D"]


def test_ties_in_arithmetic_noise_are_ties():
    er = firms([dict(uscc="N1", v=0.1 + 0.2), dict(uscc="N2", v=0.3), dict(uscc="N3", v=0.1)])
    g = grade_enterprises(er, policy=_scores_policy())
    assert g["grade"].iat[0] == g["grade"].iat[1]


def test_exemptions_and_separate_scale_groups():
    er = firms(
        [
            dict(uscc="G1", v=50.0),
            dict(uscc="G2", v=40.0),
            dict(uscc="X1", v=99.0, industry_code="4411"),
            dict(uscc="X2", v=99.0, production_start_date=pd.Timestamp("2023-06-01")),
            dict(uscc="X3", v=99.0, linked=False),
            dict(uscc="X4", v=99.0, land_mu=0.0),
            dict(uscc="X5", v=99.0, above_scale=False, land_mu=2.0),
            dict(
                uscc="S1",
                v=10.0,
                above_scale=False,
                land_mu=3.0,
                production_start_date=pd.Timestamp("2022-12-31"),
            ),
            dict(uscc="X6", v=np.nan),
        ]
    )
    p = pol(
        method="ratio",
        above_scale=[Indicator(column="v", weight=100, benchmark=100.0)],
        below_scale=[Indicator(column="v", weight=100, benchmark=10.0)],
    )
    g = grade_enterprises(er, policy=p).set_index(er["uscc"])
    assert g.loc["X1", "grade_note"] == "公用事业（D44、D45、D46）不参评"
    assert g.loc["X2", "grade_note"] == "投产不满2年，不参评"
    assert g.loc["X3", "grade_note"] == "未关联用地，不参评"
    assert g.loc["X4", "grade_note"] == "在建项目或无已开发用地，不参评"
    assert g.loc["X5", "grade_note"] == "规下企业用地不足3亩，不参评"
    assert g.loc["X6", "grade_note"] == "当年无评价数据，不参评"
    for x in ("X1", "X2", "X3", "X4", "X5", "X6"):
        assert g.loc[x, "grade"] is None and np.isnan(g.loc[x, "score"])
    # 规上 G1/G2 graded among themselves (n = 2: 0.5 → B, 1.0 → D); 规下 S1 alone
    assert g.loc["G1", "grade"] == "B" and g.loc["G2", "grade"] == "D"
    assert g.loc["S1", "score"] == pytest.approx(100) and g.loc["S1", "grade_group"] == "C1·规下"
    assert g.loc["S1", "grade"] == "D"  # alone with min_group_size 1: rank 1 of 1 → 1.0 → D


def test_enterprises_frame_supplies_production_start_date():
    er = firms([dict(uscc="E1", v=1.0)])
    ent = pd.DataFrame({"uscc": ["E1"], "production_start_date": pd.to_datetime(["2024-03-01"])})
    g = grade_enterprises(er, policy=_scores_policy(), enterprises=ent)
    assert g["grade_note"].iat[0] == "投产不满2年，不参评"


def test_group_by_zone():
    er = firms([dict(uscc="Z1a", v=10.0), dict(uscc="Z2a", v=1.0, zone_code="Z2")])
    g = grade_enterprises(
        er,
        policy=pol(
            method="ratio",
            group_by="zone_code",
            above_scale=[Indicator(column="v", weight=100, benchmark=100.0)],
        ),
    )
    assert g["grade_group"].tolist() == ["Z1·规上", "Z2·规上"]


def test_default_policy_huangyan_weights():
    """Every indicator at last year's county figure (Σ/Σ of the parts) → score 100 (规上) and 100 (规下).
    Parts on 10 mu: tax 200 → 20/mu, VA 500 → 50/mu, energy 250 → VA/energy 2, emissions 50 → 10,
    employees 500/30 → 30, revenue 1000 with R&D 20 → 2 %; 规下: tax 80 → 8/mu, electricity 160 → 0.5."""
    above = dict(
        tax_per_mu=20.0,
        value_added_per_mu=50.0,
        va_per_energy=2.0,
        va_per_emission=10.0,
        labour_productivity=30.0,
        rd_share=0.02,
        tax_wan=200.0, value_added_wan=500.0, energy_tce=250.0, emission_t=50.0, employees=500 / 30,
        revenue_wan=1000.0, rd_expense_wan=20.0,
    )
    below = dict(tax_per_mu=8.0, tax_per_mwh=0.5, tax_wan=80.0, electricity_mwh=160.0)
    hist = firms(
        [dict(uscc="H1", grade="B", **above), dict(uscc="H2", grade="C", above_scale=False, **below)],
        year=Y - 1,
    )
    er = firms([dict(uscc="E1", **above), dict(uscc="E2", above_scale=False, **below)])
    g = grade_enterprises(er, policy=P, history=hist)
    assert g["score"].tolist() == pytest.approx([100, 100])
    assert g["grade"].isna().all()  # groups of one < min_group_size 5
    assert not g["grade_note"].str.contains("缺").any()
    assert sum(i.weight for i in P.grading.above_scale) == 100
    assert [(i.column, i.weight) for i in P.grading.below_scale] == [("tax_per_mu", 50), ("tax_per_mwh", 50)]


def test_does_not_mutate():
    er = firms([dict(uscc="A", v=1.0), dict(uscc="B", v=2.0)])
    er0 = er.copy()
    grade_enterprises(er, policy=_scores_policy())
    pd.testing.assert_frame_equal(er, er0)


def test_grade_streak():
    cur = pd.DataFrame({"uscc": ["A", "B", "C"], "grade": ["D", "D", "C"]})
    hist = pd.DataFrame(
        {"uscc": ["A", "B", "C", "A"], "year": [2023, 2022, 2023, 2022], "grade": ["D", "D", "D", "C"]}
    )
    s = grade_streak(cur, hist, year=2024)
    assert s.to_dict() == {"A": True, "B": False, "C": False}
    assert grade_streak(cur, hist, year=2024, years=3).to_dict() == {"A": False, "B": False, "C": False}
    assert grade_streak(cur, None, year=2024, years=1).to_dict() == {"A": True, "B": True, "C": False}


def test_policy_validation():
    with pytest.raises(ValueError):
        GradingPolicy(bands=[GradeBand(grade="A", upto=0.5), GradeBand(grade="B", upto=0.9)])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=40))
def test_grades_monotone_and_ties_equal(values):
    er = firms([dict(uscc=f"H{i}", v=float(v)) for i, v in enumerate(values)])
    g = grade_enterprises(er, policy=_scores_policy())
    order = {"A": 0, "B": 1, "C": 2, "D": 3}
    gr = g["grade"].map(order).to_numpy()
    sc = g["score"].to_numpy()
    for i in range(len(values)):
        for j in range(len(values)):
            if sc[i] == sc[j]:
                assert gr[i] == gr[j]
            elif sc[i] > sc[j]:
                assert gr[i] <= gr[j]
    # the A band holds exactly the firms with at most 20 % of firms scoring strictly higher... by rank/n
    n = len(values)
    n_a = sum(1 for v in values if (1 + sum(w > v for w in values)) / n <= 0.2 + 1e-12)
    assert (g["grade"] == "A").sum() == n_a
