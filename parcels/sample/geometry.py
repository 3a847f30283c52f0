"""Geometry primitives: the irregular zone outline, the road-grid tessellation into parcels, and the
coordinate transformations (CGCS2000 lon/lat, local GK zones, Albers equal-area over Jiangxi)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from landuse.core.units import M2_PER_MU


def rotate(x, y, a):
    c, s = math.cos(a), math.sin(a)
    return x * c - y * s, x * s + y * c


def zone_shape(rng: np.random.Generator, area_m2: float) -> shapely.Polygon:
    n = 72
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for h in range(2, 6):
        r += rng.uniform(0.0, 0.28 / h) * np.cos(h * th + rng.uniform(0, 2 * np.pi))
    r = np.clip(r * (1 + rng.normal(0, 0.012, n)), 0.55, None)
    aspect = rng.uniform(1.0, 1.6)
    x, y = r * np.cos(th) * math.sqrt(aspect), r * np.sin(th) / math.sqrt(aspect)
    x, y = rotate(x, y, rng.uniform(0, np.pi))
    poly = shapely.Polygon(np.column_stack([x, y]))
    k = math.sqrt(area_m2 / poly.area)
    return shapely.Polygon(np.column_stack([x * k, y * k]))


def _road_lines(rng, lo, hi, step):
    pos = [lo - rng.uniform(0.2, 0.8) * step]
    while pos[-1] < hi:
        pos.append(pos[-1] + step * rng.uniform(0.8, 1.2))
    edges = np.array(pos)
    width = np.where(np.arange(len(edges)) % 3 == 0, 40.0, 24.0)
    return edges, width


def zone_parcels(rng: np.random.Generator, zone_uv: shapely.Polygon, mean_mu: float):
    """Parcels (u, v frame) tessellating the zone along a road grid. Returns (polygons, block ids, run ids)."""
    minx, miny, maxx, maxy = zone_uv.bounds
    su, sv = rng.uniform(280, 460), rng.uniform(200, 340)
    us, uw = _road_lines(rng, minx, maxx, su)
    vs, vw = _road_lines(rng, miny, maxy, sv)
    u0 = us[:-1] + uw[:-1] / 2
    u1 = us[1:] - uw[1:] / 2
    v0 = vs[:-1] + vw[:-1] / 2
    v1 = vs[1:] - vw[1:] / 2
    I, J = (g.ravel() for g in np.meshgrid(np.arange(len(u0)), np.arange(len(v0)), indexing="ij"))
    boxes = shapely.box(u0[I], v0[J], u1[I], v1[J])
    keep = shapely.intersects(boxes, zone_uv)
    I, J = I[keep], J[keep]
    rings, block_of, row_of = [], [], []
    mu_m2 = M2_PER_MU
    for b, (i, j) in enumerate(zip(I.tolist(), J.tolist())):
        bu0, bu1, bv0, bv1 = u0[i], u1[i], v0[j], v1[j]
        du, dv = bu1 - bu0, bv1 - bv0
        swap = dv > du
        L, S = (dv, du) if swap else (du, dv)
        if S > 200 and rng.random() < 0.6:
            m = S * rng.uniform(0.4, 0.6)
            rows = [(0.0, m), (m, S)]
        else:
            rows = [(0.0, S)]
        for r, (a0, a1) in enumerate(rows):
            h = a1 - a0
            t = float(np.clip(rng.lognormal(math.log(mean_mu), 0.55), 7, 150))
            area = L * h
            k = max(1, int(round(area / (t * mu_m2))), math.ceil(area / (185 * mu_m2)))
            w = L / k
            cuts = np.linspace(0, L, k + 1)
            jit = np.zeros(k + 1)
            jit[1:-1] = rng.uniform(-0.2, 0.2, k - 1) * w
            cuts = cuts + jit
            dmax = min(0.08 * h, 0.12 * w)
            d = np.zeros(k + 1)
            e = np.zeros(k + 1)
            d[1:-1] = rng.uniform(-dmax, dmax, k - 1)
            e[1:-1] = rng.uniform(-0.1, 0.1, k - 1) * w
            bot, mid, top = cuts + d, cuts + e, cuts - d
            am = (a0 + a1) / 2
            for q in range(k):
                pts = [(bot[q], a0), (bot[q + 1], a0), (mid[q + 1], am), (top[q + 1], a1), (top[q], a1), (mid[q], am)]
                arr = np.array(pts)
                if swap:
                    arr = np.column_stack([arr[:, 1] + bu0, arr[:, 0] + bv0])
                else:
                    arr = np.column_stack([arr[:, 0] + bu0, arr[:, 1] + bv0])
                rings.append(arr)
                block_of.append(b)
                row_of.append(r)
    coords = np.stack(rings)  # (n, 6, 2)
    polys = shapely.polygons(coords)
    block_ids = np.array(block_of)
    row_ids = np.array(row_of)
    inside = shapely.within(polys, zone_uv)
    out = ~inside
    if out.any():
        clipped = shapely.intersection(polys[out], zone_uv)
        parts, idx = shapely.get_parts(clipped, return_index=True)
        parts_area = shapely.area(parts)
        best = pd.DataFrame({"i": idx, "a": parts_area}).reset_index().sort_values(["i", "a"], kind="stable")
        best = best.groupby("i").tail(1)
        res = np.full(out.sum(), None, dtype=object)
        res[best["i"].to_numpy()] = parts[best["index"].to_numpy()]
        polys = polys.copy()
        polys[out] = res
    ok = np.array([p is not None for p in polys])
    ok[ok] = shapely.area(polys[ok]) >= 5.2 * M2_PER_MU
    return polys[ok], block_ids[ok], row_ids[ok]


# Albers equal-area on GRS80 over Jiangxi: planar area here is the ellipsoidal area
EQUAL_AREA = "+proj=aea +lat_1=25 +lat_2=30 +lat_0=27 +lon_0=116 +ellps=GRS80 +units=m +no_defs"
_TRANSFORMERS: dict = {}


def transformer(a, b) -> Transformer:
    if (a, b) not in _TRANSFORMERS:
        _TRANSFORMERS[(a, b)] = Transformer.from_crs(a, b, always_xy=True)
    return _TRANSFORMERS[(a, b)]


def gk_epsg(lon: float) -> int:
    return 4547 if lon < 115.5 else 4548

