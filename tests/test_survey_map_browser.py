"""The survey on the maps, in headless Chromium: the offline map's land-class layer with its 主区 /
发展方向区 outlines (screenshot docs/screenshots/survey_map.png), and the web map's toggleable survey
layer (docs/screenshots/web_map_survey.png)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from landuse.core.policy import default_policy
from tests.browser import chromium, open_page

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory):
    """The small sample with its generated survey, imported and evaluated for 2025 (GeoPackage)."""
    from landuse.services.evaluate import evaluate
    from landuse.services.imports import run_import
    from parcels.sample import write_sample
    from parcels.sample_survey import write_survey
    from parcels.store import open_store

    root = tmp_path_factory.mktemp("svmap")
    write_sample(root / "pkg", scale="small", seed=1)
    zones = gpd.read_file(root / "pkg" / "zones.geojson")
    parcels = pyogrio.read_dataframe(root / "pkg" / "parcels.shp", encoding="GB18030").set_crs(4527)
    write_survey(root / "pkg", zones, parcels, seed=1)
    store = open_store(str(root / "site.gpkg"), init=True)
    run_import(root / "pkg", store, policy=default_policy())
    evaluate(store, years=[2025], policy=default_policy())
    return root, store


def test_offline_zone_map_shows_the_survey_in_class_colours_and_the_ranges(surveyed, tmp_path):
    from landuse.services.maps import map_html

    _root, store = surveyed
    zone = sorted(store.read("zones")["zone_code"])[2]
    html = map_html(store, year=2025, policy=default_policy(), zone=zone)
    path = tmp_path / "zone.html"
    path.write_text(html, encoding="utf-8")
    with chromium(tmp_path / "profile", viewport={"width": 1280, "height": 800}) as ctx:
        page, errors, requests = open_page(ctx, path.as_uri(), wait_for="window.__mapDrawn === true")
        layers = page.locator(".leaflet-control-layers")
        assert "土地利用现状调查(地类)" in layers.inner_text() and "评价范围(主区/发展方向区)" in layers.inner_text()
        layers.get_by_text("土地利用现状调查(地类)").click()
        layers.get_by_text("问题宗地(主要原因)").click()
        page.wait_for_timeout(300)
        legend = page.inner_text(".lu-legend")
        assert "A2 工矿仓储用地" in legend and "B21 已达到供地条件的其他土地" in legend
        assert "主区" in legend and "发展方向区" in legend
        # a click on a 图斑 opens its popup: class, area in ha, supply type, range
        pt = store.read("land_survey", zones=[zone]).query("land_class == 'A2'").geometry.iloc[0].representative_point()
        xy = page.evaluate("([lat, lon]) => { const p = window.__luMap.latLngToContainerPoint([lat, lon]);"
                           " return [p.x, p.y]; }", [pt.y, pt.x])
        box = page.locator(".folium-map").bounding_box()
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5000)
        text = page.inner_text(".leaflet-popup-content")
        assert "图斑" in text and "A2 工矿仓储用地" in text and "面积(公顷)" in text and "评价范围" in text
        page.locator(".leaflet-popup-close-button").click()
        page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)  # no hover tooltip in the screenshot
        page.wait_for_timeout(300)
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:", "blob:"))] == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "survey_map.png"))


def test_web_map_toggles_the_survey_layer(surveyed, tmp_path):
    from landuse.services import accounts as auth
    from tests.test_web_browser import Server

    root, store = surveyed
    auth.add_user(store, "eval_sv", role="evaluator", password="Evaluator-pass-01")
    zone = sorted(store.read("zones")["zone_code"])[2]
    with Server(str(root / "site.gpkg")) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 820},
                                                          locale="zh-CN") as ctx:
        page = ctx.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/map?year=2025")
        page.fill("#username", "eval_sv")
        page.fill("#password", "Evaluator-pass-01")
        page.click("#login-btn")
        page.wait_for_url(base + "/map*")
        page.wait_for_selector("body[data-ready='1']", timeout=20_000)
        page.select_option("#zone", zone)
        page.wait_for_timeout(800)
        page.check("#survey")
        page.wait_for_selector("body[data-survey-ready='1']", timeout=20_000)
        status = page.inner_text("#status")
        assert "个图斑（2025 年调查）" in status
        legend = page.inner_text(".lu-legend")
        assert "土地利用现状调查" in legend and "A2 工矿仓储用地" in legend and "发展方向区（边界）" in legend
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "web_map_survey.png"))
        # the dashboard shows the zone's TD/T 1029 figures
        page.goto(base + f"/dashboard?year=2025&zone={zone}")
        text = page.inner_text("#zone-survey")
        assert "土地集约利用评价（TD/T 1029）" in text and "依据：集约利用调查(2025年)" in text
        assert "主区" in text and "全区" in text and "工业主导型" in text
        assert errors == []
