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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation.figures import ParcelYear, Static, evaluate_parcels, static_parts, year_figures
from evaluation.grading import grade_enterprises
from evaluation.intensive import intensive_use
from evaluation.lifecycle import year_end
from evaluation.pilot_targets import pilot_area_targets
from evaluation.rules import flag_parcels
from evaluation.scoring import composite_score, flagged_share
from evaluation.survey import apply_to_zone_results, survey_step
from evaluation.targets import apply_flag_summary
from landuse.core.contract import FLAGS, PROVINCE, layer
from landuse.core.dtypes import conform
from landuse.core.policy import Policy

__all__ = ["Prepared", "YearResults", "prepare", "evaluate_year", "STORED_LAYERS"]

INTENSIVE_COLUMNS = ["development_rate", "supply_rate", "built_rate", "industrial_share", "far_overall",
                     "coverage_overall", "far_industrial", "coverage_industrial", "investment_intensity",
                     "tax_per_industrial_mu", "idle_rate", "zone_type", "intensive_score", "intensive_rank"]

#: the layers a year's evaluation stores
STORED_LAYERS = ("parcel_results", "enterprise_results", "zone_results", "pilot_area_results", "flags",
                 "building_results")


@dataclass
class Prepared:
    """The inputs of an evaluation and what does not depend on the year, computed once for every
    year evaluated with the same inputs and policy."""

    inputs: Mapping[str, pd.DataFrame]
    policy: Policy
    static: Static
    built_up: pd.Series | None = None

    @cached_property
    def baseline(self) -> ParcelYear:
        """The baseline year's parcels, as of its 31 December."""
        b = int(self.policy.growth.baseline_year)
        return evaluate_parcels(self.inputs, year=b, policy=self.policy, as_of=year_end(b), static=self.static)


def prepare(inputs: Mapping[str, pd.DataFrame], *, policy: Policy, built_up: pd.Series | None = None) -> Prepared:
    """``inputs``: the input layers by name, as the store returns them. ``built_up``: parcel_code →
    built-up share from a raster (remote-sensing evidence), or None."""
    return Prepared(inputs, policy, static_parts(inputs, policy), built_up)


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


def _prev(history: Mapping[str, pd.DataFrame] | None, name: str, year: int) -> pd.DataFrame | None:
    if not history or name not in history or history[name] is None or len(history[name]) == 0:
        return None
    h = history[name]
    return h[pd.to_numeric(h["year"], errors="coerce") < year]


def evaluate_year(prepared: Prepared, *, year: int, as_of: date | None = None,
                  history: Mapping[str, pd.DataFrame] | None = None) -> YearResults:
    """Every results layer for ``year`` (as of ``as_of``, default 31 December of ``year``).

    ``history``: earlier years' ``enterprise_results`` (benchmarks, "D two years running") and
    ``zone_results`` / ``pilot_area_results`` (last year's ranks for the rank change).
    """
    inputs, policy, built_up = prepared.inputs, prepared.policy, prepared.built_up
    fig = year_figures(inputs, year=year, policy=policy, static=prepared.static, baseline=prepared.baseline,
                       as_of=as_of)
    pr = fig.parcel_results.copy()
    er = fig.enterprise_results.copy()
    zr = fig.zone_results.copy()
    par = fig.pilot_area_results.copy()
    caught: list[warnings.WarningMessage] = []
    if built_up is not None:
        pr["built_up_share"] = pr["parcel_code"].map(built_up).astype("float64")

    # enterprise grades
    hist_er = _prev(history, "enterprise_results", year)
    g = grade_enterprises(er, policy=policy, history=hist_er, enterprises=inputs.get("enterprises"))
    for c in g.columns:
        if c in er.columns:
            er[c] = g[c].astype(er[c].dtype) if str(er[c].dtype) != "object" else g[c].astype(object)
    grade_hist = hist_er[["uscc", "year", "grade"]] if hist_er is not None and "grade" in hist_er.columns else None

    # flags, on the idle status the figures used (same area basis)
    idle = fig.current.idle
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        flags = flag_parcels(pr, inputs=dict(inputs), enterprise_results=er, idle=idle, policy=policy, year=year,
                             grade_history=grade_hist, built_up=built_up, as_of=as_of)
    caught += w
    flags = flags.reindex(columns=FLAGS.names)
    pr = apply_flag_summary(pr, flags)

    # intensive use
    iu = intensive_use(inputs["zones"], inputs["parcels"], pr, flags, policy=policy, year=year)
    zr = zr.set_index("zone_code")
    for c in INTENSIVE_COLUMNS:
        if c in iu.columns:
            zr[c] = iu[c].reindex(zr.index).to_numpy()
    fs = flagged_share(pr, flags)
    zr["flagged_share"] = fs.reindex(zr.index).to_numpy(dtype="float64")
    zr = zr.reset_index()

    # the intensive-use survey: one basis (the survey) for the zones that have one
    sv = survey_step(inputs, year=year, policy=policy)
    zr = apply_to_zone_results(zr, sv.figures)

    # pilot areas: intensive score as developed-area-weighted mean of zone scores; flagged share
    zones = inputs["zones"][["zone_code", "pilot_area_code"]]
    zz = zr.merge(zones, on="zone_code", how="left", suffixes=("", "_z"))
    zz["pa"] = zz["pilot_area_code"].fillna(zz.get("pilot_area_code_z"))
    w = zz["developed_mu"].fillna(0.0)
    par = par.set_index("pilot_area_code")
    for key, grp in zz.groupby("pa"):
        ww = w.loc[grp.index]
        s = grp["intensive_score"]
        ok = s.notna() & (ww > 0)
        if key in par.index and ok.any():
            par.loc[key, "intensive_score"] = float(np.average(s[ok], weights=ww[ok]))
    pr_pa = pr.merge(zones, on="zone_code", how="left", suffixes=("", "_z"))
    pr_pa["pilot_area_code"] = pr_pa["pilot_area_code"] if "pilot_area_code" in pr_pa.columns else pr_pa["pilot_area_code_z"]
    fsp = flagged_share(pr_pa, flags.merge(pr_pa[["parcel_code", "pilot_area_code"]], on="parcel_code", how="left"),
                        key="pilot_area_code")
    par["flagged_share"] = fsp.reindex(par.index).to_numpy(dtype="float64")
    if PROVINCE in par.index:
        par.loc[PROVINCE, "flagged_share"] = float(flagged_share(pr.assign(_all=PROVINCE), flags.assign(_all=PROVINCE),
                                                                  key="_all").get(PROVINCE, np.nan))
    par = par.reset_index()

    # pilot-area targets of the seed
    pt = pilot_area_targets(inputs["pilot_area_years"], par, inputs["enterprise_years"], er, year=year, policy=policy,
                            zones=inputs["zones"])

    # composite scores and ranks
    prev_z = _prev(history, "zone_results", year)
    prev_zr = None
    if prev_z is not None and len(prev_z):
        last = prev_z[prev_z["year"] == prev_z["year"].max()]
        if int(last["year"].max()) == year - 1:
            prev_zr = last.set_index("zone_code")["rank"]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cz = composite_score(zr, policy=policy, previous_ranks=prev_zr, key="zone_code")
    caught += w
    zr = zr.set_index("zone_code")
    for c in ("score", "rank", "rank_change"):
        zr[c] = cz.table[c].reindex(zr.index).to_numpy()
    zr = zr.reset_index()

    prev_p = _prev(history, "pilot_area_results", year)
    prev_pr = None
    if prev_p is not None and len(prev_p):
        last = prev_p[prev_p["year"] == prev_p["year"].max()]
        if int(last["year"].max()) == year - 1:
            prev_pr = last.set_index("pilot_area_code")["rank"]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cp = composite_score(par, policy=policy, pilot_targets=pt, previous_ranks=prev_pr, key="pilot_area_code")
    caught += w
    par = par.set_index("pilot_area_code")
    for c in ("score", "rank", "rank_change"):
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
