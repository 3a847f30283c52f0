"""The map pages in headless Chromium: no console errors, Chinese legend, popups, search, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from landuse.core.policy import default_policy
from maps.builder import build_map
from maps.demo import demo_frames

pytestmark = pytest.mark.browser

from tests.browser import chromium, open_page
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1280, "height": 800}) as ctx:
        yield ctx


def _open(browser, html: str, path: Path):
    path.write_text(html, encoding="utf-8")
    return open_page(browser, path.as_uri(), wait_for="window.__mapDrawn === true")


def _click_parcel(page, parcels, i):
    pt = parcels.geometry.iloc[i].representative_point()
    xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]);"
                       " return [p.x, p.y]; }", [pt.y, pt.x])
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5000)
    page.wait_for_timeout(400)  # popup fade-in, so screenshots show it opaque
    return page.inner_text(".leaflet-popup-content")


def test_zone_map_loads_offline_with_chinese_legend_and_popups(browser, tmp_path):
    parcels, zones, flags, buildings = demo_frames(60, 3, seed=3)
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="示范开发区 宗地亩均效益图", detail="zone")
    page, errors, requests = _open(browser, html, tmp_path / "zone.html")
    try:
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:", "blob:"))] == []
        legend = page.inner_text(".lu-legend")
        assert "亩均营业收入(万元/亩)" in legend and "开发区综合得分" in legend and "未评分" in legend
        assert "问题宗地(主要原因)" in page.inner_text(".leaflet-control-layers")
        # a parcel that carries a flag: the popup gives code, per-mu revenue and the reason
        code = flags["parcel_code"].iloc[0]
        i = int(parcels.index[parcels["parcel_code"] == code][0])
        text = _click_parcel(page, parcels, i)
        assert code in text and "亩均营业收入" in text and "权利人" in text
        assert flags.loc[flags["parcel_code"] == code, "label"].iloc[0] in text
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "zone.png"))
        # switch to the life-cycle layer: its Chinese legend replaces the revenue one
        page.get_by_text("宗地:生命周期阶段").click()
        assert "生命周期阶段" in page.inner_text(".lu-legend")
        # search by enterprise name
        page.fill(".lu-search input", parcels["holder_name"].iloc[5][:4])
        page.wait_for_selector(".lu-search li", timeout=3000)
        page.locator(".lu-search li").first.click()
        page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=3000)
        assert "宗地" in page.inner_text(".leaflet-popup-content")
        assert errors == []
    finally:
        page.close()


def test_overview_map_draws_dots_then_polygons(browser, tmp_path):
    parcels, zones, flags, buildings = demo_frames(3000, 12, seed=5)
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=None, policy=default_policy(),
                     title="全省开发区宗地亩均效益总览", detail="overview")
    page, errors, requests = _open(browser, html, tmp_path / "overview.html")
    try:
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:", "blob:"))] == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "overview.png"))
        assert "开发区综合得分" in page.inner_text(".lu-legend")
        assert page.locator(".leaflet-control-scale-line").count() == 1
        assert page.locator(".leaflet-control-zoom-fullscreen, .fullscreen-icon").count() >= 1
        # zoom to parcel level: polygons, and the click still finds the parcel
        pt = parcels.geometry.iloc[10].representative_point()
        page.evaluate(f"window.__luMap.setView([{pt.y}, {pt.x}], 16, {{animate: false}})")
        page.wait_for_timeout(300)
        text = _click_parcel(page, parcels, 10)
        assert parcels["parcel_code"].iloc[10] in text and "亩均营业收入" in text
        page.screenshot(path=str(SHOTS / "overview_zoomed.png"))
        assert errors == []
    finally:
        page.close()


def test_english_labels(browser, tmp_path):
    parcels, zones, flags, buildings = demo_frames(20, 1, seed=1)
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="Demo zone", lang="en", detail="zone")
    page, errors, _ = _open(browser, html, tmp_path / "en.html")
    try:
        assert errors == []
        assert "Revenue per mu" in page.inner_text(".lu-legend")
        text = _click_parcel(page, parcels, 0)
        assert "Revenue per mu" in text and parcels["parcel_code"].iloc[0] in text
    finally:
        page.close()


def test_tooltip_shows_names_as_text_not_html(browser, tmp_path):
    """Names come from uploaded data: the hover tooltip puts them in text nodes, never parses them."""
    parcels, zones, flags, buildings = demo_frames(20, 1, seed=1)
    evil = '<img src="x" class="lu-evil" onerror="window.__pwned=1"><b class="lu-evil">粗</b>'
    parcels = parcels.copy()
    parcels["holder_name"] = evil
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="示范", detail="zone")
    page, errors, _ = _open(browser, html, tmp_path / "tip.html")
    try:
        pt = parcels.geometry.iloc[0].representative_point()
        xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]);"
                           " return [p.x, p.y]; }", [pt.y, pt.x])
        box = page.locator(".folium-map").bounding_box()
        page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_selector(".lu-tip", timeout=5000)
        tip = page.locator(".lu-tip")
        assert evil in tip.inner_text()  # shown literally
        assert page.locator(".lu-evil").count() == 0 and not page.evaluate("window.__pwned === 1")
    finally:
        page.close()
