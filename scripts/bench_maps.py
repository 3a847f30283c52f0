"""Benchmark: our canvas map page vs GeoDataFrame.explore() on the same province-like parcels.

    python scripts/bench_maps.py [--n 100000] [--package DIR] [--out /tmp/bench_maps]

For each page: build time (Python), page size (MB), and time until drawn in headless Chromium.
- ours: navigation start → ``window.__mapDrawn === true`` (set by the canvas layers after their
  first draw of the initial view, i.e. all data decoded and drawn).
- explore(): navigation start → load event and then every Leaflet GeoJSON layer present on the
  map (folium adds them synchronously in the page script; the SVG paths are in the DOM at load),
  plus two animation frames so the browser has painted.
explore() pages link CDN assets that cannot load here (no internet). For a fair timing the Leaflet
CDN URLs are served from our vendored copy (Playwright request routing) and the other CDN requests
(jQuery, Bootstrap, Font Awesome, awesome-markers: not needed to draw) are aborted at once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def frames(n: int, package: str | None):
    if package:
        try:
            from parcels.sample import read_sample  # type: ignore[attr-defined]
            return read_sample(package)
        except ImportError:
            print("parcels.sample not available: synthesising parcels instead", file=sys.stderr)
    from maps.demo import demo_frames
    return demo_frames(n, max(1, n // 1000), seed=42, zone_cols=12)


def time_page(ctx, path: Path, kind: str, timeout_ms: int = 600_000) -> float:
    from maps import assets
    page = ctx.new_page()
    leaflet_js, leaflet_css = assets.leaflet_js(), assets._inline_css("vendor/leaflet/leaflet.css")

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            return r.continue_()
        if "leaflet" in url and url.endswith("leaflet.js"):
            return r.fulfill(body=leaflet_js, content_type="application/javascript")
        if "leaflet" in url and url.endswith("leaflet.css"):
            return r.fulfill(body=leaflet_css, content_type="text/css")
        return r.abort()

    page.route("**/*", route)
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=timeout_ms)
    if kind == "ours":
        page.wait_for_function("window.__mapDrawn === true", timeout=timeout_ms, polling=10)
    else:
        page.wait_for_function(
            "() => Object.keys(window).some(k => k.startsWith('geo_json_') && window[k] && window[k]._map)",
            timeout=timeout_ms)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    t = time.perf_counter() - t0
    nav = page.evaluate("performance.now()") / 1000
    extra = page.evaluate("[window.__decodeMs || null, window.__drawMs || null]")
    page.close()
    return t, nav, extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--package", default=None, help="a data package folder (uses parcels.sample if present)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--skip-explore", action="store_true")
    a = ap.parse_args()
    out = Path(a.out or tempfile.mkdtemp(prefix="bench_maps_"))
    out.mkdir(parents=True, exist_ok=True)

    from landuse.core.policy import default_policy
    from maps.builder import build_map

    t = time.perf_counter()
    parcels, zones, flags, buildings = frames(a.n, a.package)
    print(f"{len(parcels):,} parcels, {len(zones)} zones, {len(flags):,} flags "
          f"(synthesised in {time.perf_counter() - t:.1f} s)")

    results = {}
    t = time.perf_counter()
    html = build_map(parcels=parcels, zones=zones, flags=flags, buildings=buildings, policy=default_policy(),
                     title="全省开发区宗地亩均效益总览", detail="overview")
    build = time.perf_counter() - t
    p = out / "ours.html"
    p.write_text(html, encoding="utf-8")
    results["ours"] = [build, p.stat().st_size / 1e6]

    if not a.skip_explore:
        t = time.perf_counter()
        cols = ["parcel_code", "zone_code", "holder_name", "area_mu", "stage", "revenue_per_mu", "tax_per_mu",
                "far", "building_coverage", "grade", "flags", "geometry"]
        m = parcels[cols].explore(column="revenue_per_mu", scheme="NaturalBreaks", k=5, tiles=None)
        ehtml = m.get_root().render()
        build = time.perf_counter() - t
        p = out / "explore.html"
        p.write_text(ehtml, encoding="utf-8")
        results["explore"] = [build, p.stat().st_size / 1e6]

    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as prof:
        ctx = pw.chromium.launch_persistent_context(prof, executable_path="/usr/bin/chromium", args=ARGS,
                                                    headless=True, viewport={"width": 1280, "height": 800})
        warm = ctx.new_page()  # start the renderer process before timing
        warm.goto("about:blank")
        warm.close()
        for kind in results:
            drawn, _, extra = time_page(ctx, out / f"{kind}.html", kind)
            results[kind].append(drawn)
            if kind == "ours":
                print(f"  ours: in-page decode {extra[0]:.0f} ms, decode+first draw {extra[1]:.0f} ms")
        ctx.close()

    print(f"\n{'page':10s} {'build s':>9s} {'size MB':>9s} {'drawn s':>9s}")
    for kind, (b, s, d) in results.items():
        print(f"{kind:10s} {b:9.2f} {s:9.2f} {d:9.2f}")
    if "explore" in results:
        o, e = results["ours"], results["explore"]
        print(f"\nratios explore/ours: build {e[0] / o[0]:.1f}×, size {e[1] / o[1]:.1f}×, drawn {e[2] / o[2]:.1f}×")
    print(f"pages in {out}")


if __name__ == "__main__":
    main()
