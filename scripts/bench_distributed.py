"""Benchmark: the evaluation on Dask (landuse/services/distributed.py) with 1 and 2 local workers.

    python scripts/bench_distributed.py --db province.gpkg [--year 2025] [--workers 1,2] [--by province|county]
    python scripts/bench_distributed.py --db postgresql://… --parcels 10000,100000,300000,1000000 [--out t.md]

Prints, per run: partitions, wall time of the whole run, and per partition its time and the peak
memory (max RSS) of the worker process that ran it. ``--by county`` splits a province into county
partitions to measure how the work spreads over workers (its zone scores and ranks are then per
county: for measuring, not for an official run).

``--parcels``: for each size, whole zones of the store whose parcels sum closest to it (whole
provinces first, in code order, then whole zones of the next province) are evaluated, and only
those, for one year — how the cost grows with the parcels (a national store, ``landuse sample
--scale nation``, has enough provinces for 1 M). A province cut down to some of its zones ranks
and scores only those: fine for measuring cost, not for an official run. ``--out`` also writes the
table (Markdown).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pick_zones(counts: dict[str, int], parts: dict[str, list[str]], target: int) -> list[str]:
    """Whole partitions (in key order) while they fit under ``target``, then whole zones of the next
    partition while each brings the total closer to it."""
    chosen: list[str] = []
    total = 0
    for key in sorted(parts):
        size = sum(counts.get(z, 0) for z in parts[key])
        if total + size <= target:
            chosen += parts[key]
            total += size
            continue
        for z in parts[key]:
            n = counts.get(z, 0)
            if abs(total + n - target) < abs(total - target):
                chosen.append(z)
                total += n
        break
    return chosen


def _row(out: dict, n_workers: int) -> dict:
    parts = out["partitions"]
    peak: dict[str, float] = {}
    for p in parts.values():
        peak[p["worker"] or "?"] = max(peak.get(p["worker"] or "?", 0.0), p["peak_mb"])
    secs = [p["seconds"] for p in parts.values()]
    return {"workers": n_workers, "partitions": len(parts), "parcels": sum(p["parcels"] for p in parts.values()),
            "wall": out["seconds"], "part_sum": sum(secs), "part_min": min(secs), "part_median": statistics.median(secs),
            "part_max": max(secs), "peak_mb": sorted(peak.values())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--by", default="province", choices=("province", "county"))
    ap.add_argument("--parcels", default=None, help="sizes, e.g. 10000,100000,300000,1000000")
    ap.add_argument("--out", default=None, help="also write the table here (Markdown)")
    a = ap.parse_args()
    from landuse.core.policy import default_policy
    from landuse.services.distributed import evaluate_distributed, partitions
    from parcels.store import open_store

    workers = [int(w) for w in a.workers.split(",")]
    if not a.parcels:
        for n in workers:
            r = _row(evaluate_distributed(a.db, years=[a.year], policy=default_policy(), scheduler=f"local:{n}", by=a.by), n)
            print(f"workers {n}: {r['partitions']} partitions, {r['parcels']} parcels, wall {r['wall']:.1f} s; "
                  f"partition time sum {r['part_sum']:.1f} s, max {r['part_max']:.1f} s; "
                  f"peak per worker MB: {', '.join(f'{v:.0f}' for v in r['peak_mb'])}", flush=True)
        return

    store = open_store(a.db)
    try:
        parts = partitions(store, by=a.by)
        zc = store.read("parcels", columns=["zone_code"], geometry=False)["zone_code"].value_counts()
    finally:
        store.close()
    counts = {str(k): int(v) for k, v in zc.items()}
    head = ("| parcels (target) | parcels | partitions | workers | wall s | s per 1 000 parcels | "
            "partition s (min / median / max) | peak RSS per worker MB | load avg |")
    lines = [head, "|" + "---|" * 9]
    print(head, flush=True)
    for target in (int(x) for x in a.parcels.split(",")):
        zones = pick_zones(counts, parts, target)
        for n in workers:
            t0 = time.perf_counter()
            out = evaluate_distributed(a.db, years=[a.year], policy=default_policy(), scheduler=f"local:{n}", by=a.by,
                                       zones=zones)
            r = _row(out, n)
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            line = (f"| {target:,} | {r['parcels']:,} | {r['partitions']} | {n} | {r['wall']:.1f} | "
                    f"{1000 * r['wall'] / max(r['parcels'], 1):.2f} | {r['part_min']:.1f} / {r['part_median']:.1f} / "
                    f"{r['part_max']:.1f} | {', '.join(f'{v:.0f}' for v in r['peak_mb'])} | {load} |")
            lines.append(line)
            print(line, f"(run {time.perf_counter() - t0:.0f} s)", flush=True)
            if a.out:
                Path(a.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
