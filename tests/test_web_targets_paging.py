"""The web target list: a count, pages and sorting, on the page and in the API, the same parcels in the
same order as the one read path (landuse.services.results.targets)."""

from __future__ import annotations

import math
import re

import pytest

from tests.test_web_common import copy_site, login, make_client, web_site  # noqa: F401


@pytest.fixture(scope="module")
def env(web_site, tmp_path_factory):
    from landuse.core.policy import default_policy
    from landuse.services import results
    from parcels.store import open_store

    db = str(copy_site(web_site, tmp_path_factory.mktemp("paging")))
    store = open_store(db)
    expected = results.targets(store, year=2025, policy=default_policy())
    store.close()
    app, c = make_client(db)
    login(c, "eval1")
    yield c, expected
    app.state.store.close()


def test_api_pages_through_the_whole_list(env):
    c, expected = env
    codes = list(expected["parcel_code"])
    assert len(codes) > 120  # several pages at 50 a page
    got = []
    for offset in range(0, len(codes), 50):
        j = c.get("/api/targets", params={"year": 2025, "limit": 50, "offset": offset}).json()
        assert j["total"] == len(codes) and j["offset"] == offset and j["limit"] == 50
        got += [r["parcel_code"] for r in j["rows"]]
    assert got == codes  # every parcel once, in priority order


def test_api_sorts_with_missing_values_last(env):
    c, expected = env
    j = c.get("/api/targets", params={"year": 2025, "limit": 5000, "sort": "gain_wan", "order": "desc"}).json()
    vals = [r["gain_wan"] for r in j["rows"]]
    present = [v for v in vals if v is not None]
    assert present == sorted(present, reverse=True)
    assert vals[: len(present)] == present  # None (missing) after every value
    assert present[0] == pytest.approx(expected["gain_wan"].max())
    j = c.get("/api/targets", params={"year": 2025, "limit": 5000, "sort": "area_mu", "order": "asc"}).json()
    areas = [r["area_mu"] for r in j["rows"]]
    assert areas == sorted(areas)
    assert c.get("/api/targets", params={"year": 2025, "sort": "holder_uscc; drop"}).status_code == 422


def test_page_shows_count_pages_and_sortable_headers(env):
    c, expected = env
    n = len(expected)
    pages = math.ceil(n / 50)
    r = c.get("/targets", params={"year": 2025, "per_page": 50, "page": 2})
    assert r.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
    assert f"共 {n} 宗" in text and f"第 51–100 宗" in text and f"第 2/{pages} 页" in text
    rows = re.findall(r'<tr><td class="n">(\d+)</td><td><a href="/map\?year=2025#[^/]+/([^"]+)"', r.text)
    assert [code for _, code in rows] == list(expected["parcel_code"].iloc[50:100])
    assert 'rel="next"' in r.text and 'rel="prev"' in r.text
    # a header link sorts; a second click reverses
    assert "sort=gain_wan&amp;order=asc" in r.text or "sort=gain_wan&order=asc" in r.text
    r = c.get("/targets", params={"year": 2025, "per_page": 50, "sort": "area_mu", "order": "desc"})
    areas = [float(a) for a in re.findall(r'<tr><td class="n">\d+</td><td>.*?</td><td>.*?</td><td>.*?</td>\s*'
                                          r'<td class="n">([\d.]+)</td>', r.text, re.S)[:5]]
    top = sorted(expected["area_mu"].dropna(), reverse=True)[:5]
    assert areas == pytest.approx([round(a, 1) for a in top], abs=0.051)
    # the last page holds the rest
    r = c.get("/targets", params={"year": 2025, "per_page": 50, "page": pages})
    assert f"第 {50 * (pages - 1) + 1}–{n} 宗" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
