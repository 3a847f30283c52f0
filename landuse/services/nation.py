"""The national sample (``landuse sample --scale nation``): one generated package per province, made
province by province and never held whole in memory.

Each province is a package of the given scale (``province``: 100 zones, ~97 000 parcels, ~36 000
firms) with its own seed (``seed + 1000 × i`` for the i-th province of
:data:`parcels.sample.reference.PROVINCES`, Jiangxi first: province 0 *is* the ``province`` sample
of ``seed``) and its own province code in every admin code, so zone, pilot-area, county, parcel and
USCC codes are unique nationally. The geometry stays where the generator puts it (Jiangxi-like
coordinates: provinces overlap on a map; the codes, not the places, tell them apart).

Out:

- a PostGIS URL or a ``.gpkg`` path: each province is written to a temporary folder, imported with
  :func:`landuse.services.imports.run_import` (one transaction per province, all or nothing) and the
  folder removed before the next province;
- a folder: one data-package folder per province, ``<out>/<code>/`` (e.g. ``36/``, ``11/``), to import
  one by one (``landuse import <out>/36`` …).
"""

from __future__ import annotations

import gc
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.core.settings import is_postgres_url

#: seeds of successive provinces are this far apart
SEED_STRIDE = 1000


def _rss_mb() -> float:
    """The process's resident memory now (MB), from /proc (0 where there is none)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def nation_provinces(n: int) -> list[tuple[str, str]]:
    """The first ``n`` provinces (code, short name) of a national sample."""
    from parcels.sample.reference import PROVINCES

    if not 1 <= n <= len(PROVINCES):
        raise LanduseError(t(f"--provinces 应在 1 到 {len(PROVINCES)} 之间（收到 {n}）",
                             f"--provinces must be between 1 and {len(PROVINCES)} (got {n})"))
    return PROVINCES[:n]


def is_store(out: str) -> bool:
    """Whether ``out`` names a store (PostGIS URL or GeoPackage file) rather than a folder."""
    return is_postgres_url(out) or out.lower().endswith(".gpkg")


def write_nation(out: str | Path, *, scale: str = "province", provinces: int = 30, seed: int = 1,
                 policy: Policy | None = None, say: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Write the national sample to ``out`` (see the module docstring); returns one summary per
    province: code, seed, counts, seconds, peak and current RSS (MB) of this process after it."""
    from landuse.core.policy import default_policy
    from parcels.sample import write_sample

    say = say or (lambda _m: None)
    chosen = nation_provinces(provinces)
    out_s = str(out)
    store = None
    if is_store(out_s):
        from landuse.services.imports import run_import
        from parcels.store import open_store

        store = open_store(out_s, init=True)
        policy = policy or default_policy()
    else:
        Path(out_s).mkdir(parents=True, exist_ok=True)
    done: list[dict[str, Any]] = []
    try:
        for i, (code, name) in enumerate(chosen):
            t0 = time.perf_counter()
            p_seed = seed + SEED_STRIDE * i
            if store is None:
                summary = write_sample(Path(out_s) / code, scale=scale, seed=p_seed, province=code)  # type: ignore[arg-type]
            else:
                tmp = Path(tempfile.mkdtemp(prefix=f"landuse-nation-{code}-"))
                try:
                    summary = write_sample(tmp, scale=scale, seed=p_seed, province=code)  # type: ignore[arg-type]
                    run_import(tmp, store, policy=policy)  # type: ignore[arg-type]
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            counts = summary["counts"]
            del summary
            gc.collect()
            row = {"province": code, "name": name, "seed": p_seed, "counts": counts,
                   "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "rss_mb": _rss_mb()}
            done.append(row)
            say(t(f"[{i + 1}/{len(chosen)}] {code} {name}：{counts['zones']} 个开发区、{counts['parcels']} 宗地、"
                  f"{counts['enterprises']} 家企业、{counts['enterprise_years']} 条企业年度数据，"
                  f"{row['seconds']:.0f} 秒，内存峰值 {row['peak_mb']:.0f} MB（当前 {row['rss_mb']:.0f} MB）",
                  f"[{i + 1}/{len(chosen)}] {code} {name}: {counts['zones']} zones, {counts['parcels']} parcels, "
                  f"{counts['enterprises']} firms, {counts['enterprise_years']} firm-years, {row['seconds']:.0f} s, "
                  f"peak RSS {row['peak_mb']:.0f} MB (now {row['rss_mb']:.0f} MB)"))
    finally:
        if store is not None:
            store.close()
    return done
