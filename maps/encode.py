"""Compact geometry encoding for the canvas map layer.

Polygons are simplified in a metric CRS (CGCS2000 3° Gauss–Krüger), their coordinates quantised to
integers on a grid of ``quantum`` degrees relative to an origin, delta-encoded over the whole stream
and written with the polyline character code (5 bits per character, characters 63–126: no quotes,
backslashes are avoided by embedding the text in a ``<script type="text/plain">`` element, and ``<``
never occurs). Rings lose their closing vertex. Multipolygons and holes are flattened to a list of
rings per feature; the page fills them with the even-odd rule.

Layout of an encoded layer (all three strings are polyline-coded integer streams)::

    nr: rings per feature     nv: vertices per ring     xy: Δx, Δy per vertex (zig-zag)
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS

GEOGRAPHIC_CRS = 4490  # CGCS2000; treated as WGS84 on the web map (difference ≪ 1 m)


def gk_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger CRS (no zone prefix) for a longitude.

    EPSG:4534 is central meridian 75°E, each next code +3°: 114°E → 4547, 117°E → 4548.
    """
    cm = int(round(float(lon) / 3.0)) * 3
    cm = min(max(cm, 75), 135)
    return 4534 + (cm - 75) // 3


def simplify_metric(geoms: np.ndarray, tolerance_m: float, crs_from=GEOGRAPHIC_CRS) -> np.ndarray:
    """Douglas–Peucker with topology preserved, ``tolerance_m`` metres, in the GK zone of the data."""
    geoms = np.asarray(geoms, dtype=object)
    if tolerance_m <= 0 or len(geoms) == 0:
        return geoms
    from pyproj import Transformer

    valid = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not valid.any():
        return geoms
    b = shapely.total_bounds(geoms[valid])
    epsg = gk_epsg((b[0] + b[2]) / 2)
    fwd = Transformer.from_crs(CRS.from_user_input(crs_from), epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, CRS.from_user_input(crs_from), always_xy=True)
    g = geoms[valid]
    g = shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    g = shapely.simplify(g, tolerance_m, preserve_topology=True)
    g = shapely.transform(g, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
    out = geoms.copy()
    out[valid] = g
    return out


def polyline_encode(values: np.ndarray) -> str:
    """Polyline character code of signed integers (vectorised): zig-zag, 5-bit groups, +63."""
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return ""
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    nchunks = np.ones(z.shape, dtype=np.int64)
    rest = z >> np.uint64(5)
    while rest.any():
        nchunks += rest > 0
        rest >>= np.uint64(5)
    width = int(nchunks.max())
    j = np.arange(width, dtype=np.uint64)
    chunks = (z[:, None] >> (np.uint64(5) * j[None, :])) & np.uint64(31)
    more = j[None, :].astype(np.int64) < (nchunks[:, None] - 1)
    chars = (chunks | (more.astype(np.uint64) << np.uint64(5))) + np.uint64(63)
    keep = j[None, :].astype(np.int64) < nchunks[:, None]
    return chars[keep].astype(np.uint8).tobytes().decode("ascii")


def polyline_decode(text: str) -> list[int]:
    """Inverse of :func:`polyline_encode` (used by tests; the page has its own decoder)."""
    out, acc, shift = [], 0, 0
    for ch in text.encode("ascii"):
        b = ch - 63
        acc |= (b & 31) << shift
        if b & 32:
            shift += 5
            continue
        out.append((acc >> 1) ^ -(acc & 1))
        acc, shift = 0, 0
    return out


def encode_geometries(geoms: np.ndarray, *, quantum: float, origin: tuple[float, float]) -> dict:
    """Encode (multi)polygons or points (lon/lat) into the three polyline streams.

    A point becomes one ring of one vertex (drawn as a dot by the page). Missing or empty geometries
    get zero rings.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    missing = shapely.is_missing(geoms)
    g = np.where(missing, shapely.Polygon(), geoms)
    g = np.where(shapely.is_empty(g), shapely.Polygon(), g)
    parts, part_owner = shapely.get_parts(g, return_index=True)
    is_point = shapely.get_type_id(parts) == 0
    rings_list, ring_owner_list = [], []
    if (~is_point).any():
        rings, ring_part = shapely.get_rings(parts[~is_point], return_index=True)
        rings_list.append(rings)
        ring_owner_list.append(part_owner[~is_point][ring_part])
    if is_point.any():
        rings_list.append(parts[is_point])
        ring_owner_list.append(part_owner[is_point])
    if rings_list:
        rings = np.concatenate(rings_list)
        ring_owner = np.concatenate(ring_owner_list)
        order = np.argsort(ring_owner, kind="stable")
        rings, ring_owner = rings[order], ring_owner[order]
    else:
        rings, ring_owner = np.array([], dtype=object), np.array([], dtype=np.int64)
    nr = np.bincount(ring_owner, minlength=n) if n else np.array([], dtype=np.int64)
    coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
    nv_all = np.bincount(vert_ring, minlength=len(rings))
    # drop the closing vertex of closed rings (LinearRings always are; points have one vertex)
    closed = nv_all > 1
    last = np.cumsum(nv_all) - 1
    keep = np.ones(len(coords), dtype=bool)
    keep[last[closed]] = False
    coords = coords[keep]
    nv = nv_all - closed.astype(np.int64)
    q = np.empty((len(coords), 2), dtype=np.int64)
    q[:, 0] = np.round((coords[:, 0] - origin[0]) / quantum)
    q[:, 1] = np.round((coords[:, 1] - origin[1]) / quantum)
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "nr": polyline_encode(nr),
        "nv": polyline_encode(nv),
        "xy": polyline_encode(d.reshape(-1)),
        "n": int(n),
    }
