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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from stdnum.cn import uscc as stdnum_uscc

from landuse.core.contract import BOOL, DATE, FLOAT, INT, LAYERS, STR
from landuse.core.errors import Problem
from landuse.core.units import EPSG_CGCS2000, M2_PER_MU

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
#: China's extent in lon/lat with a margin (mainland, Hainan, the South China Sea islands)
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
#: an enterprise's yearly figures in 万元: a file whose median is above this (100 亿元 per firm) was
#: written in 元 (×10 000); a single value above the ceiling (10 万亿元) is no firm's
WAN_MEDIAN_LIMIT = 1_000_000.0
WAN_CEILING = 100_000_000.0
#: columns holding codes: full-width characters normalised (NFKC) and USCCs upper-cased before keys
CODE_COLUMNS = {"uscc", "holder_uscc"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class Checks:
    """The thresholds of the import's plausibility checks (from the policy's ``[land]`` section)."""

    area_tolerance: float = 0.02
    zone_tolerance_m: float = 500.0
    zone_refuse_m: float = 20000.0
    sliver_ratio: float = 100.0


@functools.lru_cache(maxsize=1_000_000)
def _uscc_ok(code: str) -> bool:
    return bool(code) and stdnum_uscc.is_valid(code)


def uscc_valid(v: pd.Series) -> pd.Series:
    """python-stdnum's GB 32100-2015 check, run once per distinct code."""
    ok = {code: _uscc_ok(code) for code in v.dropna().unique()}
    return v.map(ok).fillna(False).astype(bool)


#: problems listed one by one per (file, column, kind); beyond that they are counted in one summary row
MAX_LISTED = 1000


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._counts: dict[tuple, int] = {}
        self._first: dict[tuple, Problem] = {}

    def add(self, raw: RawLayer, rows, column, values, expected, *, code, severity="error") -> None:
        file = raw.file + (f":{raw.sheet}" if raw.sheet and not raw.file.endswith(raw.sheet) else "")
        kind = (file, raw.layer.name, column, code, severity)
        rows = list(rows)
        values = list(values)
        seen = self._counts.get(kind, 0)
        room = max(0, MAX_LISTED - seen)
        for r, v in zip(rows[:room], values[:room], strict=True):
            p = Problem(file, raw.layer.name, _py(r), column, _py(v), expected, severity, code)
            self._first.setdefault(kind, p)
            self.problems.append(p)
        self._counts[kind] = seen + len(rows)

    def finish(self) -> list[Problem]:
        """Every problem, plus one row per kind saying how many were not listed."""
        for kind, n in self._counts.items():
            if n > MAX_LISTED:
                first = self._first[kind]
                self.problems.append(Problem(first.file, first.layer, None, first.column, f"{n - MAX_LISTED} more rows",
                                             f"{first.expected} (共 {n} 行，仅列出前 {MAX_LISTED} 行 / {n} rows in all, "
                                             f"the first {MAX_LISTED} listed)", first.severity, first.code))
        return self.problems


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


def _is_code_column(name: str) -> bool:
    return name in CODE_COLUMNS or name.endswith("_code")


def normalise_cells(s: pd.Series, *, kind: str, name: str) -> pd.Series:
    """Full-width digits, letters, parentheses and signs (１２３，（万元）) as their ASCII forms (NFKC) in
    numbers, dates, yes/no and code columns (names keep their characters); USCCs upper case."""
    if kind == STR and not _is_code_column(name):
        return s
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or str(s.dtype) == "boolean":
        return s
    is_str = s.map(lambda v: isinstance(v, str))
    if not is_str.any():
        return s
    strs = s[is_str]
    upper = name in ("uscc", "holder_uscc")
    if "".join(strs.tolist()).isascii():  # ASCII is its own NFKC form: the common case costs one join
        if not upper:
            return s
        txt = strs.str.upper()
    else:
        txt = strs.astype(str).str.normalize("NFKC").str.strip()
        if upper:
            txt = txt.str.upper()
    out = s.copy().astype(object)
    out[is_str] = txt.to_numpy(dtype=object)
    return out


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


def _parse_numbers_slowly(raw: RawLayer, col, s: pd.Series, rows: pd.Series, bag: _Collector) -> pd.DataFrame:
    """Cells the fast path could not read: full-width digits (NFKC), spaces, thousands separators;
    an ambiguous comma is reported. Returns columns ``num`` and ``ambiguous``."""
    s = normalise_cells(s, kind=FLOAT, name=col.name)
    isnum = s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    raw_txt = s.astype("string").str.strip()
    comma = (raw_txt.str.contains(",", regex=False) | raw_txt.str.contains("，", regex=False)
             ).fillna(False).astype(bool) & ~isnum
    ambiguous = comma.copy()
    if comma.any():
        ambiguous[comma] = ~raw_txt[comma].str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
    if ambiguous.any():
        bag.add(raw, rows[ambiguous], col.name, s[ambiguous],
                "a number with '.' as the decimal point; a comma only between groups of three digits "
                "(1,234,567.8): is the comma a decimal point or a thousands separator? (逗号含义不明)",
                code="ambiguous_number")
    txt = raw_txt.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    num = pd.to_numeric(txt.astype(object).where(~isnum, s), errors="coerce")
    num = num.where(~ambiguous)
    return pd.DataFrame({"num": num.astype("float64"), "ambiguous": ambiguous.astype(bool)}, index=s.index)


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
            # fast path: clean numbers parse in C; only the other cells take the slow path
            num = pd.to_numeric(s.where(~s.map(lambda v: isinstance(v, bool))), errors="coerce").astype("float64")
            slow = (num.isna() & ~missing).to_numpy()
            if slow.any():
                part = _parse_numbers_slowly(raw, col, s[slow], rows[slow], bag)
                num[slow] = part["num"].to_numpy()
                amb = pd.Series(False, index=s.index)
                amb[slow] = part["ambiguous"].to_numpy()
                missing = missing | amb  # reported once, as ambiguous
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
        open_ = s.map(_open_ended).astype(bool)
        if open_.any():
            bag.add(raw, rows[open_], col.name, s[open_],
                    "a date; this one (9999-12-31 or later than 2261) is read as open-ended: no date (无固定期限)",
                    code="open_ended_date", severity="warning")
            s = s.where(~open_, None)
            missing = missing | open_
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


_OPEN_TEXT = re.compile(r"^\s*(\d{4})\D")


def _open_ended(v) -> bool:
    """9999-12-31 and other dates past pandas' range (2262-04-11): the usual "no end" mark."""
    if v is pd.NaT or v is None or (isinstance(v, (float, np.floating, np.datetime64)) and pd.isna(v)):
        return False
    if hasattr(v, "year") and not isinstance(v, pd.Timestamp):
        return not pd.isna(v.year) and int(v.year) > 2261
    if isinstance(v, str):
        m = _OPEN_TEXT.match(v.strip() + " ")
        return m is not None and int(m.group(1)) > 2261
    return False


def _check_geometry(raw: RawLayer, frame: pd.DataFrame, bag: _Collector) -> gpd.GeoSeries | None:
    """Geometries as MultiPolygons in EPSG:4490, plan only (Z dropped); what cannot be right is
    reported with its evidence and set to None: non-numeric coordinates, metres under a declared
    lon/lat CRS, lat/lon swapped, places outside China."""
    if "geometry" not in frame.columns:
        if raw.layer.geometry and raw.layer.geometry_required:
            bag.add(raw, [None], "geometry", [None], f"{raw.layer.geometry} geometries (a spatial file)", code="no_geometry")
        return None
    rows = frame["_row"]
    arr = np.asarray(frame["geometry"].values, dtype=object).copy()
    empty = shapely.is_missing(arr) | shapely.is_empty(arr)
    if empty.any():
        if raw.layer.geometry_required:
            bag.add(raw, rows[empty], "geometry", ["empty"] * int(empty.sum()), "a polygon (空几何)", code="empty_geometry")
    # coordinates that are not numbers (NaN, infinity)
    coords, idx = shapely.get_coordinates(arr[~empty].astype(object), include_z=False, return_index=True)
    nonfinite = np.zeros(len(arr), dtype=bool)
    if len(coords):
        badc = ~np.isfinite(coords).all(axis=1)
        if badc.any():
            nonfinite[np.flatnonzero(~empty)[np.unique(idx[badc])]] = True
    if nonfinite.any():
        bag.add(raw, rows[nonfinite], "geometry", ["NaN"] * int(nonfinite.sum()),
                "coordinates that are numbers (坐标含 NaN/无穷值)", code="nan_coordinate")
    skip = empty | nonfinite
    # heights (PolygonZ): the plan geometry is kept on every backend
    hasz = ~skip & shapely.has_z(arr)
    if hasz.any():
        arr[hasz] = shapely.force_2d(arr[hasz].astype(object))
        bag.add(raw, [rows[hasz].iloc[0]], "geometry", [f"{int(hasz.sum())} 3D geometries (Z)"],
                "plan (2D) geometries; heights dropped (已去除高程)", code="z_dropped", severity="warning")
    kinds = shapely.get_type_id(arr)
    wrong = ~skip & ~np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    if wrong.any():
        bag.add(raw, rows[wrong], "geometry", [shapely.get_type_id(g) for g in arr[wrong]],
                "a polygon or multipolygon", code="wrong_geometry")
    skip = skip | wrong
    # a declared lon/lat CRS over coordinates in metres cannot be right
    crs = raw.crs
    if crs is not None and crs.is_geographic and (~skip).any():
        # latitude first: (25.8, 114.9) read as lon 25.8, lat 114.9 (reported before any conversion)
        swapped = np.zeros(len(arr), dtype=bool)
        swapped[~skip] = _swapped_in_china(shapely.bounds(arr[~skip].astype(object)))
        if swapped.any():
            _report_swapped(raw, rows[swapped], shapely.bounds(arr[swapped].astype(object)), bag)
            skip = skip | swapped
    if crs is not None and crs.is_geographic and (~skip).any():
        b = shapely.bounds(arr[~skip].astype(object))
        metres = (np.abs(b[:, [0, 2]]) > 180).any(axis=1) | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)
        if metres.any():
            where = np.flatnonzero(~skip)[metres]
            x, y = b[metres][0, 0], b[metres][0, 1]
            hint = ""
            if 1e7 <= x < 1e8:
                zone = int(x // 1e6)
                hint = f"; 8-digit eastings: 3-degree Gauss-Krüger zone {zone} (EPSG:{4513 + zone - 25})?" if 25 <= zone <= 45 else ""
            bag.add(raw, rows.iloc[where], "geometry", [f"{b[metres][k, 0]:.0f}, {b[metres][k, 1]:.0f}" for k in range(len(where))],
                    f"degrees, as the declared CRS {crs.to_string()} says; these coordinates are metres (x {x:.0f}, y {y:.0f})"
                    f"{hint}: the declared CRS is wrong (坐标系声明错误)", code="crs_mismatch")
            skip[where] = True
    invalid = ~skip & ~shapely.is_valid(arr)
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
                skip[i] = True
    arr[skip & ~empty] = None
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
    _check_in_china(raw, out, rows, bag)
    return out


def _swapped_in_china(b: np.ndarray) -> np.ndarray:
    """Rows of bounds (minx, miny, maxx, maxy) that lie in China once x and y are exchanged."""
    x0, y0, x1, y1 = CHINA_BOUNDS
    inside = (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    return ~inside & (b[:, 1] >= x0) & (b[:, 3] <= x1) & (b[:, 0] >= y0) & (b[:, 2] <= y1)


def _report_swapped(raw: RawLayer, rows: pd.Series, b: np.ndarray, bag: _Collector) -> None:
    bag.add(raw, rows, "geometry", [f"({bb[0]:.4f}, {bb[1]:.4f})" for bb in b],
            "longitude first, then latitude: these coordinates read as latitude, longitude (经纬度顺序颠倒); "
            f"swapped they would be ({b[0, 1]:.4f}, {b[0, 0]:.4f}) in China", code="latlon_swapped")


def _check_in_china(raw: RawLayer, geoms: gpd.GeoSeries, rows: pd.Series, bag: _Collector) -> None:
    """After reprojection: lon/lat inside China, else lat/lon swapped (said so) or out of place (the
    bounds found). Such geometries are set to None (the errors stop the import)."""
    arr = np.asarray(geoms.values, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if not ok.any():
        return
    b = np.full((len(arr), 4), np.nan)
    b[ok] = shapely.bounds(arr[ok].astype(object))
    x0, y0, x1, y1 = CHINA_BOUNDS
    inside = ok & (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    swapped = ok & np.isfinite(b).all(axis=1) & _swapped_in_china(np.nan_to_num(b))
    outside = ok & ~inside & ~swapped & np.isfinite(b).all(axis=1)
    notfinite = ok & ~np.isfinite(b).all(axis=1)
    if swapped.any():
        _report_swapped(raw, rows[swapped], b[swapped], bag)
    if outside.any():
        allb = (np.nanmin(b[outside, 0]), np.nanmin(b[outside, 1]), np.nanmax(b[outside, 2]), np.nanmax(b[outside, 3]))
        bag.add(raw, rows[outside], "geometry",
                [f"bounds {bb[0]:.4f}, {bb[1]:.4f} – {bb[2]:.4f}, {bb[3]:.4f}" for bb in b[outside]],
                f"a place in China (lon {x0}–{x1}, lat {y0}–{y1}); these geometries lie at lon {allb[0]:.4f}–{allb[2]:.4f}, "
                f"lat {allb[1]:.4f}–{allb[3]:.4f} after conversion to EPSG:4490 (check the CRS / .prj)",
                code="outside_china")
    if notfinite.any():
        bag.add(raw, rows[notfinite], "geometry", ["not finite after conversion"] * int(notfinite.sum()),
                "coordinates the declared CRS can convert to longitude/latitude (check the CRS / .prj)",
                code="crs_mismatch")
    bad = swapped | outside | notfinite
    if bad.any():
        geoms.iloc[np.flatnonzero(bad)] = None


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


def _typed_layer(raw: RawLayer, bag: _Collector, *, checks: Checks) -> pd.DataFrame:
    """A layer's typed frame and every problem. A large table (``raw.chunks``) is parsed chunk by
    chunk (its text cells are never all in memory; equal texts share one string object); the checks
    across rows (duplicate keys, magnitudes) run on the whole typed layer."""
    layer = raw.layer
    for c in [c for c in layer.required if c not in raw.frame.columns]:
        bag.add(raw, [None], c, [None], f"a column {c} ({layer.col(c).zh})", code="missing_column")
    if raw.chunks is None:
        typed = _typed_rows(raw, raw.frame, bag, checks=checks)
    else:
        shared: dict[str, dict] = {c.name: {} for c in layer.columns if c.kind == STR}
        parts = []
        for chunk in raw.chunks():
            part = _typed_rows(raw, chunk, bag, checks=checks)
            for name, cache in shared.items():
                if name in part.columns:
                    part[name] = pd.Series([v if v is None else cache.setdefault(v, v) for v in part[name].tolist()],
                                           index=part.index, dtype=object)
            parts.append(part)
        typed = _concat_columns(parts) if parts else _typed_rows(raw, raw.frame, bag, checks=checks)
    rows = typed["_row"]
    # duplicates (on the keys' integer codes: no per-row tuples)
    key = list(layer.key)
    present = [k for k in key if k in typed.columns]
    if present and len(present) == len(key) and len(typed):
        codes = pd.DataFrame({k: pd.factorize(typed[k], use_na_sentinel=True)[0] for k in key})
        dup = pd.Series(codes.duplicated(keep="first").to_numpy(), index=typed.index)
        if dup.any():
            kv = typed.loc[dup, key].apply(lambda r: "/".join("" if pd.isna(v) else str(v) for v in r), axis=1)
            bag.add(raw, rows[dup], "/".join(key), kv, "a unique key (重复)", code="duplicate_key")
    if layer.name == "enterprise_years":
        _check_magnitude(raw, typed, rows, bag)
    return typed


def _concat_columns(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack chunk frames one column at a time, releasing each column's pieces as it goes (peak: the
    result plus one column, not twice the layer)."""
    columns = list(parts[0].columns)
    out: dict[str, pd.Series] = {}
    for c in columns:
        out[c] = pd.concat([p[c] for p in parts], ignore_index=True)
        for i, p in enumerate(parts):
            parts[i] = p.drop(columns=[c])
    parts.clear()
    return pd.DataFrame(out, copy=False)


def _typed_rows(raw: RawLayer, frame: pd.DataFrame, bag: _Collector, *, checks: Checks) -> pd.DataFrame:
    """The checks one row at a time (and the geometry's, spatial layers being never chunked)."""
    layer = raw.layer
    policy_tolerance = checks.area_tolerance
    f = frame.reset_index(drop=True)
    for col in layer.columns:
        if col.name in f.columns and col.kind not in (FLOAT, INT):  # numbers: in their slow path
            f[col.name] = normalise_cells(f[col.name], kind=col.kind, name=col.name)
    rows = f["_row"]
    typed = pd.DataFrame(index=f.index)
    for col in layer.columns:
        if col.name in layer.derived:
            continue
        if col.name in f.columns:
            empty = missing_mask(f[col.name])
            typed[col.name] = _parse_column(raw, col, f[col.name], rows, bag, empty)
            if col.kind == DATE:
                empty = empty | f[col.name].map(_open_ended).astype(bool)
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
        if layer.name == "parcels" and "registered_area_m2" in typed.columns:
            _check_slivers(raw, typed, rows, bag, checks.sliver_ratio)
        if layer.name in ("parcels", "zones"):
            _check_duplicate_geometries(raw, typed, rows, bag)
    return typed


def _check_slivers(raw: RawLayer, typed: pd.DataFrame, rows: pd.Series, bag: _Collector, ratio: float) -> None:
    """A registered area thousands of times the drawn one (or the reverse) is a sliver or a unit mistake."""
    reg, geo = typed["registered_area_m2"], typed["geodesic_area_m2"]
    ok = reg.notna() & geo.notna() & (reg > 0) & (geo > 0)
    r = (reg / geo).where(ok)
    bad = ok & ((r > ratio) | (r < 1 / ratio))
    if bad.any():
        idx = bad[bad].index
        for i in idx:
            k = r[i] if r[i] >= 1 else 1 / r[i]
            bag.add(raw, [rows[i]], "registered_area_m2", [f"{reg[i]:,.1f} m²"],
                    f"the drawn polygon's area ({geo[i]:,.2f} m², {geo[i] / M2_PER_MU:,.4f} 亩) and the registered area to agree; "
                    f"they differ {k:,.0f}-fold (more than {ratio:,.0f}×): a sliver or a wrong unit (碎片图斑或单位错误)",
                    code="sliver")


def _check_duplicate_geometries(raw: RawLayer, typed: pd.DataFrame, rows: pd.Series, bag: _Collector) -> None:
    """Two features with the same polygon: the same land counted twice."""
    arr = np.asarray(typed.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if ok.sum() < 2:
        return
    keys = pd.Series(None, index=typed.index, dtype=object)
    norm = shapely.normalize(shapely.set_precision(arr[ok].astype(object), 1e-8))
    keys[ok] = [bytes(w).hex() for w in shapely.to_wkb(norm)]
    dup = keys.notna() & keys.duplicated(keep="first")
    if not dup.any():
        return
    code_col = raw.layer.key[0]
    first = {k: i for i, k in reversed(list(keys[keys.notna()].items()))}
    for i in dup[dup].index:
        j = first[keys[i]]
        bag.add(raw, [rows[i]], "geometry", [f"{code_col} {typed.at[i, code_col]}"],
                f"a polygon of its own; it is the same as {code_col} {typed.at[j, code_col]} (row {_py(rows[j])}): "
                "the same land would be counted twice (重复图形)", code="duplicate_geometry")


def _check_magnitude(raw: RawLayer, typed: pd.DataFrame, rows: pd.Series, bag: _Collector) -> None:
    """Figures in 元 under a 万元 header are 10 000 times too large: judged per file (median) and per value."""
    for c in [c for c in typed.columns if c.endswith("_wan")]:
        v = pd.to_numeric(typed[c], errors="coerce")
        pos = v[v > 0]
        if len(pos) == 0:
            continue
        med = float(pos.median())
        if med > WAN_MEDIAN_LIMIT:
            big = v > WAN_MEDIAN_LIMIT
            first = [str(_py(r)) for r in rows[big].head(8)]
            col = LAYERS[raw.layer.name].col(c)
            bag.add(raw, [rows[big].iloc[0]], c, [v[big].iloc[0]],
                    f"{col.zh} in 万元; the file's median is {med:,.0f}, i.e. {med / 1e4:,.0f} 亿元 per enterprise: the "
                    f"column looks like 元 (factor 10 000: ÷10 000 gives a median of {med / 1e4:,.1f} 万元); "
                    f"{int(big.sum())} rows above {WAN_MEDIAN_LIMIT:,.0f}: rows {', '.join(first)}"
                    + ("…" if big.sum() > 8 else "") + " (疑似以元为单位)", code="magnitude")
            continue
        huge = v > WAN_CEILING
        if huge.any():
            bag.add(raw, rows[huge], c, v[huge],
                    f"a yearly figure in 万元 below {WAN_CEILING:,.0f} (1 万亿元 ×10); this one is likely in 元 (÷10 000)",
                    code="magnitude")


def validate_package(read: PackageRead, *, existing_keys: Callable[[str, str], set] | None = None,
                     area_tolerance: float = 0.02, checks: Checks | None = None,
                     stored_zones: Callable[[], pd.DataFrame] | None = None,
                     existing_frame: Callable[[str], pd.DataFrame] | None = None,
                     units: Mapping[tuple[str, str | None], str] | None = None,
                     ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check everything; return typed frames (with '_row') and all problems (errors and warnings).

    ``existing_keys(layer, column)`` and ``existing_frame(layer)`` give what the store already holds,
    so references and cross-layer rules are checked against the package together with the store (the
    survey the money units of ``zone_years`` are checked against when the package brings figures only;
    today's right against the parcels); ``stored_zones``: the zones the store holds (their geometry),
    for parcels of zones the package does not carry; ``units``: the user's ``--units``."""
    checks = checks or Checks(area_tolerance=area_tolerance)
    bag = _Collector()
    bag.problems.extend(read.problems)
    parts: dict[str, pd.DataFrame] = {}  # one per source (a layer may come in several files)
    for key, raw in read.layers.items():
        if raw.layer.name == "land_survey":
            prepare_survey(raw, bag, read.notes)
        parts[key] = _typed_layer(raw, bag, checks=checks)
        if raw.layer.name == "land_survey":
            parts[key] = survey_units(parts[key], raw, bag, units=units, tolerance=checks.area_tolerance)
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
        typed["zone_years"] = zone_year_units(typed["zone_years"], _raw_of(read, "zone_years"), bag, survey=survey,
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
    if "parcels" in typed and "geometry" in typed["parcels"].columns:
        _check_zone_distance(read, typed, bag, stored_zones, checks)
    return typed, bag.finish()


def local_metric_crs(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger CRS (no zone prefix) whose central meridian is nearest ``lon``
    (EPSG:4534 CM 75°E … EPSG:4554 CM 135°E)."""
    cm = min(135, max(75, int(round(lon / 3.0)) * 3))
    return 4534 + (cm - 75) // 3


def _check_zone_distance(read: PackageRead, typed: Mapping[str, pd.DataFrame], bag: _Collector,
                         stored_zones: Callable[[], pd.DataFrame] | None, checks: Checks) -> None:
    """A parcel far outside its zone's polygon: warned beyond ``zone_tolerance_m``, refused beyond
    ``zone_refuse_m`` (eastings that lost their zone prefix land about 300 km away)."""
    parcels = typed["parcels"]
    zones = None
    if "zones" in typed and "geometry" in typed["zones"].columns:
        zones = typed["zones"][["zone_code", "geometry"]]
    if stored_zones is not None:
        sz = stored_zones()
        if sz is not None and len(sz):
            sz = sz[["zone_code", "geometry"]]
            zones = sz if zones is None else pd.concat([sz[~sz["zone_code"].isin(set(zones["zone_code"]))], zones])
    if zones is None or not len(zones):
        return
    zg = dict(zip(zones["zone_code"], zones["geometry"], strict=True))
    p = parcels[parcels["zone_code"].isin(set(zg)) & parcels.geometry.notna() & ~parcels.geometry.is_empty]
    if p.empty:
        return
    zgeo = gpd.GeoSeries([zg[z] for z in p["zone_code"]], index=p.index, crs=EPSG_CGCS2000)
    ok = zgeo.notna() & ~zgeo.is_empty
    if not ok.any():
        return
    p, zgeo = p[ok], zgeo[ok]
    lon = float(np.nanmean(zgeo.bounds[["minx", "maxx"]].to_numpy()))
    epsg = local_metric_crs(lon)
    d = gpd.GeoSeries(p.geometry.values, index=p.index, crs=EPSG_CGCS2000).to_crs(epsg).distance(zgeo.to_crs(epsg))
    raw = _raw_of(read, "parcels")
    refuse = d > checks.zone_refuse_m
    warn = (d > checks.zone_tolerance_m) & ~refuse
    for mask, severity, limit in ((refuse, "error", checks.zone_refuse_m), (warn, "warning", checks.zone_tolerance_m)):
        for i in mask[mask].index:
            bag.add(raw, [p.at[i, "_row"]], "geometry", [f"{d[i]:,.0f} m outside zone {p.at[i, 'zone_code']}"],
                    f"a parcel inside its zone {p.at[i, 'zone_code']} (within {limit:,.0f} m of its boundary); it lies "
                    f"{d[i] / 1000:,.1f} km away — eastings without their 3-degree zone prefix land about 300 km off "
                    "(check the CRS / .prj) (宗地不在所属开发区范围内)", code="outside_zone", severity=severity)


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
    raw = _raw_of(read, "leases")
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


__all__ = ["validate_package", "has_errors", "REFERENCES", "missing_mask", "uscc_valid", "Checks",
           "normalise_cells", "local_metric_crs"]
