"""Statutory idle land (闲置土地处置办法 53号令 Art. 2, 8, 14): boundaries computed by hand.

Convention (IdlePolicy docstring): 满一年 is reached on the calendar anniversary of the agreed start
date (29 Feb → 28 Feb); the as-of date is the end of that day.
"""

from __future__ import annotations

import pandas as pd
import pytest

try:
    from tests.evalkit import frame, mu
except ImportError:  # pragma: no cover - tests/ on sys.path instead of the project root
    from evalkit import frame, mu

from evaluation.lifecycle import add_years, idle_status, parcel_stages
from landuse.core.policy import default_policy

POLICY = default_policy()


def _parcel(**kw):
    row = {
        "parcel_code": "P1",
        "zone_code": "Z1",
        "registered_area_m2": mu(30),  # 20 000 m²
        "holder_uscc": "E1",
        "supply_date": "2022-01-01",
        "agreed_start_date": "2022-03-01",
        "land_price_wan": 500.0,
    }
    row.update(kw)
    return frame("parcels", [row])


def _idle(as_of, **kw):
    return idle_status(_parcel(**kw), as_of=pd.Timestamp(as_of), policy=POLICY.idle).iloc[0]


def test_add_years_calendar_and_29_february():
    s = pd.Series(pd.to_datetime(["2022-03-01", "2024-02-29", None]))
    got = add_years(s, 1)
    assert list(got[:2]) == [pd.Timestamp("2023-03-01"), pd.Timestamp("2025-02-28")]
    assert pd.isna(got[2])
    assert add_years(s, 4)[1] == pd.Timestamp("2028-02-29")


def test_364_days_after_agreed_start_is_not_idle():
    # 2022-03-01 + 364 days = 2023-02-28 (2022-03-01 → 2023-03-01 is 365 days, no 29 Feb between)
    r = _idle("2023-02-28")
    assert not r["idle"] and not r["fee_due"] and not r["takeback"]
    assert r["idle_kind"] is None and pd.isna(r["idle_since"])


def test_365_days_is_the_anniversary_idle_from_that_day():
    r = _idle("2023-03-01")
    assert r["idle"] and r["idle_kind"] == "not_started"
    assert r["idle_since"] == pd.Timestamp("2023-03-01")
    assert r["idle_days"] == 0
    assert r["fee_due"] and r["fee_wan"] == pytest.approx(100.0)  # 20 % × 500 万元
    assert not r["takeback"] and not r["exempt"]
    assert "闲置" in r["evidence"] and "idle" in r["evidence"]


def test_366_days():
    r = _idle("2023-03-02")
    assert r["idle"] and r["idle_days"] == 1


def test_leap_year_in_between_needs_366_days():
    # agreed 2023-03-01: 2024-02-29 is 365 days later but not yet the anniversary
    assert not _idle("2024-02-29", agreed_start_date="2023-03-01")["idle"]
    r = _idle("2024-03-01", agreed_start_date="2023-03-01")  # 366 days
    assert r["idle"] and r["idle_days"] == 0


def test_agreed_on_29_february():
    kw = {"supply_date": "2024-01-10", "agreed_start_date": "2024-02-29"}
    assert not _idle("2025-02-27", **kw)["idle"]
    r = _idle("2025-02-28", **kw)
    assert r["idle"] and r["idle_since"] == pd.Timestamp("2025-02-28")
    assert not _idle("2026-02-27", **kw)["takeback"]
    r2 = _idle("2026-02-28", **kw)
    assert r2["takeback"] and r2["idle_days"] == 365


def test_exactly_two_years_take_back():
    # agreed 2022-03-01 + 2 years = 2024-03-01
    r = _idle("2024-02-29")
    assert r["idle"] and not r["takeback"]
    # the one-off fee fell due on 2023-03-01 (53号令 Art. 14): not due again in 2024
    assert not r["fee_due"] and r["fee_due_date"] == pd.Timestamp("2023-03-01") and r["fee_wan"] == 0.0
    assert "已于2023-03-01应征" in r["evidence"]
    r = _idle("2024-03-01")
    assert r["takeback"] and not r["fee_due"]
    assert r["idle_days"] == 366  # 2023-03-01 → 2024-03-01 crosses 29 Feb 2024
    assert "可无偿收回" in r["evidence"] and "法律审核" not in r["evidence"]


def test_fee_is_due_once_in_the_year_the_land_became_idle():
    # idle since 2023-03-01: the fee (20 % × 500 = 100 万元) falls due in 2023, and in no later year
    assert [bool(_idle(d)["fee_due"]) for d in ("2023-03-01", "2023-12-31", "2024-12-31", "2025-12-31")] == [
        True, True, False, False]
    assert _idle("2023-12-31")["fee_wan"] == pytest.approx(100.0) and _idle("2024-12-31")["fee_wan"] == 0.0


def test_government_delay_is_idle_but_exempt():
    r = _idle("2025-06-01", government_delay=True)
    assert r["idle"] and r["exempt"]
    assert not r["fee_due"] and not r["takeback"] and r["fee_wan"] == 0.0
    assert "政府原因" in r["evidence"]


def test_started_parcel_is_not_idle_unless_halted():
    assert not _idle("2024-06-01", actual_start_date="2022-09-01")["idle"]
    # started after the as-of date: still not started at the as-of date
    assert _idle("2023-03-01", actual_start_date="2023-06-01")["idle"]
    # completed without a recorded start date
    assert not _idle("2024-06-01", completion_date="2023-12-01")["idle"]


def test_not_supplied_or_no_agreed_date_is_not_idle():
    r = _idle("2025-01-01", agreed_start_date=None)
    assert not r["idle"]
    # supplied 2022-01-01, not started, no agreed start date: cannot be assessed, said so
    assert r["missing_data"] == "agreed_start_date" and "缺少约定动工日期" in r["evidence"]
    # supplied less than a year before: nothing to say yet
    assert _idle("2022-12-31", agreed_start_date=None)["missing_data"] is None
    assert not _idle("2025-01-01", supply_date="2025-06-01")["idle"]


HALT = {"actual_start_date": "2022-04-01", "halted_since": "2022-05-10"}


def test_halted_under_one_third_developed():
    # area 20 000 m²; 6 000 m² developed < 20 000/3 = 6 666.7 m²; halted 2022-05-10 → idle from 2023-05-10
    kw = dict(HALT, developed_area_m2=6000.0)
    assert not _idle("2023-05-09", **kw)["idle"]
    r = _idle("2023-05-10", **kw)
    assert r["idle"] and r["idle_kind"] == "halted" and r["idle_since"] == pd.Timestamp("2023-05-10")
    assert r["fee_due"] and not r["takeback"]
    r2 = _idle("2024-05-10", **kw)
    assert r2["takeback"]  # halted 2 full years
    # started-then-halted land: 城市房地产管理法 Art. 26 speaks of land not started → legal review
    assert "法律审核" in r2["evidence"] and "可无偿收回" not in r2["evidence"]
    assert "30.0%" in r["evidence"]


def test_halted_shares_at_the_thresholds():
    # exactly 1/3 developed and exactly 25 % invested: not "不足" → not idle
    base = dict(HALT, developed_area_m2=20000.0 / 3, planned_investment_wan=1000.0)
    assert not _idle("2024-01-01", **base, invested_wan=250.0)["idle"]
    # 24.9 % invested → idle although a third is developed
    assert _idle("2024-01-01", **base, invested_wan=249.0)["idle"]
    # half developed, 60 % invested → a halted site but not idle land
    assert not _idle("2024-01-01", **HALT, developed_area_m2=10000.0, planned_investment_wan=1000.0,
                     invested_wan=600.0)["idle"]


def test_halted_with_unknown_shares_is_reported_not_idle():
    r = _idle("2024-01-01", **HALT)
    assert not r["idle"]
    assert "无法认定" in r["evidence"]
    assert r["missing_data"] == "developed_area_m2;invested_wan;planned_investment_wan"
    # half developed but investment unknown: the 25 % test could still make it idle
    r = _idle("2024-01-01", **HALT, developed_area_m2=10000.0)
    assert not r["idle"] and r["missing_data"] == "invested_wan;planned_investment_wan"


def test_completed_halted_parcel_is_not_idle():
    assert not _idle("2024-01-01", **HALT, developed_area_m2=10.0, completion_date="2023-01-01")["idle"]


def test_idle_stage_replaces_supplied_and_started():
    p = frame(
        "parcels",
        [
            {"parcel_code": "A", "zone_code": "Z", "supply_date": "2022-01-01", "agreed_start_date": "2022-03-01"},
            {"parcel_code": "B", "zone_code": "Z", "supply_date": "2022-01-01", "agreed_start_date": "2024-03-01"},
            {"parcel_code": "C", "zone_code": "Z", "supply_date": "2022-01-01", "actual_start_date": "2022-02-01"},
            {"parcel_code": "D", "zone_code": "Z", "supply_date": "2026-01-01"},
            {"parcel_code": "E", "zone_code": "Z", "completion_date": "2023-01-01", "registered_area_m2": 1.0},
        ],
    )
    as_of = pd.Timestamp("2023-12-31")
    idle = idle_status(p, as_of=as_of, policy=POLICY.idle)
    st = parcel_stages(p, as_of=as_of, idle=idle["idle"], producing=pd.Series({"E": True}))
    assert st.to_dict() == {"A": "idle", "B": "supplied", "C": "started", "D": "unsupplied", "E": "in_production"}


def test_vectorised_many_rows_match_single_rows():
    dates = pd.date_range("2022-12-25", "2023-03-05", freq="D")
    p = frame("parcels", [
        {"parcel_code": f"P{i}", "zone_code": "Z", "supply_date": "2021-01-01", "agreed_start_date": "2022-03-01"}
        for i in range(3)
    ])
    for d in dates:
        got = idle_status(p, as_of=d, policy=POLICY.idle)["idle"]
        assert got.all() == (d >= pd.Timestamp("2023-03-01"))
