"""Policy sections: inefficient/idle-land rules, standard land, enterprise grading."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from landuse.core.policy.base import Section


_MODEL = ConfigDict(frozen=True, extra="forbid")

#: the generic rule kinds the engine (``evaluation.rules``) knows
RuleKind = Literal[
    "threshold", "relative_to_zone", "commitment", "flag_column", "idle", "grade_streak",
    "zero_output", "standard_land", "raster_mismatch", "coverage", "idle_data", "not_reported",
]
Op = Literal["lt", "le", "gt", "ge"]


class Rule(BaseModel):
    """One inefficient/idle-land rule (docs/domain.md §7): a reason code, a generic kind and its parameters.

    Kinds and the parameters they read:

    - ``threshold``: ``column`` (a parcel_results column) ``op`` ``threshold``; ``by_industry`` maps an
      industry-code prefix (GB/T 4754, letter optional: "C26" = "26") of the holder to its own threshold.
    - ``relative_to_zone``: ``column`` ``op`` ``fraction`` × the zone's ``statistic`` over its developed
      industrial parcels (``ratio_of_sums`` = Σ ``numerator`` / Σ area_mu, e.g. Σ tax_wan / Σ mu, the
      zone's own 亩均 figure; or ``mean`` / ``median`` of the parcel values).
    - ``commitment``: each ``pairs`` entry, column → commitment column of the parcels layer; flagged when
      the value is below ``fraction`` × the commitment (parcels without a commitment are skipped).
    - ``flag_column``: a boolean column (``flag``) of parcel_results or of the parcels input is true.
    - ``idle``: the statutory idle-land facts (evaluation.lifecycle); fee / take-back / exempt actions.
    - ``grade_streak``: the holder graded ``grade`` in each of the last ``years`` years.
    - ``zero_output``: every ``columns`` value ≤ ``max_value`` (missing counts as 0) on developed land.
    - ``standard_land``: a standard-land check of ``phases`` failed (evaluation.standard_land).
    - ``raster_mismatch``: declared stage vs the remote-sensing built-up share.
    - ``coverage``: 建筑系数 = (building footprint + structures, open yards and work areas) / parcel
      area ``op`` ``threshold``; when ``structures_yard_area_m2`` is unknown the footprint-only figure
      is 建筑密度: it is judged (and labelled so) except on the land uses and holder industries of
      ``land.yard_dependent_*``, whose 建筑系数 depends on the yards (steel, building materials,
      warehousing and logistics).
    - ``idle_data``: idle land that cannot be assessed because the data is incomplete (supplied land
      with no agreed start date; halted works with no developed area or investment figures).

    ``scope``: ``developed`` = developed industrial parcels; ``supplied`` = industrial parcels past
    supply (stage not ``unsupplied``). ``unless``: codes of rules that take precedence on the same
    parcel (the flag of this rule is dropped). ``grace_years``: parcels completed (``grace_from``
    ``completion``) or whose holder started production (``production_start``) less than this many
    years before the as-of date are skipped (new parcels get the grace the grading uses).
    ``finding``: the flag marks inefficient or idle land (counted in ``flagged_share``); false for
    evidence to check (remote sensing, missing data). ``gain``: ``mu`` = the parcel's area is freed;
    ``wan`` = (zone median revenue_per_mu − the parcel's) × area_mu, never negative; ``none``.
    """

    model_config = _MODEL

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: RuleKind
    enabled: bool = True
    severity: int = Field(ge=0)
    label_zh: str
    label_en: str = ""
    action_zh: str = ""
    action_en: str = ""
    gain: Literal["mu", "wan", "none"] = "none"
    scope: Literal["developed", "supplied"] = "developed"
    grace_years: float = Field(default=0.0, ge=0)
    #: the dates the grace runs from (any of them within ``grace_years`` → skipped)
    grace_from: list[Literal["completion", "production_start"]] = Field(
        default_factory=lambda: list[Literal["completion", "production_start"]](["completion"]))
    #: the flag marks inefficient or idle land (false: evidence to check, not a finding)
    finding: bool = True
    #: skip a parcel this rule flags when one of these rules flags it too (no double counting)
    unless: list[str] = Field(default_factory=list)
    # threshold / relative_to_zone
    column: str | None = None
    op: Op = "lt"
    threshold: float | None = None
    by_industry: dict[str, float] = Field(default_factory=dict)
    fraction: float | None = Field(default=None, gt=0)
    statistic: Literal["ratio_of_sums", "mean", "median"] = "ratio_of_sums"
    numerator: str | None = None
    # commitment
    pairs: dict[str, str] = Field(default_factory=dict)
    # flag_column
    flag: str | None = None
    # zero_output
    columns: list[str] = Field(default_factory=list)
    max_value: float = 0.0
    # grade_streak
    grade: str = "D"
    years: int = Field(default=2, ge=1)
    # idle
    takeback_severity: int | None = Field(default=None, ge=0)
    takeback_action_zh: str = ""
    takeback_action_en: str = ""
    exempt_severity: int | None = Field(default=None, ge=0)
    exempt_action_zh: str = ""
    exempt_action_en: str = ""
    #: idle in an earlier year: the one-off fee was due then (53号令 Art. 14: due once)
    continuing_action_zh: str = ""
    continuing_action_en: str = ""
    #: started, then halted two years: take-back needs a legal review (城市房地产管理法 Art. 26 speaks
    #: of land not started)
    halted_takeback_action_zh: str = ""
    halted_takeback_action_en: str = ""
    # standard_land
    phases: list[Literal["acceptance", "review"]] = Field(
        default_factory=lambda: list[Literal["acceptance", "review"]](["review"]))
    # raster_mismatch
    undeveloped_stages: list[str] = Field(default_factory=list)
    max_share_undeveloped: float | None = Field(default=None, ge=0, le=1)
    developed_stages: list[str] = Field(default_factory=list)
    min_share_developed: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _params(self):
        need = {
            "threshold": ("column", "threshold"),
            "relative_to_zone": ("column", "fraction"),
            "commitment": ("pairs",),
            "flag_column": ("flag",),
            "zero_output": ("columns",),
            "raster_mismatch": ("max_share_undeveloped", "min_share_developed"),
            "coverage": ("threshold",),
        }.get(self.kind, ())
        missing = [n for n in need if getattr(self, n) in (None, [], {})]
        if missing:
            raise ValueError(f"rule {self.code!r} of kind {self.kind!r} needs {', '.join(missing)}")
        return self


class RulesPolicy(Section):
    """Inefficient and idle industrial land rules (docs/domain.md §7), one ``[[rules.rule]]`` table each."""

    rule: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self):
        codes = [r.code for r in self.rule]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"duplicate rule codes: {', '.join(dup)}")
        return self

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rule if r.enabled]

    def get(self, code: str) -> Rule | None:
        return next((r for r in self.rule if r.code == code), None)


class IdlePolicy(Section):
    """Statutory idle land (闲置土地处置办法, 国土资源部令第53号, 2012), used by ``evaluation.lifecycle``.

    Defaults are the statutory values; a parcel's status is evaluated at an as-of date (end of day).
    Periods are calendar periods (民法典 第二百零一、二百零二条): ``agreed_start_date + 1 year`` is the
    same month and day one year later, and when that day does not exist (29 Feb) it is the last day
    of the month (28 Feb). "满一年" is reached on that anniversary date itself: a parcel agreed to
    start on 2023-03-01 and not started is idle as of 2024-03-01 (not as of 2024-02-29); agreed
    2024-02-29 → idle as of 2025-02-28.
    """

    #: Art. 2 (一): not started this many years after the agreed start date → idle
    not_started_years: int = Field(default=1, ge=0)
    #: Art. 2 (二): started but halted this many years → idle (with the share tests below)
    halted_years: int = Field(default=1, ge=0)
    #: Art. 2 (二): developed area under this share of the area to develop (1/3)
    halted_area_share: float = Field(default=1.0 / 3.0, ge=0, le=1)
    #: Art. 2 (二): investment made under this share of the total investment (25 %)
    halted_investment_share: float = Field(default=0.25, ge=0, le=1)
    #: Art. 14 (一): idle fee as a share of the land price (出让或者划拨价款的百分之二十)
    fee_rate: float = Field(default=0.20, ge=0)
    #: Art. 14 (二): not started (or halted) this many years → may be taken back without compensation
    takeback_years: int = Field(default=2, ge=0)
    #: Art. 8/12: delay caused by the government or by force majeure (column ``government_delay``):
    #: still idle land, but no fee and no take-back (disposed of by extension, change of use, etc.);
    #: reported as exempt
    government_delay_exempt: bool = True
    #: Art. 14 (一): the idle fee is due once, in the year the land has been idle a full year; later
    #: years carry the record, not a new fee
    fee_once: bool = True


class SLCheck(BaseModel):
    """One standard-land check: ``actual`` (a parcel_results column, or ``office_share``) against the
    parcel's commitment column (``committed``) or a fixed ``limit``; ``op`` ``ge`` = actual must be at
    least the target, ``le`` = at most."""

    model_config = _MODEL

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    phase: Literal["acceptance", "review"]
    actual: str
    committed: str | None = None
    limit: float | None = None
    op: Literal["ge", "le"] = "ge"
    label_zh: str
    label_en: str = ""

    @model_validator(mode="after")
    def _target(self):
        if (self.committed is None) == (self.limit is None):
            raise ValueError(f"check {self.code!r}: give exactly one of committed / limit")
        return self


class ShortfallBand(BaseModel):
    """Consequence of a failed check whose shortfall is below ``below`` (fraction; last band: any)."""

    model_config = _MODEL

    below: float | None = Field(default=None, gt=0)
    consequence_zh: str
    consequence_en: str = ""


class StandardLandPolicy(Section):
    """Standard-land (标准地) life-cycle checks (docs/domain.md §10).

    Completion acceptance (phase ``acceptance``) is a one-off check at completion: it is judged in
    the year of the completion date, on the parcel's own figures (its own investment
    ``invested_wan`` / area, FAR, 建筑系数, office land), and later years carry the recorded
    result (``recorded`` true) without judging it again. The full-production review (phase
    ``review``) is judged every year once due.
    """

    #: the full-production review falls due this many years after completion (竣工)
    review_delay_years: float = Field(default=2.0, ge=0)
    #: acceptance checks are judged once, in the completion year (later years carry the record)
    acceptance_once: bool = True
    check: list[SLCheck] = Field(default_factory=list)
    #: bands by shortfall, ascending ``below``; the last band has no ``below``
    band: list[ShortfallBand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bands(self):
        edges = [b.below for b in self.band]
        if edges and (edges[-1] is not None or any(e is None for e in edges[:-1])
                      or edges[:-1] != sorted(e for e in edges[:-1] if e is not None)):
            raise ValueError("standard_land.band: ascending 'below' edges, the last band without one")
        return self


class Indicator(BaseModel):
    """One grading item: an enterprise_results column and its weight (docs/domain.md §8)."""

    model_config = _MODEL

    column: str
    weight: float = Field(gt=0)
    label_zh: str = ""
    #: ratio method: the item is capped at ``cap`` × weight (value/benchmark ≤ cap)
    cap: float | None = Field(default=None, gt=0)
    #: ratio method: a benchmark fixed in the policy instead of one computed from the data
    benchmark: float | None = Field(default=None, gt=0)
    #: ratio-of-sums benchmark: the indicator is numerator / denominator (enterprise_results or
    #: enterprise_years columns); default for the known indicators (tax_per_mu = tax_wan / land_mu, …)
    numerator: str | None = None
    denominator: str | None = None


class GradeBand(BaseModel):
    model_config = _MODEL

    grade: str
    #: cumulative upper edge of rank/n (rank = 'min' rank on descending score)
    upto: float = Field(gt=0, le=1)


class GradingPolicy(Section):
    """Enterprise per-mu grading A/B/C/D (亩均论英雄, docs/domain.md §8).

    Bands: within each grading group (``group_by`` unit × 规上/规下) firms are ranked on descending
    score with rank method 'min' (equal scores share the best rank, scores rounded to 6 decimals
    first) and a firm gets the first band whose ``upto`` ≥ rank / n. Equal scores therefore always get
    the same grade, and a tie straddling an edge goes to the better grade. Groups with fewer than
    ``min_group_size`` graded firms get scores but no grade.
    """

    method: Literal["ratio", "minmax"] = "ratio"
    #: the grading unit: county (county_code) or development zone (zone_code)
    group_by: Literal["county_code", "zone_code"] = "county_code"
    #: ratio method benchmark: the group's figure as a ratio of sums (Σ tax / Σ land of the graded
    #: firms: the county figure) or the mean of the firms' ratios, of the previous year (from
    #: history; falls back to the current year with a note) or of the current year; or only the
    #: per-indicator fixed values
    benchmark: Literal[
        "previous_year_ratio_of_sums", "previous_year_mean", "current_year_ratio_of_sums", "current_year_mean", "fixed"
    ] = "previous_year_ratio_of_sums"
    benchmark_multiple: float = Field(default=1.0, gt=0)
    #: ratio method: an item without its own ``cap`` is capped at ``default_cap`` × its weight
    #: (value/benchmark ≤ default_cap); None: no cap
    default_cap: float | None = Field(default=2.0, gt=0)
    #: cumulative band edges in firms: floor(upto × n) (a firm is in the first band whose upto ≥
    #: rank/n; the last band takes the rounding, so any group of 5+ has a D firm), nearest
    #: (round half up) or ceil (better bands rounded up, the last band gets floor(share × n))
    band_rounding: Literal["floor", "nearest", "ceil"] = "floor"
    #: groups with fewer graded firms than this are pooled with the other small groups of the next
    #: unit up (county → city → province; zone → county → …) before banding
    merge_below: int = Field(default=20, ge=1)
    #: firms whose only land is under construction within the contract term (agreed_completion_date
    #: not passed, or unknown) are not graded (projects under construction)
    exempt_under_construction: bool = True
    #: min–max method: item = weight × (floor + (100 − floor) × (x − min)/(max − min)) / 100
    minmax_floor: float = Field(default=20.0, ge=0, lt=100)
    above_scale: list[Indicator] = Field(default_factory=list)
    below_scale: list[Indicator] = Field(default_factory=list)
    bands: list[GradeBand] = Field(default_factory=list)
    #: GB/T 4754 divisions not graded (utilities D44–46); letter optional
    exempt_industries: list[str] = Field(default_factory=list)
    #: firms in production for less than this many years (production_start_date) are not graded
    min_years_in_production: float = Field(default=2.0, ge=0)
    #: 规下 firms using less land than this (mu) are not graded
    below_scale_min_land_mu: float = Field(default=3.0, ge=0)
    #: grading groups with fewer graded firms than this (after pooling upward) get scores but no
    #: grade (rank/n is meaningless for tiny groups: a lone firm would be rank 1/1 = 1.0 → D, and
    #: with n < 5 no firm reaches A at 20 %)
    min_group_size: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _bands_ok(self):
        if self.bands:
            edges = [b.upto for b in self.bands]
            if edges != sorted(edges) or abs(edges[-1] - 1.0) > 1e-12:
                raise ValueError("grading.bands: ascending 'upto' edges ending at 1.0")
        return self
