"""Land allocation and the spread of enterprise output (docs/domain.md §5); answers computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

try:
    from tests.evalkit import make_inputs, mu
except ImportError:  # pragma: no cover
    from evalkit import make_inputs, mu

from tests.evalkit import run_year as evaluate_year
from landuse.core.policy import default_policy
from evaluation.allocation import use_shares

POLICY = default_policy()


def _policy(**allocation):
    return POLICY.model_copy(update={"allocation": POLICY.allocation.model_copy(update=allocation)})


def _by(df, key):
    return df.set_index(key)


def _tenant_inputs(**lease):
    # P1: 30 mu held by H; no parcel floor area → F = Σ buildings = 4 000 (standard factory B1) + 2 000 (B2)
    # T leases 1 500 m² in B1 → T gets 30 × 1 500 / 6 000 = 7.5 mu; H keeps 22.5 mu.
    row = {"uscc": "T", "building_code": "B1", "floor_area_m2": 1500.0, "start_date": "2024-01-01"}
    row.update(lease)
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(30), "holder_uscc": "H",
                  "completion_date": "2019-05-01"}],
        enterprises=[{"uscc": "H"}, {"uscc": "T", "above_scale": False}],
        enterprise_years=[
            {"uscc": "H", "year": 2025, "revenue_wan": 900.0, "tax_wan": 45.0},
            {"uscc": "T", "year": 2025, "revenue_wan": 150.0, "tax_wan": 6.0},
        ],
        buildings=[
            {"building_code": "B1", "parcel_code": "P1", "floor_area_m2": 4000.0, "completion_date": "2019-05-01"},
            {"building_code": "B2", "parcel_code": "P1", "floor_area_m2": 2000.0, "standard_factory": False},
        ],
        leases=[row],
    )


def test_tenant_in_a_standard_factory_floor_area_share():
    out = evaluate_year(_tenant_inputs(), year=2025, policy=POLICY)
    e = _by(out["enterprise_results"], "uscc")
    assert e.loc["T", "land_mu"] == pytest.approx(7.5)
    assert e.loc["T", "leased_land_mu"] == pytest.approx(7.5) and e.loc["T", "own_land_mu"] == 0
    assert e.loc["H", "land_mu"] == pytest.approx(22.5) and e.loc["H", "own_land_mu"] == pytest.approx(22.5)
    assert e.loc["T", "revenue_per_mu"] == pytest.approx(150 / 7.5)  # 20
    assert e.loc["H", "revenue_per_mu"] == pytest.approx(900 / 22.5)  # 40
    assert e.loc["T", "zone_code"] == "Z1" and bool(e.loc["T", "linked"])
    p = _by(out["parcel_results"], "parcel_code").loc["P1"]
    assert p["revenue_wan"] == pytest.approx(1050.0) and p["revenue_per_mu"] == pytest.approx(35.0)
    assert p["n_users"] == 2 and p["stage"] == "in_production" and not p["no_enterprise"]
    assert p["far"] == pytest.approx(6000 / mu(30))  # 0.3
    b = _by(out["building_results"], "building_code")
    assert list(b.index) == ["B1"]  # only standard factories are listed
    assert b.loc["B1", "occupancy_rate"] == pytest.approx(1500 / 4000)


def test_merge_tenants_gives_the_output_to_the_holders_parcel():
    out = evaluate_year(_tenant_inputs(), year=2025, policy=_policy(method="merge_tenants"))
    e = _by(out["enterprise_results"], "uscc")
    assert e.loc["T", "land_mu"] == 0 and bool(e.loc["T", "linked"]) and np.isnan(e.loc["T", "revenue_per_mu"])
    assert e.loc["H", "land_mu"] == pytest.approx(30.0)
    p = _by(out["parcel_results"], "parcel_code").loc["P1"]
    assert p["revenue_wan"] == pytest.approx(1050.0)  # 900 + 150, all on P1
    assert p["revenue_per_mu"] == pytest.approx(35.0)


def test_lease_that_ends_mid_year_counts_for_its_days():
    """Output belongs to the land that produced it: a tenant that left on 30 June used 7.5 mu for
    181 of the 365 days of 2025 (Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 + Jun 30 = 181)."""
    inp = _tenant_inputs(end_date="2025-06-30")
    out = evaluate_year(inp, year=2025, policy=POLICY)
    e = _by(out["enterprise_results"], "uscc")
    assert bool(e.loc["T", "linked"])
    assert e.loc["T", "land_mu"] == pytest.approx(7.5 * 181 / 365)  # 3.719 mu on average over the year
    assert e.loc["T", "revenue_per_mu"] == pytest.approx(150 / (7.5 * 181 / 365))
    # H: 22.5 mu for 181 days, then the whole 30 mu for 184 days
    assert e.loc["H", "land_mu"] == pytest.approx((22.5 * 181 + 30 * 184) / 365)  # 26.28
    p = _by(out["parcel_results"], "parcel_code").loc["P1"]
    assert p["revenue_wan"] == pytest.approx(1050.0)  # T's 150 stays on the parcel it was earned on
    # occupancy is a snapshot: on 31 December the factory is empty
    assert _by(out["building_results"], "building_code").loc["B1", "leased_m2"] == 0
    # the end date is inclusive: as of 30 June the lease covered every day of the window (181 of 181)
    mid = evaluate_year(inp, year=2025, policy=POLICY, as_of=pd.Timestamp("2025-06-30").date())
    assert _by(mid["enterprise_results"], "uscc").loc["T", "land_mu"] == pytest.approx(7.5)
    assert _by(mid["building_results"], "building_code").loc["B1", "leased_m2"] == 1500
    # and not on 1 July: 181 of 182 days
    after = evaluate_year(inp, year=2025, policy=POLICY, as_of=pd.Timestamp("2025-07-01").date())
    assert _by(after["enterprise_results"], "uscc").loc["T", "land_mu"] == pytest.approx(7.5 * 181 / 182)
    assert _by(after["building_results"], "building_code").loc["B1", "leased_m2"] == 0


def test_tenant_arriving_in_december_brings_only_its_days():
    """A tenant moving in on 1 December used 7.5 mu for 31 of 365 days; its whole year's revenue
    is its own, spread over the land it used (the only land it has)."""
    out = evaluate_year(_tenant_inputs(start_date="2025-12-01"), year=2025, policy=POLICY)
    e = _by(out["enterprise_results"], "uscc")
    assert e.loc["T", "land_mu"] == pytest.approx(7.5 * 31 / 365)
    assert e.loc["H", "land_mu"] == pytest.approx((30 * 334 + 22.5 * 31) / 365)


def test_leases_over_the_floor_area_are_scaled_and_reported():
    # 7 500 m² leased of F = 6 000 → the tenant gets the whole 30 mu, the holder none
    out = evaluate_year(_tenant_inputs(floor_area_m2=7500.0), year=2025, policy=POLICY)
    e = _by(out["enterprise_results"], "uscc")
    assert e.loc["T", "land_mu"] == pytest.approx(30.0) and e.loc["H", "land_mu"] == 0
    probs = out.problems
    assert list(probs["code"]) == ["leases_exceed_floor_area"]
    # the holder still uses (holds) P1: its output stays on P1 (conservation)
    assert _by(out["parcel_results"], "parcel_code").loc["P1", "revenue_wan"] == pytest.approx(1050.0)
    # occupancy caps the lease at the building's 4 000 m² and says so
    b = _by(out["building_results"], "building_code").loc["B1"]
    assert b["leased_m2"] == 4000 and b["occupancy_rate"] == 1.0 and "capped" in b["excluded_reason"]


def _two_parcel_inputs():
    # E holds P1 (10 mu) and P2 (30 mu), revenue 800 → 200 on P1 and 600 on P2 (20 万元/亩 each).
    # P3 (20 mu) completed, held by N with no figures: a developed parcel with no output.
    # X has figures but no land.
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1", "county_code": "360101"},
               {"zone_code": "Z2", "pilot_area_code": "PA1", "county_code": "360102"}],
        parcels=[
            {"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "E",
             "completion_date": "2018-01-01"},
            {"parcel_code": "P2", "zone_code": "Z2", "geodesic_area_m2": mu(30), "holder_uscc": "E",
             "completion_date": "2018-01-01"},
            {"parcel_code": "P3", "zone_code": "Z1", "registered_area_m2": mu(20), "holder_uscc": "N",
             "completion_date": "2019-01-01"},
        ],
        enterprises=[{"uscc": "E"}, {"uscc": "N"}, {"uscc": "X"}],
        enterprise_years=[
            {"uscc": "E", "year": 2025, "revenue_wan": 800.0, "tax_wan": 40.0, "value_added_wan": 200.0,
             "energy_tce": 100.0, "employees": 50, "rd_expense_wan": 16.0, "electricity_mwh": 400.0},
            {"uscc": "X", "year": 2025, "revenue_wan": 70.0, "tax_wan": 7.0},
        ],
    )


def test_enterprise_on_two_parcels():
    out = evaluate_year(_two_parcel_inputs(), year=2025, policy=POLICY)
    p = _by(out["parcel_results"], "parcel_code")
    assert p.loc["P1", "revenue_wan"] == pytest.approx(200.0)
    assert p.loc["P2", "revenue_wan"] == pytest.approx(600.0)
    assert p.loc["P1", "revenue_per_mu"] == pytest.approx(20.0) == p.loc["P2", "revenue_per_mu"]
    assert p.loc["P2", "area_source"] == "geodesic" and p.loc["P1", "area_source"] == "registered"
    e = _by(out["enterprise_results"], "uscc").loc["E"]
    assert e["land_mu"] == pytest.approx(40.0) and e["revenue_per_mu"] == pytest.approx(20.0)
    assert e["zone_code"] == "Z2" and e["county_code"] == "360102"  # 30 of its 40 mu are in Z2
    assert e["va_per_energy"] == pytest.approx(2.0)  # 200 / 100
    assert e["labour_productivity"] == pytest.approx(4.0)  # 200 / 50
    assert e["rd_share"] == pytest.approx(0.02)  # 16 / 800
    assert e["tax_per_mwh"] == pytest.approx(0.1)  # 40 / 400
    assert np.isnan(e["va_per_emission"])


def test_unreported_land_leaves_numerator_and_denominator():
    """P3 (20 mu, completed) is held by N, which has no row for 2025: it has not reported. Missing is
    not zero: P3 leaves both sides of the ratio and the coverage says so."""
    out = evaluate_year(_two_parcel_inputs(), year=2025, policy=POLICY)
    p = _by(out["parcel_results"], "parcel_code").loc["P3"]
    assert p["developed"] and not p["no_enterprise"] and p["stage"] == "completed"
    assert p["output_status"] == "not_reported" and np.isnan(p["revenue_wan"]) and p["reported_mu"] == 0
    z = _by(out["zone_results"], "zone_code")
    # Z1: 200 万元 over the 10 reported mu of its 30 developed mu
    assert z.loc["Z1", "developed_mu"] == pytest.approx(30.0)
    assert z.loc["Z1", "revenue_per_mu"] == pytest.approx(200 / 10)
    assert z.loc["Z1", "revenue_coverage"] == pytest.approx(10 / 30)
    assert bool(z.loc["Z1", "provisional"]) and pd.isna(z.loc["Z1", "goal_met"])  # 33 % < 90 %
    pa = _by(out["pilot_area_results"], "pilot_area_code")
    assert pa.loc["PA1", "revenue_per_mu"] == pytest.approx(800 / 40)
    assert pa.loc["PA1", "revenue_coverage"] == pytest.approx(40 / 60)
    assert pa.loc["PROVINCE", "revenue_wan"] == pytest.approx(800.0)
    # X has figures and no land: its 70 万元 is the province's unlinked revenue
    assert pa.loc["PROVINCE", "unlinked_revenue_wan"] == pytest.approx(70.0)


def test_developed_parcel_whose_user_reported_zero_stays_in_with_zero():
    inp = _two_parcel_inputs()
    inp["enterprise_years"] = pd.concat([inp["enterprise_years"], pd.DataFrame(
        [{"uscc": "N", "year": 2025, "revenue_wan": 0.0, "tax_wan": 0.0}])], ignore_index=True)
    out = evaluate_year(inp, year=2025, policy=POLICY)
    p = _by(out["parcel_results"], "parcel_code").loc["P3"]
    assert p["output_status"] == "reported_zero" and p["revenue_wan"] == 0 and p["reported_mu"] == pytest.approx(20)
    z = _by(out["zone_results"], "zone_code")
    assert z.loc["Z1", "revenue_per_mu"] == pytest.approx(200 / 30)  # (200 + 0) / (10 + 20)
    assert z.loc["Z1", "revenue_coverage"] == pytest.approx(1.0)


def test_developed_parcel_nobody_uses_stays_in_with_zero():
    inp = _two_parcel_inputs()
    inp["parcels"] = inp["parcels"].assign(holder_uscc=["E", "E", None])
    out = evaluate_year(inp, year=2025, policy=POLICY)
    p = _by(out["parcel_results"], "parcel_code").loc["P3"]
    assert p["no_enterprise"] and p["output_status"] == "no_user" and p["revenue_wan"] == 0
    assert _by(out["zone_results"], "zone_code").loc["Z1", "revenue_per_mu"] == pytest.approx(200 / 30)


def test_enterprise_without_land_is_listed_not_linked():
    out = evaluate_year(_two_parcel_inputs(), year=2025, policy=POLICY)
    e = _by(out["enterprise_results"], "uscc")
    assert set(e.index) == {"E", "N", "X"}
    assert not e.loc["X", "linked"] and e.loc["X", "land_mu"] == 0
    assert e.loc["X", "revenue_wan"] == 70 and np.isnan(e.loc["X", "revenue_per_mu"])
    assert e.loc["N", "linked"] and np.isnan(e.loc["N", "revenue_wan"])  # linked, not reported


def test_inputs_are_not_mutated_and_geometry_is_ignored():
    inp = _two_parcel_inputs()
    inp["parcels"] = inp["parcels"].assign(geometry=[None, None, None])
    before = {k: v.copy(deep=True) for k, v in inp.items()}
    out = evaluate_year(inp, year=2025, policy=POLICY)
    for k, v in inp.items():
        pd.testing.assert_frame_equal(v, before[k])
    assert all("geometry" not in f.columns for f in out.layers.values())
    for f in out.layers.values():
        assert (f["policy_version"] == POLICY.version).all() and (f["policy_hash"] == POLICY.hash).all()


def test_a_firm_occupying_none_of_its_land_spreads_by_the_land_it_holds():
    """E0 holds P0 (30 mu) and P1 (10 mu), each wholly let to others: no row of E0 weighs anything,
    so its output goes by the land it holds — 30/40 = 0.75 and 10/40 = 0.25 — not 1/2 each, which
    would move output when P1 is cut in two; a firm holding nothing either is spread evenly."""
    uses = pd.DataFrame({"parcel_code": ["P0", "P1", "P0", "P1", "Q0", "Q1"],
                         "uscc": ["E0", "E0", "T1", "T2", "E9", "E9"],
                         "kind": ["own", "own", "lease", "lease", "own", "own"],
                         "weight": [0.0, 0.0, 5.0, 2.0, 0.0, 0.0],
                         "held_mu": [30.0, 10.0, 30.0, 10.0, 0.0, 0.0]})
    share = use_shares(uses).tolist()
    assert share == [0.75, 0.25, 1.0, 1.0, 0.5, 0.5]
    cut = pd.DataFrame({"parcel_code": ["P0", "P1a", "P1b"], "uscc": ["E0"] * 3, "kind": ["own"] * 3,
                        "weight": [0.0] * 3, "held_mu": [30.0, 4.0, 6.0]})  # P1 cut 4 + 6 mu
    s = use_shares(cut).tolist()
    assert s[0] == 0.75 and abs(s[1] + s[2] - 0.25) < 1e-15
