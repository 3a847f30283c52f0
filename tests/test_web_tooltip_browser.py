"""The web map puts zone names in its tooltips as text: a zone named with HTML shows that text and
adds no element to the page (headless Chromium against uvicorn on 127.0.0.1)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.test_web_browser import Server, _login, browser  # noqa: F401
from tests.test_web_common import copy_site, web_site  # noqa: F401

pytestmark = pytest.mark.browser

EVIL = '<img src="x" class="lu-evil" onerror="window.__pwned=1"><b class="lu-evil">区</b>'


def test_zone_tooltip_is_text(web_site, tmp_path, browser):  # noqa: F811
    db = copy_site(web_site, tmp_path)
    from parcels.store.gpkg import _register_gpkg_functions

    with sqlite3.connect(db) as con:
        _register_gpkg_functions(con)  # the GeoPackage's R-tree triggers call them
        con.execute("UPDATE zones SET zone_name = ?", (EVIL,))
    with Server(str(db)) as base:
        page = browser.new_page()
        _login(page, base, "eval1")
        for _ in range(100):  # the page's CSP forbids eval: poll with plain evaluations
            if page.evaluate("() => { let n = 0; if (window.landuseMap) window.landuseMap.eachLayer(l => {"
                             " if (l.getTooltip && l.getTooltip()) n++; }); return n; }"):
                break
            page.wait_for_timeout(200)
        opened = page.evaluate("""() => { let n = 0; window.landuseMap.eachLayer(l => {
            if (l.getTooltip && l.getTooltip()) { l.openTooltip(l.getBounds ? l.getBounds().getCenter() : undefined); n++; } });
            return n; }""")
        assert opened >= 1
        tips = page.locator(".leaflet-tooltip")
        # the pilot areas' labels are tooltips too: the zones' carry the hostile name, as text
        texts = [tips.nth(i).inner_text() for i in range(tips.count())]
        assert any(EVIL in txt for txt in texts), texts[:5]
        assert page.locator(".lu-evil").count() == 0 and not page.evaluate("window.__pwned === 1")
        page.close()
