"""Development zones: names, levels and codes per pilot area, placement near the seats, and the
geometry of each zone and its parcels."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import shapely

from landuse.core.units import M2_PER_MU
from parcels.sample.config import ZONE_FILL
from parcels.sample.geometry import EQUAL_AREA, gk_epsg, rotate, transformer, zone_parcels, zone_shape
from parcels.sample.reference import CITY_MAIN_ZONE, EXTRA_ZONE_TEMPLATES


def zone_specs(rng: np.random.Generator, cfg: dict, areas: list[dict]) -> list[dict]:
    n_target = cfg["n_zones"]
    if n_target <= len(areas) + 3:  # small: one zone each, a second one for the first few
        per = np.ones(len(areas), dtype=int)
        per[[0, 2, 11][: n_target - len(areas)]] += 1
    else:
        per = np.where([a["kind"] == "city" for a in areas], rng.integers(2, 5, len(areas)), rng.integers(1, 4, len(areas)))
        # adjust to the target total deterministically
        order = rng.permutation(len(areas))
        k = 0
        while per.sum() != n_target and k < 10000:
            i = order[k % len(areas)]
            if per.sum() < n_target and per[i] < 5:
                per[i] += 1
            elif per.sum() > n_target and per[i] > 1:
                per[i] -= 1
            k += 1
    lo, hi = cfg["parcels_per_zone"]
    specs = []
    for a, n in zip(areas, per.tolist()):
        if a["kind"] == "city":
            main_name, main_level = CITY_MAIN_ZONE[a.get("ref", a["code"])]
        else:
            main_name, main_level = a["main"]
        templates = [t for t in EXTRA_ZONE_TEMPLATES if t.format(p=a["short"]) != main_name]
        picks = rng.permutation(len(templates))
        for k in range(n):
            if k == 0:
                name, level = main_name, main_level
            else:
                name = templates[picks[k - 1]].format(p=a["short"])
                level = "provincial" if rng.random() < 0.35 else "other"
            prefix = {"national": "G", "provincial": "S", "other": "Q"}[level]
            if hi > 1000:
                n_par = int(np.clip(rng.lognormal(math.log(850), 0.5), lo, hi))
            else:
                n_par = int(rng.integers(lo, hi + 1))
            mean_mu = rng.uniform(30, 44)
            specs.append(dict(
                zone_code=f"{prefix}{a['code']}-{k + 1:02d}", zone_name=name, level=level,
                pilot_area_code=a["code"], pilot_area_name=a["name"], county_code=a["county"],
                seat=(a["lon"], a["lat"]), short=a["short"], n_parcels=n_par, mean_mu=mean_mu,
                radius_m=math.sqrt(n_par * mean_mu * M2_PER_MU / ZONE_FILL / math.pi) * 1.5,
                index_in_county=k + 1,
            ))
    _place_zones(rng, specs)
    # zone-level economy
    for z in specs:
        z["base_rev"] = rng.uniform(230, 520)      # 万元/亩 in 2025 for a typical firm
        z["growth"] = rng.uniform(-0.01, 0.065)    # yearly revenue growth of incumbents
        z["occupancy"] = rng.choice([rng.uniform(0.83, 0.97), rng.uniform(0.5, 0.76)])
        z["tax_rate"] = rng.uniform(0.05, 0.07)
    return specs



def _place_zones(rng, zones_spec: list[dict]) -> None:
    """Put each zone's centre near its city/county seat without overlapping other zones."""
    placed: list[tuple[float, float, float]] = []  # (x_km, y_km, radius_km) in a rough equirectangular frame
    for z in zones_spec:
        lon0, lat0 = z["seat"]
        kx = 111.32 * math.cos(math.radians(lat0))
        rad = z["radius_m"] / 1000.0
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(3.0, 8.0)
        for _ in range(400):
            x = lon0 * kx + dist * math.cos(ang)
            y = lat0 * 111.0 + dist * math.sin(ang)
            if all(math.hypot(x - px * 1.0, y - py) > rad + pr + 1.0 for px, py, pr in placed):
                break
            dist += 1.0
            ang += 0.7
        placed.append((x, y, rad))
        z["lon"], z["lat"] = x / kx, y / 111.0


def build_geometry(rng: np.random.Generator, specs: list[dict],
                   prog: Callable[[str, int, int], None]) -> dict:
    zone_geoms, parcel_geoms, zone_idx, block_idx, row_idx, areas = [], [], [], [], [], []
    for zi, z in enumerate(specs):
        prog("geometry", zi, len(specs))
        shape = zone_shape(rng, z["n_parcels"] * z["mean_mu"] * M2_PER_MU / ZONE_FILL)
        alpha = rng.uniform(-0.4, 0.4)
        # road-grid frame: rotate the zone by -alpha
        cu, cv = shapely.get_coordinates(shape).T
        zone_uv = shapely.Polygon(np.column_stack(rotate(cu, cv, -alpha)))
        polys, blocks, rows = zone_parcels(rng, zone_uv, z["mean_mu"])
        gk = gk_epsg(z["lon"])
        to_gk, to_geo = transformer(4490, gk), transformer(gk, 4490)
        x0, y0 = to_gk.transform(z["lon"], z["lat"])

        def fwd(xy, a=alpha, x0=x0, y0=y0, t=to_geo):
            x, y = rotate(xy[:, 0], xy[:, 1], a)
            lon, lat = t.transform(x + x0, y + y0)
            return np.column_stack([lon, lat])

        zg = shapely.transform(zone_uv, fwd)
        pg = shapely.transform(polys, fwd)
        laea = transformer(4490, EQUAL_AREA)
        eq = shapely.transform(pg, lambda xy, t=laea: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        z["area_m2"] = float(shapely.area(shapely.transform(zg, lambda xy, t=laea: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))))
        zone_geoms.append(zg)
        parcel_geoms.append(pg)
        zone_idx.append(np.full(len(pg), zi))
        block_idx.append(blocks)
        row_idx.append(rows)
        areas.append(shapely.area(eq))
    prog("geometry", len(specs), len(specs))
    return dict(zones=np.array(zone_geoms, dtype=object), parcels=np.concatenate(parcel_geoms),
                zone=np.concatenate(zone_idx), block=np.concatenate(block_idx), row=np.concatenate(row_idx),
                area=np.concatenate(areas))
