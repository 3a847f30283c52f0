"""Vector tiles: the tile route × roles × own/other zone, on PostGIS's live tiles (ST_AsMVT) and on
the tiles stored by ``landuse.services.tiles.build_tiles`` on both backends (a lookup)."""

from __future__ import annotations

import math

import pytest

from tests.test_web_common import PASSWORDS, ROLES, login, make_client, web_site  # noqa: F401



def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _pg_site(web_site, pg_db, *, stored: bool) -> str:
    from landuse.core.policy import default_policy
    from landuse.services import accounts as auth
    from landuse.services.evaluate import evaluate
    from landuse.services.tiles import build_tiles
    from parcels.importer import import_package
    from parcels.store import open_store

    store = open_store(pg_db, init=True)
    import_package(web_site.pkg, store)
    evaluate(store, years=[2025], policy=default_policy())
    for name, role in ROLES.items():
        auth.add_user(store, name, role=role, password=PASSWORDS[name],
                      zones=web_site.zone_a if role == "manager" else None)
    if stored:
        build_tiles(store, 2025)
    store.close()
    return pg_db


@pytest.mark.postgis
def test_mvt_tiles_by_role(web_site, pg_db):
    """PostGIS's live tiles (no stored tiles)."""
    _tiles_by_role(web_site, _pg_site(web_site, pg_db, stored=False), zoom=15)


@pytest.mark.postgis
def test_stored_tiles_by_role_postgis(web_site, pg_db):
    db = _pg_site(web_site, pg_db, stored=True)
    _tiles_by_role(web_site, db, zoom=15, stored=True)


def test_stored_tiles_by_role_geopackage(web_site, tmp_path):
    from landuse.services.tiles import build_tiles
    from parcels.store import open_store
    from tests.test_web_common import copy_site

    db = copy_site(web_site, tmp_path)
    n = build_tiles(open_store(str(db)), 2025)
    assert n["figures"] > 0 and n["public"] == n["figures"]
    _tiles_by_role(web_site, str(db), zoom=15, stored=True)


def _tiles_by_role(web_site, db: str, *, zoom: int, stored: bool = False) -> None:
    from parcels.store import open_store

    app, anon = make_client(db)
    from fastapi.testclient import TestClient

    clients = {}
    for user in ("admin1", "eval1", "mgr_a", "viewer1"):
        clients[user] = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        login(clients[user], user)
    adm = clients["admin1"]
    pos = {}
    for code in (web_site.parcel_a, web_site.parcel_b):
        hit = [h for h in adm.get("/api/search", params={"q": code, "year": 2025}).json() if h["parcel_code"] == code][0]
        pos[code] = tile_of(hit["lon"], hit["lat"], zoom)
    url = {code: f"/tiles/{zoom}/{x}/{y}.pbf?year=2025" for code, (x, y) in pos.items()}
    if stored:  # what is served is what the store holds
        s = open_store(db)
        (xa, ya), (xb, yb) = pos[web_site.parcel_a], pos[web_site.parcel_b]
        assert adm.get(url[web_site.parcel_a]).content == s.get_tile(2025, "figures", zoom, xa, ya)[0]
        assert clients["viewer1"].get(url[web_site.parcel_b]).content == s.get_tile(2025, "public", zoom, xb, yb)[0]
        s.close()

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
    if stored:  # every stored tile of zone B's parcels, at every zoom, carries nothing of zone B for the manager
        s = open_store(db)
        hit = [h for h in adm.get("/api/search", params={"q": web_site.parcel_b, "year": 2025}).json()][0]
        for z in range(11, 16):
            x, y = tile_of(hit["lon"], hit["lat"], z)
            r = mgr.get(f"/tiles/{z}/{x}/{y}.pbf?year=2025")
            assert r.status_code == 200 and web_site.zone_b.encode() not in r.content
            assert web_site.holder_b.encode("utf-8") not in r.content
        s.close()
    assert [z["zone_code"] for z in mgr.get("/api/zones").json()] == [web_site.zone_a]
    d = mgr.get(f"/api/zones/{web_site.zone_a}/dashboard?year=2025").json()
    assert d["result"]["zone_code"] == web_site.zone_a and d["parcels"] > 0
    app.state.store.close()


def test_a_border_tile_keeps_only_the_users_zones(tmp_path):
    """A stored tile holding parcels of two zones, served to a user of one: GDAL reads back only that
    zone's features, and no value of the other zone (code, holder) is left in the bytes."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box

    from landuse.services.tiles import _encode, keep_zones

    # two parcels side by side (≈ 100 m each) in one z15 tile near 115.9 E, 28.7 N
    frame = gpd.GeoDataFrame({"parcel_code": ["P-A-1", "P-B-1", "P-A-2"], "zone_code": ["ZA", "ZB", "ZA"],
                              "holder_name": ["甲公司", "乙公司", None]},
                             geometry=[box(115.9000, 28.7000, 115.9010, 28.7010), box(115.9012, 28.7000, 115.9022, 28.7010),
                                       box(115.9000, 28.7012, 115.9010, 28.7022)], crs=4490)
    tiles = {(z, x, y): d for z, x, y, d in _encode(frame, ["parcel_code", "zone_code", "holder_name"], range(15, 16),
                                                     tmp_path)}
    (z, x, y), data = next((k, v) for k, v in tiles.items() if b"P-A-1" in v)
    assert b"P-B-1" in data and "乙公司".encode() in data  # the stored tile holds both zones
    only_a = keep_zones(data, {"ZA"})
    assert b"ZB" not in only_a and b"P-B-1" not in only_a and "乙公司".encode() not in only_a
    out = tmp_path / "read" / str(z) / str(x)
    out.mkdir(parents=True)
    (out / f"{y}.pbf").write_bytes(only_a)
    back = pyogrio.read_dataframe(out / f"{y}.pbf", layer="parcels")
    assert sorted(back["parcel_code"]) == ["P-A-1", "P-A-2"] and set(back["zone_code"]) == {"ZA"}
    assert sorted(back["holder_name"].fillna("")) == ["", "甲公司"]
    assert keep_zones(data, {"ZB"}).count(b"P-") == 1 and keep_zones(data, {"ZC"}) == b""
