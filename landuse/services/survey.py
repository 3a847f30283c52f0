"""The intensive-use survey in the yearly evaluation (docs/domain.md §11, §12): storing
``zone_survey_results`` per survey year, and evaluating a store that holds only zones, a survey and
zone statistics (no parcels, no enterprise data)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from evaluation import YearResults
from evaluation.survey import apply_to_zone_results, survey_step
from landuse.core.contract import layer
from landuse.core.dtypes import conform
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from parcels.store.base import Store

__all__ = ["store_survey_results", "evaluate_survey_only", "survey_years", "skipped_without_parcels"]

Progress = Callable[[str], None]

def skipped_without_parcels() -> str:
    return t(
        "库中没有宗地和企业数据：只计算集约利用调查的指标（土地集约利用评价）；亩均效益、+15% 检查、企业评级、低效用地认定和综合得分未计算",
        "the store holds no parcels and no enterprise data: only the intensive-use survey's indicators are computed; "
        "per-mu figures, the +15 % check, grades, flags and composite scores are not")


def survey_years(store: Store) -> list[int]:
    ls = store.read("land_survey", columns=["survey_year"], geometry=False)
    return sorted(int(y) for y in pd.to_numeric(ls["survey_year"], errors="coerce").dropna().unique())


def store_survey_results(store: Store, res: YearResults, *, zones: list[str] | None = None) -> list[int]:
    """Store the zone_survey_results a year's evaluation used, one survey year at a time (each
    replaces the rows of its survey year); returns the survey years stored."""
    tbl = res.survey
    if tbl is None or len(tbl) == 0:
        return []
    from landuse.services.versions import layer_digest

    years = sorted(int(y) for y in pd.to_numeric(tbl["survey_year"]).dropna().unique())
    for sy in years:
        rows = tbl[pd.to_numeric(tbl["survey_year"]) == sy]
        # the same rows as stored (each evaluated year brings its survey years again): not rewritten
        digests = {"zone_survey_results": (layer_digest("zone_survey_results", rows), None)} if zones is None else None
        store.replace_results({"zone_survey_results": rows}, year=sy, zones=zones, digests=digests)
    return years


def evaluate_survey_only(store: Store, inputs: dict[str, pd.DataFrame], *, years: list[int], policy: Policy,
                         progress: Progress | None = None) -> dict[int, YearResults]:
    """Evaluate ``years`` on a store without parcels: the survey's figures per zone (each zone's latest
    survey up to the year) stored as zone_survey_results and, for the dashboard and maps, as the
    intensive-use columns of zone_results (``intensive_basis`` survey:<year>); nothing else.

    Refuses (storing nothing) when no year has a survey."""
    say = progress or (lambda _m: None)
    zones = inputs["zones"]
    steps = {y: survey_step(inputs, year=y, policy=policy) for y in sorted(years)}
    if not any(st.used for st in steps.values()):
        raise LanduseError(t(
            f"{', '.join(map(str, years))} 年既无宗地和企业数据，也无截至该年的集约利用调查，未保存任何结果",
            f"{', '.join(map(str, years))}: no parcels, no enterprise data and no intensive-use survey up to the year; "
            "nothing stored"))
    store.put_policy(policy.model_dump_json(), policy_hash=policy.hash, version=policy.version)
    meta = {"policy_version": policy.version, "policy_hash": policy.hash}
    out: dict[int, YearResults] = {}
    geo = zones[["zone_code", "geometry"]] if "geometry" in zones.columns else None
    for y, st in steps.items():
        if not st.used:
            say(t(f"{y} 年无集约利用调查，跳过", f"{y}: no survey up to the year, skipped"))
            continue
        say(t(f"评价 {y} 年（集约利用调查）", f"evaluating {y} (intensive-use survey)"))
        base = pd.DataFrame({"zone_code": zones["zone_code"].to_numpy(), "zone_name": zones["zone_name"].to_numpy(),
                             "pilot_area_code": zones["pilot_area_code"].to_numpy() if "pilot_area_code" in zones.columns
                             else None, "year": y})
        zr = conform(apply_to_zone_results(conform(base, layer("zone_results"), meta), st.figures),
                     layer("zone_results"), meta)
        empty = {name: conform(pd.DataFrame(), layer(name), meta)
                 for name in ("parcel_results", "enterprise_results", "pilot_area_results", "flags", "building_results")}
        res = YearResults(y, {**empty, "zone_results": zr}, pd.DataFrame(), pd.DataFrame(), st.problems,
                          [skipped_without_parcels()], conform(st.table, layer("zone_survey_results"), meta))
        say(t(f"保存 {y} 年结果", f"storing {y}"))
        zr_geo = zr if geo is None else gpd.GeoDataFrame(zr.merge(geo, on="zone_code", how="left"), geometry="geometry",
                                                         crs=4490)
        from landuse.services import versions

        versions.record(store, year=y, layers={"zone_results": zr_geo}, inputs_hash=None, policy_hash=policy.hash,
                        actor=None, origin="evaluate (survey only)")
        store_survey_results(store, res)
        out[y] = res
    return out
