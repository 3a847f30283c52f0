"""The bad-input corpus: each case breaks a valid package one way; the import must name the problem
(file, layer, row, column, value, expectation) and leave the store row-for-row unchanged — on both
backends (the ``store`` fixture runs every case on a GeoPackage and on PostGIS)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from landuse.core.errors import LanduseError, ValidationFailed
from parcels.importer import import_package
from tests import pkgkit


def _csv(pkg: Path, name: str, fn) -> None:
    df = pd.read_csv(pkg / f"{name}.csv", dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(pkg / f"{name}.csv", index=False)


def _parcels(pkg: Path, fn) -> None:
    g = gpd.read_file(pkg / "parcels.gpkg")
    g = fn(g)
    (pkg / "parcels.gpkg").unlink()
    g.to_file(pkg / "parcels.gpkg", layer="parcels", driver="GPKG")


def _set(df, row, col, value):
    df = df.copy()
    df.loc[row, col] = value
    return df


def bad_uscc_check(p):
    _csv(p, "enterprises", lambda d: _set(d, 0, "uscc", d.loc[0, "uscc"][:-1] + ("0" if d.loc[0, "uscc"][-1] != "0" else "1")))
    return ("uscc_check", "uscc", 2)


def bad_uscc_letter(p):
    _csv(p, "enterprises", lambda d: _set(d, 1, "uscc", "91360700MAI000002X"))
    return ("uscc_check", "uscc", 3)


def duplicate_parcel(p):
    _parcels(p, lambda g: _set(g, 1, "parcel_code", "P1"))
    return ("duplicate_key", "parcel_code", 2)


def duplicate_enterprise_year(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 1, "uscc", d.loc[0, "uscc"]))
    return ("duplicate_key", "uscc/year", 3)


def parcel_unknown_zone(p):
    _parcels(p, lambda g: _set(g, 2, "zone_code", "Z9"))
    return ("dangling_reference", "zone_code", 3)


def lease_unknown_building(p):
    _csv(p, "leases", lambda d: _set(d, 0, "building_code", "B404"))
    return ("dangling_reference", "building_code", 2)


def year_unknown_enterprise(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 4, "uscc", pkgkit.uscc("360700", 99)))
    return ("dangling_reference", "uscc", 6)


def building_unknown_parcel(p):
    _csv(p, "buildings", lambda d: _set(d, 0, "parcel_code", "P404"))
    return ("dangling_reference", "parcel_code", 2)


def revenue_not_number(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 3, "revenue_wan", "一万二"))
    return ("not_a_number", "revenue_wan", 5)


def year_not_whole(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 2, "year", "2020.5"))
    return ("not_a_number", "year", 4)


def year_out_of_range(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 2, "year", "1850"))
    return ("year", "year", 4)


def date_unparseable(p):
    _csv(p, "leases", lambda d: _set(d, 0, "start_date", "2021-13-45"))
    return ("not_a_date", "start_date", 2)


def date_words(p):
    _csv(p, "buildings", lambda d: _set(d, 0, "completion_date", "去年"))
    return ("not_a_date", "completion_date", 2)


def negative_area(p):
    _parcels(p, lambda g: _set(g, 0, "registered_area_m2", -5.0))
    return ("negative", "registered_area_m2", 1)


def negative_revenue(p):
    _csv(p, "enterprise_years", lambda d: _set(d, 0, "revenue_wan", "-100"))
    return ("negative", "revenue_wan", 2)


def lease_start_after_end(p):
    _csv(p, "leases", lambda d: _set(d, 0, "end_date", "2020-01-01"))
    return ("start_after_end", "end_date", 2)


def supply_after_completion(p):
    _parcels(p, lambda g: _set(g, 0, "completion_date", "2010-01-01"))
    return ("start_after_end", "completion_date", 1)


def lease_over_capacity(p):
    def add(d):
        extra = d.iloc[[0]].copy()
        extra["uscc"] = pkgkit.E2
        extra["floor_area_m2"] = "6000"
        extra["start_date"] = "2022-01-01"
        return pd.concat([d, extra], ignore_index=True)
    _csv(p, "leases", add)
    return ("lease_over_capacity", "floor_area_m2", 2)


def lease_without_target(p):
    _csv(p, "leases", lambda d: _set(d, 0, "building_code", ""))
    return ("required", "building_code", 2)


def empty_geometry(p):
    _parcels(p, lambda g: _set(g, 1, "geometry", Polygon()))
    return ("empty_geometry", "geometry", 2)


def wrong_geometry(p):
    _parcels(p, lambda g: g.set_geometry(g.geometry.where(g.index != 0, LineString([(114.9, 25.8), (114.91, 25.81)]))))
    return ("wrong_geometry", "geometry", 1)


def missing_required_column(p):
    _csv(p, "enterprises", lambda d: d.drop(columns=["name"]))
    return ("missing_column", "name", None)


def missing_required_value(p):
    _csv(p, "enterprises", lambda d: _set(d, 2, "industry_code", ""))
    return ("required", "industry_code", 4)


def bad_choice_level(p):
    z = gpd.read_file(p / "zones.geojson")
    z.loc[0, "level"] = "city"
    (p / "zones.geojson").unlink()
    z.to_file(p / "zones.geojson", driver="GeoJSON")
    return ("choice", "level", 1)


def bad_scheme(p):
    _parcels(p, lambda g: _set(g, 2, "land_use_scheme", "gb2017"))
    return ("choice", "land_use_scheme", 3)


def bad_bool(p):
    _csv(p, "enterprises", lambda d: _set(d, 0, "above_scale", "maybe"))
    return ("not_a_bool", "above_scale", 2)


def duplicate_header(p):
    _csv(p, "enterprises", lambda d: d.assign(**{"企业名称": d["name"]}))
    return ("duplicate_header", "企业名称", None)


def two_sources_one_layer(p):
    pd.read_csv(p / "leases.csv").to_excel(p / "leases.xlsx", index=False)
    return ("duplicate_layer", None, None)


def bad_holder_and_zone(p):
    """Several problems at once: all reported."""
    _parcels(p, lambda g: _set(_set(g, 0, "zone_code", "ZX"), 1, "land_use_scheme", "nope"))
    _csv(p, "enterprise_years", lambda d: _set(d, 0, "tax_wan", "n/a"))
    return ("dangling_reference", "zone_code", 1)


# --- values that parse but cannot be right -------------------------------------------------------

def comma_decimal_ambiguous(p):
    """28.105,76: a decimal comma or a thousands separator? Refused with the value."""
    _csv(p, "enterprise_years", lambda d: _set(d, 0, "revenue_wan", "28.105,76"))
    return ("ambiguous_number", "revenue_wan", 2, "enterprise_years.csv", "28.105,76")


def revenue_in_yuan(p):
    """营业收入 written in 元 under a 万元 column: every value ×10 000; the file's median gives it away."""
    _csv(p, "enterprise_years", lambda d: d.assign(revenue_wan=(d["revenue_wan"].astype(float) * 10_000).map(str)))
    return ("magnitude", "revenue_wan", 2, "enterprise_years.csv", "10 000")


def uscc_two_letter_cases(p):
    """The same USCC in two letter cases is one enterprise: the second row is a duplicate key."""
    def add(d):
        extra = d.iloc[[0]].copy()
        extra["uscc"] = extra["uscc"].str.lower()
        return pd.concat([d, extra], ignore_index=True)
    _csv(p, "enterprises", add)
    return ("duplicate_key", "uscc", 5, "enterprises.csv", pkgkit.E1)


def _shapefile_parcels(p) -> Path:
    (p / "parcels.gpkg").unlink()
    g = pkgkit.parcels_gdf()
    pyogrio.write_dataframe(g, p / "parcels.shp", encoding="UTF-8")
    return p / "parcels.dbf"


def dbf_count_too_low(p):
    """A .dbf whose header counts one record fewer than it holds: GDAL would skip the last parcel."""
    dbf = _shapefile_parcels(p)
    data = bytearray(dbf.read_bytes())
    n = struct.unpack_from("<I", data, 4)[0]
    struct.pack_into("<I", data, 4, n - 1)
    dbf.write_bytes(bytes(data))
    return ("unreadable_file", None, None, "parcels.shp", "header says 2 records but the file holds 3")


def dbf_truncated(p):
    dbf = _shapefile_parcels(p)
    dbf.write_bytes(dbf.read_bytes()[:-200])
    return ("unreadable_file", None, None, "parcels.shp", "cut short")


def shx_missing(p):
    _shapefile_parcels(p)
    (p / "parcels.shx").unlink()
    return ("unreadable_file", None, None, "parcels.shp", "parcels.shx")


def excel_only_sheet1(p):
    """A workbook whose name says no layer and whose only sheet is Sheet1: refused, listing the sheets."""
    (p / "enterprises.csv").unlink()
    pkgkit.enterprises_df().to_excel(p / "名单.xlsx", index=False, sheet_name="Sheet1")
    return ("unknown_sheets", None, None, "名单.xlsx", "Sheet1")


def html_named_xls(p):
    (p / "enterprises.csv").unlink()
    (p / "enterprises.xls").write_text("<html><body><table><tr><td>统一社会信用代码</td></tr></table></body></html>",
                                       encoding="utf-8")
    return ("unreadable_file", None, None, "enterprises.xls", "HTML")


def damaged_geopackage(p):
    data = bytearray((p / "parcels.gpkg").read_bytes())
    data[4096:len(data) - 4096] = b"\xff" * (len(data) - 8192)
    (p / "parcels.gpkg").write_bytes(bytes(data))
    return ("unreadable_file", None, None, "parcels.gpkg", None)


def duplicate_geometry(p):
    """Two parcels with the same polygon: the same land counted twice."""
    _parcels(p, lambda g: g.set_geometry(g.geometry.where(g.index != 1, g.geometry.iloc[0])))
    return ("duplicate_geometry", "geometry", 2, "parcels.gpkg", "P1")


def sliver(p):
    """A 1 m² polygon registered as 4 ha: 40 000 times its drawn area."""
    tiny = box(pkgkit.LON, pkgkit.LAT, pkgkit.LON + 0.00001, pkgkit.LAT + 0.00001)  # ≈ 1.0 m × 1.1 m
    _parcels(p, lambda g: _set(g.set_geometry(g.geometry.where(g.index != 0, tiny)), 0, "registered_area_m2", 40000.0))
    return ("sliver", "registered_area_m2", 1, "parcels.gpkg", "fold")


def _swap(geom):
    return shapely.ops.transform(lambda x, y: (y, x), geom)


def latlon_swapped_geojson(p):
    z = gpd.read_file(p / "zones.geojson")
    z = z.set_geometry(z.geometry.map(_swap))
    (p / "zones.geojson").unlink()
    z.to_file(p / "zones.geojson", driver="GeoJSON")
    return ("latlon_swapped", "geometry", 1, "zones.geojson", "latitude")


def latlon_swapped_geopackage(p):
    _parcels(p, lambda g: g.set_geometry(g.geometry.map(_swap)))
    return ("latlon_swapped", "geometry", 1, "parcels.gpkg", "latitude")


def gk_metres_labelled_4490(p):
    """Gauss-Krüger metres (zone 39, with prefix) in a file that declares EPSG:4490 (degrees)."""
    _parcels(p, lambda g: g.to_crs(4527).set_crs(4490, allow_override=True))
    return ("crs_mismatch", "geometry", 1, "parcels.gpkg", "EPSG:4527")


def outside_china(p):
    _parcels(p, lambda g: g.set_geometry(g.geometry.translate(xoff=-100.0)))
    return ("outside_china", "geometry", 1, "parcels.gpkg", "lon 14.93")


def eastings_without_zone_prefix(p):
    """Eastings of GK CM 117°E without prefix and without .prj are taken as CM 114°E: ~300 km west."""
    (p / "parcels.gpkg").unlink()
    g = pkgkit.parcels_gdf().to_crs(4548)
    pyogrio.write_dataframe(g, p / "parcels.shp", encoding="UTF-8")
    (p / "parcels.prj").unlink()
    return ("outside_zone", "geometry", 1, "parcels.shp", "km away")


def nan_coordinate(p):
    bad = Polygon([(pkgkit.LON, pkgkit.LAT), (np.nan, pkgkit.LAT), (pkgkit.LON + 0.001, pkgkit.LAT + 0.001)])
    _parcels(p, lambda g: g.set_geometry(g.geometry.where(g.index != 0, bad)))
    return ("nan_coordinate", "geometry", 1, "parcels.gpkg", "NaN")


def _title_row_workbook(p, *, broken_cell: str):
    """enterprise_years as a government workbook: a title row, then a merged two-row header."""
    from openpyxl import Workbook

    (p / "enterprise_years.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["2020—2025年规上工业企业经营情况表"])
    ws.merge_cells("A1:D1")
    ws.append(["统一社会信用代码", "年度", "经营指标", None])
    ws.append([None, None, "营业收入（万元）", "实缴税金(万元)"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:D2")
    for r in pkgkit.enterprise_years_df().itertuples():
        ws.append([r.uscc, r.year, r.revenue_wan, r.tax_wan])
    ws[broken_cell] = "一万二"
    wb.save(p / "企业年度数据.xlsx")


def excel_title_and_merged_header(p):
    """The header is found below the title row; rows are the sheet's own row numbers."""
    _title_row_workbook(p, broken_cell="C5")
    return ("not_a_number", "revenue_wan", 5, "企业年度数据.xlsx", "一万二")


CASES = [bad_uscc_check, bad_uscc_letter, duplicate_parcel, duplicate_enterprise_year, parcel_unknown_zone,
         lease_unknown_building, year_unknown_enterprise, building_unknown_parcel, revenue_not_number, year_not_whole,
         year_out_of_range, date_unparseable, date_words, negative_area, negative_revenue, lease_start_after_end,
         supply_after_completion, lease_over_capacity, lease_without_target, empty_geometry, wrong_geometry,
         missing_required_column, missing_required_value, bad_choice_level, bad_scheme, bad_bool, duplicate_header,
         two_sources_one_layer, bad_holder_and_zone,
         comma_decimal_ambiguous, revenue_in_yuan, uscc_two_letter_cases, dbf_count_too_low, dbf_truncated, shx_missing,
         excel_only_sheet1, html_named_xls, damaged_geopackage, duplicate_geometry, sliver, latlon_swapped_geojson,
         latlon_swapped_geopackage, gk_metres_labelled_4490, outside_china, eastings_without_zone_prefix, nan_coordinate,
         excel_title_and_merged_header]


@pytest.fixture
def loaded(store, tmp_path):
    """A store holding a valid package, and a second copy of that package to break."""
    good = pkgkit.write_package(tmp_path / "good")
    import_package(good, store)
    return store, pkgkit.write_package(tmp_path / "bad")


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_is_named_and_changes_nothing(loaded, case):
    store, pkg = loaded
    before = store.snapshot()
    code, column, row, *more = case(pkg)
    file, text = (more + [None, None])[:2]
    # a correct change elsewhere in the same package must not land either
    if (pkg / "enterprise_years.csv").exists():
        _csv(pkg, "enterprise_years", lambda d: _set(d, len(d) - 1, "tax_wan", "12345"))
    else:
        _csv(pkg, "leases", lambda d: _set(d, 0, "floor_area_m2", "2999"))
    with pytest.raises(ValidationFailed) as ei:
        import_package(pkg, store)
    errors = [p for p in ei.value.problems if p.severity == "error"]
    match = [p for p in errors if p.code == code and (column is None or p.column == column) and (row is None or p.row == row)]
    assert match, f"expected a {code} problem on {column} row {row}; got {[p.as_dict() for p in errors]}"
    p = match[0]
    assert p.file and p.layer is not None and p.expected
    if file:
        assert file in p.file, p.as_dict()
    if text:
        assert text in f"{p.value} {p.expected}", p.as_dict()
    assert store.snapshot() == before


def test_all_problems_reported_at_once(loaded):
    store, pkg = loaded
    bad_holder_and_zone(pkg)
    with pytest.raises(ValidationFailed) as ei:
        import_package(pkg, store)
    codes = {p.code for p in ei.value.problems if p.severity == "error"}
    assert {"dangling_reference", "choice", "not_a_number"} <= codes


def test_zip_path_escape_is_refused(loaded, tmp_path):
    store, _pkg = loaded
    before = store.snapshot()
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../escape.csv", "a,b\n1,2\n")
    with pytest.raises(LanduseError, match="unsafe path"):
        import_package(z, store)
    assert store.snapshot() == before
    assert not (tmp_path.parent / "escape.csv").exists()


def test_zip_bomb_is_refused(loaded, tmp_path):
    store, _pkg = loaded
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("enterprises.csv", b"0" * 60_000_000)
    with pytest.raises(LanduseError, match="compression ratio"):
        import_package(z, store)
