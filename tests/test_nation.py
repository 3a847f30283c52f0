"""The national sample (landuse.services.nation, ``landuse sample --scale nation``) and partitions that
read only their own firms (Store.read_inputs_snapshot(zones=...), parcels.store.base.read_partition).

Two provinces of the ``small`` scale stand for the nation: Jiangxi (36, seed 1: the ``small`` sample
itself) and Beijing (11, seed 1001)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import uscc as std_uscc

from landuse.core.contract import LAYERS, PROVINCE, province_code
from landuse.core.policy import default_policy
from landuse.services.distributed import partitions
from landuse.services.imports import run_import
from landuse.services.nation import write_nation
from parcels.store import open_store
from parcels.store.base import row_fingerprints

import dask.distributed  # noqa: E402,F401 - installed with the test extras (scripts/setup): fail, never skip

PROVS = ("36", "11")


@pytest.fixture(scope="module")
def nation(tmp_path_factory) -> dict:
    """Both provinces as package folders, and imported together into one GeoPackage."""
    root = tmp_path_factory.mktemp("nation")
    rows = write_nation(root / "pkgs", scale="small", provinces=2, seed=1)
    gpkg = root / "nation.gpkg"
    store = open_store(str(gpkg), init=True)
    for code in PROVS:
        run_import(root / "pkgs" / code, store, policy=default_policy())
    store.close()
    return {"root": root, "rows": rows, "gpkg": gpkg}


def test_nation_sample_codes_are_unique_nationally_and_valid(nation, tmp_path):
    rows = nation["rows"]
    assert [(r["province"], r["seed"]) for r in rows] == [("36", 1), ("11", 1001)]
    # straight into a store: the same packages, one import per province, the folders removed
    gpkg = tmp_path / "direct.gpkg"
    direct = write_nation(str(gpkg), scale="small", provinces=2, seed=1)
    assert [r["counts"] for r in direct] == [r["counts"] for r in rows]
    assert not list(Path(tmp_path).glob("landuse-nation-*"))
    store = open_store(str(gpkg))
    # the upsert by natural key would merge a code two provinces share: every row of both is there
    for layer in ("zones", "parcels", "enterprises", "enterprise_years", "buildings", "leases", "land_rights"):
        assert len(store.read(layer)) == sum(r["counts"][layer] for r in rows), layer
    z = store.read("zones", geometry=False)
    assert z["county_code"].str[:2].isin(PROVS).all()
    assert (z["county_code"].str[:2] == z["pilot_area_code"].str[:2]).all()
    assert (z["zone_code"].str[1:3] == z["county_code"].str[:2]).all()  # e.g. G110700-01
    p = store.read("parcels", geometry=False).merge(z[["zone_code", "county_code"]], on="zone_code")
    assert (p["parcel_code"].str[:6] == p["county_code"]).all()  # parcel codes begin with the county code
    e = store.read("enterprises")
    assert e["uscc"].map(std_uscc.is_valid).all()  # GB 32100 check characters (and the GB 11714 one inside)
    assert e["uscc"].str[2:4].isin(PROVS).all()
    assert {k: len(v) for k, v in partitions(store).items()} == {"11": 15, "36": 15}
    # Beijing's firms are named after Beijing, Jiangxi's after Jiangxi
    assert e.loc[e["uscc"].str[2:4] == "11", "name"].str.contains("江西").sum() == 0
    assert e.loc[e["uscc"].str[2:4] == "11", "name"].str.contains("北京").sum() > 0


def _linked_firms(whole: dict[str, pd.DataFrame], zones: list[str], province: str) -> set[str]:
    """The firms a partition must read, computed from the whole inputs (independently of the store's SQL)."""
    par = whole["parcels"][whole["parcels"]["zone_code"].isin(zones)]
    codes = set(par["parcel_code"])
    bld = set(whole["buildings"].loc[whole["buildings"]["parcel_code"].isin(codes), "building_code"])
    le = whole["leases"]
    lr = whole["land_rights"]
    linked = set(par["holder_uscc"].dropna()) | set(lr.loc[lr["parcel_code"].isin(codes), "holder_uscc"].dropna()) \
        | set(le.loc[le["parcel_code"].isin(codes) | le["building_code"].isin(bld), "uscc"].dropna())
    anywhere = set(whole["parcels"]["holder_uscc"].dropna()) | set(lr["holder_uscc"].dropna()) | set(le["uscc"].dropna())
    every = set(whole["enterprises"]["uscc"]) | set(whole["enterprise_years"]["uscc"]) \
        | set(whole["enterprise_periods"]["uscc"])
    return linked | {u for u in every - anywhere if u[2:4] == province}


def test_a_partition_reads_only_its_firms(nation, store):
    for code in PROVS:
        run_import(nation["root"] / "pkgs" / code, store, policy=default_policy())
    whole, _ = store.read_inputs_snapshot(with_hash=False)
    parts = partitions(store)
    seen: dict[str, int] = {}
    for code, zones in parts.items():
        got, h = store.read_inputs_snapshot(zones=zones, with_hash=False)
        assert h is None
        want = _linked_firms(whole, zones, code)
        unlinked = {u for u in want if u not in set(got["parcels"]["holder_uscc"].dropna())
                    and u not in set(got["leases"]["uscc"]) and u not in set(got["land_rights"]["holder_uscc"].dropna())}
        assert unlinked, "the sample has firms linked to no land: they must be read by their province"
        for name in ("enterprises", "enterprise_years", "enterprise_periods"):
            firms = set(got[name]["uscc"])
            assert firms <= want and firms.issuperset(set(whole[name]["uscc"]) & want), name
            assert {u[2:4] for u in firms} == {code}, name  # no other province's firm
            seen[name] = seen.get(name, 0) + len(got[name])
        parcel_codes = set(got["parcels"]["parcel_code"])
        assert set(got["buildings"]["parcel_code"]) <= parcel_codes and len(got["buildings"]) > 0
        assert set(got["land_rights"]["parcel_code"]) <= parcel_codes and len(got["land_rights"]) > 0
        assert len(got["leases"]) > 0
        pay = got["pilot_area_years"]["pilot_area_code"]
        assert set(pay.str[:2]) == {code, PROVINCE[:2]}  # its pilot areas and the province row
    for name, n in seen.items():  # each firm read by exactly one partition: none lost, none twice
        assert n == len(whole[name]), name


def _rows(store, layer: str, year: int, keep, rename: dict | None = None) -> list:
    df = store.read(layer, year=year)
    df = df[keep(df)]
    if rename:
        df = df.assign(pilot_area_code=df["pilot_area_code"].replace(rename))
    cols = [c for c in LAYERS[layer].names if c != "inputs_hash"]  # the stores' inputs differ (one vs two provinces)
    return sorted(row_fingerprints(df, cols).tolist(), key=repr)


def test_partitioned_nation_equals_each_province_evaluated_alone(nation, tmp_path):
    """A nation evaluated on Dask (one partition per province, each reading only its own firms) stores,
    for each province, what that province's own store stores when evaluated by one process."""
    from landuse.services.distributed import evaluate_distributed
    from landuse.services.evaluate import evaluate

    db = tmp_path / "nation.gpkg"
    shutil.copyfile(nation["gpkg"], db)
    out = evaluate_distributed(str(db), years=[2025], policy=default_policy(), scheduler="local:2")
    assert set(out["partitions"]) == set(PROVS)
    both = open_store(str(db))
    for code in PROVS:
        alone = open_store(str(tmp_path / f"{code}.gpkg"), init=True)
        run_import(nation["root"] / "pkgs" / code, alone, policy=default_policy())
        evaluate(alone, years=[2025], policy=default_policy())
        z = set(alone.read("zones", geometry=False)["zone_code"])
        assert out["partitions"][code]["parcels"] == len(alone.read("parcel_results", year=2025, geometry=False))
        for layer in ("parcel_results", "zone_results", "flags", "building_results"):
            want = _rows(alone, layer, 2025, lambda d: d["zone_code"].isin(z))
            assert want and _rows(both, layer, 2025, lambda d, z=z: d["zone_code"].isin(z)) == want, (code, layer)
        firms = lambda d, code=code: d["uscc"].str[2:4] == code  # noqa: E731 - this province's firms
        want = _rows(alone, "enterprise_results", 2025, firms)
        assert len(want) == len(alone.read("enterprises")) and _rows(both, "enterprise_results", 2025, firms) == want
        # its pilot areas and its whole-province row: PROVINCE in its own store, PROVINCE-<code> in the
        # national one (each province's statistics row, PROVINCE-<code>, side by side in the store)
        own = province_code(code)
        mine = lambda d, own=own, code=code: (d["pilot_area_code"].str[:2] == code) | d["pilot_area_code"].isin([PROVINCE, own])  # noqa: E731
        want = _rows(alone, "pilot_area_results", 2025, mine, rename={PROVINCE: own})
        assert (alone.read("pilot_area_results", year=2025)["pilot_area_code"] == PROVINCE).sum() == 1
        assert want
        assert _rows(both, "pilot_area_results", 2025, mine) == want, code
        alone.close()
    par = both.read("pilot_area_results", year=2025)
    assert PROVINCE not in set(par["pilot_area_code"])  # no row claims to be the whole of both provinces
    assert {province_code(c) for c in PROVS} <= set(par["pilot_area_code"])


def test_bench_picks_whole_provinces_then_zones_closest_to_the_size():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_distributed", Path(__file__).parents[1] / "scripts" / "bench_distributed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    counts = {"A1": 400, "A2": 600, "B1": 300, "B2": 500, "B3": 700, "C1": 900}
    parts = {"11": ["A1", "A2"], "12": ["B1", "B2", "B3"], "13": ["C1"]}
    # 1 000 = province 11 whole (400 + 600)
    assert bench.pick_zones(counts, parts, 1000) == ["A1", "A2"]
    # 1 900: 11 whole (1 000), 12 (1 500) does not fit: B1 → 1 300, B2 → 1 800 (closer), B3 → 2 500 (farther)
    assert bench.pick_zones(counts, parts, 1900) == ["A1", "A2", "B1", "B2"]
    # 350: A1 (400) is 50 away, nothing is 350 away
    assert bench.pick_zones(counts, parts, 350) == ["A1"]
    assert bench.pick_zones(counts, parts, 10_000) == ["A1", "A2", "B1", "B2", "B3", "C1"]


def test_cli_nation_sample_refuses_a_bad_count_clearly(tmp_path):
    from typer.testing import CliRunner

    from landuse.cli import app

    r = CliRunner().invoke(app, ["sample", "--scale", "nation", "--provinces", "31", "--out", str(tmp_path / "n")])
    assert r.exit_code == 1 and "--provinces" in r.output and "30" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "n").exists()  # nothing written
    r = CliRunner().invoke(app, ["sample", "--scale", "nation", "--province-scale", "nation", "--out", str(tmp_path / "n")])
    assert r.exit_code == 1 and "--province-scale" in r.output


def test_each_province_reads_its_own_statistics_row_and_keeps_its_own_results_row(tmp_path):
    """``province_rows``: the evaluated zones' province reads its PROVINCE-<code> row of pilot_area_years
    (as PROVINCE; other provinces' rows left out); a partition of a two-province store stores its
    whole-province row as PROVINCE-<code>, a store of one province as PROVINCE."""
    import pandas as pd

    from landuse.services.evaluate import own_province_row, province_rows

    class TwoProvinces:
        def read(self, name, **_kw):
            assert name == "zones"
            return pd.DataFrame({"zone_code": ["Z36", "Z11"], "county_code": ["360700", "110100"]})

    zones36 = pd.DataFrame({"zone_code": ["Z36"], "county_code": ["360700"]})
    pay = pd.DataFrame({"pilot_area_code": ["361000", "PROVINCE-36", "PROVINCE-11", "PROVINCE"],
                        "year": [2025] * 4, "rd_institution_share": [None, 0.36, 0.11, 0.99]})
    got, code = province_rows(TwoProvinces(), {"zones": zones36, "pilot_area_years": pay}, ["Z36"])
    assert code == "PROVINCE-36"
    g = got["pilot_area_years"].set_index("pilot_area_code")
    assert list(g.index) == ["361000", "PROVINCE"] and g.loc["PROVINCE", "rd_institution_share"] == 0.36
    # without a row of its own the plain PROVINCE row serves; a whole-store run stores PROVINCE
    got, code = province_rows(TwoProvinces(), {"zones": zones36, "pilot_area_years": pay.iloc[[0, 2, 3]]}, None)
    assert code == PROVINCE
    g = got["pilot_area_years"].set_index("pilot_area_code")
    assert list(g.index) == ["361000", "PROVINCE"] and g.loc["PROVINCE", "rd_institution_share"] == 0.99

    class OneProvince(TwoProvinces):
        def read(self, name, **_kw):
            return zones36

    assert province_rows(OneProvince(), {"zones": zones36, "pilot_area_years": pay}, ["Z36"])[1] == PROVINCE
    par = pd.DataFrame({"pilot_area_code": ["361000", PROVINCE], "year": [2025, 2025]})
    out = own_province_row({"pilot_area_results": par}, "PROVINCE-36")["pilot_area_results"]
    assert list(out["pilot_area_code"]) == ["361000", "PROVINCE-36"] and list(par["pilot_area_code"])[1] == PROVINCE
