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
- evaluate, 6 years, 1 process: the same with `--processes 1` (by default the years are shared out
  between up to two processes when the earlier years' parts are kept: landuse/services/years_parallel.py)
- evaluate --fresh, 1 year / 6 years: the same, computing the earlier years' parts again (the
  cost of a first evaluation, or of one after the inputs changed)

Then the same as whole processes timed from outside (the issue's measure: `landuse evaluate --year
2025` as a command against a process that only reads the input layers).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pss_mb(pid: int | str) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:")) / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0


def _children() -> list[str]:
    out: list[str] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            out += (task / "children").read_text().split()
        except OSError:
            pass
    return out


def _watch_memory(peak: list[float], stop: threading.Event) -> None:
    """The measuring process and its children (an evaluation of several years forks:
    landuse/services/years_parallel.py): the largest sum of their proportional set sizes (PSS:
    pages shared copy-on-write counted once), sampled every 0.1 s."""
    while not stop.wait(0.1):
        peak[0] = max(peak[0], _pss_mb("self") + sum(_pss_mb(c) for c in _children()))


def child(kind: str, db: str) -> None:
    from landuse.core.policy import default_policy
    from parcels.store import open_store

    pol = default_policy()
    store = open_store(db)
    peak = [0.0]
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_memory, args=(peak, stop), daemon=True)
    watcher.start()
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

        evaluate(store, years=[2025], policy=pol, keep="last")
    elif kind in ("eval6", "eval6fresh", "eval6one"):
        from landuse.services.evaluate import evaluate

        evaluate(store, years=[2020, 2021, 2022, 2023, 2024, 2025], policy=pol, fresh=kind == "eval6fresh",
                 processes=1 if kind == "eval6one" else None, keep="last")  # as `landuse evaluate` does
    elif kind == "eval1fresh":
        from landuse.services.evaluate import evaluate

        evaluate(store, years=[2025], policy=pol, fresh=True, keep="last")
    dt = time.perf_counter() - t0
    stop.set()
    watcher.join()
    print(json.dumps({"seconds": dt, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_all_mb": peak[0]}))


def run_whole(kind: str, db: str) -> dict:
    """A whole process, as a user runs it (interpreter start, imports, exit), timed from outside:
    the issue's measure. ``read``: a process that only reads the input layers; ``eval1``/``eval6``:
    ``landuse evaluate`` for 2025 / every year."""
    cmd = {"read": [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from parcels.store import "
                    "open_store; open_store(sys.argv[2]).read_inputs()", str(ROOT), db],
           "eval1": [sys.executable, "-m", "landuse.cli", "evaluate", "--db", db, "--year", "2025"],
           "eval6": [sys.executable, "-m", "landuse.cli", "evaluate", "--db", db]}[kind]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return {"seconds": time.perf_counter() - t0, "max_rss_mb": float("nan"), "peak_all_mb": float("nan")}


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
        run_child("eval6", db)
    steps = [("bare read (floor)", "read"), ("figures, 1 year", "figures"), ("flags+grades+targets, 1 year", "full"),
             ("evaluate, 1 year", "eval1"), ("evaluate --fresh, 1 year", "eval1fresh"), ("evaluate, 6 years", "eval6"), ("evaluate, 6 years, 1 process", "eval6one"),
             ("evaluate --fresh, 6 years", "eval6fresh")]
    whole = [("read process (floor)", "read"), ("landuse evaluate --year 2025", "eval1"),
             ("landuse evaluate (6 years)", "eval6")]
    results: dict[str, list[dict]] = {}
    wholes: dict[str, list[dict]] = {}
    for _ in range(a.repeat):
        for label, kind in steps:
            results.setdefault(label, []).append(run_child(kind, db))
        for label, kind in whole:
            wholes.setdefault(label, []).append(run_whole(kind, db))
    floor = statistics.median(r["seconds"] for r in results["bare read (floor)"])
    print(f"\nstore: {db}")
    print(f"{'step':<30} {'median s':>9} {'× floor':>8} {'peak MB':>8} {'all MB':>8}")
    for label, rs in results.items():
        s = statistics.median(r["seconds"] for r in rs)
        print(f"{label:<30} {s:>9.2f} {s / floor:>8.2f} {max(r['max_rss_mb'] for r in rs):>8.0f} "
              f"{max(r['peak_all_mb'] for r in rs):>8.0f}")
    print(f"(medians of {a.repeat} runs; peak = max RSS of the measuring process; all = the largest sum of the "
          "PSS of it and its children, sampled every 0.1 s; 'figures' and 'flags+grades+targets' include the read)")
    wfloor = statistics.median(r["seconds"] for r in wholes["read process (floor)"])
    print(f"\n{'whole process':<30} {'median s':>9} {'× floor':>8}")
    for label, rs in wholes.items():
        s = statistics.median(r["seconds"] for r in rs)
        print(f"{label:<30} {s:>9.2f} {s / wfloor:>8.2f}")
    print("(timed from outside, start to exit: interpreter, imports, the command's output)")


if __name__ == "__main__":
    main()
