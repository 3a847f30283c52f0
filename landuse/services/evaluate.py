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

from evaluation import YearResults, evaluate_year, prepare
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from parcels.store.base import Store

Progress = Callable[[str], None]

HISTORY_LAYERS = ("enterprise_results", "zone_results", "pilot_area_results")


def _history_depth(policy: Policy) -> int:
    """How many earlier years the evaluation looks at: last year's benchmarks and ranks, and as
    many years as the longest "graded D n years running" rule needs."""
    streaks = [r.years for r in policy.rules.enabled if r.kind == "grade_streak"]
    return max([1, *[n - 1 for n in streaks]])


def _history(store: Store, year: int, depth: int) -> dict[str, pd.DataFrame]:
    """The stored results of the ``depth`` years before ``year``."""
    out = {}
    for name in HISTORY_LAYERS:
        frames = [store.read(name, year=y) for y in range(year - depth, year)]
        out[name] = pd.concat(frames, ignore_index=True)
    return out


def evaluate(store: Store, *, years: list[int], policy: Policy, as_of: _dt.date | None = None,
             built_up: str | Path | None = None, progress: Progress | None = None) -> dict[int, YearResults]:
    """Compute and store every results layer for each year (ascending; re-running replaces them).

    ``as_of`` (a date inside the one evaluated year) fixes stages, leases and occupancy; it needs
    exactly one year."""
    say = progress or (lambda _m: None)
    if as_of is not None and len(years) != 1:
        raise LanduseError(t("--as-of 需要同时给出 --year（统计日期属于一个年度）",
                             "--as-of needs --year (an as-of date belongs to one year)"))
    if as_of is not None and as_of.year != years[0]:
        raise LanduseError(t(f"统计日期 {as_of} 不在评价年度 {years[0]} 内",
                             f"as-of date {as_of} is not in the evaluated year {years[0]}"))
    say(t("读取输入", "reading inputs"))
    inputs, inputs_hash = store.read_inputs_snapshot()
    if len(inputs["parcels"]) == 0:
        raise LanduseError(t("库中没有宗地数据，请先导入数据包", "the store holds no parcels: run `landuse import` first"))
    bu = None
    if built_up is not None:
        from parcels.raster_evidence import built_up_share

        say(t("遥感建成区分区统计", "zonal statistics of the built-up raster"))
        bu = built_up_share(inputs["parcels"], built_up)
    prepared = prepare(inputs, policy=policy, built_up=bu)
    store.put_policy(policy.model_dump_json(), policy_hash=policy.hash, version=policy.version)
    depth = _history_depth(policy)
    history = _history(store, min(years), depth)
    out: dict[int, YearResults] = {}
    geo_p = inputs["parcels"][["parcel_code", "geometry"]]
    geo_z = inputs["zones"][["zone_code", "geometry"]]
    for y in sorted(years):
        say(t(f"评价 {y} 年", f"evaluating {y}"))
        res = evaluate_year(prepared, year=y, as_of=as_of, history=history)
        say(t(f"保存 {y} 年结果", f"storing {y}"))
        for frame in res.layers.values():
            if "inputs_hash" in frame.columns:
                frame["inputs_hash"] = inputs_hash
        store.replace_results(res.stored_layers(parcel_geometry=geo_p, zone_geometry=geo_z), year=y)
        if y + 1 in years:  # roll the window on in memory
            history = {name: pd.concat([history[name][pd.to_numeric(history[name]["year"]) > y - depth],
                                        res.layers[name]], ignore_index=True) for name in HISTORY_LAYERS}
        elif y != max(years):
            history = _history(store, min(v for v in years if v > y), depth)
        out[y] = res
    now_hash = store.inputs_hash()
    if now_hash != inputs_hash:
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
        met = bool(r.get("goal_met")) if not pd.isna(r.get("goal_met")) else False
        lines.append(t(f"{code} {name}: 亩均营业收入 {v:,.1f} 万元/亩，{int(r['baseline_year'])}年 {b:,.1f}，"
                       f"增长 {g:+.1%}，{'达到' if met else '未达到'} +{r['target_growth']:.0%} 目标",
                       f"{code} {name}: revenue per mu {v:,.1f} (baseline {b:,.1f}), growth {g:+.1%}, "
                       f"target +{r['target_growth']:.0%} {'met' if met else 'not met'}", lang))
    return lines
