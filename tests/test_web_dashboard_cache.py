"""The dashboards are served from summaries kept per shown result version
(``landuse.services.results.cached``): a re-evaluation, a publication or an import must change what
they show on the next request (no stale summary), and the summary computed for one user must reach
another user only scoped and redacted for them — on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from landuse.core.policy import default_policy
from landuse.core.settings import Settings
from landuse.services import accounts, results, versions
from landuse.services.evaluate import evaluate
from landuse.web.app import create_app
from parcels.importer import import_package
from tests import pkgkit
from tests.test_web_common import login

P = default_policy()
Y = 2024
PW = {"ev1": "Evaluator-pass-01", "mgr1": "Manager-pass-0001"}


def outside_edit(store, sql: str) -> None:
    """``sql`` run on the store's database as QGIS's attribute table or a SQL console would (not
    through the product)."""
    if store.kind == "gpkg":
        import sqlite3

        with sqlite3.connect(store.path) as con:
            con.execute(sql)
    else:
        from sqlalchemy import create_engine, text

        from parcels.store.postgis import sqlalchemy_url

        eng = create_engine(sqlalchemy_url(store.url))
        with eng.begin() as c:
            c.execute(text(sql))
        eng.dispose()


@pytest.fixture
def site(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    evaluate(store, years=[2020, Y], policy=P, actor="ev1")
    accounts.add_user(store, "ev1", role="evaluator", password=PW["ev1"])
    accounts.add_user(store, "mgr1", role="manager", password=PW["mgr1"], zones="Z1")
    app = create_app(None, settings=Settings(), store=store)
    clients = {}
    for name in PW:
        c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        login(c, name, PW[name])
        clients[name] = c
    return store, clients


def _shown(c, zone: str = "Z1") -> tuple[float, float]:
    """Z1's revenue per mu on the zone dashboard and in the dashboard table (they must agree)."""
    one = c.get(f"/api/zones/{zone}/dashboard?year={Y}")
    table = c.get(f"/api/dashboard?year={Y}")
    assert one.status_code == 200 and table.status_code == 200
    row = next(r for r in table.json()["zones"] if r["zone_code"] == zone)
    return one.json()["result"]["revenue_per_mu"], row["revenue_per_mu"]


def _stored(store) -> float:
    """The same figure through the one read path, no summary involved."""
    zr = results.zone_rows(store, year=Y, zones=["Z1"], columns=["zone_code", "revenue_per_mu"])
    return float(zr["revenue_per_mu"].iloc[0])


def test_dashboards_follow_reevaluation_and_publication(site, tmp_path):
    store, c = site
    ev = c["ev1"]
    v1 = _shown(ev)
    assert v1[0] == v1[1] == pytest.approx(_stored(store))
    developed = ev.get(f"/api/zones/Z1/dashboard?year={Y}").json()["result"]["developed_mu"]
    assert _shown(ev) == v1  # served again (from the summary)

    # a correction re-evaluated: nothing is published, so the new draft v2 is shown at once.
    # E1's 2024 revenue was 20 000 + 1 000 × (2024 − 2020) = 24 000 万元; now 99 999: Z1 gains
    # 75 999 万元 over the same developed area
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), store)
    evaluate(store, years=[Y], policy=P, actor="ev1")
    v2 = _shown(ev)
    assert v2[0] == v2[1] == pytest.approx(_stored(store))
    assert v2[0] - v1[0] == pytest.approx(75999.0 / developed)

    # publishing v1 writes v1's rows back: the dashboards show v1's figure again
    versions.publish(store, year=Y, version="v1", note="公示 v1", actor="ev1", policy=P, today=dt.date(2026, 11, 23))
    assert _shown(ev) == pytest.approx(v1)

    # a re-evaluation while v1 is published is a draft nobody sees: the dashboards do not move
    import_package(pkgkit.revenue_correction(tmp_path / "fix2", 50000.0, year=Y), store)
    evaluate(store, years=[Y], policy=P, actor="ev1")
    assert _shown(ev) == pytest.approx(v1)

    # publishing that draft (v3) replaces v1: the dashboards show v3 (E1: 50 000 − 24 000 = 26 000 万元 more)
    versions.publish(store, year=Y, version="v3", note="更正后重新发布", actor="ev1", policy=P,
                     today=dt.date(2026, 11, 24))
    v3 = _shown(ev)
    assert v3[0] == pytest.approx(_stored(store))
    assert v3[0] - v1[0] == pytest.approx(26000.0 / developed)


def test_a_summary_reaches_other_users_scoped(site):
    store, c = site
    ev, mgr = c["ev1"], c["mgr1"]
    # the evaluator warms every summary (both zones, the table)
    assert ev.get(f"/api/zones/Z2/dashboard?year={Y}").status_code == 200
    assert {r["zone_code"] for r in ev.get(f"/api/dashboard?year={Y}").json()["zones"]} == {"Z1", "Z2"}
    # the manager of Z1 still gets Z2 refused as unknown, and only Z1 in the table
    assert mgr.get(f"/api/zones/Z2/dashboard?year={Y}").status_code == 404
    assert mgr.get(f"/api/zones/Z9/dashboard?year={Y}").status_code == 404
    assert [r["zone_code"] for r in mgr.get(f"/api/dashboard?year={Y}").json()["zones"]] == ["Z1"]
    assert mgr.get(f"/api/zones/Z1/dashboard?year={Y}").json()["zone_code"] == "Z1"
    # a changed account takes effect on the next request, summaries or not, tiles too (the session
    # and the user are read on every request: on PostGIS on a kept autocommit connection)
    tile = "/tiles/15/26846/14101.pbf?year=2024"
    assert mgr.get(tile).status_code in (200, 404)
    accounts.set_active(store, "mgr1", False, actor="test")
    assert mgr.get(f"/api/zones/Z1/dashboard?year={Y}").status_code == 401
    assert mgr.get(tile).status_code == 401
    # a logout ends the session at once
    csrf = ev.get("/api/me").json()["csrf"]
    cookie = ev.cookies.get("landuse_session")
    assert ev.get(tile).status_code in (200, 404)
    assert ev.post("/logout", data={"csrf": csrf}).status_code == 303
    ev.cookies.set("landuse_session", cookie)
    assert ev.get(tile).status_code == 401
    assert ev.get(f"/api/dashboard?year={Y}").status_code == 401


def test_generation_changes_with_every_results_write(store, tmp_path):
    """The results generation the summaries are keyed on moves with each write of a results layer."""
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    g0 = store.results_generation()
    evaluate(store, years=[Y], policy=P, actor="ev1")
    g1 = store.results_generation()
    assert g1 > g0
    k1 = results.summary_key(store, Y)
    versions.publish(store, year=Y, version="v1", note="公示", actor="ev1", policy=P, today=dt.date(2026, 11, 23))
    # v1 is what the layers hold: publishing it rewrites nothing (results_digests), the key still moves
    assert store.results_generation() == g1
    k2 = results.summary_key(store, Y)
    assert k2 != k1
    # an edit outside the product (QGIS, SQL) moves the generation, and the key with it
    outside_edit(store, f"UPDATE pilot_area_results SET revenue_per_mu = revenue_per_mu + 1 WHERE year = {Y}")
    assert store.results_generation() > g1
    assert results.summary_key(store, Y) != k2


def test_a_results_row_edited_outside_the_product_changes_what_the_dashboard_shows(site):
    """An edit of a results table in QGIS or SQL (not through the product) bumps the results generation
    (triggers on every results layer), so the next dashboard shows the edited figure: a pilot area's
    revenue per mu set to 123.4 by hand is what the dashboard then shows."""
    store, clients = site
    ev = clients["ev1"]

    def pilots() -> dict[str, float]:
        r = ev.get(f"/api/dashboard?year={Y}")
        assert r.status_code == 200
        return {p["pilot_area_code"]: p["revenue_per_mu"] for p in r.json()["pilot_areas"]}

    before = pilots()
    code = sorted(before)[0]
    assert before[code] != 123.4
    g = store.results_generation()
    sql = f"UPDATE pilot_area_results SET revenue_per_mu = 123.4 WHERE pilot_area_code = '{code}' AND year = {Y}"
    outside_edit(store, sql)
    assert store.results_generation() > g
    assert pilots()[code] == 123.4 and {k: v for k, v in pilots().items() if k != code} == \
        {k: v for k, v in before.items() if k != code}


@pytest.mark.postgis
def test_postgis_init_creates_the_results_triggers_once(pg_db):
    """Every results table gets its trigger; opening the store again (every command does) leaves them
    alone — re-creating a trigger would lock its table behind a running evaluation."""
    from sqlalchemy import create_engine, text

    from landuse.core.contract import OUTPUT_LAYERS
    from parcels.store import open_store
    from parcels.store.postgis import sqlalchemy_url

    q = text("SELECT c.relname, t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
             "WHERE t.tgname = 'results_dirty' ORDER BY 1")
    open_store(pg_db, init=True).close()
    eng = create_engine(sqlalchemy_url(pg_db))
    with eng.connect() as c:
        first = c.execute(q).fetchall()
    open_store(pg_db, init=True).close()
    with eng.connect() as c:
        again = c.execute(q).fetchall()
    eng.dispose()
    assert {r[0] for r in first} == {layer.name for layer in OUTPUT_LAYERS}
    assert again == first
