"""The generated survey (parcels/sample_survey.py) imports as it comes and gives the TD/T 1029 figures
the sample's zones should have, on both backends."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest

from landuse.core.policy import default_policy
from landuse.services.evaluate import evaluate
from landuse.services.imports import run_import
from parcels.sample import write_sample
from parcels.sample_survey import write_survey


@pytest.fixture(scope="module")
def sample_with_survey(tmp_path_factory):
    root = tmp_path_factory.mktemp("sv") / "pkg"
    write_sample(root, scale="small", seed=1)
    zones = gpd.read_file(root / "zones.geojson")
    parcels = pyogrio.read_dataframe(root / "parcels.shp", encoding="GB18030").set_crs(4527)
    summary = write_survey(root, zones, parcels, seed=1)
    return root, summary


def test_generated_survey_is_deterministic_and_messy(sample_with_survey, tmp_path):
    root, s = sample_with_survey
    zones = gpd.read_file(root / "zones.geojson")
    parcels = pyogrio.read_dataframe(root / "parcels.shp", encoding="GB18030").set_crs(4527)
    again = write_survey(tmp_path, zones, parcels, seed=1)
    assert again["zones"] == s["zones"]
    info = list(s["zones"].values())
    assert s["gdb"] and sum(i["format"] == "gdb" for i in info) == 1
    assert {i["jz_unit"] for i in info} == {"ha", "m2"}
    assert {i["dlmj_unit"] for i in info} == {"ha", "m2"} and {i["money_unit"] for i in info} == {"wan", "yuan"}
    assert {i["prefixed"] for i in info} == {True, False}
    assert any(i["no_prj"] for i in info) and any(i["wrong_zone"] for i in info) and any(i["no_range_field"] for i in info)
    assert (root / "land_survey").is_dir() and (root / "zone_years.csv").exists()


def test_generated_survey_imports_and_evaluates(store, sample_with_survey):
    root, s = sample_with_survey
    p = default_policy()
    rep = run_import(root, store, policy=p)
    codes = {(w.code, w.column) for w in rep.problems}
    assert ("unit_converted", "floor_area_m2") in codes       # JZMJ in m² against DLMJ in ha
    assert ("unit_converted", "area_m2") in codes             # DLMJ in m²
    assert ("unit_converted", "fixed_asset_investment_wan") in codes  # 元
    assert ("crs_zone_mismatch", "geometry") in codes
    again = run_import(root, store, policy=p)  # the same package twice changes nothing
    assert {c.layer: (c.inserted, c.updated) for c in again.changes}["land_survey"] == (0, 0)
    out = evaluate(store, years=[2025], policy=p)
    zr = store.read("zone_results", year=2025).set_index("zone_code")
    assert (zr["intensive_basis"] == "survey:2025").all()
    first, second = sorted(s["zones"])[:2]
    assert zr.loc[second, "zone_type"] == "mixed"            # the town-like zone, on its 主区
    assert (zr.drop(index=second)["zone_type"] == "industrial").all()
    sv = store.read("zone_survey_results", year=2025)
    assert len(sv) == sum(len(i["ranges"]) + 1 for i in s["zones"].values())
    # nothing shown is a unit accident: FARs between 0.5 and 3, rates ≤ 100 %
    assert sv["far"].between(0.5, 3).all()
    for c in ("development_rate", "supply_rate", "built_rate", "industrial_share", "idle_rate"):
        assert (sv[c].dropna() <= 1).all()
    assert sv["investment_intensity_wan_per_ha"].dropna().between(3000, 15000).all()
    # recorded areas as recorded: the survey's total area per zone is the sum written (to 0.01 ha)
    for code, info in s["zones"].items():
        written = sum(info["areas_ha"][2025].values())
        got = sv[(sv.zone_code == code) & (sv.range == "全区")]["total_ha"].iloc[0]
        assert got == pytest.approx(written, abs=0.01 * len(info["areas_ha"][2025]))
    # the 2023 survey of the first zone is stored only when a year uses it
    assert set(store.read("zone_survey_results")["survey_year"]) == {2025}
    out = evaluate(store, years=[2024], policy=p)
    assert out[2024].survey["survey_year"].unique().tolist() == [2023]
    zr24 = store.read("zone_results", year=2024).set_index("zone_code")
    assert zr24.loc[first, "intensive_basis"] == "survey:2023"
    assert (zr24.drop(index=first)["intensive_basis"] == "parcels").all()
