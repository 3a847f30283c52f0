"""Generated sample package (parcels/sample/): determinism, codes, geometry, formats, leases."""

from __future__ import annotations

import struct

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from stdnum.cn import uscc as std_uscc

from landuse.core.contract import ENTERPRISES, PARCELS
from parcels.sample import SHP_FIELDS, make_uscc, write_sample


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample1")
    summary = write_sample(out, scale="small", seed=1)
    return out, summary


def test_determinism(pkg, tmp_path):
    out1, _ = pkg
    out2 = tmp_path / "again"
    out3 = tmp_path / "other"
    write_sample(out2, scale="small", seed=1)
    write_sample(out3, scale="small", seed=2)
    for name in ("enterprises.xlsx", "enterprise_years.csv", "leases.csv", "pilot_area_years.xlsx", "_truth.csv"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    assert (out1 / "parcels.dbf").read_bytes() == (out2 / "parcels.dbf").read_bytes()
    assert (out1 / "enterprise_years.csv").read_bytes() != (out3 / "enterprise_years.csv").read_bytes()
    assert (out1 / "enterprises.xlsx").read_bytes() != (out3 / "enterprises.xlsx").read_bytes()


def test_counts_in_range(pkg):
    _, s = pkg
    c = s["counts"]
    assert 13 <= c["zones"] <= 18
    assert c["pilot_areas"] == 13
    assert 1500 <= c["parcels"] <= 3000
    assert 600 <= c["enterprises"] <= 1200
    assert c["buildings"] > 0 and c["leases"] > 0
    assert c["pilot_area_years"] == 14 * 6


def test_uscc_valid_and_unique(pkg):
    out, _ = pkg
    e = pd.read_excel(out / "enterprises.xlsx", dtype=str)
    assert list(e.columns) == [c.zh for c in ENTERPRISES.columns]
    codes = e[ENTERPRISES.col("uscc").zh]
    assert codes.is_unique
    for u in codes:
        assert std_uscc.is_valid(u), u
        assert u[2:4] == "36"
    assert std_uscc.is_valid(make_uscc("360703", "12345678"))
    # some enterprises are linked to no land at all; tenants exist
    par = gpd.read_file(out / "parcels.shp", encoding="GBK")
    leases = pd.read_csv(out / "leases.csv", dtype=str)
    linked = set(par["holder_usc"].dropna()) | set(leases["uscc"])
    assert (~codes.isin(linked)).sum() >= 5
    assert leases["uscc"].isin(set(codes)).all()
    assert par["holder_usc"].dropna().isin(set(codes)).all()


def test_shapefile_format(pkg):
    out, _ = pkg
    assert not (out / "parcels.cpg").exists()
    assert not (out / "parcels.prj").exists()
    assert (out / "parcels.dbf").exists()
    # field names: 10-char cuts of the contract names
    with open(out / "parcels.dbf", "rb") as f:
        head = f.read(32)
        n_header = struct.unpack("<H", head[8:10])[0]
        fields = []
        f.seek(32)
        while f.tell() < n_header - 1:
            d = f.read(32)
            if d[0] == 0x0D:
                break
            fields.append(d[:11].split(b"\0")[0].decode("ascii"))
    # every contract column in contract order, but the optional ones the generator does not write yet
    # (建筑系数 yards and the agreed completion date)
    not_written = [k for k, v in SHP_FIELDS.items() if v not in fields]
    assert set(not_written) <= {"structures_yard_area_m2", "agreed_completion_date"}
    assert fields == [v for k, v in SHP_FIELDS.items() if k not in not_written] + ["QLRMC", "ZL"]
    assert all(len(x) <= 10 for x in fields)
    # every field maps to a contract column: exact name, alias, or the unique column it is a prefix of
    for name in fields[:-2]:
        cands = [c.name for c in PARCELS.columns if c.name.startswith(name)]
        assert len(cands) == 1, name
    info = pyogrio.read_info(out / "parcels.shp", encoding="GBK")
    xmin, ymin, xmax, ymax = info["total_bounds"]
    assert 39_000_000 < xmin < xmax < 40_000_000  # 8-digit eastings with the zone-39 prefix
    assert 2_700_000 < ymin < ymax < 3_330_000


def test_gbk_text_reads_back(pkg):
    out, _ = pkg
    e = pd.read_excel(out / "enterprises.xlsx", dtype=str)
    names = e.set_index(ENTERPRISES.col("uscc").zh)[ENTERPRISES.col("name").zh]
    raw = (out / "enterprise_years.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK, not UTF-8
    y = pd.read_csv(out / "enterprise_years.csv", encoding="gbk", dtype={"uscc": str})
    assert {"uscc", "year", "revenue_wan", "tax_wan"} <= set(y.columns)
    assert (y["name"] == names.reindex(y["uscc"]).to_numpy()).all()
    par = gpd.read_file(out / "parcels.shp", encoding="GBK")
    assert par["parcel_cod"].str.len().eq(19).all()
    held = par[par["holder_usc"].notna()]
    assert (held["QLRMC"] == names.reindex(held["holder_usc"]).to_numpy()).all()
    assert par["ZL"].str.contains("号地块").all()
    zones = gpd.read_file(out / "zones.geojson")
    assert zones["zone_name"].str.contains("开发区|园|保税区").all()
    assert zones["pilot_area_name"].str.contains("市|区|县").all()


def test_gbk_chinese_in_shapefile(tmp_path):
    """The writer path used for parcels.shp keeps Chinese text when read back with encoding GBK."""
    from parcels import sample as S

    out = tmp_path / "pkg"
    write_sample(out, scale="small", seed=3)
    # a DBF written by the same code path with a Chinese column
    gdf = gpd.read_file(out / "parcels.shp", encoding="GBK").head(3)
    gdf["名称"] = ["赣州经济技术开发区", "樟树市", "共青城"]
    p = tmp_path / "t.shp"
    pyogrio.write_dataframe(gdf.set_crs(4527, allow_override=True), p, encoding="GBK")
    p.with_suffix(".cpg").unlink(missing_ok=True)
    back = gpd.read_file(p, encoding="GBK")
    assert list(back["名称"]) == ["赣州经济技术开发区", "樟树市", "共青城"]
    assert S.SHP_FIELDS["completion_date"] == "completion"


def test_parcels_inside_zones(pkg):
    out, _ = pkg
    par = gpd.read_file(out / "parcels.shp", encoding="GBK").set_crs(4527, allow_override=True).to_crs(4490)
    zones = gpd.read_file(out / "zones.geojson").to_crs(4490)
    z = zones.set_index("zone_code").geometry
    zg = z.reindex(par["zone_code"]).to_numpy()
    tol = 1e-6  # degrees (~0.1 m)
    assert shapely.within(par.geometry.to_numpy(), shapely.buffer(zg, tol)).all()
    # sizes 5-200 mu, mostly 10-80
    mu = par.to_crs("+proj=aea +lat_1=25 +lat_2=30 +lat_0=27 +lon_0=116 +ellps=GRS80").area / (2000 / 3)
    assert mu.min() >= 5 and mu.max() <= 200
    assert ((mu >= 10) & (mu <= 80)).mean() > 0.6
    # parcels do not overlap each other (tessellation)
    sample = par.geometry.iloc[:400]
    tree = shapely.STRtree(sample.to_numpy())
    a, b = tree.query(sample.to_numpy(), predicate="intersects")
    m = a < b
    inter = shapely.area(shapely.intersection(sample.to_numpy()[a[m]], sample.to_numpy()[b[m]]))
    assert (inter < 1e-10).all()
    # lon/lat inside Jiangxi
    x0, y0, x1, y1 = zones.total_bounds
    assert 113.6 <= x0 and x1 <= 118.4 and 24.5 <= y0 and y1 <= 30.0


def test_leases_never_exceed_floor_area(pkg):
    out, _ = pkg
    b = gpd.read_file(out / "buildings.gpkg", layer="buildings")
    assert b.crs.to_epsg() == 4490
    sf = b[b["standard_factory"].astype(bool)].set_index("building_code")
    leases = pd.read_csv(out / "leases.csv", parse_dates=["start_date", "end_date"])
    bl = leases[leases["building_code"].notna()]
    assert bl["building_code"].isin(sf.index).all()
    # check at every date where the total can change (each start date)
    for code, g in bl.groupby("building_code"):
        cap = sf.loc[code, "floor_area_m2"]
        for d in g["start_date"]:
            on = (g["start_date"] <= d) & (g["end_date"].isna() | (g["end_date"] >= d))
            assert g.loc[on, "floor_area_m2"].sum() <= cap + 1e-6, (code, d)
    # no leases in buildings not yet accepted
    assert not bl["building_code"].isin(sf.index[sf["completion_date"].isna()]).any()
    # some floor-space leases in ordinary parcels
    assert (leases["building_code"].isna() & leases["parcel_code"].notna()).any()


def test_truth_and_lifecycle(pkg):
    out, _ = pkg
    t = pd.read_csv(out / "_truth.csv", dtype=str)
    kinds = {"idle_not_started", "halted_underbuilt", "low_far", "low_coverage", "low_output",
             "production_stopped", "obsolete", "standard_land_shortfall", "government_delay",
             # changes over time (parcels/sample/changes.py)
             "transfer", "taken_back", "extension", "split", "not_reported", "not_reported_baseline"}
    assert set(t["truth"]) == kinds
    par = gpd.read_file(out / "parcels.shp", encoding="GBK").set_index("parcel_cod")
    assert t["parcel_code"].isin(par.index).all()
    idle = par.loc[t.loc[t["truth"] == "idle_not_started", "parcel_code"]]
    assert idle["actual_sta"].isna().all() and (idle["agreed_sta"] <= "2024-12-31").all()
    assert (idle["government"] == 0).all()
    gd = par.loc[t.loc[t["truth"] == "government_delay", "parcel_code"]]
    assert (gd["government"] == 1).all()
    h = par.loc[t.loc[t["truth"] == "halted_underbuilt", "parcel_code"]]
    assert (h["halted_sin"] <= "2024-12-31").all() and h["completion"].isna().all()
    # standard land: commitments in range where present
    sl = par[par["standard_l"] == 1]
    assert 0.1 < len(sl) / (par["supply_dat"] >= "2018-01-01").sum() < 0.4
    c = sl["commit_inv"].dropna()
    assert c.between(250, 450).all()
    # enterprise_years: cumulative investment non-decreasing; rows only from production start
    y = pd.read_csv(out / "enterprise_years.csv", encoding="gbk", dtype={"uscc": str})
    assert y.groupby("uscc")["fixed_asset_investment_wan"].apply(lambda s: bool(np.all(np.diff(s.to_numpy()) >= 0))).all()
    assert y["year"].between(2020, 2025).all()
    assert not y.duplicated(["uscc", "year"]).any()
