"""Some input layers read by a second process while this one reads the others
(``GeoPackageStore.read_inputs_snapshot(aside=...)``, ``landuse.services.years_parallel.read_aside``):
the same frames and inputs hash as one read transaction; when an import lands between the two
transactions, or a layer has no recorded state, everything is read in one transaction; a child that
fails or vanishes fails the read with its error; an evaluation forks for it only where it may."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading

import geopandas as gpd
import pandas as pd
import pytest

from landuse.core.errors import LanduseError
from landuse.core.policy import default_policy
from landuse.services import years_parallel
from landuse.services.imports import run_import
from parcels.sample import write_sample
from parcels.store import open_store
from parcels.store.gpkg import READ_BESIDE
from tests.test_years_parallel import _children

P = default_policy()


def _imported(root):
    write_sample(root / "pkg", scale="small", seed=1)
    store = open_store(str(root / "work.gpkg"), init=True)
    run_import(root / "pkg", store, policy=P)
    return store


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    store = _imported(tmp_path_factory.mktemp("beside"))
    yield store
    store.close()


class Spy:
    """An aside that forks (as ``read_aside`` does) and notes each call and the child's pid."""

    def __init__(self, tmp_path, in_child=None):
        self.calls = 0
        self.pid_file = tmp_path / "child-pid"
        self.in_child = in_child

    def __call__(self, fn):
        self.calls += 1

        def note():
            self.pid_file.write_text(str(os.getpid()))
            if self.in_child is not None:
                self.in_child()

        return years_parallel._Forked(fn, note)


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        assert type(a[name]) is type(b[name]), name
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
        if isinstance(a[name], gpd.GeoDataFrame):
            assert a[name].crs == b[name].crs


def test_same_frames_and_hash_as_one_transaction(sample, tmp_path):
    one, h_one = sample.read_inputs_snapshot(geometry={"zones"})
    spy = Spy(tmp_path)
    two, h_two = sample.read_inputs_snapshot(geometry={"zones"}, aside=spy)
    assert spy.calls == 1
    assert int(spy.pid_file.read_text()) != os.getpid()  # read by another process
    assert all(len(two[name]) for name in READ_BESIDE)  # the layers read there have rows here
    _same(one, two)
    assert h_one == h_two == sample.inputs_hash()
    assert not _children()


def test_every_polygon_too(sample, tmp_path):
    """Asked for every layer's geometry (the default), the frames are those of one transaction."""
    one, h_one = sample.read_inputs_snapshot()
    two, h_two = sample.read_inputs_snapshot(aside=Spy(tmp_path))
    _same(one, two)
    assert h_one == h_two


def test_an_import_between_the_two_reads_reads_everything_in_one(tmp_path):
    store = _imported(tmp_path / "a")
    before = store.inputs_hash()
    ey = store.read("enterprise_years")
    row = ey.iloc[0]
    fix = tmp_path / "fix"
    fix.mkdir()
    pd.DataFrame({"uscc": [row["uscc"]], "year": [int(row["year"])],
                  "revenue_wan": [float(row["revenue_wan"]) + 1234.5], "tax_wan": [row["tax_wan"]]}).to_csv(fix / "enterprise_years.csv", index=False)

    class Late:
        """The second read starts after an import landed (the first read began before it)."""

        def __init__(self, fn):
            self.fn = fn

        def result(self):
            run_import(fix, store, policy=P)
            return self.fn()

        def close(self):
            pass

    frames, h = store.read_inputs_snapshot(geometry={"zones"}, aside=Late)
    after, h_after = store.read_inputs_snapshot(geometry={"zones"})
    assert h_after != before  # the import changed a layer
    assert h == h_after == store.inputs_hash()  # one state: the one after the import
    _same(frames, after)
    store.close()


def test_a_layer_without_recorded_state_is_read_in_one(tmp_path):
    """A write that bypassed ``landuse import`` (QGIS, SQL) forgets the layer's state: then nothing
    proves the two transactions saw the same rows, and no second process is used."""
    store = _imported(tmp_path / "b")
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE enterprises SET name = name || ' ' WHERE rowid = (SELECT min(rowid) FROM enterprises)")
    spy = Spy(tmp_path)
    frames, h = store.read_inputs_snapshot(geometry={"zones"}, aside=spy)
    assert spy.calls == 0
    one, h_one = store.read_inputs_snapshot(geometry={"zones"})
    _same(frames, one)
    assert h == h_one == store.inputs_hash()
    store.close()


def _aside_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("landuse-aside-")}


def test_a_failing_or_vanished_child_fails_the_read(sample, tmp_path):
    def boom():
        raise RuntimeError("disk on fire")

    dirs = _aside_dirs()
    with pytest.raises(RuntimeError, match="disk on fire"):
        sample.read_inputs_snapshot(geometry={"zones"}, aside=Spy(tmp_path, in_child=boom))
    with pytest.raises(LanduseError, match="--processes 1"):
        sample.read_inputs_snapshot(geometry={"zones"}, aside=Spy(tmp_path, in_child=lambda: os._exit(9)))
    assert not _children()
    assert _aside_dirs() <= dirs  # the hand-over folders are gone


def test_read_aside_only_where_it_may(monkeypatch):
    assert years_parallel.read_aside(wanted=1) is None  # --processes 1
    monkeypatch.setattr(years_parallel, "memory_allows", lambda extra: False)
    assert years_parallel.read_aside(wanted=2) is None  # memory short
    monkeypatch.setattr(years_parallel, "memory_allows", lambda extra: True)
    assert years_parallel.read_aside(wanted=2) is not None
    got = []
    t = threading.Thread(target=lambda: got.append(years_parallel.read_aside(wanted=2)))
    t.start()
    t.join()
    assert got == [None]  # a web request's thread: never forks


def test_skipped_layers_are_left_out_and_still_hashed(store, tmp_path):
    """``skip`` (an evaluation leaves out enterprise_periods, which it never reads): the layer is not
    in the frames, the hash is the one of every layer (its recorded state), on both backends, in one
    transaction, beside a second process and for a partition."""
    write_sample(tmp_path / "pkg", scale="small", seed=1)
    run_import(tmp_path / "pkg", store, policy=P)
    full, h = store.read_inputs_snapshot(geometry={"zones"})
    assert len(full["enterprise_periods"])
    for aside in (None, Spy(tmp_path)):
        part, h_part = store.read_inputs_snapshot(geometry={"zones"}, skip={"enterprise_periods"}, aside=aside)
        assert "enterprise_periods" not in part and list(part) == [n for n in full if n != "enterprise_periods"]
        assert h_part == h == store.inputs_hash()
        for name in part:
            pd.testing.assert_frame_equal(part[name], full[name], check_exact=True, obj=name)
    zones = sorted(full["zones"]["zone_code"])[:1]
    got, _ = store.read_inputs_snapshot(zones=zones, with_hash=False, skip={"enterprise_periods"})
    assert "enterprise_periods" not in got and len(got["parcels"])


def test_a_skipped_layer_without_recorded_state_is_read_for_the_hash(tmp_path):
    store = _imported(tmp_path / "c")
    with sqlite3.connect(store.path) as con:  # an edit beside `landuse import` forgets the layer's state
        con.execute("UPDATE enterprise_periods SET revenue_wan = revenue_wan + 1 "
                    "WHERE rowid = (SELECT min(rowid) FROM enterprise_periods)")
    frames, h = store.read_inputs_snapshot(geometry={"zones"}, skip={"enterprise_periods"})
    assert len(frames["enterprise_periods"])  # read: its hash comes from its rows
    assert h == store.inputs_hash()
    store.close()
