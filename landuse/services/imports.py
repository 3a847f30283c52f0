"""Import a data package into a store: read, validate, then upsert all of it or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from landuse.core.policy import Policy
from parcels.importer import ImportReport, import_package
from parcels.store.base import Store
from parcels.validate import Checks

Progress = Callable[[str], None]


def run_import(path: str | Path, store: Store, *, policy: Policy, assume_crs: str | None = None,
               progress: Progress | None = None, towgs84: str | None = None, keep_declared_zone: bool = False,
               units: list[str] | None = None) -> ImportReport:
    """``towgs84``: 'dx,dy,dz,rx,ry,rz,s' for Xian 1980 / Beijing 1954 data; ``keep_declared_zone``: a
    declared GK zone wins over the eastings' prefix; ``units``: 'COLUMN[@ZONE]=UNIT' decisions."""
    from parcels.crs import parse_towgs84

    land = policy.land
    checks = Checks(area_tolerance=land.registered_area_tolerance, zone_tolerance_m=land.zone_tolerance_m,
                    zone_refuse_m=land.zone_refuse_m, sliver_ratio=land.sliver_ratio)
    return import_package(path, store, assume_crs=assume_crs, progress=progress, checks=checks,
                          towgs84=parse_towgs84(towgs84), keep_declared_zone=keep_declared_zone, units=units)
