"""The ledger on the web (TestClient): who may read and edit, 404 outside one's zones, CSRF, the
conflict message on a stale revision, filters and paging."""

from __future__ import annotations

import pytest

from landuse.services import ledger
from tests.test_web_common import copy_site, login, make_client, web_site  # noqa: F401


@pytest.fixture
def site(web_site, tmp_path):
    db = str(copy_site(web_site, tmp_path))
    app, client = make_client(db)
    store = app.state.store
    fl = store.read("flags", year=2025)
    a = fl[fl["parcel_code"] == web_site.parcel_a]["rule"].iloc[0]
    b = fl[fl["parcel_code"] == web_site.parcel_b]["rule"].iloc[0]
    ledger.open_entries(store, [{"parcel_code": web_site.parcel_a, "rule": a, "deadline": "2020-12-31",
                                 "opened": "2020-01-01", "planned_mu": 3.0},
                                {"parcel_code": web_site.parcel_b, "rule": b}], actor="seed")
    yield app, client, (web_site.parcel_a, a), (web_site.parcel_b, b)
    app.state.store.close()


def test_roles_zones_and_csrf(site):
    app, c, (pa, ra), (pb, rb) = site
    csrf = login(c, "mgr_a")
    r = c.get("/ledger")
    assert r.status_code == 200 and pa in r.text and pb not in r.text
    assert c.get("/ledger/entry", params={"parcel": pa, "rule": ra}).status_code == 200
    assert c.get("/ledger/entry", params={"parcel": pb, "rule": rb}).status_code == 404  # another zone's entry
    assert c.get("/api/ledger/entry", params={"parcel": pb, "rule": rb}).status_code == 404
    # overdue filter: A's entry is past its deadline
    j = c.get("/api/ledger", params={"overdue": True}).json()
    assert j["total"] == 1 and j["rows"][0]["parcel_code"] == pa
    assert c.get("/api/ledger", params={"status": "已完成"}).json()["total"] == 0
    # no CSRF: refused
    r = c.post("/ledger/note", data={"parcel": pa, "rule": ra, "text": "x"})
    assert r.status_code == 403
    r = c.post("/ledger/note", data={"parcel": pa, "rule": ra, "text": "已约谈", "csrf": csrf})
    assert r.status_code == 303
    assert [n["text"] for n in ledger.notes(app.state.store, ledger.Key(pa, ra))] == ["已约谈"]
    # a manager cannot touch another zone's entry
    r = c.post("/api/ledger/entry", json={"parcel_code": pb, "rule": rb, "revision": 1, "changes": {"status": "处置中"}},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 404
    c.post("/logout", data={"csrf": csrf})
    # an evaluator reads every zone, edits none
    csrf = login(c, "eval1")
    assert c.get("/ledger/entry", params={"parcel": pb, "rule": rb}).status_code == 200
    r = c.post("/api/ledger/entry", json={"parcel_code": pb, "rule": rb, "revision": 1, "changes": {"status": "处置中"}},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    c.post("/logout", data={"csrf": csrf})
    login(c, "viewer1")
    assert c.get("/ledger").status_code == 403 and c.get("/api/ledger").status_code == 403


def test_conflict_message_on_a_stale_revision(site):
    app, c, (pa, ra), _ = site
    csrf = login(c, "mgr_a")
    body = {"parcel_code": pa, "rule": ra, "revision": 1, "changes": {"status": "处置中", "responsible": "甲"}}
    r = c.post("/api/ledger/entry", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["revision"] == 2
    # the same form, still on revision 1: a conflict, not a silent overwrite
    r = c.post("/ledger/entry", data={"csrf": csrf, "parcel": pa, "rule": ra, "revision": "1", "responsible": "乙",
                                      "status": "处置中", "method": "其他"})
    assert r.status_code == 409 and "mgr_a" in r.text and "请刷新" in r.text
    r = c.post("/api/ledger/entry", json=body | {"changes": {"responsible": "乙"}}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 409 and r.json()["current"]["responsible"] == "甲"
    # a bad value: 422 with the problem, nothing written
    r = c.post("/api/ledger/entry", json=body | {"revision": 2, "changes": {"deadline": "明年"}},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and r.json()["problems"][0]["column"] == "deadline"
    # the dashboard shows the ledger's progress
    d = c.get("/dashboard")
    assert "低效用地处置进展" in d.text
