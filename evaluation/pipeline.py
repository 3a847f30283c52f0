"""The one entry point of a year's evaluation: :func:`evaluate_year`, a pipeline of pure steps
with explicit inputs and outputs.

    prepared = prepare(inputs, policy=policy)           # year-independent parts, computed once
    result = evaluate_year(prepared, year=2025)           # → YearResults

Steps (each a module of its own):

1. figures (:mod:`evaluation.figures`): stages, idle land, land uses, per-mu figures, +15 % check,
   occupancy, for parcels, enterprises, zones, pilot areas and the province;
2. enterprise grades (:mod:`evaluation.grading`);
3. flags of inefficient and idle land (:mod:`evaluation.rules`), on the idle status of step 1;
4. intensive use (:mod:`evaluation.intensive`) and the share of flagged land; where a zone has an
   intensive-use survey (its latest up to the year), its intensive-use figures, type and score come
   from the survey instead, on one basis (:mod:`evaluation.survey`), and ``intensive_basis`` says
   which basis each zone's figures used;
5. the pilot-area targets of the seed (:mod:`evaluation.pilot_targets`);
6. composite scores and ranks (:mod:`evaluation.scoring`).

Nothing is passed through side channels: data problems and scoring warnings are fields of
:class:`YearResults`. Pilot areas' intensive-use score is the developed-area-weighted mean of their
zones' scores (TD/T 1029 scores zones; a pilot area is scored through the zones it manages).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation.figures import Figures, ParcelYear, Static, evaluate_parcels, static_parts, year_figures
from evaluation.grading import GRADE_COLUMNS, construction_status, grade_enterprises, merge_tenants
from evaluation.indicators import building_coefficient
from evaluation.intensive import intensive_use
from evaluation.ledger import annotate_flags, overdue_flags, rights_with_takebacks
from evaluation.lifecycle import as_timestamp, year_end
from evaluation.pilot_targets import pilot_area_targets
from evaluation.rules import GRADE_KINDS, finish_flags, rule_rows, rule_setup
from evaluation.scoring import composite_score, flagged_share
from evaluation.survey import apply_to_zone_results, survey_step
from evaluation.targets import apply_flag_summary
from landuse.core.contract import FLAGS, PROVINCE, layer
from landuse.core.dtypes import conform
from landuse.core.policy import Policy

__all__ = ["Carry", "Prepared", "YearResults", "prepare", "carry_parts", "evaluate_year", "STORED_LAYERS",
           "UNUSED_INPUTS"]

#: input layers a year's evaluation never reads: the firms' in-year cumulative figures serve the
#: period reports (:mod:`evaluation.periods`) alone — a store need not read them for an evaluation
UNUSED_INPUTS = frozenset({"enterprise_periods"})

INTENSIVE_COLUMNS = ["development_rate", "supply_rate", "built_rate", "industrial_share", "far_overall",
                     "coverage_overall", "far_industrial", "coverage_industrial", "investment_intensity",
                     "tax_per_industrial_mu", "idle_rate", "zone_type", "intensive_score", "intensive_rank"]

#: the layers a year's evaluation stores
STORED_LAYERS = ("parcel_results", "enterprise_results", "zone_results", "pilot_area_results", "flags",
                 "building_results")


class Carry(Protocol):
    """Where the parts of earlier years an evaluation needs are kept between runs (the service
    layer keeps them in the store, keyed by the state of the inputs, the policy and this code:
    ``landuse.services.carry``). Parts are frames by name; :meth:`load` gives None for a part it
    does not hold."""

    def load(self, name: str) -> dict[str, pd.DataFrame] | None: ...


class Pending(Protocol):
    """Work started by an :data:`Aside`: :meth:`result` gives its value (or raises its exception),
    :meth:`close` ends it when it is no longer wanted (always called)."""

    def result(self) -> Any: ...

    def close(self) -> None: ...


#: runs a function while the caller goes on, possibly in another process, and returns its
#: :class:`Pending`; the function must read only what exists when it is started and change nothing
#: the caller reads afterwards (the service layer forks: landuse.services.years_parallel)
Aside = Callable[[Callable[[], Any]], Pending]


@dataclass
class _Done:
    value: Any

    def result(self) -> Any:
        return self.value

    def close(self) -> None:
        pass


def inline(fn: Callable[[], Any]) -> Pending:
    """The :data:`Aside` of one process: the function runs at once."""
    return _Done(fn())


class _NotCarried(Exception):
    """A part :meth:`Prepared.preload` found neither in the memo nor in the carry."""


@dataclass
class Prepared:
    """The inputs of an evaluation and what follows from them alone, computed once.

    A year's results are a function of the inputs only — never of which other years were evaluated
    before, or in what order: the earlier years a step needs (last year's firms for the grading
    benchmark, last year's grades for "D two years running", last year's ranks, the baseline year's
    parcels) are computed here from the same inputs and remembered per year (``_memo``), so
    evaluating six years costs each year once and evaluating one year alone gives the same figures.

    ``carry``: those earlier-year parts as an earlier run computed them from the same inputs,
    policy and code (:class:`Carry`); what it holds is not computed again, what is computed here is
    listed by :meth:`carried_out` for the caller to keep."""

    inputs: Mapping[str, pd.DataFrame]
    policy: Policy
    static: Static
    built_up: pd.Series | None = None
    carry: Carry | None = None
    _memo: dict = field(default_factory=dict, repr=False)
    _computed: dict = field(default_factory=dict, repr=False)
    _load_only: bool = field(default=False, repr=False)
    #: where a year's grading and survey run while its rules that read no grades are applied
    #: (:func:`inline` unless the caller gives another core)
    aside: Aside = field(default=inline, repr=False)

    def _get(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def _carried(self, name: str, year: int, make: Callable[[], Any], *,
                 to_frames: Callable[[Any], dict[str, pd.DataFrame]],
                 from_frames: Callable[[dict[str, pd.DataFrame]], Any]) -> Any:
        """A memo entry that may come from (and is offered to) the carry."""
        key = (name, int(year))
        if key in self._memo:
            return self._memo[key]
        frames = self.carry.load(f"{name}/{int(year)}") if self.carry is not None else None
        if frames is not None:
            value = from_frames(frames)
        else:
            if self._load_only:
                raise _NotCarried(key)
            value = make()
            if value is not None:
                self._computed[f"{name}/{int(year)}"] = to_frames(value)
        self._memo[key] = value
        return value

    def preload(self, years: list[int]) -> bool:
        """Take from the carry every part of an earlier year that evaluating ``years`` reads (the
        baseline, each previous year's benchmark population, grades and ranks), computing none.
        True when all were there: each of ``years`` then depends on nothing but this object, and
        the years can be evaluated in any order or at once (``landuse.services.evaluate``)."""
        # the parts by name (carry_parts: the list a carry prefetches) through their accessors
        take: dict[str, Callable[[int], Any]] = {"baseline": lambda _y: self.baseline,
                                                 "population": self.graded_population, "ranks": self.ranks,
                                                 "grades": self.grades}
        self._load_only = True
        try:
            for name in carry_parts(self.inputs, policy=self.policy, years=years):
                part, year = name.split("/")
                take[part](int(year))
        except _NotCarried:
            return False
        finally:
            self._load_only = False
        return True

    def release(self, year: int) -> None:
        """Forget ``year``'s figures, graded firms and scored layers (its grades, ranks and benchmark
        population stay): a run over several years holds about two years at a time."""
        for key in [k for k in self._memo if k[0] in ("figures", "graded", "scored") and k[1] == int(year)]:
            del self._memo[key]

    def carried_out(self) -> dict[str, dict[str, pd.DataFrame]]:
        """The parts of earlier years computed in this run (not taken from the carry), by name:
        what a caller keeps for the next run on the same inputs."""
        return dict(self._computed)

    @property
    def baseline(self) -> ParcelYear:
        """The baseline year's parcels, as of its 31 December."""
        b = int(self.policy.growth.baseline_year)

        def make() -> ParcelYear:
            return evaluate_parcels(self.inputs, year=b, policy=self.policy, as_of=year_end(b), static=self.static)

        def to_frames(py: ParcelYear) -> dict[str, pd.DataFrame]:
            return {"parcels": py.parcels, "idle": py.idle, "uses": py.uses, "values": py.values,
                    "problems": py.problems}

        def from_frames(f: dict[str, pd.DataFrame]) -> ParcelYear:
            return ParcelYear(b, as_timestamp(year_end(b), b), f["parcels"], f["idle"], f["uses"], f["values"],
                              f["problems"])

        return self._carried("baseline", b, make, to_frames=to_frames, from_frames=from_frames)

    def has_data(self, year: int) -> bool:
        """Whether the inputs hold any enterprise figures for ``year``."""
        ey = self.inputs.get("enterprise_years")
        return ey is not None and bool((pd.to_numeric(ey["year"], errors="coerce") == int(year)).any())

    def figures(self, year: int, as_of: date | None = None) -> Figures:
        # a later year's parcels are evaluated before the baseline is asked for: a carry that reads
        # it in the background (landuse.services.carry) has it by then
        later = int(year) != int(self.policy.growth.baseline_year)
        return self._get(("figures", int(year), as_of), lambda: year_figures(
            self.inputs, year=year, policy=self.policy, static=self.static,
            baseline=(lambda: self.baseline) if later else self.baseline, as_of=as_of))

    def graded_population(self, year: int) -> pd.DataFrame | None:
        """The population of next year's grading benchmark: the year's enterprise results with which
        firms are graded (``grade`` not null) — the grades each gets when graded without a previous
        year, or the year's own grades when this run has them (only which firms are graded is read).
        None when the year has no enterprise figures."""
        if not self.has_data(year):
            return None

        def make() -> pd.DataFrame:
            # the benchmark reads which firms are graded and their figures, never their grades: the
            # year's graded firms serve when this run graded them (whether a firm is graded does not
            # depend on the benchmark, so both give the same population)
            if ("graded", int(year), None) in self._memo:
                return self._memo[("graded", int(year), None)]
            er = self.figures(year).enterprise_results
            g = self._grade(year, None, history=None)
            return er.assign(**{c: g[c].to_numpy() for c in g.columns if c in er.columns})

        return self._carried("population", year, make, to_frames=lambda df: {"population": df},
                             from_frames=lambda f: f["population"])

    def _grade(self, year: int, as_of: date | None, *, history: pd.DataFrame | None) -> pd.DataFrame:
        fig = self.figures(year, as_of)
        er, cur = fig.enterprise_results, fig.current
        construction = construction_status(cur.uses, fig.parcel_results, self.inputs.get("parcels"), as_of=cur.as_of)
        merged = merge_tenants(er, cur.uses, cur.values) if self.policy.allocation.method == "merge_tenants" else None
        return grade_enterprises(er, policy=self.policy, history=history, enterprises=self.inputs.get("enterprises"),
                                 enterprise_years=self.inputs.get("enterprise_years"), construction=construction,
                                 merged=merged)

    def graded(self, year: int, as_of: date | None = None, *, grades: pd.DataFrame | None = None) -> pd.DataFrame:
        """The year's enterprise results with their grades (benchmarks from the previous year);
        ``grades``: the grading's columns when computed elsewhere (:meth:`grade_columns`)."""
        def make():
            er = self.figures(year, as_of).enterprise_results.copy()
            g = self.grade_columns(year, as_of) if grades is None else grades
            for c in g.columns:
                if c in er.columns:
                    er[c] = g[c].astype(er[c].dtype) if str(er[c].dtype) != "object" else g[c].astype(object)
            return er
        return self._get(("graded", int(year), as_of), make)

    def grade_columns(self, year: int, as_of: date | None = None) -> pd.DataFrame:
        """The grading's own columns for the year's enterprise results (what :meth:`graded` adds;
        taken from it when the year is graded already)."""
        done = self._memo.get(("graded", int(year), as_of))
        if done is not None:
            return done[[c for c in GRADE_COLUMNS if c in done.columns]]
        return self._grade(year, as_of, history=self.graded_population(year - 1))

    def grades(self, year: int) -> pd.DataFrame:
        """The year's grades (uscc, year, grade), as :meth:`graded` gives them."""
        return self._carried("grades", year, lambda: self.graded(year)[["uscc", "year", "grade"]].reset_index(drop=True),
                             to_frames=lambda df: {"grades": df}, from_frames=lambda f: f["grades"])

    def grade_history(self, year: int) -> pd.DataFrame | None:
        """Grades (uscc, year, grade) of the years before ``year`` that the streak rules look at."""
        frames = [self.grades(y) for y in range(year - _streak_depth(self.policy), year) if self.has_data(y)]
        return pd.concat(frames, ignore_index=True) if frames else None

    def scored(self, year: int, as_of: date | None = None) -> YearResults:
        """Every results layer of ``year`` with ranks but no rank change (see :func:`evaluate_year`)."""
        return self._get(("scored", int(year), as_of), lambda: _score_year(self, int(year), as_of))

    def ranks(self, year: int) -> dict[str, pd.Series]:
        """The year's ranks of zones and pilot areas (code → rank), as :meth:`scored` gives them."""
        keys = {"zone_results": "zone_code", "pilot_area_results": "pilot_area_code"}

        def make() -> dict[str, pd.Series]:
            res = self.scored(year)
            return {name: res.layers[name].set_index(key)["rank"] for name, key in keys.items()}

        def to_frames(r: dict[str, pd.Series]) -> dict[str, pd.DataFrame]:
            return {name: s.rename("rank").reset_index() for name, s in r.items()}

        def from_frames(f: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
            return {name: f[name].set_index(key)["rank"] for name, key in keys.items()}

        return self._carried("ranks", year, make, to_frames=to_frames, from_frames=from_frames)


def _streak_depth(policy: Policy) -> int:
    """How many years of earlier grades the streak rules read (at least one: last year's)."""
    return max([1, *[r.years - 1 for r in policy.rules.enabled if r.kind == "grade_streak"]])


def carry_parts(inputs: Mapping[str, pd.DataFrame], *, policy: Policy, years: list[int]) -> list[str]:
    """The names of the earlier years' parts (:class:`Carry`) that evaluating ``years`` reads when
    they are all kept — what :meth:`Prepared.preload` loads: the baseline, each previous year's
    benchmark population and ranks, the grades the streak rules look at. A carry may start reading
    them before :func:`prepare`."""
    ey = inputs.get("enterprise_years")
    have = set(pd.to_numeric(ey["year"], errors="coerce").dropna().astype(int)) if ey is not None else set()
    names = [f"baseline/{int(policy.growth.baseline_year)}"]
    for y in sorted(int(y) for y in years):
        if y - 1 in have:
            names += [f"population/{y - 1}", f"ranks/{y - 1}"]
        names += [f"grades/{g}" for g in range(y - _streak_depth(policy), y) if g in have]
    return list(dict.fromkeys(names))


def prepare(inputs: Mapping[str, pd.DataFrame], *, policy: Policy, built_up: pd.Series | None = None,
            carry: Carry | None = None) -> Prepared:
    """``inputs``: the input layers by name, as the store returns them. ``built_up``: parcel_code →
    built-up share from a raster (remote-sensing evidence), or None. ``carry``: earlier years' parts
    kept from a run on the same inputs (:class:`Carry`), or None."""
    if inputs.get("disposals") is not None and len(inputs["disposals"]):
        # the disposal ledger's completed take-backs are rights with no holder (evaluation.ledger)
        inputs = dict(inputs)
        inputs["land_rights"] = rights_with_takebacks(inputs["parcels"], inputs.get("land_rights"), inputs["disposals"])
    return Prepared(inputs, policy, static_parts(inputs, policy), built_up, carry)


@dataclass
class YearResults(Mapping):
    """Every results layer of one year (a mapping: layer name → frame), plus what is reported but
    not stored."""

    year: int
    layers: dict[str, pd.DataFrame]
    #: the pilot-area targets' attainment table
    pilot_targets: pd.DataFrame
    #: the weights the composite scores used (columns ``zone``, ``pilot_area``)
    score_weights: pd.DataFrame
    #: data problems met on the way (layer, key, code, message)
    problems: pd.DataFrame
    #: warnings of the scoring steps, for the user
    warnings: list[str] = field(default_factory=list)
    #: zone_survey_results of every survey year the year used (stored per survey year)
    survey: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=layer("zone_survey_results").names))

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.layers[name]

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def stored_layers(self, *, parcel_geometry: pd.DataFrame | None = None,
                      zone_geometry: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
        """The layers to store, with the parcel and zone geometry joined on when given."""
        out = {k: self.layers[k] for k in STORED_LAYERS}
        if parcel_geometry is not None:
            out["parcel_results"] = gpd.GeoDataFrame(out["parcel_results"].merge(parcel_geometry, on="parcel_code",
                                                                                 how="left"), geometry="geometry", crs=4490)
        if zone_geometry is not None:
            out["zone_results"] = gpd.GeoDataFrame(out["zone_results"].merge(zone_geometry, on="zone_code", how="left"),
                                                   geometry="geometry", crs=4490)
        return out


def _building_coefficient(pr: pd.DataFrame, parcels: pd.DataFrame) -> np.ndarray:
    """建筑系数 per parcel row of ``pr``: (footprint + structures and yards) / area where
    ``structures_yard_area_m2`` is given, else NaN (``building_coverage`` stays the footprint-only
    建筑密度)."""
    used = [c for c in ("footprint_area_m2", "structures_yard_area_m2") if c in parcels.columns]
    p = parcels[["parcel_code", *used]].drop_duplicates("parcel_code").set_index("parcel_code").reindex(pr["parcel_code"])

    def col(frame, c):
        return (pd.to_numeric(frame[c], errors="coerce") if c in frame.columns else pd.Series(np.nan, index=frame.index)
                ).astype("float64").reset_index(drop=True)

    bc = building_coefficient(col(pr, "area_mu"), col(p, "footprint_area_m2"), col(p, "structures_yard_area_m2"),
                              density=col(pr, "building_coverage"))
    return bc["building_coefficient"].to_numpy(dtype="float64")


def evaluate_year(prepared: Prepared, *, year: int, as_of: date | None = None) -> YearResults:
    """Every results layer for ``year`` (as of ``as_of``, default 31 December of ``year``): the
    year's scored results, with each unit's rank change on the previous year (computed from the same
    inputs; empty when the previous year has no enterprise figures)."""
    res = prepared.scored(year, as_of)
    layers = dict(res.layers)
    prev = prepared.ranks(year - 1) if prepared.has_data(year - 1) else None
    for name, key in (("zone_results", "zone_code"), ("pilot_area_results", "pilot_area_code")):
        cur = layers[name].copy()
        if prev is not None:
            before = prev[name]
            change = pd.to_numeric(cur[key].map(before), errors="coerce") - pd.to_numeric(cur["rank"], errors="coerce")
            cur["rank_change"] = change.astype("Int64")
        layers[name] = cur
    return YearResults(res.year, layers, res.pilot_targets, res.score_weights, res.problems, res.warnings, res.survey)


def _ledger_flags(flags: pd.DataFrame, disposals: pd.DataFrame, pr: pd.DataFrame, idle: pd.DataFrame | None, *,
                  policy: Policy, year: int, as_of: date | None) -> pd.DataFrame:
    """The flags as the disposal ledger leaves them (:mod:`evaluation.ledger`): outcomes and the idle
    fee's collection noted, and a 处置逾期 flag per parcel with an overdue entry."""
    at = year_end(year) if as_of is None else pd.Timestamp(as_of)
    fee_due = idle["fee_due"].astype("boolean").fillna(False) if idle is not None and "fee_due" in idle.columns else None
    idle_rule = policy.rules.get("idle")
    flags = annotate_flags(flags, disposals, at, fee_due=fee_due,
                           continuing_action=idle_rule.continuing_action_zh if idle_rule is not None else None)
    late = overdue_flags(disposals, at, year=year, zone_of=pr.set_index("parcel_code")["zone_code"],
                         severity=policy.ledger.overdue_severity)
    if not len(late):
        return flags
    late = late.assign(policy_version=policy.version, policy_hash=policy.hash).reindex(columns=FLAGS.names)
    return pd.concat([flags, late], ignore_index=True) if len(flags) else late


def _score_year(prepared: Prepared, year: int, as_of: date | None) -> YearResults:
    """Grades, flags, intensive use, pilot-area targets and composite scores on the figures."""
    inputs, policy, built_up = prepared.inputs, prepared.policy, prepared.built_up
    fig = prepared.figures(year, as_of)
    pr = fig.parcel_results.copy()
    zr = fig.zone_results.copy()
    par = fig.pilot_area_results.copy()
    caught: list[warnings.WarningMessage] = []
    if built_up is not None:
        pr["built_up_share"] = pr["parcel_code"].map(built_up).astype("float64")

    # enterprise grades (benchmarks from the previous year, computed from the same inputs); the
    # streak rules' earlier grades first: last year's graded firms are then the benchmark population.
    # Both are taken (or computed, and kept for the carry) here, before the grading is set aside.
    grade_hist = prepared.grade_history(year)
    prepared.graded_population(year - 1)

    # 建筑系数 with structures and yards where the parcels give them (docs/domain.md §13)
    pr["building_coefficient"] = _building_coefficient(pr, inputs["parcels"])

    # flags, on the idle status the figures used (same area basis): the rules that read no grades
    # (only the holders' industry, which grading leaves as it is) while the year is graded and the
    # intensive-use survey computed aside (another process when the service gives one), then the
    # rules that read the grades
    idle = fig.current.idle
    # (only the grading's own columns come back: they are joined on here)
    pending = prepared.aside(lambda: (prepared.grade_columns(year, as_of), survey_step(inputs, year=year, policy=policy)))
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            setup = rule_setup(pr, inputs=dict(inputs), enterprise_results=fig.enterprise_results, idle=idle,
                               policy=policy, year=year, grade_history=grade_hist, built_up=built_up, as_of=as_of)
            rows = [rule_rows(setup, lambda r: r.kind not in GRADE_KINDS)]
        caught += w
        grades, sv = pending.result()
    finally:
        pending.close()
    er = prepared.graded(year, as_of, grades=grades)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        rows.append(rule_rows(setup.with_grades(er), lambda r: r.kind in GRADE_KINDS))
        flags = finish_flags(rows, policy=policy)
    caught += w
    flags = flags.reindex(columns=FLAGS.names)
    disposals = inputs.get("disposals")
    if disposals is not None and len(disposals):
        flags = _ledger_flags(flags, disposals, pr, idle, policy=policy, year=year, as_of=as_of)
    pr = apply_flag_summary(pr, flags, copy=False)  # pr is this year's own copy (above)

    # intensive use
    iu = intensive_use(inputs["zones"], inputs["parcels"], pr, flags, policy=policy, year=year)
    zr = zr.set_index("zone_code")
    for c in INTENSIVE_COLUMNS:
        if c in iu.columns:
            zr[c] = iu[c].reindex(zr.index).to_numpy()
    findings = [r.code for r in policy.rules.enabled if r.finding]  # not evidence-only rules
    fs = flagged_share(pr, flags, rules=findings)
    zr["flagged_share"] = fs.reindex(zr.index).to_numpy(dtype="float64")
    zr = zr.reset_index()

    # the intensive-use survey (computed aside, above): one basis (the survey) for the zones that have one
    zr = apply_to_zone_results(zr, sv.figures)

    # pilot areas: intensive score as developed-area-weighted mean of the zones each manages
    # directly this year; flagged share
    pilot_of = zr.set_index("zone_code")["pilot_area_code"]
    w = zr["developed_mu"].fillna(0.0)
    par = par.set_index("pilot_area_code")
    for key, grp in zr.groupby("pilot_area_code"):
        ww = w.loc[grp.index]
        sc = grp["intensive_score"]
        ok = sc.notna() & (ww > 0)
        if key in par.index and ok.any():
            par.loc[key, "intensive_score"] = float(np.average(sc[ok], weights=ww[ok]))
    slim = pr[["parcel_code", "zone_code", "stage", "area_mu"]]  # what flagged_share reads
    fsp = flagged_share(slim.assign(pilot_area_code=slim["zone_code"].map(pilot_of)), flags,
                        key="pilot_area_code", rules=findings)
    par["flagged_share"] = fsp.reindex(par.index).to_numpy(dtype="float64")
    if PROVINCE in par.index:
        par.loc[PROVINCE, "flagged_share"] = float(flagged_share(slim.assign(_all=PROVINCE), flags,
                                                                  key="_all", rules=findings).get(PROVINCE, np.nan))
    par = par.reset_index()

    # pilot-area targets of the seed
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        pt = pilot_area_targets(inputs["pilot_area_years"], par, inputs["enterprise_years"], er, year=year,
                                policy=policy, zones=inputs["zones"])
    caught += w

    # composite scores and ranks
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cz = composite_score(zr, policy=policy, previous_ranks=None, key="zone_code")
    caught += w
    zr = zr.set_index("zone_code")
    for c in ("score", "rank"):
        zr[c] = cz.table[c].reindex(zr.index).to_numpy()
    zr = zr.reset_index()

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cp = composite_score(par, policy=policy, pilot_targets=pt, previous_ranks=None, key="pilot_area_code")
    caught += w
    par = par.set_index("pilot_area_code")
    for c in ("score", "rank"):
        par[c] = cp.table[c].reindex(par.index).to_numpy()
    if "targets_met" in pt.columns:
        par["targets_met"] = pt["targets_met"].reindex(par.index).to_numpy()
        par["targets_total"] = pt["targets_total"].reindex(par.index).to_numpy()
    par = par.reset_index()

    frames = {
        "parcel_results": pr,
        "enterprise_results": er,
        "zone_results": zr,
        "pilot_area_results": par,
        "flags": flags,
        "building_results": fig.building_results,
    }
    layers = {name: conform(df, layer(name)) for name, df in frames.items()}
    meta = {"policy_version": policy.version, "policy_hash": policy.hash}
    problems = pd.concat([fig.problems, sv.problems], ignore_index=True) if len(sv.problems) else fig.problems
    return YearResults(int(year), layers, pt, pd.DataFrame({"zone": cz.weights, "pilot_area": cp.weights}),
                       problems, list(dict.fromkeys(str(m.message) for m in caught)),
                       conform(sv.table, layer("zone_survey_results"), meta))
