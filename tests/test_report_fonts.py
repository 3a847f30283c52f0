"""The report's charts find the CJK font even when matplotlib's font cache was built before the font
was installed, and never flood the console with "Glyph missing" warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import sys, warnings
warnings.simplefilter("always")
from pathlib import Path
from landuse.core.policy import default_policy
from landuse.services.evaluate import evaluate
from landuse.reports import write_report
from parcels.importer import import_package
from parcels.store import open_store
from tests import pkgkit
root = Path(sys.argv[1])
store = open_store(str(root / "w.gpkg"), init=True)
import_package(pkgkit.write_package(root / "pkg"), store)
evaluate(store, years=[2024, 2025], policy=default_policy())
out = write_report(store, year=2025, out=root / "report.html", policy=default_policy(), lang="zh")
from landuse.reports import charts
print("FONT", getattr(charts, "cjk_font", lambda: None)())
"""


def _stale_cache(cfg: Path) -> None:
    """A matplotlib font cache that does not know the CJK font (built before it was installed)."""
    env = {**os.environ, "MPLCONFIGDIR": str(cfg)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    cache = next(cfg.glob("fontlist-v*.json"))
    data = json.loads(cache.read_text())
    data["ttflist"] = [f for f in data["ttflist"] if not any(k in f["fname"].lower() for k in ("wqy", "cjk", "han"))]
    cache.write_text(json.dumps(data))


def test_report_charts_use_the_cjk_font_without_glyph_warnings(tmp_path):
    if not list(Path("/usr/share/fonts").rglob("wqy-microhei*")):
        pytest.fail("fonts-wqy-microhei is required (scripts/setup installs it)")
    cfg = tmp_path / "mpl"
    cfg.mkdir()
    _stale_cache(cfg)
    env = {**os.environ, "MPLCONFIGDIR": str(cfg), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True,
                       cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout + r.stderr
    assert "Glyph" not in out, out[-2000:]
    assert out.count("findfont") == 0, out[-2000:]
    assert "FONT WenQuanYi Micro Hei" in r.stdout
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "WenQuanYi Micro Hei" in html
