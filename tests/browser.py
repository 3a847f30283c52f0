"""Debian's headless Chromium for the browser tests (Playwright drives it; no downloaded browser)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium(profile_dir: Path | str, **context_options):
    """A persistent Chromium context with a fresh profile folder; fails (never skips) without it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium is required at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile_dir), executable_path=CHROMIUM, args=ARGS,
                                                   headless=True, **context_options)
        try:
            yield ctx
        finally:
            ctx.close()


def open_page(ctx, url: str, *, wait_for: str | None = None):
    """Open ``url`` in a new page recording console errors and every request; waits for the load
    event, or for the JS condition ``wait_for``. Returns (page, errors, requests)."""
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    if wait_for:
        page.wait_for_function(wait_for, timeout=20_000)
    else:
        page.wait_for_load_state("load")
    return page, errors, requests
