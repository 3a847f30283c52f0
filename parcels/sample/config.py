"""Scales, the as-of date and years, land-use codes counted as industrial, and date helpers."""

from __future__ import annotations

from typing import Callable

import numpy as np

from parcels.sample.reference import CITIES, COUNTIES, SMALL_CITIES, SMALL_COUNTIES


Progress = Callable[[str, int, int], None]

END = np.datetime64("2025-12-31")
YEARS = np.arange(2020, 2026)

INDUSTRIAL_USE = {("gbt21010", "0601"), ("gbt21010", "0604"), ("ydyh2023", "100101"), ("ydyh2023", "100102"),
                  ("ydyh2023", "1101"), ("gb50137", "M2"), ("gb50137", "W1")}

SCALES = {
    # zones per pilot area (cities, counties), parcels per zone
    "small": dict(cities=SMALL_CITIES, counties=SMALL_COUNTIES, parcels_per_zone=(100, 170), n_zones=15),
    "province": dict(cities=tuple(c[0] for c in CITIES), counties=tuple(c[0] for c in COUNTIES),
                     parcels_per_zone=(400, 2200), n_zones=100),
}


ZONE_FILL = 0.95  # parcels' share of the zone area, as the tessellation turns out (roads, slivers)


def day(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def months(n) -> np.ndarray:
    return np.round(np.asarray(n) * 30.44).astype("timedelta64[D]")


def rand_dates(rng, lo: str, hi: str, n) -> np.ndarray:
    a, b = day(lo).astype(int), day(hi).astype(int)
    return rng.integers(a, b + 1, n).astype("datetime64[D]")
