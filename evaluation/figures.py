"""The figures of one year (a step of :func:`evaluation.pipeline.evaluate_year`): parcels,
enterprises, zones, pilot areas, the province, standard factories.

The sub-steps, each in its own module:

1. area, industrial land, statutory idle land and life-cycle stage (:mod:`evaluation.lifecycle`);
2. the land each enterprise uses at the as-of date and the spread of its output over that land
   (:mod:`evaluation.allocation`);
3. per-mu and efficiency indicators (:mod:`evaluation.indicators`);
4. the +15 % check against the baseline year, computed from the same inputs (:mod:`evaluation.growth`);
5. standard-factory occupancy (:mod:`evaluation.occupancy`).

The as-of date (default 31 December of the year) fixes the stages, the idle status, the leases in
force and the occupancy. The baseline year is always evaluated as of 31 December of that year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from evaluation.allocation import enterprise_land, land_uses, parcel_floor_area, spread_output
from evaluation.growth import growth_table
from evaluation.indicators import (
    VALUE_COLUMNS,
    ZERO_WHEN_EMPTY,
    area_totals,
    enterprise_ratios,
    enterprise_values,
    group_codes,
    parcel_form,
    per_mu,
    ratio,
)
from evaluation.lifecycle import (
    as_timestamp,
    developed_mask,
    idle_status,
    is_industrial,
    parcel_area,
    parcel_stages,
    year_end,
)
from evaluation.occupancy import area_occupancy, building_occupancy
from landuse.core.contract import PROVINCE, layer
from landuse.core.dtypes import conform
from landuse.core.policy import Policy

@dataclass(frozen=True)
class ParcelYear:
    """Parcel-level evaluation of one year at one as-of date (internal, also useful to callers).

    ``parcels``: indexed by parcel_code, the parcel_results columns plus ``area_m2``,
    ``floor_area_m2``, ``footprint_area_m2``, ``supplied``; ``idle``: :func:`idle_status`;
    ``uses``: :func:`land_uses`; ``values``: enterprise values of the year (index uscc);
    ``problems``: data problems found (layer, key, code, message).
    """

    year: int
    as_of: pd.Timestamp
    parcels: pd.DataFrame
    idle: pd.DataFrame
    uses: pd.DataFrame
    values: pd.DataFrame
    problems: pd.DataFrame


def _frame(inputs: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    df = inputs.get(name)
    if df is None:
        return None
    if "geometry" in df.columns:
        df = df.drop(columns=["geometry"])  # a new frame; geometry is ignored
    return df


@dataclass(frozen=True)
class Static:
    """What does not depend on the year: area, industrial land, floor area per parcel."""

    area: pd.DataFrame
    industrial: pd.Series
    floor: pd.Series


def static_parts(inputs: Mapping[str, pd.DataFrame], policy: Policy) -> Static:
    parcels = _frame(inputs, "parcels")
    assert parcels is not None
    return Static(
        area=parcel_area(parcels, use_registered_area=policy.land.use_registered_area),
        industrial=is_industrial(parcels, policy.land.industrial_codes),
        floor=parcel_floor_area(parcels, _frame(inputs, "buildings")),
    )


def evaluate_parcels(
    inputs: Mapping[str, pd.DataFrame], *, year: int, policy: Policy, as_of: date | pd.Timestamp | None = None,
    static: Static | None = None,
) -> ParcelYear:
    """Steps 1–3 for the parcels of one year (see the module docstring)."""
    as_of_ts = as_timestamp(as_of, year)
    parcels = _frame(inputs, "parcels")
    buildings = _frame(inputs, "buildings")
    leases = _frame(inputs, "leases")
    ey = _frame(inputs, "enterprise_years")
    enterprises = _frame(inputs, "enterprises")

    idx = pd.Index(parcels["parcel_code"].astype(object).to_numpy(), name="parcel_code")
    static = static if static is not None else static_parts(inputs, policy)
    area, industrial, floor = static.area, static.industrial, static.floor
    idle = idle_status(parcels, as_of=as_of_ts, policy=policy.idle, area_m2=area["area_m2"])
    supplied = parcel_stages(parcels, as_of=as_of_ts) != "unsupplied"

    uses, problems = land_uses(
        parcels, area_mu=area["area_mu"], leases=leases, buildings=buildings, as_of=as_of_ts,
        method=policy.allocation.method, eligible=supplied, floor_area=floor,
    )
    values = enterprise_values(ey, year) if ey is not None else enterprise_values(
        pd.DataFrame({"uscc": pd.Series(dtype=object), "year": pd.Series(dtype="Int64")}), year
    )
    spread = spread_output(uses, values[list(VALUE_COLUMNS)], idx)
    for c in ZERO_WHEN_EMPTY:
        spread[c] = spread[c].fillna(0.0)

    rev_user = uses["uscc"].map(values["revenue_wan"]).fillna(0.0) if len(uses) else pd.Series(dtype="float64")
    producing = (rev_user > 0).groupby(uses["parcel_code"].to_numpy()).any() if len(uses) else pd.Series(dtype=bool)
    stage = parcel_stages(parcels, as_of=as_of_ts, producing=producing, idle=idle["idle"])
    developed = developed_mask(
        stage, industrial, stages=policy.developed.stages, industrial_only=policy.developed.industrial_only
    )
    n_users = uses.groupby("parcel_code")["uscc"].nunique().reindex(idx).fillna(0).astype("int64") if len(uses) else pd.Series(0, index=idx)

    holder = parcels["holder_uscc"].astype(object).to_numpy() if "holder_uscc" in parcels.columns else np.full(len(idx), None, dtype=object)
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
            "area_mu": area["area_mu"],
            "area_m2": area["area_m2"],
            "area_source": area["area_source"],
            "geodesic_area_mu": area["geodesic_area_mu"],
            "developed": developed,
            "industrial": industrial,
            "stage": stage,
            "supplied": supplied,
            "holder_uscc": holder,
            "holder_name": pd.Series(holder, index=idx).map(names),
            "n_users": n_users,
            "floor_area_m2": floor,
            "footprint_area_m2": footprint,
        },
        index=idx,
    )
    out = pd.concat([out, spread], axis=1)
    out["no_enterprise"] = developed & ~(out["revenue_wan"] > 0)
    out = pd.concat([out, per_mu(out, "area_mu"), parcel_form(out["area_mu"], floor, footprint)], axis=1)
    return ParcelYear(int(year), as_of_ts, out, idle, uses, values, problems)


def _zone_table(zones: pd.DataFrame | None, parcels: pd.DataFrame) -> pd.DataFrame:
    """zone_code → zone_name, pilot_area_code, pilot_area_name, county_code (zones ∪ parcels' zones)."""
    cols = ["zone_name", "pilot_area_code", "pilot_area_name", "county_code"]
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
    return z.sort_index()


def _area_levels(py: ParcelYear, zt: pd.DataFrame) -> dict[str, pd.Series]:
    """Each parcel's group at the zone, pilot-area and province levels (aligned with py.parcels rows)."""
    zc = py.parcels["zone_code"]
    return {
        "zone": zc,
        "pilot": zc.map(zt["pilot_area_code"]),
        "province": pd.Series(PROVINCE, index=zc.index, dtype=object),
    }


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
                 baseline: ParcelYear, as_of: date | pd.Timestamp | None = None) -> Figures:
    """Evaluate ``year`` (as of ``as_of``, default 31 December of ``year``) against ``baseline`` (the
    baseline year's parcel evaluation, as of its 31 December)."""
    year = int(year)
    cur = evaluate_parcels(inputs, year=year, policy=policy, as_of=as_of, static=static)
    base = cur if (baseline.year == year and cur.as_of == baseline.as_of) else baseline

    zones = _frame(inputs, "zones")
    parcels_in = _frame(inputs, "parcels")
    zt = _zone_table(zones, parcels_in)
    pilot_codes = _pilot_codes(zt, _frame(inputs, "pilot_area_years"))

    # ------------------------------------------------------------------ areas: sums and growth
    lv_cur = _area_levels(cur, zt)
    lv_base = _area_levels(base, zt)
    common = cur.parcels["developed"] & base.parcels["developed"].reindex(cur.parcels.index).fillna(False).astype(bool)
    like_cur = cur.parcels.assign(developed=common)
    like_base = base.parcels.reindex(cur.parcels.index).assign(developed=common)
    indexes = {"zone": zt.index, "pilot": pilot_codes, "province": pd.Index([PROVINCE])}
    area_frames = {}
    for lvl, index in indexes.items():
        c_cur = group_codes(lv_cur[lvl], index)
        c_base = c_cur if base is cur else group_codes(lv_base[lvl], index)
        t_cur = area_totals(cur.parcels, c_cur, index)
        t_base = area_totals(base.parcels, c_base, index)
        lc = area_totals(like_cur, c_cur, index)
        lb = area_totals(like_base, c_cur, index)
        gr = growth_table(t_cur, t_base, year=year, policy=policy.growth, like_current=lc, like_baseline=lb)
        area_frames[lvl] = pd.concat([t_cur, gr], axis=1)

    # ------------------------------------------------------------------ standard factories
    buildings = _frame(inputs, "buildings")
    bo = building_occupancy(buildings, _frame(inputs, "leases"), as_of=cur.as_of)
    b_zone = bo["parcel_code"].map(cur.parcels["zone_code"]).astype(object)
    b_groups = {"zone": b_zone, "pilot": b_zone.map(zt["pilot_area_code"]), "province": pd.Series(PROVINCE, index=bo.index)}
    for lvl, index in indexes.items():
        occ = area_occupancy(bo, b_groups[lvl], target=policy.occupancy.target, index=index)
        area_frames[lvl] = pd.concat([area_frames[lvl], occ], axis=1)

    # ------------------------------------------------------------------ enterprises
    ent = _enterprise_results(inputs, cur, zt)

    meta = {"policy_version": policy.version, "policy_hash": policy.hash}

    parcel_results = _conform(cur.parcels.reset_index(drop=True), "parcel_results", meta)

    z = area_frames["zone"]
    z = z.assign(zone_name=zt["zone_name"], pilot_area_code=zt["pilot_area_code"], year=year)
    zone_results = _conform(z.rename_axis("zone_code").reset_index(), "zone_results", meta)

    pa = area_frames["pilot"]
    pa = pd.concat([pa, area_frames["province"]])
    pa.index.name = "pilot_area_code"
    pa = pa.assign(year=year)
    pa = pa.join(_pilot_extras(inputs, year, zt, ent, pa.index))
    pa_names = zt.dropna(subset=["pilot_area_code"]).drop_duplicates("pilot_area_code").set_index("pilot_area_code")["pilot_area_name"]
    pa["pilot_area_name"] = pa.index.map(lambda c: "全省 / province" if c == PROVINCE else pa_names.get(c))
    pilot_area_results = _conform(pa.reset_index(), "pilot_area_results", meta)

    bo = bo.assign(zone_code=b_zone, year=year, as_of=cur.as_of)
    building_results = _conform(bo.rename_axis("building_code").reset_index(), "building_results", meta)

    enterprise_results = _conform(ent.reset_index(), "enterprise_results", meta)
    return Figures(parcel_results, enterprise_results, zone_results, pilot_area_results, building_results,
                   cur, cur.problems)


def _pilot_codes(zt: pd.DataFrame, pay: pd.DataFrame | None) -> pd.Index:
    codes = set(zt["pilot_area_code"].dropna().astype(str))
    if pay is not None and len(pay):
        codes |= set(pay["pilot_area_code"].dropna().astype(str))
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
    land = enterprise_land(py.uses).reindex(idx)
    linked = pd.Series(idx.isin(py.uses["uscc"]) if len(py.uses) else np.zeros(len(idx), bool), index=idx)
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
