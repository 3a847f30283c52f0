"""evaluation.pilot_targets and the entropy path of evaluation.scoring."""

import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.pilot_targets import pilot_area_targets
from evaluation.scoring import composite_score, flagged_share, last_rank_streak, ranks
from landuse.core.policy import default_policy

P = default_policy()
NAN = np.nan

PAY = pd.DataFrame(
    {
        "pilot_area_code": ["PROVINCE", "PA1", "PA2", "PA1"],
        "year": [2025, 2025, 2025, 2024],
        "gdp_wan": [NAN, 1000.0, 2000.0, 1.0],
        "industrial_value_added_wan": [NAN, 450.0, 600.0, 1.0],
        "digital_equipment_rate": [0.50, 0.55, 0.50, NAN],
        "nc_equipment_rate": [0.40, 0.30, NAN, NAN],
        "energy_per_va_change_pct": [-3.0, -4.5, -2.0, NAN],
        "circular_transformation_rate": [NAN, 1.0, 0.5, NAN],
        "rd_institution_share": [0.5, NAN, NAN, NAN],  # 全省平均, from the province's statistics
    }
)
PAR = pd.DataFrame(
    {"pilot_area_code": ["PROVINCE", "PA1", "PA2"], "year": 2025,
     "growth": [0.10, 0.15, -0.08], "occupancy_rate": [0.7, 0.9, 0.6]}
)
ER = pd.DataFrame(
    {"uscc": ["a", "b", "c", "d", "e"], "year": 2025, "zone_code": ["Z1", "Z1", "Z3", "Z3", "ZX"],
     "above_scale": pd.array([True, True, True, False, True], dtype="boolean")}
)
EY = pd.DataFrame(
    {"uscc": ["a", "b", "c", "d", "e"], "year": 2025,
     "revenue_wan": [1000.0, 1000.0, 500.0, 100.0, 500.0],
     "rd_expense_wan": [30.0, 10.0, 5.0, 50.0, 5.0],
     "has_rd_institution": pd.array([True, True, False, True, False], dtype="boolean")}
)
ZONES = pd.DataFrame({"zone_code": ["Z1", "Z3"], "pilot_area_code": ["PA1", "PA2"]})


def test_pilot_targets_by_hand():
    t = pilot_area_targets(PAY, PAR, EY, ER, year=2025, policy=P, zones=ZONES)
    assert list(t.index) == ["PA1", "PA2"]
    a, b = t.loc["PA1"], t.loc["PA2"]
    # va/gdp: PA1 450/1000 = 0.45 ≥ 0.40 met, attainment capped 1; PA2 600/2000 = 0.30 → 0.75
    assert a.va_gdp_share == pytest.approx(0.45) and a.va_gdp_share_met
    assert b.va_gdp_share_attainment == pytest.approx(0.75) and not b.va_gdp_share_met
    # R&D of 规上 firms: PA1 (30+10)/2000 = 0.02 ≥ 0.018 met; PA2 firm c: 5/500 = 0.01 → 0.01/0.018
    assert a.rd_share == pytest.approx(0.02) and a.rd_share_met
    assert b.rd_share_attainment == pytest.approx(0.01 / 0.018)
    # R&D institutions among 规上 firms: province (PROVINCE row) 0.5; target 0.5 × 1.2 = 0.6, met at
    # ≥ 0.6 × 0.9 = 0.54 ("左右"); PA1 2/2 = 1.0 met; PA2 0/1 = 0 not met
    assert a.rd_institution_share_target == pytest.approx(0.6)
    assert a.rd_institution_share_met and not b.rd_institution_share_met
    # growth: target on the path in 2025 = 0.15; PA1 0.15 met, attainment 0.15/0.15 = 1;
    # PA2 −0.08/0.15 → clipped to 0
    assert a.growth_target == pytest.approx(0.15)
    assert a.growth_met and a.growth_attainment == pytest.approx(1.0) and b.growth_attainment == 0.0
    # occupancy: 0.9 met; 0.6/0.8 = 0.75
    assert b.occupancy_attainment == pytest.approx(0.75)
    # digital: 0.55 > 0.50 met; PA2 0.50 not > 0.50 (must be above the provincial average)
    assert a.digital_equipment_rate_met and not b.digital_equipment_rate_met
    # NC: PA1 0.30 vs 0.40 → 0.75; PA2 missing → not assessed
    assert a.nc_equipment_rate_attainment == pytest.approx(0.75)
    assert pd.isna(b.nc_equipment_rate_met)
    # energy decline: province 3 %; PA1 4.5 % met; PA2 2 % → 2/3
    assert a.energy_decline_met and b.energy_decline_attainment == pytest.approx(2 / 3)
    # circular: 1.0 met; 0.5
    assert a.circular_met and b.circular_attainment == pytest.approx(0.5)
    assert a.targets_total == 9 and a.targets_met == 8  # all but NC
    assert b.targets_total == 8 and b.targets_met == 0
    # mean attainment PA2 = (0.75 + 0.5556 + 0 + 0 + 0.75 + 1.0 + 0.6667 + 0.5)/8
    exp = (0.75 + 0.01 / 0.018 + 0 + 0 + 0.75 + 1.0 + 2 / 3 + 0.5) / 8
    assert b.target_attainment == pytest.approx(exp)


def test_pilot_targets_without_enterprises_uses_results_columns():
    par = PAR.assign(rd_share=[NAN, 0.03, 0.01], rd_institution_share=[0.9, 0.7, 0.5])
    t = pilot_area_targets(PAY, par, None, None, year=2025, policy=P)
    assert t.loc["PA1", "rd_share"] == pytest.approx(0.03)
    # the target comes from pilot_area_years' PROVINCE row (0.5 × 1.2), not the results' 0.9
    assert t.loc["PA1", "rd_institution_share_target"] == pytest.approx(0.6)


def test_composite_entropy_weights_reported():
    zr = pd.DataFrame({"zone_code": ["A", "B", "C"], "intensive_score": [50.0, 70.0, 90.0],
                       "growth": [0.15, 0.15, 0.15], "occupancy_rate": [0.4, 0.8, 0.6],
                       "flagged_share": [0.0, 0.1, 0.2]})
    pol = P.model_copy(update={"score": P.score.model_copy(update={"weight_method": "entropy"})})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        cs = composite_score(zr, policy=pol)
    assert cs.method == "entropy" and cs.entropy_normalisation == "proportion"
    assert cs.weights["growth"] == 0.0  # constant column carries no information
    assert cs.weights["pilot_targets"] == 0.0  # absent
    assert cs.weights.sum() == pytest.approx(1.0)
    assert cs.table["score"].notna().all()


def test_ranks_ties_and_helpers():
    assert list(ranks(pd.Series([3.0, 5.0, 5.0, NAN, 1.0]))) == [3, 1, 1, pd.NA, 4]
    hist = pd.DataFrame({"zone_code": ["A", "B", "A", "B", "A", "B"], "year": [2023, 2023, 2024, 2024, 2025, 2025],
                         "rank": [2, 1, 2, 1, 1, 2]})
    s = last_rank_streak(hist, year=2024)
    assert s["A"] == 2 and s["B"] == 0
    pr = pd.DataFrame({"parcel_code": ["p", "q", "r"], "zone_code": ["A", "A", "A"], "area_mu": [10.0, 30.0, 60.0],
                       "stage": ["completed", "idle", "unsupplied"]})
    fl = pd.DataFrame({"parcel_code": ["q", "r"], "rule": ["idle", "idle"]})
    assert flagged_share(pr, fl)["A"] == pytest.approx(0.75)
