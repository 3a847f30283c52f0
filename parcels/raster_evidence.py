"""Remote-sensing evidence: the built-up share of each parcel from a raster (docs/domain.md §7).

The raster is a 0/1 built-up mask or a 0–1 built-up share (one band; nodata cells are ignored).
Each parcel's share is the coverage-weighted mean of the cells it touches (exactextract: a cell
half inside the parcel counts half), computed in the raster's CRS. A parcel outside the raster, or
over nodata only, gets NaN. The result feeds the ``rs_mismatch`` rule
(``evaluation.rules.flag_parcels(..., built_up=...)``) and parcel_results' ``built_up_share``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from landuse.core.errors import LanduseError
from landuse.core.units import EPSG_CGCS2000

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["built_up_share", "RasterEvidenceError"]


class RasterEvidenceError(LanduseError):
    """The raster cannot be read or has no CRS."""


def built_up_share(parcels_gdf: gpd.GeoDataFrame, raster_path: str | Path, *, band: int = 1) -> pd.Series:
    """parcel_code → built-up share (0–1, float; NaN where the raster has no data for the parcel).

    ``parcels_gdf``: a GeoDataFrame with ``parcel_code`` and polygons; without a CRS it is taken to
    be CGCS2000 geographic (EPSG:4490). It is reprojected to the raster's CRS (not modified).
    """
    import geopandas as gpd
    import rasterio
    from exactextract import exact_extract
    from exactextract.raster import RasterioRasterSource

    path = Path(raster_path)
    if not path.exists():
        raise RasterEvidenceError(f"{path}: 栅格文件不存在 / raster not found")
    name = "built_up_share"
    codes = parcels_gdf["parcel_code"].astype(object)
    if len(parcels_gdf) == 0:
        return pd.Series([], index=pd.Index([], name="parcel_code", dtype=object), dtype=float, name=name)
    with rasterio.open(path) as src:
        if src.crs is None:
            raise RasterEvidenceError(f"{path}: 栅格没有坐标系 / raster has no CRS")
        crs = src.crs.to_wkt()
        if band < 1 or band > src.count:
            raise RasterEvidenceError(f"{path}: no band {band}")
    gdf = gpd.GeoDataFrame(
        {"_row": np.arange(len(parcels_gdf))},
        geometry=parcels_gdf.geometry.values,
        crs=parcels_gdf.crs or f"EPSG:{EPSG_CGCS2000}",
    )
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    values = np.full(len(parcels_gdf), np.nan)
    if len(gdf):
        gdf = gdf.to_crs(crs)
        with rasterio.open(path) as src:
            res = exact_extract(
                RasterioRasterSource(src, band_idx=band),
                gdf,
                ["mean"],
                include_cols=["_row"],
                output="pandas",
            )
        rows = res["_row"].to_numpy(dtype=int)
        values[rows] = pd.to_numeric(res["mean"], errors="coerce").to_numpy(dtype=float)
    idx = pd.Index(codes.to_numpy(), name="parcel_code", dtype=object)
    return pd.Series(values, index=idx, name=name, dtype=float)
