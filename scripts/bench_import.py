"""Benchmark: import of the `province` package into both backends, beside a bare read (the floor).

    python scripts/bench_import.py [--package DIR] [--repeat 3]

Generates the package (seed 1) unless --package is given, starts a throwaway PostGIS server on
127.0.0.1 (tests/pgserver.py), and runs each measurement in a fresh child process so that peak
memory (max RSS) is the measurement's own. Prints medians over --repeat runs.

- bare read: pyogrio/pandas read of every layer file, nothing else (the floor)
- import: `landuse import` into an empty store (read, validate, area, write), gpkg and postgis
- re-import: the same package again (idempotent: nothing changes)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(kind: str, pkg: str, db: str) -> None:
    t0 = time.perf_counter()
    rows = 0
    if kind == "bare":
        import pandas as pd
        import pyogrio

        for f in sorted(Path(pkg).iterdir()):
            if f.name.startswith("_"):
                continue
            if f.suffix in (".shp", ".geojson", ".gpkg"):
                enc = {"encoding": "GB18030"} if f.suffix == ".shp" else {}
                rows += len(pyogrio.read_dataframe(f, **enc))
            elif f.suffix == ".csv":
                try:
                    rows += len(pd.read_csv(f, dtype=str))
                except UnicodeDecodeError:
                    rows += len(pd.read_csv(f, dtype=str, encoding="gb18030"))
            elif f.suffix == ".xlsx":
                rows += sum(len(d) for d in pd.read_excel(f, sheet_name=None, dtype=object).values())
    else:
        from landuse.core.policy import default_policy
        from landuse.services.imports import run_import
        from parcels.store import open_store

        store = open_store(db, init=True)
        t0 = time.perf_counter()
        rep = run_import(pkg, store, policy=default_policy())
        rows = sum(c.inserted + c.updated + c.unchanged for c in rep.changes)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "rows": rows, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(kind: str, pkg: Path, db: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(pkg), db], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=3)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    if a.package:
        pkg = Path(a.package)
    else:
        from parcels.sample import write_sample

        pkg = work / "province"
        t0 = time.perf_counter()
        write_sample(pkg, scale="province", seed=1)
        print(f"generated province package in {time.perf_counter() - t0:.1f} s: {pkg}")
    from tests.pgserver import PostGISServer

    srv = PostGISServer()
    base = srv.start().rsplit("/", 1)[0]
    try:
        results: dict[str, list[dict]] = {}
        for i in range(a.repeat):
            results.setdefault("bare read (floor)", []).append(run_child("bare", pkg, ""))
            g = work / f"bench{i}.gpkg"
            results.setdefault("import gpkg", []).append(run_child("import", pkg, str(g)))
            results.setdefault("re-import gpkg", []).append(run_child("import", pkg, str(g)))
            import sqlalchemy as sa

            from parcels.store.postgis import sqlalchemy_url

            eng = sa.create_engine(sqlalchemy_url(f"{base}/postgres"), isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.execute(sa.text(f"CREATE DATABASE bench{i}"))
                eng2 = sa.create_engine(sqlalchemy_url(f"{base}/bench{i}"), isolation_level="AUTOCOMMIT")
                with eng2.connect() as c2:
                    c2.execute(sa.text("CREATE EXTENSION postgis"))
                eng2.dispose()
            eng.dispose()
            results.setdefault("import postgis", []).append(run_child("import", pkg, f"{base}/bench{i}"))
            results.setdefault("re-import postgis", []).append(run_child("import", pkg, f"{base}/bench{i}"))
        floor = statistics.median(r["seconds"] for r in results["bare read (floor)"])
        print(f"\n{'step':<20} {'median s':>9} {'× floor':>8} {'rows':>9} {'rows/s':>9} {'peak MB':>8}")
        for k, rs in results.items():
            s = statistics.median(r["seconds"] for r in rs)
            rows = rs[0]["rows"]
            mem = max(r["max_rss_mb"] for r in rs)
            print(f"{k:<20} {s:>9.2f} {s / floor:>8.1f} {rows:>9} {rows / s:>9.0f} {mem:>8.0f}")
        print(f"(medians of {a.repeat} runs; peak = max RSS of the measuring process)")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
