"""The issue-4 functions on real evaluate_year output (column contract between core and rules)."""

from __future__ import annotations

import pandas as pd

from tests.evalkit import run_year as evaluate_year
from evaluation.grading import grade_enterprises
from evaluation.rules import FLAG_COLUMNS, flag_parcels
from evaluation.targets import apply_flag_summary, flag_summary, target_list
from landuse.core.policy import default_policy
from tests.evalkit import make_inputs, mu

P = default_policy()


def _inputs():
    parcels = [
        {
            "parcel_code": f"P{i}",
            "zone_code": "Z1",
            "registered_area_m2": mu(10 + i),
            "holder_uscc": f"E{i}",
            "supply_date": "2015-01-01",
            "completion_date": "2018-06-01",
            "floor_area_m2": mu(10 + i) * (0.5 + 0.2 * i),
            "footprint_area_m2": mu(10 + i) * 0.4,
            "standard_land": i == 1,
            "commit_tax_wan_per_mu": 30.0 if i == 1 else None,
        }
        for i in range(6)
    ]
    parcels.append(
        {
            "parcel_code": "PI",
            "zone_code": "Z1",
            "registered_area_m2": mu(8),
            "holder_uscc": "E9",
            "supply_date": "2021-01-01",
            "agreed_start_date": "2021-06-01",
            "land_price_wan": 500.0,
        }
    )
    years = [
        {
            "uscc": f"E{i}",
            "year": 2024,
            "revenue_wan": 1000.0 * i,
            "tax_wan": 50.0 * i,
            "value_added_wan": 200.0 * i,
            "energy_tce": 100.0,
            "employees": 50,
            "rd_expense_wan": 10.0 * i,
            "emission_t": 5.0,
            "electricity_mwh": 500.0,
        }
        for i in range(6)
    ]
    return make_inputs(
        zones=[{"zone_code": "Z1", "county_code": "360102"}],
        parcels=parcels,
        enterprises=[{"uscc": f"E{i}", "production_start_date": "2018-07-01"} for i in range(6)]
        + [{"uscc": "E9"}],
        enterprise_years=years,
    )


def test_pipeline_on_core_output():
    inp = _inputs()
    out = evaluate_year(inp, year=2024, policy=P, as_of=None)
    pr, er = out["parcel_results"], out["enterprise_results"]
    g = grade_enterprises(er, policy=P, enterprises=inp["enterprises"])
    assert g.set_index(er["uscc"]).loc["E9", "grade_note"] == "当年无评价数据，不参评"
    assert g["grade"].notna().sum() == 6
    f = flag_parcels(pr, inputs=inp, enterprise_results=er.assign(**g), idle=None, policy=P, year=2024)
    assert list(f.columns) == FLAG_COLUMNS
    by = f.groupby("parcel_code")["rule"].apply(set).to_dict()
    assert by["PI"] == {"idle"}  # agreed 2021-06-01, not started: idle, take-back (≥ 2 years)
    assert f.loc[f["parcel_code"] == "PI", "severity"].iat[0] == 5
    assert "production_stopped" in by["P0"]  # E0 has no revenue
    assert "standard_land_breach" in by["P1"] and "below_commitment" not in by["P1"]
    t = target_list(pr, f, policy=P)
    assert t["priority"].tolist() == list(range(1, len(t) + 1))
    assert t["parcel_code"].iat[0] == "PI"
    s = apply_flag_summary(pr, f)
    assert s.loc[s["parcel_code"] == "P5", "flag_count"].iat[0] == 0
    assert isinstance(s, pd.DataFrame) and len(s) == len(pr)
    # the summary without its text (what apply_flag_summary reads) has the same rules, counts and ranks
    full, bare = flag_summary(pr, f), flag_summary(pr, f, text=False)
    assert bare[["reasons", "evidence", "actions"]].isna().all().all() and full["evidence"].notna().all()
    keep = [c for c in full.columns if c not in ("reasons", "evidence", "actions")]
    pd.testing.assert_frame_equal(full[keep], bare[keep], check_exact=True)
    own = pr.copy()
    assert apply_flag_summary(own, f, copy=False) is own  # in place, as the pipeline uses it
    pd.testing.assert_frame_equal(own, s, check_exact=True)
