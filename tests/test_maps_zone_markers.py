"""Province overview: zones too small to see are circle markers with names; standard factories wait for
parcel zoom (headless Chromium)."""

from __future__ import annotations

import json
import re

import pytest
import shapely.affinity

from landuse.core.policy import default_policy
from maps.builder import ZONE_MARKER_PX, build_map
from maps.demo import demo_frames
from tests.test_maps_browser import browser, _open  # noqa: F401  (module-scoped Chromium fixture)

pytestmark = pytest.mark.browser


def _province(n_zones: int = 4, step: float = 1.2):
    """Demo zones (a few km across) spread over ~2°, like the zones of one province."""
    parcels, zones, flags, buildings = demo_frames(80, n_zones, seed=7)
    off = {c: ((i % 2) * step, (i // 2) * step) for i, c in enumerate(zones["zone_code"])}
    pz = dict(zip(parcels["parcel_code"], parcels["zone_code"]))

    def move(gdf, codes):
        gdf = gdf.copy()
        gdf["geometry"] = [shapely.affinity.translate(g, *off[c]) for g, c in zip(gdf.geometry, codes)]
        return gdf.set_crs(zones.crs, allow_override=True)

    return (move(parcels, parcels["zone_code"]), move(zones, zones["zone_code"]), flags,
            move(buildings, [pz[p] for p in buildings["parcel_code"]]))


def _config(html: str) -> dict:
    m = re.search(r'id="lu-config">(.*?)</script>', html, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_builder_gives_marker_points_and_factory_zoom():
    parcels, zones, flags, buildings = _province()
    pol = default_policy()
    c = _config(build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=pol,
                          title="t", detail="overview"))
    lay = {lyr["id"]: lyr for lyr in c["layers"]}
    assert lay["zones"]["markerPx"] == ZONE_MARKER_PX
    assert lay["factories"]["showZoom"] == pol.maps.overview_parcel_min_zoom and lay["factories"]["on"]
    for lon, lat, g in zip(c["zones"]["lon"], c["zones"]["lat"], zones.geometry):
        assert g.buffer(1e-6).contains(shapely.Point(lon, lat))
    z = _config(build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=pol,
                          title="t", detail="zone"))
    assert "showZoom" not in {k for lyr in z["layers"] for k in lyr}  # zone pages: factories at every zoom


def test_overview_shows_zone_markers_and_their_popup(browser, tmp_path):  # noqa: F811
    parcels, zones, flags, buildings = _province()
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="全省开发区宗地亩均效益总览", detail="overview")
    page, errors, requests = _open(browser, html, tmp_path / "province.html")
    try:
        page.wait_for_function("window.__luZoneMarkers && window.__luZoneMarkers.drawnMarkers.length > 0",
                               timeout=5000)
        zoom0 = page.evaluate("window.__luMap.getZoom()")
        view0 = page.evaluate("(() => { const c = window.__luMap.getCenter(); return [c.lat, c.lng]; })()")
        drawn = page.evaluate("window.__luZoneMarkers.drawnMarkers")
        assert sorted(drawn) == list(range(len(zones)))  # every zone is shown at the initial zoom
        # standard factories: switchable, not drawn at province scale, a note in the legend instead
        assert "标准厂房(入驻率)" in page.inner_text(".leaflet-control-layers")
        assert "放大到第 13 级显示" in page.inner_text(".lu-legend")
        assert zoom0 < 13
        # click a marker: the zone popup
        f = 1
        xy = page.evaluate("f => { const m = window.__luMap, p = m.latLngToContainerPoint("
                           "window.__luZoneMarkers.latLngOf(f)); return [p.x, p.y]; }", f)
        box = page.locator(".folium-map").bounding_box()
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5000)
        text = page.inner_text(".leaflet-popup-content")
        assert zones["zone_name"].iloc[f] in text and zones["zone_code"].iloc[f] in text
        assert "综合得分" in text and "排名" in text and "标准厂房入驻率" in text and "放大到开发区" in text
        # the popup link zooms to the zone: polygons instead of a marker
        page.click(".lu-zoomto")
        page.wait_for_function(f"window.__luMap.getZoom() > {zoom0 + 2}", timeout=5000)
        page.wait_for_timeout(500)
        assert f not in page.evaluate("window.__luZoneMarkers.drawnMarkers")
        # back out; a double click on a marker zooms to its zone as well
        page.evaluate("([v, z]) => window.__luMap.setView(v, z, {animate: false})", [view0, zoom0])
        page.wait_for_timeout(300)
        page.keyboard.press("Escape")
        f = 2
        xy = page.evaluate("f => { const m = window.__luMap, p = m.latLngToContainerPoint("
                           "window.__luZoneMarkers.latLngOf(f)); return [p.x, p.y]; }", f)
        page.mouse.dblclick(box["x"] + xy[0], box["y"] + xy[1])  # near the top edge: no popup in the way
        page.wait_for_function(f"window.__luMap.getZoom() > {zoom0 + 2}", timeout=5000)
        centre = page.evaluate("(() => { const c = window.__luMap.getCenter(); return [c.lng, c.lat]; })()")
        assert zones.geometry.iloc[f].buffer(0.01).contains(shapely.Point(*centre))
        # at parcel zoom the factories are drawn and the legend shows their classes
        page.evaluate("window.__luMap.setZoom(14, {animate: false})")
        page.wait_for_timeout(300)
        assert "放大到第" not in page.inner_text(".lu-legend") and "80%" in page.inner_text(".lu-legend")
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:", "blob:"))] == []
    finally:
        page.close()
