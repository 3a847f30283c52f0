"""Area in mu on the CGCS2000 ellipsoid (docs/domain.md §3).

Official land figures are ellipsoidal areas (椭球面积). ``geodesic_area_m2`` computes them for a
whole column at once: geometries in EPSG:4490 are projected to an Albers *equal-area* projection
on the GRS80 ellipsoid, centred on the whole-degree cell of each geometry (area-preserving by construction), where the planar area is the ellipsoidal
area; the only difference from pyproj.Geod's geodesic polygon area is that an edge is straight in
the projection rather than a geodesic, which for parcel edges of metres to a few km is far below
1e-6 relative (measured 6e-8 on 100 000 parcels; ``tests/test_area.py`` checks it against
``pyproj.Geod(ellps="GRS80")``). It is ~5× faster than looping Geod over 100 000 polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from landuse.core.units import EPSG_CGCS2000, M2_PER_MU

_GEOD = pyproj.Geod(ellps="GRS80")


def _albers_for(lon0: float, lat0: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(
        f"+proj=aea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +lat_1={lat0 - 2:.4f} +lat_2={lat0 + 2:.4f} "
        "+ellps=GRS80 +units=m +no_defs"
    )


def geodesic_area_m2(geoms: gpd.GeoSeries) -> pd.Series:
    """Ellipsoidal (GRS80) area in m² of each geometry of a GeoSeries in EPSG:4490 (or any CRS)."""
    if len(geoms) == 0:
        return pd.Series([], index=geoms.index, dtype="float64")
    g = geoms if geoms.crs is not None and geoms.crs.to_epsg() == EPSG_CGCS2000 else geoms.to_crs(EPSG_CGCS2000)
    arr = g.values._data if hasattr(g.values, "_data") else np.asarray(g.values)
    valid = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    out = np.zeros(len(arr), dtype="float64")
    out[~valid] = np.nan
    if valid.any():
        # one Albers projection per whole-degree cell of each geometry's centre: the result for a
        # geometry never depends on which other geometries are in the batch
        b = shapely.bounds(arr[valid])
        cells = np.column_stack([np.round((b[:, 0] + b[:, 2]) / 2), np.round((b[:, 1] + b[:, 3]) / 2)])
        idx = np.flatnonzero(valid)
        areas = np.empty(len(idx), dtype="float64")
        for lon0, lat0 in np.unique(cells, axis=0):
            sel = (cells[:, 0] == lon0) & (cells[:, 1] == lat0)
            t = pyproj.Transformer.from_crs(EPSG_CGCS2000, _albers_for(float(lon0), float(lat0)), always_xy=True)
            projected = shapely.transform(arr[idx[sel]], lambda xy, t=t: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
            areas[sel] = shapely.area(projected)
        out[idx] = areas
    return pd.Series(out, index=geoms.index, dtype="float64")


def geod_area_m2(geom) -> float:
    """Reference: pyproj.Geod geodesic area of one lon/lat geometry (slow; for tests and checks)."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


def area_mu(geoms: gpd.GeoSeries) -> pd.Series:
    return geodesic_area_m2(geoms) / M2_PER_MU
