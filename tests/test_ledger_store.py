"""The disposal ledger (处置台账) on both backends: opening entries, the status machine, the conflict on
a stale revision, progress notes and the audit trail (before → after)."""

from __future__ import annotations

import datetime as dt

import pytest

from landuse.core.errors import ValidationFailed
from landuse.services import ledger
from landuse.services.ledger import Key, LedgerConflict, LedgerNotFound
from parcels.importer import import_package
from tests import pkgkit

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def lstore(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    return store


def _open(store, **kw):
    item = {"parcel_code": "P1", "rule": "low_far", "deadline": "2025-12-31", "planned_mu": 6.0,
            "responsible": "经开区国土科", "opened": "2025-03-01"} | kw
    return ledger.open_entries(store, [item], actor="mgr", today=TODAY)[0]


def test_open_one_and_bulk_and_refuse_all_or_nothing(lstore):
    k = _open(lstore)
    e = ledger.get_entry(lstore, k)
    assert (e["zone_code"], e["method"], e["status"], e["revision"]) == ("Z1", "技改增容", "待处置", 1)
    assert e["opened"] == dt.date(2025, 3, 1) and e["deadline"] == dt.date(2025, 12, 31) and e["planned_mu"] == 6.0
    # bulk: one good item, one unknown parcel, one duplicate → nothing written, every problem named
    with pytest.raises(ValidationFailed) as ei:
        ledger.open_entries(lstore, [{"parcel_code": "P2", "rule": "idle"}, {"parcel_code": "PX", "rule": "idle"},
                                     {"parcel_code": "P1", "rule": "low_far"}], actor="mgr", today=TODAY)
    cols = sorted((p.row, p.column) for p in ei.value.problems)
    assert cols == [("P1/low_far", "rule"), ("PX/idle", "parcel_code")]
    assert len(ledger.read_ledger(lstore)) == 1
    # a manager of Z2 cannot open an entry on a Z1 parcel
    with pytest.raises(ValidationFailed):
        ledger.open_entries(lstore, [{"parcel_code": "P2", "rule": "idle"}], actor="m2", zones=["Z2"], today=TODAY)
    keys = ledger.open_entries(lstore, [{"parcel_code": "P2", "rule": "idle"}, {"parcel_code": "P3"}],
                               actor="mgr", today=TODAY)
    df = ledger.read_ledger(lstore)
    assert list(df["parcel_code"]) == ["P1", "P2", "P3"] and keys[1] == Key("P3", None)
    assert df.set_index("parcel_code").loc["P2", "method"] == "征缴闲置费"  # the rule's default method
    assert list(ledger.read_ledger(lstore, zones=["Z2"])["parcel_code"]) == ["P3"]


def test_status_machine(lstore):
    k = _open(lstore)
    e = ledger.get_entry(lstore, k)
    # 待处置 → 已完成 skips 处置中: refused
    with pytest.raises(ValidationFailed) as ei:
        ledger.update_entry(lstore, k, {"status": "已完成"}, expected_revision=1, actor="mgr", today=TODAY)
    assert ei.value.problems[0].column == "status"
    e = ledger.update_entry(lstore, k, {"status": "处置中"}, expected_revision=1, actor="mgr", today=TODAY)
    assert (e["status"], e["revision"], e["closed"]) == ("处置中", 2, None)
    # 已核销 needs a reason
    with pytest.raises(ValidationFailed) as ei:
        ledger.update_entry(lstore, k, {"status": "已核销"}, expected_revision=2, actor="mgr", today=TODAY)
    assert [p.column for p in ei.value.problems] == ["reason"]
    # completed: closed defaults to the day of the change
    e = ledger.update_entry(lstore, k, {"status": "已完成", "disposed_mu": "5.5"}, expected_revision=2, actor="mgr",
                            today=TODAY)
    assert (e["status"], e["closed"], e["disposed_mu"], e["revision"]) == ("已完成", TODAY, 5.5, 3)
    # final: nothing leaves 已完成
    with pytest.raises(ValidationFailed):
        ledger.update_entry(lstore, k, {"status": "处置中"}, expected_revision=3, actor="mgr", today=TODAY)
    # write-off from 待处置 with a reason
    k2 = _open(lstore, parcel_code="P2", rule="idle")
    e2 = ledger.update_entry(lstore, k2, {"status": "已核销", "reason": "复核为政府原因延迟"}, expected_revision=1,
                             actor="mgr", today=TODAY)
    assert (e2["status"], e2["reason"], e2["closed"]) == ("已核销", "复核为政府原因延迟", TODAY)
    # bad values: every problem at once, nothing written
    with pytest.raises(ValidationFailed) as ei:
        ledger.update_entry(lstore, Key("P1", "low_far"), {"method": "拆了", "planned_mu": "-3", "deadline": "明年"},
                            expected_revision=3, actor="mgr", today=TODAY)
    assert sorted(p.column for p in ei.value.problems) == ["deadline", "method", "planned_mu"]
    assert ledger.get_entry(lstore, k)["revision"] == 3


def test_conflict_on_a_stale_revision(lstore):
    k = _open(lstore)
    a = ledger.get_entry(lstore, k)  # two people read revision 1
    b = ledger.get_entry(lstore, k)
    ledger.update_entry(lstore, k, {"responsible": "甲"}, expected_revision=a["revision"], actor="alice", today=TODAY)
    with pytest.raises(LedgerConflict) as ei:
        ledger.update_entry(lstore, k, {"responsible": "乙"}, expected_revision=b["revision"], actor="bob",
                            today=TODAY)
    assert "alice" in str(ei.value) and ei.value.current["revision"] == 2
    assert ledger.get_entry(lstore, k)["responsible"] == "甲"  # never a silent overwrite


def test_notes_and_audit_trail(lstore):
    k = _open(lstore)
    ledger.add_note(lstore, k, "已约谈企业，拟加建三层", author="mgr", noted="2025-04-02", today=TODAY)
    ledger.update_entry(lstore, k, {"status": "处置中", "responsible": "区建设局"}, expected_revision=1, actor="chen",
                        note="签订技改协议", ip="10.0.0.5", today=TODAY)
    ns = ledger.notes(lstore, k)
    assert [(n["noted"], n["author"], n["text"]) for n in ns] == [
        (dt.date(2025, 4, 2), "mgr", "已约谈企业，拟加建三层"), (TODAY, "chen", "签订技改协议")]
    with pytest.raises(ValidationFailed):
        ledger.add_note(lstore, k, "  ", author="mgr", today=TODAY)
    trail = ledger.history(lstore, k)
    assert [h["action"] for h in trail] == ["ledger_open", "ledger_note", "ledger_update", "ledger_note"]
    upd = trail[2]
    assert upd["username"] == "chen"
    assert upd["before"] == {"responsible": "经开区国土科", "status": "待处置"}
    assert upd["after"] == {"responsible": "区建设局", "status": "处置中"}
    assert trail[0]["after"]["planned_mu"] == 6.0
    # an entry outside the caller's zones does not exist for them
    with pytest.raises(LedgerNotFound):
        ledger.get_entry(lstore, k, zones=["Z2"])
    with pytest.raises(LedgerNotFound):
        ledger.add_note(lstore, k, "x", author="m2", zones=["Z2"], today=TODAY)


def test_summary_by_zone(lstore):
    _open(lstore)  # P1 Z1 planned 6, deadline 2025-12-31
    k2 = _open(lstore, parcel_code="P2", rule="idle", deadline="2025-05-31", planned_mu=4.0)  # overdue on TODAY
    k3 = _open(lstore, parcel_code="P3", rule="idle", planned_mu=3.0)
    ledger.update_entry(lstore, k3, {"status": "处置中"}, expected_revision=1, actor="m", today=TODAY)
    ledger.update_entry(lstore, k3, {"status": "已完成", "disposed_mu": 2.5, "fee_collected_wan": 12},
                        expected_revision=2, actor="m", today=TODAY)
    s = ledger.summary(ledger.read_ledger(lstore), today=TODAY).set_index("zone_code")
    # Z1: two open entries, 6 + 4 = 10 mu in disposal, one overdue; Z2: one completed, 2.5 mu disposed
    assert s.loc["Z1", "entries"] == 2 and s.loc["Z1", "mu_in_disposal"] == 10.0 and s.loc["Z1", "overdue"] == 1
    assert s.loc["Z2", "已完成"] == 1 and s.loc["Z2", "mu_disposed"] == 2.5 and s.loc["Z2", "fee_collected_wan"] == 12
    assert k2 == Key("P2", "idle")
