"""Evaluate years: read the inputs, run :func:`evaluation.evaluate_year` for each, store the results
with the policy that computed them and the state of the inputs they were computed from.

The inputs are read in one consistent snapshot (:meth:`parcels.store.base.Store.read_inputs_snapshot`)
and every results row records their hash (``inputs_hash``). An import that lands while the
evaluation runs makes the stored results stale: the evaluation says so in its warnings, and
:func:`landuse.services.results.is_stale` tells pages and reports."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evaluation import UNUSED_INPUTS, YearResults, carry_parts, evaluate_year, prepare
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.core.settings import get_settings
from evaluation.overrides import apply_overrides
from landuse.services import objections, versions
from landuse.services.carry import StoreCarry, carry_key, scope_of
from landuse.services.ledger import read_ledger
from landuse.services.survey import evaluate_survey_only, store_survey_results
from landuse.services.years_parallel import (YearProcesses, fork_aside, long_lived, memory_allows, processes_for,
                                             read_aside)
from parcels.store.base import Store, zone_provinces

Progress = Callable[[str], None]


class NoDataForYear(LanduseError):
    """A year asked for has no enterprise figures: nothing is evaluated or stored."""


def evaluate(store: Store, *, years: list[int], policy: Policy, as_of: _dt.date | None = None,
             built_up: str | Path | None = None, progress: Progress | None = None,
             actor: str | None = None, note: str | None = None,
             zones: list[str] | None = None, fresh: bool = False,
             processes: int | None = None, keep: str = "all") -> dict[int, YearResults]:
    """Compute every results layer for each year (ascending) and keep each year as a new draft
    version (:func:`landuse.services.versions.record`: shown to users only while the year has no
    published version). Corrections from accepted objections of the year are applied first
    (:func:`landuse.services.objections.overrides_of`).

    ``as_of`` (a date inside the one evaluated year) fixes stages, leases and occupancy; it needs
    exactly one year. ``zones``: evaluate those zones only, as a unit of their own (a partition of a
    distributed run, :mod:`landuse.services.distributed`), replacing only their results.

    The parts of earlier years a year needs are taken from the last run on the same inputs, ledger,
    policy and code when the store keeps them (:mod:`landuse.services.carry`); ``fresh`` computes
    them again (and keeps them for the next run).

    ``processes``: with those parts all kept, several years are evaluated at once on up to this many
    processes (default: ``LANDUSE_EVAL_PROCESSES``, else up to two; :mod:`landuse.services.years_parallel`),
    the same results as one after the other.

    ``keep="last"``: the years before the last keep only their zone and pilot-area layers in the
    returned results once stored (the command line reports those; the other layers are in the
    store) — a run over six years then holds one year's parcels, not six."""
    say = progress or (lambda _m: None)
    if keep not in ("all", "last"):
        raise ValueError(f"keep={keep!r}: 'all' or 'last'")
    if as_of is not None and len(years) != 1:
        raise LanduseError(t("--as-of 需要同时给出 --year（统计日期属于一个年度）",
                             "--as-of needs --year (an as-of date belongs to one year)"))
    if as_of is not None and as_of.year != years[0]:
        raise LanduseError(t(f"统计日期 {as_of} 不在评价年度 {years[0]} 内",
                             f"as-of date {as_of} is not in the evaluated year {years[0]}"))
    if zones is not None:
        held = [y for y in years if versions.published(store, y)]
        if held:  # a partition writes its rows directly: never under a published version
            raise LanduseError(t(f"{'、'.join(map(str, held))} 年已有发布版本，分区（集群）评价不能改写；请在单机上评价生成草稿",
                                 f"{', '.join(map(str, held))} has a published version: a partitioned (cluster) run "
                                 "cannot write under it; evaluate on one machine to make a draft"))
    wanted_processes = processes if processes is not None else get_settings().eval_processes
    say(t("读取输入", "reading inputs"))
    # polygons are decoded for the zones only (zone results carry them; the figures use the stored
    # areas), and for the parcels when a built-up raster is read against them
    geometry = {"zones"} | ({"parcels"} if built_up is not None else set())
    if zones is None:
        # (some layers read by a second process meanwhile, where the backend can and forking pays)
        inputs, inputs_hash = store.read_inputs_snapshot(geometry=geometry, aside=read_aside(wanted=wanted_processes),
                                                         skip=UNUSED_INPUTS)
    else:  # a partition is stamped with the whole store's inputs (as recorded by the imports)
        inputs_hash = store.inputs_hash()
        inputs, _ = store.read_inputs_snapshot(zones=zones, with_hash=False, geometry=geometry, skip=UNUSED_INPUTS)
    inputs, province_row = province_rows(store, inputs, zones)
    ledger = read_ledger(store)  # the disposal ledger changes flags, stages and the idle clock
    if len(ledger):
        inputs = dict(inputs) | {"disposals": ledger}
    if len(inputs["parcels"]) == 0:
        if len(inputs.get("land_survey", ())):  # zones, a survey and zone statistics only
            return evaluate_survey_only(store, inputs, years=years, policy=policy, progress=progress)
        raise LanduseError(t("库中没有宗地数据，请先导入数据包", "the store holds no parcels: run `landuse import` first"))
    bu = None
    if built_up is not None:
        from parcels.raster_evidence import built_up_share

        say(t("遥感建成区分区统计", "zonal statistics of the built-up raster"))
        bu = built_up_share(inputs["parcels"], built_up)
    # earlier years' parts kept by an earlier run on the same inputs, ledger, policy and code
    carry = StoreCarry(store, carry_key(inputs_hash=inputs_hash or "", policy=policy, ledger=ledger, built_up=bu,
                                        zones=zones), scope_of(zones), read=not fresh) if inputs_hash else None
    if carry is not None:  # read from the store while the year's own parcels are computed
        carry.prefetch(carry_parts(inputs, policy=policy, years=list(years)))
    prepared = prepare(inputs, policy=policy, built_up=bu, carry=carry)
    missing = [y for y in years if not prepared.has_data(y)]
    # a year without enterprise figures but with a survey of that year gets the survey's figures only
    ls = inputs.get("land_survey")
    surveyed = set(pd.to_numeric(ls["survey_year"], errors="coerce").dropna().astype(int)) if ls is not None and len(ls) \
        else set()
    survey_only = [y for y in missing if y in surveyed]
    missing = [y for y in missing if y not in survey_only]
    if missing:
        have = sorted(int(y) for y in pd.to_numeric(inputs["enterprise_years"]["year"], errors="coerce").dropna().unique())
        span = f"{have[0]}–{have[-1]}" if have else t("无", "none")
        raise NoDataForYear(t(
            f"{'、'.join(map(str, missing))} 年没有企业年度数据（库中有数据的年度：{span}），未计算、未保存任何结果",
            f"no enterprise figures for {', '.join(map(str, missing))} (the store has {span}); nothing was computed or stored"))
    store.put_policy(policy.model_dump_json(), policy_hash=policy.hash, version=policy.version)
    out: dict[int, YearResults] = {}
    if survey_only:
        say(t(f"{'、'.join(map(str, survey_only))} 年没有企业年度数据，只计算集约利用调查指标",
              f"{', '.join(map(str, survey_only))}: no enterprise figures; the survey's indicators only"))
        out.update(evaluate_survey_only(store, inputs, years=survey_only, policy=policy, progress=progress))
        years = [y for y in years if y not in survey_only]
    geo_z = inputs["zones"][["zone_code", "geometry"]]

    def store_year(y: int, res: YearResults) -> None:
        """Keep one year's results (see the docstring): a draft version, or a partition's own rows."""
        say(t(f"保存 {y} 年结果", f"storing {y}"))
        if zones is not None:  # a partition of a distributed run: its own rows, no version of its own
            store.replace_results(own_province_row(res.stored_layers(zone_geometry=geo_z), province_row),
                                  year=y, zones=zones)
            store_survey_results(store, res, zones=zones)  # the intensive-use survey's results, per survey year
            return
        layers, applied = apply_overrides(res.stored_layers(zone_geometry=geo_z),
                                          objections.overrides_of(store, y))
        v = versions.record(store, year=y, layers=layers, inputs_hash=inputs_hash, policy_hash=policy.hash,
                            actor=actor, origin="evaluate", note=note, corrections=list(applied))
        store_survey_results(store, res)  # the intensive-use survey's results, per survey year
        if applied:
            say(t(f"{y} 年应用了 {len(applied)} 项异议更正", f"{y}: {len(applied)} correction(s) from objections applied"))
        if not v["shown"]:
            say(t(f"{y} 年新结果已保存为草稿 {v['version_id']}；页面仍显示已发布版本，发布请运行 landuse results publish",
                  f"{y}: the new results are draft {v['version_id']}; users still see the published version "
                  "(`landuse results publish` to change that)"))
        res.version = v["version_id"]

    # Each year is stored before the next is computed, in year order; a failed write stops the run.
    # (A writer thread overlapping the two measured little — SQLite holds Python's lock for most of
    # its write — and its library calls reset the warnings the computing thread was recording.)
    # With the earlier years' parts all kept, other processes compute some of the years meanwhile.
    order = sorted(years)
    forked: YearProcesses | None = None
    n = processes_for(order, zones=zones, as_of=as_of, wanted=wanted_processes)
    if n > 1 and carry is not None and not fresh and prepared.preload(order) and memory_allows(n - 1):
        carry.settle()  # no thread of this process reading the store when it forks
        forked = YearProcesses(prepared, [order[i::n] for i in range(1, n)])
    elif zones is None:  # one process for the years: each year's grading beside its rules
        prepared.aside = fork_aside(prepared, wanted=wanted_processes) or prepared.aside
    try:
        for y in order:
            say(t(f"评价 {y} 年", f"evaluating {y}") if forked is None else
                t(f"评价 {y} 年（{len(order)} 个年度分 {n} 个进程同时评价）", f"evaluating {y} ({len(order)} years on {n} processes)"))
            with long_lived():  # the inputs and the parts kept so far outlive the year: not collected
                if forked is not None and y not in order[0::n]:
                    res = forked.result(y)
                else:
                    res = evaluate_year(prepared, year=y, as_of=as_of)
                for frame in res.layers.values():
                    if "inputs_hash" in frame.columns:  # (text, as the contract has it)
                        frame["inputs_hash"] = pd.Series(inputs_hash, index=frame.index, dtype=object)
                store_year(y, res)
            if keep == "last" and y != order[-1]:
                res.layers = {k: v for k, v in res.layers.items() if k in ("zone_results", "pilot_area_results")}
            out[y] = res
            prepared.release(y - 1)  # the year before is no longer needed whole (its grades and ranks stay)
    finally:
        if forked is not None:
            forked.close()
    if carry is not None:
        carry.save(prepared.carried_out())
    now_hash = store.inputs_hash()
    if zones is None and now_hash != inputs_hash:
        msg = t("评价期间输入数据已被修改（有导入完成）：已保存的结果基于修改前的数据，已过期，请重新运行 landuse evaluate",
                "the inputs changed while the evaluation ran (an import landed): the stored results were computed "
                "from the earlier inputs and are stale; run `landuse evaluate` again")
        for res in out.values():
            res.warnings.append(msg)
        say(msg)
    return out


def growth_summary(zone_or_pilot: pd.DataFrame, *, key: str, names: dict[str, str] | None = None,
                   lang: str = "zh") -> list[str]:
    """One line per area: value, baseline, growth, met — the evaluators' +15 % question."""
    lines = []
    for _, r in zone_or_pilot.sort_values(key).iterrows():
        code = r[key]
        name = (names or {}).get(code, "") or ""
        v, b, g = r.get("revenue_per_mu"), r.get("baseline_revenue_per_mu"), r.get("growth")
        if pd.isna(v) or pd.isna(b) or pd.isna(g):
            lines.append(f"{code} {name}: " + t("数据不足，无法判断", "not enough data", lang))
            continue
        cov, bcov = r.get("revenue_coverage"), r.get("baseline_revenue_coverage")
        covtxt = t(f"（数据覆盖率 {cov:.0%}，基期 {bcov:.0%}）", f" (coverage {cov:.0%}, baseline {bcov:.0%})", lang) \
            if not (pd.isna(cov) or pd.isna(bcov)) else ""
        if bool(r.get("provisional")) if not pd.isna(r.get("provisional")) else False:
            verdict = t("暂定：数据不全，不判定达标与否", "provisional: too little data to meet or miss the target", lang)
        else:
            met = bool(r.get("goal_met")) if not pd.isna(r.get("goal_met")) else False
            verdict = t(f"{'达到' if met else '未达到'} +{r['target_growth']:.0%} 目标",
                        f"target +{r['target_growth']:.0%} {'met' if met else 'not met'}", lang)
        lines.append(t(f"{code} {name}: 亩均营业收入 {v:,.1f} 万元/亩，{int(r['baseline_year'])}年 {b:,.1f}，"
                       f"增长 {g:+.1%}，{verdict}{covtxt}",
                       f"{code} {name}: revenue per mu {v:,.1f} (baseline {b:,.1f}), growth {g:+.1%}, {verdict}{covtxt}",
                       lang))
    return lines


def province_rows(store: Store, inputs: dict[str, pd.DataFrame], zones: list[str] | None
                  ) -> tuple[dict[str, pd.DataFrame], str]:
    """The province's statistics row of ``pilot_area_years`` for the evaluated zones, and the code
    their whole-province results row is stored under.

    A national store holds each province's row as ``PROVINCE-36`` (:func:`~landuse.core.contract.
    province_code`); a store of one province as ``PROVINCE``. When the evaluated zones lie in one
    province, its ``PROVINCE-pp`` row (else ``PROVINCE``) is the one the evaluation reads (as
    ``PROVINCE``); other provinces' rows are left out. A partition of a store holding several
    provinces stores its whole-province row as ``PROVINCE-pp`` (two partitions never write the
    same row); every other run stores ``PROVINCE``."""
    from landuse.core.contract import PROVINCE, province_code, province_mask

    provs = zone_provinces(inputs["zones"])
    mine = provs[0] if len(provs) == 1 else None
    pay = inputs.get("pilot_area_years")
    if pay is not None and len(pay):
        code = pay["pilot_area_code"].astype(object)
        prov_rows = province_mask(code)
        own = province_code(mine) if mine else PROVINCE
        use = own if (code == own).any() else PROVINCE
        keep = ~prov_rows | (code == use)
        if not keep.all() or use != PROVINCE:
            pay = pay[keep.to_numpy()].copy()
            pay.loc[pay["pilot_area_code"] == use, "pilot_area_code"] = PROVINCE
            inputs = dict(inputs) | {"pilot_area_years": pay}
    if zones is None or mine is None:
        return inputs, PROVINCE
    every = zone_provinces(store.read("zones", columns=["zone_code", "county_code"], geometry=False))
    return inputs, (province_code(mine) if len(every) > 1 else PROVINCE)


def own_province_row(layers: dict[str, pd.DataFrame], code: str) -> dict[str, pd.DataFrame]:
    """``layers`` with the whole-province row of pilot_area_results stored under ``code``."""
    from landuse.core.contract import PROVINCE

    par = layers.get("pilot_area_results")
    if code == PROVINCE or par is None or not len(par):
        return layers
    par = par.copy()
    par.loc[par["pilot_area_code"] == PROVINCE, "pilot_area_code"] = code
    return dict(layers) | {"pilot_area_results": par}
