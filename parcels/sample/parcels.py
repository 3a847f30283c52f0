"""Parcel attributes: projects (runs of adjacent parcels with one holder and one life-cycle), land
use, life-cycle dates, standard-land commitments, areas, FAR/coverage and investment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.core.units import M2_PER_MU
from parcels.sample.config import day, months, rand_dates


KINDS = ["unsupplied", "public", "commercial", "sf", "completed", "under_construction", "not_started_recent",
         "idle", "gov_delay", "halted", "halted_recent", "halted_built"]
KIND_P = np.array([0.07, 0.025, 0.02, 0.0, 0.73, 0.055, 0.025, 0.03, 0.008, 0.02, 0.004, 0.004])


def parcel_attributes(rng: np.random.Generator, geo: dict, specs: list[dict]):
    n = len(geo["area"])
    zone = geo["zone"]
    # runs: consecutive parcels (same block, or the next block across a road) of one zone
    key_change = np.ones(n, dtype=bool)
    key_change[1:] = zone[1:] != zone[:-1]
    want_len = np.minimum(rng.geometric(0.3, n), 8)
    proj = np.empty(n, dtype=np.int64)
    pid, left = -1, 0
    for i in range(n):
        if key_change[i] or left == 0:
            pid += 1
            left = int(want_len[i])
        proj[i] = pid
        left -= 1
    n_proj = pid + 1
    pz = np.zeros(n_proj, dtype=np.int64)
    pz[proj] = zone
    kind = rng.choice(len(KINDS), n_proj, p=KIND_P / KIND_P.sum())
    plen = np.bincount(proj, minlength=n_proj)
    # standard-factory projects: a few per zone, chosen among completed ones
    for zi in range(len(specs)):
        cand = np.flatnonzero((pz == zi) & (kind == KINDS.index("completed")) & (plen <= 2))
        k = max(1, int(round(specs[zi]["n_parcels"] / 250)))
        kind[rng.permutation(cand)[:k]] = KINDS.index("sf")
    # public / unsupplied projects are single parcels: split them
    kname = np.array(KINDS)[kind]
    P = pd.DataFrame({"proj": np.arange(n_proj), "zone": pz, "kind": kname})

    # land use per project
    m = len(P)
    scheme = np.full(m, "gbt21010", dtype=object)
    code = np.where(rng.random(m) < 0.92, "0601", "0604").astype(object)
    alt = rng.random(m)
    ydyh = alt < 0.045
    scheme[ydyh] = "ydyh2023"
    code[ydyh] = np.where(code[ydyh] == "0601", np.where(rng.random(ydyh.sum()) < 0.85, "100101", "100102"), "1101")
    gb = (alt >= 0.045) & (alt < 0.055)
    scheme[gb] = "gb50137"
    code[gb] = np.where(code[gb] == "0601", "M2", "W1")
    pub = P["kind"].to_numpy() == "public"
    scheme[pub] = "gbt21010"
    code[pub] = rng.choice(["0809", "0810"], pub.sum())
    com = P["kind"].to_numpy() == "commercial"
    scheme[com] = "gbt21010"
    code[com] = rng.choice(["0505", "0701", "0503"], com.sum())
    sf = P["kind"].to_numpy() == "sf"
    scheme[sf] = "gbt21010"
    code[sf] = "0601"
    P["scheme"], P["code"] = scheme, code

    # life-cycle dates per project
    NaT = np.datetime64("NaT", "D")
    supply = np.full(m, NaT)
    agreed = np.full(m, NaT)
    start = np.full(m, NaT)
    compl = np.full(m, NaT)
    halted = np.full(m, NaT)
    k = P["kind"].to_numpy()

    c = np.isin(k, ["completed", "sf", "commercial"])
    nc = c.sum()
    # completion spread 2009..2025-09, more recent more likely
    u = rng.random(nc) ** 0.8
    comp = (day("2009-01-01").astype(int) + u * (day("2025-09-30").astype(int) - day("2009-01-01").astype(int))).astype(int)
    compl[c] = comp.astype("datetime64[D]")
    start[c] = compl[c] - months(rng.uniform(12, 30, nc))
    agreed[c] = start[c] - rng.integers(-60, 120, nc).astype("timedelta64[D]")
    supply[c] = agreed[c] - months(rng.uniform(3, 12, nc))

    def plan(mask, s_lo, s_hi):
        nn = mask.sum()
        supply[mask] = rand_dates(rng, s_lo, s_hi, nn)
        agreed[mask] = supply[mask] + months(rng.uniform(3, 12, nn))
        return nn

    nn = plan(k == "under_construction", "2022-06-01", "2024-10-31")
    start[k == "under_construction"] = agreed[k == "under_construction"] + rng.integers(0, 90, nn).astype("timedelta64[D]")
    plan(k == "not_started_recent", "2024-10-15", "2025-09-30")
    plan(np.isin(k, ["idle", "gov_delay"]), "2015-01-01", "2023-06-30")
    hmask = np.isin(k, ["halted", "halted_recent", "halted_built"])
    nn = plan(hmask, "2012-01-01", "2021-06-30")
    start[hmask] = agreed[hmask] + rng.integers(0, 180, nn).astype("timedelta64[D]")
    hs = start[hmask] + months(rng.uniform(3, 24, nn))
    hs = np.minimum(hs, day("2024-06-30"))
    halted[hmask] = hs
    hr = k == "halted_recent"
    halted[hr] = rand_dates(rng, "2025-03-01", "2025-10-31", hr.sum())
    # standard land: 20-30 % of industrial projects supplied since 2018
    ind_kind = np.isin(k, ["completed", "under_construction", "not_started_recent", "idle", "gov_delay", "halted",
                           "halted_recent", "halted_built"])
    since18 = ind_kind & (supply >= day("2018-01-01"))
    std = since18 & (rng.random(m) < 0.27)
    P["supply"], P["agreed"], P["start"], P["compl"], P["halted"] = supply, agreed, start, compl, halted
    P["standard_land"] = std
    has_commit = std & (rng.random(m) < 0.88)
    P["commit_inv"] = np.where(has_commit, np.round(rng.uniform(250, 450, m) / 10) * 10, np.nan)
    P["commit_far"] = np.where(has_commit, np.round(rng.uniform(1.0, 1.5, m), 1), np.nan)
    P["commit_tax"] = np.where(has_commit, np.round(rng.uniform(15, 40, m)), np.nan)
    P["commit_rev"] = np.where(has_commit, np.round(rng.uniform(250, 500, m) / 10) * 10, np.nan)
    # commitments missing on some (recorded on paper only): keep standard_land True, commitments empty
    comp_k = k == "completed"
    # performance classes for completed industrial projects
    perf = np.full(m, "normal", dtype=object)
    r = rng.random(m)
    perf[comp_k & (r < 0.08)] = "low"
    perf[comp_k & (r >= 0.08) & (r < 0.11)] = "stopped"
    perf[comp_k & std & has_commit & (compl <= day("2024-12-31"))] = "std_ok"
    sl = comp_k & std & has_commit & (compl <= day("2024-12-31")) & (rng.random(m) < 0.4)
    perf[sl] = "std_short"
    P["perf"] = perf
    P["short_dim"] = rng.choice(["rev", "tax", "far", "inv"], m)
    obs = comp_k & (rng.random(m) < 0.02)
    env = comp_k & (rng.random(m) < 0.012)
    P["obsolete"] = obs
    P["env_fail"] = env
    P["gov_delay"] = k == "gov_delay"

    # ---- per parcel
    pa = geo["area"]
    zc = np.array([s["zone_code"] for s in specs], dtype=object)
    F = pd.DataFrame({"proj": proj, "zone_i": zone, "zone_code": zc[zone], "area": pa})
    F = F.join(P.drop(columns=["zone", "proj"]), on="proj")
    # parcel codes: county(6) + zone number in county(3) + block(3) + 'GB' + serial(5)
    cc = np.array([s["county_code"] for s in specs], dtype=object)[zone]
    zn = np.array([s["index_in_county"] + (10 if s["pilot_area_code"].endswith("00") else 0) for s in specs])[zone]
    serial = F.groupby("zone_i").cumcount().to_numpy() + 1
    F["parcel_code"] = [f"{a}{b:03d}{c % 1000:03d}GB{d:05d}" for a, b, c, d in zip(cc, zn, geo["block"], serial)]
    nP = len(F)
    kk = F["kind"].to_numpy()
    # registered area: close to the real area; some missing; a handful off by 3-8 %
    reg = pa * (1 + rng.uniform(-0.004, 0.004, nP))
    off = rng.random(nP) < 0.006
    reg[off] = pa[off] * (1 + rng.choice([-1, 1], off.sum()) * rng.uniform(0.03, 0.08, off.sum()))
    reg[rng.random(nP) < 0.05] = np.nan
    F["registered_area_m2"] = np.round(reg, 2)
    F["off_area"] = off
    # FAR / coverage
    far = rng.uniform(1.1, 2.5, nP)
    cov = rng.uniform(0.33, 0.6, nP)
    lowfar = rng.random(nP) < 0.07
    lowcov = rng.random(nP) < 0.06
    far[lowfar] = rng.uniform(0.45, 0.9, lowfar.sum())
    cov[lowcov] = rng.uniform(0.15, 0.27, lowcov.sum())
    perfv = F["perf"].to_numpy()
    # standard land compliant: FAR above commitment
    cf = F["commit_far"].to_numpy()
    okstd = np.isin(perfv, ["std_ok", "std_short"])
    far[okstd] = np.maximum(far[okstd], cf[okstd] * rng.uniform(1.12, 1.5, okstd.sum()))
    shortfar = (perfv == "std_short") & (F["short_dim"].to_numpy() == "far")
    far[shortfar] = cf[shortfar] * rng.uniform(0.55, 0.85, shortfar.sum())
    far = np.maximum(far, cov * 1.05)
    built = np.isin(kk, ["completed", "commercial"])
    F["floor_area_m2"] = np.where(built, np.round(pa * far, 1), np.nan)
    F["footprint_area_m2"] = np.where(built, np.round(pa * cov, 1), np.nan)
    F["far_gen"], F["cov_gen"] = far, cov
    # investment / developed area
    plan_int = rng.uniform(280, 650, nP)
    mu = pa / M2_PER_MU
    planned = plan_int * mu
    invested = np.full(nP, np.nan)
    developed = np.full(nP, np.nan)
    started = ~pd.isna(F["start"].to_numpy())
    done = ~pd.isna(F["compl"].to_numpy())
    invested[done] = planned[done] * rng.uniform(0.95, 1.2, done.sum())
    developed[done] = pa[done] * rng.uniform(0.92, 1.0, done.sum())
    uc = kk == "under_construction"
    invested[uc] = planned[uc] * rng.uniform(0.15, 0.8, uc.sum())
    developed[uc] = pa[uc] * rng.uniform(0.1, 0.8, uc.sum())
    h = np.isin(kk, ["halted", "halted_recent"])
    which = rng.integers(0, 3, nP)  # 0: both low, 1: area low only, 2: investment low only
    developed[h] = pa[h] * np.where(which[h] == 2, rng.uniform(0.4, 0.7, h.sum()), rng.uniform(0.03, 0.28, h.sum()))
    invested[h] = planned[h] * np.where(which[h] == 1, rng.uniform(0.32, 0.6, h.sum()), rng.uniform(0.04, 0.2, h.sum()))
    hb = kk == "halted_built"
    developed[hb] = pa[hb] * rng.uniform(0.4, 0.8, hb.sum())
    invested[hb] = planned[hb] * rng.uniform(0.32, 0.8, hb.sum())
    partial = h | hb | uc
    F.loc[partial, "floor_area_m2"] = np.round(developed[partial] * rng.uniform(0.3, 1.0, partial.sum()), 1)
    F.loc[partial, "footprint_area_m2"] = np.round(developed[partial] * rng.uniform(0.2, 0.45, partial.sum()), 1)
    supplied = ~pd.isna(F["supply"].to_numpy())
    has_plan = supplied & ~np.isin(kk, ["public", "commercial"])
    F["planned_investment_wan"] = np.where(has_plan, np.round(planned, 1), np.nan)
    F["invested_wan"] = np.where(started & has_plan, np.round(invested, 1), np.nan)
    F["developed_area_m2"] = np.where(started & has_plan, np.round(developed, 1), np.nan)
    F.loc[supplied & ~started & has_plan, "invested_wan"] = np.round(planned[supplied & ~started & has_plan] * rng.uniform(0, 0.05, (supplied & ~started & has_plan).sum()), 1)
    F.loc[supplied & ~started & has_plan, "developed_area_m2"] = 0.0
    F["office_area_m2"] = np.where(done & has_plan, np.round(pa * rng.uniform(0.02, 0.065, nP), 1), np.nan)
    # land price 15-40 万元/亩
    F["land_price_wan"] = np.where(supplied & ~np.isin(kk, ["public"]), np.round(mu * rng.uniform(15, 40, nP), 1), np.nan)
    return F, P
