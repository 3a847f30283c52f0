"""Units of the field (docs/domain.md §3). Leaf module: imports nothing from the project."""

from __future__ import annotations

#: square metres in one mu (亩), exactly 10000/15 = 2000/3
M2_PER_MU: float = 2000.0 / 3.0
#: mu in one hectare (公顷)
MU_PER_HA: float = 15.0
#: CGCS2000 geographic
EPSG_CGCS2000: int = 4490
#: CGCS2000 3-degree Gauss-Krüger zones covering Jiangxi: with zone prefix / without
GK3_WITH_PREFIX = {38: 4526, 39: 4527}
GK3_NO_PREFIX = {38: 4547, 39: 4548}  # central meridians 114E and 117E


def m2_to_mu(m2: float) -> float:
    return m2 / M2_PER_MU


def mu_to_m2(mu: float) -> float:
    return mu * M2_PER_MU


def per_ha_to_per_mu(value_per_ha: float) -> float:
    """万元/公顷 → 万元/亩."""
    return value_per_ha / MU_PER_HA


def gk3_zone_for_lon(lon: float) -> int:
    """3-degree GK zone number for a longitude (zone n has central meridian 3n)."""
    return int(round(lon / 3.0))
