"""Vector tiles straight from PostGIS (ST_AsMVT): the tile route × roles × own/other zone."""

from __future__ import annotations

import math

import pytest

from tests.test_web_common import PASSWORDS, ROLES, login, make_client, web_site  # noqa: F401

pytestmark = pytest.mark.postgis


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_mvt_tiles_by_role(web_site, pg_db):
    from landuse.services import accounts as auth
    from parcels.importer import import_package
    from parcels.store import open_store
    from landuse.services.evaluate import evaluate
    from landuse.core.policy import default_policy

    store = open_store(pg_db, init=True)
    import_package(web_site.pkg, store)
    evaluate(store, years=[2025], policy=default_policy())
    for name, role in ROLES.items():
        auth.add_user(store, name, role=role, password=PASSWORDS[name],
                      zones=web_site.zone_a if role == "manager" else None)
    store.close()
    app, anon = make_client(pg_db)
    from fastapi.testclient import TestClient

    clients = {}
    for user in ("admin1", "eval1", "mgr_a", "viewer1"):
        clients[user] = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        login(clients[user], user)
    adm = clients["admin1"]
    pos = {}
    for code in (web_site.parcel_a, web_site.parcel_b):
        hit = [h for h in adm.get("/api/search", params={"q": code, "year": 2025}).json() if h["parcel_code"] == code][0]
        pos[code] = tile_of(hit["lon"], hit["lat"], 15)
    url = {code: f"/tiles/15/{x}/{y}.pbf?year=2025" for code, (x, y) in pos.items()}

    r = anon.get(url[web_site.parcel_a])
    assert r.status_code == 401 and web_site.parcel_a.encode() not in r.content

    for user in ("admin1", "eval1"):
        for code in (web_site.parcel_a, web_site.parcel_b):
            r = clients[user].get(url[code])
            assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
            assert code.encode() in r.content  # MVT keeps string values verbatim
            assert b"revenue_per_mu" in r.content and b"holder_name" in r.content

    mgr = clients["mgr_a"]
    r = mgr.get(url[web_site.parcel_a])
    assert r.status_code == 200 and web_site.parcel_a.encode() in r.content
    r = mgr.get(url[web_site.parcel_b])  # zone B's tile: the manager's tile is empty
    assert r.status_code == 200
    assert web_site.parcel_b.encode() not in r.content and web_site.zone_b.encode() not in r.content
    assert web_site.holder_b.encode("utf-8") not in r.content

    v = clients["viewer1"]
    r = v.get(url[web_site.parcel_b])
    assert r.status_code == 200 and web_site.parcel_b.encode() in r.content and b"holder_name" in r.content
    for key in (b"revenue_per_mu", b"tax_per_mu", b"grade", b"flags", b"max_severity"):
        assert key not in r.content, key

    # out-of-range tile coordinates and injection attempts are refused by validation, not SQL
    assert adm.get("/tiles/15/99999999/1.pbf?year=2025").status_code == 404
    assert adm.get("/tiles/15/1;DROP/1.pbf?year=2025").status_code in (404, 422)
    assert adm.get("/tiles/15/1/1.pbf?year=2025%20OR%201=1").status_code == 422

    # the other PostGIS-specific reads honour the zone filter too
    assert mgr.get(f"/api/parcels/{web_site.parcel_b}?year=2025").status_code == 404
    assert mgr.get("/api/search", params={"q": web_site.parcel_b, "year": 2025}).json() == []
    assert [z["zone_code"] for z in mgr.get("/api/zones").json()] == [web_site.zone_a]
    d = mgr.get(f"/api/zones/{web_site.zone_a}/dashboard?year=2025").json()
    assert d["result"]["zone_code"] == web_site.zone_a and d["parcels"] > 0
    app.state.store.close()
