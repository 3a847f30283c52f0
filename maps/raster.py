"""Raster product: a GeoTIFF surface of a parcel indicator (e.g. 亩均营业收入) that QGIS opens.

Method (docs/maps.md): each cell holds the **area-weighted mean** of the indicator over the parcels
covering it, Σ vᵢ·aᵢ / Σ aᵢ with aᵢ the part of the cell inside parcel i. The areas are measured by
rasterising the parcels on a grid ``supersample`` times finer (a sub-cell belongs to the parcel
containing its centre) and counting sub-cells; cells no parcel with a value touches are nodata.
Grid: CGCS2000 3-degree Gauss–Krüger without zone prefix (EPSG:4547 at 114°E, 4548 at 117°E…),
chosen by the data's mean longitude; GeoTIFF tiled 256×256, deflate, float32, nodata −9999, sparse
(empty tiles not written, so a province-wide grid stays small), average overviews.
The raster is written block by block, so memory stays bounded at province scale.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.transform import from_origin
from rasterio.windows import Window

from maps.encode import GEOGRAPHIC_CRS, gk_epsg

NODATA = -9999.0
BLOCK = 1024  # cells per side processed at a time (multiple of the 256 tile size)


def write_raster(parcels: gpd.GeoDataFrame, *, indicator: str, cell_m: float, out: Path,
                 supersample: int = 4) -> Path:
    """Write the area-weighted mean of ``parcels[indicator]`` per ``cell_m`` cell to ``out`` (GeoTIFF)."""
    out = Path(out)
    if indicator not in parcels.columns:
        raise KeyError(f"parcels have no column {indicator!r}")
    if cell_m <= 0:
        raise ValueError("cell_m must be positive")
    gdf = parcels if parcels.crs is not None else parcels.set_crs(GEOGRAPHIC_CRS)
    values = pd.to_numeric(gdf[indicator], errors="coerce").astype("float64")
    ok = values.notna().to_numpy() & gdf.geometry.notna().to_numpy() & ~gdf.geometry.is_empty.to_numpy()
    gdf = gdf.loc[ok, [gdf.geometry.name]].assign(_v=values[ok].to_numpy())
    if gdf.empty:
        raise ValueError(f"no parcel has a value of {indicator!r} and a geometry")
    b = gdf.to_crs(GEOGRAPHIC_CRS).geometry.bounds
    lon = float(((b["minx"] + b["maxx"]) / 2).mean())  # mean longitude of the parcels
    epsg = gk_epsg(lon)
    g = gdf.to_crs(epsg)
    minx, miny, maxx, maxy = g.total_bounds
    minx = np.floor(minx / cell_m) * cell_m
    maxy = np.ceil(maxy / cell_m) * cell_m
    width = max(1, int(np.ceil((maxx - minx) / cell_m)))
    height = max(1, int(np.ceil((maxy - miny) / cell_m)))
    transform = from_origin(minx, maxy, cell_m, cell_m)
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", crs=f"EPSG:{epsg}",
                   transform=transform, nodata=NODATA, tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", predictor=3, zlevel=6, BIGTIFF="IF_SAFER", SPARSE_OK=True)
    sindex = g.sindex
    geoms = g.geometry.to_numpy()
    vals = g["_v"].to_numpy()
    s = int(supersample)
    out.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(out, "w", **profile) as dst:
        dst.update_tags(indicator=indicator, method="area-weighted mean of parcels per cell",
                        supersample=str(s), source_crs="EPSG:4490")
        dst.set_band_description(1, indicator)
        for row0 in range(0, height, BLOCK):
            for col0 in range(0, width, BLOCK):
                h, w = min(BLOCK, height - row0), min(BLOCK, width - col0)
                x0, y1 = minx + col0 * cell_m, maxy - row0 * cell_m
                hits = sindex.query(shapely.box(x0, y1 - h * cell_m, x0 + w * cell_m, y1))
                if len(hits) == 0:
                    continue
                fine_t = from_origin(x0, y1, cell_m / s, cell_m / s)
                # index of the parcel (1-based) owning each sub-cell; later parcels win overlaps
                owner = rasterize(((geoms[i], k + 1) for k, i in enumerate(hits)), out_shape=(h * s, w * s),
                                  transform=fine_t, fill=0, dtype="int32")
                v = np.concatenate([[np.nan], vals[hits]])[owner]
                covered = owner > 0
                vsum = np.where(covered, v, 0.0).reshape(h, s, w, s).sum(axis=(1, 3))
                n = covered.reshape(h, s, w, s).sum(axis=(1, 3))
                if not n.any():
                    continue
                block = np.where(n > 0, vsum / np.maximum(n, 1), NODATA).astype("float32")
                dst.write(block, 1, window=Window(col0, row0, w, h))
        factors = [f for f in (2, 4, 8, 16, 32) if min(width, height) / f >= 8] or [2]
        dst.build_overviews(factors, Resampling.average)
        dst.update_tags(ns="rio_overview", resampling="average")
    return out
