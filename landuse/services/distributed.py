"""The evaluation on a Dask cluster (dask.distributed): one task per partition of zones, each run by a
worker that reads its partition from the store and writes its partition's results back.

    landuse evaluate --scheduler local:4           # a local cluster of 4 worker processes
    landuse evaluate --scheduler tcp://host:8786   # an existing cluster (dask scheduler / dask worker)

Partitions are units whose results depend on nothing outside them, so the distributed run stores
exactly what the single-process run of each unit stores:

- ``province`` (default; the first two digits of the zones' county code): everything the product
  computes is decided within a province — parcel figures, flags and stages (per parcel), enterprise
  grades (benchmarks per county, ``[grading] group_by``), zone scores and ranks (entropy weights and
  ranks over the province's zones), pilot-area and whole-province rows;
- ``county`` partitions a province further only for the parcel and enterprise levels; zone scores and
  ranks then cover the county's zones only, so it is not offered for a province's official run.

National figures combine the partitions' exact partial sums (Σ revenue, Σ tax, Σ developed land of the
zone results per year; per-mu figures are ratios of those sums, never means of ratios).

Each worker reads only its partition (``Store.read_inputs_snapshot(zones=...)``, filtered in SQL on
both backends): its zones' rows; the buildings, rights and leases of its parcels; the firms those
link (holders, right holders, lessees) with their yearly and period figures; the firms linked to no
land whose USCC registers them in the partition's province; its pilot areas' yearly figures. A firm
whose land lies in two partitions is evaluated by each on its own land there (the single-process
run of the whole store spreads its figures over all its land).

The client holds the list of zones and the sums, never a partition's rows. Install with
``pip install 'landuse[cluster]'`` (``dask[distributed]``); workers need the product installed and
the store reachable (``--db``: a PostGIS URL for a real cluster; a GeoPackage path works on one
machine, where the file's write lock serialises the partitions' writes).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy

SUM_COLUMNS = ("revenue_wan", "tax_wan", "developed_mu")


def parse_scheduler(spec: str) -> tuple[str, Any]:
    """``local:N`` → ("local", N); ``tcp://host:port`` → ("tcp", the address)."""
    spec = (spec or "").strip()
    if spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise LanduseError(t(f"--scheduler {spec}: local: 后应为工作进程数，如 local:4",
                                 f"--scheduler {spec}: local: takes a number of workers, e.g. local:4"))
        return "local", n
    if spec.startswith(("tcp://", "tls://")):
        return "tcp", spec
    raise LanduseError(t(f"--scheduler {spec}: 应为 local:N 或 tcp://主机:端口",
                         f"--scheduler {spec}: expected local:N or tcp://HOST:PORT"))


def partitions(store, by: str = "province") -> dict[str, list[str]]:
    """Partition key → sorted zone codes (zones without a county code go by their own code)."""
    z = store.read("zones", columns=["zone_code", "county_code"], geometry=False)
    county = z["county_code"].astype(object).where(z["county_code"].notna(), None)
    fallback = z["zone_code"].astype(str).str.extract(r"(\d{6})", expand=False)
    code = county.fillna(fallback).fillna(z["zone_code"]).astype(str)
    key = code.str[:2] if by == "province" else code.str[:6]
    out: dict[str, list[str]] = {}
    for k, zc in sorted(zip(key, z["zone_code"], strict=True)):
        out.setdefault(k, []).append(zc)
    return out


def run_partition(db: str, zones: list[str], years: list[int], policy_json: str) -> dict[str, Any]:
    """On a worker: evaluate ``zones`` (read from and written to the store at ``db``); returns the
    partition's partial sums, its size, time and the worker's peak memory."""
    from landuse.core.policy import policy_from_json
    from landuse.services.evaluate import evaluate
    from parcels.store import open_store

    t0 = time.perf_counter()
    store = open_store(db)
    try:
        out = evaluate(store, years=years, policy=policy_from_json(policy_json), zones=zones)
    finally:
        store.close()
    sums: dict[int, dict[str, float]] = {}
    n_parcels = 0
    for y, res in out.items():
        zr = res.layers["zone_results"]
        sums[int(y)] = {c: float(pd.to_numeric(zr[c], errors="coerce").sum()) for c in SUM_COLUMNS if c in zr.columns}
        n_parcels = max(n_parcels, len(res.layers["parcel_results"]))
    return {"zones": len(zones), "parcels": n_parcels, "seconds": time.perf_counter() - t0,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "sums": sums}


def combine(parts: list[dict[str, Any]]) -> dict[int, dict[str, float]]:
    """The national (all partitions') figures per year from the partial sums."""
    tot: dict[int, dict[str, float]] = {}
    for p in parts:
        for y, s in p["sums"].items():
            acc = tot.setdefault(int(y), dict.fromkeys(SUM_COLUMNS, 0.0))
            for c, v in s.items():
                acc[c] += v
    for acc in tot.values():
        mu = acc.get("developed_mu", 0.0)
        acc["revenue_per_mu"] = acc["revenue_wan"] / mu if mu > 0 else float("nan")
        acc["tax_per_mu"] = acc["tax_wan"] / mu if mu > 0 else float("nan")
    return tot


def evaluate_distributed(db: str, *, years: list[int], policy: Policy, scheduler: str, by: str = "province",
                         progress: Callable[[str], None] | None = None,
                         zones: list[str] | None = None) -> dict[str, Any]:
    """Evaluate every partition on the cluster; returns per-partition figures and the combined sums.
    ``zones``: only these zones, each partition cut down to them (benchmarks: a given number of parcels)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise LanduseError(t("分布式评价需要 dask.distributed：pip install 'landuse[cluster]'",
                             "the distributed evaluation needs dask.distributed: pip install 'landuse[cluster]'")) from exc
    from parcels.store import open_store

    say = progress or (lambda _m: None)
    kind, arg = parse_scheduler(scheduler)
    store = open_store(db)
    try:
        store.put_policy(policy.model_dump_json(), policy_hash=policy.hash, version=policy.version)
        parts = partitions(store, by=by)
    finally:
        store.close()
    if zones is not None:
        keep = set(zones)
        parts = {k: [z for z in v if z in keep] for k, v in parts.items()}
        parts = {k: v for k, v in parts.items() if v}
    cluster = LocalCluster(n_workers=arg, threads_per_worker=1, processes=True, dashboard_address=None) \
        if kind == "local" else None
    client = Client(cluster if cluster is not None else arg)
    t0 = time.perf_counter()
    try:
        say(t(f"{len(parts)} 个分区，{len(client.scheduler_info()['workers'])} 个工作进程",
              f"{len(parts)} partitions on {len(client.scheduler_info()['workers'])} workers"))
        body = policy.model_dump_json()
        futures = {client.submit(run_partition, db, zones, sorted(years), body, key=f"evaluate-{name}", pure=False): name
                   for name, zones in parts.items()}
        done: dict[str, dict[str, Any]] = {}
        for fut in as_completed(futures):
            name = futures[fut]
            r = fut.result()
            r["worker"] = next(iter(client.who_has(fut).get(fut.key, ())), None)
            done[name] = r
            say(t(f"分区 {name}：{r['zones']} 个开发区、{r['parcels']} 宗地，{r['seconds']:.1f} 秒",
                  f"partition {name}: {r['zones']} zones, {r['parcels']} parcels, {r['seconds']:.1f} s"))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return {"partitions": done, "totals": combine(list(done.values())), "seconds": time.perf_counter() - t0}
