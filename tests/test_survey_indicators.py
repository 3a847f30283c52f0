"""TD/T 1029 on one basis (evaluation/survey.py, docs/domain.md §12): every indicator and the zone
type computed by hand on tiny surveys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.survey import apply_to_zone_results, survey_results, zone_figures
from landuse.core.policy import default_policy
from tests.surveykit import patch, survey_frame, zone_years_frame, zones_frame

P = default_policy()


def _z1_rows():
    """Zone Z1 (hectares): 主区 A2 10 + A2 5 + A1 3 + A31 2 = A 20, B21 4, B22 2, C1 4; supplied (D…) the
    four A patches = 20. 发展方向区: A2 2, B21 3 (supplied, not built), B11 1, C2 2."""
    return [
        patch("Z1", "A2", 10, supply="D21", floor_ha=12, foot_ha=5, idle=False),
        patch("Z1", "A2", 5, supply="D21", floor_ha=3, foot_ha=2, idle=True),
        patch("Z1", "A1", 3, supply="D21", floor_ha=6, foot_ha=1, idle=False),
        patch("Z1", "A31", 2, supply="D1"),  # a street: no buildings recorded (counts 0)
        patch("Z1", "B21", 4, supply="E21"),
        patch("Z1", "B22", 2, supply="E22"),
        patch("Z1", "C1", 4, supply="F"),
        patch("Z1", "A2", 2, rng="发展方向区", supply="D21", floor_ha=1, foot_ha=0.8, idle=False),
        patch("Z1", "B21", 3, rng="发展方向区", supply="D21", idle=False),
        patch("Z1", "B11", 1, rng="发展方向区"),
        patch("Z1", "C2", 2, rng="发展方向区", supply="F"),
    ]


def _z1_years():
    return zone_years_frame([
        {"zone_code": "Z1", "year": 2023, "range": "主区", "fixed_asset_investment_wan": 135000.0,
         "industrial_tax_wan": 9000.0, "secondary_tertiary_tax_wan": 10000.0, "population": 2000.0},
        {"zone_code": "Z1", "year": 2023, "range": None, "fixed_asset_investment_wan": 153000.0,
         "industrial_tax_wan": 10200.0, "secondary_tertiary_tax_wan": 11000.0, "population": 2200.0},
    ])


def _row(t, zone, rng):
    r = t[(t["zone_code"] == zone) & (t["range"] == rng)]
    assert len(r) == 1, (zone, rng)
    return r.iloc[0]


def test_every_indicator_by_hand_on_each_range():
    res = survey_results(survey_frame(_z1_rows()), policy=P, zones=zones_frame([("Z1", "某经开区")]),
                         zone_years=_z1_years())
    t = res.table
    m = _row(t, "Z1", "主区")
    # 主区: A 20, A1 3, A2 15, B 6, B21 4, C 4, D 20
    assert m.development_rate == pytest.approx(24 / 26)          # (A+B21)/(A+B)
    assert m.supply_rate == pytest.approx(20 / 24)               # D/(A+B21)
    assert m.built_rate == pytest.approx(20 / 20)                # A/D
    assert m.industrial_share == pytest.approx(15 / 20)          # A2/A
    assert m.residential_share == pytest.approx(3 / 20)
    assert m.far == pytest.approx((12 + 3 + 6) / 20)             # the street counts 0
    assert m.building_density == pytest.approx((5 + 2 + 1) / 20)
    assert m.industrial_far == pytest.approx(15 / 15)
    assert m.industrial_coverage == pytest.approx(7 / 15)
    assert m.investment_intensity_wan_per_ha == pytest.approx(135000 / 15)   # 9 000 万元/公顷
    assert m.industrial_tax_wan_per_ha == pytest.approx(9000 / 15)           # 600
    assert m.composite_tax_wan_per_ha == pytest.approx(10000 / 20)           # 500
    assert m.population_density_per_ha == pytest.approx(2000 / 20)          # 100 人/公顷
    assert m.idle_rate == pytest.approx(5 / 20)                  # idle supplied / D
    assert (m.total_ha, m.built_ha, m.ready_ha, m.supplied_ha, m.unbuildable_ha) == pytest.approx((30, 20, 24, 20, 4))
    d = _row(t, "Z1", "发展方向区")
    # 发展方向区: A 2 (A2), B 4, B21 3, C 2, D 5
    assert d.development_rate == pytest.approx(5 / 6)
    assert d.supply_rate == pytest.approx(5 / 5)
    assert d.built_rate == pytest.approx(2 / 5)
    assert d.industrial_share == pytest.approx(1.0)
    assert d.far == pytest.approx(1 / 2) and d.building_density == pytest.approx(0.8 / 2)
    assert d.idle_rate == pytest.approx(0.0)
    assert np.isnan(d.investment_intensity_wan_per_ha)  # no zone_years row for the range
    w = _row(t, "Z1", "全区")
    # 全区, ratios of sums over all 11 patches: A 22, A2 17, B 10, B21 7, C 6, D 25
    assert w.patches == 11
    assert w.development_rate == pytest.approx(29 / 32)
    assert w.supply_rate == pytest.approx(25 / 29)
    assert w.built_rate == pytest.approx(22 / 25)
    assert w.industrial_share == pytest.approx(17 / 22)
    assert w.far == pytest.approx(22 / 22)
    assert w.building_density == pytest.approx(8.8 / 22)
    assert w.industrial_far == pytest.approx(16 / 17)
    assert w.industrial_coverage == pytest.approx(7.8 / 17)
    assert w.investment_intensity_wan_per_ha == pytest.approx(153000 / 17)   # the whole-zone row of zone_years
    assert w.idle_rate == pytest.approx(5 / 25)
    assert res.problems.empty


def test_zone_type_and_scores_by_hand():
    t = survey_results(survey_frame(_z1_rows()), policy=P, zone_years=_z1_years()).table
    # type on the 主区: A2/A 0.75 > 30 %, A1/A 0.15 < 25 % → 工业主导型, repeated on every row
    assert set(t["zone_type"]) == {"工业主导型"}
    m, d, w = _row(t, "Z1", "主区"), _row(t, "Z1", "发展方向区"), _row(t, "Z1", "全区")
    # 主区, industrial set. land use (weights .2 .2 .2 .1 .1 .1 .05 .05): dev 24/26, supply 20/24, built 1,
    # industrial share min(.75/.5, 1) = 1, FAR 1.05/1.2, density .4/.4, ind. FAR 1/1.2, coverage (7/15)/.5
    lu = .2 * 24 / 26 + .2 * 20 / 24 + .2 * 1 + .1 * 1 + .1 * 1.05 / 1.2 + .1 * 1 + .05 * 1 / 1.2 + .05 * (7 / 15) / .5
    eff = (9000 / 9000 + 600 / 675) / 2     # investment, industrial tax against their ideals
    mgmt = 0.02 / 0.25                       # idle rate 25 % against the ideal 2 % (negative indicator)
    assert m.score == pytest.approx(100 * (.45 * lu + .40 * eff + .15 * mgmt))
    assert m.score == pytest.approx(80.69797, abs=1e-4)
    # 发展方向区: no official figures → the efficiency layer drops out, layer weights renormalised
    lu_d = .2 * 5 / 6 + .2 * 1 + .2 * .4 + .1 * 1 + .1 * .5 / 1.2 + .1 * 1 + .05 * .5 / 1.2 + .05 * .4 / .5
    assert d.score == pytest.approx(100 * (.45 * lu_d + .15 * 1) / .60)
    # 全区: range weights 主区 0.8, 发展方向区 0.2 apply to scores only
    assert w.score == pytest.approx(.8 * m.score + .2 * d.score)
    assert (m.range_weight, d.range_weight) == (0.8, 0.2)
    assert "全区得分 = 主区×0.8 + 发展方向区×0.2" in w.note


def test_mixed_on_the_main_area_but_not_on_the_whole_zone():
    rows = [
        # 主区: A1 4 + A2 2 + A4 4 = A 10 → A2/A 20 % ≤ 30 %, A1/A 40 % ≥ 25 % → 产城融合型
        patch("Z2", "A1", 4, supply="D21", floor_ha=6, foot_ha=1, idle=False),
        patch("Z2", "A2", 2, supply="D21", floor_ha=2, foot_ha=1, idle=False),
        patch("Z2", "A4", 4, supply="D21", floor_ha=2, foot_ha=1, idle=False),
        # 发展方向区: A2 20 → the whole zone would be 工业主导型 (A2/A 22/30 = 73 %, A1/A 13 %)
        patch("Z2", "A2", 20, rng="发展方向区", supply="D21", floor_ha=16, foot_ha=8, idle=False),
    ]
    zy = [{"zone_code": "Z2", "year": 2023, "range": "主区", "fixed_asset_investment_wan": 1.0,
           "industrial_tax_wan": 1.0, "secondary_tertiary_tax_wan": 4500.0, "population": 500.0}]
    t = survey_results(survey_frame(rows), policy=P, zone_years=zone_years_frame(zy)).table
    w = _row(t, "Z2", "全区")
    assert w.industrial_share == pytest.approx(22 / 30) and w.residential_share == pytest.approx(4 / 30)
    assert set(t["zone_type"]) == {"产城融合型"}
    assert "主区工矿仓储用地率 20.0%、住宅用地率 40.0%" in w.zone_type_basis
    m = _row(t, "Z2", "主区")
    # 产城融合型 set: land use without the industrial indicators (dev 1, supply 1, built 1, FAR 1/1.2,
    # density .3/.4; weights .2 .2 .2 .1 .1 renormalised over .8); 综合地均税收 4500/10 = 450 (ideal 450)
    # and 人口密度 500/10 = 50 人/公顷 (ideal 100); idle 0
    lu = (.2 + .2 + .2 + .1 * 1.0 / 1.2 + .1 * .3 / .4) / .8
    eff = (450 / 450 + 50 / 100) / 2
    assert m.score == pytest.approx(100 * (.45 * lu + .40 * eff + .15 * 1))
    assert m.score == pytest.approx(87.65625)
    # the industrial indicators are computed but do not count: a 1 000 000-fold investment changes nothing
    zy2 = [dict(zy[0], fixed_asset_investment_wan=1e6)]
    t2 = survey_results(survey_frame(rows), policy=P, zone_years=zone_years_frame(zy2)).table
    assert _row(t2, "Z2", "主区").score == pytest.approx(m.score)


def test_customs_zone_is_industrial_by_rule_whatever_its_land():
    rows = [patch("Z3", "A1", 5, supply="D21"), patch("Z3", "A2", 1, supply="D21"), patch("Z3", "A4", 4, supply="D21")]
    zones = zones_frame([("Z3", "赣州综合保税区")])
    t = survey_results(survey_frame(rows), policy=P, zones=zones).table
    # on land shares alone: A2/A 10 %, A1/A 50 % → 产城融合型; by rule: 工业主导型
    assert set(t["zone_type"]) == {"工业主导型"}
    assert "海关特殊监管区域" in _row(t, "Z3", "全区").zone_type_basis
    t2 = survey_results(survey_frame(rows), policy=P, zones=zones_frame([("Z3", "某经开区")])).table
    assert set(t2["zone_type"]) == {"产城融合型"}
    t3 = survey_results(survey_frame(rows), policy=P, zones=zones_frame([("Z3", "九江出口加工区")])).table
    assert set(t3["zone_type"]) == {"工业主导型"}


@pytest.mark.parametrize(("a2", "a1", "expected"), [
    (5, 3, "其他"),        # A2/A 50 % > 30 % but A1/A 30 % ≥ 25 %
    (2, 1, "其他"),        # A2/A 20 % ≤ 30 % and A1/A 10 % < 25 %
    (3, 2.5, "产城融合型"),  # exactly 30 % and exactly 25 %: ≤ 30 % and ≥ 25 %
    (3.1, 2, "工业主导型"),
])
def test_zone_type_thresholds(a2, a1, expected):
    rows = [patch("Z", "A2", a2, supply="D21"), patch("Z", "A1", a1, supply="D21"),
            patch("Z", "A6", 10 - a2 - a1, supply="D21")]
    t = survey_results(survey_frame(rows), policy=P).table
    assert _row(t, "Z", "主区").zone_type == expected


def test_rates_above_100_percent_and_implausible_figures_are_data_errors_never_shown():
    rows = [
        patch("Z4", "A2", 10, supply="E21", floor_ha=80000, foot_ha=4),  # built but recorded as not supplied
        patch("Z4", "A1", 2, supply="D21", floor_ha=2, foot_ha=1),
    ]
    res = survey_results(survey_frame(rows), policy=P)
    m = _row(res.table, "Z4", "主区")
    # built rate A/D = 12/2 = 600 %: a data error, left empty, said
    assert np.isnan(m.built_rate)
    assert "土地建成率 A/D = 600.0% 超过100%" in m.note
    # FAR (80 000 + 2)/12 = 6 667: m² entered against ha; never shown
    assert np.isnan(m.far) and np.isnan(m.industrial_far)
    assert "综合容积率" in m.note and "不予显示" in m.note
    codes = set(res.problems["code"])
    assert {"rate_above_100", "implausible"} <= codes
    # nothing shown is above 100 % or in the thousands
    t = res.table
    for c in ("development_rate", "supply_rate", "built_rate", "industrial_share", "idle_rate", "building_density"):
        assert not (t[c] > 1).any()
    assert not (t["far"] > 20).any()


def test_only_the_main_area_and_figures_without_range():
    # a zone surveyed on its 主区 only; zone_years gives the whole zone (no range): it applies to the 主区
    rows = [patch("Z5", "A2", 4, supply="D21", idle=False), patch("Z5", "B21", 1, supply="E21")]
    zy = zone_years_frame([{"zone_code": "Z5", "year": 2023, "range": None, "fixed_asset_investment_wan": 36000.0}])
    t = survey_results(survey_frame(rows), policy=P, zone_years=zy).table
    assert list(t["range"]) == ["主区", "全区"]
    assert _row(t, "Z5", "主区").investment_intensity_wan_per_ha == pytest.approx(9000)
    assert _row(t, "Z5", "全区").score == pytest.approx(_row(t, "Z5", "主区").score)


def test_ranks_within_type_and_survey_year():
    rows = _z1_rows() + [patch("Z6", "A2", 10, supply="D21", floor_ha=5, foot_ha=3, idle=True),
                         patch("Z6", "B22", 10, supply="E22")]
    t = survey_results(survey_frame(rows), policy=P, zone_years=_z1_years()).table
    w = t[t["range"] == "全区"].set_index("zone_code")
    # Z6 (主区 only, no official figures): dev 10/20, supply 1, built 1, share 1, FAR .5/1.2, density .3/.4,
    # ind. FAR .5/1.2, coverage .3/.5; idle 100 % → .02; efficiency layer absent → weights .45 + .15
    lu = .2 * .5 + .2 + .2 + .1 + .1 * .5 / 1.2 + .1 * .3 / .4 + .05 * .5 / 1.2 + .05 * .3 / .5
    assert w.loc["Z6", "score"] == pytest.approx(100 * (.45 * lu + .15 * .02) / .60)
    assert w.loc["Z1", "score"] > w.loc["Z6", "score"]
    assert (w.loc["Z1", "rank"], w.loc["Z6", "rank"]) == (1, 2)


def test_zone_results_take_the_survey_figures_on_one_basis():
    t = survey_results(survey_frame(_z1_rows()), policy=P, zone_years=_z1_years()).table
    fig = zone_figures(t, {"Z1": 2023})
    zr = pd.DataFrame({"zone_code": ["Z1", "Z2"], "development_rate": [0.3, 0.4], "supply_rate": [0.5, 0.6],
                       "built_rate": [1.8, 0.9], "investment_intensity": [100.0, 200.0], "far_overall": [0.2, 0.3],
                       "zone_type": ["mixed", "industrial"], "intensive_score": [40.0, 50.0],
                       "intensive_rank": pd.array([1, 1], dtype="Int64")})
    out = apply_to_zone_results(zr, fig)
    z1, z2 = out.set_index("zone_code").loc["Z1"], out.set_index("zone_code").loc["Z2"]
    assert z1.intensive_basis == "survey:2023" and z2.intensive_basis == "parcels"
    assert z1.development_rate == pytest.approx(29 / 32)           # the 全区 figure
    assert z1.built_rate == pytest.approx(22 / 25)                 # not the parcel layer's 180 %
    assert z1.investment_intensity == pytest.approx(153000 / 17 / 15)  # 万元/公顷 → 万元/亩
    assert z1.zone_type == "industrial"                            # decided on the 主区
    assert z1.intensive_score == pytest.approx(_row(t, "Z1", "全区").score)
    assert z2.development_rate == 0.4                              # no survey: the parcel basis stays
    # ranks recomputed within type: Z1 (80.8) before Z2 (50) among 工业主导型
    assert (z1.intensive_rank, z2.intensive_rank) == (1, 2)
    pd.testing.assert_frame_equal(zr, zr.copy())  # not mutated
