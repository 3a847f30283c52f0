"""The intensive-use survey as bureaus hold it (docs/data-package.md ``land_survey``): File
Geodatabases, GBK Shapefiles without .prj on zone-prefixed Xian 1980 eastings, a declared zone that
contradicts the prefix, building areas in m² against land in ha, money in 元 — each with the message a
user sees; on both backends where a store is involved."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import box
from typer.testing import CliRunner

from landuse.core.errors import LanduseError, ValidationFailed
from parcels import crs as gkcrs
from parcels.importer import import_package
from parcels.io import read_package

LON, LAT = 116.95, 28.60  # Jiangxi, 3-degree GK zone 39 (CM 117°E)
XIAN39 = 2363  # Xian 1980 / 3-degree GK zone 39 (eastings with the prefix 39)
XIAN38 = 2362


def _zones(root: Path, code="Z1", name="某某经济技术开发区") -> None:
    gpd.GeoDataFrame({"zone_code": [code], "zone_name": [name], "level": ["provincial"]},
                     geometry=[box(LON - 0.05, LAT - 0.05, LON + 0.05, LAT + 0.05)], crs=4490).to_file(
        root / "zones.geojson", driver="GeoJSON")


def _origin(epsg: int) -> tuple[float, float]:
    return pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(LON, LAT)


def survey_gdf(epsg: int = XIAN39, *, zone="Z1", jzmj_unit="ha", dlmj_unit="ha", shift_prefix: bool = False,
               ranges=("", "", "", "发展方向区")) -> gpd.GeoDataFrame:
    """Four 图斑 in Xian 1980 GK (strips 100 m wide): A2 2 ha, A1 1 ha, A6 1 ha, B21 2 ha; DLMJ in
    hectares as in the national database; JZMJ for FAR 1.0 on A2 and 2.0 on A1."""
    x0, y0 = _origin(epsg)
    if shift_prefix:
        x0 += 1_000_000  # a lost/altered prefix
    areas = [20_000.0, 10_000.0, 10_000.0, 20_000.0]
    geoms, x = [], x0
    for a in areas:
        geoms.append(box(x, y0, x + 100, y0 + a / 100))
        x += 110
    jz = np.array([20_000.0, 20_000.0, None, None], dtype=float)  # m²
    jzjd = np.array([8_000.0, 3_000.0, None, None], dtype=float)
    f = 1e-4 if jzmj_unit == "ha" else 1.0
    return gpd.GeoDataFrame({
        "KFQDM": zone, "survey_yea": 2023, "TBBH": ["0001", "0002", "0003", "0004"],
        "DLDM": ["A2", "a1", "A6", "B21"], "DLMC": ["工矿仓储用地", "住宅用地", "其他城镇建设用地", "可供地"],
        "DLMJ": [a / (1e4 if dlmj_unit == "ha" else 1.0) for a in areas],
        "GYDM": ["D21", "D21", "D1", "E21"], "GYSJ": ["201803", "2019-3", "历史形成", ""],
        "KFQPJFW": list(ranges), "JZMJ": jz * f, "JZJDMJ": jzjd * f,
        "TDSYZ": ["江西某某电子有限公司", "某某置业", None, None], "QS": ["国有"] * 4,
    }, geometry=geoms, crs=epsg)


def _zone_years(root: Path, invest=18_000.0 * 2, tax=1200.0, zone="Z1") -> None:
    pd.DataFrame([{"KFQDM": zone, "year": 2023, "KFQPJFW": "主区", "GDZCTZZE": invest, "GYSSZE": tax,
                   "ESCYSSZE": 900.0, "CZRK": 300}]).to_csv(root / "zone_years.csv", index=False, encoding="gbk")


def _gbk_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, prj: bool) -> None:
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)


def _warn(rep_or_exc, code):
    probs = rep_or_exc.problems
    return [p for p in probs if p.code == code]


# ------------------------------------------------------------------------------------------------
# formats
# ------------------------------------------------------------------------------------------------

def test_file_geodatabase_folder_and_zip(store, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    gdb = pkg / "survey.gdb"
    g = survey_gdf().rename(columns={"survey_yea": "survey_year"})
    pyogrio.write_dataframe(g, gdb, layer="land_survey_2023", driver="OpenFileGDB", geometry_type="MultiPolygon",
                            promote_to_multi=True)
    rep = import_package(pkg, store)
    got = store.read("land_survey").set_index("patch_code")
    assert list(got.index) == ["0001", "0002", "0003", "0004"]
    # recorded areas used as recorded: DLMJ 2 ha → 20 000 m²
    assert got.loc["0001", "area_m2"] == pytest.approx(20_000.0)
    assert got.loc["0002", "land_class"] == "A1"           # 'a1' folded
    assert got.loc["0001", "supply_date"] == pd.Timestamp("2018-03-01")
    assert got.loc["0002", "supply_date"] == pd.Timestamp("2019-03-01")
    assert pd.isna(got.loc["0003", "supply_date"])          # 历史形成
    assert got.loc["0001", "range"] == "主区"               # empty KFQPJFW
    assert got.loc["0001", "user_name"] == "江西某某电子有限公司"
    notes = " ".join(rep.notes)
    # the message a user sees: the datum change and its accuracy
    assert "survey.gdb:land_survey_2023" in notes
    assert "1980西安坐标系 → CGCS2000：未提供官方格网或七参数" in notes and "预计偏差数米至数十米" in notes
    assert "3 个图斑评价范围为空，按主区计" in notes
    # the patch sits where the survey put it (lat/lon kept from Xian 1980)
    x0, y0 = _origin(XIAN39)
    assert got.loc["0001"].geometry.bounds[0] == pytest.approx(LON, abs=1e-6)
    # zipped: the same package as a zip holding the .gdb folder imports the same rows (unchanged)
    z = tmp_path / "pkg.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in pkg.rglob("*"):
            if f.is_file():
                zf.write(f, f.relative_to(pkg).as_posix())
    rep2 = import_package(z, store)
    assert {c.layer: c.unchanged for c in rep2.changes}["land_survey"] == 4


def test_gbk_shapefile_without_prj_on_prefixed_xian_1980(store, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    _gbk_shapefile(survey_gdf(), pkg / "land_survey.shp", prj=False)
    # without a word from the user: the prefix gives the zone, the datum is assumed CGCS2000 and said
    read = read_package(pkg)
    notes = " ".join(read.notes)
    assert "按 GB18030 读取" in notes
    assert "横坐标带带号 39，假定为 CGCS2000 3度带高斯-克吕格 EPSG:4527（若为西安80或北京54坐标，请用 --assume-crs xian1980" in notes
    # the user says Xian 1980: zone 39 from the prefix, Xian 1980 kept, the transformation stated
    rep = import_package(pkg, store, assume_crs="xian1980")
    notes = " ".join(rep.notes)
    assert "横坐标带带号 39，按用户指定的 1980西安坐标系 采用 3度带第 39 带 EPSG:2363" in notes
    assert "按经纬度不变的近似换算" in notes and "--towgs84" in notes
    got = store.read("land_survey").set_index("patch_code")
    assert got.loc["0001", "user_name"] == "江西某某电子有限公司"   # GBK decoded
    assert got.loc["0001"].geometry.bounds[0] == pytest.approx(LON, abs=1e-6)
    assert got.loc["0001", "survey_year"] == 2023                  # 'survey_yea', cut by the Shapefile
    # recorded areas are the planar areas in the survey's own GK zone: stored to the square metre
    assert got["area_m2"].tolist() == pytest.approx([20_000.0, 10_000.0, 10_000.0, 20_000.0], rel=1e-5)


def test_declared_zone_contradicting_the_prefix(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    gdf = survey_gdf()  # eastings 39 5xx xxx
    _gbk_shapefile(gdf, pkg / "land_survey.shp", prj=False)
    # a .prj written by ArcGIS declaring zone 38 (a real survey declared 42 over zone-43 eastings)
    (pkg / "land_survey.prj").write_text(pyproj.CRS.from_epsg(XIAN38).to_wkt("WKT1_ESRI"), encoding="ascii")
    read = read_package(pkg)
    warn = _warn(read, "crs_zone_mismatch")
    assert len(warn) == 1
    assert warn[0].severity == "warning"
    assert ("但横坐标带号为 39：以带号为准，采用 1980西安坐标系 3度带第 39 带 EPSG:2363（保留声明的基准）" in warn[0].expected)
    assert "the prefix decides" in warn[0].expected
    assert read.layers["land_survey"].crs.to_epsg() == XIAN39
    # unless the user says otherwise: the declared zone is kept (and said)
    read2 = read_package(pkg, keep_declared_zone=True)
    assert read2.layers["land_survey"].crs.to_epsg() == XIAN38
    assert "按用户要求保留声明的带号" in _warn(read2, "crs_zone_mismatch")[0].expected


def test_declared_without_prefix_over_prefixed_eastings_and_the_reverse(tmp_path):
    # a .prj for CM 117°E without prefix over eastings with prefix 39: same zone, the prefixed form used
    crs = pyproj.CRS.from_epsg(2384)  # Xian 1980 / 3-degree GK CM 117E
    new, notes, mismatch = gkcrs.resolve_zone(crs, (39_500_000, 3_100_000, 39_501_000, 3_101_000), source=".prj")
    assert new.to_epsg() == XIAN39 and mismatch is None and "EPSG:2363" in notes[0]
    # a prefixed .prj over 6-digit eastings: the same meridian without prefix
    new, notes, mismatch = gkcrs.resolve_zone(pyproj.CRS.from_epsg(XIAN39), (500_000, 3_100_000, 501_000, 3_101_000),
                                              source=".prj")
    assert new.to_epsg() == 2384 and "EPSG:2384" in notes[0]


def test_gk_codes_and_assume_crs_forms():
    assert gkcrs.gk_epsg("xian1980", zone=39) == 2363
    assert gkcrs.gk_epsg("beijing1954", zone=38, prefixed=False) == 2435
    assert gkcrs.gk_epsg("cgcs2000", zone=20, width=6) == 4498
    for code, datum in ((2363, "xian1980"), (2414, "beijing1954"), (4527, "cgcs2000")):
        gk = gkcrs.describe_gk(pyproj.CRS.from_epsg(code))
        assert gk.datum == datum and gk.prefixed
    assert gkcrs.parse_assume_crs("西安80:114").cm == 114 and gkcrs.parse_assume_crs("北京54").datum == "beijing1954"
    crs, note = gkcrs.guess_from_datum(gkcrs.parse_assume_crs("xian1980:114"), (400_000, 3_100_000, 401_000, 3_101_000))
    assert crs.to_epsg() == 2383 and "中央经线 114°E" in note
    with pytest.raises(LanduseError, match="须给出中央经线"):
        gkcrs.guess_from_datum(gkcrs.parse_assume_crs("xian1980"), (400_000, 3_100_000, 401_000, 3_101_000))
    with pytest.raises(LanduseError, match="七个数"):
        gkcrs.parse_towgs84("1,2,3")


def test_beijing_1954_note_and_seven_parameters(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    gdf = survey_gdf(2415)  # Beijing 1954 / 3-degree GK zone 39
    pyogrio.write_dataframe(gdf, pkg / "land_survey.shp", encoding="GBK")
    notes = " ".join(read_package(pkg).notes)
    assert "1954北京坐标系 → CGCS2000" in notes and "53–66" in notes
    # a seven-parameter set (here EPSG's Beijing 1954 → WGS 84 (1) shifts, no rotation): applied and said
    read = read_package(pkg, towgs84=(15.8, -154.4, -82.3, 0, 0, 0, 0))
    notes = " ".join(read.notes)
    assert "采用用户提供的七参数 (15.8,-154.4,-82.3,0,0,0,0)" in notes
    raw = read.layers["land_survey"]
    assert raw.crs.is_bound
    from parcels.validate import validate_package

    typed, _ = validate_package(read)
    a = typed["land_survey"].geometry.iloc[0].bounds
    b = gpd.GeoSeries(gdf.geometry, crs=2415).to_crs(4490).iloc[0].bounds  # the ballpark
    shift = pyproj.Geod(ellps="GRS80").inv(a[0], a[1], b[0], b[1])[2]
    assert 40 < shift < 120  # tens of metres, as the note says


# ------------------------------------------------------------------------------------------------
# units
# ------------------------------------------------------------------------------------------------

def test_building_areas_in_m2_against_land_in_ha(store, tmp_path):
    from landuse.core.policy import default_policy
    from landuse.services.evaluate import evaluate

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    _gbk_shapefile(survey_gdf(jzmj_unit="m2"), pkg / "land_survey.shp", prj=True)
    _zone_years(pkg)
    rep = import_package(pkg, store)
    conv = {p.column: p for p in _warn(rep, "unit_converted")}
    # Σ JZMJ / Σ DLMJ on built land (A2 2 + A1 1 + A6 1 = 4 ha): 40 000 / 4 = 10 000 → m² against ha
    w = conv["floor_area_m2"]
    assert w.value == "ΣJZMJ/Σ建成地面积(公顷) = 10 000（开发区 Z1）"
    assert w.expected.startswith("JZMJ 应为公顷；按公顷计综合容积率为 10 000，不合理：实为平方米录入（用地面积为公顷），已按平方米读取（综合容积率 1）")
    assert "JZMJ entered in m² against land in ha" in w.expected
    assert conv["footprint_area_m2"].value == "ΣJZJDMJ/Σ建成地面积(公顷) = 2 750（开发区 Z1）"
    got = store.read("land_survey").set_index("patch_code")
    assert got.loc["0001", "floor_area_m2"] == pytest.approx(20_000.0)   # kept as m²
    out = evaluate(store, years=[2023], policy=default_policy())
    t = out[2023].survey.set_index("range")
    # FAR on the 主区 (A2 2 ha + A1 1 ha + A6 1 ha, 4 ha): 40 000 m² / 40 000 m² = 1.0, never 10 000
    assert t.loc["主区", "far"] == pytest.approx(1.0)
    assert t.loc["主区", "industrial_far"] == pytest.approx(1.0)
    # investment 36 000 万元 over A2 2 ha (the 主区 row of zone_years)
    assert t.loc["主区", "investment_intensity_wan_per_ha"] == pytest.approx(18_000.0)


def test_the_national_unit_needs_no_word_and_the_user_decides(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    _gbk_shapefile(survey_gdf(jzmj_unit="ha"), pkg / "land_survey.shp", prj=True)
    from parcels.validate import validate_package
    from parcels.survey_import import parse_units

    typed, probs = validate_package(read_package(pkg))
    assert not [p for p in probs if p.code.startswith("unit")]
    assert typed["land_survey"]["floor_area_m2"].tolist()[:2] == pytest.approx([20_000.0, 20_000.0])
    # the user says JZMJ is in m² (wrongly): obeyed, said; the evaluation then refuses the FAR (never shown)
    typed, probs = validate_package(read_package(pkg), units=parse_units(["JZMJ@Z1=m2"]))
    user = [p for p in probs if p.code == "unit_user" and p.column == "floor_area_m2"]
    assert user and "按用户指定的单位平方米读取" in user[0].expected
    assert typed["land_survey"]["floor_area_m2"].tolist()[0] == pytest.approx(2.0)
    from evaluation.survey import survey_results
    from landuse.core.policy import default_policy

    t = survey_results(typed["land_survey"], policy=default_policy()).table.set_index("range")
    assert np.isnan(t.loc["主区", "far"]) and "不予显示" in t.loc["主区", "note"]
    with pytest.raises(LanduseError, match="COLUMN"):
        parse_units(["NOPE=m2"])
    with pytest.raises(LanduseError, match="ha|m2|mu"):
        parse_units(["JZMJ=yuan"])


def test_building_areas_implausible_in_any_unit_are_left_empty(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    g = survey_gdf(jzmj_unit="ha")
    g["JZMJ"] = g["JZMJ"] * 300  # FAR 300 in ha, 0.03 ‰ in m²: nothing plausible
    _gbk_shapefile(g, pkg / "land_survey.shp", prj=True)
    from parcels.validate import validate_package

    typed, probs = validate_package(read_package(pkg))
    w = [p for p in probs if p.code == "unit_unclear" and p.column == "floor_area_m2"][0]
    assert "该开发区的此列已置空，相关指标不计算" in w.expected and "--units JZMJ@Z1=ha|m2" in w.expected
    assert typed["land_survey"]["floor_area_m2"].isna().all()


def test_dlmj_in_square_metres_and_missing_areas(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    g = survey_gdf(dlmj_unit="m2")
    g.loc[3, "DLMJ"] = None
    _gbk_shapefile(g, pkg / "land_survey.shp", prj=True)
    from parcels.validate import validate_package

    typed, probs = validate_package(read_package(pkg))
    w = [p for p in probs if p.code == "unit_converted" and p.column == "area_m2"][0]
    assert "DLMJ 应为公顷；与图形面积比较实为平方米，已按平方米读取" in w.expected
    miss = [p for p in probs if p.code == "area_from_geometry"][0]
    assert "按图斑在本地高斯-克吕格投影（Xian 1980 / 3-degree Gauss-Kruger zone 39）中的平面面积补齐" in miss.expected
    assert typed["land_survey"]["area_m2"].tolist() == pytest.approx([20_000.0, 10_000.0, 10_000.0, 20_000.0], rel=1e-6)


def test_money_in_yuan(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    _gbk_shapefile(survey_gdf(), pkg / "land_survey.shp", prj=True)
    _zone_years(pkg, invest=18_000.0 * 2 * 1e4, tax=1200.0 * 1e4)  # 元
    from parcels.validate import validate_package

    typed, probs = validate_package(read_package(pkg))
    w = {p.column: p for p in probs if p.code == "unit_converted"}
    assert w["fixed_asset_investment_wan"].value == "GDZCTZZE/工矿仓储用地 = 180 000 000 万元/公顷（开发区 Z1）"
    assert "GDZCTZZE 应以万元填报；数值表明为元，已按 ×0.0001 换算" in w["fixed_asset_investment_wan"].expected
    zy = typed["zone_years"].iloc[0]
    assert zy.fixed_asset_investment_wan == pytest.approx(36_000.0)
    assert zy.industrial_tax_wan == pytest.approx(1200.0)


# ------------------------------------------------------------------------------------------------
# quirks, several files, only zones + survey + statistics
# ------------------------------------------------------------------------------------------------

def test_codes_and_dates_as_surveys_write_them(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    g = survey_gdf()
    g["DLDM"] = ["A2", "A7", "X9", "Ｂ２１"]          # unlisted A-code, a code outside A/B/C, full-width
    g["GYSJ"] = ["2018-03", "2018", "0", "明年"]
    g["GYDM"] = ["D21", "D3", "Q1", "E21"]
    _gbk_shapefile(g, pkg / "land_survey.shp", prj=True)
    from parcels.validate import validate_package

    typed, probs = validate_package(read_package(pkg))
    by = {(p.code, p.column): p for p in probs}
    assert by[("land_class", "land_class")].severity == "error" and by[("land_class", "land_class")].value == "X9"
    assert by[("land_class", "land_class")].row == 3
    unl = by[("land_class_unlisted", "land_class")]
    assert unl.severity == "warning" and "A7 不在分类表中，按 A 类计入" in unl.expected
    assert by[("supply_date", "supply_date")].value == "明年" and by[("supply_date", "supply_date")].severity == "warning"
    assert by[("supply_type", "supply_type")].value == "Q1"
    assert "D3" in by[("supply_type_unlisted", "supply_type")].expected
    ls = typed["land_survey"]
    assert ls["land_class"].tolist()[3] == "B21"
    assert ls["supply_date"].tolist()[:3] == [pd.Timestamp("2018-03-01"), pd.Timestamp("2018-01-01"), pd.NaT]


def test_several_survey_files_zones_and_years_in_one_package(store, tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "land_survey").mkdir(parents=True)
    _zones(pkg)
    gpd.GeoDataFrame({"zone_code": ["Z2"], "zone_name": ["某某高新区"], "level": ["provincial"]},
                     geometry=[box(LON + 0.1, LAT, LON + 0.2, LAT + 0.1)], crs=4490).to_file(pkg / "zones2.geojson")
    zones = pd.concat([gpd.read_file(pkg / "zones.geojson"), gpd.read_file(pkg / "zones2.geojson")])
    (pkg / "zones2.geojson").unlink()
    zones.to_file(pkg / "zones.geojson", driver="GeoJSON")
    a = survey_gdf()
    b = survey_gdf(2384, zone="Z2")  # 6-digit eastings with a .prj (CM 117°E)
    c = survey_gdf().drop(columns=["survey_yea"])  # 2025: the year only in the file name
    _gbk_shapefile(a, pkg / "land_survey" / "Z1_2023.shp", prj=True)
    _gbk_shapefile(b, pkg / "land_survey" / "Z2_2023.shp", prj=True)
    _gbk_shapefile(c, pkg / "land_survey" / "Z1_2025.shp", prj=True)
    rep = import_package(pkg, store)
    assert "land_survey/Z1_2025.shp: 无调查年度字段，按图层/文件名取 2025 年" in " ".join(rep.notes)
    got = store.read("land_survey")
    assert sorted(set(zip(got["zone_code"], got["survey_year"], strict=True))) == [("Z1", 2023), ("Z1", 2025), ("Z2", 2023)]
    assert len(got) == 12
    # the same patch in two files is refused (the second file named)
    shutil.copy(pkg / "land_survey" / "Z1_2023.shp", pkg / "land_survey" / "Z1_2023_copy.shp")
    for ext in (".dbf", ".shx", ".prj"):
        shutil.copy(pkg / "land_survey" / f"Z1_2023{ext}", pkg / "land_survey" / f"Z1_2023_copy{ext}")
    with pytest.raises(ValidationFailed) as e:
        import_package(pkg, store)
    dup = [p for p in e.value.problems if p.code == "duplicate_key"]
    assert dup and dup[0].file == "land_survey/Z1_2023_copy.shp" and dup[0].value == "Z1/2023/主区/0001"


def test_survey_dropped_in_as_it_comes_does_not_crash(store, tmp_path):
    """The layer that crashed the validator (``TypeError: sequence item 0: expected str instance, float
    found``): duplicate keys with an empty key part. Now every problem is named, nothing written."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    g = survey_gdf(ranges=("", "", "", ""))
    g["TBBH"] = ["0001", "0001", None, None]
    _gbk_shapefile(g, pkg / "land_survey.shp", prj=False)
    before = store.snapshot()
    with pytest.raises(ValidationFailed) as e:
        import_package(pkg, store)
    codes = {(p.code, p.row) for p in e.value.problems}
    assert ("required", 3) in codes and ("required", 4) in codes
    dup = [p for p in e.value.problems if p.code == "duplicate_key"]
    assert {p.value for p in dup} == {"Z1/2023/主区/0001", "Z1/2023/主区/"}
    assert store.snapshot() == before


def test_only_zones_survey_and_zone_statistics_import_and_evaluate(store, tmp_path):
    from landuse.cli import app

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _zones(pkg)
    _gbk_shapefile(survey_gdf(), pkg / "land_survey.shp", prj=False)
    _zone_years(pkg)
    db = store.url
    runner = CliRunner(env={"COLUMNS": "250"})
    r = runner.invoke(app, ["import", str(pkg), "--db", db, "--assume-crs", "xian1980",
                            "--report", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output
    assert "EPSG:2363" in r.output
    # no survey up to 2019: nothing stored, non-zero exit
    r = runner.invoke(app, ["evaluate", "--year", "2019", "--db", db])
    assert r.exit_code != 0
    assert "2019 年既无宗地和企业数据，也无截至该年的集约利用调查，未保存任何结果" in r.output
    assert len(store.read("zone_survey_results")) == 0
    r = runner.invoke(app, ["evaluate", "--year", "2023", "--db", db])
    assert r.exit_code == 0, r.output
    assert "只计算集约利用调查的指标" in r.output
    t = store.read("zone_survey_results", year=2023).set_index("range")
    assert list(t.index) == ["主区", "全区", "发展方向区"]
    # 主区: A2 2 + A1 1 + A6 1 = A 4 ha, D 4 ha; 发展方向区: B21 2 ha (E21); development (4+2)/(4+2) = 1
    assert t.loc["全区", "development_rate"] == pytest.approx(1.0)
    assert t.loc["全区", "supply_rate"] == pytest.approx(4 / 6)
    # type on the 主区: A2/A 50 % > 30 % but A1/A 25 % is not < 25 % → 其他
    assert t.loc["主区", "zone_type"] == "其他"
    zr = store.read("zone_results", year=2023)
    assert zr.loc[0, "intensive_basis"] == "survey:2023"
    out = tmp_path / "s.xlsx"
    r = runner.invoke(app, ["export", "zone_survey_results", "--year", "2023", "--out", str(out), "--db", db])
    assert r.exit_code == 0, r.output
    assert out.exists()
