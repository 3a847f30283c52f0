"""开发区土地集约利用评价 (TD/T 1029) on one basis: the zone's intensive-use survey (docs/domain.md §12).

Every figure of a zone comes from one survey (its 图斑, with recorded areas, never recomputed) and the
zone's official figures of the survey year (``zone_years``), per zone, survey year and range:
主区, 发展方向区 and 全区 (all the zone's 图斑 together: ratios of sums, never means of the ranges).
With A built urban land, A1 住宅, A2 工矿仓储, B not yet built, B21 ready to supply, C not buildable
and D supplied land (supply type D…), in hectares:

==================================  ===================================================================
development_rate                    土地开发率 = (A + B21) / (A + B)   (total minus C below the line)
supply_rate                         土地供应率 = D / (A + B21)
built_rate                          土地建成率 = A / D
industrial_share                    工业用地率 = A2 / A
residential_share                   住宅用地率 = A1 / A (zone type)
far                                 综合容积率 = Σ floor area on A / A
building_density                    建筑密度 = Σ footprint on A / A
industrial_far                      工业用地综合容积率 = Σ floor area on A2 / A2
industrial_coverage                 工业用地建筑系数 = Σ footprint on A2 / A2
investment_intensity_wan_per_ha     工业用地固定资产投入强度 = fixed-asset investment / A2 (万元/公顷)
industrial_tax_wan_per_ha           工业用地地均税收 = industrial tax / A2 (万元/公顷)
composite_tax_wan_per_ha            综合地均税收 = 二三产业税收 / A (万元/公顷)
population_density_per_ha           人口密度 = population / A (人/公顷)
idle_rate                           土地闲置率 = idle supplied land / D
==================================  ===================================================================

- Floor area and footprint: a built patch without a value counts 0 (roads and greens carry none)
  as long as some built patch of the range has one; when none has, the figure is empty.
- Idle land: patches marked idle among the supplied ones; when no patch of the range says whether it
  is idle, the rate is empty. An idle patch that is not supplied is reported.
- Money and population per range come from the ``zone_years`` row of the zone, the survey year and
  the range; 全区 from the row without a range, else the sum of the 主区 and 发展方向区 rows; a zone
  surveyed on its 主区 only may give its figures on a row without a range.
- Rates above 100 % (and building density or coverage above 1) are data errors: reported in
  ``problems`` and the row's ``note``, left empty, never shown; so are figures outside
  ``intensive.survey_plausible`` (a FAR of 5 000 means m² entered against ha).
- Zone type, on the 主区: 工业主导型 if A2/A > 30 % and A1/A < 25 %; 产城融合型 if A2/A ≤ 30 % and
  A1/A ≥ 25 %; otherwise 其他 (thresholds ``intensive.industrial_type_min_share`` and
  ``industrial_type_max_residential``). A customs special supervision zone — its name holds one of
  ``intensive.customs_zone_words`` (综合保税区, 保税区, 出口加工区) — is 工业主导型 by rule. The type is
  repeated on each of the zone's rows and decides the indicator set of every row.
- Score (集约度分值), per range: the ideal-value method of :mod:`evaluation.intensive` with
  ``intensive.survey_indicators`` (those that apply to the zone's type and have a value; weights
  renormalised within each target layer, layer weights over layers with a value) × 100. The 全区
  score is the range-weighted mean of the range scores (``intensive.range_weights``: 主区 0.8,
  发展方向区 0.2, renormalised over the ranges a zone has). Ranks within (survey year, range, type).

Pure: frames in, frames out (no file, database or map library).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse.core.policy import Policy
from landuse.core.policy.scoring import IntensivePolicy
from landuse.core.survey_codes import (
    DIRECTION_RANGE,
    INDUSTRIAL_LED,
    MAIN_RANGE,
    MIXED,
    OTHER,
    WHOLE_ZONE,
    ZONE_TYPE_CODES,
    class_group,
    is_industrial,
    is_ready_to_supply,
    is_residential,
    supply_group,
)
from landuse.core.units import MU_PER_HA

__all__ = ["SurveyResults", "survey_results", "zone_figures", "apply_to_zone_results", "SURVEY_TO_ZONE_RESULTS",
           "RATE_COLUMNS", "latest_surveys", "SurveyStep", "survey_step"]

PROBLEM_COLUMNS = ("layer", "key", "code", "message")

#: fractions that cannot exceed 1 (a larger value is a data error)
RATE_COLUMNS = ("development_rate", "supply_rate", "built_rate", "industrial_share", "residential_share",
                "building_density", "industrial_coverage", "idle_rate")

#: indicator → (Chinese name, formula) for notes and problems
NAMES = {
    "development_rate": ("土地开发率", "(A+B21)/(A+B)"), "supply_rate": ("土地供应率", "D/(A+B21)"),
    "built_rate": ("土地建成率", "A/D"), "industrial_share": ("工业用地率", "A2/A"),
    "residential_share": ("住宅用地率", "A1/A"), "far": ("综合容积率", "Σ建筑面积/A"),
    "building_density": ("建筑密度", "Σ建筑基底面积/A"), "industrial_far": ("工业用地综合容积率", "Σ建筑面积(A2)/A2"),
    "industrial_coverage": ("工业用地建筑系数", "Σ建筑基底面积(A2)/A2"),
    "investment_intensity_wan_per_ha": ("工业用地固定资产投入强度", "固定资产投资/A2"),
    "industrial_tax_wan_per_ha": ("工业用地地均税收", "工业税收/A2"),
    "composite_tax_wan_per_ha": ("综合地均税收", "二三产业税收/A"), "population_density_per_ha": ("人口密度", "常住人口/A"),
    "idle_rate": ("土地闲置率", "闲置/D"),
}

#: zone_results column ← zone_survey_results column (and the factor: per ha → per mu)
SURVEY_TO_ZONE_RESULTS = {
    "development_rate": ("development_rate", 1.0), "supply_rate": ("supply_rate", 1.0),
    "built_rate": ("built_rate", 1.0), "industrial_share": ("industrial_share", 1.0),
    "far_overall": ("far", 1.0), "coverage_overall": ("building_density", 1.0),
    "far_industrial": ("industrial_far", 1.0), "coverage_industrial": ("industrial_coverage", 1.0),
    "investment_intensity": ("investment_intensity_wan_per_ha", 1 / MU_PER_HA),
    "tax_per_industrial_mu": ("industrial_tax_wan_per_ha", 1 / MU_PER_HA),
    "idle_rate": ("idle_rate", 1.0), "intensive_score": ("score", 1.0),
}


@dataclass(frozen=True)
class SurveyResults:
    """``table``: one row per zone, survey year and range (the zone_survey_results columns, without
    the policy columns); ``problems``: data errors met (layer, key, code, message)."""

    table: pd.DataFrame
    problems: pd.DataFrame


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col in df.columns:
        return pd.to_numeric(df[col], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index, dtype="float64")


def _sums(s: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = s.groupby(keys, sort=True)
    out = g[["total", "A", "A1", "A2", "B", "B21", "C", "D", "idle_D", "floor_A", "foot_A", "floor_A2", "foot_A2"]].sum()
    out["patches"] = g.size()
    for c in ("floor_A_known", "foot_A_known", "floor_A2_known", "foot_A2_known", "idle_known"):
        out[c] = g[c].any()
    out["idle_not_supplied"] = g["idle_not_D"].sum()
    return out


def _by_code(codes: pd.Series, fn) -> pd.Series:
    """``codes.map(fn)`` computed once per distinct code (a survey has ~10⁵ 图斑 and a few dozen
    classes)."""
    idx, uniq = pd.factorize(codes.astype(object), use_na_sentinel=True)
    vals = np.array([fn(v) for v in uniq] + [fn(None)], dtype=object)
    return pd.Series(vals[idx], index=codes.index, dtype=object)


def _patches(land_survey: pd.DataFrame) -> pd.DataFrame:
    s = land_survey
    cls = s["land_class"].astype(object)
    grp = _by_code(cls, class_group)
    a = _num(s, "area_m2") / 10_000.0
    sup = (_by_code(s["supply_type"], supply_group) if "supply_type" in s.columns
           else pd.Series(None, index=s.index))
    is_a = grp.eq("A").to_numpy(dtype=bool)
    is_a2 = _by_code(cls, is_industrial).to_numpy(dtype=bool)
    is_d = sup.eq("D").to_numpy(dtype=bool)
    floor = _num(s, "floor_area_m2") / 10_000.0
    foot = _num(s, "footprint_area_m2") / 10_000.0
    idle = s["idle"].astype("boolean") if "idle" in s.columns else pd.Series(pd.NA, index=s.index, dtype="boolean")
    idle_true = idle.fillna(False).to_numpy(dtype=bool)
    zero = np.zeros(len(s))
    return pd.DataFrame({
        "zone_code": s["zone_code"].astype(object).to_numpy(),
        "survey_year": pd.to_numeric(s["survey_year"], errors="coerce").to_numpy(),
        "range": (s["range"].astype(object).where(s["range"].notna(), MAIN_RANGE) if "range" in s.columns
                  else pd.Series(MAIN_RANGE, index=s.index)).to_numpy(),
        "total": a.to_numpy(),
        "A": np.where(is_a, a, zero),
        "A1": np.where(_by_code(cls, is_residential).to_numpy(dtype=bool), a, zero),
        "A2": np.where(is_a2, a, zero),
        "B": np.where(grp.eq("B").to_numpy(dtype=bool), a, zero),
        "B21": np.where(_by_code(cls, is_ready_to_supply).to_numpy(dtype=bool), a, zero),
        "C": np.where(grp.eq("C").to_numpy(dtype=bool), a, zero),
        "D": np.where(is_d, a, zero),
        "idle_D": np.where(is_d & idle_true, a, zero),
        "idle_not_D": (~is_d & idle_true).astype(int),
        "idle_known": idle.notna().to_numpy(dtype=bool),
        "floor_A": np.where(is_a, floor.fillna(0.0), zero),
        "foot_A": np.where(is_a, foot.fillna(0.0), zero),
        "floor_A2": np.where(is_a2, floor.fillna(0.0), zero),
        "foot_A2": np.where(is_a2, foot.fillna(0.0), zero),
        "floor_A_known": is_a & floor.notna().to_numpy(),
        "foot_A_known": is_a & foot.notna().to_numpy(),
        "floor_A2_known": is_a2 & floor.notna().to_numpy(),
        "foot_A2_known": is_a2 & foot.notna().to_numpy(),
    }, index=s.index)


def _figures(zy: pd.DataFrame | None) -> dict[tuple[str, int, str], dict[str, float]]:
    """zone_years rows by (zone, year, range or '')."""
    out: dict[tuple[str, int, str], dict[str, float]] = {}
    if zy is None or len(zy) == 0:
        return out
    cols = ["fixed_asset_investment_wan", "industrial_tax_wan", "secondary_tertiary_tax_wan", "population"]
    rng = zy["range"].astype(object) if "range" in zy.columns else pd.Series(None, index=zy.index)
    years = pd.to_numeric(zy["year"], errors="coerce")
    for i in range(len(zy)):
        y = years.iloc[i]
        if pd.isna(y):
            continue
        r = rng.iloc[i]
        key = (zy["zone_code"].iloc[i], int(y), r if isinstance(r, str) and r else "")
        out[key] = {c: (float(zy[c].iloc[i]) if c in zy.columns and pd.notna(zy[c].iloc[i]) else np.nan) for c in cols}
    return out


def _zone_year_values(figs, zone: str, year: int, rng: str, ranges_present: set[str]) -> tuple[dict[str, float], str]:
    """The official figures for one row and where they came from."""
    cols = ["fixed_asset_investment_wan", "industrial_tax_wan", "secondary_tertiary_tax_wan", "population"]
    if rng == WHOLE_ZONE:
        if (zone, year, "") in figs:
            return figs[(zone, year, "")], "全区"
        parts = [figs.get((zone, year, r)) for r in sorted(ranges_present)]
        if parts and all(p is not None for p in parts):
            return {c: float(np.sum([p[c] for p in parts])) if all(pd.notna(p[c]) for p in parts) else np.nan
                    for c in cols}, "+".join(sorted(ranges_present))
        return dict.fromkeys(cols, np.nan), ""
    if (zone, year, rng) in figs:
        return figs[(zone, year, rng)], rng
    if rng == MAIN_RANGE and ranges_present == {MAIN_RANGE} and (zone, year, "") in figs:
        return figs[(zone, year, "")], "全区"
    return dict.fromkeys(cols, np.nan), ""


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den is not None and pd.notna(den) and den > 0 and pd.notna(num) else np.nan


def _zone_type(main: pd.Series | None, name: str | None, ip: IntensivePolicy) -> tuple[str | None, str]:
    for w in ip.customs_zone_words:
        if name and w in name:
            return INDUSTRIAL_LED, f"海关特殊监管区域（名称含“{w}”），按规定为工业主导型"
    if main is None or not main["A"] > 0:
        return None, "主区无已建成城镇建设用地，类型无法判定"
    a2, a1 = main["A2"] / main["A"], main["A1"] / main["A"]
    lo, hi = ip.industrial_type_min_share, ip.industrial_type_max_residential
    txt = f"主区工矿仓储用地率 {a2:.1%}、住宅用地率 {a1:.1%}"
    if a2 > lo and a1 < hi:
        return INDUSTRIAL_LED, txt
    if a2 <= lo and a1 >= hi:
        return MIXED, txt
    return OTHER, txt


def _score(row: dict, type_code: str | None, ip: IntensivePolicy) -> tuple[float, list[str]]:
    """Ideal-value score (0–100) of one row and the indicators that apply but have no value."""
    if type_code is None:
        return np.nan, []
    num: dict[str, float] = dict.fromkeys(ip.layers, 0.0)
    den: dict[str, float] = dict.fromkeys(ip.layers, 0.0)
    missing = []
    for name, spec in ip.survey_indicators.items():
        if type_code not in spec.applies_to:
            continue
        v = row.get(name, np.nan)
        if v is None or pd.isna(v):
            missing.append(name)
            continue
        if spec.negative:
            s = 1.0 if v <= spec.ideal else spec.ideal / v
        else:
            s = v / spec.ideal
        s = min(max(s, 0.0), 1.0)
        num[spec.layer] += spec.weight * s
        den[spec.layer] += spec.weight
    total = weight = 0.0
    for lay, lw in ip.layers.items():
        if den[lay] > 0:
            total += lw * num[lay] / den[lay]
            weight += lw
    return (100.0 * total / weight if weight > 0 else np.nan), missing


def survey_results(land_survey: pd.DataFrame, *, policy: Policy, zones: pd.DataFrame | None = None,
                   zone_years: pd.DataFrame | None = None, survey_year: int | None = None) -> SurveyResults:
    """TD/T 1029 figures, zone type and score per zone, survey year and range (module doc).

    ``land_survey``: the survey layer (contract columns; geometry ignored); ``zones``: zone_code and
    zone_name (customs zones are known by their name); ``zone_years``: the official figures;
    ``survey_year``: keep that year only. ``policy``: the Policy (its ``intensive`` section is used)."""
    ip = policy.intensive
    s = land_survey.drop(columns=["geometry"], errors="ignore")
    if survey_year is not None and len(s):
        s = s[pd.to_numeric(s["survey_year"], errors="coerce") == int(survey_year)]
    problems: list[dict] = []
    cols = ["zone_code", "survey_year", "range", "zone_name", "patches", "total_ha", "built_ha", "buildable_ha",
            "ready_ha", "supplied_ha", "industrial_ha", "residential_ha", "unbuildable_ha", "idle_ha",
            *NAMES.keys(), "zone_type", "zone_type_basis", "range_weight", "score", "rank", "note"]
    if len(s) == 0:
        return SurveyResults(pd.DataFrame(columns=cols), pd.DataFrame(columns=list(PROBLEM_COLUMNS)))
    p = _patches(s)
    no_area = np.isnan(p["total"].to_numpy())
    for i in np.flatnonzero(no_area):
        problems.append({"layer": "land_survey", "key": f"{p['zone_code'].iloc[i]}/{s['patch_code'].iloc[i]}",
                         "code": "no_area", "message": "图斑无面积，未计入 / a patch without an area is left out"})
    p = p[~no_area]
    by_range = _sums(p, ["zone_code", "survey_year", "range"])
    whole = _sums(p, ["zone_code", "survey_year"])
    names = {}
    if zones is not None and len(zones) and "zone_name" in zones.columns:
        names = dict(zip(zones["zone_code"], zones["zone_name"], strict=False))
    figs = _figures(zone_years)

    rows: list[dict] = []
    for (zone, year), w in whole.iterrows():
        year = int(year)
        present = {r for (z, y, r) in by_range.index if z == zone and y == year}
        main = by_range.loc[(zone, year, MAIN_RANGE)] if (zone, year, MAIN_RANGE) in by_range.index else None
        ztype, basis = _zone_type(main, names.get(zone), ip)
        type_code = ZONE_TYPE_CODES.get(ztype) if ztype else None
        order = [r for r in (MAIN_RANGE, DIRECTION_RANGE) if r in present] + sorted(present - {MAIN_RANGE, DIRECTION_RANGE})
        zone_rows = []
        for rng, t in [(r, by_range.loc[(zone, year, r)]) for r in order] + [(WHOLE_ZONE, w)]:
            notes: list[str] = []
            fig, fig_from = _zone_year_values(figs, zone, year, rng, present)
            row = {"zone_code": zone, "survey_year": year, "range": rng, "zone_name": names.get(zone),
                   "patches": int(t["patches"]), "total_ha": t["total"], "built_ha": t["A"],
                   "buildable_ha": t["A"] + t["B"], "ready_ha": t["A"] + t["B21"], "supplied_ha": t["D"],
                   "industrial_ha": t["A2"], "residential_ha": t["A1"], "unbuildable_ha": t["C"],
                   "idle_ha": t["idle_D"] if t["idle_known"] else np.nan}
            row["development_rate"] = _ratio(t["A"] + t["B21"], t["A"] + t["B"])
            row["supply_rate"] = _ratio(t["D"], t["A"] + t["B21"])
            row["built_rate"] = _ratio(t["A"], t["D"])
            row["industrial_share"] = _ratio(t["A2"], t["A"])
            row["residential_share"] = _ratio(t["A1"], t["A"])
            row["far"] = _ratio(t["floor_A"], t["A"]) if t["floor_A_known"] else np.nan
            row["building_density"] = _ratio(t["foot_A"], t["A"]) if t["foot_A_known"] else np.nan
            row["industrial_far"] = _ratio(t["floor_A2"], t["A2"]) if t["floor_A2_known"] else np.nan
            row["industrial_coverage"] = _ratio(t["foot_A2"], t["A2"]) if t["foot_A2_known"] else np.nan
            row["investment_intensity_wan_per_ha"] = _ratio(fig["fixed_asset_investment_wan"], t["A2"])
            row["industrial_tax_wan_per_ha"] = _ratio(fig["industrial_tax_wan"], t["A2"])
            row["composite_tax_wan_per_ha"] = _ratio(fig["secondary_tertiary_tax_wan"], t["A"])
            row["population_density_per_ha"] = _ratio(fig["population"], t["A"])
            row["idle_rate"] = _ratio(t["idle_D"], t["D"]) if t["idle_known"] else np.nan
            key = f"{zone}/{year}/{rng}"
            if fig_from and fig_from != rng:
                notes.append(f"开发区统计取自{fig_from}")
            if t["idle_not_supplied"]:
                problems.append({"layer": "land_survey", "key": key, "code": "idle_not_supplied",
                                 "message": f"{int(t['idle_not_supplied'])} 个标为闲置的图斑不是已供应土地(D)，未计入闲置率 / "
                                            "idle patches that are not supplied land (D) are left out of the idle rate"})
            # data errors: never shown
            for c in RATE_COLUMNS:
                v = row[c]
                if pd.notna(v) and v > 1 + 1e-9:
                    zh, formula = NAMES[c]
                    msg = f"{zh} {formula} = {v:.1%} 超过100%，属数据错误，不予显示"
                    problems.append({"layer": "zone_survey_results", "key": key, "code": "rate_above_100",
                                     "message": msg + f" / {c} = {v:.1%} above 100 %: a data error, not shown"})
                    notes.append(msg)
                    row[c] = np.nan
            for c, (lo, hi) in ip.survey_plausible.items():
                v = row.get(c)
                if v is not None and pd.notna(v) and not lo <= v <= hi:
                    zh, formula = NAMES[c]
                    msg = f"{zh} {formula} = {v:,.4g} 不在合理范围 [{lo:g}, {hi:g}]（单位可能有误），属数据错误，不予显示"
                    problems.append({"layer": "zone_survey_results", "key": key, "code": "implausible",
                                     "message": msg + f" / {c} = {v:,.4g} outside [{lo:g}, {hi:g}] (a unit error?): not shown"})
                    notes.append(msg)
                    row[c] = np.nan
            score, missing = _score(row, type_code, ip)
            row["score"] = score
            if missing:
                notes.append("缺少指标：" + "、".join(NAMES[m][0] for m in missing))
            row["zone_type"] = ztype
            row["zone_type_basis"] = basis
            row["range_weight"] = ip.range_weights.get(rng, np.nan) if rng != WHOLE_ZONE else np.nan
            row["_notes"] = notes
            zone_rows.append(row)
        # the whole zone's score: range-weighted mean of the range scores
        ranged = [(r["range_weight"], r["score"]) for r in zone_rows
                  if r["range"] != WHOLE_ZONE and pd.notna(r["score"]) and pd.notna(r["range_weight"])]
        wz = zone_rows[-1]
        if ranged and sum(wt for wt, _ in ranged) > 0:
            wz["score"] = sum(wt * sc for wt, sc in ranged) / sum(wt for wt, _ in ranged)
            if len(ranged) == 1:
                wz["_notes"].append(f"全区得分即{zone_rows[0]['range']}得分（仅一个评价范围）")
            else:
                wz["_notes"].append("全区得分 = " + " + ".join(f"{r['range']}×{r['range_weight']:g}" for r in zone_rows[:-1]
                                                          if pd.notna(r["score"])))
        else:
            wz["score"] = np.nan
        if ztype is None:
            for r in zone_rows:
                r["_notes"].append(basis)
        rows.extend(zone_rows)
    out = pd.DataFrame(rows)
    out["note"] = out.pop("_notes").map(lambda v: "；".join(dict.fromkeys(v)) or None)
    out["rank"] = out.groupby(["survey_year", "range", "zone_type"], dropna=True)["score"].rank(
        ascending=False, method="min").astype("Int64")
    return SurveyResults(out[cols].reset_index(drop=True),
                         pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS)).astype(object))


def latest_surveys(land_survey: pd.DataFrame | None, year: int) -> dict[str, int]:
    """zone_code → the latest survey year ≤ ``year`` (zones with a survey by then)."""
    if land_survey is None or len(land_survey) == 0:
        return {}
    y = pd.to_numeric(land_survey["survey_year"], errors="coerce")
    ok = y <= year
    if not ok.any():
        return {}
    g = pd.DataFrame({"z": land_survey["zone_code"][ok].to_numpy(), "y": y[ok].to_numpy()}).groupby("z")["y"].max()
    return {z: int(v) for z, v in g.items()}


def zone_figures(table: pd.DataFrame, used: Mapping[str, int]) -> pd.DataFrame:
    """The 全区 row of each zone's survey in ``used`` (zone → survey year), indexed by zone_code, in
    zone_results columns: rates from the whole zone, the zone type (as a code) from its 主区, the
    range-weighted score, per-hectare money as per mu; plus ``intensive_basis`` ('survey:<year>')."""
    cols = [*SURVEY_TO_ZONE_RESULTS, "zone_type", "intensive_basis"]
    if table is None or len(table) == 0 or not used:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="zone_code"))
    w = table[table["range"] == WHOLE_ZONE]
    keep = [used.get(z) == int(y) for z, y in zip(w["zone_code"], w["survey_year"], strict=True)]
    w = w[np.asarray(keep, dtype=bool)].set_index("zone_code")
    out = pd.DataFrame(index=w.index)
    for zc, (sc, factor) in SURVEY_TO_ZONE_RESULTS.items():
        out[zc] = pd.to_numeric(w[sc], errors="coerce") * factor
    out["zone_type"] = w["zone_type"].map(lambda v: ZONE_TYPE_CODES.get(v) if isinstance(v, str) else None)
    out["intensive_basis"] = ["survey:" + str(int(y)) for y in w["survey_year"]]
    return out


def apply_to_zone_results(zr: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """``zone_results`` with the intensive-use columns of the surveyed zones replaced by the survey's
    (one basis per zone, never mixed), ``intensive_basis`` set ('survey:<year>' or 'parcels' where a
    parcel-based figure exists) and ``intensive_rank`` recomputed within zone type. A new frame."""
    out = zr.copy()
    idx = out["zone_code"]
    has = idx.isin(figures.index).to_numpy()
    basis = pd.Series([None] * len(out), index=out.index, dtype=object)
    parcel_based = out[[c for c in SURVEY_TO_ZONE_RESULTS if c in out.columns]].notna().any(axis=1).to_numpy()
    basis[parcel_based] = "parcels"
    if has.any():
        f = figures.reindex(idx[has].to_numpy())
        for c in [*SURVEY_TO_ZONE_RESULTS, "zone_type"]:
            if c not in out.columns:
                out[c] = np.nan if c != "zone_type" else None
            vals = f[c].to_numpy()
            if not pd.api.types.is_numeric_dtype(out[c]):
                out[c] = out[c].astype(object)
                out.loc[has, c] = np.asarray(vals, dtype=object)
            else:
                out.loc[has, c] = pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy()
        basis[has] = f["intensive_basis"].to_numpy()
    out["intensive_basis"] = basis
    if "intensive_score" in out.columns:
        out["intensive_rank"] = out.groupby("zone_type", dropna=True)["intensive_score"].rank(
            ascending=False, method="min").astype("Int64")
    return out


@dataclass(frozen=True)
class SurveyStep:
    """The survey step of a year's evaluation: ``table`` holds zone_survey_results for every survey
    year the year uses (all zones surveyed in those years), ``figures`` the zone_results figures of
    each surveyed zone (its latest survey up to the year), ``used`` zone → survey year."""

    table: pd.DataFrame
    figures: pd.DataFrame
    used: dict[str, int]
    problems: pd.DataFrame


def survey_step(inputs: Mapping[str, pd.DataFrame], *, year: int, policy: Policy) -> SurveyStep:
    """For the evaluation of ``year``: each zone's latest survey up to ``year`` (docs/domain.md §12)."""
    ls = inputs.get("land_survey")
    used = latest_surveys(ls, year)
    tables, probs = [], []
    for y in sorted(set(used.values())):
        r = survey_results(ls, policy=policy, zones=inputs.get("zones"), zone_years=inputs.get("zone_years"),
                           survey_year=y)
        tables.append(r.table)
        probs.append(r.problems)
    table = pd.concat(tables, ignore_index=True) if tables else survey_results(
        pd.DataFrame(columns=["zone_code", "survey_year", "land_class"]), policy=policy).table
    problems = pd.concat(probs, ignore_index=True) if probs else pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    return SurveyStep(table, zone_figures(table, used), used, problems)
