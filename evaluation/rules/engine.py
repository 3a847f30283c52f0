"""The engine of the inefficient/idle-land rules: :func:`flag_parcels` applies every enabled rule of
the policy to one year's parcel_results; the rule kinds live in :mod:`evaluation.rules.kinds`.

Each ``[[rules.rule]]`` of the policy names a generic kind (see ``landuse.core.policy.rules.Rule``);
:mod:`evaluation.rules.registry` maps the kind to its function, the policy holds the rules.
``flag_parcels`` returns one row per (parcel, rule) in the columns of the ``flags`` layer.

Scope: rules with ``scope = "developed"`` look at developed industrial parcels (``developed`` and
``industrial`` of parcel_results; a missing ``industrial`` column counts as industrial);
``scope = "supplied"`` (idle, rs_mismatch) at industrial parcels whose stage is known and not
``unsupplied``. Missing values never trigger a comparison rule (a parcel without a FAR is not
"below 1.0"), except in ``zero_output`` where missing output counts as 0 (no enterprise, no output).

Zone figures use the zone's developed industrial parcels of the year: the ``ratio_of_sums``
statistic is Σ numerator / Σ area_mu (the zone's own 亩均 figure, docs/domain.md §5); the gain reference
is the median of revenue_per_mu (missing = 0) over the same parcels.

Grace (``grace_years``, ``grace_from``): a parcel completed, or whose holder started production
(``enterprises.production_start_date``), less than ``grace_years`` before the as-of date is out of
the rule's scope (a new parcel is not 停产 nor low-output, as grading exempts the same firm).

Gain: ``mu`` → gain_mu = area_mu; ``wan`` → gain_wan = max(zone median revenue_per_mu − the parcel's
revenue_per_mu (missing = 0), 0) × area_mu; the other gain column is NaN. A kind may set a row's
``gain_mu`` itself (exempt idle land frees nothing: 0).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

import evaluation.rules.kinds  # noqa: F401  (registers every kind)
from evaluation import lifecycle
from evaluation.rules.common import developed as developed_of
from evaluation.rules.common import industry_of_holder, num, supplied as supplied_of, zone_median_revenue_per_mu
from evaluation.rules.registry import kind
from evaluation.standard_land import object_strings, standard_land_checks, year_rows
from landuse.core.contract import FLAGS
from landuse.core.policy import Policy

__all__ = ["flag_parcels", "rule_setup", "rule_rows", "finish_flags", "RuleSetup", "GRADE_KINDS", "FLAG_COLUMNS",
           "RuleContext", "evidence_json"]

FLAG_COLUMNS = FLAGS.names


@dataclass
class RuleContext:
    """What a rule kind sees: the year's parcel rows and inputs, aligned on parcel_code."""

    #: parcel_results of the year, indexed by parcel_code
    pr: pd.DataFrame
    #: the parcels input reindexed like ``pr`` (empty columns when not given)
    parcels: pd.DataFrame
    raw_parcels: pd.DataFrame
    raw_pr: pd.DataFrame
    year: int
    as_of: pd.Timestamp
    policy: Any
    developed: pd.Series
    industry: pd.Series
    idle: pd.DataFrame | None
    enterprise_results: pd.DataFrame | None
    grade_history: pd.DataFrame | None
    built_up: pd.Series | None
    given_sl: pd.DataFrame | None
    inputs: dict = field(default_factory=dict)
    #: the rule's scope, set by the engine before each rule
    scope: pd.Series | None = None
    _sl: pd.DataFrame | None = None

    def sl_checks(self) -> pd.DataFrame:
        if self._sl is None:
            self._sl = (
                self.given_sl
                if self.given_sl is not None
                else standard_land_checks(
                    self.raw_parcels, self.raw_pr, year=self.year, as_of=self.as_of, policy=self.policy,
                    industry=self.industry,
                )
            )
        return self._sl


def _year_rows(parcel_results: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``year``, the first of each parcel code, indexed by the code (column kept)."""
    pr = year_rows(parcel_results, year)
    out = pr.set_index(pr["parcel_code"].astype(object), drop=False)
    out.index.name = None
    return out


def _by_code(frame: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(index=index)
    if "parcel_code" in frame.columns:
        frame = frame.drop_duplicates("parcel_code").set_index("parcel_code")
    return frame.reindex(index)


def _holder_production_start(pr: pd.DataFrame, enterprises: pd.DataFrame | None) -> pd.Series | None:
    """The production start date (投产日期) of each parcel's holder, or None when unknown."""
    if enterprises is None or "production_start_date" not in enterprises.columns or "holder_uscc" not in pr.columns:
        return None
    e = enterprises.dropna(subset=["uscc"]).drop_duplicates("uscc")
    pos = pd.Index(e["uscc"].astype(object)).get_indexer(pr["holder_uscc"].astype(object))
    start = pd.to_datetime(e["production_start_date"], errors="coerce").astype("datetime64[ns]").to_numpy()
    nat = np.datetime64("NaT", "ns")
    vals = np.where(pos >= 0, start[np.maximum(pos, 0)] if len(start) else nat, nat).astype("datetime64[ns]")
    return pd.Series(vals, index=pr.index, dtype="datetime64[ns]")


def _empty_flags() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    return out.astype({"year": "Int64", "severity": "Int64", "gain_mu": float, "gain_wan": float})


def flag_parcels(parcel_results: pd.DataFrame, *, with_data: bool = False, **context: Any) -> pd.DataFrame:
    """Apply every enabled rule of ``policy.rules``; one row per (parcel, rule), ``flags`` columns.
    ``context``: the arguments of :func:`rule_setup` (inputs, enterprise results, idle status,
    policy, year, …); ``with_data``: add a ``data`` column with the compared values as a JSON string.

    Rows are sorted by parcel_code, then the rule's order in the policy. The same in steps:
    :func:`rule_setup`, :func:`rule_rows` for some of the rules (a caller may apply the rules that
    read grades once the grades are there: :data:`GRADE_KINDS`), :func:`finish_flags`.
    """
    setup = rule_setup(parcel_results, **context)
    return finish_flags([rule_rows(setup)], policy=context["policy"], with_data=with_data)


#: the rule kinds that read the year's enterprise grades (``RuleContext.enterprise_results``'s
#: ``grade``); the others read only its industry codes, which grading does not change
GRADE_KINDS = frozenset({"grade_streak"})


@dataclass
class RuleSetup:
    """What every rule of a year shares (:func:`rule_setup`); None parts when the year has no parcels."""

    ctx: RuleContext | None
    year: int
    as_of: pd.Timestamp
    supplied: pd.Series | None = None
    completion: pd.Series | None = None
    production_start: pd.Series | None = None
    area: pd.Series | None = None
    gain_wan_all: pd.Series | None = None

    def with_grades(self, enterprise_results: pd.DataFrame | None) -> RuleSetup:
        """The same setup with the graded enterprise results (for the rules of :data:`GRADE_KINDS`)."""
        if self.ctx is None:
            return self
        return replace(self, ctx=replace(self.ctx, enterprise_results=enterprise_results, scope=None))


def rule_setup(
    parcel_results: pd.DataFrame,
    *,
    inputs: dict | None,
    enterprise_results: pd.DataFrame | None,
    idle: pd.DataFrame | None,
    policy: Policy,
    year: int,
    grade_history: pd.DataFrame | None = None,
    built_up: pd.Series | None = None,
    as_of=None,
    standard_land: pd.DataFrame | None = None,
) -> RuleSetup:
    """The context every rule of the year reads (for :func:`rule_rows`; :func:`flag_parcels` in one).

    - ``inputs``: the input layers by name; ``inputs["parcels"]`` supplies flag columns,
      commitments and completion dates.
    - ``enterprise_results``: for the holder's industry (per-industry thresholds) and grade; when it
      has no ``grade`` the year's rows are graded with ``grade_enterprises``.
    - ``idle``: ``evaluation.lifecycle.idle_status`` output (indexed by or carrying parcel_code);
      when None it is computed from ``inputs["parcels"]`` at ``as_of``.
    - ``grade_history``: earlier enterprise grades (uscc, year, grade).
    - ``built_up``: parcel_code → built-up share (``parcels.raster_evidence.built_up_share``);
      default: parcel_results' ``built_up_share``.
    - ``as_of``: default 31 December of ``year``; ``standard_land``: precomputed
      ``standard_land_checks`` output.
    """
    inputs = inputs or {}
    as_of = pd.Timestamp(f"{year}-12-31") if as_of is None else pd.Timestamp(as_of)
    pr = _year_rows(parcel_results, year)
    if pr.empty or not policy.rules.enabled:
        return RuleSetup(None, year, as_of)
    raw_parcels = inputs.get("parcels")
    parcels = _by_code(raw_parcels, pr.index)
    if "zone_code" not in pr.columns:
        pr["zone_code"] = parcels.get("zone_code")
    if idle is None and raw_parcels is not None and not raw_parcels.empty:
        idle = lifecycle.idle_status(raw_parcels, as_of=as_of, policy=policy.idle)
    idle_f = None
    if idle is not None:
        idle_f = (
            idle.drop_duplicates("parcel_code").set_index("parcel_code").reindex(pr.index)
            if "parcel_code" in idle.columns
            else idle.reindex(pr.index)
        )

    developed = developed_of(pr)
    supplied = supplied_of(pr)
    completion = pd.to_datetime(parcels["completion_date"]) if "completion_date" in parcels.columns else None
    production_start = _holder_production_start(pr, inputs.get("enterprises"))
    industry = industry_of_holder(pr, enterprise_results, inputs)

    area = num(pr, "area_mu")
    rpm = num(pr, "revenue_per_mu").fillna(0.0)
    zone_median = pr["zone_code"].map(zone_median_revenue_per_mu(pr)).astype(float)
    gain_wan_all = (zone_median - rpm).clip(lower=0) * area

    ctx = RuleContext(
        pr=pr,
        parcels=parcels,
        raw_parcels=raw_parcels if raw_parcels is not None else pr,
        raw_pr=parcel_results,
        year=year,
        as_of=as_of,
        policy=policy,
        developed=developed,
        industry=industry,
        idle=idle_f,
        enterprise_results=enterprise_results,
        grade_history=grade_history,
        built_up=built_up,
        given_sl=standard_land,
        inputs=inputs,
    )
    return RuleSetup(ctx, year, as_of, supplied, completion, production_start, area, gain_wan_all)


def rule_rows(setup: RuleSetup, only: Callable[[Any], bool] | None = None) -> pd.DataFrame | None:
    """The rows of the enabled rules (those ``only`` accepts, default all) as the rules give them,
    each with its order in the policy (``_order``) and its ``data``: for :func:`finish_flags`.
    None when no rule flags anything."""
    ctx = setup.ctx
    if ctx is None:
        return None
    policy, pr, year, area, gain_wan_all = ctx.policy, ctx.pr, setup.year, setup.area, setup.gain_wan_all
    assert area is not None and gain_wan_all is not None  # set with ctx
    parts = []
    for order, rule in enumerate(policy.rules.enabled):
        if only is not None and not only(rule):
            continue
        scope = setup.supplied if rule.scope == "supplied" else ctx.developed
        if rule.grace_years > 0:
            cutoff = setup.as_of - pd.DateOffset(months=int(round(rule.grace_years * 12)))
            young = pd.Series(False, index=pr.index)
            if "completion" in rule.grace_from and setup.completion is not None:
                young |= (setup.completion > cutoff).fillna(False).astype(bool)
            if "production_start" in rule.grace_from and setup.production_start is not None:
                young |= (setup.production_start > cutoff).fillna(False).astype(bool)
            scope = scope & ~young
        ctx.scope = scope
        res = kind(rule.kind)(rule, ctx)
        if res.empty:
            continue
        idx = res.index
        sev = res["severity"] if "severity" in res.columns else pd.Series(rule.severity, index=idx)
        act = res["action"] if "action" in res.columns else pd.Series(rule.action_zh, index=idx)
        gmu = area.reindex(idx) if rule.gain == "mu" else pd.Series(np.nan, index=idx)
        if "gain_mu" in res.columns:
            gmu = res["gain_mu"].astype(float).where(res["gain_mu"].notna(), gmu)
        gwan = gain_wan_all.reindex(idx) if rule.gain == "wan" else pd.Series(np.nan, index=idx)
        parts.append(
            pd.DataFrame(
                {
                    "parcel_code": idx.to_numpy(dtype=object),
                    "zone_code": pr["zone_code"].reindex(idx).to_numpy(),
                    "year": year,
                    "rule": rule.code,
                    "label": rule.label_zh,
                    "severity": sev.to_numpy(),
                    "evidence": res["evidence"].to_numpy(),
                    "action": act.to_numpy(),
                    "gain_mu": gmu.to_numpy(dtype=float),
                    "gain_wan": gwan.to_numpy(dtype=float),
                    "policy_version": policy.version,
                    "policy_hash": policy.hash,
                    "inputs_hash": None,  # stamped by the service that stores the results
                    "_order": order,
                    "data": res["data"].to_numpy() if "data" in res.columns else None,
                }
            )
        )
    ctx.scope = None
    return pd.concat(parts, ignore_index=True) if parts else None


def finish_flags(rows: list[pd.DataFrame | None], *, policy: Policy, with_data: bool = False) -> pd.DataFrame:
    """The ``flags`` rows from the rules' rows (:func:`rule_rows`, in any grouping and order): a
    rule's ``unless`` applied across all of them, sorted by parcel_code then the rules' order."""
    parts = [r for r in rows if r is not None and len(r)]
    if not parts:
        out = _empty_flags()
        return out.assign(data=pd.Series(dtype=object)) if with_data else out
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for rule in policy.rules.enabled:
        if rule.unless:
            other = set(out.loc[out["rule"].isin(rule.unless), "parcel_code"])
            out = out[~((out["rule"] == rule.code) & out["parcel_code"].isin(other))]
    out = out.sort_values(["parcel_code", "_order"], kind="stable")
    out = out.reset_index(drop=True)
    out["year"] = out["year"].astype("Int64")
    out["severity"] = out["severity"].astype("Int64")
    cols = list(FLAG_COLUMNS)
    if with_data:
        out["data"] = out["data"].map(evidence_json)
        cols.append("data")
    return object_strings(out[cols].copy())


def evidence_json(data) -> str | None:
    """The machine-readable evidence of a flag as JSON (numbers as numbers, NaN as null)."""
    if data is None:
        return None

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, (np.bool_, bool)):
            return bool(v)
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return None if not np.isfinite(v) else float(v)
        if v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return v

    return json.dumps(clean(data), ensure_ascii=False, sort_keys=True)
