"""One function per use case; the command line and the web service both call these."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from landuse.columns import LAYERS
from landuse.errors import LanduseError
from landuse.policy import Policy

from parcels.export import write_frame
from parcels.importer import ImportReport, import_package
from parcels.store.base import Store

Progress = Callable[[str], None]


def run_import(path: str | Path, store: Store, *, policy: Policy, assume_crs: str | None = None,
               progress: Progress | None = None) -> ImportReport:
    return import_package(path, store, area_tolerance=policy.land.registered_area_tolerance,
                          assume_crs=assume_crs, progress=progress)


def read_layer(store: Store, name: str, *, year: int | None = None, zones: list[str] | None = None,
               with_geometry: bool = True) -> pd.DataFrame:
    """A layer ready for export: results layers get the parcel/zone geometry joined on."""
    df = store.read(name, year=year, zones=zones)
    if name == "parcel_results" and with_geometry and len(df) and df.geometry.isna().all():
        geo = store.read("parcels", zones=zones)[["parcel_code", "geometry"]]
        df = gpd.GeoDataFrame(df.drop(columns="geometry").merge(geo, on="parcel_code", how="left"), geometry="geometry", crs=4490)
    return df


def export_layer(store: Store, name: str, out: str | Path, *, year: int | None = None, zones: list[str] | None = None,
                 lang: str = "zh") -> tuple[Path, int]:
    if name not in LAYERS:
        raise LanduseError(f"未知图层 {name} / unknown layer {name}; known: {', '.join(LAYERS)}")
    layer = LAYERS[name]
    if year is not None and not layer.year_column:
        raise LanduseError(f"图层 {name} 没有年度 / layer {name} has no year")
    df = read_layer(store, name, year=year, zones=zones)
    if layer.output and year is None and len(df) == 0:
        raise LanduseError(f"{name}: 尚无结果，请先运行 landuse evaluate / no results yet: run `landuse evaluate --year Y`")
    if layer.output and year is not None and len(df) == 0:
        raise LanduseError(f"{name}: {year} 年尚无结果，请先运行 landuse evaluate --year {year} / "
                           f"no results for {year}: run `landuse evaluate --year {year}` first")
    path = write_frame(df, out, layer=layer, lang=lang)
    return path, len(df)


def year_end(year: int) -> _dt.date:
    return _dt.date(year, 12, 31)


STORED_RESULTS = ("parcel_results", "enterprise_results", "zone_results", "pilot_area_results", "flags",
                  "building_results")


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
             built_up: str | Path | None = None, progress: Progress | None = None) -> dict[int, dict[str, pd.DataFrame]]:
    """Compute and store every results layer for each year (ascending; re-running replaces them)."""
    from evaluation.annual import evaluate_annual

    say = progress or (lambda _m: None)
    say("读取输入 / reading inputs")
    inputs = store.read_inputs()
    if len(inputs["parcels"]) == 0:
        raise LanduseError("库中没有宗地数据，请先导入数据包 / the store holds no parcels: run `landuse import` first")
    bu = None
    if built_up is not None:
        from parcels.raster_evidence import built_up_share

        say("遥感建成区分区统计 / zonal statistics of the built-up raster")
        bu = built_up_share(inputs["parcels"], built_up)
    depth = _history_depth(policy)
    history = _history(store, min(years), depth)
    out: dict[int, dict[str, pd.DataFrame]] = {}
    geo_p = inputs["parcels"][["parcel_code", "geometry"]]
    geo_z = inputs["zones"][["zone_code", "geometry"]]
    cache: dict = {}
    for y in sorted(years):
        say(f"评价 {y} 年 / evaluating {y}")
        res = evaluate_annual(inputs, year=y, policy=policy, as_of=as_of if len(years) == 1 else None,
                              history=history, built_up=bu, cache=cache)
        stored = {k: res[k] for k in STORED_RESULTS}
        stored["parcel_results"] = gpd.GeoDataFrame(stored["parcel_results"].merge(geo_p, on="parcel_code", how="left"),
                                                    geometry="geometry", crs=4490)
        stored["zone_results"] = gpd.GeoDataFrame(stored["zone_results"].merge(geo_z, on="zone_code", how="left"),
                                                  geometry="geometry", crs=4490)
        say(f"保存 {y} 年结果 / storing {y}")
        store.replace_results(stored, year=y)
        if y + 1 in years:  # roll the window on in memory
            history = {name: pd.concat([history[name][pd.to_numeric(history[name]["year"]) > y - depth],
                                        pd.DataFrame(res[name])], ignore_index=True) for name in HISTORY_LAYERS}
        elif y != max(years):
            history = _history(store, min(v for v in years if v > y), depth)
        out[y] = res
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
            lines.append(f"{code} {name}: " + ("数据不足，无法判断" if lang == "zh" else "not enough data"))
            continue
        met = bool(r.get("goal_met")) if not pd.isna(r.get("goal_met")) else False
        if lang == "zh":
            lines.append(f"{code} {name}: 亩均营业收入 {v:,.1f} 万元/亩，{int(r['baseline_year'])}年 {b:,.1f}，"
                         f"增长 {g:+.1%}，{'达到' if met else '未达到'} +{r['target_growth']:.0%} 目标")
        else:
            lines.append(f"{code} {name}: revenue per mu {v:,.1f} (baseline {b:,.1f}), growth {g:+.1%}, "
                         f"target +{r['target_growth']:.0%} {'met' if met else 'not met'}")
    return lines


def require_results(store: Store, year: int) -> None:
    if year not in store.result_years():
        raise LanduseError(f"{year} 年尚无评价结果，请先运行 landuse evaluate --year {year} / "
                           f"no results for {year}: run `landuse evaluate --year {year}` first")


def targets_frame(store: Store, *, year: int, zone: str | None = None, zones: list[str] | None = None,
                  policy: Policy | None = None) -> pd.DataFrame:
    """The ranked target list for zone managers (one row per flagged parcel), with geometry."""
    from evaluation.targets import target_list

    require_results(store, year)
    limit = [zone] if zone else zones
    pr = store.read("parcel_results", year=year, zones=limit)
    flags = store.read("flags", year=year, zones=limit)
    tl = target_list(pd.DataFrame(pr.drop(columns="geometry")), flags, policy=policy, zone=zone)
    geo = pr[["parcel_code", "geometry"]]
    return gpd.GeoDataFrame(tl.merge(geo, on="parcel_code", how="left"), geometry="geometry", crs=4490)


def write_targets(df: pd.DataFrame, out: str | Path, *, lang: str = "zh") -> Path:
    from evaluation.targets import TARGET_HEADERS_ZH

    from landuse.columns import PARCEL_RESULTS

    labels = {c.name: (c.zh if lang == "zh" else c.en) for c in PARCEL_RESULTS.columns}
    if lang == "zh":
        labels.update(TARGET_HEADERS_ZH)
    return write_frame(df, out, layer_name="targets", lang=lang, extra_headers=labels)


def map_frames(store: Store, *, year: int, zone: str | None = None, pilot_area: str | None = None,
               zones: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """What a map page shows: parcels (results + holder name + grade), zones (results), flags,
    standard factories (occupancy), restricted to a zone, a pilot area or a list of zones."""
    require_results(store, year)
    zin = store.read("zones")
    limit = zones
    if zone:
        if zone not in set(zin["zone_code"]):
            raise LanduseError(f"未知开发区 {zone} / unknown zone {zone}")
        limit = [zone] if limit is None else [z for z in limit if z == zone]
    elif pilot_area:
        codes = zin.loc[zin["pilot_area_code"] == pilot_area, "zone_code"].tolist()
        if not codes:
            raise LanduseError(f"未知试验区 {pilot_area} / unknown pilot area {pilot_area}")
        limit = codes if limit is None else [z for z in limit if z in codes]
    pr = read_layer(store, "parcel_results", year=year, zones=limit)
    ent = store.read("enterprises")[["uscc", "name"]]
    er = store.read("enterprise_results", year=year)[["uscc", "grade"]]
    pr = pr.merge(ent.rename(columns={"uscc": "holder_uscc", "name": "holder_name_e"}), on="holder_uscc", how="left")
    pr["holder_name"] = pr["holder_name"].fillna(pr.pop("holder_name_e")) if "holder_name" in pr.columns else pr.pop("holder_name_e")
    pr = pr.merge(er.rename(columns={"uscc": "holder_uscc"}), on="holder_uscc", how="left")
    pr = gpd.GeoDataFrame(pr, geometry="geometry", crs=4490)
    zr = store.read("zone_results", year=year, zones=limit)
    if zr.geometry.isna().all():
        zr = gpd.GeoDataFrame(zr.drop(columns="geometry").merge(zin[["zone_code", "geometry"]], on="zone_code"),
                              geometry="geometry", crs=4490)
    zr = zr.merge(zin[["zone_code", "zone_name"]].rename(columns={"zone_name": "_zn"}), on="zone_code", how="left")
    zr["zone_name"] = zr["zone_name"].fillna(zr.pop("_zn"))
    flags = store.read("flags", year=year, zones=limit)
    br = store.read("building_results", year=year, zones=limit)
    b = store.read("buildings")
    b = b[b["building_code"].isin(br["building_code"])]
    bg = gpd.GeoDataFrame(br.merge(b[["building_code", "geometry"]], on="building_code", how="left"), geometry="geometry",
                          crs=4490)
    return {"parcels": pr, "zones": gpd.GeoDataFrame(zr, geometry="geometry", crs=4490), "flags": flags, "buildings": bg}


def map_html(store: Store, *, year: int, policy: Policy, zone: str | None = None, pilot_area: str | None = None,
             zones: list[str] | None = None, lang: str = "zh", basemap: str = "none", tianditu_key: str | None = None,
             tile_url: str | None = None) -> str:
    from maps.builder import build_map

    f = map_frames(store, year=year, zone=zone, pilot_area=pilot_area, zones=zones)
    where = zone or pilot_area or ("全省" if lang == "zh" else "province")
    title = f"{where} {year} 年宗地亩均效益图" if lang == "zh" else f"{where} {year}: parcel efficiency map"
    return build_map(parcels=f["parcels"], zones=f["zones"], flags=f["flags"], buildings=f["buildings"], policy=policy,
                     title=title, lang=lang, basemap=basemap, tianditu_key=tianditu_key, tile_url=tile_url,
                     detail="zone" if zone else "overview")


QUOTA_HEADERS_ZH = {"unit": "单元代码", "name": "名称", "score": "综合得分", "base": "基础量", "base_share": "基础份额",
                    "factor": "得分系数", "factor_clipped": "截断后系数", "linkage_adj": "增存挂钩调整",
                    "eligible": "是否可分配", "blocked_reason": "不予安排原因", "raw_mu": "测算值(亩)",
                    "quota_mu": "建议指标(亩)", "quota_explanation": "测算说明", "note": "说明",
                    "absorption_years": "批而未供消化年限(年)", "approved_unsupplied_mu": "批而未供(亩)",
                    "annual_absorption_mu": "年均供地(亩)", "last_rank_streak": "连续末位年数"}


def quota(store: Store, *, year: int, total_mu: int, policy: Policy, level: str = "zone",
          pilot_area: str | None = None) -> pd.DataFrame:
    """The recommended quota tilt (a model, not a published rule); stored into zone_results or
    pilot_area_results of ``year`` (quota_mu, quota_explanation) and returned."""
    from evaluation.quota import allocate_quota
    from landuse.reports import quota_units

    require_results(store, year)
    units = quota_units(store, year=year, policy=policy, level=level, pilot_area=pilot_area)
    alloc = allocate_quota(units, total_mu=total_mu, policy=policy)
    key = "zone_code" if level == "zone" else "pilot_area_code"
    name = "zone_results" if level == "zone" else "pilot_area_results"
    stored = store.read(name, year=year)
    stored = stored.set_index(key)
    stored.loc[alloc.index.intersection(stored.index), "quota_mu"] = alloc["quota_mu"].astype("float64")
    stored.loc[alloc.index.intersection(stored.index), "quota_explanation"] = alloc["quota_explanation"]
    store.replace_results({name: stored.reset_index()}, year=year)
    out = alloc.copy()
    out.index.name = "unit"
    if "name" in units.columns:
        out.insert(0, "name", units["name"].reindex(out.index))
    return out.reset_index()
