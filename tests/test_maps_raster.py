"""write_raster: area-weighted mean per cell, CGCS2000 GK grid, nodata, overviews, tiled deflate."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from maps.raster import NODATA, write_raster


def _parcels():
    # built in EPSG:4548 (GK, CM 117°E) near 115.9°E 28.6°N, then stored as EPSG:4490 like the data
    x0, y0 = 392_000.0, 3_165_000.0
    g = [shapely.box(x0, y0, x0 + 50, y0 + 100),            # left half of cell A: 100
         shapely.box(x0 + 50, y0, x0 + 100, y0 + 100),      # right half of cell A: 300  → A = 200
         shapely.box(x0 + 200, y0, x0 + 250, y0 + 100),     # half of cell C, rest empty → C = 50
         shapely.box(x0 + 400, y0, x0 + 500, y0 + 100)]     # no value → nodata
    gdf = gpd.GeoDataFrame({"parcel_code": list("abcd"), "revenue_per_mu": [100.0, 300.0, 50.0, np.nan]},
                           geometry=g, crs=4548)
    return gdf.to_crs(4490), (x0, y0)


def test_area_weighted_mean_per_cell(tmp_path):
    parcels, (x0, y0) = _parcels()
    out = write_raster(parcels, indicator="revenue_per_mu", cell_m=100, out=tmp_path / "rev.tif")
    with rasterio.open(out) as d:
        assert d.crs.to_epsg() == 4548
        assert d.nodata == NODATA
        assert d.res == (100.0, 100.0)
        assert d.profile["tiled"] and d.profile["compress"] == "deflate"
        assert d.overviews(1)
        a = d.read(1)

        def at(x, y):
            r, c = d.index(x, y)
            return a[r, c]

        assert at(x0 + 50, y0 + 50) == pytest.approx(200.0, abs=0.5)
        assert at(x0 + 150, y0 + 50) == NODATA    # cell B: no parcel
        assert at(x0 + 250, y0 + 50) == pytest.approx(50.0)
        assert d.bounds.right < x0 + 400 + 1e-6   # the parcel without a value is not gridded


def test_missing_indicator_and_no_values_are_errors(tmp_path):
    parcels, _ = _parcels()
    with pytest.raises(KeyError):
        write_raster(parcels, indicator="nope", cell_m=30, out=tmp_path / "x.tif")
    with pytest.raises(ValueError):
        write_raster(parcels.assign(revenue_per_mu=np.nan), indicator="revenue_per_mu", cell_m=30,
                     out=tmp_path / "x.tif")
