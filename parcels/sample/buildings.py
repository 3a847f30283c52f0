"""Buildings (standard factories split into units, main workshops) and leases (unit tenancies in
standard factories, floor space in ordinary holders' parcels); tenants are new enterprises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from parcels.sample.config import END, day, rand_dates
from parcels.sample.reference import INDUSTRIES


def buildings_and_leases(rng: np.random.Generator, F: pd.DataFrame, P: pd.DataFrame, specs: list[dict],
                         E: pd.DataFrame, ctx: dict):
    new_uscc, make_name = ctx["new_uscc"], ctx["make_name"]
    ind_w = np.array([g[1] for g in INDUSTRIES])
    ind_w = ind_w / ind_w.sum()
    small_groups = [i for i, g in enumerate(INDUSTRIES) if g[0] in ("电子信息", "装备", "纺织", "食品", "中医药", "汽车")]
    b_rows: list[dict] = []
    l_rows: list[dict] = []
    t_rows: list[dict] = []
    bcount: dict[int, int] = {}
    sf_idx = np.flatnonzero(F["kind"].to_numpy() == "sf")
    geoms = ctx["geoms"]
    Fzone = F["zone_i"].to_numpy()
    Farea = F["area"].to_numpy()
    Fcompl = F["compl"].to_numpy()
    Fcode = F["parcel_code"].to_numpy()
    Ffa = F["floor_area_m2"].to_numpy().copy()
    Ffp = F["footprint_area_m2"].to_numpy().copy()
    Ffar = F["far_gen"].to_numpy().copy()
    Fcov = F["cov_gen"].to_numpy().copy()
    for pi in sf_idx:
        zi = int(Fzone[pi])
        z = specs[zi]
        area = Farea[pi]
        nb = int(np.clip(round(area / 9000), 2, 6))
        cov = rng.uniform(0.38, 0.5)
        fp_each = area * cov / nb
        compl_parcel = Fcompl[pi]
        floors = rng.integers(3, 7, nb)
        fa = np.round(fp_each * floors, 1)
        # completion: parcel completion; a few not yet accepted
        accepted = rng.random(nb) > 0.1
        cdates = [compl_parcel + np.timedelta64(int(rng.integers(0, 200)), "D") if a else np.datetime64("NaT", "D")
                  for a in accepted]
        cdates = [min(c, day("2025-11-30")) if not pd.isna(c) else c for c in cdates]
        # rectangles inside the parcel: strips of the oriented envelope of the inner parcel
        inner = shapely.buffer(geoms[pi], -0.00012)
        if inner.is_empty:
            inner = geoms[pi]
        env = shapely.oriented_envelope(inner)
        ec = np.array(env.exterior.coords)[:4]
        e1, e2 = ec[1] - ec[0], ec[3] - ec[0]
        if np.hypot(*e1) < np.hypot(*e2):
            e1, e2 = e2, e1
            ec = np.array([ec[0], ec[3], ec[2], ec[1]])
        for b in range(nb):
            bcount[zi] = bcount.get(zi, 0) + 1
            code = f"{z['zone_code']}-B{bcount[zi]:04d}"
            a0, a1 = (b + 0.12) / nb, (b + 0.88) / nb
            rect = shapely.Polygon([ec[0] + e1 * a0 + e2 * 0.15, ec[0] + e1 * a1 + e2 * 0.15,
                                    ec[0] + e1 * a1 + e2 * 0.85, ec[0] + e1 * a0 + e2 * 0.85])
            rect = shapely.intersection(rect, geoms[pi])
            if rect.geom_type != "Polygon":
                rect = max(shapely.get_parts(rect), key=lambda g: g.area) if not rect.is_empty else None
            b_rows.append(dict(building_code=code, parcel_code=Fcode[pi], standard_factory=True,
                               floors=int(floors[b]), floor_area_m2=float(fa[b]), completion_date=cdates[b],
                               geometry=rect, zone_i=zi))
            if pd.isna(cdates[b]):
                continue
            # units; each unit has successive non-overlapping tenancies
            n_units = int(np.clip(round(fa[b] / rng.uniform(2500, 6000)), 2, 10))
            shares = rng.dirichlet(np.full(n_units, 3.0))
            unit_area = np.floor(fa[b] * shares * 0.98)
            for ua in unit_area:
                in_unit: set[str] = set()  # a tenant never follows itself in the same unit
                t = max(cdates[b], day("2017-01-01")) + np.timedelta64(int(rng.integers(30, 400)), "D")
                occupied_end = rng.random() < z["occupancy"]
                while t <= END:
                    dur = int(rng.integers(365 * 3, 365 * 8))
                    end = t + np.timedelta64(dur, "D")
                    open_ended = False
                    if end > END:
                        if not occupied_end:
                            # tenancy ends before the as-of date (mid-year)
                            end = rand_dates(rng, "2025-01-15", "2025-11-15", 1)[0]
                            if end <= t:
                                break
                        else:
                            open_ended = rng.random() < 0.4
                    tenant = None
                    if t_rows and rng.random() < 0.25:
                        tenant = t_rows[int(rng.integers(len(t_rows)))]
                        if tenant["zone_i"] != zi or tenant["uscc"] in in_unit:
                            tenant = None
                    if tenant is None:
                        g = int(rng.choice(small_groups))
                        codes = INDUSTRIES[g][2]
                        tenant = dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                                      industry_code=codes[rng.integers(len(codes))], above_scale=False,
                                      role="tenant", zone_i=zi, group=g)
                        t_rows.append(tenant)
                    in_unit.add(tenant["uscc"])
                    l_rows.append(dict(uscc=tenant["uscc"], building_code=code, parcel_code=None,
                                       floor_area_m2=float(ua), start_date=t,
                                       end_date=np.datetime64("NaT", "D") if open_ended else end))
                    if open_ended or end > END:
                        break
                    t = end + np.timedelta64(int(rng.integers(1, 240)), "D")
        Ffa[pi] = round(float(fa.sum()), 1)
        Ffp[pi] = round(float(fp_each * nb), 1)
        Ffar[pi] = fa.sum() / area
        Fcov[pi] = fp_each * nb / area
    F["floor_area_m2"], F["footprint_area_m2"], F["far_gen"], F["cov_gen"] = Ffa, Ffp, Ffar, Fcov
    # ordinary buildings on some completed parcels (main workshop)
    cand = np.flatnonzero((F["kind"].to_numpy() == "completed") & (rng.random(len(F)) < 0.05))
    for pi in cand:
        zi = int(Fzone[pi])
        bcount[zi] = bcount.get(zi, 0) + 1
        code = f"{specs[zi]['zone_code']}-B{bcount[zi]:04d}"
        fp = Ffp[pi] * rng.uniform(0.4, 0.7)
        fl = int(rng.integers(1, 4))
        geom = shapely.buffer(shapely.envelope(shapely.buffer(geoms[pi], -0.00025)), 0)
        geom = shapely.intersection(geom, geoms[pi]) if not geom.is_empty else None
        if geom is not None and geom.geom_type != "Polygon":
            geom = max(shapely.get_parts(geom), key=lambda x: x.area)
        b_rows.append(dict(building_code=code, parcel_code=Fcode[pi], standard_factory=False,
                           floors=fl, floor_area_m2=round(float(fp * fl), 1), completion_date=Fcompl[pi],
                           geometry=geom, zone_i=zi))
    # leases of floor space in ordinary holders' parcels (normal performers only)
    okp = np.flatnonzero((F["kind"].to_numpy() == "completed") & (F["perf"].to_numpy() == "normal")
                         & (rng.random(len(F)) < 0.015))
    for pi in okp:
        zi = int(Fzone[pi])
        z = specs[zi]
        g = int(rng.choice(small_groups))
        codes = INDUSTRIES[g][2]
        tenant = dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                      industry_code=codes[rng.integers(len(codes))], above_scale=False, role="tenant",
                      zone_i=zi, group=g)
        t_rows.append(tenant)
        s = max(Fcompl[pi], day("2018-01-01")) + np.timedelta64(int(rng.integers(30, 500)), "D")
        s = min(s, day("2025-06-30"))
        open_ended = rng.random() < 0.5
        l_rows.append(dict(uscc=tenant["uscc"], building_code=None, parcel_code=Fcode[pi],
                           floor_area_m2=round(float(Ffa[pi] * rng.uniform(0.05, 0.3)), 1),
                           start_date=s, end_date=np.datetime64("NaT", "D") if open_ended else max(s + np.timedelta64(int(rng.integers(730, 2500)), "D"), day("2026-03-31"))))
    B = pd.DataFrame(b_rows)
    L = pd.DataFrame(l_rows)
    E = pd.concat([E, pd.DataFrame(t_rows)], ignore_index=True)
    return B, L, E
