"""Columns the rules, grades and quota need that the sample generator does not write yet.

:func:`pilot_area_years_extras` adds, to the generator's ``pilot_area_years`` frame (one row per
pilot area and year, plus the ``PROVINCE`` rows):

- ``land_supplied_mu`` (当年供应建设用地, mu): the region's supply of construction land in the year,
  the absorption the 消化周期 rule divides 批而未供 by (``approved_unsupplied_mu`` / mean of the last
  three years). Generated so the 2025 absorption period of each pilot area lies between 0.6 and
  3.6 years (a few regions over the 3-year limit), deterministic by pilot-area code (CRC-32, no
  random state shared with the generator, so every other generated value is unchanged);
- ``rd_institution_share`` on the ``PROVINCE`` rows only: the provincial share of above-scale
  industrial firms with an R&D institution (全省平均, 0.30 in 2020 rising 0.01 a year), the
  reference of the seed's "高于全省平均水平20%左右" target.

Where it must be called: in the generator, on the pilot-area-years frame before it is written,
i.e. ``pay = pilot_area_years_extras(pay)`` right after ``_pilot_area_years(...)`` in
``write_sample`` (parcels/sample.py; in the split generator, at the end of the pilot-area step).
Until then :func:`install` wraps the generator's pilot-area step (called from ``parcels/__init__``);
delete both once the call is in place.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

PROVINCE = "PROVINCE"

__all__ = ["pilot_area_years_extras", "install"]


def _unit(code: str, salt: str) -> float:
    """A deterministic number in [0, 1) from a code."""
    return (zlib.crc32(f"{salt}:{code}".encode("utf-8")) % 10_000) / 10_000


def pilot_area_years_extras(pay: pd.DataFrame) -> pd.DataFrame:
    """``pay`` with ``land_supplied_mu`` and ``rd_institution_share`` added (a new frame)."""
    out = pay.copy()
    year = pd.to_numeric(out["year"], errors="coerce")
    code = out["pilot_area_code"].astype(str)
    approved = pd.to_numeric(out["approved_unsupplied_mu"], errors="coerce")
    last = int(year.max())
    a_last = approved.where(year == last).groupby(code).max()
    supply = pd.Series(np.nan, index=out.index, dtype="float64")
    areas = code != PROVINCE
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


def install() -> None:
    """Wrap the generator's pilot-area step so that it returns :func:`pilot_area_years_extras` of
    its frame (idempotent; a no-op when the generator already writes the columns)."""
    import parcels.sample as sample

    step = getattr(sample, "_pilot_area_years", None)
    if step is None or getattr(step, "_with_rules_extras", False):
        return

    def with_extras(*args, **kwargs):
        pay = step(*args, **kwargs)
        if "land_supplied_mu" in pay.columns and "rd_institution_share" in pay.columns:
            return pay
        return pilot_area_years_extras(pay)

    with_extras._with_rules_extras = True  # type: ignore[attr-defined]
    sample._pilot_area_years = with_extras
