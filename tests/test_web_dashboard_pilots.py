"""The dashboard shows the pilot areas (the +15 % is their target) and the province total, on the page
and in the API; a zone manager sees the pilot area of the zone only, no province row."""

from __future__ import annotations

import re

import pytest

from tests.test_web_common import copy_site, login, make_client, web_site  # noqa: F401


@pytest.fixture(scope="module")
def env(web_site, tmp_path_factory):
    from parcels.store import open_store

    db = str(copy_site(web_site, tmp_path_factory.mktemp("dash")))
    store = open_store(db)
    pa = store.read("pilot_area_results", year=2025)
    zones = store.read("zones", geometry=False)
    store.close()
    app, c = make_client(db)
    yield c, pa, zones
    app.state.store.close()


def test_evaluator_sees_every_pilot_area_and_the_province_total_last(env):
    c, pa, _ = env
    login(c, "eval1")
    j = c.get("/api/dashboard", params={"year": 2025}).json()
    rows = j["pilot_areas"]
    assert [r["pilot_area_code"] for r in rows][-1] == "PROVINCE" and rows[-1]["pilot_area_name"] == "全省"
    assert {r["pilot_area_code"] for r in rows} == set(pa["pilot_area_code"])
    prov = pa.set_index("pilot_area_code").loc["PROVINCE"]
    assert rows[-1]["growth"] == pytest.approx(float(prov["growth"]))
    assert rows[-1]["goal_met"] == bool(prov["goal_met"])
    # growth = revenue per mu / baseline − 1, as stored
    for r in rows:
        if r["growth"] is not None and r["baseline_revenue_per_mu"]:
            assert r["growth"] == pytest.approx(r["revenue_per_mu"] / r["baseline_revenue_per_mu"] - 1, rel=1e-6)
    page = c.get("/dashboard", params={"year": 2025}).text
    assert 'id="pilot-table"' in page and '<tr class="total"><td>全省' in page
    first = rows[0]
    text = re.sub(r"\s+", " ", page)
    assert first["pilot_area_code"] in text and f"{first['growth'] * 100:+.1f}%" in text


def test_manager_sees_the_pilot_area_of_the_zone_only(env, web_site):
    c, pa, zones = env
    c.cookies.clear()
    login(c, "mgr_a")
    j = c.get("/api/dashboard", params={"year": 2025}).json()
    own = zones.loc[zones["zone_code"] == web_site.zone_a, "pilot_area_code"].iloc[0]
    assert [r["pilot_area_code"] for r in j["pilot_areas"]] == [own]
    page = c.get("/dashboard", params={"year": 2025}).text
    assert 'id="pilot-table"' in page and "全省" not in page
