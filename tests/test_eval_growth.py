"""The +15 % check, trajectory, like-for-like and the log-ratio decomposition; answers by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

try:
    from tests.evalkit import make_inputs, mu
except ImportError:  # pragma: no cover
    from evalkit import make_inputs, mu

from tests.evalkit import run_year as evaluate_year
from evaluation.growth import expected_path
from landuse.core.contract import layer
from landuse.core.policy import default_policy

POLICY = default_policy()


def _inputs(rev_a_2025=1100.0, rev_c_2025=1200.0):
    # A: 10 mu, developed since 2018; 2020 revenue 1 000 → baseline 100 万元/亩.
    # C: 10 mu, completed 2025-06-30 (the target year): developed in 2025, not in 2020.
    # U: 5 mu, supplied 2024, not started: not developed, not in any denominator.
    # 2025: (1 100 + 1 200) / 20 = 115 → growth exactly 0.15 → goal met.
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1", "pilot_area_name": "试验区一"},
               {"zone_code": "Z2", "pilot_area_code": "PA1", "pilot_area_name": "试验区一"}],
        parcels=[
            {"parcel_code": "A", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "EA",
             "completion_date": "2018-03-01"},
            {"parcel_code": "C", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "EC",
             "supply_date": "2023-01-01", "actual_start_date": "2023-05-01", "completion_date": "2025-06-30"},
            {"parcel_code": "U", "zone_code": "Z1", "registered_area_m2": mu(5), "holder_uscc": "EU",
             "supply_date": "2024-01-01", "agreed_start_date": "2025-03-01"},
        ],
        enterprises=[{"uscc": "EA"}, {"uscc": "EC"}, {"uscc": "EU"}],
        enterprise_years=[
            {"uscc": "EA", "year": 2020, "revenue_wan": 1000.0, "tax_wan": 50.0},
            {"uscc": "EA", "year": 2025, "revenue_wan": rev_a_2025, "tax_wan": 55.0},
            {"uscc": "EC", "year": 2025, "revenue_wan": rev_c_2025, "tax_wan": 30.0},
            {"uscc": "EC", "year": 2020, "revenue_wan": 999.0, "tax_wan": 9.0},  # not on developed land in 2020
        ],
    )


def test_parcel_completed_in_the_target_year_and_growth():
    out = evaluate_year(_inputs(), year=2025, policy=POLICY)
    p = out["parcel_results"].set_index("parcel_code")
    assert p.loc["C", "developed"] and p.loc["C", "stage"] == "in_production"
    assert not p.loc["U", "developed"] and p.loc["U", "stage"] == "supplied"
    z = out["zone_results"].set_index("zone_code").loc["Z1"]
    assert z["developed_mu"] == pytest.approx(20.0)
    assert z["revenue_per_mu"] == pytest.approx(115.0)
    assert z["baseline_year"] == 2020 and z["baseline_revenue_per_mu"] == pytest.approx(100.0)
    assert z["growth"] == pytest.approx(0.15)
    assert bool(z["goal_met"])  # exactly +15 % is met (1.15 − 1 < 0.15 in floating point)
    assert z["target_growth"] == 0.15
    assert z["expected_revenue_per_mu"] == pytest.approx(115.0) and bool(z["on_track"])
    # like-for-like: only A was developed in both years: 1 100 / 10 vs 1 000 / 10 → +10 %
    assert z["like_for_like_growth"] == pytest.approx(0.10)
    # decomposition: ln(2 300 / 1 000) − ln(20 / 10) = ln(1.15)
    assert z["revenue_growth_part"] == pytest.approx(math.log(2.3))
    assert z["area_growth_part"] == pytest.approx(-math.log(2.0))
    assert z["revenue_growth_part"] + z["area_growth_part"] == pytest.approx(math.log(1.15))
    z2 = out["zone_results"].set_index("zone_code").loc["Z2"]
    assert z2["developed_mu"] == 0 and np.isnan(z2["revenue_per_mu"]) and pd.isna(z2["goal_met"])
    pa = out["pilot_area_results"].set_index("pilot_area_code")
    assert list(pa.index) == ["PA1", "PROVINCE"]
    assert pa.loc["PA1", "pilot_area_name"] == "试验区一"
    assert pa.loc["PA1", "growth"] == pytest.approx(0.15) and pa.loc["PROVINCE", "growth"] == pytest.approx(0.15)


def test_goal_missed_just_below():
    out = evaluate_year(_inputs(rev_c_2025=1199.0), year=2025, policy=POLICY)
    z = out["zone_results"].set_index("zone_code").loc["Z1"]
    assert z["growth"] == pytest.approx(2299 / 2000 - 1) and not z["goal_met"] and not z["on_track"]


def test_baseline_year_itself():
    out = evaluate_year(_inputs(), year=2020, policy=POLICY)
    z = out["zone_results"].set_index("zone_code").loc["Z1"]
    assert z["developed_mu"] == pytest.approx(10.0) and z["revenue_per_mu"] == pytest.approx(100.0)
    assert z["growth"] == pytest.approx(0.0) and not z["goal_met"]
    assert z["expected_revenue_per_mu"] == pytest.approx(100.0) and z["on_track"]
    assert z["revenue_growth_part"] == pytest.approx(0.0) and z["area_growth_part"] == 0.0


def test_expected_path_constant_and_linear():
    b = pd.Series([100.0])
    kw = dict(baseline_year=2020, target_year=2025, target_growth=0.15)
    # 2023: 100 × 1.15^(3/5) = 108.7384…; linear 100 × (1 + 0.15 × 3/5) = 109
    assert expected_path(b, year=2023, **kw).iloc[0] == pytest.approx(100 * 1.15 ** 0.6)
    assert expected_path(b, year=2023, path="linear", **kw).iloc[0] == pytest.approx(109.0)
    assert expected_path(b, year=2021, **kw).iloc[0] == pytest.approx(102.834, abs=1e-3)  # ~2.83 %/year


def test_on_track_in_an_intermediate_year():
    inp = _inputs()
    ey = inp["enterprise_years"]
    extra = ey.iloc[:1].copy()
    extra["year"] = pd.array([2023], dtype="Int64")
    extra["revenue_wan"] = 1090.0  # A only (C not completed in 2023): 109 万元/亩
    inp["enterprise_years"] = pd.concat([ey, extra], ignore_index=True)
    z = evaluate_year(inp, year=2023, policy=POLICY)["zone_results"].set_index("zone_code").loc["Z1"]
    assert z["revenue_per_mu"] == pytest.approx(109.0)
    assert z["expected_revenue_per_mu"] == pytest.approx(100 * 1.15 ** 0.6)
    assert bool(z["on_track"]) and not z["goal_met"]


def test_output_dtypes_follow_the_layers():
    out = evaluate_year(_inputs(), year=2025, policy=POLICY)
    kinds = {"float": "float64", "int": "Int64", "bool": "boolean", "str": "object", "date": "datetime64[ns]"}
    for name, df in out.items():
        lay = layer(name)
        assert list(df.columns) == [c.name for c in lay.columns], name
        for c in lay.columns:
            assert str(df[c.name].dtype) == kinds[c.kind], (name, c.name, df[c.name].dtype)
