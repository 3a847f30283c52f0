"""Pilot areas (试点地区: the cities and counties of a scale) and their yearly indicators."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from landuse.core.contract import PROVINCE, province_mask
from parcels.sample.config import YEARS
from parcels.sample.reference import CITIES, COUNTIES, REFERENCE_PROVINCE


def select_pilot_areas(cfg: dict) -> list[dict]:
    """The cities and counties of a scale; with ``cfg["province"]`` (a 2-digit province code) their
    codes carry that province's code instead of Jiangxi's (``ref``: the reference table's code)."""
    out = []
    prov = cfg.get("province") or REFERENCE_PROVINCE

    def recode(c: str) -> str:
        return prov + c[2:] if c.startswith(REFERENCE_PROVINCE) else c

    cities = {c[0]: c for c in CITIES}
    for code in cfg["cities"]:
        c = cities[code]
        out.append(dict(code=recode(c[0]), name=c[1], short=c[2], lon=c[3], lat=c[4], county=recode(c[5]), kind="city",
                        ref=c[0]))
    counties = {c[0]: c for c in COUNTIES}
    for code in cfg["counties"]:
        k = counties[code]
        out.append(dict(code=recode(k[0]), name=k[1], short=k[2], lon=k[3], lat=k[4], county=recode(k[0]), kind="county",
                        main=(k[7], k[6]), ref=k[0]))
    return out



def recent_supply_rate(parcels: pd.DataFrame, zones_spec: list[dict]) -> dict:
    """Mu supplied per year over 2023–2025 in each pilot area (sizes its 批而未供 in pilot_area_years)."""
    pa_of_zone = {s["zone_code"]: s["pilot_area_code"] for s in zones_spec}
    sup = pd.to_datetime(parcels["supply"])
    recent = sup.notna() & (sup >= pd.Timestamp("2023-01-01")) & (sup <= pd.Timestamp("2025-12-31"))
    mu = parcels["area"] / (2000.0 / 3.0)
    supply_rate = (mu[recent].groupby(parcels.loc[recent, "zone_code"].map(pa_of_zone)).sum() / 3.0).to_dict()
    return supply_rate


def pilot_area_years(rng: np.random.Generator, areas: list[dict],
                     supply_rate: dict | None = None, *, province_row: str = PROVINCE) -> pd.DataFrame:
    rows = []
    supply_rate = supply_rate or {}
    for a in areas:
        gdp25 = rng.uniform(2.5e7, 4.8e7) if a["kind"] == "city" else rng.uniform(2.0e6, 7.0e6)
        g = rng.uniform(0.04, 0.08)
        share = rng.uniform(0.30, 0.48)
        dig, nc = rng.uniform(0.40, 0.60), rng.uniform(0.40, 0.60)
        circ = rng.uniform(0.4, 0.9)
        circ_goal = rng.random() < 0.5
        rate = float(supply_rate.get(a["code"], 0.0))
        unsup = rate * rng.uniform(0.5, 4.2) / 0.6 if rate > 0 else rng.uniform(500, 8000)
        for y in YEARS:
            t = y - 2020
            rows.append(dict(
                pilot_area_code=a["code"], year=int(y),
                gdp_wan=round(gdp25 / (1 + g) ** (2025 - y), 0),
                industrial_value_added_wan=round(gdp25 / (1 + g) ** (2025 - y) * (share + rng.normal(0, 0.005)), 0),
                digital_equipment_rate=round(min(0.95, dig + 0.025 * t + rng.normal(0, 0.005)), 4),
                nc_equipment_rate=round(min(0.95, nc + 0.02 * t + rng.normal(0, 0.005)), 4),
                energy_per_va_change_pct=round(-rng.uniform(0.02, 0.07), 4),
                circular_transformation_rate=round(1.0 if (circ_goal and y >= 2024) else min(0.98, circ + 0.05 * t), 4),
                approved_unsupplied_mu=round(unsup * (1 - 0.08 * t) * rng.uniform(0.95, 1.05), 1),
                idle_disposal_done=bool(rng.random() < 0.7),
                unsupplied_disposal_done=bool(rng.random() < 0.65),
            ))
    df = pd.DataFrame(rows)
    prov = []
    for y in YEARS:
        d = df[df["year"] == y]
        prov.append(dict(
            pilot_area_code=province_row, year=int(y),
            gdp_wan=round(3.45e8 / 1.05 ** (2025 - y), 0),
            industrial_value_added_wan=round(3.45e8 / 1.05 ** (2025 - y) * 0.36, 0),
            digital_equipment_rate=round(d["digital_equipment_rate"].mean() - 0.03, 4),
            nc_equipment_rate=round(d["nc_equipment_rate"].mean() - 0.03, 4),
            energy_per_va_change_pct=round(-0.035, 4),
            circular_transformation_rate=round(d["circular_transformation_rate"].mean(), 4),
            approved_unsupplied_mu=round(d["approved_unsupplied_mu"].sum() * 3, 1),
            idle_disposal_done=None, unsupplied_disposal_done=None,
        ))
    return pd.concat([df, pd.DataFrame(prov)], ignore_index=True)


def _unit(code: str, salt: str) -> float:
    """A deterministic number in [0, 1) from a code."""
    return (zlib.crc32(f"{salt}:{code}".encode("utf-8")) % 10_000) / 10_000


def pilot_area_years_extras(pay: pd.DataFrame) -> pd.DataFrame:
    """``pay`` with ``land_supplied_mu`` and ``rd_institution_share`` added (a new frame):

    - ``land_supplied_mu`` (当年供应建设用地, mu): the region's supply of construction land in the
      year, the absorption the 消化周期 rule divides 批而未供 by. Generated so the 2025 absorption
      period of each pilot area lies between 0.6 and 3.6 years (a few regions over the 3-year
      limit), deterministic by pilot-area code (CRC-32, no random state shared with the generator);
    - ``rd_institution_share`` on the ``PROVINCE`` rows only: the provincial share of above-scale
      industrial firms with an R&D institution (全省平均, 0.30 in 2020 rising 0.01 a year).
    """
    out = pay.copy()
    year = pd.to_numeric(out["year"], errors="coerce")
    code = out["pilot_area_code"].astype(str)
    approved = pd.to_numeric(out["approved_unsupplied_mu"], errors="coerce")
    last = int(year.max())
    a_last = approved.where(year == last).groupby(code).max()
    supply = pd.Series(np.nan, index=out.index, dtype="float64")
    areas = ~province_mask(code)
    for c in code[areas].unique():
        years_to_absorb = 0.6 + 3.0 * _unit(c, "absorption")
        per_year = float(a_last.get(c, np.nan)) / years_to_absorb
        m = (code == c).to_numpy()
        supply[m] = np.round(per_year * (0.9 + 0.02 * (year[m] - (last - 5))), 1)
    prov = ~areas
    if prov.any():
        tot = supply[areas].groupby(year[areas]).sum()
        supply[prov] = np.round(year[prov].map(tot) * 3, 1)
    out["land_supplied_mu"] = supply
    out["rd_institution_share"] = np.where(prov, np.round(0.30 + 0.01 * (year - 2020), 4), np.nan)
    return out
