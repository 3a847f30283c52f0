"""Ordinary inputs that must be accepted (on both backends): full-width characters, Excel date serials
stored as text, 9999-12-31 as open-ended, PolygonZ, USCCs in lower case, government workbooks with a
title row and a merged two-row header, a workbook named after its layer whose only sheet is Sheet1."""

from __future__ import annotations

import pandas as pd
import pyogrio
import shapely
import shapely.affinity
from shapely.geometry import Polygon

from parcels.importer import import_package
from parcels.io import find_header
from landuse.core.contract import LAYERS
from tests import pkgkit
from tests.test_import_bad_input import _title_row_workbook


def test_full_width_headers_and_digits(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    ey = pkgkit.enterprise_years_df()
    ey = ey.rename(columns={"uscc": "统一社会信用代码", "year": "年度", "revenue_wan": "营业收入（万元）",
                            "tax_wan": "实缴税金（万元）"}).astype(object)
    ey.loc[0, "营业收入（万元）"] = "２００００"  # full-width digits
    ey.loc[1, "年度"] = "２０２０"
    ey.to_csv(pkg / "enterprise_years.csv", index=False)
    import_package(pkg, store)
    got = store.read("enterprise_years")
    row = got[(got.uscc == pkgkit.E1) & (got.year == 2020)]
    assert row["revenue_wan"].item() == 20000.0
    assert len(got) == 18


def test_excel_date_serial_stored_as_text(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    b = pd.read_csv(pkg / "buildings.csv", dtype=str)
    b.loc[0, "completion_date"] = "44185"  # Excel serial of 2020-12-20 (1899-12-30 + 44185 days)
    b.to_csv(pkg / "buildings.csv", index=False)
    import_package(pkg, store)
    assert store.read("buildings")["completion_date"].iloc[0] == pd.Timestamp("2020-12-20")


def test_9999_12_31_is_open_ended(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    le = pd.read_csv(pkg / "leases.csv", dtype=str)
    le.loc[0, "end_date"] = "9999-12-31"
    le.to_csv(pkg / "leases.csv", index=False)
    rep = import_package(pkg, store)
    assert pd.isna(store.read("leases")["end_date"].iloc[0])
    warn = [p for p in rep.problems if p.code == "open_ended_date"]
    assert warn and warn[0].row == 2 and warn[0].value == "9999-12-31" and warn[0].severity == "warning"


def test_polygon_z_is_stored_as_plan_geometry(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    g = pkgkit.parcels_gdf()
    g["geometry"] = [Polygon([(x, y, 50.0) for x, y in geom.exterior.coords]) for geom in g.geometry]
    (pkg / "parcels.gpkg").unlink()
    g.to_file(pkg / "parcels.gpkg", layer="parcels", driver="GPKG")
    assert pyogrio.read_info(pkg / "parcels.gpkg", layer="parcels")["geometry_type"].endswith("Z")
    rep = import_package(pkg, store)
    got = store.read("parcels")
    assert not shapely.has_z(got.geometry.values).any()
    assert any(p.code == "z_dropped" for p in rep.problems)
    # geodesic area of the plan polygon, as for the 2D package (0.002° square at 25.83°N ≈ 44 430 m²)
    assert abs(got.loc[got.parcel_code == "P1", "geodesic_area_m2"].item() - 44429.6) < 1.0


def test_lower_case_uscc_is_stored_upper_case(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    e = pd.read_csv(pkg / "enterprises.csv", dtype=str)
    e["uscc"] = e["uscc"].str.lower()
    e.to_csv(pkg / "enterprises.csv", index=False)
    import_package(pkg, store)
    assert sorted(store.read("enterprises")["uscc"]) == sorted([pkgkit.E1, pkgkit.E2, pkgkit.E3])


def test_government_workbook_with_title_row_and_merged_header(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    _title_row_workbook(pkg, broken_cell="Z1")  # Z1: outside the table
    rep = import_package(pkg, store)
    got = store.read("enterprise_years")
    assert len(got) == 18
    assert got.loc[(got.uscc == pkgkit.E1) & (got.year == 2024), "revenue_wan"].item() == 24000.0
    assert any("row 2–3" in n for n in rep.notes), rep.notes


def test_workbook_named_after_its_layer_with_only_sheet1(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    (pkg / "enterprises.csv").unlink()
    pkgkit.enterprises_df().to_excel(pkg / "2024年企业信息.xlsx", index=False, sheet_name="Sheet1")
    rep = import_package(pkg, store)
    assert len(store.read("enterprises")) == 3
    assert any("Sheet1" in n and "enterprises" in n for n in rep.notes)


def test_find_header_rules():
    layer = LAYERS["enterprise_years"]
    assert find_header([["uscc", "year", "revenue_wan"], ["x", "2020", "1"]], layer)[1:] == (0, 1)
    rows = [["某市规上企业情况", None, None], [None, None, None], ["统一社会信用代码", "年度", "营业收入"], ["x", 2020, 1]]
    labels, h, n = find_header(rows, layer)
    assert (h, n) == (2, 1) and labels[:3] == ["统一社会信用代码", "年度", "营业收入"]
    merged = [["统一社会信用代码", "年度", "经营指标", None], [None, None, "营业收入(万元)", "实缴税金(万元)"], ["x", 2020, 1, 2]]
    labels, h, n = find_header(merged, layer)
    assert (h, n) == (0, 2) and labels == ["统一社会信用代码", "年度", "营业收入(万元)", "实缴税金(万元)"]


def test_large_csv_streamed_in_chunks_imports_the_same(store, tmp_path, monkeypatch):
    """A CSV read chunk by chunk (here: 5 rows a chunk) gives the same store, and the same row numbers
    in its problems, as one read whole."""
    import parcels.io as io_mod
    from landuse.core.errors import ValidationFailed

    monkeypatch.setattr(io_mod, "CSV_STREAM_BYTES", 1)
    monkeypatch.setattr(io_mod, "CSV_CHUNK_ROWS", 5)
    pkg = pkgkit.write_package(tmp_path / "pkg")
    import_package(pkg, store)
    got = store.read("enterprise_years")
    assert len(got) == 18 and got["revenue_wan"].sum() == pkgkit.enterprise_years_df()["revenue_wan"].sum()
    bad = pkgkit.write_package(tmp_path / "bad")
    ey = pd.read_csv(bad / "enterprise_years.csv", dtype=str)
    ey.loc[12, "revenue_wan"] = "一万"  # file row 14, in the third chunk
    ey.loc[16, ["uscc", "year"]] = ey.loc[1, ["uscc", "year"]].to_numpy()  # a duplicate across chunks (row 18 of row 3)
    ey.to_csv(bad / "enterprise_years.csv", index=False)
    try:
        import_package(bad, store)
        raise AssertionError("accepted")
    except ValidationFailed as exc:
        found = {(p.code, p.row) for p in exc.problems}
    assert ("not_a_number", 14) in found and ("duplicate_key", 18) in found


def test_csv_with_a_title_row(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    text = (pkg / "enterprises.csv").read_text(encoding="utf-8")
    (pkg / "enterprises.csv").write_text("2024年企业名单,,,\n" + text, encoding="utf-8")
    rep = import_package(pkg, store)
    assert len(store.read("enterprises")) == 3 and any("row 2" in n for n in rep.notes)


def test_parcel_somewhat_outside_its_zone_is_warned_with_the_distance(store, tmp_path):
    """1.1 km outside zone Z1 (policy: warn beyond 500 m, refuse beyond 20 km): imported, and said."""
    pkg = pkgkit.write_package(tmp_path / "pkg")
    g = pkgkit.parcels_gdf()
    # Z1 reaches LAT + 0.02; P1 moved to start at LAT + 0.03: 0.01° of latitude ≈ 1 107 m north of it
    g["geometry"] = [geom if i else shapely.affinity.translate(geom, yoff=0.03) for i, geom in enumerate(g.geometry)]
    (pkg / "parcels.gpkg").unlink()
    g.to_file(pkg / "parcels.gpkg", layer="parcels", driver="GPKG")
    rep = import_package(pkg, store)
    warn = [p for p in rep.problems if p.code == "outside_zone"]
    assert len(warn) == 1 and warn[0].severity == "warning" and warn[0].row == 1
    metres = float(warn[0].value.split(" m ")[0].replace(",", ""))
    assert 1090 < metres < 1120, warn[0].value
    assert "P1" in set(store.read("parcels")["parcel_code"])
