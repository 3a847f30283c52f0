"""The intensive-use survey as bureaus hold it (docs/data-package.md, ``land_survey`` and ``zone_years``).

Steps around the generic validation of :mod:`parcels.validate`:

1. :func:`prepare_survey` (raw values, before typing): land-class codes folded to upper-case ASCII;
   a code outside A/B/C refused, an unlisted A-, B- or C-code counted in its group with a warning;
   supply types likewise (an unknown one is a warning and counts as not recorded); 供应时间 in its
   national forms (``YYYYMM``, ``YYYY-MM``, ``YYYY-M``, ``YYYY``; 历史形成 and blank or 0 = not
   recorded; anything else a warning that leaves the date empty); an absent or empty 评价范围 read
   as 主区, and said.
2. :func:`survey_units` (typed values, per file and per zone): the recorded area (DLMJ, hectares
   on the national form) is checked against the polygons' planar area in their Gauss-Krüger zone and
   converted to m²; a missing recorded area is filled with that planar area, and said. Building
   areas (JZMJ, JZJDMJ: hectares on the national form, m² in many zones) are checked against the
   land they stand on: Σ JZMJ / Σ DLMJ on built land (A) is a floor-area ratio, near 1; about 5 000
   means m² entered against ha. The unit whose ratio is plausible is used and the conversion is
   said; when no unit is plausible the column is left empty for that zone (the indicators using it
   stay empty) with the reason.
3. :func:`zone_year_units`: money in 元 instead of 万元 (and areas in m² instead of ha) in
   ``zone_years``, detected per zone against the survey's land: investment per hectare of industrial
   land near the national average 8 984 万元/公顷 in 万元, ten thousand times it in 元.

``--units COLUMN[@ZONE]=ha|m2|mu|yuan|wan`` (:func:`parse_units`) decides instead of the detection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
import shapely

from landuse.core.contract import alias_map
from landuse.core.errors import LanduseError
from landuse.core.survey_codes import (
    KNOWN_CLASSES,
    KNOWN_SUPPLY_TYPES,
    MAIN_RANGE,
    class_group,
    is_industrial,
    normalise_code,
    parse_supply_date,
    supply_group,
)
from landuse.core.units import M2_PER_MU

from parcels import crs as gkcrs
from parcels.io import RawLayer

__all__ = ["parse_units", "prepare_survey", "survey_units", "zone_year_units", "planar_gk_area", "UNIT_FACTORS"]

#: unit → factor to the contract unit (m² for areas, 万元 for money, ha for the *_ha columns)
UNIT_FACTORS = {
    "area": {"m2": 1.0, "ha": 10_000.0, "mu": M2_PER_MU},
    "money": {"wan": 1.0, "yuan": 1e-4},
    "ha": {"ha": 1.0, "m2": 1e-4, "mu": 1 / 15},
}
UNIT_WORDS = {"m2": ("平方米", "m²"), "ha": ("公顷", "ha"), "mu": ("亩", "mu"), "wan": ("万元", "万元"),
              "yuan": ("元", "元")}
#: columns whose unit may be given or detected: column → kind
UNIT_COLUMNS = {
    "area_m2": "area", "floor_area_m2": "area", "footprint_area_m2": "area",
    "fixed_asset_investment_wan": "money", "industrial_revenue_wan": "money", "industrial_tax_wan": "money",
    "secondary_tertiary_tax_wan": "money", "reported_revenue_wan": "money",
    "approved_area_ha": "ha", "evaluated_area_ha": "ha",
}
_ALIASES = {"m²": "m2", "平方米": "m2", "公顷": "ha", "亩": "mu", "元": "yuan", "万元": "wan", "hectare": "ha"}

#: national field codes whose unit is hectares on the national form
HECTARE_HEADERS = {"dlmj", "地类面积", "jzmj", "jzjdmj"}
#: headers that name no unit
UNITLESS_HEADERS = {"建筑面积", "建筑基底面积", "建筑基地面积"}

#: plausibility references for the unit detection (docs/domain.md §9 national averages, around 2020)
FAR_REF = 1.0           # 综合容积率 0.98
DENSITY_REF = 0.3       # 建筑密度, a typical value (no national average published here)
MONEY_REFS = {          # 万元 per hectare of the land in brackets
    "fixed_asset_investment_wan": ("industrial", 8984.0),   # 投入强度 8 984 万元/公顷
    "industrial_tax_wan": ("industrial", 679.0),            # 工业用地地均税收 679 万元/公顷
    "industrial_revenue_wan": ("industrial", 6000.0),       # 400 万元/亩 (Jiangxi 2020 target) × 15
    "secondary_tertiary_tax_wan": ("built", 450.0),         # 30 万元/亩 × 15 (the policy's ideal 综合地均税收)
    "reported_revenue_wan": ("built", 6000.0),
}
#: a unit is plausible when its implied ratio is within this many decades of the reference
DECADES = {"far": 1.5, "money": 2.0}
#: recorded over planar area: a unit is plausible when the ratio is within this factor of 1
AREA_FACTOR = 1.5
#: half of 0.01 ha, the precision DLMJ is often recorded to: a smaller difference is rounding
ROUNDING_M2 = 50.0


Units = Mapping[tuple[str, str | None], str]


def parse_units(specs: list[str] | tuple[str, ...] | None) -> dict[tuple[str, str | None], str]:
    """``["JZMJ=m2", "fixed_asset_investment_wan@Z1=yuan"]`` → {(column, zone or None): unit}.

    A column is named by its contract name or any alias of ``land_survey`` / ``zone_years``."""
    out: dict[tuple[str, str | None], str] = {}
    amap = {**alias_map("zone_years"), **alias_map("land_survey")}
    for spec in specs or ():
        left, eq, unit = str(spec).partition("=")
        col, _, zone = left.partition("@")
        name = amap.get(col.strip().lower())
        unit = _ALIASES.get(unit.strip(), unit.strip().lower())
        if not eq or name not in UNIT_COLUMNS:
            known = ", ".join(sorted(UNIT_COLUMNS))
            raise LanduseError(f"--units {spec}: 应为 列名[@开发区代码]=单位，列名为 {known} 或其国家库字段代码 / expected "
                               f"COLUMN[@ZONE]=UNIT with COLUMN one of {known} (or its national field code)")
        kind = UNIT_COLUMNS[name]
        if unit not in UNIT_FACTORS[kind]:
            raise LanduseError(f"--units {spec}: {name} 的单位应为 {'|'.join(UNIT_FACTORS[kind])} / the unit of {name} "
                               f"must be {'|'.join(UNIT_FACTORS[kind])}")
        out[(name, zone.strip() or None)] = unit
    return out


def _override(units: Units | None, col: str, zone: str | None) -> str | None:
    if not units:
        return None
    return units.get((col, zone)) or units.get((col, None))


# ------------------------------------------------------------------------------------------------
# 1. raw values
# ------------------------------------------------------------------------------------------------

def _rows_text(rows: pd.Series, n: int = 8) -> str:
    r = [str(x) for x in rows.tolist()]
    return ", ".join(r[:n]) + (f" … ({len(r)})" if len(r) > n else "")


def prepare_survey(raw: RawLayer, bag, notes: list[str]) -> None:
    """Normalise and check the raw survey values of one file in place (``raw.frame`` is replaced);
    what was assumed is appended to ``notes``."""
    f = raw.frame.copy()
    rows = f["_row"]
    file = raw.file
    if "survey_year" not in f.columns:
        # the national database keeps the year only in the layer (or file) name
        years = sorted(set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", f"{raw.sheet} {file}")))
        if len(years) == 1:
            f["survey_year"] = int(years[0])
            notes.append(f"{file}: 无调查年度字段，按图层/文件名取 {years[0]} 年 / no survey_year column: {years[0]} taken "
                         "from the layer or file name")
    if "land_class" in f.columns:
        codes = f["land_class"].map(normalise_code)
        group = codes.map(class_group)
        bad = codes.notna() & group.isna()
        if bad.any():
            bag.add(raw, rows[bad], "land_class", f.loc[bad, "land_class"],
                    "开发区土地利用现状分类代码 A…/B…/C…（如 A2 工矿仓储用地）/ a land class of the A/B/C classification",
                    code="land_class")
        odd = codes.notna() & group.notna() & ~codes.isin(KNOWN_CLASSES)
        for code in sorted(set(codes[odd])):
            m = odd & codes.eq(code)
            bag.add(raw, [_rows_text(rows[m])], "land_class", [code],
                    f"国家分类中的地类代码；{code} 不在分类表中，按 {code[0]} 类计入 / a listed class; {code} is not listed "
                    f"and counts in group {code[0]}", code="land_class_unlisted", severity="warning")
        f["land_class"] = codes
    if "supply_type" in f.columns:
        st = f["supply_type"].map(normalise_code)
        grp = st.map(supply_group)
        bad = st.notna() & grp.isna()
        if bad.any():
            bag.add(raw, rows[bad], "supply_type", f.loc[bad, "supply_type"],
                    "供应类型代码 D…/E…/F（如 D21）；按未填报处理 / a supply type D…/E…/F; read as not recorded",
                    code="supply_type", severity="warning")
            st = st.where(~bad)
        odd = st.notna() & ~st.isin(KNOWN_SUPPLY_TYPES)
        for code in sorted(set(st[odd])):
            m = odd & st.eq(code)
            bag.add(raw, [_rows_text(rows[m])], "supply_type", [code],
                    f"国家库中的供应类型；{code} 不在表中，按 {code[0]} 类计入 / a listed supply type; counted in group {code[0]}",
                    code="supply_type_unlisted", severity="warning")
        f["supply_type"] = st
    if "supply_date" in f.columns:
        parsed = f["supply_date"].map(parse_supply_date)
        status = parsed.map(lambda p: p[1])
        bad = status.eq("bad")
        if bad.any():
            bag.add(raw, rows[bad], "supply_date", f.loc[bad, "supply_date"],
                    "供应时间 YYYYMM、YYYY-MM、YYYY 或 历史形成；无法识别，按未填报处理 / a supply date YYYYMM, YYYY-MM, YYYY "
                    "or 历史形成; not understood, left empty", code="supply_date", severity="warning")
        hist = int(status.eq("historical").sum())
        if hist:
            notes.append(f"{file}: {hist} 个图斑供应时间为“历史形成”，按未填报日期处理 / {hist} patches supplied "
                                  "'historically' (历史形成): no date")
        f["supply_date"] = pd.to_datetime(parsed.map(lambda p: p[0]), errors="coerce").astype("datetime64[ns]")
    if "range" not in f.columns:
        f["range"] = MAIN_RANGE
        notes.append(f"{file}: 无评价范围字段 (KFQPJFW)，全部图斑按主区计 / no range column (KFQPJFW, as in the "
                              "2012 national schema): every patch is read as 主区")
    else:
        r = f["range"].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                           else (str(v).strip().replace(" ", "").replace("\u3000", "") or None))
        empty = r.isna()
        if empty.any():
            notes.append(f"{file}: {int(empty.sum())} 个图斑评价范围为空，按主区计 / {int(empty.sum())} patches "
                                  "without a range (KFQPJFW): read as 主区")
        f["range"] = r.fillna(MAIN_RANGE)
    raw.frame = f


# ------------------------------------------------------------------------------------------------
# 2. areas and building areas
# ------------------------------------------------------------------------------------------------

def planar_gk_area(geoms, crs: pyproj.CRS | None) -> tuple[np.ndarray, str]:
    """Planar area (m²) of each geometry in its Gauss-Krüger zone: the file's own GK system when it is
    one, else the CGCS2000 3° GK zone of the geometries' centre. Returns (areas, the system's name)."""
    arr = np.asarray(geoms, dtype=object)
    out = np.full(len(arr), np.nan)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, bool)
    if crs is None or not ok.any():
        return out, ""
    if gkcrs.describe_gk(crs) is not None:
        out[ok] = shapely.area(arr[ok])
        return out, crs.name
    base = crs.source_crs if crs.is_bound else crs
    to_ll = pyproj.Transformer.from_crs(base, 4490, always_xy=True)
    b = shapely.total_bounds(arr[ok])
    lon, _lat = to_ll.transform((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    target = gkcrs.local_gk_crs(lon)
    t = pyproj.Transformer.from_crs(base, target, always_xy=True)
    proj = shapely.transform(arr[ok], lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    out[ok] = shapely.area(proj)
    return out, target.name


def _declared(raw, col: str, default: str) -> str | None:
    h = (getattr(raw, "headers", {}) or {}).get(col)
    if h is None:
        return default
    key = str(h).strip().lower()
    if key in HECTARE_HEADERS:
        return "ha"
    if key in UNITLESS_HEADERS:
        return None
    return default


def _decades(x: float, ref: float) -> float:
    return abs(math.log10(x / ref)) if x > 0 and ref > 0 else math.inf


@dataclass(frozen=True)
class _Choice:
    unit: str | None  # None: no plausible unit
    how: str  # 'user' | 'declared' | 'detected' | 'unclear' | 'no_data'


def _choose(declared: str | None, candidates: dict[str, float], ok: Callable[[float], bool],
            closeness: Callable[[float], float], override: str | None) -> _Choice:
    """Pick a unit: the user's; else the declared one if its implied value is plausible; else the
    plausible one closest to the reference; else none."""
    if override:
        return _Choice(override, "user")
    if not candidates:
        return _Choice(declared, "no_data")
    if declared is not None and declared in candidates and ok(candidates[declared]):
        return _Choice(declared, "declared")
    good = sorted((closeness(v), u) for u, v in candidates.items() if ok(v))
    if good:
        return _Choice(good[0][1], "detected")
    return _Choice(None, "unclear")


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}".replace(",", " ")
    if abs(x) >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2g}"


def survey_units(typed: pd.DataFrame, raw: RawLayer, bag, *, units: Units | None,
                 tolerance: float) -> pd.DataFrame:
    """Recorded areas and building areas of one survey file to m², per zone (see the module doc).
    Returns a new frame."""
    t = typed.copy()
    rows = t["_row"]
    planar, system = planar_gk_area(raw.frame["geometry"].to_numpy() if "geometry" in raw.frame.columns
                                    else np.array([], dtype=object), raw.crs)
    planar = pd.Series(planar if len(planar) == len(t) else np.full(len(t), np.nan), index=t.index)
    zones = t["zone_code"].fillna("")
    has_area = "area_m2" in raw.frame.columns
    area = t["area_m2"].astype("float64") if has_area else pd.Series(np.nan, index=t.index)
    declared_area = _declared(raw, "area_m2", "m2") or "ha"
    words = UNIT_WORDS
    out_area = pd.Series(np.nan, index=t.index)
    area_ok_zone: dict[str, bool] = {}
    for z, idx in zones.groupby(zones).groups.items():
        a, pl = area.loc[idx], planar.loc[idx]
        both = a.notna() & pl.notna() & (pl > 0)
        cands = {u: float((a[both] * f).sum() / pl[both].sum()) for u, f in UNIT_FACTORS["area"].items()} if both.any() else {}
        ch = _choose(declared_area, cands, lambda q: 1 / AREA_FACTOR <= q <= AREA_FACTOR, lambda q: _decades(q, 1.0),
                     _override(units, "area_m2", z))
        unit = ch.unit or declared_area
        area_ok_zone[z] = ch.how != "unclear"
        col_name = raw.headers.get("area_m2", "area_m2") if has_area else "area_m2"
        if ch.how == "detected" and unit != declared_area:
            f_ = UNIT_FACTORS["area"][unit]
            how_zh = "已按平方米读取" if f_ == 1 else f"已按 ×{_fmt(f_)} 换算为平方米"
            how_en = "read as m²" if f_ == 1 else f"converted to m² (×{_fmt(f_)})"
            bag.add(raw, [None], "area_m2", [f"Σ{col_name}/Σ图斑平面面积 = {_fmt(cands[declared_area])}（开发区 {z}）"],
                    f"{col_name} 应为{words[declared_area][0]}；与图形面积比较实为{words[unit][0]}，{how_zh} / {col_name} should be "
                    f"in {words[declared_area][1]}; the polygons show {words[unit][1]}: {how_en} for zone {z}",
                    code="unit_converted", severity="warning")
        elif ch.how == "unclear":
            bag.add(raw, [None], "area_m2", [f"Σ{col_name}/Σ图斑平面面积 = {_fmt(cands.get(declared_area, math.nan))}（开发区 {z}）"],
                    f"{col_name} 与图形面积在任何单位下都不一致，仍按{words[declared_area][0]}使用；请核对或用 --units {col_name}@{z}=ha|m2 "
                    f"指定 / {col_name} matches the polygons in no unit; used as {words[declared_area][1]}; check it or give "
                    f"--units", code="unit_unclear", severity="warning")
        elif ch.how == "user":
            bag.add(raw, [None], "area_m2", [f"{col_name}（开发区 {z}）"],
                    f"按用户指定的单位{words[unit][0]}读取 / read in {words[unit][1]} as the user said (--units)",
                    code="unit_user", severity="warning")
        out_area.loc[idx] = a * UNIT_FACTORS["area"][unit]
    missing = out_area.isna() & planar.notna()
    if missing.any():
        missing_what = "无 DLMJ 字段" if not has_area else f"{int(missing.sum())} 个图斑无地类面积"
        bag.add(raw, [_rows_text(rows[missing])], "area_m2", [missing_what],
                f"记录的地类面积；按图斑在本地高斯-克吕格投影（{system}）中的平面面积补齐 / a recorded area; the planar area "
                f"of the polygon in its local Gauss-Krüger zone ({system}) is used", code="area_from_geometry",
                severity="warning")
        out_area[missing] = planar[missing]
    rec = out_area.notna() & planar.notna() & (planar > 0) & ~missing
    diff = (out_area - planar).abs() / planar
    # recorded hectares are often rounded to 0.01 ha: differences within half of it are rounding
    off = rec & (diff > tolerance) & ((out_area - planar).abs() > ROUNDING_M2) \
        & zones.map(area_ok_zone).fillna(True).astype(bool)
    if off.any():
        idx = off[off].index
        if len(idx) <= 20:
            for i in idx:
                bag.add(raw, [rows[i]], "area_m2", [round(float(out_area[i]), 1)],
                        f"与图斑平面面积 {planar[i]:.1f} 平方米相差 {diff[i]:.1%}（容差 {tolerance:.0%}）；按记录面积计 / within "
                        f"{tolerance:.0%} of the planar area {planar[i]:.1f} m²; the recorded area is used",
                        code="area_mismatch", severity="warning")
        else:
            bag.add(raw, [_rows_text(rows[off])], "area_m2", [f"{len(idx)} 个图斑"],
                    f"记录面积与图斑平面面积相差超过 {tolerance:.0%}；按记录面积计 / recorded areas more than {tolerance:.0%} "
                    "off the planar areas; the recorded areas are used", code="area_mismatch", severity="warning")
    t["area_m2"] = out_area

    # building areas against the built land they stand on
    built = t["land_class"].map(lambda c: class_group(c) == "A") if "land_class" in t.columns else pd.Series(False, index=t.index)
    for col, ref, what in (("floor_area_m2", FAR_REF, ("综合容积率", "FAR")), ("footprint_area_m2", DENSITY_REF, ("建筑密度", "building density"))):
        if col not in raw.frame.columns:
            continue
        declared = _declared(raw, col, "m2")
        header = raw.headers.get(col, col)
        v = t[col].astype("float64")
        out = v.copy()
        for z, idx in zones.groupby(zones).groups.items():
            m = pd.Series(False, index=t.index)
            m.loc[idx] = True
            sel = m & built & t["area_m2"].notna()  # Σ over the built land, as the FAR itself
            land = float(t.loc[sel, "area_m2"].sum())
            cands = {}
            if land > 0 and v[sel].sum() > 0:
                cands = {u: float(v[sel].sum() * UNIT_FACTORS["area"][u] / land) for u in ("m2", "ha")}
            override = _override(units, col, z)
            ch = _choose(declared, cands, lambda r: _decades(r, ref) <= DECADES["far"],
                         lambda r: _decades(r, ref), override)
            ratio = float(v[sel].sum() / (land / 10_000.0)) if land > 0 else math.nan  # raw per ha of land
            evidence = f"Σ{header}/Σ建成地面积(公顷) = {_fmt(ratio)}（开发区 {z}）"
            if ch.how == "no_data":
                continue
            if ch.how == "unclear" or ch.unit is None:
                out.loc[idx] = np.nan
                bag.add(raw, [None], col, [evidence],
                        f"{header} 在公顷或平方米下得出的{what[0]}都不合理，该开发区的此列已置空，相关指标不计算；请核对或用 --units "
                        f"{header}@{z}=ha|m2 指定 / {header} gives an implausible {what[1]} in both ha and m²: left empty "
                        f"for zone {z} (the indicators using it stay empty); check it or give --units", code="unit_unclear",
                        severity="warning")
                continue
            unit = ch.unit
            factor = UNIT_FACTORS["area"][unit]
            out.loc[idx] = v.loc[idx] * factor
            implied = cands.get(unit, math.nan)
            conv_zh = "" if factor == 1 else f"，×{_fmt(factor)} 换算为平方米"
            conv_en = "" if factor == 1 else f", ×{_fmt(factor)} to m²"
            if ch.how == "detected" and declared is not None and unit != declared:
                land_unit = "公顷" if declared_area == "ha" else "平方米"
                bag.add(raw, [None], col, [evidence],
                        f"{header} 应为{words[declared][0]}；按{words[declared][0]}计{what[0]}为 {_fmt(cands[declared])}，不合理："
                        f"实为{words[unit][0]}录入（用地面积为{land_unit}），已按{words[unit][0]}读取{conv_zh}（{what[0]} "
                        f"{_fmt(implied)}）/ {header} entered in {words[unit][1]} against land in {words[declared_area][1]} "
                        f"({what[1]} {_fmt(cands[declared])} otherwise): read as {words[unit][1]}{conv_en} "
                        f"({what[1]} {_fmt(implied)}) for zone {z}", code="unit_converted", severity="warning")
            elif ch.how == "detected" and declared is None:
                bag.add(raw, [None], col, [evidence],
                        f"{header} 未注明单位，按{what[0]}判断为{words[unit][0]}（{what[0]} {_fmt(implied)}）/ {header} has no unit: "
                        f"read as {words[unit][1]} ({what[1]} {_fmt(implied)}) for zone {z}", code="unit_detected",
                        severity="warning")
            elif ch.how == "user":
                bag.add(raw, [None], col, [evidence],
                        f"按用户指定的单位{words[unit][0]}读取（{what[0]} {_fmt(implied)}）/ read in {words[unit][1]} as the user "
                        f"said ({what[1]} {_fmt(implied)})", code="unit_user", severity="warning")
        t[col] = out
    return t


# ------------------------------------------------------------------------------------------------
# 3. money (and areas) of zone_years against the survey's land
# ------------------------------------------------------------------------------------------------

def _survey_land(survey: pd.DataFrame | None) -> pd.DataFrame:
    """(zone_code, year, range) → built, industrial and total hectares, with '' for the whole zone."""
    cols = ["zone_code", "year", "range", "built_ha", "industrial_ha", "total_ha"]
    if survey is None or len(survey) == 0 or "area_m2" not in survey.columns:
        return pd.DataFrame(columns=cols)
    s = pd.DataFrame({
        "zone_code": survey["zone_code"].to_numpy(),
        "year": pd.to_numeric(survey["survey_year"], errors="coerce").to_numpy(),
        "range": survey["range"].fillna(MAIN_RANGE).to_numpy() if "range" in survey.columns else MAIN_RANGE,
        "a": pd.to_numeric(survey["area_m2"], errors="coerce").to_numpy() / 10_000.0,
    })
    cls = survey["land_class"].astype(object)
    s["built"] = np.where(cls.map(lambda c: class_group(c) == "A").to_numpy(dtype=bool), s["a"], 0.0)
    s["ind"] = np.where(cls.map(is_industrial).to_numpy(dtype=bool), s["a"], 0.0)
    by = s.groupby(["zone_code", "year", "range"]).agg(built_ha=("built", "sum"), industrial_ha=("ind", "sum"),
                                                       total_ha=("a", "sum")).reset_index()
    whole = s.groupby(["zone_code", "year"]).agg(built_ha=("built", "sum"), industrial_ha=("ind", "sum"),
                                                 total_ha=("a", "sum")).reset_index().assign(range="")
    return pd.concat([by, whole], ignore_index=True)[cols]


def zone_year_units(typed: pd.DataFrame, raw: RawLayer, bag, *, survey: pd.DataFrame | None,
                    units: Units | None) -> pd.DataFrame:
    """Money columns of ``zone_years`` in 万元 (and area columns in ha), per zone (module doc)."""
    t = typed.copy()
    land = _survey_land(survey)
    key = t[["zone_code", "year"]].copy()
    key["year"] = pd.to_numeric(key["year"], errors="coerce")
    key["range"] = t["range"].fillna("") if "range" in t.columns else ""
    m = key.merge(land, on=["zone_code", "year", "range"], how="left")
    m.index = t.index
    zones = t["zone_code"].fillna("")
    for col, kind in UNIT_COLUMNS.items():
        if kind not in ("money", "ha") or col not in t.columns or col not in raw.frame.columns:
            continue
        header = raw.headers.get(col, col)
        v = pd.to_numeric(t[col], errors="coerce")
        out = v.copy()
        for z, idx in zones.groupby(zones).groups.items():
            override = _override(units, col, z)
            if kind == "money":
                basis, ref = MONEY_REFS.get(col, (None, math.nan))
                if basis is None and not override:
                    continue
                den = m.loc[idx, "industrial_ha" if basis == "industrial" else "built_ha"] if basis else None
            else:
                if col != "evaluated_area_ha" and not override:
                    continue
                den, ref = m.loc[idx, "total_ha"], 1.0
            factors = UNIT_FACTORS[kind]
            declared = "wan" if kind == "money" else "ha"
            sel = v.loc[idx].notna() & (den.notna() & (den > 0) if den is not None else False)
            cands = {}
            if den is not None and sel.any() and v.loc[idx][sel].sum() > 0:
                tot = float(den[sel].sum())
                cands = {u: float(v.loc[idx][sel].sum() * f / tot) for u, f in factors.items()}
            limit = DECADES["money"] if kind == "money" else math.log10(3.0)
            ch = _choose(declared, cands, lambda r: _decades(r, ref) <= limit, lambda r: _decades(r, ref),
                         override)
            what = ("万元/公顷" if kind == "money" else "倍评价范围面积")
            evidence = (f"{header}/{'工矿仓储用地' if col in ('fixed_asset_investment_wan', 'industrial_tax_wan', 'industrial_revenue_wan') else '建成地' if kind == 'money' else '调查面积'}"
                        f" = {_fmt(cands.get(declared, math.nan))} {what}（开发区 {z}）")
            if ch.how in ("no_data", "declared"):
                continue
            if ch.how == "unclear" or ch.unit is None:
                out.loc[idx] = np.nan
                bag.add(raw, [None], col, [evidence],
                        f"{header} 以{UNIT_WORDS[declared][0]}或其他单位计都不合理，该开发区的此列已置空，相关指标不计算；请核对或用 "
                        f"--units {header}@{z}=… 指定 / {header} is implausible in every unit: left empty for zone {z} (the "
                        "indicators using it stay empty); check it or give --units", code="unit_unclear", severity="warning")
                continue
            unit = ch.unit
            out.loc[idx] = v.loc[idx] * factors[unit]
            if ch.how == "detected":
                bag.add(raw, [None], col, [evidence],
                        f"{header} 应以{UNIT_WORDS[declared][0]}填报；数值表明为{UNIT_WORDS[unit][0]}，已按 ×{_fmt(factors[unit])} 换算 "
                        f"（{_fmt(cands[unit])} {what}）/ {header} should be in {UNIT_WORDS[declared][1]}; the values are in "
                        f"{UNIT_WORDS[unit][1]}: converted (×{_fmt(factors[unit])}) for zone {z}", code="unit_converted",
                        severity="warning")
            else:
                bag.add(raw, [None], col, [f"{header}（开发区 {z}）"],
                        f"按用户指定的单位{UNIT_WORDS[unit][0]}读取 / read in {UNIT_WORDS[unit][1]} as the user said (--units)",
                        code="unit_user", severity="warning")
        t[col] = out
    return t
