"""One function per use case; the command line and the web service both call these."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from landuse.columns import LAYERS
from landuse.errors import LanduseError
from landuse.policy import Policy

from parcels.export import write_frame
from parcels.importer import ImportReport, import_package
from parcels.store.base import Store

Progress = Callable[[str], None]


def run_import(path: str | Path, store: Store, *, policy: Policy, assume_crs: str | None = None,
               progress: Progress | None = None) -> ImportReport:
    return import_package(path, store, area_tolerance=policy.land.registered_area_tolerance,
                          assume_crs=assume_crs, progress=progress)


def read_layer(store: Store, name: str, *, year: int | None = None, zones: list[str] | None = None,
               with_geometry: bool = True) -> pd.DataFrame:
    """A layer ready for export: results layers get the parcel/zone geometry joined on."""
    df = store.read(name, year=year, zones=zones)
    if name == "parcel_results" and with_geometry and len(df) and df.geometry.isna().all():
        geo = store.read("parcels", zones=zones)[["parcel_code", "geometry"]]
        df = gpd.GeoDataFrame(df.drop(columns="geometry").merge(geo, on="parcel_code", how="left"), geometry="geometry", crs=4490)
    return df


def export_layer(store: Store, name: str, out: str | Path, *, year: int | None = None, zones: list[str] | None = None,
                 lang: str = "zh") -> tuple[Path, int]:
    if name not in LAYERS:
        raise LanduseError(f"未知图层 {name} / unknown layer {name}; known: {', '.join(LAYERS)}")
    layer = LAYERS[name]
    if year is not None and not layer.year_column:
        raise LanduseError(f"图层 {name} 没有年度 / layer {name} has no year")
    df = read_layer(store, name, year=year, zones=zones)
    if layer.output and year is None and len(df) == 0:
        raise LanduseError(f"{name}: 尚无结果，请先运行 landuse evaluate / no results yet: run `landuse evaluate --year Y`")
    if layer.output and year is not None and len(df) == 0:
        raise LanduseError(f"{name}: {year} 年尚无结果，请先运行 landuse evaluate --year {year} / "
                           f"no results for {year}: run `landuse evaluate --year {year}` first")
    path = write_frame(df, out, layer=layer, lang=lang)
    return path, len(df)


def year_end(year: int) -> _dt.date:
    return _dt.date(year, 12, 31)
