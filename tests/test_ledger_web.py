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


def test_report_has_the_progress_section(web_site, tmp_path):  # noqa: F811
    """With a ledger, the report (HTML and Excel) has 低效用地处置进展 per zone and for the province."""
    import datetime as dt

    import openpyxl

    from landuse.core.policy import default_policy
    from landuse.reports.data import collect_report_data
    from landuse.reports.excel import write_excel
    from landuse.reports.html import render_html
    from parcels.store import open_store

    s = open_store(str(copy_site(web_site, tmp_path)))
    day = dt.date(2025, 12, 31)
    ledger.open_entries(s, [{"parcel_code": web_site.parcel_a, "opened": "2024-01-10", "status": "处置中",
                             "planned_mu": 3.0},
                            {"parcel_code": web_site.parcel_b, "opened": "2024-02-01", "planned_mu": 2.0,
                             "deadline": "2025-03-31"}], actor="m", today=day)
    ledger.update_entry(s, ledger.Key(web_site.parcel_a), {"status": "已完成", "closed": "2024-06-30",
                                                            "disposed_mu": 3.0}, expected_revision=1, actor="m", today=day)
    d = collect_report_data(s, year=2025, policy=default_policy())
    p = d.ledger.set_index("zone_code")
    assert p.loc[web_site.zone_a, "mu_disposed"] == 3.0 and p.loc[web_site.zone_b, "mu_in_disposal"] == 2.0
    assert p.loc["PROVINCE", "entries"] == 2 and p.loc["PROVINCE", "parcels_completed"] == 1
    html = render_html(d)
    assert "六之二、低效用地处置进展" in html and "处置后亩均营业收入" in html
    out = write_excel(d, tmp_path / "r.xlsx")
    assert "低效用地处置进展" in openpyxl.load_workbook(out).sheetnames
    s.close()


def test_open_from_the_target_list_and_the_plan_page(site):
    app, c, (pa, ra), _ = site
    store = app.state.store
    csrf = login(c, "mgr_a")
    page = c.get("/targets", params={"year": 2025})
    assert page.status_code == 200 and 'class="ledger-open"' in page.text
    flags_a = set(store.read("flags", year=2025, where={"parcel_code": pa})["rule"])
    r = c.post("/ledger/open", data={"csrf": csrf, "parcel": pa, "rule": "*", "year": "2025"})
    assert r.status_code == 303 and r.headers["location"].startswith("/ledger/entry?")
    assert {e["rule"] for e in ledger.entries_of_parcel(store, pa)} == flags_a  # every flag, the seeded one kept
    pl = c.get("/ledger/plan", params={"zone": web_site_zone(store, pa), "year": 2025})
    assert pl.status_code == 200 and "plan-message" in pl.text
    r = c.post("/ledger/plan", data={"csrf": csrf, "zone": web_site_zone(store, pa), "year": "2025"})
    assert r.status_code == 303


def web_site_zone(store, parcel):
    from landuse.services.results import parcel_zone

    return parcel_zone(store, parcel)
