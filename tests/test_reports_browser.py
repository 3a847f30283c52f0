"""The report page in headless Chromium: no console errors, no request leaves the page, Chinese
text and charts render (screenshots in docs/screenshots/report_*.png), print layout is A4."""

from __future__ import annotations

from pathlib import Path

import pytest

from landuse.core.policy import default_policy
from landuse.reports import collect_report_data, render_html

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from tests.browser import chromium, open_page
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
YEAR = 2025


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from tests.pkgkit import evaluated_sample

    return evaluated_sample(tmp_path_factory.mktemp("reports-browser"), name="rp.gpkg",
                            years=range(2020, YEAR + 1))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1200, "height": 900}) as ctx:
        yield ctx


def _open(browser, html: str, path: Path):
    path.write_text(html, encoding="utf-8")
    return open_page(browser, path.as_uri())


def _check_page(page, errors, requests, *, zh: bool):
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []
    # every chart rendered with a size, and its text is laid out (a font was found)
    sizes = page.evaluate("Array.from(document.querySelectorAll('svg.chart')).map(s => "
                          "[s.getBoundingClientRect().width, s.getBoundingClientRect().height])")
    assert len(sizes) == 5 and all(w > 150 and h > 80 for w, h in sizes)
    text_w = page.evaluate("Math.max(...Array.from(document.querySelectorAll('svg.chart text'))"
                           ".map(t => t.getComputedTextLength()))")
    assert text_w > 20
    body = page.inner_text("body")
    if zh:
        assert "开发区亩均效益评价报告" in body and "标准厂房入驻率" in body and "模型测算，非正式发布规则" in body
        # the CJK font is used for the page text
        fam = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "WenQuanYi Micro Hei" in fam
    else:
        assert "Development-zone land-efficiency evaluation report" in body


def test_report_renders_in_chromium_zh(browser, store, tmp_path):
    p = default_policy()
    lenient = p.model_copy(update={"quota": p.quota.model_copy(update={"max_absorption_years": 40.0})})
    data = collect_report_data(store, year=YEAR, policy=lenient, total_quota_mu=3000)
    page, errors, requests = _open(browser, render_html(data), tmp_path / "report.html")
    try:
        _check_page(page, errors, requests, zh=True)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "report_zh.png"), full_page=True)
        page.locator("#scores").screenshot(path=str(SHOTS / "report_scores.png"))
        page.locator("#growth .figure").first.screenshot(path=str(SHOTS / "report_trajectory.png"))
        # print: A4 pages; sections flow on (no forced break leaving a section's tail alone on a page),
        # headings stay with what follows, figures at most half a page high
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('#growth')).breakBefore") == "auto"
        assert page.evaluate("getComputedStyle(document.querySelector('#growth h2')).breakAfter") == "avoid"
        pdf = page.pdf(format="A4", print_background=False)
        assert pdf[:4] == b"%PDF" and pdf.count(b"/Type /Page") >= 8
        (tmp_path / "report.pdf").write_bytes(pdf)
    finally:
        page.close()


def test_report_renders_in_chromium_en_pilot_area(browser, store, tmp_path):
    zones = store.read("zones")
    pa = zones.groupby("pilot_area_code")["zone_code"].count().idxmax()
    data = collect_report_data(store, year=YEAR, policy=default_policy(), pilot_area=pa)
    page, errors, requests = _open(browser, render_html(data, lang="en"), tmp_path / "report_en.html")
    try:
        _check_page(page, errors, requests, zh=False)
        page.screenshot(path=str(SHOTS / "report_en_pilot_area.png"), full_page=True)
    finally:
        page.close()


def test_pdf_report_has_no_half_empty_page(store, tmp_path):
    """The printed report (Chromium, A4): every page but the last is at least half full (the ink of
    each page, rendered by pdftoppm, reaches past its middle); a few pages are looked at in
    docs/screenshots/report_pdf_page*.png."""
    import re
    import subprocess

    import numpy as np
    from PIL import Image

    from landuse.reports import write_report

    pdf = write_report(store, year=YEAR, out=tmp_path / "report.pdf", policy=default_policy(), lang="zh")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    assert "(A4)" in info, info
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "p")], check=True)
    fill = []
    for png in sorted(tmp_path.glob("p-*.png")):
        a = np.asarray(Image.open(png).convert("L"))
        ink = np.flatnonzero((a < 245).any(axis=1))
        fill.append(ink.max() / a.shape[0] if len(ink) else 0.0)
    assert len(fill) == pages
    half_empty = [i + 1 for i, f in enumerate(fill[:-1]) if f < 0.5]
    assert not half_empty, f"pages {half_empty} of {pages} are less than half full: {[round(f, 2) for f in fill]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "3", str(pdf), str(SHOTS / "report_pdf_page")],
                   check=True)
