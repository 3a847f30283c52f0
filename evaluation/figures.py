"""The figures of one year (a step of :func:`evaluation.pipeline.evaluate_year`): parcels,
enterprises, zones, pilot areas, the province, standard factories.

The sub-steps, each in its own module:

1. the state of the land at the as-of date — holder and granted use (``land_rights``), existence
   (splits, merges), zone membership (extensions), the pilot area managing each zone
   (:mod:`evaluation.state`); area, industrial land, statutory idle land and life-cycle stage
   (:mod:`evaluation.lifecycle`);
2. the land each enterprise used during the year, weighted by days, and the spread of its output
   over the developed industrial land it used (:mod:`evaluation.allocation`);
3. per-mu and efficiency indicators on the reported basis — land whose users did not report leaves
   numerator and denominator; coverage says how much (:mod:`evaluation.indicators`);
4. the +15 % check against the baseline year, computed from the same inputs, the baseline on the
   baseline year's own state (:mod:`evaluation.growth`);
5. standard-factory occupancy, an as-of snapshot (:mod:`evaluation.occupancy`).

The as-of date (default 31 December of the year) fixes the state, the stages, the idle status and
the occupancy; output is attributed over 1 January to the as-of date. The baseline year is always
evaluated as of 31 December of that year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from evaluation.allocation import enterprise_land, parcel_floor_area, reported_shares, restrict_to, spread_output, year_uses
from evaluation.growth import growth_table
from evaluation.indicators import (
    VALUE_COLUMNS,
    area_totals,
    enterprise_ratios,
    enterprise_values,
    group_codes,
    parcel_form,
    per_mu,
    ratio,
)
from evaluation.ledger import extend_start
from evaluation.lifecycle import (
    as_timestamp,
    developed_mask,
    idle_status,
    is_industrial,
    parcel_area,
    parcel_stages,
    supplied_from,
)
from evaluation.occupancy import area_occupancy, building_occupancy
from evaluation.state import direct_pilot, parcel_presence, pilot_names, rights_periods, state_at
from landuse.core.contract import PROVINCE, layer
from landuse.core.dtypes import conform
from landuse.core.policy import Policy


@dataclass(frozen=True)
class ParcelYear:
    """Parcel-level evaluation of one year at one as-of date.

    ``parcels``: indexed by parcel_code, every parcel of the inputs with the parcel_results columns
    plus ``exists`` and ``in_zone`` (at the as-of date), ``area_m2``, ``floor_area_m2``,
    ``footprint_area_m2``, ``supplied`` and the reported land per item (``reported_mu``,
    ``va_reported_mu``, ``inv_reported_mu``); ``idle``: :func:`idle_status`; ``uses``:
    :func:`year_uses`; ``values``: enterprise values of the year (index uscc, only firms with a
    row); ``problems``: data problems found (layer, key, code, message).
    """

    year: int
    as_of: pd.Timestamp
    parcels: pd.DataFrame
    idle: pd.DataFrame
    uses: pd.DataFrame
    values: pd.DataFrame
    problems: pd.DataFrame

    @property
    def counted(self) -> pd.Series:
        """Parcels in the year's results: existing and in their zone at the as-of date."""
        return self.parcels["in_zone"]


def _frame(inputs: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    df = inputs.get(name)
    if df is None:
        return None
    if "geometry" in df.columns:
        df = df.drop(columns=["geometry"])  # a new frame; geometry is ignored
    return df


@dataclass(frozen=True)
class Static:
    """What does not depend on the year: area, floor area, the rights register as periods, the day
    each parcel is first supplied."""

    area: pd.DataFrame
    floor: pd.Series
    rights: pd.DataFrame
    supplied_from: pd.Series


def static_parts(inputs: Mapping[str, pd.DataFrame], policy: Policy) -> Static:
    parcels = _frame(inputs, "parcels")
    assert parcels is not None
    rights = rights_periods(parcels, _frame(inputs, "land_rights"))
    return Static(
        area=parcel_area(parcels, use_registered_area=policy.land.use_registered_area),
        floor=parcel_floor_area(parcels, _frame(inputs, "buildings")),
        rights=rights,
        supplied_from=supplied_from(parcels, rights),
    )


def evaluate_parcels(
    inputs: Mapping[str, pd.DataFrame], *, year: int, policy: Policy, as_of: date | pd.Timestamp | None = None,
    static: Static | None = None,
) -> ParcelYear:
    """Steps 1–3 for the parcels of one year (see the module docstring)."""
    as_of_ts = as_timestamp(as_of, year)
    window = (pd.Timestamp(year=int(year), month=1, day=1), as_of_ts + pd.Timedelta(days=1))
    wdays = max((window[1] - window[0]).days, 1)
    parcels = _frame(inputs, "parcels")
    assert parcels is not None
    ey = _frame(inputs, "enterprise_years")
    enterprises = _frame(inputs, "enterprises")
    static = static if static is not None else static_parts(inputs, policy)
    area, floor = static.area, static.floor

    idx = pd.Index(parcels["parcel_code"].astype(object).to_numpy(), name="parcel_code")
    presence = parcel_presence(parcels, as_of_ts)
    now = state_at(static.rights, idx, as_of_ts)
    p_now = parcels.assign(holder_uscc=now["holder_uscc"].to_numpy(), land_use_code=now["land_use_code"].to_numpy(),
                           land_use_scheme=now["land_use_scheme"].to_numpy())
    # the disposal ledger: an agreed new start date restarts the idle clock (evaluation.ledger)
    p_now = extend_start(p_now, _frame(inputs, "disposals"), as_of_ts)
    industrial = is_industrial(p_now, policy.land.industrial_codes)
    idle = idle_status(p_now, as_of=as_of_ts, policy=policy.idle, area_m2=area["area_m2"])
    # land taken back into the reserve (收回) is neither idle nor supplied while it is there
    recovered = now["recovered"]
    if recovered.any():
        idle = idle.copy()
        for c in ("idle", "fee_due", "takeback", "exempt"):
            if c in idle.columns:
                idle.loc[recovered.to_numpy(), c] = False
        if "missing_data" in idle.columns:
            idle.loc[recovered.to_numpy(), "missing_data"] = None
    supplied = (parcel_stages(p_now, as_of=as_of_ts) != "unsupplied") & ~recovered

    uses, problems = year_uses(
        parcel_index=idx, area_mu=area["area_mu"], rights=static.rights, supplied_from=static.supplied_from,
        exists=presence, leases=_frame(inputs, "leases"), buildings=_frame(inputs, "buildings"),
        floor_area=floor, window=window, method=policy.allocation.method,
    )
    empty_ey = pd.DataFrame({"uscc": pd.Series(dtype=object), "year": pd.Series(dtype="Int64")})
    values = enterprise_values(ey if ey is not None else empty_ey, year)
    rev = values["revenue_wan"]
    reported = rev.notna()

    used = uses[uses["days"] > 0] if len(uses) else uses
    rev_user = used["uscc"].map(rev).fillna(0.0) if len(used) else pd.Series(dtype="float64")
    producing = (rev_user > 0).groupby(used["parcel_code"].to_numpy()).any() if len(used) else pd.Series(dtype=bool)
    stage = parcel_stages(p_now, as_of=as_of_ts, producing=producing, idle=idle["idle"])
    stage = stage.where(~recovered, "recovered")
    exists = presence["exists"]
    developed = developed_mask(stage, industrial, stages=policy.developed.stages,
                               industrial_only=policy.developed.industrial_only) & exists

    # output belongs to the developed industrial land a firm used (else to all its land)
    spread_uses = restrict_to(uses, developed)
    spread = spread_output(spread_uses, values[list(VALUE_COLUMNS)], idx)
    has_user = pd.Series(idx.isin(used["parcel_code"]) if len(used) else np.zeros(len(idx), bool), index=idx)
    life = pd.Series(np.clip(((np.minimum(presence["exists_end"].to_numpy("datetime64[ns]"), window[1].to_datetime64())
                               - np.maximum(presence["exists_start"].to_numpy("datetime64[ns]"), window[0].to_datetime64()))
                              / np.timedelta64(1, "D")) / wdays, 0.0, 1.0), index=idx)
    unrep = reported_shares(used, idx, area["area_mu"], life, reported)
    unrep_va = reported_shares(used, idx, area["area_mu"], life, values["value_added_wan"].notna())
    unrep_inv = reported_shares(used, idx, area["area_mu"], life, values["investment_wan"].notna())
    all_reported = unrep <= 1e-12
    for c in ("revenue_wan", "tax_wan"):
        # nobody used it, or every user reported: what is not there is zero; otherwise missing
        spread[c] = spread[c].where(spread[c].notna() | ~(all_reported | ~has_user), 0.0)
    area_mu = area["area_mu"]
    reported_mu = area_mu * (1.0 - unrep)
    status = np.select(
        [~has_user.to_numpy(), unrep.to_numpy() >= 1 - 1e-12, unrep.to_numpy() > 1e-12,
         (spread["revenue_wan"].fillna(0.0) <= 0).to_numpy()],
        ["no_user", "not_reported", "partly_reported", "reported_zero"], default="reported").astype(object)

    n_users = used.groupby("parcel_code")["uscc"].nunique().reindex(idx).fillna(0).astype("int64") if len(used) \
        else pd.Series(0, index=idx)
    holder = now["holder_uscc"]
    names = (
        pd.Series(enterprises["name"].astype(object).to_numpy(), index=enterprises["uscc"].astype(object).to_numpy())
        if enterprises is not None and len(enterprises)
        else pd.Series(dtype=object)
    )
    names = names[~names.index.duplicated()]
    footprint = (
        pd.Series(pd.to_numeric(parcels["footprint_area_m2"], errors="coerce").to_numpy(dtype="float64"), index=idx)
        if "footprint_area_m2" in parcels.columns
        else pd.Series(np.nan, index=idx)
    )
    out = pd.DataFrame(
        {
            "parcel_code": idx.to_numpy(),
            "zone_code": parcels["zone_code"].astype(object).to_numpy(),
            "year": int(year),
            "area_mu": area_mu,
            "area_m2": area["area_m2"],
            "area_source": area["area_source"],
            "geodesic_area_mu": area["geodesic_area_mu"],
            "exists": exists,
            "in_zone": presence["in_zone"],
            "developed": developed,
            "industrial": industrial,
            "stage": stage,
            "supplied": supplied,
            "holder_uscc": holder,
            "holder_name": holder.map(names),
            "n_users": n_users,
            "floor_area_m2": floor,
            "footprint_area_m2": footprint,
            "output_status": status,
            "reported_share": 1.0 - unrep,
            "reported_mu": reported_mu,
            "va_reported_mu": area_mu * (1.0 - unrep_va),
            "inv_reported_mu": area_mu * (1.0 - unrep_inv),
        },
        index=idx,
    )
    out = pd.concat([out, spread], axis=1)
    out["no_enterprise"] = developed & ~has_user
    per = pd.DataFrame({"revenue_per_mu": ratio(out["revenue_wan"], out["reported_mu"]),
                        "tax_per_mu": ratio(out["tax_wan"], out["reported_mu"]),
                        "value_added_per_mu": ratio(out["value_added_wan"], out["va_reported_mu"]),
                        "investment_per_mu": ratio(out["investment_wan"], out["inv_reported_mu"])}, index=idx)
    out = pd.concat([out, per, parcel_form(area_mu, floor, footprint)], axis=1)
    return ParcelYear(int(year), as_of_ts, out, idle, uses, values, problems)


def _zone_table(zones: pd.DataFrame | None, parcels: pd.DataFrame, pilot: pd.Series, pnames: pd.Series) -> pd.DataFrame:
    """zone_code → zone_name, pilot_area_code (managing it directly at the date), pilot_area_name,
    county_code (zones ∪ parcels' zones)."""
    cols = ["zone_name", "county_code"]
    if zones is not None and len(zones):
        z = pd.DataFrame(
            {c: (zones[c].astype(object).to_numpy() if c in zones.columns else None) for c in cols},
            index=pd.Index(zones["zone_code"].astype(object).to_numpy(), name="zone_code"),
        )
        z = z[~z.index.duplicated()]
    else:
        z = pd.DataFrame(columns=cols, index=pd.Index([], name="zone_code", dtype=object), dtype=object)
    extra = pd.Index(parcels["zone_code"].dropna().astype(object).unique()).difference(z.index)
    if len(extra):
        z = pd.concat([z, pd.DataFrame(None, index=pd.Index(extra, name="zone_code"), columns=cols, dtype=object)])
    z["pilot_area_code"] = pilot.reindex(z.index).astype(object).where(lambda v: v.notna(), None)
    z["pilot_area_name"] = z["pilot_area_code"].map(pnames)
    return z.sort_index()


def _levels(py: ParcelYear, zt: pd.DataFrame, indexes: dict[str, pd.Index]) -> dict[str, np.ndarray]:
    """Each parcel's group code at the zone, pilot-area and province levels: parcels not in their
    zone count only at the province level (as land outside the zones)."""
    zc = py.parcels["zone_code"]
    in_zone = py.parcels["in_zone"].to_numpy(dtype=bool)
    exists = py.parcels["exists"].to_numpy(dtype=bool)
    z = np.where(in_zone, group_codes(zc, indexes["zone"]), -1)
    p = np.where(in_zone, group_codes(zc.map(zt["pilot_area_code"]), indexes["pilot"]), -1)
    prov = np.where(exists, 0, -1)
    return {"zone": z, "pilot": p, "province": prov}


@dataclass(frozen=True)
class Figures:
    """The figures of one year: the results layers (contract columns and dtypes, no geometry; score,
    grade, flag, intensive-use and quota columns empty for the later steps), the parcel-level
    evaluation they came from (idle status, land uses) and the data problems met on the way."""

    parcel_results: pd.DataFrame
    enterprise_results: pd.DataFrame
    zone_results: pd.DataFrame
    pilot_area_results: pd.DataFrame
    building_results: pd.DataFrame
    current: ParcelYear
    problems: pd.DataFrame


def year_figures(inputs: Mapping[str, pd.DataFrame], *, year: int, policy: Policy, static: Static,
                 baseline: ParcelYear | Callable[[], ParcelYear],
                 as_of: date | pd.Timestamp | None = None) -> Figures:
    """Evaluate ``year`` (as of ``as_of``, default 31 December of ``year``) against ``baseline`` (the
    baseline year's parcel evaluation, as of its 31 December), or a function giving it, called once
    this year's parcels are evaluated (for a year after the baseline's: the baseline may still be
    on its way from the store)."""
    year = int(year)
    cur: ParcelYear | None = None
    if callable(baseline):
        cur = evaluate_parcels(inputs, year=year, policy=policy, as_of=as_of, static=static)
        baseline = baseline()
    elif baseline.year == year and baseline.as_of == as_timestamp(as_of, year):
        cur = baseline  # the baseline year itself: its parcels are evaluated once
    if cur is None:
        cur = evaluate_parcels(inputs, year=year, policy=policy, as_of=as_of, static=static)
    base = cur if (baseline.year == year and cur.as_of == baseline.as_of) else baseline

    zones = _frame(inputs, "zones")
    parcels_in = _frame(inputs, "parcels")
    assert parcels_in is not None
    paz = _frame(inputs, "pilot_area_zones")
    pilot = direct_pilot(zones, paz, cur.as_of)
    zt = _zone_table(zones, parcels_in, pilot, pilot_names(zones, paz))
    pilot_codes = _pilot_codes(zt, _frame(inputs, "pilot_area_years"), paz)

    # ------------------------------------------------------------------ areas: sums and growth
    indexes = {"zone": zt.index, "pilot": pilot_codes, "province": pd.Index([PROVINCE])}
    lv_cur = _levels(cur, zt, indexes)
    # the baseline covers the same zones (a pilot area's baseline: the zones it manages this year)
    lv_base = lv_cur if base is cur else _levels(base, zt, indexes)
    common = (cur.parcels["developed"] & cur.parcels["in_zone"]
              & (base.parcels["developed"] & base.parcels["in_zone"]).reindex(cur.parcels.index).fillna(False).astype(bool))
    like_cur = cur.parcels.assign(developed=common)
    like_base = base.parcels.reindex(cur.parcels.index).assign(developed=common, in_zone=common)
    threshold = float(policy.growth.coverage_threshold)
    area_frames = {}
    for lvl, index in indexes.items():
        t_cur = area_totals(cur.parcels, lv_cur[lvl], index)
        t_base = area_totals(base.parcels, lv_base[lvl], index)
        lc = area_totals(like_cur, lv_cur[lvl], index)
        lb = area_totals(like_base, lv_cur[lvl], index)
        gr = growth_table(t_cur, t_base, year=year, policy=policy.growth, like_current=lc, like_baseline=lb,
                          coverage_threshold=threshold)
        area_frames[lvl] = pd.concat([t_cur.drop(columns=["reported_mu"]), gr], axis=1)

    # firms with output and no land at all (reported on the province row)
    linked = set(cur.uses.loc[cur.uses["days"] > 0, "uscc"]) if len(cur.uses) else set()
    v = cur.values
    unlinked = float(v.loc[~v.index.isin(list(linked)), "revenue_wan"].sum(min_count=1)) if len(v) else np.nan
    area_frames["province"]["unlinked_revenue_wan"] = unlinked if not np.isnan(unlinked) else 0.0

    # ------------------------------------------------------------------ official figures beside
    for lvl, frame in area_frames.items():
        frame[["reported_developed_mu", "reported_revenue_wan", "reported_revenue_per_mu"]] = _official(
            _frame(inputs, "zone_years"), year, lvl, zt, frame.index)

    # ------------------------------------------------------------------ standard factories
    buildings = _frame(inputs, "buildings")
    bo = building_occupancy(buildings, _frame(inputs, "leases"), as_of=cur.as_of)
    b_parcel = bo["parcel_code"]
    b_in = b_parcel.map(cur.parcels["in_zone"]).fillna(False).astype(bool)
    b_zone = b_parcel.map(cur.parcels["zone_code"]).astype(object)
    b_zone_in = b_zone.where(b_in, None)
    b_groups = {"zone": b_zone_in, "pilot": b_zone_in.map(zt["pilot_area_code"]),
                "province": pd.Series(PROVINCE, index=bo.index).where(b_in, None)}
    for lvl, index in indexes.items():
        occ = area_occupancy(bo, b_groups[lvl], target=policy.occupancy.target, index=index)
        area_frames[lvl] = pd.concat([area_frames[lvl], occ], axis=1)

    # ------------------------------------------------------------------ enterprises
    ent = _enterprise_results(inputs, cur, zt)

    meta = {"policy_version": policy.version, "policy_hash": policy.hash}

    kept = cur.parcels[cur.parcels["in_zone"]]
    parcel_results = _conform(kept.reset_index(drop=True), "parcel_results", meta)

    z = area_frames["zone"]
    z = z.assign(zone_name=zt["zone_name"], pilot_area_code=zt["pilot_area_code"], year=year)
    zone_results = _conform(z.rename_axis("zone_code").reset_index(), "zone_results", meta)

    pa = area_frames["pilot"]
    pa = pd.concat([pa, area_frames["province"]])
    pa.index.name = "pilot_area_code"
    pa = pa.assign(year=year)
    pa = pa.join(_pilot_extras(inputs, year, zt, ent, pa.index))
    pa_names = pilot_names(zones, paz)
    pa["pilot_area_name"] = pa.index.map(lambda c: "全省 / province" if c == PROVINCE else pa_names.get(c))
    pilot_area_results = _conform(pa.reset_index(), "pilot_area_results", meta)

    bo = bo.assign(zone_code=b_zone, year=year, as_of=cur.as_of)
    building_results = _conform(bo.rename_axis("building_code").reset_index(), "building_results", meta)

    enterprise_results = _conform(ent.reset_index(), "enterprise_results", meta)
    return Figures(parcel_results, enterprise_results, zone_results, pilot_area_results, building_results,
                   cur, cur.problems)


def _official(zone_years: pd.DataFrame | None, year: int, level: str, zt: pd.DataFrame,
              index: pd.Index) -> pd.DataFrame:
    """The figures zones report officially (zone_years, whole-zone rows), per unit: developed mu,
    revenue and their ratio — for a pilot area or the province a ratio of sums over its zones that
    report both."""
    cols = ["reported_developed_mu", "reported_revenue_wan", "reported_revenue_per_mu"]
    empty = pd.DataFrame(np.nan, index=index, columns=cols)
    if zone_years is None or not len(zone_years):
        return empty
    zy = zone_years[pd.to_numeric(zone_years["year"], errors="coerce").to_numpy() == int(year)]
    if "range" in zy.columns:
        zy = zy[zy["range"].isna() | (zy["range"].astype(str).str.strip() == "")]
    if zy.empty:
        return empty
    zy = zy.drop_duplicates("zone_code").set_index("zone_code")
    mu = pd.to_numeric(zy.get("reported_developed_mu"), errors="coerce")
    rev = pd.to_numeric(zy.get("reported_revenue_wan"), errors="coerce")
    if level == "zone":
        out = pd.DataFrame({"reported_developed_mu": mu, "reported_revenue_wan": rev}).reindex(index)
    else:
        both = mu.notna() & rev.notna()
        grp = zt["pilot_area_code"].reindex(zy.index) if level == "pilot" else pd.Series(PROVINCE, index=zy.index)
        d = pd.DataFrame({"mu": mu.where(both), "rev": rev.where(both), "g": grp})
        s = d.dropna(subset=["g"]).groupby("g")[["mu", "rev"]].sum(min_count=1)
        out = pd.DataFrame({"reported_developed_mu": s["mu"], "reported_revenue_wan": s["rev"]}).reindex(index)
    out["reported_revenue_per_mu"] = ratio(out["reported_revenue_wan"], out["reported_developed_mu"])
    return out[cols]


def _pilot_codes(zt: pd.DataFrame, pay: pd.DataFrame | None, paz: pd.DataFrame | None) -> pd.Index:
    codes = set(zt["pilot_area_code"].dropna().astype(str))
    for df in (pay, paz):
        if df is not None and len(df):
            codes |= set(df["pilot_area_code"].dropna().astype(str))
    codes.discard(PROVINCE)
    return pd.Index(sorted(codes), dtype=object)


def _enterprise_results(inputs: Mapping[str, pd.DataFrame], py: ParcelYear, zt: pd.DataFrame) -> pd.DataFrame:
    enterprises = _frame(inputs, "enterprises")
    values = py.values
    if enterprises is not None and len(enterprises):
        e = enterprises.drop_duplicates("uscc")
        info = pd.DataFrame(
            {
                "name": e["name"].astype(object).to_numpy(),
                "industry_code": e["industry_code"].astype(object).to_numpy() if "industry_code" in e.columns else None,
                "above_scale": e["above_scale"].astype("boolean").array if "above_scale" in e.columns else pd.NA,
            },
            index=pd.Index(e["uscc"].astype(object).to_numpy(), name="uscc"),
        )
    else:
        info = pd.DataFrame(columns=["name", "industry_code", "above_scale"], index=pd.Index([], name="uscc", dtype=object))
    idx = info.index.append(values.index.difference(info.index))
    idx = pd.Index(idx.astype(object), name="uscc")
    out = info.reindex(idx)
    used = py.uses[py.uses["days"] > 0] if len(py.uses) else py.uses
    land = enterprise_land(used).reindex(idx)
    linked = pd.Series(idx.isin(used["uscc"]) if len(used) else np.zeros(len(idx), bool), index=idx)
    out["linked"] = linked
    for c in ("land_mu", "own_land_mu", "leased_land_mu"):
        out[c] = land[c].fillna(0.0)
    v = values.reindex(idx)
    for c in VALUE_COLUMNS:
        out[c] = v[c]
    out = pd.concat([out, per_mu(out, "land_mu"), enterprise_ratios(v)], axis=1)
    out["year"] = py.year
    # main zone: the zone of the largest share of the enterprise's land (of its output spread);
    # ties go to the zone whose code sorts first
    if len(py.uses):
        zone = py.uses["parcel_code"].map(py.parcels["zone_code"])
        zc, zuniq = pd.factorize(zone, sort=True)
        uc = idx.get_indexer(py.uses["uscc"])
        ok = (zc >= 0) & (uc >= 0)
        nz = max(len(zuniq), 1)
        key = uc[ok].astype("int64") * nz + zc[ok]
        kk, kuniq = pd.factorize(key)
        tot = np.bincount(kk, weights=py.uses["share"].to_numpy()[ok], minlength=len(kuniq))
        ku = kuniq // nz
        kz = kuniq % nz
        order = np.lexsort((kz, -tot, ku))  # by enterprise, largest share first, then zone code
        first = order[np.r_[True, ku[order][1:] != ku[order][:-1]]] if len(order) else order
        main = np.full(len(idx), None, dtype=object)
        main[ku[first]] = np.asarray(zuniq, dtype=object)[kz[first]]
        out["zone_code"] = main
    else:
        out["zone_code"] = None
    out["county_code"] = out["zone_code"].map(zt["county_code"])
    # keep the raw inputs for pilot-area shares (dropped by _conform)
    out["_rd_expense_wan"] = v["rd_expense_wan"]
    out["_has_rd_institution"] = v["has_rd_institution"]
    return out


def _pilot_extras(inputs, year: int, zt: pd.DataFrame, ent: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Pilot-area target figures: pass-through of pilot_area_years and the above-scale R&D shares."""
    out = pd.DataFrame(index=index)
    pay = _frame(inputs, "pilot_area_years")
    passthrough = ["digital_equipment_rate", "nc_equipment_rate", "energy_per_va_change_pct", "circular_transformation_rate"]
    if pay is not None and len(pay):
        py_ = pay.loc[pd.to_numeric(pay["year"], errors="coerce").to_numpy() == year]
        py_ = py_.drop_duplicates("pilot_area_code").set_index(py_["pilot_area_code"].astype(object).to_numpy())
        for c in passthrough:
            out[c] = pd.to_numeric(py_[c], errors="coerce").reindex(index) if c in py_.columns else np.nan
        gdp = pd.to_numeric(py_["gdp_wan"], errors="coerce") if "gdp_wan" in py_.columns else pd.Series(np.nan, index=py_.index)
        iva = (
            pd.to_numeric(py_["industrial_value_added_wan"], errors="coerce")
            if "industrial_value_added_wan" in py_.columns
            else pd.Series(np.nan, index=py_.index)
        )
        out["va_gdp_share"] = ratio(iva, gdp).reindex(index)
    else:
        for c in [*passthrough, "va_gdp_share"]:
            out[c] = np.nan
    # R&D of above-scale firms / their revenue; share of above-scale firms with an R&D institution
    e = ent.loc[ent["above_scale"].fillna(False).to_numpy(dtype=bool)]
    pilot = e["zone_code"].map(zt["pilot_area_code"])
    both = e["_rd_expense_wan"].notna() & e["revenue_wan"].notna()
    frames = []
    for grp in (pilot, pd.Series(PROVINCE, index=e.index)):
        g = grp.to_numpy()
        k = pd.notna(g)
        rd = e["_rd_expense_wan"].where(both).to_numpy()[k]
        rev = e["revenue_wan"].where(both).to_numpy()[k]
        inst = e["_has_rd_institution"].astype("float64").to_numpy()[k]
        df = pd.DataFrame({"rd": rd, "rev": rev, "inst": inst}).groupby(g[k])
        s = df.sum(min_count=1)
        frames.append(pd.DataFrame({"rd_share": ratio(s["rd"], s["rev"]), "rd_institution_share": df["inst"].mean()}))
    shares = pd.concat(frames)
    shares = shares[~shares.index.duplicated()]
    out["rd_share"] = shares["rd_share"].reindex(index)
    out["rd_institution_share"] = shares["rd_institution_share"].reindex(index)
    return out


def _conform(df: pd.DataFrame, layer_name: str, meta: dict[str, str]) -> pd.DataFrame:
    """The columns of ``layer_name`` (no geometry) in order, with the contract dtypes."""
    return conform(df, layer(layer_name), meta)
