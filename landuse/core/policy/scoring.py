"""Policy sections: land intensive-use evaluation, composite score, quota tilt.

Leaf module. Defaults live in ``landuse/core/policy/default.toml`` (``[intensive]``, ``[score]``,
``[quota]``); the defaults given here match the file so that a policy without these sections still
loads. Every number has a source note in the section's ``notes`` table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from landuse.core.policy.base import Section

ZoneType = Literal["industrial", "mixed", "other"]

#: the indicators ``evaluation.intensive.intensive_use`` can compute
INTENSIVE_INDICATORS = (
    "development_rate",
    "supply_rate",
    "built_rate",
    "industrial_share",
    "far_overall",
    "coverage_overall",
    "far_industrial",
    "coverage_industrial",
    "investment_intensity",
    "tax_per_industrial_mu",
    "tax_per_built_mu",
    "population_density",
    "idle_rate",
)

#: the indicators ``evaluation.survey`` computes from the intensive-use survey (docs/domain.md §12)
SURVEY_INDICATORS = (
    "development_rate",
    "supply_rate",
    "built_rate",
    "industrial_share",
    "far",
    "building_density",
    "industrial_far",
    "industrial_coverage",
    "investment_intensity_wan_per_ha",
    "industrial_tax_wan_per_ha",
    "composite_tax_wan_per_ha",
    "population_density_per_ha",
    "idle_rate",
)

#: the composite-score components ``evaluation.scoring`` knows
SCORE_COMPONENTS = ("intensive", "growth", "occupancy", "pilot_targets", "unflagged")


class IndicatorSpec(BaseModel):
    """One intensive-use indicator: its target layer, weight in the layer, ideal value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: target layer (目标层) the indicator belongs to; must be a key of ``IntensivePolicy.layers``
    layer: str
    #: weight within the layer (renormalised over the indicators that apply to a zone and have a value)
    weight: float = Field(ge=0)
    #: ideal value (理想值); score = min(value / ideal, 1), or min(ideal / value, 1) when negative
    ideal: float = Field(gt=0)
    #: lower is better (e.g. 土地闲置率)
    negative: bool = False
    #: zone types the indicator is used for (工业主导型 industrial / 产城融合型 mixed)
    applies_to: list[ZoneType] = Field(default_factory=lambda: list[ZoneType](["industrial", "mixed"]))
    zh: str = ""


def _default_layers() -> dict[str, float]:
    return {"land_use": 0.45, "efficiency": 0.40, "management": 0.15}


def _default_indicators() -> dict[str, IndicatorSpec]:
    I = IndicatorSpec  # noqa: E741,N806
    return {
        "development_rate": I(layer="land_use", weight=0.15, ideal=1.0, zh="土地开发率"),
        "supply_rate": I(layer="land_use", weight=0.15, ideal=1.0, zh="土地供应率"),
        "built_rate": I(layer="land_use", weight=0.15, ideal=1.0, zh="土地建成率"),
        "industrial_share": I(layer="land_use", weight=0.15, ideal=0.5, zh="工业用地率"),
        "far_overall": I(layer="land_use", weight=0.10, ideal=1.2, zh="综合容积率"),
        "coverage_overall": I(layer="land_use", weight=0.10, ideal=0.4, zh="建筑密度"),
        "far_industrial": I(layer="land_use", weight=0.10, ideal=1.2, zh="工业用地综合容积率"),
        "coverage_industrial": I(layer="land_use", weight=0.10, ideal=0.5, zh="工业用地建筑系数"),
        "investment_intensity": I(layer="efficiency", weight=0.5, ideal=600.0, applies_to=["industrial"],
                                  zh="工业用地固定资产投入强度"),
        "tax_per_industrial_mu": I(layer="efficiency", weight=0.5, ideal=45.0, applies_to=["industrial"],
                                   zh="工业用地地均税收"),
        "tax_per_built_mu": I(layer="efficiency", weight=0.5, ideal=30.0, applies_to=["mixed"], zh="综合地均税收"),
        "population_density": I(layer="efficiency", weight=0.5, ideal=10000.0, applies_to=["mixed"],
                                zh="人口密度(人/平方公里)"),
        "idle_rate": I(layer="management", weight=1.0, ideal=0.02, negative=True, zh="土地闲置率"),
    }


def _default_survey_indicators() -> dict[str, IndicatorSpec]:
    I = IndicatorSpec  # noqa: E741,N806
    ind = ["industrial", "other"]
    return {
        "development_rate": I(layer="land_use", weight=0.20, ideal=1.0, applies_to=["industrial", "mixed", "other"],
                              zh="土地开发率"),
        "supply_rate": I(layer="land_use", weight=0.20, ideal=1.0, applies_to=["industrial", "mixed", "other"],
                         zh="土地供应率"),
        "built_rate": I(layer="land_use", weight=0.20, ideal=1.0, applies_to=["industrial", "mixed", "other"],
                        zh="土地建成率"),
        "industrial_share": I(layer="land_use", weight=0.10, ideal=0.5, applies_to=ind, zh="工业用地率"),
        "far": I(layer="land_use", weight=0.10, ideal=1.2, applies_to=["industrial", "mixed", "other"], zh="综合容积率"),
        "building_density": I(layer="land_use", weight=0.10, ideal=0.4, applies_to=["industrial", "mixed", "other"],
                              zh="建筑密度"),
        "industrial_far": I(layer="land_use", weight=0.05, ideal=1.2, applies_to=ind, zh="工业用地综合容积率"),
        "industrial_coverage": I(layer="land_use", weight=0.05, ideal=0.5, applies_to=ind, zh="工业用地建筑系数"),
        "investment_intensity_wan_per_ha": I(layer="efficiency", weight=0.5, ideal=9000.0, applies_to=ind,
                                             zh="工业用地固定资产投入强度(万元/公顷)"),
        "industrial_tax_wan_per_ha": I(layer="efficiency", weight=0.5, ideal=675.0, applies_to=ind,
                                       zh="工业用地地均税收(万元/公顷)"),
        "composite_tax_wan_per_ha": I(layer="efficiency", weight=0.5, ideal=450.0, applies_to=["mixed"],
                                      zh="综合地均税收(万元/公顷)"),
        "population_density_per_ha": I(layer="efficiency", weight=0.5, ideal=100.0, applies_to=["mixed"],
                                       zh="人口密度(人/公顷)"),
        "idle_rate": I(layer="management", weight=1.0, ideal=0.02, negative=True,
                       applies_to=["industrial", "mixed", "other"], zh="土地闲置率"),
    }


def _default_survey_plausible() -> dict[str, list[float]]:
    return {
        "far": [0.005, 20.0], "industrial_far": [0.005, 20.0],
        "investment_intensity_wan_per_ha": [0.0, 1_000_000.0], "industrial_tax_wan_per_ha": [0.0, 100_000.0],
        "composite_tax_wan_per_ha": [0.0, 100_000.0], "population_density_per_ha": [0.0, 2_000.0],
    }


class IntensivePolicy(Section):
    """开发区土地集约利用评价 (docs/domain.md §9, TD/T 1029): ideal-value method, two-level weights."""

    #: weight of each target layer (目标层); renormalised over layers with at least one value
    layers: dict[str, float] = Field(default_factory=_default_layers)
    indicators: dict[str, IndicatorSpec] = Field(default_factory=_default_indicators)
    #: 工业主导型 when industrial+warehousing land > this share of built land ...
    industrial_type_min_share: float = Field(default=0.30, ge=0, le=1)
    #: ... and residential land < this share of built land; else 产城融合型
    industrial_type_max_residential: float = Field(default=0.25, ge=0, le=1)
    #: life-cycle stages counted as built (已建成) when built land is derived from parcels
    built_stages: list[str] = Field(default_factory=lambda: ["completed", "in_production"])
    #: stages counted as supplied (已供应); everything but 'unsupplied'
    supplied_stages: list[str] = Field(
        default_factory=lambda: ["supplied", "started", "completed", "in_production", "idle"]
    )
    #: flag rule codes that mark idle land (besides stage == 'idle')
    idle_rules: list[str] = Field(default_factory=lambda: ["idle"])
    # --- the intensive-use survey (docs/domain.md §12), evaluation.survey -----------------------------
    #: weight of each evaluated range in a zone's score (the 全区 score); renormalised over the ranges a
    #: zone has
    range_weights: dict[str, float] = Field(default_factory=lambda: {"主区": 0.8, "发展方向区": 0.2})
    #: a zone whose name holds one of these words is a customs special supervision zone, 工业主导型 by rule
    customs_zone_words: list[str] = Field(default_factory=lambda: ["综合保税区", "保税区", "出口加工区"])
    #: the survey's indicators: layer (of ``layers``), weight, ideal value (per hectare), zone types
    survey_indicators: dict[str, IndicatorSpec] = Field(default_factory=_default_survey_indicators)
    #: [min, max] a survey figure can take; outside it is a data error (e.g. building area in m² against
    #: land in ha gives a FAR in the thousands): reported, never shown
    survey_plausible: dict[str, list[float]] = Field(default_factory=_default_survey_plausible)

    @model_validator(mode="after")
    def _check(self) -> IntensivePolicy:
        for name, spec in self.indicators.items():
            if name not in INTENSIVE_INDICATORS:
                raise ValueError(f"unknown intensive indicator {name!r}; known: {', '.join(INTENSIVE_INDICATORS)}")
            if spec.layer not in self.layers:
                raise ValueError(f"indicator {name!r}: layer {spec.layer!r} not in [intensive.layers]")
        for name, spec in self.survey_indicators.items():
            if name not in SURVEY_INDICATORS:
                raise ValueError(f"unknown survey indicator {name!r}; known: {', '.join(SURVEY_INDICATORS)}")
            if spec.layer not in self.layers:
                raise ValueError(f"survey indicator {name!r}: layer {spec.layer!r} not in [intensive.layers]")
        for r, w in self.range_weights.items():
            if r not in ("主区", "发展方向区") or w < 0:
                raise ValueError(f"range_weights: {r!r} = {w}: ranges are 主区 and 发展方向区, weights ≥ 0")
        for name, lim in self.survey_plausible.items():
            if name not in SURVEY_INDICATORS or len(lim) != 2 or lim[0] > lim[1]:
                raise ValueError(f"survey_plausible.{name}: [min, max] of a survey indicator")
        if any(w < 0 for w in self.layers.values()):
            raise ValueError("layer weights must be ≥ 0")
        return self


class ComponentSpec(BaseModel):
    """One composite-score component."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: expert weight (专家权重); renormalised over the components that apply to a unit
    weight: float = Field(ge=0)
    #: 'attainment': the component is already an attainment ratio, capped to [0, cap];
    #: 'minmax': (x − min)/(max − min) across the units scored together
    normalisation: Literal["attainment", "minmax"] = "attainment"
    zh: str = ""
    #: a unit with no value: 'zero' = no data, the component scores 0 (missing is not a pass);
    #: 'not_applicable' = the component does not apply, the other weights are renormalised
    missing: Literal["zero", "not_applicable"] = "zero"
    #: a headline component: a unit without data for it gets a provisional rank
    headline: bool = False


def _default_components() -> dict[str, ComponentSpec]:
    C = ComponentSpec  # noqa: N806
    return {
        "intensive": C(weight=0.25, normalisation="attainment", zh="土地集约利用"),
        "growth": C(weight=0.30, normalisation="attainment", zh="亩均营业收入增长目标完成度", headline=True),
        "occupancy": C(weight=0.15, normalisation="attainment", zh="标准厂房入驻率完成度"),
        "pilot_targets": C(weight=0.15, normalisation="attainment", zh="试验区目标完成度", missing="not_applicable"),
        "unflagged": C(weight=0.15, normalisation="attainment", zh="非低效闲置用地占比", missing="not_applicable"),
    }


class ScorePolicy(Section):
    """Composite zone / pilot-area score (docs/domain.md §9) and the pilot-area targets (§2)."""

    components: dict[str, ComponentSpec] = Field(default_factory=_default_components)
    #: 'expert': the weights above; 'entropy': entropy weight method on the components' raw values
    weight_method: Literal["expert", "entropy"] = "expert"
    #: normalisation used inside the entropy weight method (weights differ between the two);
    #: 'proportion' on raw values gives a near-constant indicator a near-zero weight
    entropy_normalisation: Literal["minmax", "proportion"] = "proportion"
    #: a component whose raw values vary less than this (coefficient of variation) gets entropy
    #: weight 0, with a warning (min–max would stretch a 0.005 spread to the full range)
    entropy_min_cv: float = Field(default=0.01, ge=0)
    #: warn when one component takes more than this share of the entropy weights
    entropy_warn_share: float = Field(default=0.5, gt=0, le=1)
    #: attainment ratios are capped here (1.0: over-achievement earns nothing extra)
    attainment_cap: float = Field(default=1.0, ge=1.0)
    #: per-mu growth attainment: 'target_share' = growth / target growth of the year (the path
    #: value for intermediate years), clipped to [0, cap] (0 % → 0, +15 % → 1); 'level_ratio' =
    #: (1 + growth)/(1 + target) (0 % → 0.87)
    growth_attainment: Literal["target_share", "level_ratio"] = "target_share"
    # pilot-area targets (seed 二, 三(三), 三(五)); growth and occupancy targets come from
    # [growth] and [occupancy]
    va_gdp_share_target: float = Field(default=0.40, ge=0)
    rd_share_target: float = Field(default=0.02, ge=0)
    #: "达到2%左右": met when rd_share ≥ target × (1 − tolerance)
    rd_share_tolerance: float = Field(default=0.10, ge=0, lt=1)
    #: "高于全省平均水平20%左右": target = provincial share (PROVINCE row of pilot_area_years) × factor
    rd_institution_factor: float = Field(default=1.2, gt=0)
    #: "左右": met when the share ≥ target × (1 − tolerance)
    rd_institution_tolerance: float = Field(default=0.10, ge=0, lt=1)
    circular_target: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> ScorePolicy:
        for name in self.components:
            if name not in SCORE_COMPONENTS:
                raise ValueError(f"unknown score component {name!r}; known: {', '.join(SCORE_COMPONENTS)}")
        if self.weight_method == "expert" and not sum(c.weight for c in self.components.values()) > 0:
            raise ValueError("expert weights must not all be zero")
        return self


class QuotaPolicy(Section):
    """Quota tilt (新增建设用地指标倾斜): a model, not a published rule (docs/domain.md §9)."""

    #: base share: 'base' column of the units (demand), or 'equal'
    base: Literal["column", "equal"] = "column"
    #: 'linear': 1 + slope × (score − mean)/mean; 'ratio': score/mean
    factor_method: Literal["linear", "ratio"] = "linear"
    slope: float = Field(default=1.0, ge=0)
    factor_min: float = Field(default=0.5, ge=0)
    factor_max: float = Field(default=1.5, gt=0)
    #: 增存挂钩, on top of each unit's own result (its share of N): both disposal tasks met →
    #: +bonus × own, either missed → −penalty × own, unknown → 0; the net comes from or returns to
    #: a reserve outside N (Σ quota = N + Σ bonus − Σ penalty)
    linkage_bonus: float = Field(default=0.10, ge=0)
    linkage_penalty: float = Field(default=0.20, ge=0, le=1)
    #: no quota where approved-but-unsupplied land / annual absorption exceeds this (years),
    #: measured where 批而未供 is measured (the pilot area's administrative region)
    max_absorption_years: float = Field(default=3.0, gt=0)
    #: annual absorption = mean land supplied per year (pilot_area_years.land_supplied_mu) over
    #: the last this many years
    absorption_window_years: int = Field(default=3, ge=1)
    #: ranked last this many years running → no expansion
    last_rank_streak_block: int = Field(default=2, ge=1)
    #: last rank among units of the same zone type (ranks are published within type), or overall
    last_rank_within: Literal["zone_type", "all"] = "zone_type"
    note: str = "模型测算，非正式发布规则 (a model, not a published rule)"

    @model_validator(mode="after")
    def _check(self) -> QuotaPolicy:
        if self.factor_min > self.factor_max:
            raise ValueError("factor_min must be ≤ factor_max")
        return self
