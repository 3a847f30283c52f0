"""The seed's pilot-area targets (试验区主要目标), docs/domain.md §2, for one year.

For each pilot area (the ``PROVINCE`` row supplies the provincial averages and is not assessed):

=========================  ===================================================  =====================
target                     value                                                target / met when
=========================  ===================================================  =====================
va_gdp_share               industrial_value_added_wan / gdp_wan                 ≥ 40 %
rd_share                   Σ R&D / Σ revenue of the area's 规上 firms           ≥ 2 % × (1 − tol.)
rd_institution_share       share of 规上 firms with an R&D institution          ≥ province × 1.2 × 0.9
growth                     pilot_area_results.growth (per-mu revenue)           ≥ path growth (15 % in 2025)
occupancy                  pilot_area_results.occupancy_rate                    ≥ 80 %
digital_equipment_rate     pilot_area_years                                     > PROVINCE row
nc_equipment_rate          pilot_area_years                                     > PROVINCE row
energy_decline             −energy_per_va_change_pct (decline, larger better)   > PROVINCE decline
circular                   circular_transformation_rate                         ≥ 100 %
=========================  ===================================================  =====================

Each target gives ``<t>`` (value), ``<t>_target``, ``<t>_attainment`` and ``<t>_met``. Attainment
= value / target capped to [0, ``score.attainment_cap``]; for growth the target is the path growth
of the year (``evaluation.scoring.path_growth``: 15 % in 2025) and the attainment follows
``score.growth_attainment`` (growth / target, or (1 + growth)/(1 + target)); for the energy
decline, when the provincial decline is not positive, attainment is 1 if met else 0. A target with
no value (or no target) is not assessed: ``targets_total`` counts the assessed ones, ``targets_met``
those met, ``target_attainment`` is the mean attainment over assessed targets (the composite score
leaves out growth and occupancy, which are components of their own).

"高于全省平均水平20%左右" (R&D institutions): the provincial average is the ``rd_institution_share``
of the ``PROVINCE`` row of ``pilot_area_years`` (the province's statistics), never the share among
the package's firms (firms in zones are not the province); the target is that × 1.2 (relative,
not +20 points), and "左右" is met at ≥ target × (1 − ``rd_institution_tolerance``), i.e. 1.08 ×
the provincial share by default. Without the PROVINCE figure the target is not assessed (warning).

Firms are assigned to pilot areas through ``enterprise_results.pilot_area_code`` when present,
else through ``enterprise_results.zone_code`` and ``zones`` (zone_code → pilot_area_code). Firms
with no pilot area still count in the provincial share. When no enterprise data is given, the
``rd_share`` / ``rd_institution_share`` columns of ``pilot_area_results`` are used if present.
"""

from __future__ import annotations

import warnings
from typing import overload

import numpy as np
import pandas as pd

from evaluation.scoring import path_growth
from landuse.core.contract import PROVINCE
from landuse.core.policy import Policy


TARGETS = (
    "va_gdp_share",
    "rd_share",
    "rd_institution_share",
    "growth",
    "occupancy",
    "digital_equipment_rate",
    "nc_equipment_rate",
    "energy_decline",
    "circular",
)


def _num(frame: pd.DataFrame, name: str, index) -> pd.Series:
    if frame is not None and name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce").astype("float64").reindex(index)
    return pd.Series(np.nan, index=index, dtype="float64")


@overload
def _year_rows(frame: None, year: int) -> None: ...
@overload
def _year_rows(frame: pd.DataFrame, year: int) -> pd.DataFrame: ...
def _year_rows(frame: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    if frame is None:
        return None
    if "year" in frame.columns:
        frame = frame[frame["year"] == year]
    return frame


def _enterprise_shares(enterprise_years, enterprise_results, zones, year):
    """(rd_share by area, rd_inst_share by area, province rd_share, province rd_inst_share)."""
    ey = _year_rows(enterprise_years, year)
    er = _year_rows(enterprise_results, year)
    if ey is None or er is None or len(ey) == 0 or len(er) == 0:
        return None
    er = er.drop_duplicates("uscc").set_index("uscc")
    ey = ey.drop_duplicates("uscc").set_index("uscc")
    if "pilot_area_code" in er.columns:
        area = er["pilot_area_code"]
    elif zones is not None and "zone_code" in er.columns:
        area = er["zone_code"].map(zones.drop_duplicates("zone_code").set_index("zone_code")["pilot_area_code"])
    else:
        area = pd.Series(None, index=er.index, dtype="object")
    above = er["above_scale"].astype("boolean").fillna(False).astype(bool) if "above_scale" in er.columns else (
        pd.Series(False, index=er.index))
    f = pd.DataFrame({"area": area, "above": above}).join(
        ey.reindex(columns=["revenue_wan", "rd_expense_wan", "has_rd_institution"]), how="left"
    )
    f = f[f["above"]]
    rd_ok = f["rd_expense_wan"].notna() & f["revenue_wan"].notna()
    rd = pd.DataFrame({"area": f["area"], "rd": f["rd_expense_wan"].where(rd_ok), "rev": f["revenue_wan"].where(rd_ok)})
    inst = f["has_rd_institution"].astype("boolean")
    ins = pd.DataFrame({"area": f["area"], "has": inst.astype("float64"), "known": inst.notna().astype(float)})
    g_rd = rd.groupby("area").sum(min_count=1)
    g_in = ins.groupby("area").sum()
    rd_share = (g_rd["rd"] / g_rd["rev"]).where(g_rd["rev"] > 0)
    inst_share = (g_in["has"] / g_in["known"]).where(g_in["known"] > 0)
    prov_rev = rd["rev"].sum()
    prov_rd = rd["rd"].sum() / prov_rev if prov_rev > 0 else np.nan
    known = ins["known"].sum()
    prov_in = ins["has"].sum() / known if known > 0 else np.nan
    return rd_share, inst_share, prov_rd, prov_in


def pilot_area_targets(
    pilot_area_years: pd.DataFrame,
    pilot_area_results: pd.DataFrame | None,
    enterprise_years: pd.DataFrame | None,
    enterprise_results: pd.DataFrame | None,
    *,
    year: int,
    policy: Policy,
    zones: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Value, target, attainment and met for each pilot-area target; indexed by ``pilot_area_code``."""
    sp = policy.score
    cap = sp.attainment_cap
    pay = _year_rows(pilot_area_years, year)
    pay = pay.drop_duplicates("pilot_area_code").set_index("pilot_area_code")
    par = _year_rows(pilot_area_results, year)
    if par is not None:
        par = par.drop_duplicates("pilot_area_code").set_index("pilot_area_code")
    codes = set(pay.index)
    if par is not None:
        codes |= set(par.index)
    codes.discard(PROVINCE)
    idx = pd.Index(sorted(codes), name="pilot_area_code")
    prov = pay.loc[PROVINCE] if PROVINCE in pay.index else None

    def prov_val(name: str) -> float:
        if prov is None or name not in prov.index:
            return np.nan
        v = pd.to_numeric(pd.Series([prov[name]]), errors="coerce").iloc[0]
        return float(v)

    out = pd.DataFrame(index=idx)
    values: dict[str, pd.Series] = {}
    targets: dict[str, pd.Series] = {}

    def const(v) -> pd.Series:
        return pd.Series(v, index=idx, dtype="float64")

    gdp = _num(pay, "gdp_wan", idx)
    va = _num(pay, "industrial_value_added_wan", idx)
    values["va_gdp_share"] = (va / gdp).where(gdp > 0)
    targets["va_gdp_share"] = const(sp.va_gdp_share_target)

    shares = _enterprise_shares(enterprise_years, enterprise_results, zones, year)
    if shares is not None:
        rd_share, inst_share, _prov_rd, _prov_in = shares
        values["rd_share"] = rd_share.reindex(idx).astype("float64")
        values["rd_institution_share"] = inst_share.reindex(idx).astype("float64")
    else:
        values["rd_share"] = _num(par, "rd_share", idx)
        values["rd_institution_share"] = _num(par, "rd_institution_share", idx)
    # 全省平均: the PROVINCE row of pilot_area_years, not the package's firms
    prov_in = prov_val("rd_institution_share")
    if np.isnan(prov_in) and values["rd_institution_share"].notna().any():
        warnings.warn("pilot_area_targets: 有研发机构的规上企业占比的全省平均（pilot_area_years PROVINCE 行 "
                      "rd_institution_share）缺失，该目标不考核 / the provincial share of firms with an R&D "
                      "institution (PROVINCE row of pilot_area_years) is missing: target not assessed", stacklevel=2)
    targets["rd_share"] = const(sp.rd_share_target)
    targets["rd_institution_share"] = const(prov_in * sp.rd_institution_factor)

    values["growth"] = _num(par, "growth", idx)
    targets["growth"] = const(path_growth(year, policy.growth))
    values["occupancy"] = _num(par, "occupancy_rate", idx)
    targets["occupancy"] = const(policy.occupancy.target)
    for name in ("digital_equipment_rate", "nc_equipment_rate"):
        values[name] = _num(pay, name, idx)
        targets[name] = const(prov_val(name))
    values["energy_decline"] = -_num(pay, "energy_per_va_change_pct", idx)
    targets["energy_decline"] = const(-prov_val("energy_per_va_change_pct"))
    values["circular"] = _num(pay, "circular_transformation_rate", idx)
    targets["circular"] = const(sp.circular_target)

    strict = {"digital_equipment_rate", "nc_equipment_rate", "energy_decline"}  # 高于全省平均
    att_cols, met_cols = [], []
    for t in TARGETS:
        v, tg = values[t], targets[t]
        assessed = v.notna() & tg.notna()
        if t == "growth":  # the baseline year has no growth target
            assessed &= tg > 0
        if t == "growth":
            att = (1.0 + v) / (1.0 + tg) if sp.growth_attainment == "level_ratio" else (v / tg).where(tg > 0)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                att = (v / tg).where(tg > 0)
        if t in strict:
            met = v > tg
        elif t == "rd_share":
            met = v >= tg * (1.0 - sp.rd_share_tolerance)
            att = (v / (tg * (1.0 - sp.rd_share_tolerance))).where(tg > 0)
        elif t == "rd_institution_share":
            met = v >= tg * (1.0 - sp.rd_institution_tolerance)
            att = (v / (tg * (1.0 - sp.rd_institution_tolerance))).where(tg > 0)
        else:
            met = v >= tg
        # target ≤ 0 (e.g. the province's energy use rose): attainment is 1 if met else 0
        att = att.where(tg > 0, met.astype(float))
        att = att.clip(0.0, cap).where(assessed)
        out[t] = v
        out[f"{t}_target"] = tg
        out[f"{t}_attainment"] = att
        out[f"{t}_met"] = met.where(assessed).astype("boolean")
        att_cols.append(f"{t}_attainment")
        met_cols.append(f"{t}_met")
    out["targets_met"] = out[met_cols].fillna(False).astype(int).sum(axis=1).astype("Int64")
    out["targets_total"] = out[met_cols].notna().sum(axis=1).astype("Int64")
    out["target_attainment"] = out[att_cols].mean(axis=1, skipna=True)
    out["year"] = year
    return out
