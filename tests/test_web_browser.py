"""End to end in headless Chromium against uvicorn on 127.0.0.1: log in, map, popup, downloads.

Screenshots go to docs/screenshots/web_*.png. Every request the browser makes must go to the
service itself (no CDN), and the console must show no error (CSP violations included).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.test_web_common import PASSWORDS, ROLES, copy_site, web_site  # noqa: F401

pytestmark = pytest.mark.browser

from tests.browser import chromium
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: str) -> None:
        import uvicorn

        from landuse.web.app import create_app

        self.port = _free_port()
        self.app = create_app(db)
        cfg = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", server_header=False)
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(100):
            if self.server.started:
                break
            time.sleep(0.1)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
        self.app.state.store.close()


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "profile", viewport={"width": 1280, "height": 820}, accept_downloads=True,
                  locale="zh-CN") as ctx:
        yield ctx


def _watch(page, base: str):
    seen = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def _login(page, base: str, user: str, start: str = "/map") -> None:
    page.goto(base + start)
    assert "/login" in page.url
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login-btn")
    page.wait_for_url(base + start + "*")


def _click_parcel(page, code: str, year: int = 2025) -> dict:
    """Zoom to the parcel's representative point and click it on the map (a real mouse click)."""
    hit = page.evaluate("""async ([code, year]) => {
        const r = await fetch('/api/search?q=' + encodeURIComponent(code) + '&year=' + year);
        const hits = await r.json(); return hits.filter(h => h.parcel_code === code)[0];
    }""", [code, year])
    page.evaluate("([lat, lon]) => { window.landuseMap.setView([lat, lon], 17, {animate: false}); }", [hit["lat"], hit["lon"]])
    page.wait_for_timeout(1200)
    pt = page.evaluate("([lat, lon]) => { const p = window.landuseMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                       [hit["lat"], hit["lon"]])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_selector(".parcel-popup", timeout=10000)
    page.wait_for_timeout(400)  # the popup's fade-in, so that screenshots show it opaque
    return hit


def _only_local(seen, base: str) -> None:
    bad = [u for u in seen["requests"] if not (u.startswith(base) or u.startswith("data:") or u.startswith("blob:"))]
    assert not bad, bad
    assert not seen["errors"], seen["errors"]


def test_manager_and_viewer_in_chromium(web_site, tmp_path, browser):
    import pandas as pd

    db = str(copy_site(web_site, tmp_path))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Server(db) as base:
        page = browser.new_page()
        seen = _watch(page, base)
        _login(page, base, "mgr_a")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        page.screenshot(path=str(SHOTS / "web_map_zone.png"))
        _click_parcel(page, web_site.parcel_a)
        popup = page.locator(".parcel-popup")
        text = popup.inner_text()
        assert web_site.parcel_a in text and "亩均营业收入" in text and "问题及原因" in text
        assert "2025 年" in text
        page.screenshot(path=str(SHOTS / "web_map_manager_popup.png"))
        # a year switch refreshes the open popup, which says its year
        page.select_option("#year", "2024")
        page.wait_for_selector(".parcel-popup .popup-year[data-year='2024']", timeout=10000)
        assert "2024 年" in page.locator(".parcel-popup").inner_text()
        page.screenshot(path=str(SHOTS / "web_map_popup_year_switch.png"))
        page.select_option("#year", "2025")
        page.wait_for_selector(".parcel-popup .popup-year[data-year='2025']", timeout=10000)
        # the print view: title, legend, scale, north arrow, date, policy version; no controls
        page.get_by_text("打印", exact=True).click()
        page.wait_for_selector(".lu-print-frame", timeout=3000)
        assert "北" in page.inner_text(".lu-print-frame") and "政策版本" in page.inner_text(".lu-print-frame")
        for sel in ("header.top", ".maptools", ".leaflet-control-zoom", ".lu-tools"):
            assert not page.locator(sel).first.is_visible(), sel
        assert page.locator(".legend").is_visible() and page.locator(".leaflet-control-scale").is_visible()
        page.screenshot(path=str(SHOTS / "web_map_print_view.png"), full_page=True)
        page.get_by_text("退出打印").click()
        # the attribute table of the parcels in view: filter, sort, export what it shows
        page.get_by_text("属性表").click()
        page.wait_for_selector(".lu-table tbody tr", timeout=10000)
        shown = page.evaluate("window.__luTable.rows.map(r => r.parcel_code)")
        assert web_site.parcel_a in shown and all(isinstance(c, str) for c in shown)
        page.fill(".lu-table-head input", web_site.parcel_a)
        for _ in range(50):  # (wait_for_function evaluates a string: the page's CSP forbids it)
            if page.evaluate("window.__luTable ? window.__luTable.rows.length : -1") == 1:
                break
            page.wait_for_timeout(100)
        with page.expect_download() as dl:
            page.click(".lu-table-export")
        csv_path = tmp_path / "table.csv"
        dl.value.save_as(csv_path)
        lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("宗地代码,") and len(lines) == 2 and lines[1].startswith(web_site.parcel_a)
        page.screenshot(path=str(SHOTS / "web_map_table.png"))
        page.get_by_text("关闭").click()
        # zone search by name
        page.fill("#q", page.locator("#zone option").first.inner_text()[:4])
        page.click("#qbtn")
        page.wait_for_selector("#hits .hit-zone", timeout=5000)
        # the zone selector offers zone A only
        opts = page.locator("#zone option").all_inner_texts()
        assert len(opts) == 1 and web_site.zone_a in opts[0]

        page.goto(base + "/targets?year=2025")
        assert page.locator("#target-table tr").count() > 1
        page.screenshot(path=str(SHOTS / "web_targets.png"))
        with page.expect_download() as dl:
            page.click("#dl-xlsx")
        path = tmp_path / "targets.xlsx"
        dl.value.save_as(path)
        df = pd.read_excel(path)
        assert len(df) > 0 and set(df["开发区代码"]) == {web_site.zone_a}

        page.goto(base + f"/dashboard?year=2025&zone={web_site.zone_a}")
        assert page.locator("#zone-detail .kpis").count() == 1
        page.screenshot(path=str(SHOTS / "web_dashboard.png"), full_page=True)
        page.goto(base + f"/dashboard?year=2025&zone={web_site.zone_b}")
        assert "未找到" in page.content()
        seen["errors"] = [e for e in seen["errors"] if "404" not in e]  # the refused page above
        _only_local(seen, base)
        page.close()

        # viewer: a fresh context-less page after logging the manager out
        page = browser.new_page()
        page.goto(base + "/map")
        page.locator("form[action='/logout'] button").click()
        page.wait_for_url(base + "/login*")
        seen = _watch(page, base)
        _login(page, base, "viewer1")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        assert page.locator("#colour").count() == 0
        _click_parcel(page, web_site.parcel_a)
        text = page.locator(".parcel-popup").inner_text()
        assert web_site.parcel_a in text and "权利人" in text
        for word in ("亩均营业收入", "亩均税收", "营业收入", "企业等级", "问题及原因"):
            assert word not in text, word
        page.screenshot(path=str(SHOTS / "web_map_viewer_popup.png"))
        page.goto(base + "/targets")
        assert "无权访问" in page.content()
        seen["errors"] = [e for e in seen["errors"] if "403" not in e]
        _only_local(seen, base)

        # Swagger UI from vendored files under the strict CSP
        page.goto(base + "/docs")
        page.wait_for_selector(".swagger-ui .info", timeout=20000)
        page.screenshot(path=str(SHOTS / "web_docs.png"))
        _only_local(seen, base)


@pytest.mark.postgis
def test_vector_tiles_in_chromium(web_site, pg_db, tmp_path, browser):
    from landuse.services import accounts as auth
    from parcels.importer import import_package
    from parcels.store import open_store
    from landuse.services.evaluate import evaluate
    from landuse.core.policy import default_policy

    store = open_store(pg_db, init=True)
    import_package(web_site.pkg, store)
    evaluate(store, years=[2025], policy=default_policy())
    auth.add_user(store, "eval1", role=ROLES["eval1"], password=PASSWORDS["eval1"])
    auth.add_user(store, "mgr_a", role="manager", password=PASSWORDS["mgr_a"], zones=web_site.zone_a)
    zones = store.read("zones")
    store.close()
    _tiles_map_in_chromium(web_site, pg_db, zones, browser, shots="postgis")


def test_stored_tiles_map_on_a_geopackage_in_chromium(web_site, tmp_path, browser):
    """A GeoPackage with stored tiles draws the same tiled map as PostGIS (issue 18, item 2)."""
    from landuse.services.tiles import build_tiles
    from parcels.store import open_store
    from tests.test_web_common import copy_site

    db = str(copy_site(web_site, tmp_path))
    store = open_store(db)
    build_tiles(store, 2025)
    zones = store.read("zones")
    _tiles_map_in_chromium(web_site, db, zones, browser, shots="gpkg")


def _tiles_map_in_chromium(web_site, db, zones, browser, *, shots: str):
    with Server(db) as base:
        # a zone manager: the map opens on the zone (never an empty spot), zoom-out works
        page = browser.new_page()
        seen = _watch(page, base)
        _login(page, base, "mgr_a")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        page.wait_for_timeout(1500)
        za = zones[zones["zone_code"] == web_site.zone_a].geometry.iloc[0]
        view = page.evaluate("(() => { const b = window.landuseMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
        import shapely
        assert shapely.box(*view).contains(za.centroid) and shapely.box(*view).intersection(za.envelope).area > 0.5 * za.envelope.area
        assert page.evaluate("window.landuseMap.getMinZoom()") <= 5
        assert "leaflet-disabled" not in (page.get_attribute(".leaflet-control-zoom-out", "class") or "")
        assert page.get_attribute("#map", "data-mode") == "tiles"
        if shots == "postgis":
            page.screenshot(path=str(SHOTS / "web_map_postgis_open.png"))
        # a link of the target list lands on the parcel, its popup open
        page.goto(base + "/targets?year=2025")
        link = page.locator("#target-table a[href*='/map']").first
        code = link.inner_text()
        link.click()
        page.wait_for_selector(".parcel-popup", timeout=20000)
        assert code in page.locator(".parcel-popup").inner_text()
        assert page.evaluate("window.landuseMap.getZoom()") == 17
        if shots == "postgis":
            page.screenshot(path=str(SHOTS / "web_map_postgis_target_link.png"))
        _only_local(seen, base)
        page.close()
        browser.clear_cookies()
        # an evaluator: all zones in view
        page = browser.new_page()
        seen = _watch(page, base)
        _login(page, base, "eval1")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        view = page.evaluate("(() => { const b = window.landuseMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
        assert shapely.box(*view).contains(shapely.box(*zones.total_bounds).centroid)
        page.select_option("#colour", "revenue")
        _click_parcel(page, web_site.parcel_b)
        text = page.locator(".parcel-popup").inner_text()
        assert web_site.parcel_b in text and "亩均营业收入" in text
        page.screenshot(path=str(SHOTS / f"web_map_tiles_{shots}.png"))
        assert any("/tiles/" in u and u.endswith("year=2025") for u in seen["requests"])
        _only_local(seen, base)
        if shots == "gpkg":  # 2024 has no stored tiles on this GeoPackage: its page draws GeoJSON
            page.select_option("#year", "2024")
            page.wait_for_url("**/map?year=2024**", timeout=20000)
            page.wait_for_selector("body[data-ready='1']", timeout=20000)
            assert page.get_attribute("#map", "data-mode") == "geojson"
            assert not seen["errors"], seen["errors"]
