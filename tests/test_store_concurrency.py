"""Writers on one GeoPackage: overlapping imports and audit writes all land (SQLite's transactions
and lock, no copy of the file renamed over it), a killed import changes nothing and leaves no copy,
the file keeps its permissions, and GDAL still reads it (feature counts, R-tree)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from landuse.core.errors import StoreBusy
from parcels.importer import import_package
from parcels.store import open_store
from tests import pkgkit

ROUNDS = 20
AUDIT_ROWS = 25
REPO = Path(__file__).resolve().parent.parent


def _package_a(root: Path, r: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"uscc": [pkgkit.E1], "year": [2040], "revenue_wan": [1000.0 + r], "tax_wan": [1.0]}).to_csv(
        root / "enterprise_years.csv", index=False)
    return root


def _package_b(root: Path, r: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"uscc": [pkgkit.E2], "year": [2041], "revenue_wan": [2000.0 + r], "tax_wan": [2.0]}).to_csv(
        root / "enterprise_years.csv", index=False)
    p = pkgkit.parcels_gdf().iloc[[0]].copy()
    p["parcel_code"] = f"PB{r}"
    p["holder_uscc"] = pkgkit.E2
    x = pkgkit.LON + 0.0001 * r
    p["geometry"] = [box(x, pkgkit.LAT + 0.005, x + 0.00005, pkgkit.LAT + 0.00505)]
    p.to_file(root / "parcels.gpkg", layer="parcels", driver="GPKG")
    return root


def _do_import(db: str, pkg: str, out) -> None:
    try:
        import_package(pkg, open_store(db))
        out.put(("ok", pkg))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def _do_audit(db: str, n: int, tag: str, out) -> None:
    try:
        s = open_store(db)
        for i in range(n):
            s.sys_insert("audit_log", {"ts": "2026-11-26T00:00:00Z", "username": "w", "action": "test",
                                       "detail": f"{tag}-{i}", "ip": None})
        out.put(("ok", tag))
    except BaseException as exc:  # noqa: BLE001
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def _gpkg_consistent(path: Path) -> None:
    """What GDAL and QGIS rely on: integrity, feature counts, and an R-tree row per geometry."""
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for (name,) in con.execute("SELECT table_name FROM gpkg_contents").fetchall():
            n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            fc = con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = ?", (name,)).fetchone()
            assert fc is None or fc[0] == n, (name, fc, n)
            if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (f"rtree_{name}_geom",)).fetchone():
                geoms = con.execute(f'SELECT count(*) FROM "{name}" WHERE geom IS NOT NULL').fetchone()[0]
                rt = con.execute(f'SELECT count(*) FROM "rtree_{name}_geom"').fetchone()[0]
                orphans = con.execute(f'SELECT count(*) FROM "rtree_{name}_geom" WHERE id NOT IN '
                                      f'(SELECT fid FROM "{name}")').fetchone()[0]
                assert (rt, orphans) == (geoms, 0), name
    for name in ("parcels", "zones", "enterprise_years"):
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == len(pyogrio.read_dataframe(path, layer=name))


@pytest.fixture
def loaded_gpkg(tmp_path):
    db = tmp_path / "work.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "base"), s)
    return db, s


def test_gpkg_two_imports_and_an_audit_writer_at_once_lose_nothing(loaded_gpkg, tmp_path):
    db, store = loaded_gpkg
    ctx = multiprocessing.get_context("fork")
    audit_before = len(store.sys_query("audit_log"))
    for r in range(ROUNDS):
        a, b = _package_a(tmp_path / f"a{r}", r), _package_b(tmp_path / f"b{r}", r)
        out = ctx.Queue()
        procs = [ctx.Process(target=_do_import, args=(str(db), str(a), out)),
                 ctx.Process(target=_do_import, args=(str(db), str(b), out)),
                 ctx.Process(target=_do_audit, args=(str(db), AUDIT_ROWS, f"r{r}", out))]
        for p in procs:
            p.start()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=120)
        assert all(res[0] == "ok" for res in results), results
        ey = store.read("enterprise_years", year=2040)
        assert ey.loc[ey.uscc == pkgkit.E1, "revenue_wan"].tolist() == [1000.0 + r], f"round {r}: import A lost"
        ey = store.read("enterprise_years", year=2041)
        assert ey.loc[ey.uscc == pkgkit.E2, "revenue_wan"].tolist() == [2000.0 + r], f"round {r}: import B lost"
        assert f"PB{r}" in set(store.read("parcels")["parcel_code"]), f"round {r}: import B's parcel lost"
        audit = store.sys_query("audit_log")
        assert len(audit) == audit_before + AUDIT_ROWS * (r + 1), f"round {r}: audit rows lost"
    assert len(store.read("parcels")) == 3 + ROUNDS
    _gpkg_consistent(db)
    # an R-tree spatial filter through GDAL finds exactly the parcels of import B (north of the base ones)
    got = pyogrio.read_dataframe(db, layer="parcels", bbox=(pkgkit.LON - 0.001, pkgkit.LAT + 0.0045,
                                                            pkgkit.LON + 0.01, pkgkit.LAT + 0.0055))
    assert sorted(got["parcel_code"]) == sorted(f"PB{r}" for r in range(ROUNDS))
    assert not [f for f in os.listdir(db.parent) if f.startswith(".") or f.endswith((".tmp", "-journal"))]


_KILL_CHILD = r"""
import sys, time
import parcels.store.gpkg as g
real = g._rewrite
def slow(*a, **k):
    real(*a, **k)
    print("WRITING", flush=True)
    time.sleep(60)
g._rewrite = slow
from parcels.importer import import_package
from parcels.store import open_store
import_package(sys.argv[2], open_store(sys.argv[1]))
"""


def test_gpkg_kill_9_mid_import_leaves_the_file_as_before(loaded_gpkg, tmp_path):
    db, store = loaded_gpkg
    os.chmod(db, 0o640)
    before = store.snapshot()
    before_audit = store.sys_query("audit_log")
    pkg = _package_b(tmp_path / "b", 7)
    child = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(db), str(pkg)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    line = child.stdout.readline()
    assert line.strip() == "WRITING", child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    # the writer died inside its transaction: SQLite's journal is there, no copy of the file
    assert not [f for f in os.listdir(db.parent) if f.startswith(".") or f.endswith(".tmp")]
    assert (db.stat().st_mode & 0o777) == 0o640
    assert store.snapshot() == before  # the next reader plays the journal back
    assert store.sys_query("audit_log") == before_audit
    # what may remain is SQLite's rollback journal: the pre-images of the pages the import touched
    # (not a copy of the file); the file itself was never written, so no reader needs it
    journal = db.parent / (db.name + "-journal")
    assert not journal.exists() or journal.stat().st_size < db.stat().st_size / 2
    _gpkg_consistent(db)
    import_package(pkg, store)  # and the file takes the same import afterwards
    assert "PB7" in set(store.read("parcels")["parcel_code"])
    assert not journal.exists()
    assert (db.stat().st_mode & 0o777) == 0o640


def test_gpkg_writer_waits_naming_the_holder_then_refuses(loaded_gpkg, monkeypatch, caplog):
    db, store = loaded_gpkg
    monkeypatch.setenv("LANDUSE_LOCK_TIMEOUT", "1")
    holder = open_store(str(db))
    before = store.snapshot()
    with holder._writing("import"):  # another import holds the write lock
        with caplog.at_level(logging.WARNING, logger="landuse.store"), pytest.raises(StoreBusy) as ei:
            store.apply_import({"enterprise_years": pkgkit.enterprise_years_df().head(1)}, {})
    assert "waiting up to 1 s" in caplog.text and f"import, pid {os.getpid()}" in caplog.text
    assert "nothing was changed" in str(ei.value) and f"import, pid {os.getpid()}" in str(ei.value)
    assert store.snapshot() == before


def test_gpkg_writer_waits_for_the_lock_and_then_lands(loaded_gpkg, tmp_path):
    db, store = loaded_gpkg
    holder = open_store(str(db))
    done = []

    def audit_later():
        open_store(str(db)).sys_insert("audit_log", {"ts": "t", "username": "x", "action": "test", "detail": "late"})
        done.append(time.monotonic())

    with holder._writing("import") as con:
        con.execute("INSERT INTO audit_log (ts, action, detail) VALUES ('t', 'test', 'first')")
        th = threading.Thread(target=audit_later)
        th.start()
        time.sleep(0.5)
        assert not done  # waiting, not failing
        released = time.monotonic()
    th.join(timeout=30)
    assert done and done[0] >= released
    assert [r["detail"] for r in store.sys_query("audit_log", {"action": "test"})] == ["first", "late"]


def test_gpkg_import_keeps_file_permissions_and_gdal_reads_it(loaded_gpkg, tmp_path):
    db, store = loaded_gpkg
    os.chmod(db, 0o600)
    import_package(_package_b(tmp_path / "b", 1), store)
    store.replace_results({"zone_results": pd.DataFrame({"zone_code": ["Z1"], "year": [2024], "geometry": [
        box(pkgkit.LON, pkgkit.LAT, pkgkit.LON + 0.01, pkgkit.LAT + 0.01)]})}, year=2024)
    assert (db.stat().st_mode & 0o777) == 0o600
    _gpkg_consistent(db)
    p = pyogrio.read_dataframe(db, layer="parcels")
    assert sorted(p["parcel_code"]) == ["P1", "P2", "P3", "PB1"]
    assert pyogrio.read_info(db, layer="zone_results")["features"] == 1
