"""Below the stored zooms (z16–18) a tile is its stored z15 parent magnified (landuse.services.tiles
.overzoom): read back with GDAL's MVT driver, the child holds exactly the parent's parcels that reach
into it, at the same place on the ground; a manager's child tile holds only their zone."""

from __future__ import annotations

import math

import pyogrio
import pyproj
import shapely

from landuse.services import tiles
from parcels.store import open_store
from tests.test_web_common import copy_site, web_site  # noqa: F401


def _read(tmp_path, name: str, z: int, x: int, y: int, data: bytes):
    """The tile as GeoDataFrame in EPSG:3857 (GDAL georeferences a tile from its z/x/y path)."""
    path = tmp_path / name / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return pyogrio.read_dataframe(f"MVT:{path}", layer="parcels").to_crs(3857)


def _tile_box(z: int, x: int, y: int):
    size = 2 * math.pi * 6378137 / 2 ** z
    x0 = -math.pi * 6378137 + x * size
    y1 = math.pi * 6378137 - y * size
    return shapely.box(x0, y1 - size, x0 + size, y1)


def test_a_deeper_tile_is_its_stored_parent_magnified(web_site, tmp_path):  # noqa: F811
    db = copy_site(web_site, tmp_path)
    store = open_store(str(db))
    tiles.build_tiles(store, 2025, zooms=range(tiles.MAX_ZOOM, tiles.MAX_ZOOM + 1))
    pr = store.read("parcel_results", year=2025)
    pt = pr.geometry.iloc[0].representative_point()  # lon/lat (EPSG:4490)
    c = shapely.Point(*pyproj.Transformer.from_crs(4490, 3857, always_xy=True).transform(pt.x, pt.y))
    z = tiles.MAX_ZOOM + 2
    n = 2 ** z
    x = int((pt.x + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(pt.y))) / math.pi) / 2 * n)
    assert _tile_box(z, x, y).contains(c)
    px, py = x >> 2, y >> 2
    parent = tiles.tile(store, year=2025, z=tiles.MAX_ZOOM, x=px, y=py, zones=None, figures=True)
    child = tiles.tile(store, year=2025, z=z, x=x, y=y, zones=None, figures=True)
    assert parent and child
    P = _read(tmp_path, "p", tiles.MAX_ZOOM, px, py, parent)
    C = _read(tmp_path, "c", z, x, y, child)
    box = _tile_box(z, x, y)
    # the child: the parent's parcels that reach into its square (with the tile's buffer), no other
    reach = box.buffer(box.length / 4 / 16)
    expected = set(P.loc[P.geometry.intersects(box), "parcel_code"])
    got = set(C["parcel_code"])
    assert len(C) <= len(P)
    assert expected <= got <= set(P.loc[P.geometry.intersects(reach), "parcel_code"])
    assert pr["parcel_code"].iloc[0] in got
    # at the same place: each child parcel's part inside the square is the parent's, within the
    # parent's grid step (a z15 tile is 4096 units across: ~0.3 m)
    step = box.length / 4 / 4096 * 4
    Pi = P.set_index("parcel_code").geometry
    for code, g in zip(C["parcel_code"], C.geometry, strict=True):
        a, b = g.intersection(box), Pi[code].intersection(box)
        if a.area > step ** 2 and b.area > 0:
            assert a.symmetric_difference(b).area <= a.length * step * 2, code
    # attributes carried as they are
    assert (C.set_index("parcel_code")["zone_code"] == P.set_index("parcel_code")["zone_code"].reindex(
        C["parcel_code"])).all()


def test_a_managers_deeper_tile_keeps_only_their_zone(web_site, tmp_path):  # noqa: F811
    db = copy_site(web_site, tmp_path)
    store = open_store(str(db))
    tiles.build_tiles(store, 2025, zooms=range(tiles.MAX_ZOOM, tiles.MAX_ZOOM + 1))
    import sqlite3

    with sqlite3.connect(db) as con:  # every stored z15 tile of the figures variant
        stored = con.execute("SELECT x, y, zones FROM result_tiles WHERE year = 2025 AND variant = 'figures' "
                             "AND z = ?", (tiles.MAX_ZOOM,)).fetchall()
    assert any(web_site.zone_a not in zs.split(",") for _x, _y, zs in stored)  # tiles of other zones only
    seen_a = 0
    for px, py, zones in stored:
        for dx in range(2):
            for dy in range(2):
                body = tiles.tile(store, year=2025, z=tiles.MAX_ZOOM + 1, x=2 * px + dx, y=2 * py + dy,
                                  zones=[web_site.zone_a], figures=True)
                if web_site.zone_a not in zones.split(","):
                    assert body == b""
                elif body:
                    C = _read(tmp_path, f"m{px}_{py}_{dx}{dy}", tiles.MAX_ZOOM + 1, 2 * px + dx, 2 * py + dy, body)
                    assert not len(C) or set(C["zone_code"]) <= {web_site.zone_a}
                    seen_a += len(C)
    assert seen_a > 0
