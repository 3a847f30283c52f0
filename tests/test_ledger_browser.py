"""The ledger in headless Chromium: a manager opens an entry from the map popup, records progress and
sees it on the dashboard; another zone's entry is a 404. Screenshots: docs/screenshots/web_ledger_*.png."""

from __future__ import annotations

import pytest

from landuse.services import ledger
from tests.test_web_browser import SHOTS, Server, _click_parcel, _login, _only_local, _watch, browser  # noqa: F401
from tests.test_web_common import copy_site, web_site  # noqa: F401

pytestmark = pytest.mark.browser


def test_manager_records_progress_from_the_popup(web_site, tmp_path, browser):  # noqa: F811
    from parcels.store import open_store

    db = str(copy_site(web_site, tmp_path))
    s = open_store(db)
    fl = s.read("flags", year=2025)
    ra = fl[fl["parcel_code"] == web_site.parcel_a]["rule"].iloc[0]
    rb = fl[fl["parcel_code"] == web_site.parcel_b]["rule"].iloc[0]
    ledger.open_entries(s, [{"parcel_code": web_site.parcel_a, "rule": ra, "planned_mu": 5.0, "deadline": "2099-06-30",
                             "responsible": "管委会规划建设局"},
                            {"parcel_code": web_site.parcel_b, "rule": rb}], actor="seed")
    s.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Server(db) as base:
        page = browser.new_page()
        seen = _watch(page, base)
        _login(page, base, "mgr_a")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        # the ledger as a map layer, by status
        page.check("#ledger-layer")
        page.locator("#status", has_text="台账宗地").wait_for(timeout=10000)
        assert page.inner_text("#status").startswith("1 宗台账宗地")
        page.uncheck("#ledger-layer")
        page.wait_for_timeout(500)
        _click_parcel(page, web_site.parcel_a)
        page.wait_for_selector(".parcel-popup .ledger-link", timeout=10000)
        link = page.locator(".parcel-popup .ledger-link").first
        assert "待处置" in link.inner_text() and ra in link.inner_text()
        page.screenshot(path=str(SHOTS / "web_ledger_popup.png"))
        page.check("#ledger-layer")
        page.locator("#status", has_text="台账宗地").wait_for(timeout=10000)
        page.screenshot(path=str(SHOTS / "web_ledger_map_layer.png"))
        link.click()
        page.wait_for_selector("#ledger-entry")
        assert "管委会规划建设局" in page.input_value("#f-responsible")
        # record progress and move the entry on
        page.select_option("#f-status", "处置中")
        page.fill("#f-newnote", "已约谈企业，签订技改协议")
        page.click("#ledger-save")
        page.wait_for_selector("#ledger-entry[data-revision='2']")
        assert "处置中" in page.inner_text("#ledger-entry h2")
        page.fill("#note-text", "完成方案评审")
        page.click("#note-add")
        page.wait_for_selector("#ledger-notes li:nth-child(2)")
        notes = page.inner_text("#ledger-notes")
        assert "已约谈企业，签订技改协议" in notes and "完成方案评审" in notes and "mgr_a" in notes
        page.screenshot(path=str(SHOTS / "web_ledger_entry.png"), full_page=True)
        # the dashboard shows it
        page.goto(f"{base}/dashboard?year=2025&zone={web_site.zone_a}")
        page.wait_for_selector("#ledger-progress")
        recent = page.inner_text("#ledger-recent")
        assert "完成方案评审" in recent and web_site.parcel_a in recent
        assert web_site.zone_b not in page.inner_text("#ledger-progress")
        page.locator("#ledger-progress").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "web_ledger_dashboard.png"))
        page.goto(f"{base}/ledger")
        page.wait_for_selector("#ledger-table")
        assert web_site.parcel_a in page.inner_text("#ledger-table")
        assert web_site.parcel_b not in page.inner_text("#ledger-table")
        page.screenshot(path=str(SHOTS / "web_ledger_list.png"), full_page=True)
        _only_local(seen, base)
        # another zone's entry: 404
        resp = page.goto(f"{base}/ledger/entry?parcel={web_site.parcel_b}&rule={rb}")
        assert resp.status == 404 and web_site.parcel_b not in page.content()
