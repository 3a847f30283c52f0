"""Land intensive-use evaluation of development zones (开发区土地集约利用评价), docs/domain.md §9, TD/T 1029.

Indicators per zone (areas in m² internally; rates as fractions; money per mu in 万元/亩):

=====================  =========================================================================
development_rate       土地开发率 = land ready to supply / zone area (zone ``geodesic_area_m2``)
supply_rate            土地供应率 = supplied land / land ready to supply
built_rate             土地建成率 = built land / supplied land
industrial_share       工业用地率 = built industrial+warehousing land / built land
residential_share      住宅用地占比 = residential land / built land (zone type only)
far_overall            综合容积率 = total floor area / built land
coverage_overall       建筑密度 = total footprint / built land
far_industrial         工业用地综合容积率 = floor area / area, built industrial parcels
coverage_industrial    工业用地建筑系数 = footprint / area, built industrial parcels
investment_intensity   工业用地固定资产投入强度 = Σ cumulative investment / built industrial mu
tax_per_industrial_mu  工业用地地均税收 = Σ tax / built industrial mu
tax_per_built_mu       综合地均税收 = total tax / built mu (产城融合型)
population_density     人口密度 = population / built km² (产城融合型)
idle_rate              土地闲置率 = idle land / supplied land (negative indicator)
=====================  =========================================================================

Sources and fallbacks (each zone's ``intensive_sources`` lists the fallbacks it used):

- parcel area: ``parcel_results.area_mu`` (registered area when the policy says so); else
  ``parcels.registered_area_m2``; else ``parcels.geodesic_area_m2``.
- supplied land: always from parcels, stage in ``intensive.supplied_stages`` (no zone column).
- land ready to supply: ``zones.ready_to_supply_m2``; else Σ area of every parcel of the zone
  (each recorded parcel is taken as ready to supply).
- built land: ``zones.built_land_m2``; else Σ area of parcels in ``intensive.built_stages``.
  Note: the zone column covers all land uses while the parcel layer holds industrial land, so rates
  mixing the two (built_rate) can exceed 1; the ideal-value score caps them at 1.
- residential land: ``zones.residential_land_m2``; else unknown (zone type decided on the
  industrial share alone).
- floor area / footprint for the overall FAR / density: ``zones.total_floor_area_m2`` /
  ``total_footprint_m2`` over built land; else a ratio of sums over built parcels whose floor area
  (footprint) is known. A parcel's floor area is ``parcels.floor_area_m2``, else
  ``parcel_results.floor_area_m2``, else ``far × area``; its footprint ``parcels.footprint_area_m2``,
  else ``building_coverage × area``.
- total tax: ``zones.total_tax_wan``; else Σ ``parcel_results.tax_wan`` over the zone's parcels.
- idle land: parcels with stage ``idle`` or a flag whose rule is in ``intensive.idle_rules``.

Score (集约度分值): each indicator scores min(value/ideal, 1) (min(ideal/value, 1) for negative
indicators; value 0 of a negative indicator scores 1); indicator weights are renormalised within
each target layer over the indicators that apply to the zone's type and have a value; layer
weights are renormalised over layers with a value; × 100. ``intensive_rank`` ranks the score
within zone type (1 = best, ties share the smallest rank).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.core.errors import LanduseError
from landuse.core.policy import Policy
from landuse.core.policy.scoring import INTENSIVE_INDICATORS
from landuse.core.units import M2_PER_MU

INDICATOR_COLUMNS = INTENSIVE_INDICATORS


class IntensiveError(LanduseError):
    """The inputs of the intensive-use evaluation are inconsistent."""


def _num(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def _single_year(frame: pd.DataFrame | None, year: int | None, what: str) -> pd.DataFrame | None:
    if frame is None or "year" not in frame.columns:
        return frame
    if year is not None:
        return frame[frame["year"] == year]
    years = frame["year"].dropna().unique()
    if len(years) > 1:
        raise IntensiveError(f"{what} holds several years {sorted(years)}; pass year=")
    return frame


def _parcel_table(parcels: pd.DataFrame, parcel_results: pd.DataFrame) -> pd.DataFrame:
    """One row per parcel: zone, area_m2, stage, industrial, floor, footprint, tax, investment."""
    pr = parcel_results.set_index("parcel_code")
    used = ["zone_code", "registered_area_m2", "geodesic_area_m2", "floor_area_m2", "footprint_area_m2"]
    pa = parcels[["parcel_code", *[c for c in used if c in parcels.columns]]].set_index("parcel_code") \
        if parcels is not None and "parcel_code" in parcels.columns else pd.DataFrame()
    pa = pa.reindex(pr.index) if len(pa) else pd.DataFrame(index=pr.index)
    t = pd.DataFrame(index=pr.index)
    zone = pr["zone_code"] if "zone_code" in pr.columns else pd.Series(None, index=pr.index, dtype="object")
    if "zone_code" in pa.columns:
        zone = zone.where(zone.notna(), pa["zone_code"])
    t["zone_code"] = zone
    area = _num(pr, "area_mu") * M2_PER_MU
    area = area.fillna(_num(pa, "registered_area_m2")).fillna(_num(pa, "geodesic_area_m2"))
    t["area_m2"] = area
    t["stage"] = pr["stage"] if "stage" in pr.columns else None
    ind = pr["industrial"] if "industrial" in pr.columns else pd.Series(pd.NA, index=pr.index)
    t["industrial"] = ind.astype("boolean").fillna(False).astype(bool)
    floor = _num(pa, "floor_area_m2")
    floor = floor.fillna(_num(pr, "floor_area_m2")).fillna(_num(pr, "far") * area)
    foot = _num(pa, "footprint_area_m2").fillna(_num(pr, "building_coverage") * area)
    t["floor_m2"] = floor
    t["footprint_m2"] = foot
    t["tax_wan"] = _num(pr, "tax_wan")
    t["investment_wan"] = _num(pr, "investment_wan")
    return t


def _score_indicator(value: pd.Series, ideal: float, negative: bool) -> pd.Series:
    v = value.astype("float64")
    if negative:
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(v <= ideal, 1.0, ideal / v)
    else:
        s = v / ideal
    s = pd.Series(s, index=value.index, dtype="float64").clip(0.0, 1.0)
    return s.where(v.notna())


def intensive_use(
    zones: pd.DataFrame,
    parcels: pd.DataFrame | None,
    parcel_results: pd.DataFrame,
    flags: pd.DataFrame | None,
    *,
    policy: Policy,
    year: int | None = None,
) -> pd.DataFrame:
    """Intensive-use indicators, zone type, 集约度分值 and rank within type, one row per zone.

    ``policy``: the :class:`~landuse.core.policy.Policy` (its ``intensive`` section is used).
    ``parcel_results`` (and ``flags``) must hold one year, or pass ``year``. Returns a new frame
    indexed by ``zone_code`` with the indicator columns, ``residential_share``, ``zone_type``
    ('industrial' 工业主导型 / 'mixed' 产城融合型), ``intensive_<layer>`` (layer scores, 0–100),
    ``intensive_score`` (0–100), ``intensive_rank`` (Int64), ``intensive_missing`` (indicators
    that apply but have no value) and ``intensive_sources`` (fallbacks used).
    """
    ip = policy.intensive
    parcel_results = _single_year(parcel_results, year, "parcel_results")
    flags = _single_year(flags, year, "flags")
    zidx = pd.Index(zones["zone_code"], name="zone_code")
    if not zidx.is_unique:
        raise IntensiveError("zones: zone_code must be unique")
    z = zones.set_index("zone_code")

    t = _parcel_table(parcels, parcel_results)
    supplied = t["stage"].isin(ip.supplied_stages)
    built = t["stage"].isin(ip.built_stages)
    ind_built = built & t["industrial"]
    idle = t["stage"].eq("idle")
    if flags is not None and len(flags) and "rule" in flags.columns:
        idle_codes = set(flags.loc[flags["rule"].isin(ip.idle_rules), "parcel_code"])
        idle = idle | t.index.isin(idle_codes)
    idle = idle & (supplied | t["stage"].eq("idle"))  # idle land is supplied land

    a = t["area_m2"]
    known_floor = t["floor_m2"].notna()
    known_foot = t["footprint_m2"].notna()
    parts = pd.DataFrame(
        {
            "zone_code": t["zone_code"],
            "all_m2": a,
            "supplied_m2": a.where(supplied, 0.0),
            "built_m2": a.where(built, 0.0),
            "ind_built_m2": a.where(ind_built, 0.0),
            "idle_m2": a.where(idle, 0.0),
            "built_floor_m2": t["floor_m2"].where(built & known_floor, 0.0),
            "built_floor_area_m2": a.where(built & known_floor, 0.0),
            "built_foot_m2": t["footprint_m2"].where(built & known_foot, 0.0),
            "built_foot_area_m2": a.where(built & known_foot, 0.0),
            "ind_floor_m2": t["floor_m2"].where(ind_built & known_floor, 0.0),
            "ind_floor_area_m2": a.where(ind_built & known_floor, 0.0),
            "ind_foot_m2": t["footprint_m2"].where(ind_built & known_foot, 0.0),
            "ind_foot_area_m2": a.where(ind_built & known_foot, 0.0),
            "ind_tax_wan": t["tax_wan"].where(ind_built),
            "ind_inv_wan": t["investment_wan"].where(ind_built),
            "tax_wan": t["tax_wan"],
        }
    )
    g = parts.groupby("zone_code").sum(min_count=1).reindex(zidx)
    area_cols = [c for c in g.columns if c.endswith("_m2")]
    g[area_cols] = g[area_cols].fillna(0.0)

    sources: dict[str, list[str]] = {c: [] for c in zidx}

    def zone_or(name: str, fallback: pd.Series, label: str) -> pd.Series:
        given = _num(z, name).reindex(zidx)
        for c in zidx[given.isna().to_numpy()]:
            sources[c].append(label)
        return given.fillna(fallback)

    total_area = _num(z, "geodesic_area_m2").reindex(zidx)
    ready = zone_or("ready_to_supply_m2", g["all_m2"], "ready_to_supply←parcels")
    built_land = zone_or("built_land_m2", g["built_m2"], "built_land←parcels")
    residential = _num(z, "residential_land_m2").reindex(zidx)
    floor_total = _num(z, "total_floor_area_m2").reindex(zidx)
    foot_total = _num(z, "total_footprint_m2").reindex(zidx)
    tax_total = zone_or("total_tax_wan", g["tax_wan"], "total_tax←parcels")
    population = _num(z, "population").reindex(zidx)
    for c in zidx[residential.isna().to_numpy()]:
        sources[c].append("residential unknown")

    def ratio(num, den) -> pd.Series:
        num = pd.Series(num, index=zidx, dtype="float64")
        den = pd.Series(den, index=zidx, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            return (num / den).where(den > 0)

    out = pd.DataFrame(index=zidx)
    out["development_rate"] = ratio(ready, total_area)
    out["supply_rate"] = ratio(g["supplied_m2"], ready)
    out["built_rate"] = ratio(built_land, g["supplied_m2"])
    out["industrial_share"] = ratio(g["ind_built_m2"], built_land)
    out["residential_share"] = ratio(residential, built_land)
    far_parcels = ratio(g["built_floor_m2"], g["built_floor_area_m2"])
    cov_parcels = ratio(g["built_foot_m2"], g["built_foot_area_m2"])
    out["far_overall"] = ratio(floor_total, built_land).fillna(far_parcels)
    out["coverage_overall"] = ratio(foot_total, built_land).fillna(cov_parcels)
    for c in zidx[floor_total.isna().to_numpy()]:
        sources[c].append("floor_area←parcels")
    for c in zidx[foot_total.isna().to_numpy()]:
        sources[c].append("footprint←parcels")
    out["far_industrial"] = ratio(g["ind_floor_m2"], g["ind_floor_area_m2"])
    out["coverage_industrial"] = ratio(g["ind_foot_m2"], g["ind_foot_area_m2"])
    ind_mu = g["ind_built_m2"] / M2_PER_MU
    out["investment_intensity"] = ratio(g["ind_inv_wan"], ind_mu)
    out["tax_per_industrial_mu"] = ratio(g["ind_tax_wan"], ind_mu)
    out["tax_per_built_mu"] = ratio(tax_total, built_land / M2_PER_MU)
    out["population_density"] = ratio(population, built_land / 1e6)
    out["idle_rate"] = ratio(g["idle_m2"], g["supplied_m2"])

    is_ind = (out["industrial_share"] > ip.industrial_type_min_share) & ~(
        out["residential_share"] >= ip.industrial_type_max_residential
    )
    zone_type = pd.Series(np.where(is_ind, "industrial", "mixed"), index=zidx, dtype="object")
    zone_type[out["industrial_share"].isna()] = None
    out["zone_type"] = zone_type

    # ideal-value score, two levels
    layer_num = {lay: pd.Series(0.0, index=zidx) for lay in ip.layers}
    layer_den = {lay: pd.Series(0.0, index=zidx) for lay in ip.layers}
    missing: dict[str, list[str]] = {c: [] for c in zidx}
    for name, spec in ip.indicators.items():
        s = _score_indicator(out[name], spec.ideal, spec.negative)
        applies = zone_type.isin(spec.applies_to)
        have = applies & s.notna()
        for c in zidx[(applies & s.isna()).to_numpy()]:
            missing[c].append(name)
        layer_num[spec.layer] += (spec.weight * s).where(have, 0.0)
        layer_den[spec.layer] += pd.Series(np.where(have, spec.weight, 0.0), index=zidx)
    num = pd.Series(0.0, index=zidx)
    den = pd.Series(0.0, index=zidx)
    for lay, lw in ip.layers.items():
        ls = ratio(layer_num[lay], layer_den[lay])
        out[f"intensive_{lay}"] = 100.0 * ls
        num += (lw * ls).fillna(0.0)
        den += pd.Series(np.where(ls.notna(), lw, 0.0), index=zidx)
    out["intensive_score"] = 100.0 * ratio(num, den)
    out["intensive_rank"] = (
        out.groupby("zone_type")["intensive_score"].rank(ascending=False, method="min").astype("Int64")
    )
    out["intensive_missing"] = pd.Series({c: ",".join(v) for c, v in missing.items()}, dtype="object")
    out["intensive_sources"] = pd.Series({c: ",".join(v) for c, v in sources.items()}, dtype="object")
    return out
