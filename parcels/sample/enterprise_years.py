"""Enterprise figures: 2025 revenue/tax/investment per enterprise, above-scale status, and the
(uscc, year) table of enterprise_years."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from landuse.core.units import M2_PER_MU
from parcels.sample.config import END, YEARS, day, rand_dates
from parcels.sample.reference import INDUSTRIES


def holder_figures(rng: np.random.Generator, F: pd.DataFrame, P: pd.DataFrame, E: pd.DataFrame,
                   specs: list[dict], ctx: dict):
    E["production_start_date"] = np.datetime64("NaT", "D")
    E["rev2025"] = np.nan
    E["tax2025"] = np.nan
    E["stop_year"] = 9999
    E["end_year"] = 2025
    E["growth"] = 0.0
    E["land_mu"] = 0.0
    E["fai2025"] = np.nan
    idx = {u: i for i, u in enumerate(E["uscc"].tolist())}
    # holders: land, perf, dates from their project
    mu = F["area"].to_numpy() / M2_PER_MU
    land = pd.Series(mu).groupby(F["holder_uscc"].to_numpy()).sum()
    hold = P[P["kind"] == "completed"]
    zrev = np.array([z["base_rev"] for z in specs])
    zg = np.array([z["growth"] for z in specs])
    ztax = np.array([z["tax_rate"] for z in specs])
    ei = np.array([idx[u] for u in hold["holder"]])
    n = len(hold)
    compl = hold["compl"].to_numpy()
    ps = compl + rng.integers(0, 100, n).astype("timedelta64[D]")
    ps = np.minimum(ps, day("2025-12-20"))
    zone = hold["zone"].to_numpy()
    land_mu = land.reindex(hold["holder"]).to_numpy()
    mult = np.clip(rng.lognormal(0.15, 0.2, n), 0.85, 1.7)
    new25 = ps >= day("2025-01-01")
    mult[new25] = np.maximum(mult[new25], 1.3)
    taxr = ztax[zone] * rng.uniform(0.85, 1.2, n)
    perf = hold["perf"].to_numpy()
    low = perf == "low"
    mult[low] = rng.uniform(0.05, 0.22, low.sum())
    taxr[low] = rng.uniform(0.005, 0.03, low.sum())
    rev_mu = mult * zrev[zone]
    tax_mu = rev_mu * taxr
    # standard land
    std = np.isin(perf, ["std_ok", "std_short"])
    cr, ct = hold["commit_rev"].to_numpy(), hold["commit_tax"].to_numpy()
    rev_mu[std] = np.maximum(cr[std] * rng.uniform(1.15, 1.7, std.sum()), zrev[zone][std] * rng.uniform(0.95, 1.5, std.sum()))
    tax_mu[std] = np.maximum(ct[std] * rng.uniform(1.15, 1.7, std.sum()), rev_mu[std] * ztax[zone][std] * rng.uniform(0.9, 1.2, std.sum()))
    sd = hold["short_dim"].to_numpy()
    s_rev = (perf == "std_short") & (sd == "rev")
    rev_mu[s_rev] = np.minimum(cr[s_rev] * rng.uniform(0.5, 0.85, s_rev.sum()), zrev[zone][s_rev] * rng.uniform(0.08, 0.22, s_rev.sum()))
    tax_mu[s_rev] = rev_mu[s_rev] * rng.uniform(0.005, 0.03, s_rev.sum())
    s_tax = (perf == "std_short") & (sd == "tax")
    tax_mu[s_tax] = ct[s_tax] * rng.uniform(0.45, 0.85, s_tax.sum())
    rev = rev_mu * land_mu
    tax = tax_mu * land_mu
    # fixed-asset investment per mu
    inv_mu = rng.uniform(300, 750, n)
    ci = hold["commit_inv"].to_numpy()
    inv_mu[std] = np.maximum(inv_mu[std], ci[std] * rng.uniform(1.12, 1.6, std.sum()))
    s_inv = (perf == "std_short") & (sd == "inv")
    inv_mu[s_inv] = ci[s_inv] * rng.uniform(0.5, 0.85, s_inv.sum())
    E.loc[ei, "production_start_date"] = ps
    E.loc[ei, "rev2025"] = rev
    E.loc[ei, "tax2025"] = tax
    E.loc[ei, "land_mu"] = land_mu
    E.loc[ei, "fai2025"] = inv_mu * land_mu
    E.loc[ei, "growth"] = zg[zone] + rng.normal(0, 0.015, n)
    stopped = perf == "stopped"
    E.loc[ei[stopped], "stop_year"] = rng.integers(2021, 2026, stopped.sum())
    # platform companies: rent income (tenants and unlinked firms are done in make_years)
    pl = np.flatnonzero(E["role"].to_numpy() == "platform")
    E.loc[pl, "production_start_date"] = day("2012-01-01")
    E.loc[pl, "rev2025"] = rng.uniform(300, 1500, len(pl))
    E.loc[pl, "tax2025"] = E.loc[pl, "rev2025"] * 0.08
    E.loc[pl, "fai2025"] = rng.uniform(8000, 30000, len(pl))
    E.loc[pl, "growth"] = 0.03
    ctx["zone_tax"] = ztax


def make_years(rng: np.random.Generator, E: pd.DataFrame, L: pd.DataFrame, ctx: dict):
    """Tenant / unlinked figures, then the (uscc, year) table."""
    roles = E["role"].to_numpy()
    zi = E["zone_i"].to_numpy().astype(int)
    ztax = ctx["zone_tax"]
    # tenants: from first lease start to last lease end
    if len(L):
        g = L.groupby("uscc")
        first = g["start_date"].min()
        lastend = L["end_date"].fillna(np.datetime64("2099-12-31")).groupby(L["uscc"]).max().clip(upper=pd.Timestamp(END))
        fa = L.assign(cur=(L["end_date"].isna() | (L["end_date"] > END))).groupby("uscc")["floor_area_m2"].max()
    ten = np.flatnonzero(roles == "tenant")
    tu = E["uscc"].to_numpy()[ten]
    E.loc[ten, "production_start_date"] = first.reindex(tu).to_numpy()
    ey = pd.DatetimeIndex(lastend.reindex(tu).to_numpy()).year.to_numpy()
    E.loc[ten, "end_year"] = np.minimum(ey, 2025)
    area = fa.reindex(tu).to_numpy()
    E.loc[ten, "rev2025"] = area * rng.uniform(0.25, 0.8, len(ten))
    E.loc[ten, "tax2025"] = E.loc[ten, "rev2025"].to_numpy() * ztax[zi[ten]] * rng.uniform(0.8, 1.2, len(ten))
    E.loc[ten, "fai2025"] = area * rng.uniform(0.05, 0.2, len(ten))
    E.loc[ten, "growth"] = rng.normal(0.04, 0.03, len(ten))
    un = np.flatnonzero(roles == "unlinked")
    E.loc[un, "production_start_date"] = rand_dates(rng, "2008-01-01", "2022-12-31", len(un))
    E.loc[un, "rev2025"] = rng.lognormal(math.log(3000), 0.8, len(un))
    E.loc[un, "tax2025"] = E.loc[un, "rev2025"].to_numpy() * rng.uniform(0.03, 0.07, len(un))
    E.loc[un, "fai2025"] = E.loc[un, "rev2025"].to_numpy() * rng.uniform(0.5, 1.5, len(un))
    E.loc[un, "growth"] = rng.normal(0.03, 0.03, len(un))
    # above scale (规上): ~35 % overall, only firms with revenue ≥ 2000 万元, more likely the larger ones
    rev = E["rev2025"].fillna(0).to_numpy()
    elig = (rev >= 2000) & np.isin(roles, ["holder", "tenant", "unlinked"])
    target = int(round(0.35 * len(E)))
    score = np.where(elig, np.log(np.maximum(rev, 1)) + rng.gumbel(0, 0.8, len(E)), -np.inf)
    order = np.argsort(-score, kind="stable")[: min(target, int(elig.sum()))]
    above = np.zeros(len(E), dtype=bool)
    above[order] = True
    E["above_scale"] = above

    # years
    has = ~E["production_start_date"].isna().to_numpy() & ~np.isnan(E["rev2025"].to_numpy())
    idx = np.flatnonzero(has)
    sy = pd.DatetimeIndex(E["production_start_date"].to_numpy()[idx]).year.to_numpy()
    sdoy = pd.DatetimeIndex(E["production_start_date"].to_numpy()[idx]).day_of_year.to_numpy()
    k = len(idx)
    Y = np.broadcast_to(YEARS, (k, len(YEARS)))
    first = np.maximum(sy, 2020)[:, None]
    endy = E["end_year"].to_numpy()[idx][:, None]
    present = (Y >= first) & (Y <= endy)
    gr = np.clip(E["growth"].to_numpy()[idx], -0.08, 0.15)[:, None]
    base = E["rev2025"].to_numpy()[idx][:, None]
    revs = base / (1 + gr) ** (2025 - Y)
    ramp = np.where((Y == sy[:, None]) & (Y < 2025), 0.6 + 0.4 * (1 - sdoy[:, None] / 366), 1.0)
    revs = revs * ramp
    # year-to-year noise, none in 2025 (the truth year)
    noise = np.where(Y == 2025, 1.0, rng.normal(1, 0.03, (k, len(YEARS))))
    revs = revs * noise
    taxr = (E["tax2025"].to_numpy()[idx] / np.maximum(E["rev2025"].to_numpy()[idx], 1e-9))[:, None]
    taxs = revs * taxr * np.where(Y == 2025, 1.0, rng.uniform(0.9, 1.1, (k, len(YEARS))))
    stop = E["stop_year"].to_numpy()[idx][:, None]
    stopped = Y >= stop
    revs = np.where(stopped, 0.0, revs)
    taxs = np.where(stopped, 0.0, taxs)
    grp = E["group"].fillna(-1).to_numpy().astype(int)[idx]
    lo = np.array([INDUSTRIES[g][4][0] if g >= 0 else 0.01 for g in grp])
    hi = np.array([INDUSTRIES[g][4][1] if g >= 0 else 0.03 for g in grp])
    intensity = rng.uniform(lo, hi)[:, None] * (0.97 ** (Y - 2020))  # energy per 万元 falls over time
    energy = revs * intensity
    va = revs * rng.uniform(0.2, 0.35, k)[:, None]
    emis = energy * rng.uniform(0.002, 0.01, k)[:, None]
    rdshare = np.where(rng.random(k) < 0.15, 0.0, rng.uniform(0.004, 0.04, k))[:, None]
    rd = revs * rdshare
    prod = rng.uniform(80, 220, k)[:, None]
    emp = np.where(stopped, np.maximum(1, (base / prod * 0.05)), np.maximum(5, revs / prod))
    elec_base = np.maximum(base * intensity * rng.uniform(2.0, 5.0, k)[:, None], 1.0)
    elec = np.where(stopped, elec_base * rng.uniform(0.001, 0.01, (k, len(YEARS))), energy * rng.uniform(2.0, 5.0, k)[:, None])
    fai25 = E["fai2025"].to_numpy()[idx][:, None]
    step = rng.uniform(0.0, 0.08, (k, len(YEARS)))
    step[:, -1] = 0.0
    frac = np.cumprod(np.concatenate([np.ones((k, 1)), 1 - step[:, :0:-1]], axis=1), axis=1)[:, ::-1]
    fai = fai25 * frac  # non-decreasing, equal to fai2025 in 2025
    above = E["above_scale"].to_numpy()[idx]
    rd_inst_year = np.where(above & (rng.random(k) < 0.45), rng.integers(2018, 2026, k), 9999)[:, None]
    rd_inst = Y >= rd_inst_year
    out = pd.DataFrame({
        "uscc": np.repeat(E["uscc"].to_numpy()[idx], len(YEARS)),
        "year": Y.ravel(),
        "revenue_wan": np.round(revs.ravel(), 2),
        "tax_wan": np.round(taxs.ravel(), 2),
        "value_added_wan": np.round(va.ravel() * (revs.ravel() > 0), 2),
        "energy_tce": np.round(energy.ravel(), 2),
        "emission_t": np.round(emis.ravel(), 3),
        "rd_expense_wan": np.round(rd.ravel(), 2),
        "employees": np.round(emp.ravel()).astype(int),
        "fixed_asset_investment_wan": np.round(fai.ravel(), 1),
        "electricity_mwh": np.round(elec.ravel(), 1),
        "has_rd_institution": rd_inst.ravel().astype(int),
    })
    out = out[present.ravel()].reset_index(drop=True)
    return out
