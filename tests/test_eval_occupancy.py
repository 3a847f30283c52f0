"""Standard-factory occupancy (入驻率) at an as-of date; answers by hand."""

from __future__ import annotations

import numpy as np
import pytest

try:
    from tests.evalkit import make_inputs, mu
except ImportError:  # pragma: no cover
    from evalkit import make_inputs, mu

from tests.evalkit import run_year as evaluate_year
from landuse.core.policy import default_policy

POLICY = default_policy()


def _inputs():
    # Z1: S1 1 000 m² accepted, leases 600 (open) + 300 (ended 2025-06-30) → 600 in force at year end.
    #     S2 500 m² accepted, no tenant. S3 800 m² accepted 2026 → not accepted at 2025-12-31.
    #     S4 400 m² accepted, 500 m² leased → capped at 400.
    # Z1 by floor area: (600 + 0 + 400) / (1 000 + 500 + 400) = 1 000 / 1 900 = 0.526…; by count: 2 / 3.
    # Z2: S5 1 000 m² accepted, 850 leased → 0.85 ≥ 0.80 met.
    # Province: 1 850 / 2 900.
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}, {"zone_code": "Z2", "pilot_area_code": "PA2"}],
        parcels=[
            {"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(20), "holder_uscc": "H1",
             "completion_date": "2019-01-01"},
            {"parcel_code": "P2", "zone_code": "Z2", "registered_area_m2": mu(20), "holder_uscc": "H2",
             "completion_date": "2019-01-01"},
        ],
        buildings=[
            {"building_code": "S1", "parcel_code": "P1", "floor_area_m2": 1000.0, "completion_date": "2020-01-01"},
            {"building_code": "S2", "parcel_code": "P1", "floor_area_m2": 500.0, "completion_date": "2020-01-01"},
            {"building_code": "S3", "parcel_code": "P1", "floor_area_m2": 800.0, "completion_date": "2026-03-01"},
            {"building_code": "S4", "parcel_code": "P1", "floor_area_m2": 400.0, "completion_date": "2020-01-01"},
            {"building_code": "S5", "parcel_code": "P2", "floor_area_m2": 1000.0, "completion_date": "2020-01-01"},
            {"building_code": "N1", "parcel_code": "P2", "floor_area_m2": 9000.0, "standard_factory": False},
        ],
        leases=[
            {"uscc": "T1", "building_code": "S1", "floor_area_m2": 600.0, "start_date": "2024-01-01"},
            {"uscc": "T2", "building_code": "S1", "floor_area_m2": 300.0, "start_date": "2024-01-01",
             "end_date": "2025-06-30"},
            {"uscc": "T3", "building_code": "S3", "floor_area_m2": 800.0, "start_date": "2025-01-01"},
            {"uscc": "T4", "building_code": "S4", "floor_area_m2": 500.0, "start_date": "2025-01-01"},
            {"uscc": "T5", "building_code": "S5", "floor_area_m2": 850.0, "start_date": "2025-01-01"},
        ],
    )


def test_building_results():
    b = evaluate_year(_inputs(), year=2025, policy=POLICY)["building_results"].set_index("building_code")
    assert list(b.index) == ["S1", "S2", "S3", "S4", "S5"]
    assert b.loc["S1", "leased_m2"] == 600 and b.loc["S1", "vacant_m2"] == 400 and b.loc["S1", "tenants"] == 1
    assert b.loc["S1", "occupancy_rate"] == pytest.approx(0.6)
    assert not b.loc["S3", "accepted"] and b.loc["S3", "excluded_reason"] == "未竣工验收 / not accepted"
    assert b.loc["S4", "leased_m2"] == 400 and "capped" in b.loc["S4", "excluded_reason"]
    assert b.loc["S1", "zone_code"] == "Z1" and (b["year"] == 2025).all()
    assert str(b["as_of"].iloc[0].date()) == "2025-12-31"


def test_area_occupancy():
    out = evaluate_year(_inputs(), year=2025, policy=POLICY)
    z = out["zone_results"].set_index("zone_code")
    assert z.loc["Z1", "sf_buildings"] == 3 and z.loc["Z1", "sf_floor_area_m2"] == 1900
    assert z.loc["Z1", "sf_leased_m2"] == 1000
    assert z.loc["Z1", "occupancy_rate"] == pytest.approx(1000 / 1900)
    assert z.loc["Z1", "occupancy_rate_count"] == pytest.approx(2 / 3)
    assert not z.loc["Z1", "occupancy_met"]
    assert z.loc["Z2", "occupancy_rate"] == pytest.approx(0.85) and z.loc["Z2", "occupancy_met"]
    pa = out["pilot_area_results"].set_index("pilot_area_code")
    assert pa.loc["PA2", "occupancy_rate"] == pytest.approx(0.85)
    assert pa.loc["PROVINCE", "occupancy_rate"] == pytest.approx(1850 / 2900)
    assert pa.loc["PROVINCE", "sf_buildings"] == 4


def test_as_of_mid_year_counts_the_lease_ending_that_day():
    out = evaluate_year(_inputs(), year=2025, policy=POLICY, as_of=np.datetime64("2025-06-30").astype(object))
    z = out["zone_results"].set_index("zone_code")
    assert z.loc["Z1", "sf_leased_m2"] == 1300  # 600 + 300 + 400 (capped)


def test_no_standard_factory_gives_na():
    inp = _inputs()
    inp["buildings"] = inp["buildings"].iloc[:0]
    z = evaluate_year(inp, year=2025, policy=POLICY)["zone_results"].set_index("zone_code")
    assert z.loc["Z1", "sf_buildings"] == 0 and np.isnan(z.loc["Z1", "occupancy_rate"])
    assert z["occupancy_met"].isna().all()
