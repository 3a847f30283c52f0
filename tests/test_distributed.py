"""The evaluation on Dask (landuse.services.distributed): the same stored results as the single-process
run, partitions that replace only their own zones, and national figures from exact partial sums."""

from __future__ import annotations

import math

import pytest

from landuse.core.contract import OUTPUT_LAYERS
from landuse.core.errors import LanduseError
from landuse.services.distributed import combine, parse_scheduler, partitions
from tests.test_web_common import YEARS, copy_site, web_site  # noqa: F401

import dask.distributed  # noqa: E402,F401 - installed with the test extras (scripts/setup): fail, never skip


def _results(store) -> dict[str, list[tuple]]:
    snap = store.snapshot()
    return {layer.name: snap[layer.name] for layer in OUTPUT_LAYERS}


def test_dask_run_stores_what_the_single_process_run_stores(web_site, tmp_path):
    from landuse.core.policy import default_policy
    from landuse.services.distributed import evaluate_distributed
    from parcels.store import open_store

    single = open_store(str(web_site.gpkg))  # evaluated by one process for YEARS (the fixture)
    db = str(copy_site(web_site, tmp_path))
    store = open_store(db)
    for y in YEARS:  # nothing left over from the single-process run
        store.replace_results({layer.name: store.read(layer.name, year=-1) for layer in OUTPUT_LAYERS
                               if layer.name != "zone_survey_results"}, year=y)
    assert len(store.read("parcel_results", year=YEARS[-1])) == 0
    out = evaluate_distributed(db, years=YEARS, policy=default_policy(), scheduler="local:2")
    assert set(out["partitions"]) == set(partitions(store)) and all(p["peak_mb"] > 0 for p in out["partitions"].values())
    want, got = _results(single), _results(open_store(db))
    for name in want:
        assert got[name] == want[name], name
    # the totals are the sums of the stored zone results
    zr = single.read("zone_results", year=YEARS[-1])
    tot = out["totals"][YEARS[-1]]
    assert tot["revenue_wan"] == pytest.approx(zr["revenue_wan"].sum())
    assert tot["revenue_per_mu"] == pytest.approx(zr["revenue_wan"].sum() / zr["developed_mu"].sum())


def test_a_partition_replaces_only_its_zones(web_site, tmp_path):
    from landuse.core.policy import default_policy
    from landuse.services.evaluate import evaluate
    from parcels.store import open_store

    store = open_store(str(copy_site(web_site, tmp_path)))
    before = store.read("parcel_results", year=2025, geometry=False)
    evaluate(store, years=[2025], policy=default_policy(), zones=[web_site.zone_a])
    after = store.read("parcel_results", year=2025, geometry=False)
    assert len(after) == len(before)
    others = before[before["zone_code"] != web_site.zone_a]
    assert after[after["zone_code"] != web_site.zone_a].reset_index(drop=True).equals(others.reset_index(drop=True))
    assert (after["zone_code"] == web_site.zone_a).sum() == (before["zone_code"] == web_site.zone_a).sum() > 0


def test_national_figures_are_ratios_of_summed_parts():
    # province 1: 100 万元 on 10 mu (10 /mu); province 2: 300 万元 on 20 mu (15 /mu)
    # nation: (100 + 300) / (10 + 20) = 13.33 /mu — not the mean of 10 and 15 (12.5)
    parts = [{"sums": {2025: {"revenue_wan": 100.0, "tax_wan": 5.0, "developed_mu": 10.0}}},
             {"sums": {2025: {"revenue_wan": 300.0, "tax_wan": 7.0, "developed_mu": 20.0}}}]
    tot = combine(parts)[2025]
    assert tot["revenue_wan"] == 400.0 and tot["developed_mu"] == 30.0
    assert tot["revenue_per_mu"] == pytest.approx(400 / 30) and tot["tax_per_mu"] == pytest.approx(12 / 30)
    assert math.isnan(combine([{"sums": {2025: {"revenue_wan": 1.0, "tax_wan": 0.0, "developed_mu": 0.0}}}])[2025]
                      ["revenue_per_mu"])


def test_scheduler_spec():
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("tcp", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:x", "10.0.0.5:8786", ""):
        with pytest.raises(LanduseError):
            parse_scheduler(bad)
