"""The objection window (issue 16 §2) on both backends: a zone manager objects to a grade, the
evaluator accepts (the next version carries the correction and its reason) or rejects (the next
version does not change); every step is audited; other zones see nothing; after the window the
version is final."""

from __future__ import annotations

import datetime as dt

import pytest

from landuse.core.errors import LanduseError
from landuse.core.policy import default_policy
from landuse.services import accounts, objections, versions
from landuse.services.evaluate import evaluate
from parcels.importer import import_package
from tests import pkgkit

P = default_policy()
Y = 2024
MON = dt.date(2026, 11, 23)  # published on a Monday: objections through Thursday 26 November


@pytest.fixture
def published(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    evaluate(store, years=[2020, Y], policy=P)
    versions.publish(store, year=Y, version="v1", note="公示", actor="ev", policy=P, today=MON)
    return store


def _grade(store, version_id, uscc):
    er = versions.frames(store, version_id)["enterprise_results"].set_index("uscc")
    return er.loc[uscc, "grade"], er.loc[uscc, "grade_note"]


def test_accept_changes_the_next_version_reject_does_not(published):
    store = published
    # three firms are too few for a grading group (min_group_size 5): no grade, and the note says why
    g1, n1 = _grade(store, f"{Y}-v1", pkgkit.E1)
    g2, n2 = _grade(store, f"{Y}-v1", pkgkit.E2)
    assert g1 is None and g2 is None and "不足5家" in n1
    a = objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="A", reason="亩均税收统计有误",
                                  evidence="税务局完税证明", actor="mgr_z1", zones=["Z1"], policy=P,
                                  today=dt.date(2026, 11, 26))
    r = objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E2, requested="A", reason="不服",
                                  evidence=None, actor="mgr_z1", zones=["Z1"], policy=P, today=MON)
    assert a["zone_code"] == "Z1" and a["current_value"] is None and a["requested_value"] == "A"
    objections.decide(store, objection_id=a["objection_id"], accept=True, reason="证据充分", actor="ev")
    objections.decide(store, objection_id=r["objection_id"], accept=False, reason="无新证据", actor="ev")
    with pytest.raises(LanduseError):  # decided once
        objections.decide(store, objection_id=r["objection_id"], accept=True, reason="x", actor="ev")
    evaluate(store, years=[Y], policy=P)
    grade, note = _grade(store, f"{Y}-v2", pkgkit.E1)
    assert grade == "A" and "证据充分" in note and a["objection_id"] in note
    assert _grade(store, f"{Y}-v2", pkgkit.E2) == (None, n2)  # rejected: as computed
    # the published version is unchanged, and still what readers see
    assert _grade(store, f"{Y}-v1", pkgkit.E1) == (None, n1)
    er = store.read("enterprise_results", year=Y).set_index("uscc")
    assert er.loc[pkgkit.E1, "grade"] is None
    assert not versions.get_version(store, f"{Y}-v1")["corrections"]
    assert versions.get_version(store, f"{Y}-v2")["corrections"]
    acts = [(x["username"], x["action"], x["detail"]) for x in accounts.read_audit(store)]
    assert sum(1 for u, act, _ in acts if u == "mgr_z1" and act == "objection_file") == 2
    assert any(act == "objection_accept" and a["objection_id"] in d for _, act, d in acts)
    assert any(act == "objection_reject" and r["objection_id"] in d for _, act, d in acts)


def test_parties_of_the_zone_only_and_the_window(published):
    store = published
    a = objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="B", reason="r",
                                  evidence=None, actor="mgr_z1", zones=["Z1"], policy=P, today=MON)
    assert [o["objection_id"] for o in objections.list_objections(store, year=Y, zones=["Z1"])] == [a["objection_id"]]
    assert objections.list_objections(store, year=Y, zones=["Z2"]) == []
    # a manager of Z2 cannot object for a firm of Z1
    with pytest.raises(LanduseError):
        objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="B", reason="r",
                                  evidence=None, actor="mgr_z2", zones=["Z2"], policy=P, today=MON)
    # Friday 27 November: the window closed on Thursday, the version is final
    with pytest.raises(LanduseError, match="2026-11-26"):
        objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="B", reason="r",
                                  evidence=None, actor="mgr_z1", zones=["Z1"], policy=P, today=dt.date(2026, 11, 27))
    with pytest.raises(LanduseError):  # a grade that does not exist
        objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="E", reason="r",
                                  evidence=None, actor="mgr_z1", zones=["Z1"], policy=P, today=MON)
    with pytest.raises(LanduseError):  # no reason
        objections.file_objection(store, year=Y, kind="grade", uscc=pkgkit.E1, requested="B", reason=" ",
                                  evidence=None, actor="mgr_z1", zones=["Z1"], policy=P, today=MON)
