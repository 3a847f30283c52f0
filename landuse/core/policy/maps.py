"""Policy section: map classification and styling.

Classification schemes are mapclassify class names. ``*_bins`` are upper class bounds, used when the
scheme is ``UserDefined`` (and always for occupancy). Geometry settings trade page size for detail.

One palette per theme, used by every map the product draws (offline pages, the web map, the
GeoPackage layer styles): parcels by revenue per mu, by enterprise grade, by life-cycle stage; zones by
composite score; standard factories by occupancy. Problems are drawn over the theme as hatching and an
outline in ``problem_color``, a hue no theme uses (a test checks the hue distance).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from landuse.core.policy.base import Section

Scheme = Literal[
    "NaturalBreaks", "Quantiles", "EqualInterval", "FisherJenksSampled", "JenksCaspall", "UserDefined",
    "Percentiles", "HeadTailBreaks",
]

#: hatching patterns a problem reason can be drawn with (the page and the GeoPackage styles know them)
Hatch = Literal["diagonal", "back_diagonal", "cross", "horizontal", "vertical", "grid", "dots", "dense",
                "diagonal_dashed", "back_diagonal_dashed", "horizontal_dashed", "rings"]
HATCHES: tuple[str, ...] = ("diagonal", "back_diagonal", "cross", "horizontal", "vertical", "grid", "dots", "dense",
                            "diagonal_dashed", "back_diagonal_dashed", "horizontal_dashed", "rings")

_HEX = r"^#[0-9a-fA-F]{6}$"


def _check_colours(values, what: str):
    import re

    for v in values:
        if not isinstance(v, str) or not re.match(_HEX, v):
            raise ValueError(f"{what}: colour {v!r} is not #rrggbb")
    return values


class MapsPolicy(Section):
    #: parcels coloured by 亩均营业收入: mapclassify scheme, number of classes, bounds for UserDefined.
    #: The default is fixed bounds (UserDefined), the same on every map, zone, pilot area and year; a
    #: data-driven scheme (e.g. Quantiles) classifies each map's own parcels and says so in the legend.
    revenue_scheme: Scheme = "UserDefined"
    revenue_k: int = Field(default=5, ge=2, le=9)
    revenue_bins: list[float] = Field(default_factory=lambda: [100.0, 200.0, 300.0, 400.0, 600.0])
    #: zones coloured by composite score
    zone_score_scheme: Scheme = "UserDefined"
    zone_score_k: int = Field(default=5, ge=2, le=9)
    zone_score_bins: list[float] = Field(default_factory=lambda: [60.0, 70.0, 80.0, 90.0, 100.0])
    #: standard factories coloured by occupancy (fractions; upper class bounds)
    occupancy_bins: list[float] = Field(default_factory=lambda: [0.5, 0.8, 1.0])
    #: overview pages draw parcel polygons from this zoom level on (points below it)
    overview_parcel_min_zoom: int = Field(default=13, ge=0, le=20)
    #: Douglas-Peucker tolerance (metres, in a 3° GK projection) and coordinate quantum (degrees)
    overview_simplify_m: float = Field(default=2.0, ge=0)
    overview_quantum_deg: float = Field(default=1e-5, gt=0)
    zone_simplify_m: float = Field(default=0.3, ge=0)
    zone_quantum_deg: float = Field(default=1e-6, gt=0)
    #: raster product: default cell size (metres) and sub-cells per side used for area weighting
    raster_cell_m: float = Field(default=30.0, gt=0)
    raster_supersample: int = Field(default=4, ge=1, le=16)

    # --- palettes (one per theme; light → dark = low → high) ----------------------------------------
    #: revenue classes, low → high (as many colours as classes are spread over this list)
    revenue_colors: list[str] = Field(default_factory=lambda: [
        "#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"])
    #: enterprise grades A–D
    grade_colors: dict[str, str] = Field(default_factory=lambda: {
        "A": "#006d2c", "B": "#41ab5d", "C": "#a1d99b", "D": "#f7fcb9"})
    #: life-cycle stages (codes of parcel_results.stage)
    stage_colors: dict[str, str] = Field(default_factory=lambda: {
        "unsupplied": "#f0f0f0", "supplied": "#fee391", "started": "#a1d99b", "completed": "#9ecae1",
        "in_production": "#3182bd", "halted": "#dfc27d", "idle": "#8c510a", "recovered": "#969696"})
    #: zone composite-score classes, low → high
    zone_score_colors: list[str] = Field(default_factory=lambda: [
        "#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"])
    #: standard-factory occupancy classes, low → high
    occupancy_colors: list[str] = Field(default_factory=lambda: ["#fff7bc", "#fec44f", "#993404"])
    #: no value
    missing_color: str = Field(default="#bdbdbd", pattern=_HEX)
    #: land not yet developed (parcel_results.developed = false): its own fill, with a dashed outline
    undeveloped_color: str = Field(default="#ffffff", pattern=_HEX)
    undeveloped_outline: str = Field(default="#737373", pattern=_HEX)
    #: problems (flags): hatching and outline in this colour over the theme; a pattern per reason
    problem_color: str = Field(default="#e7298a", pattern=_HEX)
    #: hatching of each rule code; rules not listed take the patterns left over, in policy order
    problem_hatch: dict[str, Hatch] = Field(default_factory=lambda: dict[str, Hatch]({
        "idle": "cross", "obsolete": "grid", "env_safety": "dense", "standard_land_breach": "vertical",
        "production_stopped": "horizontal", "grade_d_twice": "back_diagonal", "below_commitment": "dots",
        "low_revenue": "diagonal", "low_tax": "diagonal_dashed", "low_far": "back_diagonal_dashed",
        "low_coverage": "horizontal_dashed", "rs_mismatch": "rings"}))
    #: pilot areas: outline colour (their +15 % status is written beside it)
    pilot_area_color: str = Field(default="#252525", pattern=_HEX)

    @field_validator("revenue_colors", "zone_score_colors", "occupancy_colors")
    @classmethod
    def _colour_list(cls, v, info):
        if len(v) < 2:
            raise ValueError(f"{info.field_name}: at least two colours")
        return _check_colours(v, info.field_name)

    @field_validator("grade_colors", "stage_colors")
    @classmethod
    def _colour_map(cls, v, info):
        _check_colours(v.values(), info.field_name)
        return v

    @model_validator(mode="after")
    def _bins(self):
        if self.revenue_scheme == "UserDefined" and not self.revenue_bins:
            raise ValueError("revenue_scheme = UserDefined needs revenue_bins (upper class bounds, 万元/亩)")
        if self.revenue_bins and sorted(self.revenue_bins) != list(self.revenue_bins):
            raise ValueError("revenue_bins must be ascending")
        return self
