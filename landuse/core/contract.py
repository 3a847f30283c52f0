"""The data-package contract (docs/data-package.md) as data: layers, columns, types, keys, labels.

Every layer, input and output, is described once here; the GeoPackage and PostGIS stores, the
importer, the exporters and the templates are all derived from this module. Each column has a
Chinese and an English label (shown to users) and the aliases the importer accepts (Chinese
headers, Shapefile-cut names, cadastral field codes such as ZDDM).

Leaf module: imports nothing from the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the code of the whole-province row of pilot_area_results and pilot_area_years
PROVINCE = "PROVINCE"


def province_code(province: str | None) -> str:
    """The whole-province row's code for one province in a store that holds several (a national
    store): ``PROVINCE-36``; :data:`PROVINCE` when ``province`` is None (a store of one province).
    Each province's row keeps its own code, so partitions evaluated at once never write the same
    row (docs/data-package.md)."""
    return PROVINCE if not province else f"{PROVINCE}-{province}"


def is_province(code: object) -> bool:
    """Whether a pilot-area code is a whole-province row (``PROVINCE`` or ``PROVINCE-36``)."""
    return isinstance(code, str) and (code == PROVINCE or code.startswith(PROVINCE + "-"))


def province_mask(codes: Any) -> Any:
    """:func:`is_province` of each code of a pandas Series, as a boolean Series."""
    return codes.map(is_province).astype(bool)

# value kinds a column parses to
STR, FLOAT, INT, BOOL, DATE = "str", "float", "int", "bool", "date"


@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    zh: str
    en: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    nonneg: bool = False  # negative values are an error
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layer:
    name: str
    zh: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    geometry: str | None = None  # "Polygon" (MultiPolygon stored) | None
    geometry_required: bool = True
    output: bool = False  # a results layer
    year_column: str | None = None
    extra: dict = field(default_factory=dict)
    derived: tuple[str, ...] = ()  # columns computed by the importer, never read from input

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def col(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def C(name, kind, zh, en="", *, req=False, aliases=(), nonneg=False, choices=()):  # noqa: N802
    return Col(name, kind, zh, en or name.replace("_", " "), req, tuple(aliases), nonneg, tuple(choices))


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

ZONES = Layer(
    "zones",
    "开发区",
    (
        C("zone_code", STR, "开发区代码", "zone code", req=True, aliases=("开发区编码", "园区代码", "KFQDM")),
        C("zone_name", STR, "开发区名称", "zone name", req=True, aliases=("园区名称", "KFQMC")),
        C("level", STR, "级别", "level", req=True, aliases=("开发区级别",),
          choices=("national", "provincial", "other")),
        C("pilot_area_code", STR, "试验区代码", "pilot area code", aliases=("试验区编码",)),
        C("pilot_area_name", STR, "试验区名称", "pilot area name"),
        C("county_code", STR, "县级行政区代码", "county code", aliases=("行政区代码", "XZQDM")),
        # extensions for the intensive-use evaluation (TD/T 1029); derived from parcels when empty
        C("ready_to_supply_m2", FLOAT, "已达到供地条件面积(平方米)", "land ready to supply (m²)", nonneg=True),
        C("built_land_m2", FLOAT, "已建成城镇建设用地面积(平方米)", "built land (m²)", nonneg=True),
        C("residential_land_m2", FLOAT, "住宅用地面积(平方米)", "residential land (m²)", nonneg=True),
        C("total_floor_area_m2", FLOAT, "总建筑面积(平方米)", "total floor area (m²)", nonneg=True),
        C("total_footprint_m2", FLOAT, "建筑基底总面积(平方米)", "total footprint (m²)", nonneg=True),
        C("total_tax_wan", FLOAT, "税收总额(万元)", "total tax (万元)", nonneg=True),
        C("population", FLOAT, "常住人口(人)", "population", nonneg=True),
        C("geodesic_area_m2", FLOAT, "椭球面积(平方米)", "geodesic area (m²)"),
    ),
    key=("zone_code",),
    geometry="Polygon",
    derived=("geodesic_area_m2",),
)

PARCELS = Layer(
    "parcels",
    "宗地",
    (
        C("parcel_code", STR, "宗地代码", "parcel code", req=True, aliases=("宗地编号", "ZDDM", "parcel_cod")),
        C("zone_code", STR, "开发区代码", "zone code", req=True, aliases=("所属开发区", "KFQDM")),
        C("land_use_code", STR, "土地用途代码", "land use code", req=True, aliases=("用途代码", "地类编码", "DLBM", "TDYT", "land_use_c")),
        C("land_use_scheme", STR, "用途分类标准", "land use scheme", req=True,
          aliases=("分类标准", "land_use_s"), choices=("gbt21010", "ydyh2023", "gb50137")),
        C("registered_area_m2", FLOAT, "证载面积(平方米)", "registered area (m²)",
          aliases=("证载面积", "宗地面积", "ZDMJ", "registered"), nonneg=True),
        C("holder_uscc", STR, "权利人统一社会信用代码", "holder USCC", aliases=("权利人代码", "使用权人代码", "holder_usc")),
        C("supply_date", DATE, "供地日期", "supply date", aliases=("出让日期", "供应日期", "supply_dat")),
        C("agreed_start_date", DATE, "约定动工日期", "agreed start date", aliases=("约定开工日期", "agreed_sta")),
        C("actual_start_date", DATE, "实际动工日期", "actual start date", aliases=("实际开工日期", "actual_sta")),
        C("completion_date", DATE, "竣工日期", "completion date", aliases=("竣工验收日期", "completion")),
        C("land_price_wan", FLOAT, "土地价款(万元)", "land price (万元)", aliases=("土地价款", "出让价款", "land_price"), nonneg=True),
        C("floor_area_m2", FLOAT, "总建筑面积(平方米)", "floor area (m²)", aliases=("建筑面积", "floor_area"), nonneg=True),
        C("footprint_area_m2", FLOAT, "建筑基底面积(平方米)", "footprint (m²)", aliases=("基底面积", "footprint_"), nonneg=True),
        C("standard_land", BOOL, "是否标准地", "standard land", aliases=("标准地", "standard_l")),
        C("commit_investment_wan_per_mu", FLOAT, "承诺投资强度(万元/亩)", "committed investment (万元/亩)",
          aliases=("承诺投资强度", "commit_inv"), nonneg=True),
        C("commit_far", FLOAT, "承诺容积率", "committed FAR", aliases=("commit_far",), nonneg=True),
        C("commit_tax_wan_per_mu", FLOAT, "承诺亩均税收(万元/亩)", "committed tax (万元/亩)",
          aliases=("承诺亩均税收", "commit_tax"), nonneg=True),
        C("commit_revenue_wan_per_mu", FLOAT, "承诺亩均产出(万元/亩)", "committed revenue (万元/亩)",
          aliases=("承诺亩均产出", "承诺亩均营业收入", "commit_rev"), nonneg=True),
        C("obsolete_industry", BOOL, "淘汰类产业", "obsolete industry", aliases=("淘汰类", "obsolete_i")),
        C("halted_since", DATE, "停工日期", "halted since", aliases=("停工起始日期", "halted_sin")),
        # extensions used by the idle-land and standard-land rules (documented in docs/data-package.md)
        C("government_delay", BOOL, "政府原因或不可抗力造成动工延迟", "delay caused by the government or force majeure (Order 53 Art. 8)",
          aliases=("政府原因延迟", "政府原因", "不可抗力", "government")),
        C("developed_area_m2", FLOAT, "已开发面积(平方米)", "developed area (m²)", aliases=("已开发面积", "developed_"), nonneg=True),
        C("planned_investment_wan", FLOAT, "计划总投资(万元)", "planned investment (万元)", aliases=("计划总投资", "planned_in"), nonneg=True),
        C("invested_wan", FLOAT, "已完成投资(万元)", "investment made (万元)", aliases=("已完成投资", "invested_w"), nonneg=True),
        C("office_area_m2", FLOAT, "行政办公及生活服务设施用地面积(平方米)", "office/service land (m²)",
          aliases=("办公用地面积", "office_are"), nonneg=True),
        C("env_safety_fail", BOOL, "环保安全不达标", "fails environmental/safety rules", aliases=("环保安全不达标", "env_safety")),
        C("structures_yard_area_m2", FLOAT, "构筑物、露天堆场和操作场地面积(平方米)", "structures, open yards and work areas (m²)",
          aliases=("构筑物、露天堆场和操作场地面积", "构筑物堆场面积", "堆场面积"), nonneg=True),
        C("agreed_completion_date", DATE, "约定竣工日期", "agreed completion date", aliases=("合同约定竣工日期", "约定竣工时间")),
        # change over time (docs/data-package.md: "Inputs that record change over time")
        C("in_zone_from", DATE, "纳入开发区日期", "in zone from", aliases=("纳入日期", "扩区日期", "in_zone_fr")),
        C("in_zone_to", DATE, "调出开发区日期", "in zone to", aliases=("调出日期", "in_zone_to")),
        C("retired_date", DATE, "注销日期", "retired on", aliases=("灭失日期", "注销日期", "retired_da")),
        C("predecessor_codes", STR, "原宗地代码", "predecessor parcel codes", aliases=("原宗地代码", "来源宗地", "predecesso")),
        # derived by the importer from the geometry (never read from input)
        C("geodesic_area_m2", FLOAT, "椭球面积(平方米)", "geodesic area (m²)"),
    ),
    key=("parcel_code",),
    geometry="Polygon",
    derived=("geodesic_area_m2",),
)

ENTERPRISES = Layer(
    "enterprises",
    "企业",
    (
        C("uscc", STR, "统一社会信用代码", "USCC", req=True, aliases=("信用代码", "社会信用代码", "TYSHXYDM")),
        C("name", STR, "企业名称", "name", req=True, aliases=("名称", "单位名称", "QYMC")),
        C("industry_code", STR, "行业代码", "industry code (GB/T 4754)", req=True, aliases=("国民经济行业代码", "行业分类代码", "HYDM")),
        C("above_scale", BOOL, "是否规上", "above scale (规上)", req=True, aliases=("规上企业", "规模以上", "是否规上企业")),
        C("production_start_date", DATE, "投产日期", "production start date", aliases=("投产时间",)),
    ),
    key=("uscc",),
)

ENTERPRISE_YEARS = Layer(
    "enterprise_years",
    "企业年度数据",
    (
        C("uscc", STR, "统一社会信用代码", "USCC", req=True, aliases=("信用代码", "社会信用代码", "TYSHXYDM")),
        C("year", INT, "年度", "year", req=True, aliases=("年份",)),
        C("revenue_wan", FLOAT, "营业收入(万元)", "revenue (万元)", req=True, aliases=("营业收入", "主营业务收入"), nonneg=True),
        C("tax_wan", FLOAT, "实缴税金(万元)", "tax paid (万元)", req=True, aliases=("实缴税金", "税收", "实缴税收"), nonneg=True),
        C("value_added_wan", FLOAT, "工业增加值(万元)", "value added (万元)", aliases=("工业增加值", "增加值")),
        C("energy_tce", FLOAT, "综合能耗(吨标准煤)", "energy (tce)", aliases=("综合能耗", "能耗"), nonneg=True),
        C("emission_t", FLOAT, "主要污染物排放量(吨)", "emissions (t)", aliases=("排放量", "污染物排放"), nonneg=True),
        C("rd_expense_wan", FLOAT, "研发经费(万元)", "R&D (万元)", aliases=("研发经费", "研发投入"), nonneg=True),
        C("employees", INT, "年平均职工人数", "employees", aliases=("从业人员", "职工人数"), nonneg=True),
        C("fixed_asset_investment_wan", FLOAT, "累计固定资产投资(万元)", "cumulative fixed-asset investment (万元)",
          aliases=("固定资产投资", "累计固定资产投资"), nonneg=True),
        C("electricity_mwh", FLOAT, "用电量(兆瓦时)", "electricity (MWh)", aliases=("用电量",), nonneg=True),
        C("has_rd_institution", BOOL, "是否有研发机构", "has R&D institution", aliases=("有研发机构",)),
    ),
    key=("uscc", "year"),
    year_column="year",
)

BUILDINGS = Layer(
    "buildings",
    "建筑(标准厂房)",
    (
        C("building_code", STR, "建筑代码", "building code", req=True, aliases=("厂房编号", "建筑编号", "JZWBH", "building_c")),
        C("parcel_code", STR, "宗地代码", "parcel code", req=True, aliases=("宗地编号", "ZDDM", "parcel_cod")),
        C("standard_factory", BOOL, "是否标准厂房", "standard factory", req=True, aliases=("标准厂房", "standard_f")),
        C("floors", INT, "层数", "floors", aliases=("楼层数",), nonneg=True),
        C("floor_area_m2", FLOAT, "建筑面积(平方米)", "floor area (m²)", req=True, aliases=("建筑面积", "floor_area"), nonneg=True),
        C("completion_date", DATE, "竣工验收日期", "acceptance date", aliases=("竣工日期", "验收日期", "completion")),
    ),
    key=("building_code",),
    geometry="Polygon",
    geometry_required=False,
)

LEASES = Layer(
    "leases",
    "租赁",
    (
        C("uscc", STR, "承租企业统一社会信用代码", "tenant USCC", req=True, aliases=("统一社会信用代码", "承租人代码")),
        C("building_code", STR, "建筑代码", "building code", aliases=("厂房编号", "建筑编号")),
        C("parcel_code", STR, "宗地代码", "parcel code", aliases=("宗地编号", "ZDDM")),
        C("floor_area_m2", FLOAT, "租赁面积(平方米)", "leased floor area (m²)", req=True, aliases=("租赁面积",), nonneg=True),
        C("start_date", DATE, "起租日期", "start date", req=True, aliases=("租赁开始日期", "入驻日期")),
        C("end_date", DATE, "到期日期", "end date", aliases=("租赁结束日期", "退租日期")),
    ),
    key=("uscc", "building_code", "parcel_code", "start_date"),
)

PILOT_AREA_YEARS = Layer(
    "pilot_area_years",
    "试验区年度数据",
    (
        C("pilot_area_code", STR, "试验区代码", "pilot area code", req=True, aliases=("试验区编码",)),
        C("year", INT, "年度", "year", req=True, aliases=("年份",)),
        C("gdp_wan", FLOAT, "地区生产总值(万元)", "GDP (万元)", aliases=("GDP", "地区生产总值"), nonneg=True),
        C("industrial_value_added_wan", FLOAT, "工业增加值(万元)", "industrial value added (万元)", aliases=("工业增加值",)),
        C("digital_equipment_rate", FLOAT, "生产设备数字化率", "digitalised equipment rate", aliases=("生产设备数字化率",), nonneg=True),
        C("nc_equipment_rate", FLOAT, "装备数控化率", "NC equipment rate", aliases=("装备数控化率",), nonneg=True),
        C("energy_per_va_change_pct", FLOAT, "单位工业增加值能耗变化率", "change in energy per value added",
          aliases=("单位工业增加值能耗降幅",)),
        C("circular_transformation_rate", FLOAT, "园区循环化改造率", "circular transformation rate", aliases=("循环化改造率",), nonneg=True),
        C("approved_unsupplied_mu", FLOAT, "批而未供土地(亩)", "approved but unsupplied (mu)", aliases=("批而未供",), nonneg=True),
        C("idle_disposal_done", BOOL, "闲置土地处置任务完成", "idle-land disposal task met", aliases=("闲置土地处置完成",)),
        C("unsupplied_disposal_done", BOOL, "批而未供处置任务完成", "unsupplied-land disposal task met", aliases=("批而未供处置完成",)),
        C("land_supplied_mu", FLOAT, "当年供应建设用地(亩)", "construction land supplied in the year (mu)",
          aliases=("年度供地面积", "当年供地面积"), nonneg=True),
        C("rd_institution_share", FLOAT, "有研发机构的规上工业企业占比", "share of above-scale industrial firms with an R&D institution",
          aliases=("有研发机构的规上企业占比",), nonneg=True),
    ),
    key=("pilot_area_code", "year"),
    year_column="year",
)

LAND_RIGHTS = Layer(
    "land_rights",
    "土地使用权登记",
    (
        C("parcel_code", STR, "宗地代码", "parcel code", req=True, aliases=("宗地编号", "ZDDM")),
        C("holder_uscc", STR, "权利人统一社会信用代码", "holder USCC", aliases=("权利人代码", "使用权人代码", "holder_usc")),
        C("valid_from", DATE, "起始日期", "valid from", req=True, aliases=("登记日期", "取得日期", "生效日期")),
        C("valid_to", DATE, "终止日期", "valid to (first day no longer in force)", aliases=("注销日期", "失效日期")),
        C("land_use_code", STR, "土地用途代码", "land use code", aliases=("用途代码", "地类编码", "DLBM", "TDYT")),
        C("land_use_scheme", STR, "用途分类标准", "land use scheme", aliases=("分类标准",), choices=("gbt21010", "ydyh2023", "gb50137")),
        C("event", STR, "变更类型", "event", aliases=("登记类型", "变更原因"),
          choices=("出让", "转让", "划拨", "收回", "合并", "分割", "其他")),
    ),
    key=("parcel_code", "valid_from"),
)

PILOT_AREA_ZONES = Layer(
    "pilot_area_zones",
    "试验区管理的开发区",
    (
        C("pilot_area_code", STR, "试验区代码", "pilot area code", req=True, aliases=("试验区编码",)),
        C("pilot_area_name", STR, "试验区名称", "pilot area name"),
        C("zone_code", STR, "开发区代码", "zone code", req=True, aliases=("开发区编码", "KFQDM")),
        C("role", STR, "管理方式", "role", req=True, aliases=("管理关系",), choices=("direct", "territorial")),
        C("valid_from", DATE, "起始日期", "valid from", aliases=("生效日期",)),
        C("valid_to", DATE, "终止日期", "valid to (first day no longer in force)", aliases=("失效日期",)),
    ),
    key=("pilot_area_code", "zone_code", "valid_from"),
)

ENTERPRISE_PERIODS = Layer(
    "enterprise_periods",
    "企业月度/季度/半年数据",
    (
        C("uscc", STR, "统一社会信用代码", "USCC", req=True, aliases=("信用代码", "社会信用代码", "TYSHXYDM")),
        C("period", STR, "期间", "period (2025Q1, 2025H1, 2025-09)", req=True, aliases=("统计期", "报告期")),
        C("revenue_wan", FLOAT, "营业收入(万元)", "revenue (万元)", req=True, aliases=("营业收入", "主营业务收入"), nonneg=True),
        C("tax_wan", FLOAT, "实缴税金(万元)", "tax paid (万元)", req=True, aliases=("实缴税金", "税收", "实缴税收"), nonneg=True),
        C("value_added_wan", FLOAT, "工业增加值(万元)", "value added (万元)", aliases=("工业增加值", "增加值")),
        C("energy_tce", FLOAT, "综合能耗(吨标准煤)", "energy (tce)", aliases=("综合能耗", "能耗"), nonneg=True),
        C("electricity_mwh", FLOAT, "用电量(兆瓦时)", "electricity (MWh)", aliases=("用电量",), nonneg=True),
        C("fixed_asset_investment_wan", FLOAT, "累计固定资产投资(万元)", "cumulative fixed-asset investment (万元)",
          aliases=("固定资产投资", "累计固定资产投资"), nonneg=True),
    ),
    key=("uscc", "period"),
)

INPUT_LAYERS: tuple[Layer, ...] = (ZONES, PARCELS, ENTERPRISES, ENTERPRISE_YEARS, BUILDINGS, LEASES, PILOT_AREA_YEARS,
                                   LAND_RIGHTS, PILOT_AREA_ZONES, ENTERPRISE_PERIODS)

# ----------------------------------------------------------------------------------------------
# The whole zone: the intensive-use survey (开发区土地集约利用评价, TD/T 1029) and the figures a zone
# reports officially. Aliases are the field codes of the national survey database.
# ----------------------------------------------------------------------------------------------

#: 开发区评价范围 (KFQPJFW); an empty range in land_survey means 主区 (2012 national schema)
SURVEY_RANGES = ("主区", "发展方向区")
#: the whole zone, a row of zone_survey_results computed on all 图斑 together
WHOLE_ZONE = "全区"

LAND_SURVEY = Layer(
    "land_survey",
    "开发区土地利用现状调查",
    (
        C("zone_code", STR, "开发区代码", "zone code", req=True, aliases=("开发区编码", "KFQDM")),
        C("survey_year", INT, "调查年度", "survey year", req=True, aliases=("评价年度", "调查年份", "survey_yea")),
        C("patch_code", STR, "图斑编号", "patch code", req=True, aliases=("TBBH",)),
        C("land_class", STR, "地类代码", "land class (开发区土地利用现状分类)", req=True, aliases=("DLDM",)),
        C("area_m2", FLOAT, "图斑面积(平方米)", "recorded area (m²)", aliases=("DLMJ", "地类面积"), nonneg=True),
        C("supply_type", STR, "供应类型代码", "supply type", aliases=("GYDM", "供应代码")),
        C("supply_date", DATE, "供应时间", "supply date", aliases=("GYSJ", "供地时间")),
        C("range", STR, "评价范围", "evaluated range", aliases=("KFQPJFW", "开发区评价范围"), choices=SURVEY_RANGES),
        C("floor_area_m2", FLOAT, "建筑面积(平方米)", "floor area (m²)", aliases=("JZMJ", "建筑面积"), nonneg=True),
        C("footprint_area_m2", FLOAT, "建筑基底面积(平方米)", "building footprint (m²)",
          aliases=("JZJDMJ", "建筑基底面积", "建筑基地面积"), nonneg=True),
        C("user_name", STR, "土地使用者", "land user", aliases=("TDSYZ", "使用权人")),
        C("ownership", STR, "权属性质", "ownership (国有/集体)", aliases=("QS", "权属")),
        C("idle", BOOL, "是否闲置", "idle land", aliases=("闲置", "闲置土地")),
    ),
    key=("zone_code", "survey_year", "range", "patch_code"),
    geometry="Polygon",
    year_column="survey_year",
)

ZONE_YEARS = Layer(
    "zone_years",
    "开发区年度统计",
    (
        C("zone_code", STR, "开发区代码", "zone code", req=True, aliases=("开发区编码", "KFQDM")),
        C("year", INT, "年度", "year", req=True, aliases=("年份", "统计年度")),
        C("range", STR, "评价范围", "evaluated range (empty: whole zone)", aliases=("KFQPJFW", "开发区评价范围"),
          choices=SURVEY_RANGES),
        C("reported_revenue_wan", FLOAT, "营业收入(万元)", "reported revenue (万元)",
          aliases=("营业收入", "开发区营业收入"), nonneg=True),
        C("reported_developed_mu", FLOAT, "已开发面积(亩)", "reported developed area (mu)",
          aliases=("已开发面积",), nonneg=True),
        C("fixed_asset_investment_wan", FLOAT, "固定资产投资总额(万元)", "cumulative fixed-asset investment (万元)",
          aliases=("GDZCTZZE", "固定资产投资总额", "固定资产投资"), nonneg=True),
        C("industrial_revenue_wan", FLOAT, "工业企业总收入(万元)", "industrial revenue (万元)",
          aliases=("GYZSR", "工业总收入"), nonneg=True),
        C("industrial_tax_wan", FLOAT, "工业税收总额(万元)", "industrial tax (万元)",
          aliases=("GYSSZE", "工业税收总额", "工业税收"), nonneg=True),
        C("secondary_tertiary_tax_wan", FLOAT, "二三产业税收总额(万元)", "secondary and tertiary industry tax (万元)",
          aliases=("ESCYSSZE", "二三产业税收总额", "二三产业税收"), nonneg=True),
        C("population", FLOAT, "常住人口(人)", "population", aliases=("CZRK", "常住人口"), nonneg=True),
        C("approved_area_ha", FLOAT, "审批面积(公顷)", "approved area (ha)", aliases=("SPTDZMJ", "审批面积", "审批土地总面积"), nonneg=True),
        C("evaluated_area_ha", FLOAT, "评价面积(公顷)", "evaluated area (ha)", aliases=("KFQPJMJ", "评价面积"), nonneg=True),
    ),
    key=("zone_code", "year", "range"),
    year_column="year",
)

INPUT_LAYERS = INPUT_LAYERS + (LAND_SURVEY, ZONE_YEARS)

# ----------------------------------------------------------------------------------------------
# Outputs (for a year, with the policy version that produced them)
# ----------------------------------------------------------------------------------------------

_POLICY = (
    C("policy_version", STR, "政策版本", "policy version"),
    C("policy_hash", STR, "政策文件哈希", "policy hash"),
    C("inputs_hash", STR, "输入数据状态哈希", "inputs hash"),
)

_PER_MU = (
    C("revenue_wan", FLOAT, "营业收入(万元)", "revenue (万元)"),
    C("tax_wan", FLOAT, "税收(万元)", "tax (万元)"),
    C("value_added_wan", FLOAT, "工业增加值(万元)", "value added (万元)"),
    C("energy_tce", FLOAT, "综合能耗(吨标准煤)", "energy (tce)"),
    C("investment_wan", FLOAT, "累计固定资产投资(万元)", "investment (万元)"),
    C("revenue_per_mu", FLOAT, "亩均营业收入(万元/亩)", "revenue per mu (万元/亩)"),
    C("tax_per_mu", FLOAT, "亩均税收(万元/亩)", "tax per mu (万元/亩)"),
    C("value_added_per_mu", FLOAT, "亩均增加值(万元/亩)", "value added per mu (万元/亩)"),
    C("investment_per_mu", FLOAT, "投资强度(万元/亩)", "investment intensity (万元/亩)"),
)

PARCEL_RESULTS = Layer(
    "parcel_results",
    "宗地评价结果",
    (
        C("parcel_code", STR, "宗地代码", "parcel code", req=True),
        C("zone_code", STR, "开发区代码", "zone code"),
        C("year", INT, "年度", "year", req=True),
        C("area_mu", FLOAT, "面积(亩)", "area (mu)"),
        C("area_source", STR, "面积来源", "area source"),
        C("geodesic_area_mu", FLOAT, "椭球面积(亩)", "geodesic area (mu)"),
        C("developed", BOOL, "已开发", "developed"),
        C("industrial", BOOL, "工业仓储用地", "industrial/warehousing land"),
        C("stage", STR, "生命周期阶段", "life-cycle stage"),
        C("holder_uscc", STR, "权利人统一社会信用代码", "holder USCC"),
        C("holder_name", STR, "权利人", "holder"),
        C("n_users", INT, "用地企业数", "enterprises on parcel"),
        C("no_enterprise", BOOL, "已开发无使用企业", "developed, nobody uses it"),
        C("output_status", STR, "产出申报情况", "output reported",
          choices=("no_user", "reported", "reported_zero", "partly_reported", "not_reported")),
        C("reported_share", FLOAT, "已申报用地比例", "share of the land whose users reported"),
        C("reported_mu", FLOAT, "已申报用地(亩)", "land whose users reported (mu)"),
        *_PER_MU,
        C("far", FLOAT, "容积率", "FAR"),
        C("building_coverage", FLOAT, "建筑密度(建筑基底/宗地面积)", "building density (footprint / area)"),
        C("building_coefficient", FLOAT, "建筑系数(含构筑物、堆场)", "building coefficient (with structures and yards)"),
        C("built_up_share", FLOAT, "遥感建成比例", "built-up share (raster)"),
        C("flags", STR, "问题代码", "flags (reason codes)"),
        C("flag_count", INT, "问题数", "number of flags"),
        C("max_severity", INT, "最高严重程度", "highest severity"),
        C("priority", INT, "处置优先序", "priority rank"),
        C("gain_mu", FLOAT, "可腾退土地(亩)", "land freed if fixed (mu)"),
        C("gain_wan", FLOAT, "整改后增收(万元)", "revenue gain if fixed (万元)"),
        *_POLICY,
    ),
    key=("parcel_code", "year"),
    geometry="Polygon",
    geometry_required=False,
    output=True,
    year_column="year",
)

ENTERPRISE_RESULTS = Layer(
    "enterprise_results",
    "企业评价结果",
    (
        C("uscc", STR, "统一社会信用代码", "USCC", req=True),
        C("year", INT, "年度", "year", req=True),
        C("name", STR, "企业名称", "name"),
        C("zone_code", STR, "主要所在开发区", "main zone"),
        C("county_code", STR, "县级行政区代码", "county code"),
        C("industry_code", STR, "行业代码", "industry code"),
        C("above_scale", BOOL, "是否规上", "above scale"),
        C("linked", BOOL, "已关联用地", "linked to land"),
        C("land_mu", FLOAT, "用地面积(亩)", "land used (mu)"),
        C("own_land_mu", FLOAT, "自有用地(亩)", "own land (mu)"),
        C("leased_land_mu", FLOAT, "租赁折算用地(亩)", "land converted from leases (mu)"),
        *_PER_MU,
        C("va_per_energy", FLOAT, "单位能耗增加值(万元/吨标准煤)", "value added per tce"),
        C("va_per_emission", FLOAT, "单位排放增加值(万元/吨)", "value added per t emission"),
        C("labour_productivity", FLOAT, "全员劳动生产率(万元/人)", "labour productivity (万元/person)"),
        C("rd_share", FLOAT, "研发经费占比", "R&D share of revenue"),
        C("tax_per_mwh", FLOAT, "单位电耗税收(万元/兆瓦时)", "tax per MWh"),
        C("score", FLOAT, "综合得分", "score"),
        C("grade", STR, "评价等级", "grade"),
        C("grade_group", STR, "评价分组", "grading group"),
        C("grade_note", STR, "未评级原因/说明", "reason for no grade / note"),
        *_POLICY,
    ),
    key=("uscc", "year"),
    output=True,
    year_column="year",
)

_AREA_RESULT_COLS = (
    C("year", INT, "年度", "year", req=True),
    C("developed_mu", FLOAT, "实际开发工业用地(亩)", "developed industrial land (mu)"),
    *_PER_MU,
    C("far", FLOAT, "容积率", "FAR"),
    C("building_coverage", FLOAT, "建筑密度", "building density (footprint)"),
    C("baseline_year", INT, "基期年", "baseline year"),
    C("baseline_revenue_per_mu", FLOAT, "基期亩均营业收入(万元/亩)", "baseline revenue per mu"),
    C("growth", FLOAT, "较基期增长", "growth on baseline"),
    C("target_growth", FLOAT, "目标增长", "target growth"),
    C("goal_met", BOOL, "是否达标", "goal met"),
    C("expected_revenue_per_mu", FLOAT, "路径期望值(万元/亩)", "expected on path (万元/亩)"),
    C("on_track", BOOL, "是否按进度", "on track"),
    C("like_for_like_growth", FLOAT, "同口径增长", "like-for-like growth"),
    C("revenue_growth_part", FLOAT, "增长分解:收入贡献", "decomposition: revenue"),
    C("area_growth_part", FLOAT, "增长分解:面积贡献", "decomposition: developed area"),
    C("revenue_coverage", FLOAT, "营收数据覆盖率", "revenue coverage (reported developed mu / developed mu)"),
    C("baseline_revenue_coverage", FLOAT, "基期营收数据覆盖率", "baseline revenue coverage"),
    C("provisional", BOOL, "暂定(数据不全)", "provisional (thin data)"),
    C("reported_developed_mu", FLOAT, "统计上报已开发面积(亩)", "reported developed area (mu, official)"),
    C("reported_revenue_wan", FLOAT, "统计上报营业收入(万元)", "reported revenue (万元, official)"),
    C("reported_revenue_per_mu", FLOAT, "统计上报亩均营业收入(万元/亩)", "reported revenue per mu (official)"),
    C("revenue_other_land_wan", FLOAT, "其他用地上的营业收入(万元)", "revenue on other land (万元)"),
    C("value_added_coverage", FLOAT, "增加值数据覆盖率", "value-added coverage"),
    C("investment_coverage", FLOAT, "投资数据覆盖率", "investment coverage"),
    C("sf_buildings", INT, "已验收标准厂房(栋)", "accepted standard factories"),
    C("sf_floor_area_m2", FLOAT, "标准厂房建筑面积(平方米)", "standard factory floor area (m²)"),
    C("sf_leased_m2", FLOAT, "已入驻面积(平方米)", "occupied floor area (m²)"),
    C("occupancy_rate", FLOAT, "标准厂房入驻率(面积)", "occupancy (floor area)"),
    C("occupancy_rate_count", FLOAT, "标准厂房入驻率(栋数，出租面积过半计入)", "occupancy (buildings at least half let)"),
    C("occupancy_met", BOOL, "入驻率达标", "occupancy target met"),
    C("development_rate", FLOAT, "土地开发率", "development rate"),
    C("supply_rate", FLOAT, "土地供应率", "supply rate"),
    C("built_rate", FLOAT, "土地建成率", "built rate"),
    C("industrial_share", FLOAT, "工业用地率", "industrial land share"),
    C("far_overall", FLOAT, "综合容积率", "overall FAR"),
    C("coverage_overall", FLOAT, "建筑密度", "overall building density"),
    C("far_industrial", FLOAT, "工业用地综合容积率", "industrial FAR"),
    C("coverage_industrial", FLOAT, "工业用地建筑系数", "industrial building coverage"),
    C("investment_intensity", FLOAT, "工业用地投入强度(万元/亩)", "industrial investment intensity"),
    C("tax_per_industrial_mu", FLOAT, "工业用地地均税收(万元/亩)", "tax per industrial mu"),
    C("idle_rate", FLOAT, "土地闲置率", "idle rate"),
    C("zone_type", STR, "开发区类型", "zone type"),
    C("intensive_score", FLOAT, "集约度分值", "intensive-use score"),
    C("intensive_rank", INT, "集约度排名(同类型)", "intensive-use rank within type"),
    C("flagged_share", FLOAT, "低效闲置用地占比", "share of flagged land"),
    C("score", FLOAT, "综合得分", "composite score"),
    C("rank", INT, "排名", "rank"),
    C("rank_change", INT, "排名变化", "rank change"),
    C("quota_mu", FLOAT, "建议新增建设用地指标(亩)", "recommended quota (mu)"),
    C("quota_explanation", STR, "指标测算说明", "quota explanation"),
    *_POLICY,
)

ZONE_RESULTS = Layer(
    "zone_results",
    "开发区评价结果",
    (
        C("zone_code", STR, "开发区代码", "zone code", req=True),
        C("zone_name", STR, "开发区名称", "zone name"),
        C("pilot_area_code", STR, "试验区代码", "pilot area code"),
        *_AREA_RESULT_COLS,
        C("intensive_basis", STR, "集约利用指标依据", "basis of the intensive-use figures (survey:<year> | parcels)"),
    ),
    key=("zone_code", "year"),
    geometry="Polygon",
    geometry_required=False,
    output=True,
    year_column="year",
)

PILOT_AREA_RESULTS = Layer(
    "pilot_area_results",
    "试验区评价结果",
    (
        C("pilot_area_code", STR, "试验区代码", "pilot area code", req=True),
        C("pilot_area_name", STR, "试验区名称", "pilot area name"),
        *_AREA_RESULT_COLS,
        C("va_gdp_share", FLOAT, "工业增加值占GDP比重", "industrial VA share of GDP"),
        C("rd_share", FLOAT, "规上工业研发经费占营业收入比重", "R&D share (above-scale)"),
        C("rd_institution_share", FLOAT, "有研发机构的规上企业占比", "share of above-scale firms with R&D institution"),
        C("digital_equipment_rate", FLOAT, "生产设备数字化率", "digitalised equipment rate"),
        C("nc_equipment_rate", FLOAT, "装备数控化率", "NC equipment rate"),
        C("energy_per_va_change_pct", FLOAT, "单位工业增加值能耗变化率", "energy per VA change"),
        C("circular_transformation_rate", FLOAT, "园区循环化改造率", "circular transformation rate"),
        C("targets_met", INT, "达标目标数", "targets met"),
        C("targets_total", INT, "考核目标数", "targets assessed"),
        C("unlinked_revenue_wan", FLOAT, "未关联用地企业营业收入(万元)", "revenue of firms linked to no land (万元)"),
    ),
    key=("pilot_area_code", "year"),
    output=True,
    year_column="year",
)

FLAGS = Layer(
    "flags",
    "低效闲置用地问题",
    (
        C("parcel_code", STR, "宗地代码", "parcel code", req=True),
        C("zone_code", STR, "开发区代码", "zone code"),
        C("year", INT, "年度", "year", req=True),
        C("rule", STR, "规则代码", "rule", req=True),
        C("label", STR, "问题", "problem"),
        C("severity", INT, "严重程度", "severity"),
        C("evidence", STR, "依据", "evidence"),
        C("action", STR, "建议措施", "recommended action"),
        C("gain_mu", FLOAT, "可腾退土地(亩)", "land freed (mu)"),
        C("gain_wan", FLOAT, "整改后增收(万元)", "revenue gain (万元)"),
        *_POLICY,
    ),
    key=("parcel_code", "year", "rule"),
    output=True,
    year_column="year",
)

BUILDING_RESULTS = Layer(
    "building_results",
    "标准厂房入驻情况",
    (
        C("building_code", STR, "建筑代码", "building code", req=True),
        C("parcel_code", STR, "宗地代码", "parcel code"),
        C("zone_code", STR, "开发区代码", "zone code"),
        C("year", INT, "年度", "year", req=True),
        C("as_of", DATE, "统计日期", "as of"),
        C("accepted", BOOL, "已竣工验收", "accepted"),
        C("excluded_reason", STR, "未计入原因", "reason excluded"),
        C("floor_area_m2", FLOAT, "建筑面积(平方米)", "floor area (m²)"),
        C("leased_m2", FLOAT, "已入驻面积(平方米)", "occupied (m²)"),
        C("vacant_m2", FLOAT, "空置面积(平方米)", "vacant (m²)"),
        C("occupancy_rate", FLOAT, "入驻率", "occupancy"),
        C("tenants", INT, "入驻企业数", "tenants"),
        *_POLICY,
    ),
    key=("building_code", "year"),
    output=True,
    year_column="year",
)

OUTPUT_LAYERS: tuple[Layer, ...] = (
    PARCEL_RESULTS, ENTERPRISE_RESULTS, ZONE_RESULTS, PILOT_AREA_RESULTS, FLAGS, BUILDING_RESULTS,
)

#: zone_survey_results: TD/T 1029 on one basis (the survey), per zone, survey year and range
ZONE_SURVEY_RESULTS = Layer(
    "zone_survey_results",
    "开发区土地集约利用评价结果",
    (
        C("zone_code", STR, "开发区代码", "zone code", req=True),
        C("survey_year", INT, "调查年度", "survey year", req=True),
        C("range", STR, "评价范围", "range (主区/发展方向区/全区)", req=True),
        C("zone_name", STR, "开发区名称", "zone name"),
        C("patches", INT, "图斑数", "patches"),
        C("total_ha", FLOAT, "评价总面积(公顷)", "evaluated area (ha)"),
        C("built_ha", FLOAT, "已建成城镇建设用地(公顷)", "built urban land A (ha)"),
        C("buildable_ha", FLOAT, "可建设土地(公顷)", "buildable land A+B (ha)"),
        C("ready_ha", FLOAT, "已达到供地条件土地(公顷)", "built or ready to supply A+B21 (ha)"),
        C("supplied_ha", FLOAT, "已供应土地(公顷)", "supplied land D (ha)"),
        C("industrial_ha", FLOAT, "工矿仓储用地(公顷)", "industrial and warehousing land A2 (ha)"),
        C("residential_ha", FLOAT, "住宅用地(公顷)", "residential land A1 (ha)"),
        C("unbuildable_ha", FLOAT, "不可建设土地(公顷)", "unbuildable land C (ha)"),
        C("idle_ha", FLOAT, "闲置土地(公顷)", "idle land (ha)"),
        C("development_rate", FLOAT, "土地开发率", "development rate"),
        C("supply_rate", FLOAT, "土地供应率", "supply rate"),
        C("built_rate", FLOAT, "土地建成率", "built rate"),
        C("industrial_share", FLOAT, "工业用地率", "industrial land share"),
        C("residential_share", FLOAT, "住宅用地率", "residential land share"),
        C("far", FLOAT, "综合容积率", "overall FAR"),
        C("building_density", FLOAT, "建筑密度", "building density"),
        C("industrial_far", FLOAT, "工业用地综合容积率", "industrial FAR"),
        C("industrial_coverage", FLOAT, "工业用地建筑系数", "industrial building coverage"),
        C("investment_intensity_wan_per_ha", FLOAT, "工业用地固定资产投入强度(万元/公顷)",
          "industrial investment intensity (万元/ha)"),
        C("industrial_tax_wan_per_ha", FLOAT, "工业用地地均税收(万元/公顷)", "industrial tax per ha (万元/ha)"),
        C("composite_tax_wan_per_ha", FLOAT, "综合地均税收(万元/公顷)", "tax per ha of built land (万元/ha)"),
        C("population_density_per_ha", FLOAT, "人口密度(人/公顷)", "population density (persons/ha)"),
        C("idle_rate", FLOAT, "土地闲置率", "idle rate"),
        C("zone_type", STR, "开发区类型", "zone type (工业主导型/产城融合型/其他)"),
        C("zone_type_basis", STR, "类型判定依据", "zone type decided by"),
        C("range_weight", FLOAT, "范围权重", "range weight"),
        C("score", FLOAT, "集约度分值", "intensive-use score"),
        C("rank", INT, "排名(同类型)", "rank within type"),
        C("note", STR, "说明", "note (missing indicators, data errors)"),
        *_POLICY,
    ),
    key=("zone_code", "survey_year", "range"),
    output=True,
    year_column="survey_year",
)

OUTPUT_LAYERS = OUTPUT_LAYERS + (ZONE_SURVEY_RESULTS,)
ALL_LAYERS: tuple[Layer, ...] = INPUT_LAYERS + OUTPUT_LAYERS
LAYERS: dict[str, Layer] = {layer.name: layer for layer in ALL_LAYERS}


def layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known: {', '.join(LAYERS)}") from None


def zh_headers(name: str) -> dict[str, str]:
    """English column name → Chinese header, for Excel output."""
    return {c.name: c.zh for c in layer(name).columns}


def alias_map(name: str) -> dict[str, str]:
    """Every accepted header (lower-cased, stripped) → column name, for one layer."""
    out: dict[str, str] = {}
    for c in layer(name).columns:
        for a in (c.name, c.zh, c.en, *c.aliases):
            out.setdefault(a.strip().lower(), c.name)
    return out


# ----------------------------------------------------------------------------------------------
# The disposal ledger (处置台账): a table of the data package that is also edited in the product.
# Not an input or results layer: it is kept in the store's ``disposals`` table (with ``zone_code``,
# ``planned_mu``, ``reason`` and ``revision`` besides the contract's columns) and its dated progress
# notes in ``disposal_notes``; see landuse/services/ledger.py.
# ----------------------------------------------------------------------------------------------

DISPOSAL_METHODS = ("收回", "协议置换", "二次开发", "技改增容", "兼并重组", "腾笼换鸟", "征缴闲置费", "延长动工期限", "其他")
DISPOSAL_STATUSES = ("待处置", "处置中", "已完成", "已核销")

DISPOSALS = Layer(
    "disposals",
    "处置台账",
    (
        C("parcel_code", STR, "宗地代码", "parcel code", req=True, aliases=("宗地编号", "ZDDM")),
        C("rule", STR, "问题规则代码", "rule (the flag it answers)", aliases=("规则代码", "低效类型代码")),
        C("method", STR, "处置方式", "disposal method", req=True, aliases=("处置措施",), choices=DISPOSAL_METHODS),
        C("responsible", STR, "计划实施单位", "responsible unit", aliases=("责任单位", "实施单位")),
        C("opened", DATE, "立项日期", "opened", req=True, aliases=("登记日期", "开始日期")),
        C("deadline", DATE, "处置期限", "deadline", aliases=("完成期限", "新动工期限")),
        C("status", STR, "当前状态", "status", req=True, aliases=("处置状态",), choices=DISPOSAL_STATUSES),
        C("closed", DATE, "办结日期", "closed", aliases=("完成日期", "核销日期")),
        C("disposed_mu", FLOAT, "处置面积(亩)", "disposed area (mu)", aliases=("处置面积",), nonneg=True),
        C("fee_collected_wan", FLOAT, "已征收闲置费(万元)", "idle fee collected (万元)", aliases=("已缴闲置费",), nonneg=True),
        C("note", STR, "备注", "note", aliases=("说明",)),
        # extensions kept by the product
        C("zone_code", STR, "开发区代码", "zone code", aliases=("所属开发区", "KFQDM")),
        C("planned_mu", FLOAT, "计划处置面积(亩)", "planned area (mu)", aliases=("计划处置面积",), nonneg=True),
        C("reason", STR, "核销理由", "write-off reason", aliases=("核销原因",)),
        C("revision", INT, "版本号", "revision"),
    ),
    key=("parcel_code", "rule"),
)

#: Results layers that do not store a copy of their unit's polygon: the stores keep the rows without
#: geometry and join it from the input layer on the key when a reader asks for geometry (a year of
#: ``parcel_results`` would otherwise repeat every parcel's polygon). On a GeoPackage the layer is
#: an attribute table and ``<name>_map`` a view with the joined geometry, for QGIS.
#: layer → (layer holding the geometry, join column, name of the GeoPackage view)
GEOMETRY_FROM: dict[str, tuple[str, str, str]] = {
    "parcel_results": ("parcels", "parcel_code", "parcel_results_map"),
}
