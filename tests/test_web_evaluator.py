"""The evaluator's year on the web (issue 16): versions list/publish, a background re-evaluation
producing a draft, the objection flow (accept changes the next version, reject does not, both
audited, other zones see nothing) and the comparison page."""

from __future__ import annotations

import re
import time

import pytest

from landuse.services import accounts, objections, results, versions
from tests.test_web_common import copy_site, login, make_client, web_site  # noqa: F401

Y = 2025


@pytest.fixture
def site(web_site, tmp_path):
    db = str(copy_site(web_site, tmp_path))
    app, client = make_client(db)
    store = app.state.store
    accounts.add_user(store, "mgr_b", role="manager", password="Manager-pass-000B", zones=web_site.zone_b)
    return web_site, app, client, store


def _wait_job(client, url):
    for _ in range(240):
        j = client.get(url, headers={"accept": "application/json"}).json()
        if j["status"] != "running":
            return j
        time.sleep(0.5)
    raise AssertionError("job did not finish")


def test_objection_flow_and_background_evaluation(site):
    ws, app, client, store = site
    csrf = login(client, "eval1")
    r = client.get(f"/versions?year={Y}")
    assert r.status_code == 200 and "草稿 v1" in r.text
    r = client.post("/versions/publish", data={"csrf": csrf, "year": Y, "version": "v1", "note": "2025 年度结果公示"})
    assert r.status_code == 200 and "已发布 2025-v1" in r.text
    assert "已发布版本 v1" in client.get(f"/versions?year={Y}").text
    # the zone manager files two objections on flags of a parcel of zone A
    fl = store.read("flags", year=Y, zones=[ws.zone_a])
    rules = fl.drop_duplicates("rule").head(2)
    assert len(rules) == 2
    client.post("/logout", data={"csrf": csrf})
    csrf = login(client, "mgr_a")
    assert client.get(f"/versions?year={Y}").status_code == 403
    ids = []
    for _, f in rules.iterrows():
        r = client.post("/objections", data={"csrf": csrf, "year": Y, "kind": "flag", "parcel_code": f["parcel_code"],
                                             "rule": f["rule"], "reason": "该宗地已于年内复工投产", "evidence": "施工许可证"})
        assert r.status_code == 200, r.text[:500]
        ids.append(re.search(r"已提交异议 (OBJ-\d+-[0-9a-f]+)", r.text).group(1))
    # not for another zone
    fb = store.read("flags", year=Y, zones=[ws.zone_b]).iloc[0]
    r = client.post("/objections", data={"csrf": csrf, "year": Y, "kind": "flag", "parcel_code": fb["parcel_code"],
                                         "rule": fb["rule"], "reason": "x"})
    assert r.status_code == 400
    page = client.get(f"/objections?year={Y}").text
    assert all(i in page for i in ids)
    # a manager of zone B sees none of them
    client.post("/logout", data={"csrf": csrf})
    csrf = login(client, "mgr_b", "Manager-pass-000B")
    page = client.get(f"/objections?year={Y}").text
    assert not any(i in page for i in ids) and "没有异议" in page
    assert client.post(f"/objections/{ids[0]}/decide", data={"csrf": csrf, "decision": "accept",
                                                               "reason": "x"}).status_code == 403
    client.post("/logout", data={"csrf": csrf})
    # the evaluator accepts the first and rejects the second
    csrf = login(client, "eval1")
    r = client.post(f"/objections/{ids[0]}/decide", data={"csrf": csrf, "decision": "accept", "reason": "证据充分"})
    assert r.status_code == 200 and "已采纳" in r.text
    r = client.post(f"/objections/{ids[1]}/decide", data={"csrf": csrf, "decision": "reject", "reason": "证据不足"})
    assert r.status_code == 200 and "未采纳" in r.text
    acts = [(a["username"], a["action"], a["detail"]) for a in accounts.read_audit(store)]
    assert sum(1 for u, a, _ in acts if u == "mgr_a" and a == "objection_file") == 2
    assert any(u == "eval1" and a == "objection_accept" and ids[0] in d for u, a, d in acts)
    assert any(u == "eval1" and a == "objection_reject" and ids[1] in d for u, a, d in acts)
    # a background re-evaluation makes the next version: the accepted flag is withdrawn, the rejected one stays
    published_seen = results.targets(store, year=Y)
    r = client.post("/versions/evaluate", data={"csrf": csrf, "year": Y})
    assert r.status_code == 303
    job = _wait_job(client, r.headers["location"])
    assert job["status"] == "done" and job["version"] == "2025-v2" and job["steps"]
    new = versions.frames(store, "2025-v2")["flags"]
    keys = set(zip(new["parcel_code"], new["rule"]))
    (p0, r0), (p1, r1) = [(f["parcel_code"], f["rule"]) for _, f in rules.iterrows()]
    assert (p0, r0) not in keys and (p1, r1) in keys
    assert versions.get_version(store, "2025-v2")["corrections"]
    # the published version is still what readers see
    assert results.targets(store, year=Y).equals(published_seen)
    assert results.shown_version(store, Y)["version_id"] == "2025-v1"
    assert objections.overrides_of(store, Y)[0]["objection_id"] == ids[0]
    # the evaluator compares the two versions on the web: the withdrawn flag is listed
    r = client.get(f"/versions/diff?year={Y}&a=v1&b=v2")
    assert r.status_code == 200 and "撤销" in r.text and p0 in r.text
    assert client.get(f"/versions/diff?year={Y}&a=v1&b=v9").status_code == 404


def test_compare_page(site):
    ws, app, client, store = site
    login(client, "mgr_a")
    r = client.get(f"/compare?year={Y}&baseline=2024&zone={ws.zone_a}")
    assert r.status_code == 200 and "新开发土地摊薄" in r.text and ws.zone_a in r.text
    assert f'href="/map?year={Y}#{ws.zone_a}/' in r.text
    assert client.get(f"/compare?year={Y}&baseline=2024&zone={ws.zone_b}").status_code == 404
    login(client, "viewer1")
    assert client.get(f"/compare?year={Y}&baseline=2024&zone={ws.zone_a}").status_code == 403
