"""Validation of a data package: every problem collected, typed frames out.

``validate_package`` turns the raw layers of :func:`parcels.io.read_package` into typed frames
(contract dtypes, geometries as MultiPolygon in EPSG:4490, geodesic areas) and a list of
:class:`landuse.core.errors.Problem`. Errors stop an import; warnings (a repaired geometry, a registered
area that differs from the geometry, a holder not in the enterprise list) are reported only.

References are checked against the package together with what the store already holds, so a
package may carry only new yearly figures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from stdnum.cn import uscc as stdnum_uscc

from landuse.core.contract import BOOL, DATE, FLOAT, INT, LAYERS, STR
from landuse.core.errors import Problem
from landuse.core.units import EPSG_CGCS2000

from parcels.area import geodesic_area_m2
from parcels.io import PackageRead, RawLayer
from parcels.schema import FALSE_WORDS, TRUE_WORDS, coerce, parse_value
from parcels.survey_import import prepare_survey, survey_units, zone_year_units

# (layer, column) → (referenced layer, referenced column, severity)
REFERENCES = (
    ("parcels", "zone_code", "zones", "zone_code", "error"),
    ("parcels", "holder_uscc", "enterprises", "uscc", "warning"),
    ("enterprise_years", "uscc", "enterprises", "uscc", "error"),
    ("buildings", "parcel_code", "parcels", "parcel_code", "error"),
    ("leases", "uscc", "enterprises", "uscc", "error"),
    ("leases", "building_code", "buildings", "building_code", "error"),
    ("leases", "parcel_code", "parcels", "parcel_code", "error"),
    ("land_rights", "parcel_code", "parcels", "parcel_code", "error"),
    ("land_rights", "holder_uscc", "enterprises", "uscc", "error"),
    ("pilot_area_zones", "zone_code", "zones", "zone_code", "error"),
    ("enterprise_periods", "uscc", "enterprises", "uscc", "error"),
    ("land_survey", "zone_code", "zones", "zone_code", "error"),
    ("zone_years", "zone_code", "zones", "zone_code", "error"),
)

YEAR_RANGE = (1990, 2100)
#: a period of enterprise_periods: a quarter, a half year or a month, cumulative from 1 January
PERIOD_PATTERN = r"\d{4}(Q[1-4]|H[12]|-(0[1-9]|1[0-2]))"


@functools.lru_cache(maxsize=1_000_000)
def _uscc_ok(code: str) -> bool:
    return bool(code) and stdnum_uscc.is_valid(code)


def uscc_valid(v: pd.Series) -> pd.Series:
    """python-stdnum's GB 32100-2015 check, run once per distinct code."""
    ok = {code: _uscc_ok(code) for code in v.dropna().unique()}
    return v.map(ok).fillna(False).astype(bool)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, raw: RawLayer, rows, column, values, expected, *, code, severity="error") -> None:
        rows = list(rows)
        values = list(values)
        for r, v in zip(rows, values, strict=True):
            self.problems.append(Problem(raw.file + (f":{raw.sheet}" if raw.sheet and not raw.file.endswith(raw.sheet) else ""),
                                         raw.layer.name, _py(r), column, _py(v), expected, severity, code))


def _py(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def missing_mask(s: pd.Series) -> pd.Series:
    """True where a cell is empty: None/NaN/NaT or blank text (vectorised)."""
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_numeric_dtype(s) or str(s.dtype) == "boolean":
        return s.isna()
    txt = s.astype("string").str.strip()
    return (s.isna() | txt.isna() | txt.eq("")).astype(bool)


def _str_values(s: pd.Series, missing: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        out = s.map(lambda v: str(int(v)) if float(v).is_integer() else str(v), na_action="ignore")
    else:
        out = s.astype("string").str.strip().astype(object)
        floats = s.map(lambda v: isinstance(v, float) and v.is_integer())
        if floats.any():
            out[floats] = s[floats].map(lambda v: str(int(v)))
    out = out.astype(object)
    out[missing] = None
    return out


def _parse_column(raw: RawLayer, col, s: pd.Series, rows: pd.Series, bag: _Collector,
                  missing: pd.Series | None = None) -> pd.Series:
    """Vectorised parse with a per-cell fallback for the cells the fast path could not read."""
    if missing is None:
        missing = missing_mask(s)
    kind = col.kind
    if kind == STR:
        return _str_values(s, missing)
    if kind in (FLOAT, INT):
        if pd.api.types.is_numeric_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
        else:
            isnum = s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
            txt = s.astype("string").str.strip().str.replace(",", "", regex=False).str.replace("，", "", regex=False)
            num = pd.to_numeric(txt.astype(object).where(~isnum, s), errors="coerce")
        bad = num.isna() & ~missing
        if kind == INT:
            frac = num.notna() & (num != num.round())
            bad = bad | frac
        if bad.any():
            bag.add(raw, rows[bad], col.name, s[bad], "a number" if kind == FLOAT else "a whole number",
                    code="not_a_number")
        num = num.where(~bad)
        if col.nonneg:
            neg = num < 0
            if neg.any():
                bag.add(raw, rows[neg], col.name, s[neg], "a value ≥ 0 (不能为负)", code="negative")
        return num.astype("float64") if kind == FLOAT else num.round().astype("Int64")
    if kind == BOOL:
        def conv(v):
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
                return None
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            t = str(v).strip().lower()
            if t in TRUE_WORDS or t in ("1.0",):
                return True
            if t in FALSE_WORDS or t in ("0.0",):
                return False
            return "BAD"
        out = s.map(conv)
        bad = out.map(lambda v: v == "BAD").astype(bool)
        if bad.any():
            bag.add(raw, rows[bad], col.name, s[bad], "yes/no (是/否, 1/0, true/false)", code="not_a_bool")
        return pd.array([None if (v is None or v == "BAD") else v for v in out], dtype="boolean")
    if kind == DATE:
        if pd.api.types.is_datetime64_any_dtype(s):
            return s.astype("datetime64[ns]").dt.normalize()
        fast = pd.to_datetime(s.where(s.map(lambda v: isinstance(v, str))), format="%Y-%m-%d", errors="coerce")
        need = fast.isna() & ~missing
        if need.any():
            parsed = s[need].map(lambda v: parse_value(v, DATE))
            vals = parsed.map(lambda t: t[0])
            bad = parsed.map(lambda t: t[1] is not None).astype(bool)
            if bad.any():
                idx = bad[bad].index
                bag.add(raw, rows[idx], col.name, s[idx], "a date YYYY-MM-DD", code="not_a_date")
            fast = fast.astype("datetime64[ns]")
            ok = vals[~bad]
            fast.loc[ok.index] = pd.to_datetime(ok.astype(object))
        return fast.astype("datetime64[ns]")
    raise ValueError(kind)


def _check_geometry(raw: RawLayer, frame: pd.DataFrame, bag: _Collector) -> gpd.GeoSeries | None:
    if "geometry" not in frame.columns:
        if raw.layer.geometry and raw.layer.geometry_required:
            bag.add(raw, [None], "geometry", [None], f"{raw.layer.geometry} geometries (a spatial file)", code="no_geometry")
        return None
    geoms = gpd.GeoSeries(frame["geometry"].values, index=frame.index, crs=raw.crs)
    rows = frame["_row"]
    arr = np.asarray(geoms.values)
    empty = shapely.is_missing(arr) | shapely.is_empty(arr)
    if empty.any():
        if raw.layer.geometry_required:
            bag.add(raw, rows[empty], "geometry", ["empty"] * int(empty.sum()), "a polygon (空几何)", code="empty_geometry")
    kinds = shapely.get_type_id(arr)
    wrong = ~empty & ~np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    if wrong.any():
        bag.add(raw, rows[wrong], "geometry", [shapely.get_type_id(g) for g in arr[wrong]],
                "a polygon or multipolygon", code="wrong_geometry")
    invalid = ~empty & ~wrong & ~shapely.is_valid(arr)
    if invalid.any():
        reasons = shapely.is_valid_reason(arr[invalid])
        repaired = shapely.make_valid(arr[invalid])
        # keep only the polygonal part of the repair
        polys = np.array([_polygonal(g) for g in repaired], dtype=object)
        # make_valid keeps every enclosed area (a bow-tie becomes its two triangles) and drops only
        # collapsed, zero-area parts; a repair is safe when a polygonal result with area remains
        ok = np.array([g is not None and not g.is_empty for g in polys]) & (shapely.area(polys) > 0)
        idx = np.flatnonzero(invalid)
        for j, (i, good) in enumerate(zip(idx, ok, strict=True)):
            r = rows.iloc[i]
            if good:
                arr[i] = polys[j]
                bag.add(raw, [r], "geometry", [reasons[j]], "a valid polygon; repaired with make_valid (已自动修复)",
                        code="geometry_repaired", severity="warning")
            else:
                bag.add(raw, [r], "geometry", [reasons[j]], "a valid polygon (cannot be repaired: no area left)",
                        code="invalid_geometry")
    single = shapely.get_type_id(arr) == 3
    if single.any():
        arr[single] = shapely.multipolygons(arr[single], indices=np.arange(int(single.sum())))
    out = gpd.GeoSeries(arr, index=frame.index, crs=raw.crs)
    if raw.crs is not None and raw.crs.is_bound:
        # seven parameters (--towgs84) lead to WGS 84, taken as CGCS2000 (cm to dm apart): PROJ would
        # otherwise go to CGCS2000 by its ballpark and ignore them
        out = out.to_crs(4326).set_crs(EPSG_CGCS2000, allow_override=True)
    elif raw.crs is not None and out.crs.to_epsg() != EPSG_CGCS2000:
        out = out.to_crs(EPSG_CGCS2000)
    if raw.crs is not None and out.crs is not None:
        # a reprojection can leave a valid polygon a hair's breadth invalid (a spike folding over)
        g = np.asarray(out.values, dtype=object)
        bad = ~shapely.is_missing(g) & ~shapely.is_empty(g)
        bad[bad] = ~shapely.is_valid(g[bad])
        if bad.any():
            fixed = np.array([_polygonal(x) for x in shapely.make_valid(g[bad])], dtype=object)
            single = np.array([x is not None and x.geom_type == "Polygon" for x in fixed])
            if single.any():
                fixed[single] = shapely.multipolygons(fixed[single], indices=np.arange(int(single.sum())))
            g[bad] = fixed
            out = gpd.GeoSeries(g, index=out.index, crs=out.crs)
    elif raw.crs is None:
        out = out.set_crs(EPSG_CGCS2000)
    return out


def _polygonal(g):
    if g is None:
        return None
    t = g.geom_type
    if t in ("Polygon", "MultiPolygon"):
        return g
    if t == "GeometryCollection":
        parts = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            return shapely.union_all(parts)
    return shapely.Polygon()


def _typed_layer(raw: RawLayer, bag: _Collector, *, policy_tolerance: float) -> pd.DataFrame:
    layer = raw.layer
    f = raw.frame.reset_index(drop=True)
    rows = f["_row"]
    missing_cols = [c for c in layer.required if c not in f.columns]
    for c in missing_cols:
        bag.add(raw, [None], c, [None], f"a column {c} ({layer.col(c).zh})", code="missing_column")
    typed = pd.DataFrame(index=f.index)
    for col in layer.columns:
        if col.name in layer.derived:
            continue
        if col.name in f.columns:
            empty = missing_mask(f[col.name])
            typed[col.name] = _parse_column(raw, col, f[col.name], rows, bag, empty)
            if col.required:
                if empty.any():
                    bag.add(raw, rows[empty], col.name, [""] * int(empty.sum()), f"a value ({col.zh} 必填)", code="required")
            if col.choices:
                v = typed[col.name]
                bad = v.notna() & ~v.isin(col.choices)
                if bad.any():
                    bag.add(raw, rows[bad], col.name, v[bad], "one of " + "|".join(col.choices), code="choice")
    typed = coerce(typed, layer)
    geoms = _check_geometry(raw, f, bag) if layer.geometry else None
    # layer-specific checks
    if "uscc" in typed.columns and layer.name in ("enterprises", "enterprise_years", "leases", "enterprise_periods"):
        v = typed["uscc"]
        bad = v.notna() & ~uscc_valid(v)
        if bad.any():
            bag.add(raw, rows[bad], "uscc", v[bad], "an 18-character USCC with a valid check character (GB 32100-2015)",
                    code="uscc_check")
    if layer.name in ("parcels", "land_rights") and "holder_uscc" in f.columns:
        v = typed["holder_uscc"]
        bad = v.notna() & ~uscc_valid(v)
        if bad.any():
            bag.add(raw, rows[bad], "holder_uscc", v[bad], "an 18-character USCC with a valid check character",
                    code="uscc_check")
    if "year" in typed.columns:
        y = typed["year"]
        bad = y.notna() & ((y < YEAR_RANGE[0]) | (y > YEAR_RANGE[1]))
        if bad.any():
            bag.add(raw, rows[bad], "year", y[bad], f"a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}", code="year")
    for a, b, strict in (("start_date", "end_date", False), ("supply_date", "completion_date", False),
                         ("actual_start_date", "completion_date", False), ("valid_from", "valid_to", True),
                         ("in_zone_from", "in_zone_to", True)):
        if a in typed.columns and b in typed.columns:
            # *_to is the first day no longer in force: it must come after *_from
            bad = typed[a].notna() & typed[b].notna() & ((typed[a] >= typed[b]) if strict else (typed[a] > typed[b]))
            if bad.any():
                bag.add(raw, rows[bad], b, typed.loc[bad, b].dt.strftime("%Y-%m-%d"),
                        f"a date {'after' if strict else 'on or after'} {a} ({', '.join(typed.loc[bad, a].dt.strftime('%Y-%m-%d').head(3))}…)"
                        if bad.sum() > 3 else f"a date {'after' if strict else 'on or after'} {a} {', '.join(typed.loc[bad, a].dt.strftime('%Y-%m-%d'))}",
                        code="start_after_end")
    if layer.name == "enterprise_periods" and "period" in typed.columns:
        v = typed["period"]
        bad = v.notna() & ~v.astype(str).str.fullmatch(PERIOD_PATTERN)
        if bad.any():
            bag.add(raw, rows[bad], "period", v[bad], "a period such as 2025Q3, 2025H1 or 2025-09", code="period")
    if layer.name == "leases" and {"building_code", "parcel_code"} <= set(typed.columns) | {"building_code", "parcel_code"}:
        bc = typed["building_code"]
        pc = typed["parcel_code"]
        neither = bc.isna() & pc.isna()
        if neither.any():
            bag.add(raw, rows[neither], "building_code", [""] * int(neither.sum()),
                    "a building_code or a parcel_code (one of the two)", code="required")
    # duplicates
    key = list(layer.key)
    present = [k for k in key if k in typed.columns]
    if present and len(present) == len(key) and len(typed):
        dup = typed.duplicated(subset=key, keep="first")
        if dup.any():
            kv = key_text(typed.loc[dup, key])
            bag.add(raw, rows[dup], "/".join(key), kv, "a unique key (重复)", code="duplicate_key")
    typed["_row"] = rows.values
    if geoms is not None:
        typed = gpd.GeoDataFrame(typed, geometry=geoms.values, crs=EPSG_CGCS2000)
        if "geodesic_area_m2" in layer.names:
            typed["geodesic_area_m2"] = geodesic_area_m2(typed.geometry)
        if layer.name == "parcels" and "registered_area_m2" in typed.columns:
            reg, geo = typed["registered_area_m2"], typed["geodesic_area_m2"]
            diff = (reg - geo).abs() / geo
            bad = reg.notna() & geo.notna() & (geo > 0) & (diff > policy_tolerance)
            if bad.any():
                idx = bad[bad].index
                bag.add(raw, rows[idx], "registered_area_m2", reg[idx].round(1),
                        [f"within {policy_tolerance:.0%} of the geometry's ellipsoidal area {g:.1f} m² (off by {d:.1%}); "
                         "the registered area is used" for g, d in zip(geo[idx], diff[idx], strict=True)][0]
                        if len(idx) == 1 else
                        f"within {policy_tolerance:.0%} of the geometry's ellipsoidal area; the registered area is used",
                        code="area_mismatch", severity="warning")
    return typed


def validate_package(read: PackageRead, *, existing_keys: Callable[[str, str], set] | None = None,
                     area_tolerance: float = 0.02, existing_frame: Callable[[str], pd.DataFrame] | None = None,
                     units: Mapping[tuple[str, str | None], str] | None = None,
                     ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check everything; return typed frames (with '_row') and all problems (errors and warnings).

    ``existing_keys(layer, column)`` and ``existing_frame(layer)`` give what the store already holds,
    so references and cross-layer rules are checked against the package together with the store (the
    survey the money units of ``zone_years`` are checked against when the package brings figures only;
    today's right against the parcels); ``units``: the user's ``--units``."""
    bag = _Collector()
    bag.problems.extend(read.problems)
    parts: dict[str, pd.DataFrame] = {}  # one per source (a layer may come in several files)
    for key, raw in read.layers.items():
        if raw.layer.name == "land_survey":
            prepare_survey(raw, bag, read.notes)
        parts[key] = _typed_layer(raw, bag, policy_tolerance=area_tolerance)
        if raw.layer.name == "land_survey":
            parts[key] = survey_units(parts[key], raw, bag, units=units, tolerance=area_tolerance)
    typed = _merge_parts(read, parts, bag)
    if "zone_years" in typed:
        survey = typed.get("land_survey")
        if existing_frame is not None:
            stored = existing_frame("land_survey")
            if stored is not None and len(stored):
                if survey is not None and len(survey):
                    have = set(zip(survey["zone_code"], survey["survey_year"], strict=True))
                    keep = [(z, y) not in have for z, y in zip(stored["zone_code"], stored["survey_year"], strict=True)]
                    stored = stored[np.asarray(keep, dtype=bool)]
                survey = pd.concat([x for x in (survey, pd.DataFrame(stored)) if x is not None and len(x)], ignore_index=True)
        typed["zone_years"] = zone_year_units(typed["zone_years"], read.layers["zone_years"], bag, survey=survey,
                                              units=units)
    # references against package ∪ store (each source checked on its own rows)
    for lname, col, ref_layer, ref_col, severity in REFERENCES:
        if lname not in typed or col not in typed[lname].columns:
            continue
        known = set(typed[ref_layer][ref_col].dropna()) if ref_layer in typed else set()
        if existing_keys is not None:
            known |= existing_keys(ref_layer, ref_col)
        for key, frame in parts.items():
            if read.layers[key].layer.name != lname:
                continue
            v = frame[col]
            bad = v.notna() & ~v.isin(known)
            if bad.any():
                bag.add(read.layers[key], frame.loc[bad, "_row"], col, v[bad],
                        f"a {ref_col} that exists in {ref_layer} ({LAYERS[ref_layer].zh})",
                        code="dangling_reference", severity=severity)
    _check_lease_capacity(read, typed, bag, existing_keys)
    _check_rights(read, typed, bag, existing_frame)
    _check_pilot_membership(read, typed, bag)
    _check_predecessors(read, typed, bag, existing_keys)
    return typed, bag.problems


def _periods_overlap(g: pd.DataFrame, start: str, end: str) -> pd.Series:
    """Rows (sorted by start) whose period begins before the previous one of the group ended
    (``end`` is the first day no longer in force; empty = still in force)."""
    prev_end = g[end].shift(1)
    prev_open = g[start].shift(1).notna() & prev_end.isna()
    return (prev_open | (prev_end.notna() & (g[start] < prev_end))).fillna(False)


def _raw_of(read: PackageRead, name: str) -> RawLayer:
    """The (first) source a layer was read from."""
    return next(raw for raw in read.layers.values() if raw.layer.name == name)


def _check_rights(read: PackageRead, typed: Mapping[str, pd.DataFrame], bag: _Collector, existing_frame) -> None:
    """land_rights: the periods of one parcel must not overlap; where a parcel has rights, the right
    in force today must name the holder the parcels layer names (docs/data-package.md)."""
    if "land_rights" not in typed:
        return
    r = typed["land_rights"]
    raw = _raw_of(read, "land_rights")
    ok = r[r["parcel_code"].notna() & r["valid_from"].notna()].sort_values(["parcel_code", "valid_from"], kind="stable")
    over = ok.groupby("parcel_code", group_keys=False).apply(lambda g: _periods_overlap(g, "valid_from", "valid_to"))
    if len(over) and over.any():
        bad = ok.loc[over[over].index]
        bag.add(raw, bad["_row"], "valid_from", bad["parcel_code"] + " " + bad["valid_from"].dt.strftime("%Y-%m-%d"),
                "periods of one parcel that do not overlap (the previous right ends before this one starts)",
                code="rights_overlap")
    # today's right against the parcels layer
    parcels = typed.get("parcels")
    if parcels is None and existing_frame is not None:
        parcels = existing_frame("parcels")
    if parcels is None or parcels.empty or "holder_uscc" not in parcels.columns:
        return
    today = pd.Timestamp.today().normalize()
    now = ok[(ok["valid_from"] <= today) & (ok["valid_to"].isna() | (ok["valid_to"] > today))]
    holder = parcels.drop_duplicates("parcel_code").set_index("parcel_code")["holder_uscc"]
    has = ok["parcel_code"].unique()
    expected = now.drop_duplicates("parcel_code", keep="last").set_index("parcel_code")["holder_uscc"].reindex(has)
    stated = holder.reindex(has)
    diff = ~((expected.isna() & stated.isna()) | (expected == stated).fillna(False))
    diff = diff & pd.Series(pd.Index(has).isin(holder.index), index=has)
    for code in diff[diff].index:
        rows = ok.loc[ok["parcel_code"] == code, "_row"].tolist()
        bag.add(raw, [rows[-1]], "holder_uscc", [f"{code}: {expected.get(code) or '(无 none)'}"],
                f"the holder in force today to equal parcels.holder_uscc ({stated.get(code) or '(无 none)'})",
                code="rights_holder_mismatch")


def _check_pilot_membership(read: PackageRead, typed: Mapping[str, pd.DataFrame], bag: _Collector) -> None:
    """A zone is managed directly by one pilot area at a time."""
    if "pilot_area_zones" not in typed:
        return
    m = typed["pilot_area_zones"]
    d = m[(m["role"] == "direct") & m["zone_code"].notna()].copy()
    d["valid_from"] = d["valid_from"].fillna(pd.Timestamp("1900-01-01"))
    d = d.sort_values(["zone_code", "valid_from"], kind="stable")
    over = d.groupby("zone_code", group_keys=False).apply(lambda g: _periods_overlap(g, "valid_from", "valid_to"))
    if len(over) and over.any():
        bad = d.loc[over[over].index]
        bag.add(_raw_of(read, "pilot_area_zones"), bad["_row"], "zone_code", bad["zone_code"] + " ← " + bad["pilot_area_code"],
                "one pilot area managing a zone directly at a time (直接管理)", code="two_direct_pilots")


def _check_predecessors(read: PackageRead, typed: Mapping[str, pd.DataFrame], bag: _Collector, existing_keys) -> None:
    if "parcels" not in typed or "predecessor_codes" not in typed["parcels"].columns:
        return
    p = typed["parcels"]
    known = set(p["parcel_code"].dropna())
    if existing_keys is not None:
        known |= existing_keys("parcels", "parcel_code")
    pc = p["predecessor_codes"].dropna()
    for i, v in pc.items():
        missing = [c for c in (x.strip() for x in str(v).split(";")) if c and c not in known]
        if missing:
            bag.add(_raw_of(read, "parcels"), [p.at[i, "_row"]], "predecessor_codes", [v],
                    f"parcel codes that exist ({', '.join(missing)} unknown)", code="dangling_reference")


def _merge_parts(read: PackageRead, parts: Mapping[str, pd.DataFrame], bag: _Collector) -> dict[str, pd.DataFrame]:
    """One frame per layer: a layer read from several sources (survey files) is concatenated, and a
    key found in two of them is reported in the second."""
    typed: dict[str, pd.DataFrame] = {}
    groups: dict[str, list[str]] = {}
    for key in parts:
        groups.setdefault(read.layers[key].layer.name, []).append(key)
    for name, keys in groups.items():
        if len(keys) == 1:
            typed[name] = parts[keys[0]]
            continue
        layer = LAYERS[name]
        seen: set[str] = set()
        for key in keys:
            frame = parts[key]
            if all(k in frame.columns for k in layer.key) and len(frame):
                kt = key_text(frame[list(layer.key)])
                dup = kt.isin(seen) & ~frame.duplicated(subset=list(layer.key), keep="first")
                if dup.any():
                    bag.add(read.layers[key], frame.loc[dup, "_row"], "/".join(layer.key), kt[dup],
                            "a unique key; also in another file of the package (重复)", code="duplicate_key")
                seen |= set(kt)
        frames = [parts[k] for k in keys]
        geo = [f for f in frames if isinstance(f, gpd.GeoDataFrame)]
        merged = pd.concat(frames, ignore_index=True)
        typed[name] = gpd.GeoDataFrame(merged, geometry="geometry", crs=EPSG_CGCS2000) if geo else merged
    return typed


def _check_lease_capacity(read: PackageRead, typed: Mapping[str, pd.DataFrame], bag: _Collector, existing_keys) -> None:
    """Overlapping leases over a building's floor area are an error (docs/domain.md §6)."""
    if "leases" not in typed or "buildings" not in typed:
        return
    leases = typed["leases"]
    b = typed["buildings"].set_index("building_code")["floor_area_m2"]
    lb = leases[leases["building_code"].notna() & leases["floor_area_m2"].notna() & leases["start_date"].notna()]
    if lb.empty:
        return
    far_future = pd.Timestamp("2262-01-01")
    raw = read.layers["leases"]
    for code, g in lb.groupby("building_code", sort=True):
        cap = b.get(code)
        if cap is None or pd.isna(cap):
            continue
        starts = g["start_date"].to_numpy()
        ends = g["end_date"].fillna(far_future).to_numpy()
        # events: +area at start, −area the day after the end (end date inclusive)
        ev_t = np.concatenate([starts, ends + np.timedelta64(1, "D")])
        ev_a = np.concatenate([g["floor_area_m2"].to_numpy(), -g["floor_area_m2"].to_numpy()])
        order = np.lexsort((ev_a, ev_t))  # at equal times, ends (negative) before starts
        run = np.cumsum(ev_a[order])
        peak = run.max()
        if peak > cap * (1 + 1e-9):
            at = pd.Timestamp(ev_t[order][int(run.argmax())]).strftime("%Y-%m-%d")
            bag.add(raw, [int(g["_row"].iloc[0])], "floor_area_m2", [f"{peak:.1f} m² leased on {at} in building {code}"],
                    f"leases in force at one time within the building's floor area {cap:.1f} m²", code="lease_over_capacity")


def key_text(df: pd.DataFrame) -> pd.Series:
    """'a/b/c' per row of key columns, an empty cell shown as '' (never a float NaN: pandas 3 keeps
    missing values missing through ``astype(str)``)."""
    parts = [df[c].map(lambda v: "" if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))
                       else str(v)) for c in df.columns]
    if not parts:
        return pd.Series("", index=df.index, dtype=object)
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + "/" + p.astype(object)
    return out


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


__all__ = ["validate_package", "has_errors", "REFERENCES", "missing_mask", "uscc_valid"]
