"""Built-up share from a raster (parcels.raster_evidence) with exactextract's partial-cell weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402
from shapely.geometry import box  # noqa: E402

from evaluation.rules import flag_parcels  # noqa: E402
from parcels.raster_evidence import RasterEvidenceError, built_up_share  # noqa: E402

X0, Y0 = 500000.0, 3000010.0  # CGCS2000 GK zone 38 without prefix (EPSG:4547), 10 m cells


@pytest.fixture
def mask(tmp_path):
    """2 × 2 built-up mask: [[1, 0], [0, 1]]; cell (row 0, col 0) spans x 500000–500010, y 3000000–3000010."""
    path = tmp_path / "built.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=2,
        width=2,
        count=1,
        dtype="uint8",
        crs="EPSG:4547",
        transform=Affine(10, 0, X0, 0, -10, Y0),
        nodata=255,
    ) as dst:
        dst.write(np.array([[1, 0], [0, 1]], dtype="uint8"), 1)
    return path


def parcels_gk():
    return gpd.GeoDataFrame(
        {"parcel_code": ["FULL", "HALF", "PART", "OUT"]},
        geometry=[
            box(X0, Y0 - 10, X0 + 10, Y0),  # exactly the built-up cell → 1
            box(X0 + 5, Y0 - 10, X0 + 15, Y0),  # half on the built cell, half on an empty one → 0.5
            # the built cell (100 m²) plus a quarter of the empty cell below it (25 m²) → 100/125 = 0.8
            # (a centroid-based count would say 1.0)
            box(X0, Y0 - 12.5, X0 + 10, Y0),
            box(X0 + 1000, Y0 - 10, X0 + 1010, Y0),  # outside the raster → NaN
        ],
        crs="EPSG:4547",
    )


def test_partial_cells_are_weighted(mask):
    s = built_up_share(parcels_gk(), mask)
    assert s.index.tolist() == ["FULL", "HALF", "PART", "OUT"] and s.index.name == "parcel_code"
    assert s["FULL"] == pytest.approx(1.0)
    assert s["HALF"] == pytest.approx(0.5)
    assert s["PART"] == pytest.approx(0.8)
    assert np.isnan(s["OUT"])


def test_parcels_are_reprojected_to_the_raster_crs(mask):
    geo = parcels_gk().to_crs("EPSG:4490")
    s = built_up_share(geo, mask)
    assert s["HALF"] == pytest.approx(0.5, abs=0.01)
    assert s["PART"] == pytest.approx(0.8, abs=0.01)


def test_missing_raster(tmp_path):
    with pytest.raises(RasterEvidenceError):
        built_up_share(parcels_gk(), tmp_path / "none.tif")


def test_share_feeds_rs_mismatch(mask):
    from tests.test_rules_engine import IDLE_P4, P, Y, base_parcels, base_results

    share = built_up_share(parcels_gk().assign(parcel_code=["P4", "P1", "P5", "P2"]), mask)
    # P4 declared idle, 100 % built → mismatch; P1 in production, 50 % → fine; P2 no data → no flag
    f = flag_parcels(
        base_results(),
        inputs={"parcels": base_parcels()},
        enterprise_results=None,
        idle=IDLE_P4,
        policy=P,
        year=Y,
        built_up=share,
    )
    rs = f[f["rule"] == "rs_mismatch"]
    assert rs["parcel_code"].tolist() == ["P4"]
    assert rs["evidence"].iat[0] == "申报闲置，遥感建成比例 100% ≥ 50%"
    assert isinstance(share, pd.Series)
