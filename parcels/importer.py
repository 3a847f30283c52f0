"""``landuse import``: read, validate, then upsert the whole package or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from landuse.core.contract import LAYERS
from landuse.core.errors import Problem, ValidationFailed

from parcels.io import read_package
from parcels.store.base import LayerChange, Store
from parcels.survey_import import parse_units
from parcels.validate import Checks, has_errors, validate_package

Progress = Callable[[str], None]


@dataclass
class ImportReport:
    changes: list[LayerChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # warnings only when the import succeeded
    notes: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)


def import_package(path: str | Path, store: Store, *, area_tolerance: float = 0.02, assume_crs: str | None = None,
                   progress: Progress | None = None, checks: Checks | None = None,
                   towgs84: tuple[float, ...] | None = None, keep_declared_zone: bool = False,
                   units: list[str] | None = None) -> ImportReport:
    """Import a data package into ``store``. Raises ValidationFailed (nothing written) on any error.

    ``checks``: the plausibility thresholds (from the policy's ``[land]`` section; ``area_tolerance``
    alone when not given); ``towgs84``: seven parameters for Xian 1980 / Beijing 1954 data;
    ``keep_declared_zone``: a declared GK zone wins over the eastings' prefix; ``units``:
    ``COLUMN[@ZONE]=UNIT`` decisions for the survey's columns (see :mod:`parcels.survey_import`)."""
    say = progress or (lambda _msg: None)
    unit_map = parse_units(units)
    say("读取数据包 / reading the package")
    read = read_package(path, assume_crs=assume_crs, towgs84=towgs84, keep_declared_zone=keep_declared_zone)
    # what the store holds, for the reference checks: only what a check reads (a key column; rows
    # without geometry), never whole layers with geometry — a national store holds every province
    # and an import of one province must not grow with the others (docs/benchmarks.md)
    cache: dict[tuple[str, str], set] = {}
    stored: dict[str, pd.DataFrame] = {}

    def existing_keys(layer: str, col: str) -> set:
        if (layer, col) not in cache:
            if col not in LAYERS[layer].names:
                cache[(layer, col)] = set()
            else:
                df = store.read(layer, columns=[col], geometry=False)
                cache[(layer, col)] = set(df[col].dropna())
        return cache[(layer, col)]

    def stored_zones() -> pd.DataFrame:
        if "zones" not in stored:
            stored["zones"] = store.read("zones")
        return stored["zones"]

    say("校验 / validating")
    def existing_frame(layer: str) -> pd.DataFrame:
        if layer not in stored:
            stored[layer] = store.read(layer, geometry=False)
        return stored[layer]

    typed, problems = validate_package(read, existing_keys=existing_keys,
                                       checks=checks or Checks(area_tolerance=area_tolerance), stored_zones=stored_zones,
                                       existing_frame=existing_frame, units=unit_map)
    if not read.layers and not problems:
        problems.append(Problem(str(path), "", None, None, str(path),
                                "at least one layer named as in the data-package contract (parcels, zones, …)",
                                code="no_layers"))
    if has_errors(problems):
        exc = ValidationFailed(problems)
        exc.notes = read.notes  # type: ignore[attr-defined]
        raise exc
    present: dict[str, set] = {}
    for raw in read.layers.values():  # a layer read from several files carries what any of them carries
        present.setdefault(raw.layer.name, set()).update(raw.frame.columns)
    frames = {}
    for name in list(typed):  # in place: a large layer is not copied
        df = typed.pop(name)
        df.pop("_row")
        frames[name] = df
    # write parents before children (foreign keys are deferred anyway)
    order = ["zones", "enterprises", "parcels", "buildings", "enterprise_years", "leases", "pilot_area_years",
             "land_rights", "pilot_area_zones", "enterprise_periods", "land_survey", "zone_years"]
    order += [n for n in frames if n not in order]  # layers the contract gained later keep their place after these
    frames = {n: frames[n] for n in order if n in frames}
    say("写入 / writing")
    stored.clear()
    cache.clear()
    changes = store.apply_import(frames, present)
    return ImportReport(changes, problems, read.notes, list(frames))


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    cols = ["severity", "file", "layer", "row", "column", "value", "expected", "code"]
    if not problems:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame([p.as_dict() for p in problems])[cols]

