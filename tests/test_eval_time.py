"""Figures that hold when zones change (docs/domain.md §11): each year on its own state, output on
the land that produced it, missing is not zero. Hand cases, the arithmetic in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landuse.core.policy import default_policy
from tests.evalkit import make_inputs, mu
from tests.evalkit import run_year as evaluate_year

POLICY = default_policy()  # baseline 2020, target 2025, +15 %, coverage threshold 0.9


def _by(df, key):
    return df.set_index(key)


def _years(*rows):
    return [{"uscc": u, "year": y, "revenue_wan": r, "tax_wan": r / 20} for u, y, r in rows]


# ------------------------------------------------------------------------------------------------
# a land transfer does not corrupt the baseline
# ------------------------------------------------------------------------------------------------

def _transfer_inputs():
    # P1 (10 mu) held by X until 2022-07-01, then by Y (转让); P2 (10 mu) held by W throughout
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "Y",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01"},
                 {"parcel_code": "P2", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "W",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01"}],
        land_rights=[{"parcel_code": "P1", "holder_uscc": "X", "valid_from": "2015-01-01", "valid_to": "2022-07-01",
                      "event": "出让"},
                     {"parcel_code": "P1", "holder_uscc": "Y", "valid_from": "2022-07-01", "event": "转让"}],
        enterprises=[{"uscc": "X"}, {"uscc": "Y"}, {"uscc": "W"}],
        enterprise_years=_years(("X", 2020, 1000.0), ("W", 2020, 1000.0), ("Y", 2025, 1100.0), ("W", 2025, 1000.0)),
    )


def test_transfer_keeps_the_old_holders_baseline():
    out = evaluate_year(_transfer_inputs(), year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    # 2020: X on P1 (1 000) + W on P2 (1 000) over 20 mu = 100; 2025: (1 100 + 1 000) / 20 = 105
    assert z["baseline_revenue_per_mu"] == pytest.approx(100.0)
    assert z["revenue_per_mu"] == pytest.approx(105.0)
    assert z["growth"] == pytest.approx(0.05)  # 105 / 100 − 1
    assert z["goal_met"] is False or not bool(z["goal_met"])  # +5 % < +15 %
    assert z["revenue_coverage"] == pytest.approx(1.0) and z["baseline_revenue_coverage"] == pytest.approx(1.0)
    p1 = _by(out["parcel_results"], "parcel_code").loc["P1"]
    assert p1["holder_uscc"] == "Y"  # the holder in force at the year end


# ------------------------------------------------------------------------------------------------
# buying land does not lower a firm's efficiency
# ------------------------------------------------------------------------------------------------

def test_expansion_parcel_and_office_plot_do_not_dilute():
    # F: 1 000 万元 both years on A (10 mu, developed industrial); in 2023 it buys B (10 mu, supplied,
    # not started) and it holds C (5 mu, office land 0801): its output stays on A.
    inp = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "A", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "F",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01"},
                 {"parcel_code": "B", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "F",
                  "supply_date": "2023-03-01", "agreed_start_date": "2026-03-01"},
                 {"parcel_code": "C", "zone_code": "Z1", "registered_area_m2": mu(5), "holder_uscc": "F",
                  "land_use_code": "0801", "supply_date": "2015-01-01", "completion_date": "2016-01-01"}],
        enterprises=[{"uscc": "F"}],
        enterprise_years=_years(("F", 2020, 1000.0), ("F", 2025, 1000.0)),
    )
    out = evaluate_year(inp, year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    assert z["developed_mu"] == pytest.approx(10.0)
    assert z["revenue_per_mu"] == pytest.approx(100.0)  # 1 000 / 10, not 1 000 × 10/25 / 10
    assert z["baseline_revenue_per_mu"] == pytest.approx(100.0) and z["growth"] == pytest.approx(0.0)
    assert z["revenue_other_land_wan"] == pytest.approx(0.0)
    p = _by(out["parcel_results"], "parcel_code")
    assert p.loc["B", "revenue_wan"] == 0 and p.loc["C", "revenue_wan"] == 0
    e = _by(out["enterprise_results"], "uscc").loc["F"]
    assert e["land_mu"] == pytest.approx(25.0)  # it uses all three plots all year


def test_firm_without_developed_land_falls_back_to_all_its_land():
    # G holds only an office plot (0801, 4 mu): its revenue goes there, outside the per-mu basis
    inp = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "C", "zone_code": "Z1", "registered_area_m2": mu(4), "holder_uscc": "G",
                  "land_use_code": "0801", "supply_date": "2015-01-01", "completion_date": "2016-01-01"}],
        enterprises=[{"uscc": "G"}],
        enterprise_years=_years(("G", 2025, 400.0)),
    )
    out = evaluate_year(inp, year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    assert z["developed_mu"] == 0 and z["revenue_wan"] == 0
    assert z["revenue_other_land_wan"] == pytest.approx(400.0)
    prov = _by(out["pilot_area_results"], "pilot_area_code").loc["PROVINCE"]
    # conservation: developed 0 + other land 400 + unlinked 0 = Σ revenue 400
    assert prov["revenue_wan"] + prov["revenue_other_land_wan"] + prov["unlinked_revenue_wan"] == pytest.approx(400.0)


# ------------------------------------------------------------------------------------------------
# zones grow
# ------------------------------------------------------------------------------------------------

def test_zone_extension_is_not_in_the_baseline():
    # Q (20 mu, developed since 2016) joins Z1 on 2023-06-01 (扩区); P (10 mu) is in Z1 all along
    inp = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "A",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01"},
                 {"parcel_code": "Q", "zone_code": "Z1", "registered_area_m2": mu(20), "holder_uscc": "B",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01", "in_zone_from": "2023-06-01"}],
        enterprises=[{"uscc": "A"}, {"uscc": "B"}],
        enterprise_years=_years(("A", 2020, 1000.0), ("B", 2020, 600.0), ("A", 2025, 1150.0), ("B", 2025, 800.0)),
    )
    out = evaluate_year(inp, year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    # 2020: only P is in the zone: 1 000 / 10 = 100; 2025: (1 150 + 800) / 30 = 65
    assert z["baseline_revenue_per_mu"] == pytest.approx(100.0)
    assert z["revenue_per_mu"] == pytest.approx(1950 / 30)
    # like for like (land developed and in the zone in both years): P only, 1 150 / 1 000 − 1
    assert z["like_for_like_growth"] == pytest.approx(0.15)
    prov = _by(out["pilot_area_results"], "pilot_area_code").loc["PROVINCE"]
    assert prov["baseline_revenue_per_mu"] == pytest.approx(100.0)  # B's 2020 land was outside every zone
    base = evaluate_year(inp, year=2020, policy=POLICY)
    assert list(base["parcel_results"]["parcel_code"]) == ["P"]
    bprov = _by(base["pilot_area_results"], "pilot_area_code").loc["PROVINCE"]
    assert bprov["revenue_other_land_wan"] == pytest.approx(600.0)  # B's output, on land outside the zones


def test_split_parcel():
    # S (20 mu) is split on 2023-01-01 into S1 (12 mu) and S2 (8 mu), same holder
    inp = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "S", "zone_code": "Z1", "registered_area_m2": mu(20), "holder_uscc": "A",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01", "retired_date": "2023-01-01"},
                 {"parcel_code": "S1", "zone_code": "Z1", "registered_area_m2": mu(12), "holder_uscc": "A",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01", "predecessor_codes": "S"},
                 {"parcel_code": "S2", "zone_code": "Z1", "registered_area_m2": mu(8), "holder_uscc": "A",
                  "supply_date": "2015-01-01", "completion_date": "2016-01-01", "predecessor_codes": "S"}],
        enterprises=[{"uscc": "A"}],
        enterprise_years=_years(("A", 2020, 2000.0), ("A", 2025, 2400.0)),
    )
    y20 = evaluate_year(inp, year=2020, policy=POLICY)
    y25 = evaluate_year(inp, year=2025, policy=POLICY)
    assert list(y20["parcel_results"]["parcel_code"]) == ["S"]
    assert list(y25["parcel_results"]["parcel_code"]) == ["S1", "S2"]
    p = _by(y25["parcel_results"], "parcel_code")
    assert p.loc["S1", "revenue_wan"] == pytest.approx(2400 * 12 / 20)  # spread by area: 1 440
    z = _by(y25["zone_results"], "zone_code").loc["Z1"]
    assert z["developed_mu"] == pytest.approx(20.0)
    assert z["baseline_revenue_per_mu"] == pytest.approx(100.0) and z["revenue_per_mu"] == pytest.approx(120.0)
    assert z["growth"] == pytest.approx(0.2) and bool(z["goal_met"])


# ------------------------------------------------------------------------------------------------
# missing is not zero
# ------------------------------------------------------------------------------------------------

def _missing_firm_inputs():
    # nine firms on 10 mu each report 100 万元/亩 in both years; M (10 mu) reports 2020 only
    parcels, ents, years = [], [], []
    for i in range(10):
        u = f"F{i}"
        parcels.append({"parcel_code": f"P{i}", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": u,
                        "supply_date": "2015-01-01", "completion_date": "2016-01-01"})
        ents.append({"uscc": u, "production_start_date": "2016-06-01"})
        years += _years((u, 2020, 1000.0), (u, 2024, 1100.0))
        if i < 9:
            years += _years((u, 2025, 1200.0))
    return make_inputs(zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}], parcels=parcels, enterprises=ents,
                       enterprise_years=years)


def test_missing_firm_coverage_provisional_and_no_production_stopped():
    out = evaluate_year(_missing_firm_inputs(), year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    # F9 did not report: its 10 mu leave both sides: 9 × 1 200 / 90 = 120
    assert z["revenue_per_mu"] == pytest.approx(120.0)
    assert z["revenue_coverage"] == pytest.approx(0.9)  # 90 / 100: exactly the threshold, not below
    assert not bool(z["provisional"]) and bool(z["goal_met"])  # +20 %
    flags = out["flags"]
    assert not ((flags["parcel_code"] == "P9") & (flags["rule"] == "production_stopped")).any()
    p9 = _by(out["parcel_results"], "parcel_code").loc["P9"]
    assert p9["output_status"] == "not_reported" and p9["stage"] == "completed"  # not 停产, not in production
    nr = flags[(flags["parcel_code"] == "P9") & (flags["rule"] == "not_reported")]
    assert len(nr) == 1 and "企业F9未报送" in nr["evidence"].iloc[0] and "100%" in nr["evidence"].iloc[0]
    assert set(flags.loc[flags["parcel_code"] == "P9", "rule"]) == {"not_reported"}  # no output-based rule


def test_two_missing_firms_make_the_figure_provisional():
    inp = _missing_firm_inputs()
    ey = inp["enterprise_years"]
    inp["enterprise_years"] = ey[~((ey["uscc"] == "F8") & (ey["year"] == 2025))].reset_index(drop=True)
    out = evaluate_year(inp, year=2025, policy=POLICY)
    z = _by(out["zone_results"], "zone_code").loc["Z1"]
    assert z["revenue_coverage"] == pytest.approx(0.8)  # 80 / 100 < 0.9
    assert bool(z["provisional"]) and pd.isna(z["goal_met"]) and pd.isna(z["on_track"])
    assert z["revenue_per_mu"] == pytest.approx(120.0)  # still computed, and said to be provisional


def test_optional_items_use_the_land_of_firms_that_report_them():
    # A (10 mu) reports value added 300, B (30 mu) reports none: 300 / 10, coverage 10 / 40
    inp = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "PA", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "A",
                  "completion_date": "2016-01-01"},
                 {"parcel_code": "PB", "zone_code": "Z1", "registered_area_m2": mu(30), "holder_uscc": "B",
                  "completion_date": "2016-01-01"}],
        enterprises=[{"uscc": "A"}, {"uscc": "B"}],
        enterprise_years=[{"uscc": "A", "year": 2025, "revenue_wan": 1000.0, "tax_wan": 50.0, "value_added_wan": 300.0},
                          {"uscc": "B", "year": 2025, "revenue_wan": 3000.0, "tax_wan": 90.0}],
    )
    z = _by(evaluate_year(inp, year=2025, policy=POLICY)["zone_results"], "zone_code").loc["Z1"]
    assert z["value_added_per_mu"] == pytest.approx(30.0)
    assert z["value_added_coverage"] == pytest.approx(0.25)
    assert z["revenue_per_mu"] == pytest.approx(100.0) and z["revenue_coverage"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# pilot areas manage zones directly or in their territory
# ------------------------------------------------------------------------------------------------

def test_direct_and_territorial_pilots():
    # city pilot C: Z3 direct, Z1 and Z2 in its territory; county pilot K (inside C): Z1 direct.
    # Z1: 100 万元/亩, Z2: 50, Z3: 200 (10 mu each, 2025 and 2020 alike)
    parcels, ents, years = [], [], []
    for z, rev in (("Z1", 1000.0), ("Z2", 500.0), ("Z3", 2000.0)):
        parcels.append({"parcel_code": f"P{z}", "zone_code": z, "registered_area_m2": mu(10), "holder_uscc": f"E{z}",
                        "completion_date": "2016-01-01"})
        ents.append({"uscc": f"E{z}"})
        years += _years((f"E{z}", 2020, rev), (f"E{z}", 2025, rev))
    inp = make_inputs(
        zones=[{"zone_code": z} for z in ("Z1", "Z2", "Z3")], parcels=parcels, enterprises=ents, enterprise_years=years,
        pilot_area_zones=[
            {"pilot_area_code": "C", "pilot_area_name": "赣州市", "zone_code": "Z3", "role": "direct"},
            {"pilot_area_code": "C", "zone_code": "Z1", "role": "territorial"},
            {"pilot_area_code": "C", "zone_code": "Z2", "role": "territorial"},
            {"pilot_area_code": "K", "pilot_area_name": "南康区", "zone_code": "Z1", "role": "direct"}])
    out = evaluate_year(inp, year=2025, policy=POLICY)
    pa = _by(out["pilot_area_results"], "pilot_area_code")
    assert pa.loc["C", "revenue_per_mu"] == pytest.approx(200.0)  # Z3 only
    assert pa.loc["K", "revenue_per_mu"] == pytest.approx(100.0)  # Z1 only
    assert pa.loc["C", "developed_mu"] == pytest.approx(10.0)
    assert pa.loc["PROVINCE", "revenue_per_mu"] == pytest.approx(3500 / 30)
    assert pa.loc["C", "pilot_area_name"] == "赣州市"
    z = _by(out["zone_results"], "zone_code")
    assert z.loc["Z1", "pilot_area_code"] == "K" and pd.isna(z.loc["Z2", "pilot_area_code"])


def test_pilot_baseline_covers_the_zones_it_manages_now():
    # Z2 moves from pilot A to pilot B on 2023-01-01: B's baseline is Z2's 2020 figure
    parcels, ents, years = [], [], []
    for z, r20, r25 in (("Z1", 1000.0, 1000.0), ("Z2", 500.0, 600.0)):
        parcels.append({"parcel_code": f"P{z}", "zone_code": z, "registered_area_m2": mu(10), "holder_uscc": f"E{z}",
                        "completion_date": "2016-01-01"})
        ents.append({"uscc": f"E{z}"})
        years += _years((f"E{z}", 2020, r20), (f"E{z}", 2025, r25))
    inp = make_inputs(
        zones=[{"zone_code": "Z1"}, {"zone_code": "Z2"}], parcels=parcels, enterprises=ents, enterprise_years=years,
        pilot_area_zones=[{"pilot_area_code": "A", "zone_code": "Z1", "role": "direct"},
                          {"pilot_area_code": "A", "zone_code": "Z2", "role": "direct", "valid_to": "2023-01-01"},
                          {"pilot_area_code": "B", "zone_code": "Z2", "role": "direct", "valid_from": "2023-01-01"}])
    pa = _by(evaluate_year(inp, year=2025, policy=POLICY)["pilot_area_results"], "pilot_area_code")
    assert pa.loc["A", "baseline_revenue_per_mu"] == pytest.approx(100.0) and pa.loc["A", "growth"] == pytest.approx(0)
    assert pa.loc["B", "baseline_revenue_per_mu"] == pytest.approx(50.0)
    assert pa.loc["B", "growth"] == pytest.approx(0.2)  # 60 / 50 − 1


# ------------------------------------------------------------------------------------------------
# official figures beside the reconstruction
# ------------------------------------------------------------------------------------------------

def test_reported_figures_sit_beside_the_reconstruction():
    inp = _transfer_inputs()
    inp["zone_years"] = pd.DataFrame({"zone_code": ["Z1"], "year": pd.array([2025], dtype="Int64"), "range": [None],
                                      "reported_revenue_wan": [2200.0], "reported_developed_mu": [21.0]})
    z = _by(evaluate_year(inp, year=2025, policy=POLICY)["zone_results"], "zone_code").loc["Z1"]
    assert z["reported_revenue_per_mu"] == pytest.approx(2200 / 21)
    assert z["revenue_per_mu"] == pytest.approx(105.0)  # never replaced by the official figure


# ------------------------------------------------------------------------------------------------
# a year's results do not depend on what was evaluated before
# ------------------------------------------------------------------------------------------------

def test_year_alone_equals_year_after_the_others():
    from evaluation import evaluate_year as ev
    from evaluation import prepare

    inp = _missing_firm_inputs()
    alone = ev(prepare(inp, policy=POLICY), year=2025)
    p = prepare(inp, policy=POLICY)
    for y in (2020, 2024):
        ev(p, year=y)
    after = ev(p, year=2025)
    for name in alone:
        pd.testing.assert_frame_equal(alone[name], after[name])
    assert np.isfinite(alone["zone_results"]["revenue_per_mu"]).all()
