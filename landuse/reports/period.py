"""The in-year bulletin and the half-year report (``landuse report --period 2025H1``): the period's
figures per pilot area (with the province row) and per zone, beside the same period of last year and
of the baseline year, each row marked provisional. Excel (formats, frozen headers, an "about" sheet),
self-contained HTML, or PDF (the HTML printed by headless Chromium)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import jinja2
import pandas as pd

from evaluation.periods import PeriodResults
from landuse.core.contract import province_mask
from landuse.core.labels import HALF_YEAR_TITLE, PERIOD_NOTE, PERIOD_TITLE, pick
from landuse.core.labels import t as _t
from landuse.reports import charts
from landuse.reports.data import ReportError, name_provinces

__all__ = ["write_period_report", "render_period_html", "period_title"]

PILOT_COLS = ["pilot_area_code", "pilot_area_name", "developed_mu", "revenue_wan", "revenue_per_mu", "tax_per_mu",
              "revenue_coverage", "prev_revenue_per_mu", "yoy_change", "baseline_revenue_per_mu", "growth",
              "target_growth", "on_track", "provisional"]
ZONE_COLS = ["zone_code", "zone_name", "pilot_area_code", *PILOT_COLS[2:]]

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
 body { font-family: {{ font_stack|safe }}; color: #111; margin: 0 auto; max-width: 1100px; padding: 24px 28px; font-size: 14px; }
 h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; border-bottom: 2px solid #111; margin: 26px 0 10px; }
 .meta { color: #555; font-size: 13px; }
 .provisional { border: 2px solid #111; padding: 6px 10px; margin: 10px 0; font-weight: bold; }
 .warn { border-left: 4px solid #111; padding: 4px 8px; background: #f2f2f2; font-size: 13px; margin: 6px 0; }
 table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 12px; }
 th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; }
 th { background: #e8e8e8; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
 td.na { text-align: center; color: #555; } td.no { text-align: center; font-weight: bold; text-decoration: underline; }
 td.yes { text-align: center; } tr.total td { font-weight: bold; } td.text { white-space: nowrap; }
 @page { size: A4 landscape; margin: 12mm; } thead { display: table-header-group; } tr { break-inside: avoid; }
</style></head><body>
<h1>{{ title }}</h1>
<div class="meta">{{ meta }}</div>
<div class="provisional" id="provisional">{{ note }}</div>
{% for w in warnings %}<div class="warn">{{ w }}</div>{% endfor %}
{% for sec in sections %}
<h2>{{ sec.title }}</h2>
<table><thead><tr>{% for h in sec.table.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row, total in sec.rows %}<tr{% if total %} class="total"{% endif %}>{% for text, cls, wide in row %}<td class="{{ cls }}">{{ text }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
</body></html>
"""


def period_title(res: PeriodResults, lang: str) -> str:
    p = res.period
    if p.part == "H1":
        return f"{p.year} 年" + pick(HALF_YEAR_TITLE, "zh") if lang == "zh" else f"{p.year} " + pick(HALF_YEAR_TITLE, "en")
    return f"{pick(PERIOD_TITLE, lang)} · {p.code}"


def _frames(res: PeriodResults, lang: str) -> list[tuple[str, pd.DataFrame, list[str], str | None]]:
    pa = name_provinces(res.pilot_areas, lang)
    prov = province_mask(pa["pilot_area_code"])
    pa = pd.concat([pa[~prov], pa[prov].assign(pilot_area_code="")], ignore_index=True)
    zones = res.zones.sort_values(["pilot_area_code", "zone_code"]).reset_index(drop=True)
    return [(_t("一、试验区（含全省）", "1. Pilot areas (and the province)", lang), pa, PILOT_COLS, "pilot_area_results"),
            (_t("二、开发区", "2. Development zones", lang), zones, ZONE_COLS, "zone_results")]


def _meta(res: PeriodResults, lang: str) -> str:
    f = res.found
    return _t(f"期间 {res.period.code}（1 月 1 日至 {res.period.end:%Y-%m-%d} 累计）；上年同期 {f.get('previous') or '无数据'}；"
              f"基期同期 {f.get('baseline') or '无数据'}；生成于 {_dt.date.today():%Y-%m-%d}",
              f"period {res.period.code} (cumulative 1 January to {res.period.end:%Y-%m-%d}); same period last year "
              f"{f.get('previous') or 'no data'}; baseline's same period {f.get('baseline') or 'no data'}; "
              f"made {_dt.date.today():%Y-%m-%d}", lang)


def render_period_html(res: PeriodResults, *, lang: str = "zh") -> str:
    from landuse.reports.html import _table

    sections = []
    for title, df, cols, layer in _frames(res, lang):
        tab = _table(df, cols, layer=layer, lang=lang)
        total = [bool(c == "") for c in df[cols[0]]]
        sections.append({"title": title, "table": tab, "rows": list(zip(tab["rows"], total, strict=True))})
    env = jinja2.Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(
        lang=lang, title=period_title(res, lang), meta=_meta(res, lang), note=pick(PERIOD_NOTE, lang),
        warnings=res.warnings, sections=sections, font_stack=charts.CSS_FONT_STACK)


def _write_excel(res: PeriodResults, out: Path, *, lang: str, policy) -> Path:
    from landuse.reports.excel import _Book

    book = _Book(out, lang, policy)
    for i, (title, df, cols, layer) in enumerate(_frames(res, lang)):
        sheet = [_t("试验区", "pilot areas", lang), _t("开发区", "zones", lang)][i]
        ws = book.table(sheet, df[cols], title=f"{period_title(res, lang)} · {title}", layer=layer, freeze_cols=2,
                        note=pick(PERIOD_NOTE, lang))
        for k, w in enumerate(res.warnings):
            ws.write_string(len(df) + 3 + k, 0, w, book.f_note)
    book.close()
    return out


def write_period_report(res: PeriodResults, out: Path, *, policy, lang: str = "zh") -> Path:
    """Write the period's figures to ``out`` (.xlsx, .html or .pdf); returns the path."""
    out = Path(out)
    ext = out.suffix.lower()
    if ext not in (".xlsx", ".html", ".htm", ".pdf"):
        raise ReportError(f"{out}: 报告格式须为 .xlsx/.html/.pdf / the report must be .xlsx, .html or .pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".xlsx":
        return _write_excel(res, out, lang=lang, policy=policy)
    html = render_period_html(res, lang=lang)
    if ext in (".html", ".htm"):
        out.write_text(html, encoding="utf-8")
        return out
    from landuse.reports.html import html_to_pdf

    return html_to_pdf(html, out)
