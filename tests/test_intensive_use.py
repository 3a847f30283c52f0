"""evaluation.intensive: edge cases (the worked example is in test_scoring_hand_example.py)."""

import numpy as np
import pandas as pd
import pytest

from evaluation.intensive import IntensiveError, intensive_use
from landuse.core.policy import default_policy
from landuse.core.units import M2_PER_MU

P = default_policy()


def _pr(rows, year=2025):
    return pd.DataFrame(
        {
            "parcel_code": [r[0] for r in rows],
            "zone_code": [r[1] for r in rows],
            "year": year,
            "area_mu": [r[2] for r in rows],
            "stage": [r[3] for r in rows],
            "industrial": pd.array([r[4] for r in rows], dtype="boolean"),
            "far": [r[5] for r in rows],
            "building_coverage": [r[6] for r in rows],
            "tax_wan": [10.0] * len(rows),
            "investment_wan": [100.0] * len(rows),
        }
    )


ZONES = pd.DataFrame({"zone_code": ["A", "B"], "geodesic_area_m2": [100 * M2_PER_MU, 50 * M2_PER_MU],
                      "geometry": [object(), object()]})


def test_zone_without_parcels_and_far_from_parcel_results():
    pr = _pr([("p1", "A", 10.0, "completed", True, 1.5, 0.4), ("p2", "A", 10.0, "supplied", True, np.nan, np.nan)])
    r = intensive_use(ZONES, None, pr, None, policy=P)
    a, b = r.loc["A"], r.loc["B"]
    # floor = far × area (no parcels layer): 1.5 × 10 mu; density 0.4
    assert a.far_industrial == pytest.approx(1.5)
    assert a.coverage_overall == pytest.approx(0.4)
    assert a.supply_rate == pytest.approx(1.0)
    assert a.built_rate == pytest.approx(0.5)
    assert a.development_rate == pytest.approx(0.2)
    assert a.tax_per_industrial_mu == pytest.approx(1.0)  # 10 万元 on 10 亩 built (p2 not built)
    # zone B: nothing → no type, no score, no rank
    assert b.zone_type is None
    assert np.isnan(b.intensive_score)
    assert pd.isna(b.intensive_rank)
    assert list(r.index) == ["A", "B"]


def test_idle_from_flags_and_stage():
    pr = _pr([("p1", "A", 10.0, "completed", True, 1.0, 0.5), ("p2", "A", 10.0, "started", True, np.nan, np.nan),
              ("p3", "A", 20.0, "idle", True, np.nan, np.nan)])
    flags = pd.DataFrame({"parcel_code": ["p2", "p1"], "rule": ["idle", "low_far"], "year": [2025, 2025]})
    r = intensive_use(ZONES, None, pr, flags, policy=P)
    assert r.loc["A", "idle_rate"] == pytest.approx(30 / 40)


def test_multi_year_needs_year_and_no_mutation():
    pr = pd.concat([_pr([("p1", "A", 10.0, "completed", True, 1.0, 0.5)], 2024),
                    _pr([("p1", "A", 10.0, "completed", True, 2.0, 0.5)], 2025)])
    with pytest.raises(IntensiveError):
        intensive_use(ZONES, None, pr, None, policy=P)
    before = pr.copy()
    r = intensive_use(ZONES, None, pr, None, policy=P, year=2025)
    assert r.loc["A", "far_industrial"] == pytest.approx(2.0)
    pd.testing.assert_frame_equal(pr, before)


def test_residential_share_makes_mixed():
    z = ZONES.assign(built_land_m2=[10 * M2_PER_MU, np.nan], residential_land_m2=[3 * M2_PER_MU, np.nan])
    pr = _pr([("p1", "A", 5.0, "completed", True, 1.0, 0.5)])
    r = intensive_use(z, None, pr, None, policy=P)
    # industrial share 0.5 > 0.3 but residential 0.3 ≥ 0.25 → 产城融合型
    assert r.loc["A", "zone_type"] == "mixed"
    assert "tax_per_built_mu" not in r.loc["A", "intensive_missing"]
    assert "population_density" in r.loc["A", "intensive_missing"]
