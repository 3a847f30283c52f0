"""Benchmark: evaluation of the `province` package, beside a bare read of its input layers.

    python scripts/bench_evaluate.py [--db landuse.gpkg | --package DIR] [--repeat 3]

Without --db, generates the province package (seed 1) and imports it into a fresh GeoPackage.
Each measurement runs in a fresh child process so its peak memory (max RSS) is its own; medians
over --repeat runs are printed.

- bare read (floor): `store.read_inputs()` — every input layer with geometry, nothing else
- figures, 1 year: read + the figures step (allocation, indicators, +15 %, occupancy)
- flags+grades+targets, 1 year: read + `evaluation.evaluate_year` + target list (not stored)
- evaluate, 1 year / 6 years: `landuse evaluate` as users run it (read, compute, store results),
  on a store evaluated before on the same inputs: the earlier years' parts are taken from the
  store (landuse/services/carry.py)
- evaluate --fresh, 1 year / 6 years: the same, computing the earlier years' parts again (the
  cost of a first evaluation, or of one after the inputs changed)
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


def child(kind: str, db: str) -> None:
    from landuse.core.policy import default_policy
    from parcels.store import open_store

    pol = default_policy()
    store = open_store(db)
    t0 = time.perf_counter()
    if kind == "read":
        store.read_inputs()
    elif kind == "figures":
        from evaluation.figures import static_parts, year_figures
        from evaluation.pipeline import prepare

        prepared = prepare(store.read_inputs(), policy=pol)
        year_figures(prepared.inputs, year=2025, policy=pol, static=static_parts(prepared.inputs, pol),
                     baseline=prepared.baseline)
    elif kind == "full":
        from evaluation import evaluate_year, prepare
        from evaluation.targets import target_list

        inputs = store.read_inputs()
        res = evaluate_year(prepare(inputs, policy=pol), year=2025)
        target_list(res.layers["parcel_results"], res.layers["flags"], policy=pol)
    elif kind == "eval1":
        from landuse.services.evaluate import evaluate

        evaluate(store, years=[2025], policy=pol)
    elif kind in ("eval6", "eval6fresh"):
        from landuse.services.evaluate import evaluate

        evaluate(store, years=[2020, 2021, 2022, 2023, 2024, 2025], policy=pol, fresh=kind == "eval6fresh")
    elif kind == "eval1fresh":
        from landuse.services.evaluate import evaluate

        evaluate(store, years=[2025], policy=pol, fresh=True)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(kind: str, db: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, db], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--package")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    db = a.db
    if not db:
        work = Path(tempfile.mkdtemp(prefix="bench-eval-"))
        pkg = Path(a.package) if a.package else work / "province"
        if not a.package:
            from parcels.sample import write_sample

            write_sample(pkg, scale="province", seed=1)
        from landuse.services.imports import run_import
        from landuse.core.policy import default_policy
        from parcels.store import open_store

        db = str(work / "province.gpkg")
        run_import(pkg, open_store(db, init=True), policy=default_policy())
        # history for grades and rank changes, as in real use
        run_child("eval6", db)
    else:  # the earlier years' parts kept for this code (a code change makes them stale): warm, not measured
        run_child("eval1", db)
    steps = [("bare read (floor)", "read"), ("figures, 1 year", "figures"), ("flags+grades+targets, 1 year", "full"),
             ("evaluate, 1 year", "eval1"), ("evaluate --fresh, 1 year", "eval1fresh"), ("evaluate, 6 years", "eval6"),
             ("evaluate --fresh, 6 years", "eval6fresh")]
    results: dict[str, list[dict]] = {}
    for _ in range(a.repeat):
        for label, kind in steps:
            results.setdefault(label, []).append(run_child(kind, db))
    floor = statistics.median(r["seconds"] for r in results["bare read (floor)"])
    print(f"\nstore: {db}")
    print(f"{'step':<30} {'median s':>9} {'× floor':>8} {'peak MB':>8}")
    for label, rs in results.items():
        s = statistics.median(r["seconds"] for r in rs)
        print(f"{label:<30} {s:>9.2f} {s / floor:>8.2f} {max(r['max_rss_mb'] for r in rs):>8.0f}")
    print(f"(medians of {a.repeat} runs; peak = max RSS of the measuring process; "
          "'figures' and 'flags+grades+targets' include the read)")


if __name__ == "__main__":
    main()
