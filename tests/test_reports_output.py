"""The evaluator's report (landuse.reports): data, Excel workbook, HTML page.

Built once per module on the small generated sample, evaluated 2020–2025 (~15 s).
"""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest

from landuse.core.policy import default_policy
from landuse.services.quota import quota_units
from landuse.reports import (
    ReportError,
    collect_report_data,
    render_html,
    write_excel,
    write_report,
)

pytestmark = pytest.mark.slow

YEAR = 2025


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from tests.pkgkit import evaluated_sample

    return evaluated_sample(tmp_path_factory.mktemp("reports"), name="rp.gpkg", years=range(2020, YEAR + 1))


def lenient_policy():
    """Relax the 3-year absorption rule so that every zone of the sample gets a share (a tilt to test)."""
    p = default_policy()
    return p.model_copy(update={"quota": p.quota.model_copy(update={"max_absorption_years": 40.0})})


@pytest.fixture(scope="module")
def data(store):
    return collect_report_data(store, year=YEAR, policy=default_policy(), total_quota_mu=3000)


@pytest.fixture(scope="module")
def workbook(data, tmp_path_factory):
    out = write_excel(data, tmp_path_factory.mktemp("xlsx") / "report.xlsx")
    return openpyxl.load_workbook(out)


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------


def test_data_reads_stored_results(store, data):
    zr = store.read("zone_results", year=YEAR)
    assert sorted(data.zones["zone_code"]) == sorted(zr["zone_code"])
    assert set(data.zones_history["year"]) == set(range(2020, YEAR + 1))
    assert data.pilot_areas["pilot_area_code"].iloc[-1] == "PROVINCE"
    s = data.summary
    assert s["zones"] == len(zr)
    assert s["zones_growth_met"] == int(zr["goal_met"].fillna(False).sum())
    assert data.notes == []  # same policy as the stored results


def test_score_parts_add_up_to_the_stored_score(data):
    p = data.score_parts
    w = p[[c for c in p.columns if c.startswith("w_")]].sum(axis=1, min_count=1)
    assert (w - p["stored_score"].astype(float)).abs().max() < 1e-6
    assert abs(data.score_weights.sum() - 1.0) < 1e-9
    pp = data.pilot_score_parts
    w = pp[[c for c in pp.columns if c.startswith("w_")]].sum(axis=1, min_count=1)
    assert (w - pp["stored_score"].astype(float)).abs().max() < 1e-6


def test_quota_units_by_hand(store):
    policy = default_policy()
    u = quota_units(store, year=YEAR, policy=policy)
    zones = store.read("zones")
    assert list(u.index) == sorted(zones["zone_code"])
    # demand base: mu of the zone's parcels supplied in 2023–2025, per year
    pr = store.read("parcel_results", year=YEAR)
    parcels = store.read("parcels")[["parcel_code", "supply_date"]]
    m = pr.merge(parcels, on="parcel_code")
    z = u.index[0]
    sel = m[(m["zone_code"] == z) & m["supply_date"].dt.year.between(2023, 2025)]
    assert u.loc[z, "base"] == pytest.approx(sel["area_mu"].sum() / 3)
    # 批而未供 and its absorption where 批而未供 is measured: the pilot area's own figures, the same for
    # each of its zones (never split by stock share): approved of 2025, mean land supplied 2023–2025
    pay = store.read("pilot_area_years")
    win = pay[pay["year"].between(2023, 2025)].groupby("pilot_area_code")["land_supplied_mu"].mean()
    pay = pay[pay["year"] == YEAR].set_index("pilot_area_code")
    for pa, grp in u.groupby("pilot_area_code"):
        assert (grp["approved_unsupplied_mu"] == float(pay.loc[pa, "approved_unsupplied_mu"])).all()
        assert grp["annual_absorption_mu"].to_numpy() == pytest.approx([win[pa]] * len(grp))
        assert grp["absorption_scope"].str.contains(pa).all()
        assert (grp["idle_disposal_done"].astype(object) == pay.loc[pa, "idle_disposal_done"]).all()
    # streak from the stored ranks, last within the zone type
    zr = store.read("zone_results")
    zy = zr[zr["year"] == YEAR]
    by_type = zy.groupby(zy["zone_type"].fillna(""))["rank"]
    worst, size = by_type.transform("max"), by_type.transform("size")
    last = zy[(zy["rank"] == worst) & (size >= 2)]["zone_code"]  # a zone alone in its type is last of nothing
    assert (u.loc[list(last), "last_rank_streak"] >= 1).all()
    assert (u.drop(index=list(last))["last_rank_streak"] == 0).all()
    pa = quota_units(store, year=YEAR, policy=policy, level="pilot_area")
    assert "PROVINCE" not in pa.index
    assert pa["base"].sum() == pytest.approx(u["base"].sum())


def test_quota_computed_sums_to_total(store):
    d = collect_report_data(store, year=YEAR, policy=lenient_policy(), total_quota_mu=3000)
    assert d.quota_source == "computed"
    # the units' own results share the total; 增存挂钩 comes from / returns to the reserve outside it
    assert int(d.quota["own_mu"].sum()) == 3000
    assert int(d.quota["quota_mu"].sum()) == 3000 + int(d.quota["linkage_mu"].sum())
    assert d.quota_summary and f"= {int(d.quota['quota_mu'].sum())} 亩" in d.quota_summary
    assert d.quota["quota_explanation"].str.len().min() > 10
    assert d.notes  # the policy differs from the stored results' one: said


def test_no_total_no_quota(store):
    d = collect_report_data(store, year=YEAR, policy=default_policy())
    assert d.quota is None and d.quota_source is None


def test_pilot_area_restriction(store):
    zones = store.read("zones")
    pa = zones.groupby("pilot_area_code")["zone_code"].count().idxmax()  # a pilot area with 2 zones
    d = collect_report_data(store, year=YEAR, policy=lenient_policy(), pilot_area=pa, total_quota_mu=100)
    want = sorted(zones.loc[zones["pilot_area_code"] == pa, "zone_code"])
    assert sorted(d.zones["zone_code"]) == want
    assert set(d.enterprises["zone_code"]) <= set(want)
    assert set(d.targets["zone_code"]) <= set(want)
    assert list(d.pilot_areas["pilot_area_code"]) == [pa, "PROVINCE"]
    assert sorted(d.quota["zone_code"]) == want and int(d.quota["own_mu"].sum()) == 100
    assert int(d.quota["quota_mu"].sum()) == 100 + int(d.quota["linkage_mu"].sum())  # the reserve outside N
    with pytest.raises(ReportError):
        collect_report_data(store, year=YEAR, policy=default_policy(), pilot_area="999999")
    with pytest.raises(ReportError):
        collect_report_data(store, year=1999, policy=default_policy())


# ----------------------------------------------------------------------------------------------
# Excel
# ----------------------------------------------------------------------------------------------

SHEETS = ["摘要", "亩均增长_开发区", "亩均增长_试验区", "入驻率_开发区", "入驻率_空置厂房", "低效用地整治清单",
          "企业亩均评级", "土地集约利用", "集约利用评价_调查", "综合得分_开发区", "综合得分_试验区", "用地指标测算",
          "变化分析"]


def _headers(ws) -> list[str]:
    return [c.value for c in ws[2]]


def test_excel_sheets_headers_panes_filters(workbook):
    assert workbook.sheetnames == [*SHEETS, "说明"]  # the last sheet explains the columns and the policy
    for ws in workbook.worksheets[:-1]:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2"), ws.title
        # printed A4 landscape, one page wide, the title and header rows on every page
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title  # 1 is the default
        assert ws.print_title_rows == "$1:$2", ws.title
    h = _headers(workbook["亩均增长_开发区"])
    for want in ("开发区代码", "开发区名称", "基期亩均营业收入(万元/亩)", "亩均营业收入(万元/亩)", "较基期增长", "目标增长",
                 "是否达标", "路径期望值(万元/亩)", "是否按进度", "同口径增长", "增长分解:收入贡献", "增长分解:面积贡献"):
        assert want in h
    assert "标准厂房入驻率(面积)" in _headers(workbook["入驻率_开发区"])
    assert "空置面积(平方米)" in _headers(workbook["入驻率_空置厂房"])
    assert {"处置优先序", "宗地代码", "认定原因", "建议措施"} <= set(_headers(workbook["低效用地整治清单"]))
    assert {"评价等级", "综合得分", "未评级原因/说明"} <= set(_headers(workbook["企业亩均评级"]))
    assert {"集约度分值", "集约度排名(同类型)", "开发区类型"} <= set(_headers(workbook["土地集约利用"]))
    assert {"综合得分", "排名", "排名变化", "组成部分", "权重"} <= set(_headers(workbook["综合得分_开发区"]))
    assert {"建议新增建设用地指标(亩)", "指标测算说明"} <= set(_headers(workbook["用地指标测算"]))


def test_excel_numbers_are_numbers_and_match_the_store(workbook, store):
    ws = workbook["亩均增长_开发区"]
    h = _headers(ws)
    zr = store.read("zone_results", year=YEAR).set_index("zone_code")
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == len(zr)
    gi, vi, mi = h.index("较基期增长"), h.index("亩均营业收入(万元/亩)"), h.index("是否达标")
    for r in rows:
        code = r[0]
        assert isinstance(r[gi], float) and isinstance(r[vi], float)
        assert r[gi] == pytest.approx(float(zr.loc[code, "growth"]), rel=1e-12)
        assert r[vi] == pytest.approx(float(zr.loc[code, "revenue_per_mu"]), rel=1e-12)
        assert r[mi] == ("是" if zr.loc[code, "goal_met"] else "否")
    # percentages formatted as %, per-mu figures as numbers
    assert "%" in ws.cell(row=3, column=gi + 1).number_format
    assert "%" not in ws.cell(row=3, column=vi + 1).number_format
    # the summary counts zones that met +15 %
    summ = {r[0]: r[1:] for r in workbook["摘要"].iter_rows(min_row=3, values_only=True) if r[0]}
    met = next(v for k, v in summ.items() if k.startswith("亩均营业收入较2020年增长≥15%的开发区"))
    assert met[0] == int(zr["goal_met"].fillna(False).sum()) and met[1] == len(zr)
    assert any("模型测算，非正式发布规则" in str(v[0]) for v in summ.values())
    # the quota sheet: whole mu, numbers
    q = workbook["用地指标测算"]
    qi = _headers(q).index("建议新增建设用地指标(亩)")
    assert all(isinstance(r[qi], int) for r in q.iter_rows(min_row=3, values_only=True))


def test_excel_english_and_without_quota(store, tmp_path):
    d = collect_report_data(store, year=YEAR, policy=default_policy())
    out = write_excel(d, tmp_path / "en.xlsx", lang="en")
    wb = openpyxl.load_workbook(out)
    assert "Summary" in wb.sheetnames and "Land quota" not in wb.sheetnames
    assert "growth on baseline" in _headers(wb["Growth - zones"])


# ----------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------

TITLES_ZH = ["一、摘要", "二、亩均营业收入 +15% 检查", "三、标准厂房入驻率", "四、综合得分与构成", "五、新增建设用地指标测算",
             "六、低效闲置用地整治清单", "七、企业亩均效益评级分布"]


def test_html_self_contained_chinese_every_zone(data):
    html = render_html(data)
    # no URL at all: the SVGs are inlined without their XML namespace declarations (an HTML
    # parser does not need them), so not even http://www.w3.org/2000/svg appears
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert not re.search(r'<(script|link|img|iframe)\b[^>]*\b(src|href)=', html)
    for title in TITLES_ZH:
        assert title in html
    for code in data.zones["zone_code"]:
        assert code in html
    assert html.count("<svg") == 5
    assert "模型测算，非正式发布规则" in html
    assert "WenQuanYi Micro Hei" in html


def test_html_english(data):
    html = render_html(data, lang="en")
    assert "Per-mu revenue: the +15 % check" in html and "revenue per mu (万元/亩)" in html
    assert "http://" not in html


def test_write_report_by_extension(store, tmp_path):
    p = write_report(store, year=YEAR, out=tmp_path / "r.html", policy=default_policy())
    assert p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    p = write_report(store, year=YEAR, out=tmp_path / "r.xlsx", policy=default_policy(), total_quota_mu=500)
    assert "用地指标测算" in openpyxl.load_workbook(p).sheetnames
    with pytest.raises(ReportError):
        write_report(store, year=YEAR, out=tmp_path / "r.doc", policy=default_policy())


def test_growth_values_in_html_match(data):
    html = render_html(data)
    z = data.zones.iloc[0]
    assert f"{float(z['growth']):+.1%}" in html
    assert pd.notna(z["growth"])


def test_report_target_sheet_shows_stage_words_beside_the_codes(workbook):
    from landuse.core.labels import STAGE_LABELS

    ws = workbook["低效用地整治清单"]
    h = _headers(ws)
    ci, wi = h.index("生命周期阶段代码"), h.index("生命周期阶段")
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[ci]]
    assert rows and all(r[wi] == STAGE_LABELS[r[ci]][0] for r in rows)


# ----------------------------------------------------------------------------------------------
# the TD/T 1029 table on the survey
# ----------------------------------------------------------------------------------------------


def test_survey_table_per_zone_type(store, data, workbook):
    sv = data.survey
    zr = store.read("zone_results", year=YEAR)
    # every zone's figures come from its 2025 survey: 主区 (+ 发展方向区) + 全区 rows, in that order
    assert set(zr["intensive_basis"]) == {"survey:2025"}
    assert set(sv["zone_code"]) == set(zr["zone_code"]) and set(sv["survey_year"]) == {2025}
    first = sv[sv["zone_code"] == sv["zone_code"].iloc[0]]["range"].tolist()
    assert first[0] == "主区" and first[-1] == "全区"
    whole = sv[sv["range"] == "全区"].set_index("zone_code")["score"]
    assert (zr.set_index("zone_code")["intensive_score"] - whole).abs().max() < 1e-9
    ws = workbook["集约利用评价_调查"]
    heads = _headers(ws)
    assert {"开发区代码", "调查年度", "评价范围", "土地开发率", "开发区类型", "集约度分值", "排名(同类型)"} <= set(heads)
    types = {ws.cell(row=r, column=heads.index("开发区类型") + 1).value for r in range(3, ws.max_row + 1)}
    assert types == {"工业主导型", "产城融合型"}
    html = render_html(data)
    sec = html[html.index('id="survey"'):html.index('id="quota"')]
    assert "四之二、土地集约利用评价（TD/T 1029，集约利用调查）" in sec
    assert "工业主导型（14）" in sec and "产城融合型（1）" in sec
    # the 产城融合型 table shows 综合地均税收 and 人口密度, not the industrial indicators
    mixed = sec[sec.index("产城融合型（1）"):]
    assert "综合地均税收(万元/公顷)" in mixed and "工业用地地均税收" not in mixed


def test_excel_bridge_sheet_adds_up(workbook):
    """变化分析: one row per zone, pilot area and the province; the six terms add up to the change."""
    ws = workbook["变化分析"]
    h = _headers(ws)
    terms = ["两年均在的企业营收变化(万元/亩)", "退出企业(万元/亩)", "新进企业(万元/亩)", "新开发土地摊薄(万元/亩)",
             "收回（不再计入）的土地(万元/亩)", "同一宗地申报面积变化(万元/亩)"]
    assert set(terms) <= set(h) and {"变化(万元/亩)", "距路径差距(万元/亩)", "达到路径需增收(万元)"} <= set(h)
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3) if r[0].value]
    levels = {r[h.index("层级")] for r in rows}
    assert levels == {"开发区", "试验区", "全省"}
    for r in rows:
        ch = r[h.index("变化(万元/亩)")]
        if isinstance(ch, (int, float)):
            assert sum(r[h.index(c)] for c in terms) == pytest.approx(ch, abs=1e-6)
