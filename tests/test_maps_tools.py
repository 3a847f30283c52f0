"""The offline map pages' tools in headless Chromium: fixed palettes, problems drawn apart from the
theme, 未开发, pilot areas with their +15 % status, zone search, measuring, the attribute table and its
CSV, the print view (one landscape page with title, legend, scale, north arrow, date, policy version)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from landuse.core.policy import default_policy
from maps.builder import build_map
from maps.demo import demo_frames

pytestmark = pytest.mark.browser

from tests.browser import chromium, open_page  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1280, "height": 800},
                  accept_downloads=True) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def frames():
    parcels, zones, flags, buildings = demo_frames(80, 2, seed=7)
    parcels = parcels.copy()
    parcels.loc[0, "holder_name"] = "=HYPERLINK(\"http://x\")公司"  # a formula trigger for the CSV export
    zones = zones.copy()
    zones["pilot_area_code"] = ["360100", "360100"][: len(zones)]
    pa = gpd.GeoDataFrame({"pilot_area_code": ["360100"], "pilot_area_name": ["南昌市"], "growth": [0.087],
                           "target_growth": [0.15], "goal_met": [False]},
                          geometry=[shapely.union_all(zones.geometry.values)], crs=zones.crs)
    return parcels, zones, flags, buildings, pa


def _page(browser, frames, tmp_path, **kw):
    parcels, zones, flags, buildings, pa = frames
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="示范开发区 2025 年宗地亩均效益图", detail="zone", pilot_areas=pa, year=2025,
                     made="2026-03-01", **kw)
    p = tmp_path / "map.html"
    p.write_text(html, encoding="utf-8")
    page, errors, _ = open_page(browser, p.as_uri(), wait_for="window.__mapDrawn === true")
    return page, errors, html


def _config(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="lu-config">(.*?)</script>', html, re.S)
                      .group(1).replace("<\\/", "</"))


def test_palettes_come_from_the_policy_and_problems_are_hatched(frames, tmp_path):
    parcels, zones, flags, buildings, pa = frames
    mp = default_policy().maps
    cfg = _config(build_map(parcels=parcels, zones=zones, flags=flags, buildings=None, policy=default_policy(),
                            title="t", detail="zone", pilot_areas=pa, year=2025))
    cfg2 = _config(build_map(parcels=parcels.iloc[:10], zones=zones, flags=flags, buildings=None,
                             policy=default_policy(), title="t", detail="overview", year=2025))
    layers = {lyr["id"]: lyr for lyr in cfg["layers"]}
    layers2 = {lyr["id"]: lyr for lyr in cfg2["layers"]}
    # the same revenue classes and colours on the zone page and on an overview page of other parcels
    assert layers["p_rev"]["colors"] == layers2["p_rev"]["colors"]
    assert layers["p_rev"]["legend"] == layers2["p_rev"]["legend"]
    assert layers["p_rev"]["colors"][:6] == mp.revenue_colors
    # problems: one colour (the problem colour), told apart by hatching fixed in the policy
    assert set(layers["flags"]["colors"]) == {mp.problem_color}
    hatch = dict(zip([r for r, _ in cfg["flags"]["rules"]], layers["flags"]["hatch"]))
    assert hatch["idle"] == mp.problem_hatch["idle"] == cfg2["hatches"]["idle"]
    assert layers["idle"]["hatch"] == [mp.problem_hatch["idle"]]
    # 未开发: its own class with a dashed outline
    und = layers["p_rev"]["dashed"][0]
    assert layers["p_rev"]["legend"]["entries"][und][1] == "未开发"
    developed = parcels["developed"].tolist()
    assert all(c == und for c, d in zip(layers["p_rev"]["cls"], developed) if not d)
    # pilot area: outline, its status in the label
    assert layers["pilots"]["labels"] == ["南昌市 +8.7% ✗"] and layers["pilots"]["cls"] == [1]


def test_popups_say_year_and_undeveloped_and_zone_search(browser, frames, tmp_path):
    parcels, *_ = frames
    page, errors, _html = _page(browser, frames, tmp_path)
    try:
        i = int(parcels.index[~parcels["developed"].astype(bool)][0])
        pt = parcels.geometry.iloc[i].representative_point()
        page.evaluate("([lat, lon]) => { window.__luMap.setView([lat, lon], 17, {animate: false}); }", [pt.y, pt.x])
        page.wait_for_timeout(300)
        xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                           [pt.y, pt.x])
        box = page.locator(".folium-map").bounding_box()
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5000)
        text = page.inner_text(".leaflet-popup-content")
        assert "2025 年" in text and "未开发" in text and parcels["parcel_code"].iloc[i] in text
        # zone search by name
        page.evaluate("window.__luMap.closePopup()")
        page.fill(".lu-search input", "示范高新")
        page.wait_for_selector(".lu-search li.lu-hit-zone", timeout=3000)
        page.locator(".lu-search li.lu-hit-zone").first.click()
        page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=3000)
        assert "示范高新技术产业开发区" in page.inner_text(".leaflet-popup-content")
        assert errors == []
    finally:
        page.close()


def test_measuring_an_area_in_mu(browser, frames, tmp_path):
    """A 0.01° × 0.01° square at 28.56°N: 1 113.2 m east–west × cos(28.56°) ≈ 977.7 m, by 1 113.2 m
    north–south on the sphere of the tool (R = 6 378 137 m, 0.01° = 1 113.19 m):
    ≈ 1.0884 km² ≈ 1 632.6 亩 (1 亩 = 666.67 m²). pyproj's ellipsoidal area is within 0.5 %."""
    from pyproj import Geod

    page, errors, _ = _page(browser, frames, tmp_path)
    try:
        lat0, lon0 = 28.56, 115.86
        pts = [(lat0, lon0), (lat0, lon0 + 0.01), (lat0 + 0.01, lon0 + 0.01), (lat0 + 0.01, lon0)]
        page.evaluate("([lat, lon]) => { window.__luMap.setView([lat, lon], 16, {animate: false}); }",
                      [lat0 + 0.005, lon0 + 0.005])
        page.get_by_text("测面积").click()
        box = page.locator(".folium-map").bounding_box()
        for k, (la, lo) in enumerate(pts):
            xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                               [la, lo])
            if k < len(pts) - 1:
                page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
            else:
                page.mouse.dblclick(box["x"] + xy[0], box["y"] + xy[1])
            page.wait_for_timeout(120)
        m = page.evaluate("window.__luMeasure")
        assert m["points"] >= 4, m
        area = m["result"]["area_m2"]
        got = m["latlngs"]  # the points the tool received (clicks land on whole pixels, ≈ 2 m at zoom 16)
        geod_area = abs(Geod(ellps="GRS80").polygon_area_perimeter([p[1] for p in got], [p[0] for p in got])[0])
        assert area == pytest.approx(1.0884e6, rel=0.01)
        assert area == pytest.approx(geod_area, rel=0.005)
        assert "亩" in m["text"] and f"{area / (10000 / 15):.2f} 亩" in m["text"]
        # the click that ended the measurement opened no popup
        assert page.locator(".leaflet-popup-content .lu-popup").count() == 0
        page.get_by_text("测距离").click()
        for la, lo in pts[:2]:
            xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                               [la, lo])
            page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        # 0.01° of longitude at 28.56°N on Leaflet's sphere (R = 6 371 km): 1 111.95 × cos(28.56°) ≈ 976.6 m
        assert page.evaluate("window.__luMeasure.result.distance_m") == pytest.approx(976.6, rel=0.01)
        assert errors == []
    finally:
        page.close()


def test_attribute_table_of_the_parcels_in_view_exports_what_it_shows(browser, frames, tmp_path):
    parcels, *_ = frames
    page, errors, _ = _page(browser, frames, tmp_path)
    try:
        page.get_by_text("属性表").click()
        page.wait_for_selector(".lu-table tbody tr", timeout=3000)
        b = page.evaluate("(() => { const b = window.__luMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
        in_view = parcels[parcels.geometry.intersects(shapely.box(*b))]
        rows = page.evaluate("window.__luTable.rows.map(r => r.code)")
        assert sorted(rows) == sorted(in_view["parcel_code"])  # every parcel in view, none outside
        # sort by area, descending (two clicks on the header)
        page.locator(".lu-table th", has_text="面积").click()
        page.locator(".lu-table th", has_text="面积").click()
        areas = page.evaluate("window.__luTable.rows.map(r => r.area)")
        assert areas == sorted(areas, reverse=True)
        # filter, then export: the CSV holds exactly the rows shown, formula triggers escaped
        page.fill(".lu-table-head input", "HYPERLINK")
        page.wait_for_timeout(400)
        assert page.evaluate("window.__luTable.rows.length") == 1
        with page.expect_download() as dl:
            page.click(".lu-table-export")
        path = tmp_path / "t.csv"
        dl.value.save_as(path)
        text = path.read_text(encoding="utf-8-sig")
        got = list(csv.reader(io.StringIO(text)))
        assert got[0][:3] == ["宗地", "权利人", "开发区"]
        assert len(got) == 2 and got[1][1].startswith("'=HYPERLINK")
        assert errors == []
    finally:
        page.close()


def test_print_view_is_one_landscape_page_without_controls(browser, frames, tmp_path):
    page, errors, _ = _page(browser, frames, tmp_path)
    try:
        page.get_by_text("打印", exact=True).click()
        page.wait_for_selector(".lu-print-frame", timeout=3000)
        frame = page.inner_text(".lu-print-frame")
        assert "示范开发区 2025 年宗地亩均效益图" in frame and "北" in frame
        assert "2026-03-01" in frame and default_policy().version in frame
        assert page.locator(".lu-legend").is_visible() and page.locator(".leaflet-control-scale").is_visible()
        for sel in (".leaflet-control-zoom", ".leaflet-control-layers", ".lu-search", ".lu-tools"):
            assert not page.locator(sel).first.is_visible(), sel
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "map_print_view.png"), full_page=True)
        for paper, size in (("A4", (842, 595)), ("A3", (1191, 842))):
            page.select_option(".lu-print-bar select", paper)
            pdf = tmp_path / f"print_{paper}.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert re.search(r"^Pages:\s+1$", info, re.M), info  # one page
            w, h = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
            assert (round(w), round(h)) == size  # landscape A4 / A3 in points
        page.get_by_text("退出打印").click()
        assert page.locator(".lu-search").is_visible()
        assert errors == []
    finally:
        page.close()
