"""What the disposal ledger changes in next year's evaluation (evaluation.ledger): a completed take-back,
an agreed new start date, the idle fee announced once, an overdue entry; and the idle-land disposal
share for 增存挂钩. Each case is run with and without the ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.ledger import idle_disposal_share, rights_with_takebacks
from landuse.core.policy import default_policy
from tests.evalkit import make_inputs, mu, run_year

P = default_policy()


def _inputs():
    """Z1: P1 (10 mu) supplied 2021-01-01, agreed start 2021-07-01, never started: idle from
    2022-07-01 (one year after the agreed date), two years 2023-07-01 → take-back due.
    P2 (30 mu) completed 2018, E2 producing (keeps the zone developed)."""
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "E1",
                  "supply_date": "2021-01-01", "agreed_start_date": "2021-07-01", "land_price_wan": 500.0},
                 {"parcel_code": "P2", "zone_code": "Z1", "registered_area_m2": mu(30), "holder_uscc": "E2",
                  "supply_date": "2017-01-01", "completion_date": "2018-06-01", "floor_area_m2": mu(30) * 1.2,
                  "footprint_area_m2": mu(30) * 0.5}],
        enterprises=[{"uscc": "E1"}, {"uscc": "E2", "production_start_date": "2018-07-01"}],
        enterprise_years=[{"uscc": "E2", "year": y, "revenue_wan": 3000.0, "tax_wan": 150.0}
                          for y in (2020, 2022, 2023, 2024, 2025)],
    )


def _ledger(**kw):
    row = {"parcel_code": "P1", "rule": "idle", "zone_code": "Z1", "method": "收回", "status": "已完成",
           "opened": "2023-08-01", "deadline": "2024-06-30", "closed": "2024-03-15", "disposed_mu": 10.0,
           "planned_mu": 10.0, "fee_collected_wan": None} | kw
    return pd.DataFrame([row])


def _flags(res, code="P1"):
    f = res["flags"]
    return f[f["parcel_code"] == code].set_index("rule")


def test_completed_take_back_changes_stage_holder_and_flags():
    base = _inputs()
    before = run_year(base, year=2025, policy=P)
    pr = before["parcel_results"].set_index("parcel_code")
    assert pr.loc["P1", "stage"] == "idle" and "idle" in _flags(before).index
    # taken back on 2024-03-15: in 2025 the parcel is in the reserve (收回), no holder, no idle flag
    res = run_year(base | {"disposals": _ledger()}, year=2025, policy=P)
    pr = res["parcel_results"].set_index("parcel_code")
    assert pr.loc["P1", "stage"] == "recovered"
    assert pd.isna(pr.loc["P1", "holder_uscc"]) if "holder_uscc" in pr.columns else True
    assert "idle" not in _flags(res).index
    # 2023 (before the take-back) is unchanged: still E1's idle land
    r23 = run_year(base | {"disposals": _ledger()}, year=2023, policy=P)
    assert r23["parcel_results"].set_index("parcel_code").loc["P1", "stage"] == "idle"
    assert "idle" in _flags(r23).index
    # the right registered from the parcels layer keeps the holder before the take-back
    lr = rights_with_takebacks(base["parcels"], base["land_rights"], _ledger())
    assert list(lr["event"]) == ["出让", "收回"] and [h if isinstance(h, str) else None for h in lr["holder_uscc"]] == ["E1", None]
    assert list(lr["valid_from"].dt.strftime("%Y-%m-%d")) == ["2021-01-01", "2024-03-15"]


def test_new_start_deadline_restarts_the_idle_clock():
    """Agreed on 2024-02-01 (completed), new start date 2025-03-01: as of 2025-12-31 the land is not
    idle (idle only from 2026-03-01, a year after the new date); without the ledger it is idle
    (since 2022-07-01) and due to be taken back."""
    base = _inputs()
    assert "idle" in _flags(run_year(base, year=2025, policy=P)).index
    led = _ledger(method="延长动工期限", closed="2024-02-01", deadline="2025-03-01", disposed_mu=None)
    res = run_year(base | {"disposals": led}, year=2025, policy=P)
    assert "idle" not in _flags(res).index
    assert res["parcel_results"].set_index("parcel_code").loc["P1", "stage"] != "idle"
    # 2023 (before the agreement): the original date applies: idle
    assert "idle" in _flags(run_year(base | {"disposals": led}, year=2023, policy=P)).index


def test_idle_fee_announced_once_then_collected_or_outstanding():
    """Idle from 2022-07-01: the fee (20 % × 500 = 100 万元) is announced in 2022. As of 2023-06-30
    (before the two-year mark, 2023-07-01) the fee is not announced again: without the ledger the
    action says it fell due earlier; with it, collected (completed, 100 万元 on 2022-11-20) or
    outstanding (in progress, 30 paid). At the end of 2023 the take-back action stays, with the fee's
    state after it."""
    base = _inputs()
    r22 = run_year(base, year=2022, policy=P)
    assert "闲置费 100.0 万元" in _flags(r22).loc["idle", "action"]
    mid = "2023-06-30"
    assert _flags(run_year(base, year=2023, policy=P, as_of=mid)).loc["idle", "action"].startswith("闲置费已于认定当年应征")
    paid = _ledger(method="征缴闲置费", opened="2022-08-01", closed="2022-11-20", fee_collected_wan=100.0,
                   disposed_mu=None)
    act = _flags(run_year(base | {"disposals": paid}, year=2023, policy=P, as_of=mid)).loc["idle", "action"]
    assert act == "闲置费已征收 100 万元（2022-11-20），不再重复征收；督促限期动工开发"
    owed = _ledger(method="征缴闲置费", status="处置中", opened="2022-08-01", closed=None, fee_collected_wan=30.0)
    act = _flags(run_year(base | {"disposals": owed}, year=2023, policy=P, as_of=mid)).loc["idle", "action"]
    assert act == "闲置费已于认定当年通知，尚未缴清，已缴 30 万元（不重复征收），催缴；督促限期动工开发"
    # year end: two years not started → take back, and the fee's state after it
    act = _flags(run_year(base | {"disposals": paid}, year=2023, policy=P)).loc["idle", "action"]
    assert act == "未动工开发满两年，依法无偿收回土地使用权；闲置费已征收 100 万元（2022-11-20），不再重复征收"
    # the fee year itself: the fee is announced (it falls due this year)
    assert "闲置费 100.0 万元" in _flags(run_year(base | {"disposals": paid}, year=2022, policy=P)).loc["idle", "action"]


def test_overdue_entry_raises_a_flag():
    """P2 has a 技改增容 entry for low FAR due 2025-06-30, still 处置中 on 2025-12-31: 184 days late."""
    base = _inputs()
    led = pd.DataFrame([{"parcel_code": "P2", "rule": "low_far", "zone_code": "Z1", "method": "技改增容",
                         "status": "处置中", "opened": "2024-05-01", "deadline": "2025-06-30"}])
    res = run_year(base | {"disposals": led}, year=2025, policy=P)
    f = _flags(res, "P2").loc["disposal_overdue"]
    assert f["label"] == "处置逾期" and f["severity"] == P.ledger.overdue_severity
    assert "期限 2025-06-30，逾期 184 天" in f["evidence"]
    assert "disposal_overdue" in res["parcel_results"].set_index("parcel_code").loc["P2", "flags"]
    # in 2024 the deadline is still ahead: no flag
    assert "disposal_overdue" not in _flags(run_year(base | {"disposals": led}, year=2024, policy=P), "P2").index
    # completed before the deadline: no flag
    done = led.assign(status="已完成", closed="2025-05-01")
    assert "disposal_overdue" not in _flags(run_year(base | {"disposals": done}, year=2025, policy=P), "P2").index


def test_idle_disposal_share_per_pilot_area():
    """PA1: idle entries of 10 mu (completed 2024-03-15, 10 disposed) and 30 mu (in progress) and
    one of 5 mu written off (left out): 10 / 40 = 0.25 at the end of 2024; PA2: none (NaN)."""
    led = pd.DataFrame([
        {"parcel_code": "A", "rule": "idle", "zone_code": "Z1", "status": "已完成", "opened": "2023-01-01",
         "closed": "2024-03-15", "disposed_mu": 10.0, "planned_mu": 12.0, "method": "收回"},
        {"parcel_code": "B", "rule": "idle", "zone_code": "Z1", "status": "处置中", "opened": "2023-01-01",
         "planned_mu": 30.0, "method": "征缴闲置费"},
        {"parcel_code": "C", "rule": "idle", "zone_code": "Z1", "status": "已核销", "opened": "2023-01-01",
         "closed": "2023-06-01", "planned_mu": 5.0, "method": "其他"},
        {"parcel_code": "D", "rule": "low_far", "zone_code": "Z2", "status": "已完成", "opened": "2023-01-01",
         "closed": "2023-06-01", "disposed_mu": 8.0, "method": "技改增容"},
    ])
    units = pd.Series({"Z1": "PA1", "Z2": "PA2"})
    s = idle_disposal_share(led, pd.Timestamp("2024-12-31"), zone_to_unit=units)
    assert s.loc["PA1"] == pytest.approx(10 / 40) and "PA2" not in s.index
    # at the end of 2023 nothing was completed yet: 0 / (12 + 30) = 0
    assert idle_disposal_share(led, pd.Timestamp("2023-12-31"), zone_to_unit=units).loc["PA1"] == 0.0


def test_idle_disposal_done_derived_from_the_ledger_where_not_typed():
    """quota_units: PA1 typed False in pilot_area_years keeps False; PA2 not typed: its ledger has
    20 mu of idle land, 12 disposed by 2025-12-31 → 0.6 ≥ 0.5 (policy.ledger.idle_disposal_share) → met."""
    from landuse.services.quota import quota_units
    from tests.test_quota_review import Y, source

    s = source()
    pay = s["pilot_area_years"]
    s["pilot_area_years"] = pay.assign(idle_disposal_done=pay["pilot_area_code"].map({"PA1": False, "PA2": None}))
    s["disposals"] = pd.DataFrame([
        {"parcel_code": "c", "rule": "idle", "zone_code": "Z3", "status": "已完成", "method": "收回",
         "opened": "2024-01-01", "closed": "2025-05-01", "disposed_mu": 12.0, "planned_mu": 12.0},
        {"parcel_code": "e", "rule": "idle", "zone_code": "Z3", "status": "处置中", "method": "征缴闲置费",
         "opened": "2024-01-01", "planned_mu": 8.0},
        {"parcel_code": "a", "rule": "idle", "zone_code": "Z1", "status": "已完成", "method": "收回",
         "opened": "2024-01-01", "closed": "2025-05-01", "disposed_mu": 300.0},
    ])
    u = quota_units(s, year=Y, policy=P)
    assert u["idle_disposal_done"].to_dict() == {"Z1": False, "Z2": False, "Z3": True}
    # below the threshold: 12 of 30 mu = 0.4 → not met
    s["disposals"].loc[1, "planned_mu"] = 18.0
    assert not bool(quota_units(s, year=Y, policy=P).loc["Z3", "idle_disposal_done"])
