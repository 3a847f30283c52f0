"""Policy section: map classification and styling.

Classification schemes are mapclassify class names. ``*_bins`` are upper class bounds, used when the
scheme is ``UserDefined`` (and always for occupancy). Geometry settings trade page size for detail.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from landuse.core.policy.base import Section

Scheme = Literal[
    "NaturalBreaks", "Quantiles", "EqualInterval", "FisherJenksSampled", "JenksCaspall", "UserDefined",
    "Percentiles", "HeadTailBreaks",
]


class MapsPolicy(Section):
    #: parcels coloured by 亩均营业收入: mapclassify scheme, number of classes, bounds for UserDefined
    revenue_scheme: Scheme = "NaturalBreaks"
    revenue_k: int = Field(default=5, ge=2, le=9)
    revenue_bins: list[float] = Field(default_factory=list)
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
