"""The evaluator's report as one self-contained HTML page (inline CSS, inline SVG charts, no URL).

Printable: A4, each section on a new page, table rows never split, header rows repeated on every
page, charts in greys with hatches and dashed lines (readable in black and white).
"""

from __future__ import annotations

import datetime as _dt
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from landuse.reports import charts
from landuse.core.labels import stage_label
from landuse.core.contract import is_province
from landuse.core.labels import t as _t
from landuse.reports.data import (
    BLOCKED_LABELS,
    PERCENT_COLUMNS,
    ZONE_TYPE_LABELS,
    ReportData,
    ReportError,
    component_label,
    label,
    name_provinces,
)

TEMPLATES = Path(__file__).parent / "templates"

TITLES = {
    "title": ("开发区亩均效益评价报告", "Development-zone land-efficiency evaluation report"),
    "summary": ("一、摘要", "1. Summary"),
    "growth": ("二、亩均营业收入 +15% 检查", "2. Per-mu revenue: the +15 % check"),
    "occupancy": ("三、标准厂房入驻率", "3. Standard-factory occupancy"),
    "scores": ("四、综合得分与构成", "4. Composite score and its parts"),
    "survey": ("四之二、土地集约利用评价（TD/T 1029，集约利用调查）", "4b. Land intensive use (TD/T 1029, on the survey)"),
    "quota": ("五、新增建设用地指标测算", "5. New construction-land quota"),
    "targets": ("六、低效闲置用地整治清单（前 50 宗）", "6. Inefficient and idle land: top 50 targets"),
    "ledger": ("六之二、低效用地处置进展", "6b. Redevelopment of inefficient land: progress"),
    "grades": ("七、企业亩均效益评级分布", "7. Enterprise grades"),
    "definitions": ("附：口径说明", "Appendix: definitions"),
}

INT_COLS = {"baseline_year", "rank", "rank_change", "intensive_rank", "quota_mu", "sf_buildings", "tenants",
            "last_rank_streak", "priority", "max_severity", "flag_count", "targets_met", "targets_total", "year",
            "own_mu", "linkage_mu", "rank_expert", "rank_entropy", "targets", "entries", "overdue",
            "parcels_completed"}
LEDGER_COLS = ["zone_code", "targets", "entries", "mu_in_disposal", "mu_disposed", "overdue", "parcels_completed",
               "revenue_per_mu_before", "revenue_per_mu_after", "mu_back_to_work"]
STATUS_COLS = {"goal_met", "on_track", "occupancy_met", "eligible"}



def _fmt(c: str, v, lang: str) -> tuple[str, str]:
    """(text, css class) of one cell."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return "—", "na"
    if isinstance(v, (bool, np.bool_)):
        if c in STATUS_COLS:
            return (_t("是", "yes", lang), "yes") if v else (_t("否", "no", lang), "no")
        return (_t("是", "yes", lang) if v else _t("否", "no", lang)), ""
    if isinstance(v, (int, np.integer)):
        return (f"{int(v):+d}" if c == "rank_change" and v else f"{int(v):d}"), "num"
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isinf(x):
            return "∞", "num"
        if c in PERCENT_COLUMNS or c[:2] in ("c_", "n_"):
            return f"{x:+.1%}" if c in ("growth", "yoy_change", "like_for_like_growth", "revenue_growth_part",
                                        "area_growth_part", "linkage_adj") else f"{x:.1%}", "num"
        if c in INT_COLS:
            return (f"{x:+.0f}" if c == "rank_change" and x else f"{x:.0f}"), "num"
        return (f"{x:,.1f}" if abs(x) >= 100 else f"{x:,.2f}"), "num"
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return pd.Timestamp(v).strftime("%Y-%m-%d"), ""
    return str(v), "text"


def _table(df: pd.DataFrame, cols: list[str], *, layer: str | None, lang: str, policy=None,
           headers: dict[str, str] | None = None, wide: tuple[str, ...] = ()) -> dict:
    cols = [c for c in cols if c in df.columns]
    heads = [(headers or {}).get(c) or label(c, layer, lang, policy) for c in cols]
    rows = []
    for rec in df[cols].itertuples(index=False):
        rows.append([(*_fmt(c, v, lang), c in wide) for c, v in zip(cols, rec, strict=True)])
    return {"headers": heads, "rows": rows, "wide": [c in wide for c in cols]}


def render_html(data: ReportData, *, lang: str = "zh") -> str:
    """The report page as a string (see the module docstring)."""
    if lang not in ("zh", "en"):
        raise ReportError(f"lang must be 'zh' or 'en', not {lang!r}")
    i = 0 if lang == "zh" else 1
    t = lambda zh, en: _t(zh, en, lang)
    p = data.policy
    g = p.growth
    s = data.summary
    names = data.zone_names
    scope = (t(f"试验区 {data.pilot_area} {data.pilot_area_name or ''}", f"pilot area {data.pilot_area} {data.pilot_area_name or ''}")
             if data.pilot_area else t("全省", "province"))

    pa = name_provinces(data.pilot_areas, lang)
    pa_names = dict(zip(pa["pilot_area_code"], pa["pilot_area_name"].fillna(""), strict=False))
    growth_cols = ["developed_mu", "baseline_revenue_per_mu", "revenue_per_mu", "growth", "goal_met", "provisional",
                   "revenue_coverage", "baseline_revenue_coverage", "expected_revenue_per_mu", "on_track",
                   "like_for_like_growth", "revenue_growth_part", "area_growth_part", "reported_revenue_per_mu"]
    tables = {
        "growth_pilot": _table(pa, ["pilot_area_code", "pilot_area_name", *growth_cols], layer="pilot_area_results", lang=lang),
        "growth_zones": _table(data.zones, ["zone_code", "zone_name", "pilot_area_code", *growth_cols],
                               layer="zone_results", lang=lang),
        "occupancy": _table(data.zones, ["zone_code", "zone_name", "sf_buildings", "sf_floor_area_m2", "sf_leased_m2",
                                         "occupancy_rate", "occupancy_rate_count", "occupancy_met"],
                            layer="zone_results", lang=lang),
    }
    if data.bridges is not None and len(data.bridges):
        from landuse.core.labels import LEVEL_LABELS

        br = data.bridges.copy()
        br["level"] = br["level"].map(lambda v: LEVEL_LABELS.get(v, (v, v))[i])
        tables["bridge"] = _table(br, ["level", "code", "name", "v0", "v1", "change", "firms_both", "firms_left",
                                       "firms_arrived", "new_land", "land_taken", "reported_land", "gap_per_mu",
                                       "revenue_needed_wan"], layer=None, lang=lang)
        tables["bridge_years"] = (int(br["baseline_year"].iloc[0]), int(br["year"].iloc[0]))
    comps = [c for c in data.score_weights.index if data.score_weights[c] > 0]
    sp = data.score_parts.sort_values(["rank", "zone_code"])
    iu = data.zones.copy()
    iu["zone_type"] = iu["zone_type"].map(lambda v: ZONE_TYPE_LABELS.get(v, (v, v))[i] if isinstance(v, str) else v)
    sp = sp.merge(iu[["zone_code", "zone_type", "intensive_score", "intensive_rank"]], on="zone_code", how="left")
    tables["scores"] = _table(sp, ["rank", "zone_code", "zone_name", "stored_score", "rank_change",
                                   *[f"w_{c}" for c in comps], "zone_type", "intensive_score", "intensive_rank",
                                   *[c for c in ("rank_expert", "rank_entropy", "rank_provisional", "score_missing")
                                     if c in sp.columns]],
                              layer="zone_results", lang=lang, policy=p,
                              headers={c: label(c, None, lang) for c in ("rank_expert", "rank_entropy", "rank_provisional",
                                                                         "score_missing")})
    weights = [(component_label(p, c, lang), f"{w:.1%}") for c, w in data.score_weights.items()]
    pilot_scores = None
    if data.pilot_score_parts is not None and len(data.pilot_score_parts):
        pw = data.pilot_score_weights
        pcomps = [c for c in pw.index if pw[c] > 0]
        pilot_scores = _table(data.pilot_score_parts.sort_values(["rank", "pilot_area_code"]),
                              ["rank", "pilot_area_code", "pilot_area_name", "stored_score", "rank_change",
                               *[f"w_{c}" for c in pcomps], "targets_met", "targets_total"],
                              layer="pilot_area_results", lang=lang, policy=p)
    quota = None
    if data.quota is not None:
        q = data.quota.copy()
        if "blocked_reason" in q.columns:
            q["blocked_reason"] = q["blocked_reason"].map(
                lambda v: "；".join(BLOCKED_LABELS.get(x, (x, x))[i] for x in v.split(";")) if isinstance(v, str) else v)
        quota = _table(q, ["zone_code", "zone_name", "score", "base_mu", "approved_unsupplied_mu", "annual_absorption_mu",
                           "absorption_years", "last_rank_streak", "factor_clipped", "own_mu", "linkage_mu", "quota_mu",
                           "quota_explanation"],
                       layer="zone_results", lang=lang, wide=("quota_explanation",),
                       headers={c: label(c, None, lang) for c in ("score", "base_mu", "annual_absorption_mu", "own_mu",
                                                                 "linkage_mu")})
    tg = data.targets.head(50).copy()
    tg["stage"] = tg["stage"].map(lambda v: stage_label(v, lang) if isinstance(v, str) else v)
    tables["targets"] = _table(tg, ["priority", "parcel_code", "zone_code", "holder_name", "stage", "area_mu",
                                    "revenue_per_mu", "reasons", "actions", "gain_mu", "gain_wan"],
                               layer="parcel_results", lang=lang, wide=("reasons", "actions"),
                               headers={c: label(c, None, lang) for c in ("priority", "gain_mu", "gain_wan")})
    if len(data.ledger):
        tables["ledger"] = _table(data.ledger, LEDGER_COLS, layer=None, lang=lang,
                                  headers={c: label(c, None, lang) for c in LEDGER_COLS})
    e = data.enterprises
    gcount = e[e["grade"].notna()].groupby(["zone_code", "grade"]).size().unstack(fill_value=0)
    gcount = gcount.reindex(columns=["A", "B", "C", "D"], fill_value=0)
    ungraded = e[e["grade"].isna()].groupby("zone_code").size()
    gcount[t("未评级", "not graded")] = ungraded.reindex(gcount.index).fillna(0).astype(int)
    gcount = gcount.reset_index()
    gcount.insert(1, "zone_name", gcount["zone_code"].map(names))
    grade_table = {"headers": [label("zone_code", "zone_results", lang), label("zone_name", "zone_results", lang),
                               *[f"{k} 类" if lang == "zh" else f"grade {k}" for k in "ABCD"], t("未评级", "not graded")],
                   "rows": [[(*_fmt("n", v, lang), False) if not isinstance(v, str) else (v, "text", False) for v in r]
                            for r in gcount.itertuples(index=False)]}

    pr_hist = data.pilot_areas_history
    svgs = {
        "traj_pilot": charts.trajectories(pr_hist, key="pilot_area_code", name_col="pilot_area_name", policy=p,
                                          year=data.year, lang=lang, names=pa_names),
        "traj_zones": charts.trajectories(data.zones_history, key="zone_code", name_col="zone_name", policy=p,
                                          year=data.year, lang=lang, names=names),
        "occupancy": charts.occupancy(data.zones, target=p.occupancy.target, lang=lang, names=names),
        "scores": charts.score_breakdown(data.score_parts, data.score_weights, policy=p, lang=lang),
        "grades": charts.grades(data.enterprises, lang=lang, names=names),
    }
    path_word = t("等比增长" if g.path == "constant" else "等差增长", "constant growth" if g.path == "constant" else "straight line")
    pct_pa = lambda a, b: f"{a} / {b}"
    cards = [
        (t(f"亩均营业收入增长≥{g.target_growth:.0%}的开发区", f"zones at ≥ +{g.target_growth:.0%}"),
         pct_pa(s["zones_growth_met"], s["zones_growth_assessed"])),
        (t("达标试验区", "pilot areas at target"), pct_pa(s["pilot_areas_growth_met"], s["pilot_areas_growth_assessed"])),
        (t(f"入驻率≥{p.occupancy.target:.0%}的开发区", f"zones with occupancy ≥ {p.occupancy.target:.0%}"),
         pct_pa(s["zones_occupancy_met"], s["zones_occupancy_assessed"])),
        (t("低效闲置问题宗地", "flagged parcels"), f"{s['flagged_parcels']}（{s['flagged_mu']:,.0f} {t('亩', 'mu')}）"
         if lang == "zh" else f"{s['flagged_parcels']} ({s['flagged_mu']:,.0f} mu)"),
        (t("参评企业 A/B/C/D", "graded firms A/B/C/D"), " / ".join(str(v) for v in s["grades"].values())),
        (t("实际开发工业用地", "developed industrial land"), f"{s['developed_mu']:,.0f} {t('亩', 'mu')}"),
    ]
    lines = []
    for _, r in pa.iterrows():
        v, b, gr = r.get("revenue_per_mu"), r.get("baseline_revenue_per_mu"), r.get("growth")
        nm = f"{r['pilot_area_name']}" if is_province(r["pilot_area_code"]) else f"{r['pilot_area_code']} {r['pilot_area_name'] or ''}"
        if pd.isna(v) or pd.isna(b) or pd.isna(gr):
            lines.append((nm, t("数据不足，无法判断", "not enough data"), None))
            continue
        cov, bcov = r.get("revenue_coverage"), r.get("baseline_revenue_coverage")
        cov_txt = t(f"；数据覆盖率 {cov:.0%}（基期 {bcov:.0%}）", f"; coverage {cov:.0%} (baseline {bcov:.0%})") \
            if not (pd.isna(cov) or pd.isna(bcov)) else ""
        provisional = bool(r.get("provisional")) if not pd.isna(r.get("provisional")) else False
        met = None if provisional else (bool(r.get("goal_met")) if not pd.isna(r.get("goal_met")) else False)
        text = t(f"亩均营业收入 {v:,.1f} 万元/亩，{g.baseline_year} 年 {b:,.1f}，增长 {gr:+.1%}{cov_txt}",
                 f"revenue per mu {v:,.1f} (baseline {b:,.1f}), growth {gr:+.1%}{cov_txt}")
        if provisional:
            text += t("，暂定：数据不全，不判定达标与否", ", provisional: too little data to meet or miss the target")
        lines.append((nm, text, met))

    survey_tables = _survey_tables(data, lang)

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    tpl = env.get_template("report.html.j2")
    return tpl.render(
        lang=lang, T={k: v[i] for k, v in TITLES.items()}, t=t, data=data, scope=scope.strip(), policy=p, g=g,
        tables=tables, pilot_scores=pilot_scores, weights=weights, quota=quota, grade_table=grade_table,
        svgs=svgs, cards=cards, lines=lines, path_word=path_word, font_stack=charts.CSS_FONT_STACK,
        survey_tables=survey_tables,
        n_targets=len(data.targets), generated=_dt.date.today().isoformat(),
        weight_method=(t("专家权重", "expert weights") if p.score.weight_method == "expert"
                       else t(f"熵权法（{p.score.entropy_normalisation} 标准化）",
                              f"entropy weights ({p.score.entropy_normalisation})")),
    )


#: the TD/T 1029 table per zone type: the columns shown (产城融合型 on 综合地均税收 and 人口密度)
SURVEY_COLS_COMMON = ["zone_code", "zone_name", "range", "development_rate", "supply_rate", "built_rate"]
SURVEY_COLS_BY_TYPE = {
    "工业主导型": ["industrial_share", "far", "building_density", "industrial_far", "industrial_coverage",
              "investment_intensity_wan_per_ha", "industrial_tax_wan_per_ha"],
    "产城融合型": ["far", "building_density", "composite_tax_wan_per_ha", "population_density_per_ha"],
    "其他": ["industrial_share", "far", "building_density", "industrial_far", "industrial_coverage",
           "investment_intensity_wan_per_ha", "industrial_tax_wan_per_ha"],
}
SURVEY_COLS_END = ["idle_rate", "range_weight", "score", "rank", "note"]


def survey_table_frames(data: ReportData, lang: str) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """(zone type label, rows, columns) per zone type of the TD/T 1029 table (shared with Excel)."""
    from landuse.core.labels import SURVEY_ZONE_TYPE_LABELS, range_label

    sv = data.survey
    if sv is None or len(sv) == 0:
        return []
    i = 0 if lang == "zh" else 1
    out = []
    for zt in ("工业主导型", "产城融合型", "其他"):
        rows = sv[sv["zone_type"] == zt].copy()
        if rows.empty:
            continue
        rows["range"] = rows["range"].map(lambda r: range_label(r, lang))
        cols = SURVEY_COLS_COMMON + SURVEY_COLS_BY_TYPE[zt] + SURVEY_COLS_END
        n = rows["zone_code"].nunique()
        out.append((f"{SURVEY_ZONE_TYPE_LABELS[zt][i]}（{n}）" if lang == "zh" else f"{SURVEY_ZONE_TYPE_LABELS[zt][i]} ({n})",
                    rows, cols))
    untyped = sv[sv["zone_type"].isna()]
    if len(untyped):
        rows = untyped.copy()
        rows["range"] = rows["range"].map(lambda r: range_label(r, lang))
        out.append((_t("类型未定", "type unknown", lang), rows, SURVEY_COLS_COMMON + SURVEY_COLS_END))
    return out


def _survey_tables(data: ReportData, lang: str) -> dict:
    parts = [(title, _table(rows, cols, layer="zone_survey_results", lang=lang, wide=("note",)))
             for title, rows, cols in survey_table_frames(data, lang)]
    z = data.zones
    basis = z["intensive_basis"] if "intensive_basis" in z.columns else pd.Series(None, index=z.index)
    without = [f"{c} {n or ''}".strip() for c, n, b in zip(z["zone_code"], z["zone_name"], basis, strict=True)
               if not (isinstance(b, str) and b.startswith("survey:"))]
    years = sorted({int(b.split(":")[1]) for b in basis if isinstance(b, str) and b.startswith("survey:")})
    return {"parts": parts, "without": without, "years": years}


def html_to_pdf(html: str, out: Path, *, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print the page to PDF with headless Chromium (``--print-to-pdf``); returns ``out``."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    if not Path(exe).exists() and not shutil.which(exe):
        raise ReportError("PDF 输出需要 Chromium / PDF output needs Chromium (/usr/bin/chromium)")
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp}/profile",
               "--no-pdf-header-footer", f"--print-to-pdf={out}", src.as_uri()]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if not out.exists():
            raise ReportError(f"Chromium 未生成 PDF / Chromium wrote no PDF: {res.stderr[-500:]}")
    return out
