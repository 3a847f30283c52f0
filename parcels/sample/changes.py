"""What makes real zones differ from a static snapshot (docs/domain.md §11): rights change hands and
land is taken back, zones are extended, a parcel is split, firms report late or not at all, a county
pilot manages a zone inside a city pilot's territory, zones report official figures that differ a
little from the reconstruction, and firms report quarterly.

Applied after the ground truth of the planted flags is computed, on parcels the truth does not
name (so the planted flags stay right), with a random stream of its own (so the rest of the package
is unchanged by this module). Every change to a parcel is recorded in ``_truth.csv`` (the county pilot,
which names a zone, is in ``write_sample``'s summary under ``county_pilot``):

=====================  =========================================================================
truth                  meaning (detail)
=====================  =========================================================================
transfer               腾笼换鸟: the old holder until the date, the current one after; the old
                       holder reports the years it was there, the new one from its arrival
taken_back             收回: an idle parcel taken back into the reserve in 2024 (no holder since;
                       no idle flag in 2025)
extension              the parcel joined its zone's approved area on 2023-06-01 (扩区): not in the
                       zone's 2020 baseline
split                  a parcel retired on 2023-01-01, replaced by two successors (split_from)
not_reported           the holder has no 2025 row (late): its land leaves the 2025 per-mu figures
not_reported_baseline  the holder has no 2020 row: its land leaves the 2020 baseline
=====================  =========================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from landuse.core.units import M2_PER_MU
from parcels.sample.config import END, INDUSTRIAL_USE, YEARS, day, rand_dates

#: cumulative share of the year's figures at each period end (quarterly dispatch, half-year report)
PERIOD_SHARES = {"Q1": 0.23, "H1": 0.48, "Q3": 0.74}


def _normal_developed(F, T, L, B) -> np.ndarray:
    """Positions of developed industrial parcels that no truth row names, with one holder holding
    only that parcel, no lease and no building on it: safe to change."""
    industrial = np.array([(s, c) in INDUSTRIAL_USE for s, c in zip(F["scheme"], F["code"])])
    compl = F["compl"].to_numpy()
    developed = industrial & ~pd.isna(compl) & (compl <= day("2019-12-31"))
    named = F["parcel_code"].isin(set(T["parcel_code"])).to_numpy()
    leased = F["parcel_code"].isin(set(L["parcel_code"].dropna()) | set(B["parcel_code"])).to_numpy()
    holder = F["holder_uscc"]
    sole = holder.map(holder.value_counts()).fillna(0).to_numpy() == 1
    tenants = set(L["uscc"]) if len(L) else set()
    not_tenant = ~holder.isin(tenants).to_numpy()
    return np.flatnonzero(developed & ~named & ~leased & holder.notna().to_numpy() & sole & not_tenant)


def _pick(rng, pool: np.ndarray, n: int, taken: set) -> list[int]:
    free = np.array([i for i in pool if i not in taken], dtype=int)
    if not len(free):
        return []
    got = rng.choice(free, size=min(n, len(free)), replace=False).tolist()
    taken.update(got)
    return sorted(got)


def apply_changes(seed: int, F: pd.DataFrame, E: pd.DataFrame, Y: pd.DataFrame, L: pd.DataFrame,
                  B: pd.DataFrame, T: pd.DataFrame, specs: list[dict], geo: dict, ctx: dict) -> dict:
    """Change the generated package in place where noted; return the new layers and truth rows:
    ``land_rights``, ``pilot_area_zones``, ``zone_years``, ``enterprise_periods`` (frames), and the
    updated ``F``, ``E``, ``Y``, ``T`` and parcel geometries."""
    rng = np.random.default_rng([int(seed), 12])  # a stream of its own: the rest of the package is unchanged
    n = len(F)
    scale = max(1, n // 1000)
    truth: list[tuple[str, str, str]] = []
    taken: set[int] = set()
    pool = _normal_developed(F, T, L, B)
    for c in ("in_zone_from", "retired_date"):
        F[c] = np.datetime64("NaT", "D")
    F["predecessor_codes"] = None
    rights: list[dict] = []
    E = E.copy()
    Y = Y.copy()

    # ------------------------------------------------------------- transfers (腾笼换鸟)
    for i in _pick(rng, pool, 3 * scale, taken):
        code, new = F.at[i, "parcel_code"], F.at[i, "holder_uscc"]
        when = pd.Timestamp(rand_dates(rng, "2021-03-01", "2023-09-30", 1)[0])
        z = specs[int(F.at[i, "zone_i"])]
        old = ctx["new_uscc"](z["county_code"])
        row = E.loc[E["uscc"] == new].iloc[0].to_dict()
        row.update(uscc=old, name=ctx["make_name"](z["short"], ("机械", "化工", "纺织")), role="holder")
        E = pd.concat([E, pd.DataFrame([row])], ignore_index=True)
        E.loc[E["uscc"] == new, "production_start_date"] = np.datetime64(when.date(), "D")
        # the old firm reports the years it was there; the new one from its arrival
        base = Y[(Y["uscc"] == new) & (Y["year"] == 2020)]
        old_rows = []
        for y in range(2020, when.year + 1):
            r = base.iloc[0].to_dict() if len(base) else {"revenue_wan": 500.0, "tax_wan": 20.0}
            r.update(uscc=old, year=y)
            for col in ("revenue_wan", "tax_wan", "value_added_wan"):
                if col in r and pd.notna(r[col]):
                    r[col] = round(float(r[col]) * (1.0 + 0.02 * (y - 2020)) * float(rng.uniform(0.9, 1.1)), 2)
            old_rows.append(r)
        Y = Y[~((Y["uscc"] == new) & (Y["year"] < when.year))]
        Y = pd.concat([Y, pd.DataFrame(old_rows)], ignore_index=True)
        supply = F.at[i, "supply"]
        start = pd.Timestamp(supply).date().isoformat() if not pd.isna(supply) else "2010-01-01"
        rights += [{"parcel_code": code, "holder_uscc": old, "valid_from": start, "valid_to": when.date().isoformat(),
                    "event": "出让"},
                   {"parcel_code": code, "holder_uscc": new, "valid_from": when.date().isoformat(), "valid_to": None,
                    "event": "转让"}]
        truth.append((code, "transfer", f"{old} until {when.date()}, then {new}"))

    # ------------------------------------------------------------- take-backs (收回) of idle land
    idle = T.loc[T["truth"] == "idle_not_started", "parcel_code"].drop_duplicates()
    idle = idle[~idle.isin(T.loc[T["truth"] != "idle_not_started", "parcel_code"])]
    for code in sorted(rng.choice(idle.to_numpy(), size=min(2 * scale, len(idle)), replace=False).tolist()) if len(idle) else []:
        i = int(np.flatnonzero(F["parcel_code"].to_numpy() == code)[0])
        holder = F.at[i, "holder_uscc"]
        when = pd.Timestamp(rand_dates(rng, "2024-02-01", "2024-10-31", 1)[0]).date().isoformat()
        supply = F.at[i, "supply"]
        start = pd.Timestamp(supply).date().isoformat() if not pd.isna(supply) else "2015-01-01"
        rights += [{"parcel_code": code, "holder_uscc": holder, "valid_from": start, "valid_to": when, "event": "出让"},
                   {"parcel_code": code, "holder_uscc": None, "valid_from": when, "valid_to": None, "event": "收回"}]
        F.at[i, "holder_uscc"] = None
        T = T[T["parcel_code"] != code]
        truth.append((code, "taken_back", f"taken back on {when}"))

    # ------------------------------------------------------------- zone extensions (扩区)
    for zi in range(0, len(specs), 4):
        in_zone = np.flatnonzero(F["zone_i"].to_numpy() == zi)
        cand = np.array([i for i in pool if i in set(in_zone) and i not in taken], dtype=int)
        for i in _pick(rng, cand, max(2, len(in_zone) // 25), taken):
            F.at[i, "in_zone_from"] = day("2023-06-01")
            truth.append((F.at[i, "parcel_code"], "extension", "in zone from 2023-06-01"))

    # ------------------------------------------------------------- a split parcel
    geoms = list(geo["parcels"])
    new_rows = []
    for i in _pick(rng, pool, 1, taken):
        code = F.at[i, "parcel_code"]
        g = geoms[i]
        minx, miny, maxx, maxy = g.bounds
        cut = shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)
        parts = [shapely.intersection(g, cut), shapely.difference(g, cut)]
        tot = sum(p.area for p in parts)
        F.at[i, "retired_date"] = day("2023-01-01")
        for k, part in enumerate(parts, start=1):
            r = F.loc[i].to_dict()
            share = part.area / tot
            succ = f"{code[:-5]}{99990 + k:05d}"  # a new serial in the same 宗地代码 pattern
            r.update(parcel_code=succ, retired_date=np.datetime64("NaT", "D"), predecessor_codes=code)
            for c in ("registered_area_m2", "area", "floor_area_m2", "footprint_area_m2", "land_price_wan",
                      "office_area_m2"):
                if c in r and pd.notna(r[c]):
                    r[c] = round(float(r[c]) * share, 2)
            new_rows.append(r)
            geoms.append(part)
            truth.append((succ, "split", f"from {code} on 2023-01-01"))
        truth.append((code, "split", "retired on 2023-01-01"))
    if new_rows:
        F = pd.concat([F, pd.DataFrame(new_rows)], ignore_index=True)

    # ------------------------------------------------------------- late and missing figures
    # holders whose land earns about the zone's figure: their absence barely moves it
    rpm = F["rev_per_mu_2025"] if "rev_per_mu_2025" in F.columns else pd.Series(np.nan, index=F.index)
    zavg = rpm.groupby(F["zone_i"]).transform("median")
    near = np.flatnonzero(((rpm / zavg).between(0.85, 1.15)).to_numpy())
    for i in _pick(rng, np.intersect1d(pool, near), 4 * scale, taken):
        u = F.at[i, "holder_uscc"]
        Y = Y[~((Y["uscc"] == u) & (Y["year"] == 2025))]
        truth.append((F.at[i, "parcel_code"], "not_reported", f"{u}: no 2025 figures"))
    for i in _pick(rng, np.intersect1d(pool, near), 1 * scale, taken):
        u = F.at[i, "holder_uscc"]
        Y = Y[~((Y["uscc"] == u) & (Y["year"] == 2020))]
        truth.append((F.at[i, "parcel_code"], "not_reported_baseline", f"{u}: no 2020 figures"))

    # ------------------------------------------------------------- pilot areas: direct and territorial
    paz = []
    for s in specs:
        paz.append({"pilot_area_code": s["pilot_area_code"], "pilot_area_name": s["pilot_area_name"],
                    "zone_code": s["zone_code"], "role": "direct", "valid_from": None, "valid_to": None})
    by_pilot: dict[str, list[dict]] = {}
    for s in specs:
        by_pilot.setdefault(s["pilot_area_code"], []).append(s)
    city = next((c for c, zs in by_pilot.items() if len(zs) >= 2 and c.endswith("00")), None)
    if city is not None:
        z = by_pilot[city][-1]
        county = f"{city[:4]}{21 + len(by_pilot[city]):02d}"
        for r in paz:
            if r["zone_code"] == z["zone_code"]:
                r["role"] = "territorial"
        paz.append({"pilot_area_code": county, "pilot_area_name": f"{z['short']}县级试验区",
                    "zone_code": z["zone_code"], "role": "direct", "valid_from": None, "valid_to": None})
        county_pilot = {"zone_code": z["zone_code"], "direct": county, "territorial": city}
    else:
        county_pilot = None

    # ------------------------------------------------------------- official figures (开发区统计)
    area_mu = F["area"] / M2_PER_MU
    industrial = np.array([(s, c) in INDUSTRIAL_USE for s, c in zip(F["scheme"], F["code"])])
    holder_zone = pd.Series(F["zone_code"].to_numpy(), index=F["holder_uscc"]).dropna()
    holder_zone = holder_zone[~holder_zone.index.duplicated()]
    zy = []
    for y in YEARS.tolist():
        ye = np.datetime64(f"{int(y)}-12-31")
        compl = F["compl"].to_numpy()
        dev = industrial & ~pd.isna(compl) & (compl <= ye)
        dev_mu = area_mu[dev].groupby(F.loc[dev, "zone_code"]).sum()
        yy = Y[Y["year"] == y]
        rev = yy["revenue_wan"].groupby(yy["uscc"].map(holder_zone)).sum()
        for s in specs:
            zc = s["zone_code"]
            if zc not in dev_mu.index:
                continue
            zy.append({"zone_code": zc, "year": int(y), "range": None,
                       "reported_revenue_wan": round(float(rev.get(zc, 0.0)) * float(rng.uniform(0.96, 1.05)), 1),
                       "reported_developed_mu": round(float(dev_mu[zc]) * float(rng.uniform(0.97, 1.03)), 1)})

    # ------------------------------------------------------------- quarterly and half-year figures
    per = []
    for y in (2020, 2024, 2025):
        yy = Y[Y["year"] == y]
        for p, share in PERIOD_SHARES.items():
            if y == 2020 and p != "H1":
                continue
            f = share * rng.uniform(0.93, 1.07, len(yy))
            per.append(pd.DataFrame({"uscc": yy["uscc"].to_numpy(), "period": f"{y}{p}",
                                     "revenue_wan": np.round(yy["revenue_wan"].to_numpy() * f, 2),
                                     "tax_wan": np.round(yy["tax_wan"].to_numpy() * f, 2)}))
    periods = pd.concat(per, ignore_index=True) if per else pd.DataFrame()
    # a late firm reports its quarters late too
    late = {u for c, t, d in truth if t == "not_reported" for u in [d.split(":")[0]]}
    periods = periods[~(periods["uscc"].isin(late) & periods["period"].str.startswith("2025"))].reset_index(drop=True)

    T = pd.concat([T, pd.DataFrame(truth, columns=["parcel_code", "truth", "detail"])], ignore_index=True)
    geo = dict(geo)
    geo["parcels"] = np.asarray(geoms, dtype=object)
    return {"F": F, "E": E, "Y": Y.sort_values(["uscc", "year"], kind="stable").reset_index(drop=True), "T": T,
            "geo": geo, "land_rights": pd.DataFrame(rights), "pilot_area_zones": pd.DataFrame(paz),
            "zone_years": pd.DataFrame(zy), "enterprise_periods": periods, "county_pilot": county_pilot}


__all__ = ["apply_changes", "PERIOD_SHARES", "END"]
