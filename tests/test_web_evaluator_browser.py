"""Screenshots of the evaluator's pages in headless Chromium (issue 16): the comparison page of a zone
that missed the +15 % path, and the objection list."""

from __future__ import annotations

from landuse.core.policy import default_policy
from landuse.services import objections, results, versions
from tests.test_web_browser import SHOTS, Server, _login, _watch, _only_local, browser  # noqa: F401
from tests.test_web_common import copy_site, web_site  # noqa: F401

Y = 2025


def test_compare_and_objection_pages(web_site, tmp_path, browser):
    from parcels.store import open_store

    db = str(copy_site(web_site, tmp_path))
    store = open_store(db)
    P = default_policy()
    versions.publish(store, year=Y, version="v1", note="2025 年度结果公示", actor="eval1", policy=P)
    zr = results.zone_rows(store, year=Y, zones=None)
    missed = zr[(zr["goal_met"] == False)]  # noqa: E712
    assert len(missed)
    missed_zone = missed["zone_code"].iloc[0]
    zone = web_site.zone_a
    fl = store.read("flags", year=Y, zones=[zone]).drop_duplicates("rule").head(2)
    for _, f in fl.iterrows():
        objections.file_objection(store, year=Y, kind="flag", parcel_code=f["parcel_code"], rule=f["rule"],
                                  reason="该宗地已于年内复工投产", evidence="施工许可证及现场照片", actor="mgr_a",
                                  zones=[zone], policy=P)
    o = objections.list_objections(store, year=Y)[-1]
    objections.decide(store, objection_id=o["objection_id"], accept=False, reason="证据不足：照片晚于统计日期",
                      actor="eval1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Server(db) as base:
        page = browser.new_page()
        seen = _watch(page, base)
        _login(page, base, "eval1", start=f"/compare?year={Y}&baseline=2024&zone={missed_zone}")
        page.wait_for_selector("#bridge")
        text = page.inner_text("main")
        assert "新开发土地摊薄" in text and "需增加营业收入" in text
        assert page.locator("#gap b.bad").count() >= 1  # behind the path: the gap is negative
        page.screenshot(path=str(SHOTS / "web_compare_zone.png"), full_page=True)
        page.goto(base + f"/objections?year={Y}")
        page.wait_for_selector("#objection-table")
        assert "未采纳" in page.inner_text("#objection-table")
        page.screenshot(path=str(SHOTS / "web_objections.png"), full_page=True)
        _only_local(seen, base)
