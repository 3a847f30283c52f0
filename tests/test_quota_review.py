"""The quota tilt an evaluator would sign (docs/domain.md §9, §13): 消化周期 where 批而未供 is measured,
the last rank within the zone type, and a file that says what it did. By hand. (增存挂钩 on top of the
units' own results: tests/test_quota_allocate.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.quota import allocate_quota
from evaluation.scoring import last_rank_streak
from landuse.core.policy import default_policy
from landuse.services.exports import write_quota
from landuse.services.quota import quota_units

P = default_policy()
Y = 2025


def source():
    """Pilot area PA1 (zones Z1, Z2), PA2 (zone Z3). Parcels supplied in 2023–2025 give the demand
    base: Z1 300 mu → 100/yr, Z2 30 mu → 10/yr, Z3 60 mu → 20/yr."""
    zones = pd.DataFrame({"zone_code": ["Z1", "Z2", "Z3"], "zone_name": ["一区", "二区", "三区"],
                          "pilot_area_code": ["PA1", "PA1", "PA2"], "pilot_area_name": ["甲市", "甲市", "乙县"]})
    parcels = pd.DataFrame({"parcel_code": ["a", "b", "c", "d"], "zone_code": ["Z1", "Z2", "Z3", "Z1"],
                            "supply_date": pd.to_datetime(["2024-03-01", "2023-05-01", "2025-01-01", "2015-01-01"])})
    pr = pd.DataFrame({"parcel_code": ["a", "b", "c", "d"], "zone_code": ["Z1", "Z2", "Z3", "Z1"], "year": Y,
                       "area_mu": [300.0, 30.0, 60.0, 900.0], "stage": ["started", "completed", "supplied", "in_production"]})
    zr = pd.DataFrame({"zone_code": ["Z1", "Z2", "Z3"] * 2, "zone_name": ["一区", "二区", "三区"] * 2,
                       "pilot_area_code": ["PA1", "PA1", "PA2"] * 2, "year": [Y - 1] * 3 + [Y] * 3,
                       "score": [50.0, 70.0, 75.0, 50.0, 75.0, 80.0], "rank": [3, 2, 1, 3, 2, 1],
                       "zone_type": ["industrial", "mixed", "mixed"] * 2})
    par = pd.DataFrame({"pilot_area_code": ["PA1", "PA2"], "pilot_area_name": ["甲市", "乙县"], "year": Y,
                        "score": [70.0, 72.0], "rank": [2, 1]})
    # PA1: 批而未供 600 mu, supplied 150, 200, 250 mu in 2023–2025 → 200/yr → 3.0 years (not over 3)
    # PA2: 410 mu, 100 a year → 4.1 years > 3
    pay = pd.DataFrame({"pilot_area_code": ["PA1"] * 3 + ["PA2"] * 3, "year": [2023, 2024, 2025] * 2,
                        "approved_unsupplied_mu": [700.0, 650.0, 600.0, 450.0, 430.0, 410.0],
                        "land_supplied_mu": [150.0, 200.0, 250.0, 100.0, 100.0, 100.0],
                        "idle_disposal_done": [True] * 3 + [False] * 3,
                        "unsupplied_disposal_done": [True] * 6})
    return {"zones": zones, "parcels": parcels, "parcel_results": pr, "zone_results": zr,
            "pilot_area_results": par, "pilot_area_years": pay}


def test_absorption_rule_applies_where_unsupplied_land_is_measured():
    """Before the fix PA1's 600 mu were split between Z1 and Z2 by their supplied stock and divided by
    each zone's own supply of industrial parcels: Z2 (30 mu supplied, 10/yr, share 30/330 of the
    stock → 54.5 mu) took 5.5 years and was blocked while Z1 was not, although the region takes 3.0.
    Now both zones of PA1 carry the region's 600 mu and 200 mu/yr → 3.0 years → neither is blocked by
    absorption (Z2 is, by its last ranks: see below); a region over the limit (PA2, 4.1 years)
    blocks its zones."""
    u = quota_units(source(), year=Y, policy=P)
    assert u.loc["Z1", "approved_unsupplied_mu"] == u.loc["Z2", "approved_unsupplied_mu"] == 600.0
    assert u.loc["Z1", "annual_absorption_mu"] == pytest.approx(200.0)
    assert u.loc["Z3", "annual_absorption_mu"] == pytest.approx(100.0)
    assert u.loc["Z1", "absorption_scope"] == "试验区甲市（PA1）"
    assert u["base"].to_dict() == pytest.approx({"Z1": 100.0, "Z2": 10.0, "Z3": 20.0})
    q = allocate_quota(u, total_mu=110, policy=P)
    assert q["absorption_years"].to_dict() == pytest.approx({"Z1": 3.0, "Z2": 3.0, "Z3": 4.1})
    assert list(q["blocked_reason"]) == [None, "last_rank", "absorption"]
    assert q.loc["Z3", "quota_explanation"] == (
        "所在试验区乙县（PA2）批而未供土地 410 亩、近年年均供地 100 亩，消化周期 4.1 年，超过 3 年，不安排新增指标；0 亩。")
    assert "所在试验区甲市（PA1）批而未供消化周期 3.0 年（≤3 年）" in q.loc["Z1", "quota_explanation"]


def test_absorption_without_the_regions_supply_is_not_checked():
    s = source()
    s["pilot_area_years"] = s["pilot_area_years"].drop(columns="land_supplied_mu")
    u = quota_units(s, year=Y, policy=P)
    q = allocate_quota(u, total_mu=110, policy=P)
    assert list(q["eligible"]) == [True, False, True]  # Z3 no longer blocked: the rule is not applied
    assert "批而未供消化周期数据不全，未核查" in q.loc["Z3", "quota_explanation"]


def test_last_rank_is_within_the_zone_type():
    """Ranks 2024 and 2025: Z1 3, 3 (industrial, alone of its type); Z2 2, 2 and Z3 1, 1 (mixed).
    Overall (before the fix) Z1 is last both years and may not expand; within type Z1 is alone (never
    "last") and Z2 is the last of the mixed zones two years running."""
    zr = source()["zone_results"]
    assert last_rank_streak(zr, year=Y, within="zone_type").to_dict() == {"Z1": 0, "Z2": 2, "Z3": 0}
    assert last_rank_streak(zr, year=Y).to_dict() == {"Z1": 2, "Z2": 0, "Z3": 0}
    u = quota_units(source(), year=Y, policy=P)
    assert u["last_rank_streak"].to_dict() == {"Z1": 0, "Z2": 2, "Z3": 0}
    assert u["zone_type"].to_dict() == {"Z1": "industrial", "Z2": "mixed", "Z3": "mixed"}


def test_quota_file_says_base_unsupplied_absorption_streak_and_the_total(tmp_path):
    """N = 110 over the eligible Z1 (base 100/yr) — Z2 is blocked by its last ranks and Z3
    by its region's absorption: Z1's own result is all 110 mu; PA1 met both tasks: +10 % = +11 from
    the reserve → 121; Σ = 110 + 11 − 0."""
    u = quota_units(source(), year=Y, policy=P)
    q = allocate_quota(u, total_mu=110, policy=P)
    assert q["quota_mu"].to_dict() == {"Z1": 121, "Z2": 0, "Z3": 0}
    assert q.loc["Z2", "blocked_reason"] == "last_rank"
    assert "同类型开发区中连续 2 年排名末位" in q.loc["Z2", "quota_explanation"]
    df = q.copy()
    df.index.name = "unit"
    for c in ("base_kind", "approved_unsupplied_mu", "annual_absorption_mu", "absorption_scope", "last_rank_streak"):
        df[c] = u[c]
    out = df.reset_index()
    out.attrs.update(q.attrs)
    path = write_quota(out, tmp_path / "q.csv")
    back = pd.read_csv(path)
    for c in ("base_mu", "base_kind", "approved_unsupplied_mu", "annual_absorption_mu", "absorption_years",
              "last_rank_streak", "own_mu", "linkage_mu", "quota_mu"):
        assert c in back.columns, c
    total = back.iloc[-1]
    assert total["unit"] == "合计" and total["quota_mu"] == 121 and total["own_mu"] == 110
    assert "建议指标合计 = 110 + 11 − 0 = 121 亩" in total["quota_explanation"]
    assert back.loc[back["unit"] == "Z1", "base_kind"].item() == "近3年年均供应工业用地"
    assert "（近3年年均供应工业用地 100.0 亩）" in q.loc["Z1", "quota_explanation"]
