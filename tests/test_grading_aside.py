"""A year's grading and intensive-use survey in a forked child while the parent applies the rules that
read no grades (evaluation.pipeline.Prepared.aside, landuse.services.years_parallel.fork_aside):
the results are exactly those of one process, warm or fresh, on both backends; what the year computes
for the carry is kept as in one process; a failing or vanished child fails the run with its error
and leaves no child and no file."""

from __future__ import annotations

import os
import tempfile

import pandas as pd
import pytest

import evaluation.pipeline as pipeline
from landuse.core.errors import LanduseError
from landuse.core.policy import default_policy
from landuse.services.evaluate import evaluate
from tests.pkgkit import evaluated_sample
from tests.test_carry import count_gradings
from tests.test_years_parallel import _children

P = default_policy()
Y = 2025


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The `small` sample with its survey, evaluated once for every year (the parts are kept)."""
    store = evaluated_sample(tmp_path_factory.mktemp("aside"))
    yield store
    store.close()


@pytest.fixture
def forks(monkeypatch):
    """The number of forks made by this process."""
    n = [0]
    real = os.fork

    def counting():
        pid = real()
        if pid:
            n[0] += 1
        return pid

    monkeypatch.setattr(os, "fork", counting)
    return n


def _same(a, b) -> None:
    assert sorted(a.layers) == sorted(b.layers)
    for name in a.layers:
        pd.testing.assert_frame_equal(a.layers[name], b.layers[name], check_exact=True, obj=name)
    pd.testing.assert_frame_equal(a.survey, b.survey, check_exact=True)
    pd.testing.assert_frame_equal(a.problems, b.problems, check_exact=True)
    pd.testing.assert_frame_equal(a.pilot_targets, b.pilot_targets, check_exact=True)
    assert a.warnings == b.warnings


@pytest.mark.parametrize("fresh", [False, True])
def test_a_year_graded_aside_is_the_year_in_one_process(sample, forks, fresh):
    one = evaluate(sample, years=[Y], policy=P, processes=1, fresh=fresh)[Y]
    assert forks[0] == 0
    two = evaluate(sample, years=[Y], policy=P, processes=2, fresh=fresh)[Y]
    # fresh: 2025 and the earlier years it needs, each graded aside; warm: 2025 alone
    assert forks[0] >= 1
    assert one.layers["enterprise_results"]["grade"].notna().any()
    assert one.layers["flags"]["rule"].nunique() > 3 and len(one.survey)
    _same(one, two)


def test_parts_computed_beside_a_forked_grading_are_kept(sample, forks, monkeypatch):
    """A fresh run with the grading aside keeps the earlier years' parts as one process does: the next
    run grades 2025 alone."""
    evaluate(sample, years=[Y], policy=P, processes=2, fresh=True)
    assert forks[0] >= 1
    graded = count_gradings(monkeypatch)
    evaluate(sample, years=[Y], policy=P, processes=1)
    assert graded == [Y]


@pytest.mark.parametrize("how", ["raises", "vanishes"])
def test_a_failing_aside_fails_the_run_and_leaves_nothing(sample, tmp_path, monkeypatch, forks, how):
    parent = os.getpid()
    real = pipeline.survey_step

    def broken(inputs, **kw):
        if os.getpid() != parent:  # in the child only
            if how == "raises":
                raise ValueError("boom survey")
            os._exit(9)
        return real(inputs, **kw)

    monkeypatch.setattr(pipeline, "survey_step", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _children()
    with pytest.raises(ValueError, match="boom survey") if how == "raises" else pytest.raises(LanduseError):
        evaluate(sample, years=[Y], policy=P, processes=2)
    assert forks[0] == 2  # the read's second process (tests/test_read_beside.py), then the grading's
    assert not list(tmp_path.glob("landuse-aside-*"))
    assert _children() <= before


def test_a_year_graded_aside_on_both_backends(store, tmp_path, forks):
    """On PostGIS too: the child never uses the parent's connections (shared by the fork)."""
    from parcels.importer import import_package
    from tests import pkgkit

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    evaluate(store, years=[2020, Y], policy=P, processes=1)
    one = evaluate(store, years=[Y], policy=P, processes=1)[Y]
    n = forks[0]
    two = evaluate(store, years=[Y], policy=P, processes=2)[Y]
    from parcels.store.gpkg import GeoPackageStore

    # the grading's child, and on GeoPackage the read's second process (tests/test_read_beside.py)
    assert forks[0] == n + 1 + isinstance(store, GeoPackageStore)
    for name in one.layers:
        pd.testing.assert_frame_equal(one.layers[name], two.layers[name], check_exact=True, obj=name)
    assert len(store.read("zone_results", year=Y)) > 0  # the parent's connections still serve
