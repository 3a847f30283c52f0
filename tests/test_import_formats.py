"""The shapes real bureau data arrives in: GBK Shapefiles without .cpg, GK coordinates without
.prj, Chinese headers, GBK CSV, Excel sheets, zips, one GeoPackage holding everything."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from landuse.core.contract import alias_map
from parcels.area import geod_area_m2
from parcels.io import guess_crs, read_package
from parcels.importer import import_package
from tests import pkgkit


def _gbk_gk_shapefile(pkg: Path, *, prefix: bool) -> None:
    p = pkgkit.parcels_gdf()
    p["holder_name"] = ["赣州甲电子有限公司", "赣州乙稀土有限公司", "南康丙家具有限公司"]
    g = p.to_crs(4527 if prefix else 4547)  # GK zone 39 with prefix / CM 114°E without
    g = g.rename(columns={"parcel_code": "宗地代码", "registered_area_m2": "registered", "agreed_start_date": "agreed_sta"})
    (pkg / "parcels.gpkg").unlink()
    pyogrio.write_dataframe(g, pkg / "parcels.shp", encoding="GBK")
    for ext in (".cpg", ".prj"):
        (pkg / f"parcels{ext}").unlink(missing_ok=True)


def test_gbk_shapefile_without_cpg_or_prj_on_prefixed_gk(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    _gbk_gk_shapefile(pkg, prefix=True)
    read = read_package(pkg)
    notes = " ".join(read.notes)
    assert "GB18030" in notes or "GBK" in notes
    assert "EPSG:4527" in notes and "39" in notes
    assert "parcel_code" in read.layers["parcels"].frame.columns
    rep = import_package(pkg, store)
    got = store.read("parcels").set_index("parcel_code")
    ref = pkgkit.parcels_gdf().set_index("parcel_code")
    # round trip through GK zone 39 lands where it started (sub-millimetre)
    assert got.loc["P1"].geometry.equals_exact(ref.loc["P1"].geometry, tolerance=1e-8) or \
        got.loc["P1"].geometry.symmetric_difference(ref.loc["P1"].geometry).area < 1e-12
    assert "agreed_start_date" in " ".join(rep.notes) or got.loc["P1", "agreed_start_date"] == pd.Timestamp("2018-09-01")


def test_six_digit_gk_without_prj_is_assumed_and_said(tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    _gbk_gk_shapefile(pkg, prefix=False)
    read = read_package(pkg)
    assert any("EPSG:4547" in n and "assume" in n for n in read.notes)
    read2 = read_package(pkg, assume_crs="EPSG:4547")
    assert any("given by the user" in n for n in read2.notes)


def test_guess_crs_rules():
    assert guess_crs((114.0, 25.0, 115.0, 26.0), None)[0].to_epsg() == 4490
    assert guess_crs((38_450_000, 2_850_000, 38_460_000, 2_860_000), None)[0].to_epsg() == 4526
    assert guess_crs((39_500_000, 3_000_000, 39_510_000, 3_010_000), None)[0].to_epsg() == 4527
    from landuse.core.errors import LanduseError

    with pytest.raises(LanduseError):
        guess_crs((38_999_000, 2_850_000, 39_001_000, 2_860_000), None)


def test_gbk_csv_and_chinese_excel_headers(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    e = pkgkit.enterprises_df().rename(columns={"uscc": "统一社会信用代码", "name": "企业名称", "industry_code": "行业代码",
                                                "above_scale": "是否规上"})
    e["是否规上"] = ["是", "是", "否"]
    (pkg / "enterprises.csv").unlink()
    e.to_excel(pkg / "企业.xlsx", index=False)
    ey = pkgkit.enterprise_years_df().rename(columns={"revenue_wan": "营业收入", "tax_wan": "实缴税金", "year": "年度"})
    ey.to_csv(pkg / "enterprise_years.csv", index=False, encoding="gbk")
    import_package(pkg, store)
    got = store.read("enterprises").set_index("uscc")
    assert got.loc[pkgkit.E3, "name"] == "南康丙家具有限公司"
    assert got.loc[pkgkit.E3, "above_scale"] is False or not bool(got.loc[pkgkit.E3, "above_scale"])
    assert len(store.read("enterprise_years")) == 18


def test_zip_and_single_geopackage(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    z = tmp_path / "pkg.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in pkg.iterdir():
            zf.write(f, f"数据包/{f.name}")
    rep = import_package(z, store)
    assert {c.layer for c in rep.changes} >= {"parcels", "zones", "leases"}
    # one GeoPackage holding every layer
    one = tmp_path / "one.gpkg"
    pkgkit.zones_gdf().to_file(one, layer="zones", driver="GPKG")
    pkgkit.parcels_gdf().to_file(one, layer="parcels", driver="GPKG")
    pyogrio.write_dataframe(pkgkit.enterprises_df(), one, layer="enterprises")
    rep2 = {c.layer: c for c in import_package(one, store).changes}
    # same content: nothing new (zones may differ in the last digits: GeoJSON rounds coordinates)
    assert all(c.inserted == 0 for c in rep2.values())
    assert rep2["parcels"].updated == 0 and rep2["enterprises"].updated == 0


def test_cut_shapefile_names_and_aliases():
    from landuse.core.contract import PARCELS
    from parcels.io import map_headers

    m, probs, notes = map_headers(["parcel_cod", "ZDDM", "commit_rev", "宗地面积", "junk"], PARCELS, file="x.shp", shapefile=True)
    assert m["parcel_cod"] == "parcel_code" and m["commit_rev"] == "commit_revenue_wan_per_mu"
    assert m["宗地面积"] == "registered_area_m2"
    assert any(p.code == "duplicate_header" for p in probs)  # ZDDM is parcel_code too
    assert any("junk" in n for n in notes)
    m2, probs2, _ = map_headers(["commit_xyz"], PARCELS, file="x.shp", shapefile=True)
    assert "commit_xyz" not in m2
    assert "宗地代码" in alias_map("parcels")


def test_repaired_geometry_is_a_warning_and_area_mismatch_reported(store, tmp_path):
    from shapely.geometry import Polygon

    pkg = pkgkit.write_package(tmp_path / "pkg")
    g = pkgkit.parcels_gdf()
    x, y = pkgkit.LON, pkgkit.LAT
    g.loc[2, "geometry"] = Polygon([(x + 0.04, y), (x + 0.042, y + 0.002), (x + 0.042, y), (x + 0.04, y + 0.002)])  # bow-tie
    g.loc[0, "registered_area_m2"] = 50000.0  # geometry says ≈ 44 430 m²
    (pkg / "parcels.gpkg").unlink()
    g.to_file(pkg / "parcels.gpkg", layer="parcels", driver="GPKG")
    rep = import_package(pkg, store)
    codes = {p.code for p in rep.problems}
    assert {"geometry_repaired", "area_mismatch"} <= codes
    assert all(p.severity == "warning" for p in rep.problems)


def test_geodesic_area_matches_pyproj_geod():
    import geopandas as gpd

    from parcels.area import geodesic_area_m2

    g = pkgkit.parcels_gdf().geometry
    ours = geodesic_area_m2(gpd.GeoSeries(g, crs=4490))
    ref = [geod_area_m2(p) for p in g]
    for a, b in zip(ours, ref, strict=True):
        assert a == pytest.approx(b, rel=1e-6)
