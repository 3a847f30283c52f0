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
