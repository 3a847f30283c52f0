"""Synthetic frames shaped like the map inputs (parcel_results + geometry, zone_results, flags, buildings).

Used by the map tests and ``scripts/bench_maps.py``: irregular polygons on a grid around 115.9°E
28.6°N (Nanchang), EPSG:4490. Deterministic for a given seed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.core.units import M2_PER_MU

STAGES = ("supplied", "started", "completed", "in_production", "in_production", "in_production", "idle")
RULES = (("idle", "闲置土地", 5, "收取闲置费或依法收回"), ("low_far", "容积率低于下限", 3, "增容技改"),
         ("low_tax", "亩均税收低于开发区平均1/3", 3, "限期整改、差别化价格"),
         ("grade_d", "连续两年D类企业", 4, "腾笼换鸟"))
COMPANY = ("江西", "洪都", "赣江", "鄱阳湖", "南昌", "昌北", "瑶湖", "红谷")
TRADE = ("电子", "机械", "新材料", "医药", "食品", "汽车零部件", "光电", "纺织")


def _irregular(cx, cy, w, h, rng) -> np.ndarray:
    """A quadrilateral-ish parcel with jittered corners and a few extra vertices (lon/lat degrees)."""
    n = len(cx)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    polys = np.empty(n, dtype=object)
    jit = rng.uniform(-0.08, 0.08, size=(n, 4, 2))
    mids = rng.uniform(-0.03, 0.03, size=(n, 4, 2))
    for i in range(n):
        c = (corners + jit[i]) * [w[i], h[i]]
        ring = []
        for k in range(4):
            a, b = c[k], c[(k + 1) % 4]
            ring.append(a)
            ring.append((a + b) / 2 + mids[i, k] * [w[i], h[i]])
        ring = np.array(ring) + [cx[i], cy[i]]
        polys[i] = ring
    return shapely.polygons(np.stack(list(polys)))


def demo_frames(n_parcels: int = 60, n_zones: int = 3, *, seed: int = 0, lon0: float = 115.85,
                lat0: float = 28.55, zone_cols: int | None = None):
    """(parcels, zones, flags, buildings) frames for ``maps.build_map``."""
    rng = np.random.default_rng(seed)
    per_zone = int(np.ceil(n_parcels / n_zones))
    side = int(np.ceil(np.sqrt(per_zone)))
    cell = 0.0025  # ≈ 250 m × 275 m cells
    zc = zone_cols or int(np.ceil(np.sqrt(n_zones)))
    zone_span = side * cell + 0.01
    pc, pz, cx, cy = [], [], [], []
    zgeoms, zcodes = [], []
    for z in range(n_zones):
        zx = lon0 + (z % zc) * zone_span
        zy = lat0 + (z // zc) * zone_span
        code = f"36{z:04d}"
        zcodes.append(code)
        k = min(per_zone, n_parcels - len(pc))
        i = np.arange(k)
        cx.append(zx + (i % side + 0.5) * cell)
        cy.append(zy + (i // side + 0.5) * cell)
        pz += [code] * k
        pc += [f"3601{z:04d}GB{j:05d}" for j in range(k)]
        zgeoms.append(shapely.box(zx - 0.001, zy - 0.001, zx + side * cell + 0.001,
                                  zy + int(np.ceil(k / side)) * cell + 0.001))
    cx, cy = np.concatenate(cx), np.concatenate(cy)
    n = len(pc)
    w = rng.uniform(0.5, 0.9, n) * cell
    h = rng.uniform(0.5, 0.9, n) * cell
    geom = _irregular(cx, cy, w, h, rng)
    area_mu = w * h * (111_320 * np.cos(np.radians(28.6))) * 110_900 / M2_PER_MU
    revenue = rng.gamma(2.0, 180.0, n)
    revenue[rng.random(n) < 0.08] = np.nan
    stage = rng.choice(STAGES, n)
    grade = rng.choice(["A", "B", "C", "D", None], n, p=[0.2, 0.35, 0.3, 0.1, 0.05])
    holders = [f"{COMPANY[i % 8]}{TRADE[(i // 8) % 8]}{'有限公司' if i % 3 else '股份有限公司'}" for i in
               rng.integers(0, max(8, n // 3), n)]
    parcels = gpd.GeoDataFrame({
        "parcel_code": pc, "zone_code": pz, "area_mu": area_mu, "stage": stage,
        "developed": np.isin(stage, ["completed", "in_production"]), "holder_name": holders,
        "revenue_per_mu": revenue, "tax_per_mu": revenue * rng.uniform(0.03, 0.1, n),
        "far": rng.uniform(0.4, 2.5, n), "building_coverage": rng.uniform(0.15, 0.6, n),
        "grade": grade,
    }, geometry=geom, crs=4490)
    # flags: idle parcels + a sample of low performers
    rows = []
    for i in np.flatnonzero(stage == "idle"):
        rows.append((pc[i], pz[i], *RULES[0][:3], "约定动工日期后超过一年未动工", RULES[0][3]))
    for i in np.flatnonzero(rng.random(n) < 0.15):
        r = RULES[1 + int(rng.integers(0, 3))]
        rows.append((pc[i], pz[i], r[0], r[1], r[2], f"{r[1]}:实际值低于标准", r[3]))
    flags = pd.DataFrame(rows, columns=["parcel_code", "zone_code", "rule", "label", "severity", "evidence",
                                        "action"]).drop_duplicates(["parcel_code", "rule"])
    codes = flags.groupby("parcel_code")["rule"].agg(",".join)
    parcels["flags"] = parcels["parcel_code"].map(codes)
    score = rng.uniform(50, 98, len(zcodes))
    if len(zcodes) > 1:
        score[-1] = np.nan
    zones = gpd.GeoDataFrame({
        "zone_code": zcodes, "zone_name": [f"示范{'高新技术产业开发区' if z % 2 else '经济技术开发区'}{z + 1}" for z in
                                           range(len(zcodes))],
        "score": score, "rank": pd.Series(pd.Series(score).rank(ascending=False), dtype="Int64"),
        "revenue_per_mu": rng.uniform(200, 500, len(zcodes)), "growth": rng.uniform(-0.05, 0.3, len(zcodes)),
        "developed_mu": rng.uniform(1000, 5000, len(zcodes)), "occupancy_rate": rng.uniform(0.5, 0.95, len(zcodes)),
    }, geometry=zgeoms, crs=4490)
    # standard factories: small squares inside some parcels
    sel = rng.choice(n, size=max(1, n // 20), replace=False)
    b = gpd.GeoDataFrame({
        "building_code": [f"BF{i:05d}" for i in range(len(sel))], "parcel_code": [pc[i] for i in sel],
        "floor_area_m2": rng.uniform(3000, 20000, len(sel)), "occupancy_rate": rng.uniform(0.2, 1.0, len(sel)),
    }, geometry=[shapely.box(cx[i] - 0.0003, cy[i] - 0.0002, cx[i] + 0.0003, cy[i] + 0.0002) for i in sel], crs=4490)
    return parcels, zones, flags, b
