"""A bounded load test of the web service on loopback against PostGIS or a GeoPackage.

    python scripts/loadtest.py --db postgresql://... --prepare      # province sample → import → evaluate
    python scripts/loadtest.py --db postgresql://... --duration 60 --clients 16 --workers 2
    python scripts/loadtest.py --db site.gpkg --prepare --stored-tiles --zooms 13,14,15   # stored tiles

What it does: (optionally) generates the ``province`` sample, imports it and evaluates one year;
creates a throw-away evaluator account; starts ``uvicorn`` with N workers on 127.0.0.1 (free
port); logs in; then 16 concurrent clients (httpx async) request for ``--duration`` seconds a mix
of vector tiles at zoom 14–16 (tile coordinates taken from parcel locations, so tiles are not
empty) and dashboard API calls (``/api/zones/{code}/dashboard`` and ``/api/dashboard``). Prints
requests per second, median and 95th-percentile latency and errors per kind. Nothing runs longer
than the duration plus start-up; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    lr = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lr)) / math.pi) / 2.0 * n)
    return x, y


def pick_tiles(db: str, n_points: int = 3000, seed: int = 7, zooms: tuple[int, ...] = (14, 15, 16)
               ) -> list[tuple[int, int, int]]:
    """Tiles at ``zooms`` under parcels (a seeded sample of parcels, either backend)."""
    from parcels.store import open_store

    s = open_store(db)
    p = s.read("parcels", columns=["parcel_code"])
    s.close()
    p = p.sample(min(n_points, len(p)), random_state=seed)
    pts = p.geometry.representative_point()
    tiles = {(z, *tile_xy(lon, lat, z)) for lon, lat in zip(pts.x, pts.y) for z in zooms}
    out = sorted(tiles)
    random.Random(seed).shuffle(out)
    return out


def prepare(db: str, pkg: Path, year: int, stored_tiles: bool = False) -> None:
    from parcels.importer import import_package
    from parcels.sample import write_sample
    from parcels.store import open_store

    t0 = time.time()
    if not (pkg / "parcels.shp").exists() and not any(pkg.glob("parcels.*")):
        print(f"generating the province sample in {pkg} …", flush=True)
        write_sample(pkg, scale="province", seed=1)
    store = open_store(db, init=True)
    if store.counts().get("parcels", 0) == 0:
        print("importing …", flush=True)
        import_package(pkg, store)
    print(f"evaluating {year} …", flush=True)
    from landuse.services.evaluate import evaluate
    from landuse.core.policy import default_policy

    evaluate(store, years=[year], policy=default_policy())
    if stored_tiles:
        from landuse.services.tiles import build_tiles

        t1 = time.time()
        print(f"building stored tiles: {build_tiles(store, year)} in {time.time() - t1:.0f} s", flush=True)
    store.close()
    print(f"prepared in {time.time() - t0:.0f} s", flush=True)


def ensure_user(db: str) -> tuple[str, str]:
    from landuse.services import accounts as auth
    from parcels.store import open_store

    store = open_store(db, init=True)
    name, pw = "loadtest_eval", "Lt-" + secrets.token_urlsafe(16)
    if auth.get_user(store, name):
        auth.set_password(store, name, pw, actor="loadtest")
    else:
        auth.add_user(store, name, role="evaluator", password=pw, actor="loadtest")
    store.close()
    return name, pw


def start_server(db: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, LANDUSE_DATABASE_URL=db)
    cmd = [sys.executable, "-m", "uvicorn", "landuse.web.app:app_factory", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-server-header", "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT))


async def run(base: str, user: str, pw: str, year: int, tiles, zones, duration: float, clients: int,
              tile_share: float) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=10.0, follow_redirects=False) as login_client:
        r = await login_client.get("/login")
        tok = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
        r = await login_client.post("/login", data={"username": user, "password": pw, "csrf": tok, "next": "/map"})
        assert r.status_code == 303, r.status_code
        cookie = login_client.cookies.get("landuse_session")
    stats: dict[str, list[float]] = {"tile": [], "dashboard": []}
    errors: dict[str, int] = {"tile": 0, "dashboard": 0}
    err_samples: list[str] = []
    tile_bytes = [0]
    stop = time.perf_counter() + duration
    rng = random.Random(1)

    async def worker(i: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=10.0, cookies={"landuse_session": cookie},
                                     limits=limits) as c:
            k = i
            while time.perf_counter() < stop:
                k += 1
                if rng.random() < tile_share:
                    kind = "tile"
                    z, x, y = tiles[k % len(tiles)]
                    url = f"/tiles/{z}/{x}/{y}.pbf?year={year}"
                else:
                    kind = "dashboard"
                    url = (f"/api/zones/{zones[k % len(zones)]}/dashboard?year={year}" if k % 4 else
                           f"/api/dashboard?year={year}")
                t = time.perf_counter()
                try:
                    resp = await c.get(url)
                    ok = resp.status_code == 200
                    if kind == "tile":
                        tile_bytes[0] += len(resp.content)
                    if not ok and len(err_samples) < 5:
                        err_samples.append(f"{resp.status_code} {url}")
                except Exception as exc:  # noqa: BLE001
                    ok = False
                    if len(err_samples) < 5:
                        err_samples.append(f"{type(exc).__name__} {url}")
                dt = time.perf_counter() - t
                stats[kind].append(dt)
                if not ok:
                    errors[kind] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i * 7919) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    out = {"duration_s": round(elapsed, 1), "clients": clients, "kinds": {}, "errors": errors, "error_samples": err_samples}
    allv = []
    for kind, v in stats.items():
        allv += v
        if v:
            q = statistics.quantiles(v, n=100) if len(v) > 1 else v * 99
            out["kinds"][kind] = {"requests": len(v), "rps": round(len(v) / elapsed, 1),
                                  "median_ms": round(statistics.median(v) * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
                                  "max_ms": round(max(v) * 1000, 1)}
    q = statistics.quantiles(allv, n=100)
    out["total"] = {"requests": len(allv), "rps": round(len(allv) / elapsed, 1),
                    "median_ms": round(statistics.median(allv) * 1000, 1), "p95_ms": round(q[94] * 1000, 1)}
    out["tile_mean_bytes"] = round(tile_bytes[0] / max(len(stats["tile"]), 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="PostGIS URL or GeoPackage path")
    ap.add_argument("--stored-tiles", action="store_true", help="with --prepare: build the stored tiles too")
    ap.add_argument("--zooms", default="14,15,16", help="tile zooms requested (the map asks z11–15 of stored tiles)")
    ap.add_argument("--prepare", action="store_true", help="generate/import the province sample and evaluate --year")
    ap.add_argument("--pkg", default="/tmp/landuse-province-pkg", help="where the province sample is (or goes)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tile-share", type=float, default=0.8, help="share of requests that are tiles")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if a.prepare:
        prepare(a.db, Path(a.pkg), a.year, stored_tiles=a.stored_tiles)
    user, pw = ensure_user(a.db)
    zooms = tuple(int(z) for z in a.zooms.split(","))
    tiles = pick_tiles(a.db, zooms=zooms)
    from parcels.store import open_store

    s = open_store(a.db)
    zones = sorted(s.read("zones", columns=["zone_code"], geometry=False)["zone_code"])
    stored = s.tile_years()
    s.close()
    print(f"{len(tiles)} distinct tiles at z{zooms}, {len(zones)} zones; stored tiles for {stored or 'no year'}",
          flush=True)
    port = free_port()
    proc = start_server(a.db, port, a.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(120):
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("server did not start")
        print(f"uvicorn ({a.workers} workers) on {base}; {a.clients} clients for {a.duration:.0f} s …", flush=True)
        res = asyncio.run(run(base, user, pw, a.year, tiles, zones, a.duration, a.clients, a.tile_share))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    for kind, k in res["kinds"].items():
        print(f"{kind:10s} {k['requests']:7d} req  {k['rps']:7.1f} req/s  median {k['median_ms']:6.1f} ms  "
              f"p95 {k['p95_ms']:6.1f} ms  max {k['max_ms']:7.1f} ms  errors {res['errors'][kind]}")
    t = res["total"]
    print(f"{'total':10s} {t['requests']:7d} req  {t['rps']:7.1f} req/s  median {t['median_ms']:6.1f} ms  p95 {t['p95_ms']:6.1f} ms")
    print(f"mean tile size {res['tile_mean_bytes']} bytes; error samples: {res['error_samples'] or 'none'}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
