"""Benchmark: the evaluation on Dask (landuse/services/distributed.py) with 1 and 2 local workers.

    python scripts/bench_distributed.py --db province.gpkg [--year 2025] [--workers 1,2] [--by province|county]

Prints, per run: partitions, wall time of the whole run, and per partition its time and the peak
memory (max RSS) of the worker process that ran it. ``--by county`` splits a province into county
partitions to measure how the work spreads over workers (its zone scores and ranks are then per
county: for measuring, not for an official run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--by", default="province", choices=("province", "county"))
    a = ap.parse_args()
    from landuse.core.policy import default_policy
    from landuse.services.distributed import evaluate_distributed

    for n in (int(w) for w in a.workers.split(",")):
        out = evaluate_distributed(a.db, years=[a.year], policy=default_policy(), scheduler=f"local:{n}", by=a.by)
        parts = out["partitions"]
        peak: dict[str, float] = {}
        for p in parts.values():
            peak[p["worker"] or "?"] = max(peak.get(p["worker"] or "?", 0.0), p["peak_mb"])
        n_parcels = sum(p["parcels"] for p in parts.values())
        print(f"workers {n}: {len(parts)} partitions, {n_parcels} parcels, wall {out['seconds']:.1f} s; "
              f"partition time sum {sum(p['seconds'] for p in parts.values()):.1f} s, max {max(p['seconds'] for p in parts.values()):.1f} s; "
              f"peak per worker MB: {', '.join(f'{v:.0f}' for v in sorted(peak.values()))}", flush=True)


if __name__ == "__main__":
    main()
