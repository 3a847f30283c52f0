"""Import a data package into a store: read, validate, then upsert all of it or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from landuse.core.policy import Policy
from parcels.importer import ImportReport, import_package
from parcels.store.base import Store

Progress = Callable[[str], None]


def run_import(path: str | Path, store: Store, *, policy: Policy, assume_crs: str | None = None,
               progress: Progress | None = None) -> ImportReport:
    return import_package(path, store, area_tolerance=policy.land.registered_area_tolerance,
                          assume_crs=assume_crs, progress=progress)
