"""Evaluator reports: Excel and HTML (the evaluators' report per zone and pilot area).

- :func:`collect_report_data` reads the stored results (``landuse evaluate`` first);
- :func:`write_excel` / :func:`render_html` format them;
- :func:`write_report` does both steps, the format following the extension (.xlsx, .html, .pdf —
  the PDF is the HTML printed by headless Chromium).
"""

from __future__ import annotations

from pathlib import Path

from landuse.reports.data import ReportData, ReportError, collect_report_data

__all__ = [
    "ReportData",
    "ReportError",
    "collect_report_data",
    "render_html",
    "write_excel",
    "write_report",
]


def write_excel(data: ReportData, out: Path, *, lang: str = "zh") -> Path:
    from landuse.reports.excel import write_excel as _w

    return _w(data, out, lang=lang)


def render_html(data: ReportData, *, lang: str = "zh") -> str:
    from landuse.reports.html import render_html as _r

    return _r(data, lang=lang)


def write_report(store, *, year: int, out: Path, policy, pilot_area: str | None = None, lang: str = "zh",
                 total_quota_mu: int | None = None) -> Path:
    """Write the evaluator's report of ``year`` to ``out`` (.xlsx, .html or .pdf); returns the path."""
    out = Path(out)
    ext = out.suffix.lower()
    if ext not in (".xlsx", ".html", ".htm", ".pdf"):
        raise ReportError(f"{out}: 报告格式须为 .xlsx/.html/.pdf / the report must be .xlsx, .html or .pdf")
    data = collect_report_data(store, year=year, policy=policy, pilot_area=pilot_area, total_quota_mu=total_quota_mu)
    out.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".xlsx":
        return write_excel(data, out, lang=lang)
    html = render_html(data, lang=lang)
    if ext in (".html", ".htm"):
        out.write_text(html, encoding="utf-8")
        return out
    from landuse.reports.html import html_to_pdf

    return html_to_pdf(html, out)
