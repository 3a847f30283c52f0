"""Several years of one evaluation on two processes (landuse.services.years_parallel): when the
earlier years' parts are all kept, the years are forked out round robin — and the results are
exactly those of the years evaluated one after the other. A failing or vanished child fails the
run with its error, and no child or file is left behind."""

from __future__ import annotations

import os
import tempfile

import pandas as pd
import pytest

import evaluation
from landuse.core.errors import LanduseError
from landuse.core.policy import default_policy
from landuse.services import versions
from landuse.services.evaluate import evaluate
from landuse.services.years_parallel import processes_for
from tests.pkgkit import SAMPLE_YEARS, evaluated_sample

P = default_policy()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The `small` sample, evaluated once for every year (the earlier years' parts are kept)."""
    root = tmp_path_factory.mktemp("years")
    store = evaluated_sample(root)
    yield store
    store.close()


def _forked(msgs: list[str]) -> bool:
    return any("processes" in m or "进程" in m for m in msgs)


def test_years_on_two_processes_are_the_years_one_after_another(sample):
    seq_msgs: list[str] = []
    seq = evaluate(sample, years=SAMPLE_YEARS, policy=P, processes=1, progress=seq_msgs.append)
    assert not _forked(seq_msgs)
    g = sample.results_generation()
    msgs: list[str] = []
    par = evaluate(sample, years=SAMPLE_YEARS, policy=P, processes=2, progress=msgs.append)
    assert _forked(msgs), msgs
    assert sorted(par) == sorted(seq) == SAMPLE_YEARS
    for y in SAMPLE_YEARS:
        a, b = seq[y], par[y]
        assert sorted(a.layers) == sorted(b.layers)
        for name in a.layers:
            pd.testing.assert_frame_equal(a.layers[name], b.layers[name], check_exact=True, obj=f"{y} {name}")
        pd.testing.assert_frame_equal(a.survey, b.survey, check_exact=True)
        pd.testing.assert_frame_equal(a.problems, b.problems, check_exact=True)
        pd.testing.assert_frame_equal(a.pilot_targets, b.pilot_targets, check_exact=True)
        assert a.warnings == b.warnings
        # each year was stored by the parent, as a version of its own, and found the same rows
        assert b.version == versions.latest(sample, y)["version_id"] != a.version
    assert sample.results_generation() == g  # the same rows as the run before: nothing rewritten


def test_one_year_or_a_worker_thread_stays_in_one_process():
    assert processes_for([2025], zones=None, as_of=None, wanted=2) == 1
    assert processes_for([2024, 2025], zones=["Z1"], as_of=None, wanted=2) == 1  # a partition (Dask worker)
    assert processes_for([2024, 2025], zones=None, as_of=None, wanted=1) == 1
    assert processes_for([2024, 2025], zones=None, as_of=None, wanted=8) == 2  # never more than the years
    import threading

    got: list[int] = []
    th = threading.Thread(target=lambda: got.append(processes_for([2024, 2025], zones=None, as_of=None, wanted=2)))
    th.start()
    th.join()
    assert got == [1]  # a web request's thread: no fork


@pytest.mark.parametrize("how", ["raises", "vanishes"])
def test_a_failing_year_process_fails_the_run_and_leaves_nothing(sample, tmp_path, monkeypatch, how):
    real = evaluation.evaluate_year

    def broken(prepared, *, year, as_of=None):
        if year == 2021:  # evaluated in the child (round robin: 2020 here, 2021 there)
            if how == "raises":
                raise ValueError("boom 2021")
            os._exit(9)
        return real(prepared, year=year, as_of=as_of)

    monkeypatch.setattr(evaluation, "evaluate_year", broken)  # what the child calls (the parent has its own)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _children()  # this test process may have others (a database server, a browser)
    with pytest.raises(ValueError, match="boom 2021") if how == "raises" else pytest.raises(LanduseError, match="2021"):
        evaluate(sample, years=SAMPLE_YEARS, policy=P, processes=2)
    assert not list(tmp_path.glob("landuse-years-*"))  # the hand-over folder is removed
    assert _children() <= before  # no child left running or unreaped (a zombie is still listed)


def _children() -> set[str]:
    """This process's children, zombies included (/proc/self/task/*/children)."""
    out: set[str] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            out |= set(f.read().split())
    return out


def test_keep_last_returns_the_earlier_years_light(sample):
    """``keep="last"`` (the command line): once stored, the years before the last keep their zone and
    pilot-area layers only — a six-year run holds one year's parcels — and what is stored is the same."""
    full = evaluate(sample, years=SAMPLE_YEARS, policy=P, processes=2)
    light = evaluate(sample, years=SAMPLE_YEARS, policy=P, processes=2, keep="last")
    last = SAMPLE_YEARS[-1]
    for y in SAMPLE_YEARS:
        assert sorted(light[y].layers) == (sorted(full[y].layers) if y == last
                                           else ["pilot_area_results", "zone_results"])
        for name, frame in light[y].layers.items():
            pd.testing.assert_frame_equal(frame, full[y].layers[name], check_exact=True)
        one, two = versions.frames(sample, full[y].version), versions.frames(sample, light[y].version)
        assert sorted(one) == sorted(two)
        for name in one:
            pd.testing.assert_frame_equal(one[name], two[name], check_exact=True)


def test_years_on_two_processes_on_both_backends(store, tmp_path):
    """The same on PostGIS as on a GeoPackage: the children never use the parent's connections (the
    pool's sockets are shared by the fork), and the parent's keep working after them."""
    from parcels.importer import import_package
    from tests import pkgkit

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    years = [2020, 2021, 2022, 2023, 2024, 2025]
    evaluate(store, years=years, policy=P, processes=1)  # computes and keeps the earlier years' parts
    seq = evaluate(store, years=years, policy=P, processes=1)
    msgs: list[str] = []
    par = evaluate(store, years=years, policy=P, processes=2, progress=msgs.append)
    assert _forked(msgs), msgs
    for y in years:
        for name in seq[y].layers:
            pd.testing.assert_frame_equal(seq[y].layers[name], par[y].layers[name], check_exact=True, obj=f"{y} {name}")
    assert [v["version_id"] for v in versions.list_versions(store, 2025)][-1] == par[2025].version
    assert store.inputs_hash() and len(store.read("zone_results", year=2025)) > 0  # the parent's pool still serves
