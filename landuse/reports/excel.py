"""The evaluator's report as an Excel workbook (xlsxwriter).

Every sheet: a title in row 1, headers (Chinese, with units, from ``landuse/core/contract.py``) in
row 2, data from row 3; rows 1–2 and the code/name columns are frozen; an autofilter on the
header row. Numbers are stored as numbers (fractions formatted as %), yes/no as 是/否.
"""

from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from parcels.export import XLSX_OPTIONS, number_format, print_setup

from landuse.core.labels import t as _t
from landuse.reports.data import (
    BLOCKED_LABELS,
    PERCENT_COLUMNS,
    ZONE_TYPE_LABELS,
    ReportData,
    component_label,
    label,
    name_provinces,
)

SHEETS = {
    "summary": ("摘要", "Summary"),
    "growth_zones": ("亩均增长_开发区", "Growth - zones"),
    "growth_pilot": ("亩均增长_试验区", "Growth - pilot areas"),
    "occupancy": ("入驻率_开发区", "Occupancy - zones"),
    "buildings": ("入驻率_空置厂房", "Occupancy - vacant buildings"),
    "targets": ("低效用地整治清单", "Target list"),
    "grades": ("企业亩均评级", "Enterprise grades"),
    "intensive": ("土地集约利用", "Intensive use"),
    "survey": ("集约利用评价_调查", "Intensive use - survey"),
    "scores": ("综合得分_开发区", "Scores - zones"),
    "scores_pilot": ("综合得分_试验区", "Scores - pilot areas"),
    "quota": ("用地指标测算", "Land quota"),
    "bridge": ("变化分析", "Why areas moved"),
    "ledger": ("低效用地处置进展", "Redevelopment progress"),
}

GROWTH_COLS = ["developed_mu", "revenue_wan", "baseline_year", "baseline_revenue_per_mu", "revenue_per_mu", "growth",
               "target_growth", "goal_met", "provisional", "revenue_coverage", "baseline_revenue_coverage",
               "expected_revenue_per_mu", "on_track", "like_for_like_growth", "revenue_growth_part", "area_growth_part",
               "reported_revenue_per_mu", "revenue_other_land_wan"]
OCC_COLS = ["sf_buildings", "sf_floor_area_m2", "sf_leased_m2", "occupancy_rate", "occupancy_rate_count",
            "occupancy_target", "occupancy_met"]
BUILDING_COLS = ["building_code", "parcel_code", "zone_code", "as_of", "accepted", "excluded_reason", "floor_area_m2",
                 "leased_m2", "vacant_m2", "occupancy_rate", "tenants"]
TARGET_COLS = ["priority", "parcel_code", "zone_code", "holder_name", "holder_uscc", "stage", "stage_label", "area_mu",
               "revenue_per_mu",
               "tax_per_mu", "far", "building_coverage", "reasons", "rules", "max_severity", "flag_count", "evidence",
               "actions", "gain_mu", "gain_wan", "priority_key"]
GRADE_COLS = ["uscc", "name", "zone_code", "industry_code", "above_scale", "grade_group", "land_mu", "revenue_per_mu",
              "tax_per_mu", "value_added_per_mu", "score", "grade", "grade_note"]
INTENSIVE_COLS = ["intensive_basis", "zone_type", "development_rate", "supply_rate", "built_rate", "industrial_share", "far_overall",
                  "coverage_overall", "far_industrial", "coverage_industrial", "investment_intensity",
                  "tax_per_industrial_mu", "idle_rate", "intensive_score", "intensive_rank"]
QUOTA_COLS = ["zone_code", "zone_name", "pilot_area_code", "zone_type", "score", "base_kind", "base_mu", "base_share",
              "factor", "factor_clipped", "absorption_scope", "approved_unsupplied_mu", "annual_absorption_mu",
              "absorption_years", "last_rank_streak", "eligible", "blocked_reason", "raw_mu", "own_mu",
              "idle_disposal_done", "unsupplied_disposal_done", "linkage_adj", "linkage_mu", "quota_mu",
              "quota_explanation"]
#: the score sheet: expert and entropy scorings side by side, and what each unit lacked
SCORE_SIDE_COLS = ["score_expert", "rank_expert", "score_entropy", "rank_entropy", "rank_provisional", "score_missing",
                   "score_not_applicable"]



def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


class _Book:
    def __init__(self, path: Path, lang: str, policy):
        self.wb = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
        self.lang = lang
        self.policy = policy
        wb = self.wb
        self.f_title = wb.add_format({"bold": True, "font_size": 13})
        self.f_head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.f_text = wb.add_format({"valign": "top"})
        self.f_wrap = wb.add_format({"valign": "top", "text_wrap": True})
        self.f_pct = wb.add_format({"num_format": "0.0%", "valign": "top"})
        self.f_num = wb.add_format({"num_format": "#,##0.00", "valign": "top"})
        self.f_num1 = wb.add_format({"num_format": "#,##0.0", "valign": "top"})
        self.f_int = wb.add_format({"num_format": "0", "valign": "top"})
        self.f_date = wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
        self.f_note = wb.add_format({"italic": True, "font_color": "#7F3F00", "text_wrap": True, "valign": "top"})
        self.explain: list[tuple[str, str, str]] = []

    def yesno(self, v) -> str:
        return _t("是", "yes", self.lang) if v else _t("否", "no", self.lang)

    def table(self, sheet: str, df: pd.DataFrame, *, title: str, layer: str | None = None, freeze_cols: int = 1,
              wrap: tuple[str, ...] = (), headers: dict[str, str] | None = None, note: str | None = None,
              int_cols: tuple[str, ...] = ()):
        """One sheet: title row, header row, data; returns the worksheet."""
        ws = self.wb.add_worksheet(sheet[:31])
        ws.write(0, 0, title + (f"    {note}" if note else ""), self.f_title)
        cols = list(df.columns)
        heads = [(headers or {}).get(c) or label(c, layer, self.lang, self.policy) for c in cols]
        widths = [min(max(_display_width(h) / 2 + 2, 8), 24) for h in heads]
        ws.set_row(1, 45)
        for j, h in enumerate(heads):
            ws.write_string(1, j, h, self.f_head)
        for i, row in enumerate(df.itertuples(index=False), start=2):
            for j, (c, v) in enumerate(zip(cols, row, strict=True)):
                w = self._cell(ws, i, j, c, v, wrap=c in wrap, is_int=c in int_cols)
                widths[j] = max(widths[j], min(w, 60 if c in wrap else 40))
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(2, min(freeze_cols, len(cols)))
        if cols:
            ws.autofilter(1, 0, 1 + max(len(df), 1), len(cols) - 1)
        print_setup(ws, title)
        ws.repeat_rows(0, 1)  # the title and header rows on every page
        self.explain += [(sheet[:31], str(c), h) for c, h in zip(cols, heads, strict=True)]
        return ws

    def _cell(self, ws, i, j, c, v, *, wrap=False, is_int=False) -> float:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            return 0
        if isinstance(v, (bool, np.bool_)):
            s = self.yesno(bool(v))
            ws.write_string(i, j, s, self.f_text)
            return _display_width(s) + 1
        if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)):
            ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), self.f_date)
            return 11
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            ws.write_number(i, j, int(v), self.f_int)
            return len(str(v)) + 2
        if isinstance(v, (float, np.floating)):
            x = float(v)
            if math.isinf(x):
                ws.write_string(i, j, "∞", self.f_text)
                return 3
            if c in PERCENT_COLUMNS or c[:2] in ("c_", "n_"):
                ws.write_number(i, j, x, self.f_pct)
                return 8
            if is_int or c.endswith("year") or c in ("intensive_rank", "rank", "rank_change", "quota_mu", "own_mu",
                                                     "linkage_mu", "rank_expert", "rank_entropy", "sf_buildings",
                                                     "tenants", "last_rank_streak", "priority", "max_severity",
                                                     "flag_count", "targets_met", "targets_total"):
                ws.write_number(i, j, x, self.f_int)
                return len(f"{x:.0f}") + 2
            ws.write_number(i, j, x, self.f_num1 if abs(x) >= 1000 else self.f_num)
            return len(f"{x:,.2f}") + 2
        s = str(v)
        ws.write_string(i, j, s, self.f_wrap if wrap else self.f_text)
        return _display_width(s) + 1

    def close(self):
        """Adds the sheet that explains every column and names the policy, then closes."""
        t = lambda zh, en: _t(zh, en, self.lang)  # noqa: E731
        ws = self.wb.add_worksheet(t("说明", "about"))
        for j, h in enumerate((t("工作表", "sheet"), t("列名(代码)", "column (code)"), t("表头", "header"),
                               t("数字格式", "number format"))):
            ws.write_string(0, j, h, self.f_head)
        for i, (sheet, c, h) in enumerate(self.explain, start=1):
            ws.write_string(i, 0, sheet, self.f_text)
            ws.write_string(i, 1, c, self.f_text)
            ws.write_string(i, 2, h, self.f_text)
            ws.write_string(i, 3, "0.0%" if c in PERCENT_COLUMNS or c[:2] in ("c_", "n_") else number_format(c, h),
                            self.f_text)
        r = len(self.explain) + 2
        ws.write_string(r, 0, t("政策版本", "policy version"), self.f_head)
        ws.write_string(r, 1, f"{self.policy.version}（{self.policy.hash}）", self.f_text)
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 28)
        ws.set_column(2, 2, 40)
        ws.set_column(3, 3, 14)
        ws.freeze_panes(1, 0)
        print_setup(ws, t("说明", "about"))
        self.wb.close()


def _plainish(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.reindex(columns=cols).copy()
    for c in out.columns:
        if str(out[c].dtype) in ("Int64", "Float64"):
            out[c] = out[c].astype("float64")
        elif str(out[c].dtype) == "boolean":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _summary(book: _Book, data: ReportData, lang: str) -> None:
    s = data.summary
    p = data.policy
    ws = book.wb.add_worksheet(SHEETS["summary"][0 if lang == "zh" else 1])
    t = lambda zh, en: _t(zh, en, lang)
    scope = (t(f"试验区 {data.pilot_area} {data.pilot_area_name or ''}", f"pilot area {data.pilot_area} {data.pilot_area_name or ''}")
             if data.pilot_area else t("全省", "province"))
    ws.write(0, 0, t(f"开发区亩均效益评价报告 {data.year} 年（{scope}）",
                     f"Development-zone land-efficiency report {data.year} ({scope})"), book.f_title)
    heads = [t("项目", "item"), t("数值", "value"), t("总数", "of"), t("比例", "share")]
    for j, h in enumerate(heads):
        ws.write_string(1, j, h, book.f_head)
    g = p.growth
    rows: list[tuple] = [
        (t("评价年度", "year"), data.year, None),
        (t("范围", "scope"), scope.strip(), None),
        (t("政策版本", "policy version"), data.policy_version, None),
        (t("政策文件哈希", "policy hash"), data.policy_hash, None),
        (t("开发区数", "zones"), s["zones"], None),
        (t("试验区数", "pilot areas"), s["pilot_areas"], None),
        (t("宗地数", "parcels"), s["parcels"], None),
        (t("实际开发工业用地(亩)", "developed industrial land (mu)"), s["developed_mu"], None),
        (t(f"亩均营业收入较{g.baseline_year}年增长≥{g.target_growth:.0%}的开发区",
           f"zones with per-mu revenue ≥ +{g.target_growth:.0%} on {g.baseline_year}"),
         s["zones_growth_met"], s["zones_growth_assessed"]),
        (t("按进度(达到路径期望值)的开发区", "zones on track (at or above the path)"), s["zones_on_track"], s["zones_growth_assessed"]),
        (t("数据不全、暂不判定的开发区(覆盖率低于阈值)", "zones provisional (coverage below the threshold)"),
         s["zones_provisional"], None),
        (t(f"亩均营业收入增长≥{g.target_growth:.0%}的试验区", f"pilot areas ≥ +{g.target_growth:.0%}"),
         s["pilot_areas_growth_met"], s["pilot_areas_growth_assessed"]),
        (t("数据不全、暂不判定的试验区", "pilot areas provisional"), s["pilot_areas_provisional"], None),
        (t(f"标准厂房入驻率≥{p.occupancy.target:.0%}的开发区", f"zones with occupancy ≥ {p.occupancy.target:.0%}"),
         s["zones_occupancy_met"], s["zones_occupancy_assessed"]),
        (t(f"标准厂房入驻率≥{p.occupancy.target:.0%}的试验区", f"pilot areas with occupancy ≥ {p.occupancy.target:.0%}"),
         s["pilot_areas_occupancy_met"], s["pilot_areas_occupancy_assessed"]),
        (t("低效闲置问题宗地(宗)", "flagged parcels"), s["flagged_parcels"], s["parcels"]),
        (t("低效闲置问题宗地面积(亩)", "flagged land (mu)"), s["flagged_mu"], None),
        (t("企业数", "enterprises"), s["enterprises"], None),
        (t("参评企业数", "graded enterprises"), s["graded"], s["enterprises"]),
        *[(t(f"{k} 类企业", f"grade {k}"), v, s["graded"]) for k, v in s["grades"].items()],
        (t("已验收标准厂房(栋)", "accepted standard factories"), s["buildings_accepted"], None),
    ]
    r = 2
    for name, v, of in rows:
        ws.write_string(r, 0, name, book.f_text)
        book._cell(ws, r, 1, "value", v)
        if of is not None:
            ws.write_number(r, 2, of, book.f_int)
            if of:
                ws.write_number(r, 3, v / of, book.f_pct)  # a value, not a formula: workbooks hold no formulas
        r += 1
    r += 1
    ws.write_string(r, 0, t("用地指标说明", "land quota"), book.f_head)
    qtxt = {
        "stored": t("建议指标取自评价结果。", "The recommended quota is taken from the stored results."),
        "computed": t(f"按本报告政策测算，待分配新增建设用地指标 {data.total_quota_mu} 亩。",
                      f"Computed with this report's policy for a total of {data.total_quota_mu} mu."),
        None: t("未给出待分配指标总量（--total-mu），本报告不含用地指标测算。",
                "No total quota given (--total-mu): the quota sheet is omitted."),
    }[data.quota_source]
    ws.write_string(r, 1, f"{data.quota_note}。{qtxt}" if lang == "zh" else f"{data.quota_note}. {qtxt}", book.f_note)
    r += 1
    ws.write_string(r, 0, t("口径", "definitions"), book.f_head)
    ws.write_string(r, 1, t(
        f"亩均营业收入按实际开发工业用地面积计算（营业收入之和/实际开发面积之和），基期 {g.baseline_year} 年，目标 {g.target_year} 年"
        f"较基期提高 {g.target_growth:.0%}；路径期望值按{'等比' if g.path == 'constant' else '等差'}增长；同口径增长仅计两年均已开发的宗地；"
        "增长分解为对数分解：收入贡献 + 面积贡献 = ln(1+增长)。入驻率按已竣工验收标准厂房建筑面积计算。",
        f"Revenue per mu on developed industrial land (Σ revenue / Σ developed mu), baseline {g.baseline_year}, target "
        f"{g.target_year}: +{g.target_growth:.0%}; path: {g.path} growth; like-for-like: parcels developed in both years; "
        "decomposition: log-ratio, revenue part + area part = ln(1 + growth). Occupancy by floor area of accepted "
        "standard factories."), book.f_note)
    for n in data.notes:
        r += 1
        ws.write_string(r, 0, t("提示", "note"), book.f_head)
        ws.write_string(r, 1, n, book.f_note)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 3, 10)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, 1 + len(rows), 3)
    print_setup(ws, SHEETS["summary"][0 if lang == "zh" else 1])
    ws.repeat_rows(0, 1)


def write_excel(data: ReportData, out: Path, *, lang: str = "zh") -> Path:
    """The report workbook (see the module docstring); returns ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(out, lang, data.policy)
    t = lambda zh, en: _t(zh, en, lang)
    i = 0 if lang == "zh" else 1
    g = data.policy.growth
    _summary(book, data, lang)

    z = data.zones
    book.table(SHEETS["growth_zones"][i], _plainish(z, ["zone_code", "zone_name", "pilot_area_code", *GROWTH_COLS]),
               title=t(f"开发区亩均营业收入 +{g.target_growth:.0%} 检查（{g.baseline_year}→{data.year}，按实际开发面积）",
                       f"Zones: per-mu revenue +{g.target_growth:.0%} check ({g.baseline_year}→{data.year}, developed land)"),
               layer="zone_results", freeze_cols=2)
    pa = name_provinces(data.pilot_areas, lang)
    book.table(SHEETS["growth_pilot"][i], _plainish(pa, ["pilot_area_code", "pilot_area_name", *GROWTH_COLS]),
               title=t(f"试验区亩均营业收入 +{g.target_growth:.0%} 检查（试验区直接管理的开发区合计）",
                       f"Pilot areas: per-mu revenue +{g.target_growth:.0%} check (zones they manage)"),
               layer="pilot_area_results", freeze_cols=2)
    occ = z.assign(occupancy_target=data.policy.occupancy.target)
    book.table(SHEETS["occupancy"][i], _plainish(occ, ["zone_code", "zone_name", *OCC_COLS]),
               title=t(f"存量标准厂房入驻率（目标 ≥{data.policy.occupancy.target:.0%}）",
                       f"Standard-factory occupancy (target ≥ {data.policy.occupancy.target:.0%})"),
               layer="zone_results", freeze_cols=2)
    b = data.buildings
    if len(b):
        vac = pd.to_numeric(b["vacant_m2"], errors="coerce").fillna(0.0)
        b = b[(vac > 0) | ~b["accepted"].fillna(False).astype(bool)].assign(_v=vac).sort_values(
            ["_v", "building_code"], ascending=[False, True])
    book.table(SHEETS["buildings"][i], _plainish(b, BUILDING_COLS),
               title=t("有空置面积或未验收的标准厂房（按空置面积降序）", "Standard factories with vacant space or not accepted"),
               layer="building_results", freeze_cols=1)
    from landuse.core.labels import stage_label

    tg = data.targets.copy()
    if "stage" in tg.columns:  # the code stays in its code column; the words beside it
        tg["stage_label"] = tg["stage"].map(lambda v: stage_label(v, lang) if isinstance(v, str) and v else None)
    book.table(SHEETS["targets"][i], _plainish(tg, TARGET_COLS),
               title=t("低效闲置用地整治对象清单（按处置优先序）", "Inefficient / idle land: ranked target list"),
               layer="parcel_results", freeze_cols=2, wrap=("evidence", "actions", "reasons"),
               headers={**{c: label(c, None, lang) for c in ("priority", "gain_mu", "gain_wan", "max_severity", "flag_count",
                                                              "stage_label")},
                        "stage": label("stage_code", None, lang)})
    if len(data.ledger):
        from landuse.reports.html import LEDGER_COLS

        book.table(SHEETS["ledger"][i], _plainish(data.ledger, LEDGER_COLS),
                   title=t("低效用地处置进展（处置台账）", "Redevelopment of inefficient land: progress (the ledger)"),
                   freeze_cols=1, headers={c: label(c, None, lang) for c in LEDGER_COLS})
    e = data.enterprises.copy()
    if len(e):
        e["_g"] = e["grade"].fillna("Z")
        e = e.sort_values(["zone_code", "_g", "score"], ascending=[True, True, False], na_position="last")
    book.table(SHEETS["grades"][i], _plainish(e, GRADE_COLS),
               title=t("企业亩均效益综合评价（A/B/C/D）", "Enterprise per-mu grading (A/B/C/D)"),
               layer="enterprise_results", freeze_cols=2, wrap=("grade_note",))
    iu = z.copy()
    iu["zone_type"] = iu["zone_type"].map(lambda v: ZONE_TYPE_LABELS.get(v, (v, v))[i] if isinstance(v, str) else v)
    if "intensive_basis" in iu.columns:
        from landuse.core.labels import intensive_basis_label

        iu["intensive_basis"] = iu["intensive_basis"].map(lambda v: intensive_basis_label(v, lang) if isinstance(v, str) else v)
    book.table(SHEETS["intensive"][i], _plainish(iu, ["zone_code", "zone_name", *INTENSIVE_COLS]),
               title=t("开发区土地集约利用评价（TD/T 1029，理想值法）", "Land intensive-use evaluation (TD/T 1029)"),
               layer="zone_results", freeze_cols=2)
    if data.survey is not None and len(data.survey):
        from landuse.core.labels import SURVEY_ZONE_TYPE_LABELS, range_label

        sv = data.survey.copy()
        sv["range"] = sv["range"].map(lambda r: range_label(r, lang))
        sv["zone_type"] = sv["zone_type"].map(lambda v: SURVEY_ZONE_TYPE_LABELS.get(v, (v, v))[i] if isinstance(v, str) else v)
        sv = sv.sort_values(["zone_type", "zone_code"], kind="stable")
        cols = [c for c in sv.columns if c not in ("policy_version", "policy_hash")]
        book.table(SHEETS["survey"][i], _plainish(sv, cols),
                   title=t("开发区土地集约利用评价（TD/T 1029，按集约利用调查；主区、发展方向区、全区；类型按主区判定）",
                           "Land intensive use (TD/T 1029) on the survey: main area, development direction area, whole zone"),
                   layer="zone_survey_results", freeze_cols=3, wrap=("note", "zone_type_basis"),
                   int_cols=("survey_year", "patches", "rank"))
    _scores(book, data, lang, "scores", data.score_parts, data.score_weights, "zone_code", "zone_name")
    if data.pilot_score_parts is not None:
        _scores(book, data, lang, "scores_pilot", data.pilot_score_parts, data.pilot_score_weights,
                "pilot_area_code", "pilot_area_name")
    if data.quota is not None:
        q = data.quota.copy()
        if "blocked_reason" in q.columns:
            q["blocked_reason"] = q["blocked_reason"].map(
                lambda v: "；".join(BLOCKED_LABELS.get(x, (x, x))[i] for x in v.split(";")) if isinstance(v, str) else v)
        if "zone_type" in q.columns:
            q["zone_type"] = q["zone_type"].map(lambda v: ZONE_TYPE_LABELS.get(v, (v, v))[i] if isinstance(v, str) else v)
        cols = [c for c in QUOTA_COLS if c in q.columns]
        qdf = _plainish(q, cols)
        if data.quota_summary:
            qdf = pd.concat([qdf, pd.DataFrame([{cols[0]: t("合计", "total"),
                                                  **{c: pd.to_numeric(q[c], errors="coerce").sum()
                                                     for c in ("own_mu", "linkage_mu", "quota_mu") if c in cols},
                                                  "quota_explanation": data.quota_summary}])], ignore_index=True)
        book.table(SHEETS["quota"][i], qdf,
                   title=t(f"新增建设用地指标倾斜测算（{data.quota_note}）",
                           f"New construction-land quota tilt ({data.quota_note})"),
                   layer="zone_results", freeze_cols=2, wrap=("quota_explanation",),
                   headers={c: label(c, None, lang) for c in ("score", "zone_type", "base_mu", "base_kind", "own_mu",
                                                             "linkage_mu", "absorption_scope", "annual_absorption_mu",
                                                             "raw_mu")},
                   note=data.quota_summary.partition(" / ")[0 if lang == "zh" else 2] if data.quota_summary else None)
    if data.bridges is not None and len(data.bridges):
        from landuse.core.labels import LEVEL_LABELS

        br = data.bridges.copy()
        br["level"] = br["level"].map(lambda v: LEVEL_LABELS.get(v, (v, v))[i])
        cols = [c for c in br.columns if c not in ("baseline_year", "year")]
        by = int(br["baseline_year"].iloc[0])
        book.table(SHEETS["bridge"][i], _plainish(br, cols),
                   title=t(f"亩均营业收入变化分析（{by}→{data.year}）：各项之和等于变化；企业按宗地权利人计",
                           f"Why revenue per mu moved ({by}→{data.year}): the terms add up to the change; "
                           "a firm is the parcel's land-right holder"),
                   layer=None, freeze_cols=3)
    book.close()
    return out


def _scores(book: _Book, data: ReportData, lang: str, key: str, parts: pd.DataFrame, weights: pd.Series,
            code: str, name: str) -> None:
    i = 0 if lang == "zh" else 1
    comps = [c for c in weights.index if weights[c] > 0]
    side = [c for c in SCORE_SIDE_COLS if c in parts.columns]
    cols = [code, name, "stored_score", "rank", "rank_change", *[f"w_{c}" for c in comps], *[f"c_{c}" for c in comps],
            *side]
    extra = ["targets_met", "targets_total"] if "targets_met" in parts.columns else []
    df = _plainish(parts.sort_values(["rank", code]), cols + extra)
    layer = "zone_results" if code == "zone_code" else "pilot_area_results"
    sp = data.policy.score
    method = ("专家权重" if sp.weight_method == "expert" else f"熵权法（{sp.entropy_normalisation} 标准化）") if lang == "zh" \
        else (f"{sp.weight_method} weights" + (f" ({sp.entropy_normalisation})" if sp.weight_method == "entropy" else ""))
    ws = book.table(SHEETS[key][i], df,
                    title=_t(f"综合得分、排名与得分构成（{method}；得分贡献之和 = 综合得分；专家权重与熵权法排名并列）",
                             f"Composite score, rank and score parts ({method}; points add up to the score; expert "
                             "and entropy rankings side by side)", lang),
                    layer=layer, freeze_cols=2, int_cols=("rank", "rank_change", "rank_expert", "rank_entropy"),
                    headers={c: label(c, None, lang) for c in side})
    # the weights, to the right of the table: the ones used, and both sets side by side
    sets = data.score_weight_sets if code == "zone_code" and data.score_weight_sets is not None else None
    c0 = len(df.columns) + 1
    ws.write_string(1, c0, label("component", None, lang), book.f_head)
    ws.write_string(1, c0 + 1, label("weight", None, lang), book.f_head)
    if sets is not None:
        ws.write_string(1, c0 + 2, _t("专家权重", "expert", lang), book.f_head)
        ws.write_string(1, c0 + 3, _t(f"熵权法（{sp.entropy_normalisation}）", f"entropy ({sp.entropy_normalisation})", lang),
                        book.f_head)
    for r, (c, w) in enumerate(weights.items(), start=2):
        ws.write_string(r, c0, component_label(data.policy, c, lang), book.f_text)
        ws.write_number(r, c0 + 1, float(w), book.f_pct)
        if sets is not None:
            for j, col in enumerate(("expert", "entropy"), start=2):
                v = sets[col].get(c, np.nan)
                if pd.notna(v):
                    ws.write_number(r, c0 + j, float(v), book.f_pct)
    ws.set_column(c0, c0, 26)
    ws.set_column(c0 + 1, c0 + 3, 9)
