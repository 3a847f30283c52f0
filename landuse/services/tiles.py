"""Stored vector tiles of a year's results: built once (after an evaluation or a publication),
served by a lookup.

:func:`build_tiles` writes the Mapbox vector tiles (layer ``parcels``, the same attributes as the
live PostGIS tiles) of every parcel with its results of the year, at zooms ``MIN_ZOOM``–``MAX_ZOOM``
(the web map over-zooms the deepest level), in two variants: ``figures`` (roles that see figures)
and ``public`` (viewers: no revenue, tax, grade or flags). GDAL's MVT driver encodes them; the
store keeps each tile with the zones whose parcels may appear in it (a superset, from the parcels'
bounding boxes), in table ``result_tiles`` of either backend.

Serving (:func:`tile`): a user who sees every zone gets the stored tile as it is; a user limited to
some zones gets it as it is when every zone it may hold is theirs, an empty tile when none is, and
otherwise (a tile on the border of zones) the stored tile with the other zones' features removed
(decoded and re-encoded here): a manager's tile never carries another zone's parcel.
"""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.services import results
from parcels.store.base import Store

MIN_ZOOM = 11
MAX_ZOOM = 15
BUFFER = 64  # pixels of 4096 around the tile (as ST_AsMVTGeom's default in the live tiles)
PUBLIC = ["parcel_code", "zone_code", "holder_name", "stage", "area_mu", "developed"]
FIGURES = PUBLIC + ["revenue_per_mu", "tax_per_mu", "flags", "flag_count", "max_severity", "grade"]
VARIANTS = {"figures": FIGURES, "public": PUBLIC}
_R = 6378137.0
_HALF = math.pi * _R


def tile_frame(store: Store, year: int) -> gpd.GeoDataFrame:
    """Every parcel with its results of ``year`` and its holder's grade (the tiles' attributes)."""
    geo = store.read("parcels", columns=["parcel_code", "zone_code"])
    pr = store.read("parcel_results", year=year, columns=[c for c in FIGURES if c not in ("zone_code", "grade")]
                    + ["holder_uscc"], geometry=False)
    er = store.read("enterprise_results", year=year, columns=["uscc", "grade"], geometry=False)
    df = pd.DataFrame(geo).merge(pr, on="parcel_code", how="left")
    df = df.merge(er.drop_duplicates("uscc").rename(columns={"uscc": "holder_uscc"}), on="holder_uscc", how="left")
    df = df.drop(columns=["holder_uscc"])
    for c in ("flag_count", "max_severity"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["developed"] = df["developed"].astype("boolean")
    return gpd.GeoDataFrame(df[FIGURES + ["geometry"]], geometry="geometry", crs=4490)


def _tile_ranges(frame: gpd.GeoDataFrame, z: int) -> tuple[np.ndarray, ...]:
    """Per parcel, the x and y tile ranges at zoom ``z`` its bounding box (plus the buffer) touches."""
    b = frame.to_crs(3857).geometry.bounds.to_numpy() if len(frame) else np.zeros((0, 4))
    n = 2 ** z
    size = 2 * _HALF / n
    pad = size * BUFFER / 4096
    x0 = np.floor((b[:, 0] - pad + _HALF) / size).clip(0, n - 1).astype(int)
    x1 = np.floor((b[:, 2] + pad + _HALF) / size).clip(0, n - 1).astype(int)
    y0 = np.floor((_HALF - (b[:, 3] + pad)) / size).clip(0, n - 1).astype(int)
    y1 = np.floor((_HALF - (b[:, 1] - pad)) / size).clip(0, n - 1).astype(int)
    return x0, x1, y0, y1


def tile_zones(frame: gpd.GeoDataFrame, zooms: range) -> dict[tuple[int, int, int], set[str]]:
    """(z, x, y) → the zones whose parcels may appear in that tile (bounding boxes: a superset)."""
    out: dict[tuple[int, int, int], set[str]] = {}
    zc = frame["zone_code"].astype(object).to_numpy()
    for z in zooms:
        x0, x1, y0, y1 = _tile_ranges(frame, z)
        for i in range(len(frame)):
            for x in range(x0[i], x1[i] + 1):
                for y in range(y0[i], y1[i] + 1):
                    out.setdefault((z, x, y), set()).add(zc[i])
    return out


def _encode(frame: gpd.GeoDataFrame, columns: list[str], zooms: range, work: Path) -> Iterator[tuple[int, int, int, bytes]]:
    """GDAL's MVT driver writes the tiles of ``frame`` into ``work``; yield (z, x, y, bytes)."""
    import pyogrio

    out = work / "tiles"
    pyogrio.write_dataframe(
        frame[columns + ["geometry"]], out, driver="MVT", layer="parcels",
        dataset_options={"MINZOOM": zooms.start, "MAXZOOM": zooms.stop - 1, "COMPRESS": "NO", "FORMAT": "DIRECTORY",
                         "TILE_EXTENSION": "pbf", "BUFFER": BUFFER, "EXTENT": 4096,
                         # never drop or simplify features to keep tiles small: every parcel is drawn
                         "MAX_SIZE": 100_000_000, "MAX_FEATURES": 100_000_000})
    for p in sorted(out.glob("*/*/*.pbf")):
        z, x, y = int(p.parent.parent.name), int(p.parent.name), int(p.stem)
        yield z, x, y, p.read_bytes()


def build_tiles(store: Store, year: int, *, zooms: range | None = None) -> dict[str, int]:
    """Build and store (replacing) the vector tiles of ``year``'s results; returns tiles per variant."""
    results.require_results(store, year)
    zooms = zooms or range(MIN_ZOOM, MAX_ZOOM + 1)
    frame = tile_frame(store, year)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    zones_of = tile_zones(frame, zooms)
    counts: dict[str, int] = {}
    rows: list[tuple] = []
    work = Path(tempfile.mkdtemp(prefix="landuse-tiles-"))
    try:
        for variant, columns in VARIANTS.items():
            shutil.rmtree(work / "tiles", ignore_errors=True)
            n = 0
            for z, x, y, data in _encode(frame, columns, zooms, work):
                zs = sorted(zones_of.get((z, x, y), ()))
                rows.append((variant, z, x, y, ",".join(zs), data))
                n += 1
            counts[variant] = n
    finally:
        shutil.rmtree(work, ignore_errors=True)
    store.put_tiles(int(year), rows)
    return counts


def has_tiles(store: Store, year: int) -> bool:
    return store.has_tile_year(int(year))


def tile(store: Store, *, year: int, z: int, x: int, y: int, zones: list[str] | None, figures: bool) -> bytes | None:
    """The stored tile for a user who sees ``zones`` (None: all) and figures or not; None when the
    year has no stored tiles (the caller may fall back to live tiles)."""
    variant = "figures" if figures else "public"
    dz = max(0, z - MAX_ZOOM)  # deeper than the stored zooms: the stored parent tile, magnified
    hit = store.get_tile(int(year), variant, z - dz, x >> dz, y >> dz)
    if hit is None:
        return b"" if MIN_ZOOM <= z and has_tiles(store, year) else None
    data, in_tile = hit
    if zones is not None:
        mine = frozenset(zones)
        present = set(filter(None, in_tile.split(",")))
        if not present & mine:
            return b""
        if not present <= mine:
            data = _kept(data, mine)
    return _overzoomed(data, dz, x - ((x >> dz) << dz), y - ((y >> dz) << dz)) if dz else data


# the two rewrites of a stored tile in pure Python (~1–4 ms each), kept by their arguments (128 of
# each per worker: stored tiles average ~11 KB, the largest ~330 KB): the
# stored tile's bytes themselves are part of the key, so a rebuilt tile is never answered from here
@functools.lru_cache(maxsize=128)
def _kept(data: bytes, zones: frozenset[str]) -> bytes:
    return keep_zones(data, set(zones))


@functools.lru_cache(maxsize=128)
def _overzoomed(data: bytes, dz: int, ox: int, oy: int) -> bytes:
    return overzoom(data, dz, ox, oy)


# ------------------------------------------------------------------------------------------------
# the few protobuf pieces of a vector tile needed to drop features (Mapbox Vector Tile spec 2.1)
# ------------------------------------------------------------------------------------------------

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value: int for varints, bytes for length-delimited) of a message."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
            yield num, wt, v
        elif wt == 2:
            ln, i = _varint(buf, i)
            yield num, wt, buf[i:i + ln]
            i += ln
        elif wt == 5:
            yield num, wt, buf[i:i + 4]
            i += 4
        elif wt == 1:
            yield num, wt, buf[i:i + 8]
            i += 8
        else:
            raise ValueError(f"unsupported wire type {wt}")


def _put_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num: int, wt: int, v) -> bytes:
    if wt == 0:
        return _put_varint(num << 3) + _put_varint(v)
    if wt == 2:
        return _put_varint(num << 3 | 2) + _put_varint(len(v)) + v
    return _put_varint(num << 3 | wt) + v


def _string_value(value_msg: bytes) -> str | None:
    for num, _wt, v in _fields(value_msg):
        if num == 1:
            return v.decode("utf-8")
    return None


def _each_layer(data: bytes, rewrite: Callable[[list], bytes | None]) -> bytes:
    """The tile with every layer message (field 3) replaced by ``rewrite(its fields)`` (None drops
    the layer); the tile's other fields as they are."""
    out = bytearray()
    for num, wt, layer in _fields(data):
        if num != 3:
            out += _field(num, wt, layer)
            continue
        assert isinstance(layer, bytes)
        body = rewrite(list(_fields(layer)))
        if body is not None:
            out += _field(3, 2, body)
    return bytes(out)


def keep_zones(data: bytes, zones: set[str]) -> bytes:
    """The tile with only the features whose ``zone_code`` is in ``zones`` (keys and values tables
    kept as they are: no other zone's value is referenced, and unreferenced ones are dropped)."""

    def one(parts: list) -> bytes | None:
        keys = [v.decode("utf-8") for n, _w, v in parts if n == 3]
        values = [v for n, _w, v in parts if n == 4]
        kz = keys.index("zone_code") if "zone_code" in keys else -1
        kept, used = [], set()
        for n, _w, feat in parts:
            if n != 2:
                continue
            tags: list[int] = []
            for fn, _fw, fv in _fields(feat):
                if fn == 2:
                    tags = _packed(fv)
            zone = next((_string_value(values[tags[k + 1]]) for k in range(0, len(tags) - 1, 2) if tags[k] == kz), None)
            if zone in zones:
                kept.append((feat, tags))
                used.update(tags[1::2])
        # renumber values so that values of dropped features (another zone's names) are not carried
        new_index = {old: new for new, old in enumerate(sorted(used))}
        body = bytearray()
        for n, w, v in parts:
            if n in (2, 4):
                continue
            body += _field(n, w, v)
        for feat, tags in kept:
            fb = bytearray()
            for fn, fw, fv in _fields(feat):
                if fn == 2:
                    packed = b"".join(_put_varint(t if k % 2 == 0 else new_index[t]) for k, t in enumerate(tags))
                    fb += _field(2, 2, packed)
                else:
                    fb += _field(fn, fw, fv)
            body += _field(2, 2, bytes(fb))
        for old in sorted(used):
            body += _field(4, 2, values[old])
        return bytes(body) if kept else None

    return _each_layer(data, one)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def _magnify(geom: list[int], k: int, dx: int, dy: int, extent: int, buffer: int) -> list[int] | None:
    """A feature's geometry commands with every point mapped to ``k·p − (dx, dy)``; None when the
    result lies wholly outside the tile (with ``buffer``)."""
    out: list[int] = []
    x = y = px = py = 0
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    i = 0
    while i < len(geom):
        cmd = geom[i]
        i += 1
        cid, count = cmd & 7, cmd >> 3
        out.append(cmd)
        if cid == 7:  # ClosePath
            continue
        for _ in range(count):
            x += _unzigzag(geom[i])
            y += _unzigzag(geom[i + 1])
            i += 2
            nx, ny = x * k - dx, y * k - dy
            out += [_zigzag(nx - px), _zigzag(ny - py)]
            px, py = nx, ny
            x0, y0, x1, y1 = min(x0, nx), min(y0, ny), max(x1, nx), max(y1, ny)
    if x1 < -buffer or y1 < -buffer or x0 > extent + buffer or y0 > extent + buffer:
        return None
    return out


def overzoom(data: bytes, dz: int, ox: int, oy: int) -> bytes:
    """The tile ``dz`` zooms below a stored tile, at offset (ox, oy) inside it (0 ≤ ox, oy < 2^dz):
    the stored tile's features magnified 2^dz times and shifted, those wholly outside dropped (the
    map draws the parcels at every zoom, the stored tiles stop at ``MAX_ZOOM``)."""
    k = 1 << dz

    def one(parts: list) -> bytes:
        extent = next((v for n, _w, v in parts if n == 5), 4096)
        assert isinstance(extent, int)
        body = bytearray()
        for n, w, v in parts:
            if n != 2:
                body += _field(n, w, v)
                continue
            assert isinstance(v, bytes)
            feat = bytearray()
            keep = True
            for fn, fw, fv in _fields(v):
                if fn == 4:
                    assert isinstance(fv, bytes)
                    g = _magnify(_packed(fv), k, ox * extent, oy * extent, extent, extent // 16)
                    if g is None:
                        keep = False
                        break
                    feat += _field(4, 2, b"".join(_put_varint(c) for c in g))
                else:
                    feat += _field(fn, fw, fv)
            if keep:
                body += _field(2, 2, bytes(feat))
        return bytes(body)

    return _each_layer(data, one)
