"""The policy: every threshold, target, weight and option, versioned, in a TOML file.

The default policy ships as ``landuse/core/policy/default.toml``. A bureau copies it with
``landuse policy init --out my.toml``, edits it and passes ``--policy my.toml``. Functions receive
the loaded :class:`Policy` as an argument; nothing reads the file behind their back.

Leaf module (imports only other leaf modules).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import weakref
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from landuse.core.errors import PolicyError
from landuse.core.policy.base import Section
from landuse.core.policy.maps import MapsPolicy
from landuse.core.policy.rules import GradingPolicy, IdlePolicy, RulesPolicy, StandardLandPolicy
from landuse.core.policy.scoring import IntensivePolicy, QuotaPolicy, ScorePolicy

__all__ = ["Policy", "load_policy", "default_policy", "default_policy_text", "policy_from_json", "policy_hash", "Section"]


class Meta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    name: str
    name_en: str = ""
    issued: str = ""
    description: str = ""


class ObjectionPolicy(Section):
    """公示异议: how long published grades and flags are open for objection."""
    window_working_days: int = Field(3, ge=0, le=60)
    #: days that are not working days besides weekends (ISO dates); none known to the product by default
    holidays: list[str] = Field(default_factory=list)


class LandPolicy(Section):
    #: land-use codes (prefix match) counted as industrial/warehousing land, per scheme
    industrial_codes: dict[str, list[str]]
    #: relative difference between registered and geodesic area above which a warning is reported
    registered_area_tolerance: float = Field(ge=0)
    #: use the registered area (证载面积) for per-mu figures when present
    use_registered_area: bool = True
    #: land uses (prefix, per scheme) whose 建筑系数 rests on structures and open yards (warehousing,
    #: logistics): a footprint-only figure (建筑密度) is not judged against the 建筑系数 minimum
    yard_dependent_land_uses: dict[str, list[str]] = Field(default_factory=dict)
    #: holder industries (GB/T 4754-2017 prefix) likewise (steel, building materials, logistics)
    yard_dependent_industries: list[str] = Field(default_factory=list)
    #: a parcel farther than this (metres) outside its zone's polygon is reported (warning)
    zone_tolerance_m: float = Field(500.0, ge=0)
    #: a parcel farther than this (metres) outside its zone's polygon is refused (wrong CRS or zone prefix)
    zone_refuse_m: float = Field(20000.0, ge=0)
    #: a registered area this many times the drawn area (or the reverse) is refused (sliver, wrong unit)
    sliver_ratio: float = Field(100.0, gt=1)


class DevelopedPolicy(Section):
    #: life-cycle stages that count as "actually developed" (实际开发)
    stages: list[Literal["supplied", "started", "completed", "in_production", "idle"]]
    #: count only industrial/warehousing parcels (per ``land.industrial_codes``)
    industrial_only: bool = True


class AllocationPolicy(Section):
    #: floor_area_share: a tenant leasing f m² of F gets area·f/F; merge_tenants: tenants' output
    #: is merged into the holder, who keeps the whole parcel
    method: Literal["floor_area_share", "merge_tenants"]
    #: spread an enterprise's output over its land in proportion to area (the only method for now)
    spread: Literal["area"] = "area"


class GrowthPolicy(Section):
    baseline_year: int
    target_year: int
    target_growth: float
    #: expected path for intermediate years: constant (compound) growth or straight line
    path: Literal["constant", "linear"] = "constant"
    #: a zone is on track when its value is at least this share of the path value
    on_track_tolerance: float = Field(default=1.0, gt=0)
    #: below this share of developed land whose users reported (this year or the baseline year) a
    #: unit's figure is provisional: it neither meets nor misses the target
    coverage_threshold: float = Field(default=0.9, ge=0, le=1)


class OccupancyPolicy(Section):
    target: float
    #: count-based rate where only buildings are known: a building counts as occupied when at least
    #: this share of its floor area is let (docs/domain.md §6)
    count_min_let_share: float = Field(default=0.5, gt=0, le=1)
    #: the default as-of date when none is given: end of the evaluated year
    default_as_of: Literal["year_end"] = "year_end"


class LedgerPolicy(Section):
    """What the disposal ledger (处置台账) changes in the evaluation (evaluation.ledger)."""

    #: severity of the 处置逾期 flag (an entry open past its deadline)
    overdue_severity: int = Field(default=3, ge=0)
    #: 增存挂钩: the idle-land disposal task counts as met when at least this share of the idle land
    #: in the ledger (mu) is disposed of by the end of the year
    idle_disposal_share: float = Field(default=0.5, ge=0, le=1)


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    meta: Meta
    land: LandPolicy
    developed: DevelopedPolicy
    allocation: AllocationPolicy
    growth: GrowthPolicy
    occupancy: OccupancyPolicy
    idle: IdlePolicy = IdlePolicy()
    rules: RulesPolicy = RulesPolicy()
    standard_land: StandardLandPolicy = StandardLandPolicy()
    grading: GradingPolicy = GradingPolicy()
    intensive: IntensivePolicy = IntensivePolicy()
    score: ScorePolicy = ScorePolicy()
    quota: QuotaPolicy = QuotaPolicy()
    maps: MapsPolicy = MapsPolicy()
    objection: ObjectionPolicy = ObjectionPolicy()
    ledger: LedgerPolicy = LedgerPolicy()

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def hash(self) -> str:
        """:func:`policy_hash`, computed once per policy object (a policy is frozen; a changed copy
        is another object): every flag row and results row carries it, and the canonical JSON costs
        ~6 ms."""
        h = _HASHES.get(id(self))
        if h is None:
            h = _HASHES[id(self)] = policy_hash(self)
            weakref.finalize(self, _HASHES.pop, id(self), None)
        return h


#: id of a live policy object → its hash (the entry goes with the object)
_HASHES: dict[int, str] = {}


def policy_hash(policy: Policy) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of the policy's values.

    Comments and layout of the TOML file do not change the hash; any value does.
    """
    canon = json.dumps(policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]


def default_policy_text() -> str:
    return resources.files("landuse.core.policy").joinpath("default.toml").read_text(encoding="utf-8")


def _parse(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: 不是有效的 TOML / not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: 政策文件有误 / the policy file is invalid:"]
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            lines.append(f"  {loc}: {err['msg']} (value: {err.get('input')!r})")
        raise PolicyError("\n".join(lines)) from exc


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return _parse(default_policy_text(), "landuse/core/policy/default.toml")


def policy_from_json(body: str) -> Policy:
    """A policy stored with its results (``Policy.model_dump_json``); the hash is unchanged."""
    return Policy.model_validate_json(body)


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file, or the shipped default when ``path`` is None."""
    if path is None:
        return default_policy()
    p = Path(path)
    if not p.exists():
        raise PolicyError(f"{p}: 政策文件不存在 / policy file not found")
    return _parse(p.read_text(encoding="utf-8"), str(p))
