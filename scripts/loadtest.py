"""A bounded load test of the web service on loopback against PostGIS or a GeoPackage.

    python scripts/loadtest.py --db postgresql://... --prepare      # province sample → import → evaluate
    python scripts/loadtest.py --db postgresql://... --duration 60 --clients 16 --workers 2
    python scripts/loadtest.py --db site.gpkg --prepare --stored-tiles --zooms 13,14,15   # stored tiles

What it does: (optionally) generates the ``province`` sample, imports it and evaluates one year;
creates a throw-away evaluator account; starts ``uvicorn`` with N workers on 127.0.0.1 (free
port); logs in; then 16 concurrent clients request for ``--duration`` seconds a mix of vector
tiles at zoom 13–15 (``--zooms``; tile coordinates taken from parcel locations, so tiles are not
empty) and dashboard API calls (``/api/zones/{code}/dashboard`` and ``/api/dashboard``). Prints
requests per second, median and 95th-percentile latency and errors per kind, and where the CPU
went: the load generator's own CPU seconds, the server workers', and the rest of the machine's
busy time (the database, other jobs): the server and the generator share the machine's cores, so
a heavy generator inflates every latency.

The clients (``--client raw``, the default) are plain HTTP/1.1 keep-alive connections on asyncio
streams, one per client: each request is a full HTTP request with the session cookie, and each
answer is read whole (``Content-Length`` or chunked) and checked: status 200, the tile content
type for tiles, a JSON object with the expected key for dashboards. Measured on this machine they
cost ~0.1–0.2 ms of CPU per request against ~1.1–1.3 ms for httpx's ``AsyncClient``, which under 16
clients took more of the two cores than the server workers did (docs/benchmarks.md).
``--client httpx`` keeps that client for comparison.
Nothing runs longer than the duration plus start-up; the server is stopped at the end.
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


class RawClient:
    """One HTTP/1.1 keep-alive connection on asyncio streams (reconnects when the server closes)."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nCookie: landuse_session={cookie}\r\nAccept: */*\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def get(self, url: str) -> tuple[int, dict[bytes, bytes], bytes]:
        """(status, headers with lower-case names, body) of ``GET url``."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"GET " + url.encode() + b" HTTP/1.1\r\n" + self.head)
        rd = self.reader
        line = await rd.readline()
        if not line:
            await self.close()
            raise ConnectionError("connection closed by the server")
        status = int(line[9:12])
        headers: dict[bytes, bytes] = {}
        while True:
            h = await rd.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            body = await rd.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                n = int((await rd.readline()).split(b";")[0], 16)
                if n == 0:
                    await rd.readline()
                    break
                parts.append(await rd.readexactly(n))
                await rd.readline()
            body = b"".join(parts)
        else:
            body = await rd.read()
            await self.close()
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, headers, body


TILE_TYPE = b"application/vnd.mapbox-vector-tile"


def check(kind: str, url: str, status: int, ctype: bytes, body: bytes) -> str | None:
    """None when the answer is a correct one, else what is wrong."""
    if status != 200:
        return f"{status} {url}"
    if kind == "tile":
        return None if ctype.startswith(TILE_TYPE) else f"content-type {ctype!r} {url}"
    try:
        obj = json.loads(body)
    except ValueError:
        return f"not JSON {url}"
    want = "zones" if url.startswith("/api/dashboard") else "zone_code"
    return None if isinstance(obj, dict) and want in obj else f"no {want} in the answer {url}"


def login(base: str, user: str, pw: str) -> str:
    import httpx

    with httpx.Client(base_url=base, timeout=10.0, follow_redirects=False) as c:
        r = c.get("/login")
        tok = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
        r = c.post("/login", data={"username": user, "password": pw, "csrf": tok, "next": "/map"})
        assert r.status_code == 303, r.status_code
        return c.cookies.get("landuse_session")


async def run(base: str, cookie: str, year: int, tiles, zones, duration: float, clients: int,
              tile_share: float, client: str = "raw") -> dict:
    stats: dict[str, list[float]] = {"tile": [], "dashboard": []}
    errors: dict[str, int] = {"tile": 0, "dashboard": 0}
    err_samples: list[str] = []
    tile_bytes = [0]
    stop = time.perf_counter() + duration
    rng = random.Random(1)
    host, port = base.removeprefix("http://").split(":")

    def url_of(k: int) -> tuple[str, str]:
        if rng.random() < tile_share:
            z, x, y = tiles[k % len(tiles)]
            return "tile", f"/tiles/{z}/{x}/{y}.pbf?year={year}"
        return "dashboard", (f"/api/zones/{zones[k % len(zones)]}/dashboard?year={year}" if k % 4 else
                             f"/api/dashboard?year={year}")

    def record(kind: str, url: str, dt: float, problem: str | None, size: int) -> None:
        stats[kind].append(dt)
        if kind == "tile":
            tile_bytes[0] += size
        if problem is not None:
            errors[kind] += 1
            if len(err_samples) < 5:
                err_samples.append(problem)

    async def drive(i: int, get, failures: tuple[type[BaseException], ...], after_failure) -> None:
        """One client's loop: ``get(url)`` → (status, content type, body) until the time is up."""
        k = i
        while time.perf_counter() < stop:
            k += 1
            kind, url = url_of(k)
            t = time.perf_counter()
            size, problem = 0, None
            try:
                status, ctype, body = await get(url)
                size = len(body)
                problem = check(kind, url, status, ctype, body)
            except failures as exc:
                problem = f"{type(exc).__name__} {url}"
                await after_failure()
            record(kind, url, time.perf_counter() - t, problem, size)

    async def raw_worker(i: int) -> None:
        c = RawClient(host, int(port), cookie)

        async def get(url: str) -> tuple[int, bytes, bytes]:
            async with asyncio.timeout(10.0):
                status, headers, body = await c.get(url)
            return status, headers.get(b"content-type", b""), body

        try:
            await drive(i, get, (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError), c.close)
        finally:
            await c.close()

    async def httpx_worker(i: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=10.0, cookies={"landuse_session": cookie},
                                     limits=limits) as c:

            async def get(url: str) -> tuple[int, bytes, bytes]:
                resp = await c.get(url)
                return resp.status_code, resp.headers.get("content-type", "").encode(), resp.content

            async def nothing() -> None:
                return None

            await drive(i, get, (Exception,), nothing)

    worker = raw_worker if client == "raw" else httpx_worker
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i * 7919) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    out = {"duration_s": round(elapsed, 1), "clients": clients, "client": client, "kinds": {}, "errors": errors,
           "error_samples": err_samples}
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


# ------------------------------------------------------------------------------------------------
# where the CPU went (Linux /proc)
# ------------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid``; 0 when it is gone."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _machine_busy() -> tuple[float, float]:
    """(busy CPU seconds, total CPU seconds) of the whole machine since boot (/proc/stat)."""
    try:
        v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v) - idle) / TICK, sum(v) / TICK


class CpuMeter:
    """CPU seconds of this process (the load generator), of the server's process tree and of the machine."""

    def __init__(self, server_pid: int) -> None:
        self.server = [server_pid, *_children(server_pid)]
        self.t0 = self._now()

    def _now(self) -> tuple[float, float, float, float, float]:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_busy()
        return time.perf_counter(), r.ru_utime + r.ru_stime, sum(_proc_cpu(p) for p in self.server), busy, total

    def report(self) -> dict:
        w1, c1, s1, b1, t1 = self._now()
        w0, c0, s0, b0, t0 = self.t0
        wall = w1 - w0
        machine = b1 - b0
        return {"wall_s": round(wall, 1), "client_cpu_s": round(c1 - c0, 1), "server_cpu_s": round(s1 - s0, 1),
                "machine_busy_s": round(machine, 1), "machine_cpu_s": round(t1 - t0, 1),
                "other_cpu_s": round(machine - (c1 - c0) - (s1 - s0), 1),
                "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="PostGIS URL or GeoPackage path")
    ap.add_argument("--stored-tiles", action="store_true", help="with --prepare: build the stored tiles too")
    ap.add_argument("--zooms", default="13,14,15", help="tile zooms requested (the map asks z11–15 of stored tiles; deeper ones are magnified from z15)")
    ap.add_argument("--prepare", action="store_true", help="generate/import the province sample and evaluate --year")
    ap.add_argument("--pkg", default="/tmp/landuse-province-pkg", help="where the province sample is (or goes)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tile-share", type=float, default=0.8, help="share of requests that are tiles")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="raw: HTTP/1.1 keep-alive on asyncio streams (light); httpx: httpx.AsyncClient")
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
        cookie = login(base, user, pw)
        meter = CpuMeter(proc.pid)
        res = asyncio.run(run(base, cookie, a.year, tiles, zones, a.duration, a.clients, a.tile_share, a.client))
        res["cpu"] = meter.report()
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
    c = res["cpu"]
    print(f"CPU seconds over {c['wall_s']} s: load generator ({res['client']}) {c['client_cpu_s']}, server workers "
          f"{c['server_cpu_s']}, everything else (database, other jobs) {c['other_cpu_s']}; machine busy "
          f"{c['machine_busy_s']} of {c['machine_cpu_s']}; load average {c['load_average']}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
