"""Every word a user sees, in one place: Chinese first, English available.

- :func:`t` picks the Chinese or English text (``lang`` argument, else ``--lang`` / ``LANDUSE_LANG``).
- Column headers: :func:`header` gives a column's label from the contract (``landuse.core.contract``,
  with its unit) or, for columns the contract does not describe (target list, quota table, problem
  list, score parts), from :data:`COLUMN_LABELS`.
- Codes shown as words: life-cycle stages (:data:`STAGE_LABELS`), zone types, quota blocks, roles,
  yes/no, the province row. Deliverables show these words; the codes stay in code columns only.

Leaf module (imports only the contract).
"""

from __future__ import annotations

import os
from typing import Literal

from landuse.core.contract import LAYERS, PROVINCE, is_province

Lang = Literal["zh", "en"]

_LANG: str | None = None


def set_lang(lang: str | None) -> None:
    global _LANG
    _LANG = lang


def lang() -> str:
    """The language chosen for this process: ``--lang``, else ``LANDUSE_LANG``, else Chinese."""
    return _LANG or os.environ.get("LANDUSE_LANG", "zh")


def t(zh: str, en: str, lang_: str | None = None) -> str:
    """The Chinese text, or the English one when English is chosen (``lang_`` overrides the process)."""
    return en if (lang_ or lang()) == "en" else zh


def pick(pair: tuple[str, str], lang_: str | None = None) -> str:
    return t(pair[0], pair[1], lang_)


# ------------------------------------------------------------------------------------------------
# codes shown as words
# ------------------------------------------------------------------------------------------------

#: life-cycle stages (parcel_results.stage), in life-cycle order
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "unsupplied": ("未供地", "not supplied"),
    "supplied": ("已供未开工", "supplied, not started"),
    "started": ("在建", "under construction"),
    "completed": ("已竣工", "completed"),
    "in_production": ("已投产", "in production"),
    "halted": ("停工", "halted"),
    "idle": ("闲置", "idle"),
    "recovered": ("已收回", "taken back"),
}


def stage_label(stage: str | None, lang_: str | None = None) -> str:
    if not isinstance(stage, str) or not stage:
        return t("未知", "unknown", lang_)
    pair = STAGE_LABELS.get(stage)
    return pick(pair, lang_) if pair else stage


YES_NO: dict[bool, tuple[str, str]] = {True: ("是", "yes"), False: ("否", "no")}


def yes_no(v: object, lang_: str | None = None) -> str:
    return pick(YES_NO[bool(v)], lang_)


PROVINCE_LABEL = ("全省", "province")


def unit_name(code: str | None, name: str | None = None, lang_: str | None = None) -> str:
    """A pilot area's display name; the ``PROVINCE`` row reads 全省 / province (``PROVINCE-36`` of a
    national store: 全省（36） / province (36))."""
    if code == PROVINCE:
        return pick(PROVINCE_LABEL, lang_)
    if code is not None and is_province(code):
        zh, en = PROVINCE_LABEL
        prov = code[len(PROVINCE) + 1:]
        return pick((f"{zh}（{prov}）", f"{en} ({prov})"), lang_)
    return name or (code or "")


ZONE_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "industrial": ("工业主导型", "industry-led"),
    "mixed": ("产城融合型", "mixed (industry-city)"),
    "other": ("其他", "other"),
}
BLOCKED_LABELS: dict[str, tuple[str, str]] = {
    "absorption": ("批而未供超过3年消化", "unsupplied land > 3 years to absorb"),
    "last_rank": ("连续排名末位", "ranked last in a row"),
}
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "evaluator": ("评价人员", "evaluator"),
    "manager": ("开发区管理人员", "zone manager"),
    "viewer": ("查看人员", "viewer"),
}
AUDIT_ACTION_LABELS: dict[str, tuple[str, str]] = {
    "login": ("登录", "login"), "login_failed": ("登录失败", "failed login"), "logout": ("退出", "logout"),
    "import": ("导入数据", "import"), "import_failed": ("导入失败", "failed import"),
    "export": ("导出/下载", "export / download"), "report": ("下载报告", "report download"),
    "user_add": ("新增用户", "user added"), "user_disable": ("停用用户", "user disabled"),
    "user_enable": ("启用用户", "user enabled"), "user_passwd": ("修改密码", "password changed"),
    "audit_export": ("导出审计日志", "audit log exported"), "evaluate": ("评价计算", "evaluation"),
    "quota_save": ("保存指标测算", "quota stored"),
}
SEVERITY_LABELS: dict[str, tuple[str, str]] = {"error": ("错误", "error"), "warning": ("警告", "warning")}
GRADE_NONE = ("未评级", "not graded")

#: words of the maps (legends, titles)
MAP_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "missing": "无数据", "unscored": "未评分", "ungraded": "未评级", "unknown_stage": "未知",
        "revenue": LAYERS["parcel_results"].col("revenue_per_mu").zh, "grade": "企业亩均效益等级",
        "stage": "生命周期阶段", "zone_score": "开发区综合得分", "flags": "问题宗地(主要原因)", "idle": "闲置土地",
        "occupancy": "标准厂房入驻率", "idle_entry": "闲置土地", "grade_prefix": "", "grade_suffix": "类",
        "undeveloped": "未开发", "per_map": "(本图{scheme}分级)", "scheme_Quantiles": "分位数",
        "scheme_NaturalBreaks": "自然断点", "scheme_EqualInterval": "等间距", "scheme_Percentiles": "百分位",
        "scheme_HeadTailBreaks": "头尾断点", "scheme_FisherJenksSampled": "Fisher-Jenks",
        "scheme_JenksCaspall": "Jenks-Caspall", "pilot": "试验区(较基期增长)", "pilot_met": "达到 +{g} 目标",
        "pilot_not_met": "未达 +{g} 目标", "pilot_na": "未评价", "problem_outline": "问题宗地外框",
    },
    "en": {
        "missing": "no data", "unscored": "not scored", "ungraded": "not graded", "unknown_stage": "unknown",
        "revenue": "Revenue per mu (万元/mu)", "grade": "Enterprise grade", "stage": "Life-cycle stage",
        "zone_score": "Zone composite score", "flags": "Flagged parcels (main reason)", "idle": "Idle land",
        "occupancy": "Standard-factory occupancy", "idle_entry": "idle land", "grade_prefix": "grade ",
        "grade_suffix": "", "undeveloped": "not yet developed", "per_map": " (this map's {scheme})",
        "scheme_Quantiles": "quantiles", "scheme_NaturalBreaks": "natural breaks", "scheme_EqualInterval": "equal intervals",
        "scheme_Percentiles": "percentiles", "scheme_HeadTailBreaks": "head/tail breaks",
        "scheme_FisherJenksSampled": "Fisher-Jenks", "scheme_JenksCaspall": "Jenks-Caspall",
        "pilot": "Pilot areas (growth on baseline)", "pilot_met": "meets +{g}", "pilot_not_met": "below +{g}",
        "pilot_na": "not assessed", "problem_outline": "problem parcel outline",
    },
}


# ------------------------------------------------------------------------------------------------
# column headers
# ------------------------------------------------------------------------------------------------

#: columns the contract's layers do not describe: name → (zh, en)
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # the target list
    "priority": ("处置优先序", "priority"),
    "rules": ("问题代码", "rule codes"),
    "reasons": ("认定原因", "reasons"),
    "max_severity": ("最高严重程度", "highest severity"),
    "flag_count": ("问题数", "flags"),
    "evidence": ("认定依据", "evidence"),
    "actions": ("建议措施", "recommended actions"),
    "gain_mu": ("可腾退土地(亩)", "land freed if fixed (mu)"),
    "gain_wan": ("整改后增收(万元)", "revenue gain if fixed (万元)"),
    "priority_key": ("排序值(万元)", "priority value (万元)"),
    "stage_label": ("生命周期阶段", "life-cycle stage"),
    "stage_code": ("生命周期阶段代码", "life-cycle stage code"),
    "zone_type_label": ("开发区类型", "zone type"),
    "zone_type_code": ("开发区类型代码", "zone type code"),
    # scores
    "stored_score": ("综合得分", "composite score"),
    "score_recomputed": ("按本政策重算得分", "score recomputed with this policy"),
    "occupancy_target": ("入驻率目标", "occupancy target"),
    "component": ("组成部分", "component"),
    "weight": ("权重", "weight"),
    "weighted_points": ("得分贡献(分)", "points"),
    # the quota table
    "unit": ("单元代码", "unit code"),
    "name": ("名称", "name"),
    "score": ("综合得分", "composite score"),
    "annual_absorption_mu": ("所在试验区近3年年均供地(亩/年)", "land supplied per year in the pilot area (mu, last 3 years)"),
    "absorption_scope": ("批而未供统计范围", "where 批而未供 is measured"),
    "base_mu": ("需求基数(亩/年)", "demand base (mu/year)"),
    "base_kind": ("需求基数口径", "what the base is"),
    "own_mu": ("本单位测算指标(亩)", "own result (mu)"),
    "linkage_mu": ("增存挂钩调整(亩,预留指标)", "增存挂钩 adjustment (mu, reserve)"),
    "zone_type": ("开发区类型", "zone type"),
    # composite score side by side
    "score_expert": ("综合得分(专家权重)", "score (expert weights)"),
    "rank_expert": ("排名(专家权重)", "rank (expert weights)"),
    "score_entropy": ("综合得分(熵权法)", "score (entropy weights)"),
    "rank_entropy": ("排名(熵权法)", "rank (entropy weights)"),
    "rank_provisional": ("暂定排名(缺核心指标数据)", "provisional rank (headline data missing)"),
    "score_missing": ("缺数据按0分计的组成部分", "components with no data (0 points)"),
    "score_not_applicable": ("不适用的组成部分", "components not applicable"),
    "supplied_mu": ("已供应土地(亩)", "supplied land (mu)"),
    "supplied_share": ("占试验区已供地比例", "share of the pilot area's supplied land"),
    "approved_unsupplied_mu": ("批而未供土地(亩)", "approved but unsupplied (mu)"),
    "idle_disposal_done": ("闲置土地处置任务完成", "idle-land disposal task met"),
    "unsupplied_disposal_done": ("批而未供处置任务完成", "unsupplied-land disposal task met"),
    "base": ("需求基数(亩/年)", "demand base (mu/year)"),
    "last_rank_streak": ("连续排名末位年数", "years ranked last running"),
    "base_share": ("基础份额", "base share"),
    "factor": ("得分系数", "score factor"),
    "factor_clipped": ("限定后系数", "factor after clipping"),
    "linkage_adj": ("增存挂钩调整", "增存挂钩 adjustment"),
    "absorption_years": ("批而未供消化年限(年)", "years to absorb unsupplied land"),
    "eligible": ("可安排新增指标", "eligible"),
    "blocked_reason": ("不安排原因", "blocked by"),
    "raw_mu": ("本单位测算值(亩,取整前)", "own result before rounding (mu)"),
    "quota_mu": ("建议指标(亩)", "recommended quota (mu)"),
    "quota_explanation": ("测算说明", "explanation"),
    "note": ("说明", "note"),
    # the problem list of an import
    "severity": ("级别", "severity"),
    "file": ("文件", "file"),
    "layer": ("图层", "layer"),
    "row": ("行号/要素号", "row / feature"),
    "column": ("字段", "column"),
    "value": ("值", "value"),
    "expected": ("应为", "expected"),
    "code": ("问题类型", "problem code"),
}

#: fractions shown as percentages
PERCENT_COLUMNS = frozenset({
    "growth", "target_growth", "like_for_like_growth", "revenue_growth_part", "area_growth_part",
    "occupancy_rate", "occupancy_rate_count", "occupancy_target", "development_rate", "supply_rate",
    "built_rate", "industrial_share", "coverage_overall", "coverage_industrial", "idle_rate", "flagged_share",
    "building_coverage", "va_gdp_share", "rd_share", "rd_institution_share", "digital_equipment_rate",
    "nc_equipment_rate", "energy_per_va_change_pct", "circular_transformation_rate", "base_share",
    "linkage_adj", "supplied_share", "weight", "built_up_share", "building_coefficient",
})


def header(name: str, layer: str | None = None, lang_: str | None = None) -> str:
    """The header of a column: the layer's label from the contract, else :data:`COLUMN_LABELS`, else
    the label the column has in the results layers, else the name itself."""
    en = (lang_ or lang()) == "en"
    if layer and layer in LAYERS:
        try:
            c = LAYERS[layer].col(name)
            return c.en if en else c.zh
        except KeyError:
            pass
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name][1 if en else 0]
    for lay in ("parcel_results", "zone_results", "pilot_area_results", "pilot_area_years"):
        try:
            c = LAYERS[lay].col(name)
            return c.en if en else c.zh
        except KeyError:
            pass
    return name


def headers(columns: list[str], layer: str | None = None, lang_: str | None = None) -> dict[str, str]:
    return {c: header(c, layer, lang_) for c in columns}


# ------------------------------------------------------------------------------------------------
# the intensive-use survey (开发区土地集约利用评价, docs/domain.md §12)
# ------------------------------------------------------------------------------------------------

#: 开发区土地利用现状分类 (DLDM)
LAND_CLASS_LABELS: dict[str, tuple[str, str]] = {
    "A": ("已建成城镇建设用地", "built urban land"),
    "A1": ("住宅用地", "residential"), "A2": ("工矿仓储用地", "industrial and warehousing"),
    "A31": ("街巷用地", "streets"), "A32": ("其他交通设施用地", "other transport"),
    "A4": ("商服用地", "commercial and services"), "A51": ("公园与绿地", "parks and green space"),
    "A52": ("其他公共管理与公共服务用地", "other public administration and services"),
    "A6": ("其他城镇建设用地", "other urban construction land"),
    "B": ("尚未建成土地", "land not yet built"),
    "B11": ("已建成农村建设用地(宅基地)", "built rural land (homesteads)"),
    "B12": ("已建成农村建设用地(其他)", "built rural land (other)"),
    "B21": ("已达到供地条件的其他土地", "other land ready to supply"),
    "B22": ("未达到供地条件的其他土地", "other land not ready to supply"),
    "C": ("不可建设土地", "unbuildable land"),
    "C1": ("河湖及其蓄滞洪区", "rivers, lakes and flood storage"), "C2": ("其他不可建设土地", "other unbuildable land"),
    "C3": ("其他不可建设土地", "other unbuildable land"),
}
#: 供应类型 (GYDM)
SUPPLY_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "D1": ("划拨土地", "allocated"), "D21": ("有偿使用土地(出让)", "paid use (granted)"),
    "D22": ("有偿使用土地(其他)", "paid use (other)"), "E1": ("尚可划拨土地", "can still be allocated"),
    "E21": ("尚可供应工矿仓储用地", "can still be supplied, industrial"),
    "E22": ("其他尚可有偿使用土地", "can still be supplied, other"), "F": ("不可供应土地", "cannot be supplied"),
}
RANGE_LABELS: dict[str, tuple[str, str]] = {
    "主区": ("主区", "main area"), "发展方向区": ("发展方向区", "development direction area"), "全区": ("全区", "whole zone"),
}
#: zone types as zone_survey_results stores them (words) → (zh, en)
SURVEY_ZONE_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "工业主导型": ("工业主导型", "industry-led"), "产城融合型": ("产城融合型", "mixed (industry-city)"),
    "其他": ("其他", "other"),
}
#: zone_results.intensive_basis: which data the intensive-use figures of a zone come from
INTENSIVE_BASIS_LABELS: dict[str, tuple[str, str]] = {
    "survey": ("集约利用调查", "intensive-use survey"), "parcels": ("宗地图层", "parcel layer"),
}


def land_class_label(code: str | None, lang_: str | None = None) -> str:
    if not isinstance(code, str) or not code:
        return t("未知", "unknown", lang_)
    pair = LAND_CLASS_LABELS.get(code) or LAND_CLASS_LABELS.get(code[:3]) or LAND_CLASS_LABELS.get(code[:2]) \
        or LAND_CLASS_LABELS.get(code[:1])
    return pick(pair, lang_) if pair else code


def range_label(code: str | None, lang_: str | None = None) -> str:
    pair = RANGE_LABELS.get(code or "")
    return pick(pair, lang_) if pair else (code or "")


def intensive_basis_label(code: str | None, lang_: str | None = None) -> str:
    """``survey:2023`` → 集约利用调查(2023年); ``parcels`` → 宗地图层."""
    if not isinstance(code, str) or not code:
        return t("无", "none", lang_)
    kind, _, year = code.partition(":")
    pair = INTENSIVE_BASIS_LABELS.get(kind)
    if pair is None:
        return code
    return pick(pair, lang_) + (t(f"({year}年)", f" ({year})", lang_) if year else "")


PERCENT_COLUMNS = PERCENT_COLUMNS | frozenset({
    "residential_share", "building_density", "industrial_coverage", "range_weight",
})

#: shown beside results computed from other inputs than the store holds now (an import since the evaluation)
STALE_RESULTS = ("本年度结果是在最近一次数据导入之前计算的，与库中现有数据不一致；请重新运行评价（landuse evaluate）并发布后再引用。",
                 "These results were computed before the latest data import and no longer match the stored "
                 "inputs; run the evaluation again (landuse evaluate) and publish it before quoting them.")

#: the in-year (period) tables: evaluation.periods.PERIOD_COLUMNS
COLUMN_LABELS.update({
    "period": ("期间", "period"),
    "period_end": ("截止日期", "period end"),
    "prev_period": ("上年同期", "same period last year"),
    "prev_revenue_per_mu": ("上年同期亩均营业收入(万元/亩)", "same period last year: revenue per mu (万元/mu)"),
    "prev_revenue_coverage": ("上年同期覆盖率", "same period last year: coverage"),
    "yoy_change": ("同比变化", "change on the same period last year"),
    "baseline_period": ("基期同期", "same period of the baseline year"),
})
PERCENT_COLUMNS = PERCENT_COLUMNS | frozenset({"yoy_change", "prev_revenue_coverage"})

#: in-year figures, on every table and report that shows them
PERIOD_NOTE = ("期间数据为 1 月 1 日至期末的累计数，与上年同期、基期同期比较；年度数据到齐前均为临时数，不据此判定是否完成年度目标。",
               "In-year figures are cumulative from 1 January to the period end and compared with the same period "
               "of last year and of the baseline year; until the year's figures are in they are provisional and "
               "decide no annual target.")
PERIOD_TITLE = ("亩均效益期间快报", "In-year land-efficiency bulletin")
HALF_YEAR_TITLE = ("亩均效益半年报告", "Half-year land-efficiency report")

# --- why an area moved (landuse.services.compare, evaluation.bridge) --------------------------------
BRIDGE_LABELS: dict[str, tuple[str, str]] = {
    "level": ("层级", "level"),
    "code": ("代码", "code"),
    "name": ("名称", "name"),
    "v0": ("基期亩均营业收入(万元/亩)", "baseline revenue per mu"),
    "v1": ("本期亩均营业收入(万元/亩)", "revenue per mu"),
    "change": ("变化(万元/亩)", "change (万元/亩)"),
    "firms_both": ("两年均在的企业营收变化(万元/亩)", "firms present in both years"),
    "firms_left": ("退出企业(万元/亩)", "firms that left"),
    "firms_arrived": ("新进企业(万元/亩)", "firms that arrived"),
    "new_land": ("新开发土地摊薄(万元/亩)", "newly developed land diluting the average"),
    "land_taken": ("收回（不再计入）的土地(万元/亩)", "land taken back"),
    "reported_land": ("同一宗地申报面积变化(万元/亩)", "reported land of the same parcels changed"),
    "expected": ("本年路径值(万元/亩)", "path value of the year"),
    "gap_per_mu": ("距路径差距(万元/亩)", "gap to the path (万元/亩)"),
    "revenue_needed_wan": ("达到路径需增收(万元)", "revenue needed to reach the path (万元)"),
    "target": ("目标值(万元/亩)", "target value"),
    "target_gap_per_mu": ("距目标差距(万元/亩)", "gap to the target (万元/亩)"),
    "target_revenue_needed_wan": ("达到目标需增收(万元)", "revenue needed to reach the target (万元)"),
}
LEVEL_LABELS: dict[str, tuple[str, str]] = {"zone": ("开发区", "zone"), "pilot_area": ("试验区", "pilot area"),
                                            "province": ("全省", "province")}
COLUMN_LABELS.update({k: v for k, v in BRIDGE_LABELS.items() if k not in COLUMN_LABELS})

# the disposal ledger (处置台账)
AUDIT_ACTION_LABELS.update({
    "ledger_open": ("处置台账立项", "ledger entry opened"),
    "ledger_update": ("处置台账修改", "ledger entry changed"),
    "ledger_note": ("处置进展记录", "ledger progress note"),
    "ledger_import": ("处置台账导入", "ledger imported"),
})
DISPOSAL_METHOD_LABELS: dict[str, tuple[str, str]] = {
    "收回": ("收回", "take back"), "协议置换": ("协议置换", "exchange by agreement"),
    "二次开发": ("二次开发", "redevelopment"), "技改增容": ("技改增容", "retrofit and add floor area"),
    "兼并重组": ("兼并重组", "merger"), "腾笼换鸟": ("腾笼换鸟", "re-let to a better firm"),
    "征缴闲置费": ("征缴闲置费", "collect the idle-land fee"), "延长动工期限": ("延长动工期限", "new start deadline"),
    "其他": ("其他", "other"),
}
DISPOSAL_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "待处置": ("待处置", "to do"), "处置中": ("处置中", "in progress"),
    "已完成": ("已完成", "completed"), "已核销": ("已核销", "written off"),
}
COLUMN_LABELS.update({
    "targets": ("问题宗地(宗)", "targets (parcels)"), "entries": ("台账条目", "ledger entries"),
    "mu_in_disposal": ("处置中面积(亩)", "mu in disposal"), "mu_disposed": ("已处置面积(亩)", "mu disposed"),
    "overdue": ("逾期条目", "overdue entries"), "parcels_completed": ("已完成宗地", "parcels completed"),
    "revenue_per_mu_before": ("处置前亩均营业收入(万元/亩)", "revenue per mu before disposal"),
    "revenue_per_mu_after": ("处置后亩均营业收入(万元/亩)", "revenue per mu after disposal"),
    "mu_back_to_work": ("重新投产面积(亩)", "mu back at work"),
})
