"""Reading a data package: a folder, a zip of a folder, or one GeoPackage (docs/data-package.md).

Each layer is found by its file or sheet or GeoPackage-layer name (the English layer name, or its
Chinese name from ``landuse.core.contract``). What this module does not guess silently:

- Shapefile text encoding: the ``.cpg`` file when present; otherwise the DBF bytes are decoded as
  UTF-8 and, failing that, as GBK (GB18030); the choice is reported as a note.
- CRS: the ``.prj`` when present. Without one, lon/lat-looking coordinates are taken as EPSG:4490;
  8-digit eastings carry a 3-degree Gauss-Krüger zone prefix (e.g. 39 5xx xxx → zone 39 →
  EPSG:4527); 6-digit eastings have no prefix and the central meridian cannot be read from the
  numbers: the ``assume_crs`` argument decides, else EPSG:4547 (CM 114°E, western Jiangxi) is assumed.
  Every assumption is reported as a note.
- Headers: English names, Chinese labels and the documented aliases (``landuse.core.contract``);
  Shapefile names cut to 10 characters are mapped back when unambiguous.

- The intensive-use survey (``land_survey``) may come in several files (one per zone or year): every
  Shapefile, GeoPackage layer or File Geodatabase layer named ``land_survey…`` (or held in a folder
  named ``land_survey``) is read, each with its own encoding and CRS. ESRI File Geodatabases (a
  ``.gdb`` folder, zipped or not) are read with GDAL's OpenFileGDB driver; their layers are named
  after the contract's layers like GeoPackage layers.
- Old datums and GK zones (:mod:`parcels.crs`): the eastings' zone prefix decides the zone against a
  declared one, and the transformation of Xian 1980 / Beijing 1954 to CGCS2000 is stated with its
  expected accuracy.

Files whose name starts with ``_`` or ``.`` are ignored.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from landuse.core.contract import INPUT_LAYERS, Layer, alias_map
from landuse.core.errors import LanduseError, Problem
from landuse.core.units import EPSG_CGCS2000

from parcels import crs as gkcrs

SPATIAL_EXT = {".shp", ".geojson", ".json", ".gpkg"}
TABLE_EXT = {".csv", ".xlsx", ".xls", ".xlsm"}
MAX_ZIP_BYTES = 4 * 1024**3  # refuse archives that expand beyond 4 GiB (zip bombs)
MAX_ZIP_RATIO = 200


@dataclass
class RawLayer:
    layer: Layer
    file: str  # as shown to users (relative to the package)
    sheet: str  # layer/sheet name inside the file, or ''
    frame: pd.DataFrame  # contract column names, raw values; plus '_row'; 'geometry' for spatial
    crs: pyproj.CRS | None = None
    #: contract column name → the header it was read from (units of survey columns depend on it)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PackageRead:
    layers: dict[str, RawLayer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


#: layers that may come in several files or layers (one per zone or year), concatenated on import
MULTI_SOURCE = ("land_survey", "zone_years")


def _layer_for_name(stem: str) -> Layer | None:
    s = stem.strip().lower()
    for layer in INPUT_LAYERS:
        if s == layer.name or s == layer.zh.lower():
            return layer
    for layer in INPUT_LAYERS:  # land_survey_2023, land_survey-Z1, 开发区土地利用现状调查2023
        if layer.name in MULTI_SOURCE and (s.startswith((layer.name + "_", layer.name + "-", layer.name + " "))
                                           or s.startswith(layer.zh.lower())):
            return layer
    return None


def _layer_for_path(f: Path, base: Path) -> Layer | None:
    """The layer a file is, by its name, else (multi-source layers) by a folder it is in."""
    layer = _layer_for_name(f.stem)
    if layer is not None:
        return layer
    for part in f.relative_to(base).parts[:-1]:
        folder = _layer_for_name(Path(part).stem)
        if folder is not None and folder.name in MULTI_SOURCE:
            return folder
    return None


# ------------------------------------------------------------------------------------------------
# archives
# ------------------------------------------------------------------------------------------------

def safe_extract(zip_path: Path, dest: Path, *, max_bytes: int = MAX_ZIP_BYTES) -> None:
    """Extract a zip refusing path escapes, links and bombs (total size and compression ratio)."""
    with zipfile.ZipFile(zip_path) as zf:
        total = 0
        for info in zf.infolist():
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
                raise LanduseError(f"{zip_path.name}: 压缩包内路径不安全 / unsafe path in archive: {name}")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise LanduseError(f"{zip_path.name}: 压缩包含符号链接 / archive holds a symbolic link: {name}")
            total += info.file_size
            if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO and info.file_size > 10_000_000:
                raise LanduseError(f"{zip_path.name}: 压缩比异常 / suspicious compression ratio: {name}")
        if total > max_bytes:
            raise LanduseError(f"{zip_path.name}: 解压后过大 / expands to {total} bytes, limit {max_bytes}")
        for info in zf.infolist():
            raw = info.filename
            # Chinese file names in zips made on Windows are GBK without the UTF-8 flag
            if not info.flag_bits & 0x800:
                try:
                    raw = info.filename.encode("cp437").decode("gbk")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    raw = info.filename
            target = dest / raw
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


# ------------------------------------------------------------------------------------------------
# encodings and CRS
# ------------------------------------------------------------------------------------------------

def detect_dbf_encoding(dbf: Path) -> tuple[str, str]:
    """Return (encoding, how it was decided) for a .dbf without a .cpg."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return "UTF-8", "empty DBF"
    header_len = int.from_bytes(data[8:10], "little")
    body = data[header_len:]
    if all(b < 0x80 for b in body):
        return "UTF-8", "ASCII only"
    try:
        body.decode("utf-8")
        return "UTF-8", "DBF bytes are valid UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        body.decode("gb18030")
        return "GB18030", "DBF bytes are not UTF-8 but valid GBK/GB18030"
    except UnicodeDecodeError:
        ldid = data[29]
        return "GB18030", f"DBF bytes are neither valid UTF-8 nor GBK (language id 0x{ldid:02x}); GBK assumed, check the text"


def guess_crs(bounds: tuple[float, float, float, float], assume_crs: str | None) -> tuple[pyproj.CRS, str]:
    """Guess the CRS of coordinates without a .prj; returns (crs, note)."""
    minx, miny, maxx, maxy = bounds
    if assume_crs:
        assumed = gkcrs.parse_assume_crs(assume_crs)
        if assumed is not None and assumed.datum is not None:
            return gkcrs.guess_from_datum(assumed, bounds)
        return pyproj.CRS.from_user_input(assume_crs), f"坐标系 {assume_crs} 由用户指定 / CRS {assume_crs} given by the user"
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return pyproj.CRS.from_epsg(EPSG_CGCS2000), "经纬度坐标，假定为 CGCS2000 (EPSG:4490) / lon-lat coordinates, EPSG:4490 assumed"
    if 1e7 <= minx and maxx < 1e8 and 1e6 <= miny < 1e7:
        zone = int(minx // 1e6)
        if zone != int(maxx // 1e6):
            raise LanduseError(f"eastings span two zone prefixes ({minx:.0f}..{maxx:.0f}); give --assume-crs")
        if 25 <= zone <= 45:
            epsg = 4513 + (zone - 25)
            return (pyproj.CRS.from_epsg(epsg),
                    f"横坐标带带号 {zone}，假定为 CGCS2000 3度带高斯-克吕格 EPSG:{epsg}（若为西安80或北京54坐标，请用 "
                    f"--assume-crs xian1980 或 beijing1954）/ 8-digit eastings carry "
                    f"zone prefix {zone}: CGCS2000 3-degree GK zone {zone} (EPSG:{epsg}) assumed (for Xian 1980 or "
                    "Beijing 1954 data give --assume-crs xian1980 or beijing1954)")
        if 13 <= zone <= 23:
            epsg = 4491 + (zone - 13)
            return (pyproj.CRS.from_epsg(epsg),
                    f"横坐标带带号 {zone}，假定为 CGCS2000 6度带 EPSG:{epsg} / zone prefix {zone}: 6-degree GK EPSG:{epsg} assumed")
    if 1e5 <= minx and maxx < 1e6 and 1e6 <= miny < 1e7:
        return (pyproj.CRS.from_epsg(4547),
                "横坐标无带号，无法判断中央经线，假定 EPSG:4547 (中央经线114°E)，如不对请用 --assume-crs / 6-digit "
                "eastings without zone prefix: central meridian unknown, EPSG:4547 (CM 114°E) assumed; use --assume-crs")
    raise LanduseError(f"cannot guess the CRS of coordinates {bounds}; add a .prj or give --assume-crs")


# ------------------------------------------------------------------------------------------------
# headers
# ------------------------------------------------------------------------------------------------

def map_headers(headers: list[str], layer: Layer, *, file: str, shapefile: bool) -> tuple[dict[str, str], list[Problem], list[str]]:
    """Map raw headers to contract names. Returns (raw→name, problems, notes)."""
    amap = alias_map(layer.name)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    for h in headers:
        if h in ("geometry", "_row"):
            continue
        key = str(h).strip().lower()
        name = amap.get(key)
        if name is None and shapefile and len(key) == 10:
            cands = sorted({c.name for c in layer.columns if c.name.lower().startswith(key)})
            if len(cands) == 1:
                name = cands[0]
                notes.append(f"{file}: 字段 {h} 视为 {name} (Shapefile 截断字段名) / field {h} read as {name}")
            elif len(cands) > 1:
                problems.append(Problem(file, layer.name, None, str(h), h,
                                        f"an unambiguous column name; {h} could be {', '.join(cands)}", code="ambiguous_header"))
                continue
        if name is None:
            notes.append(f"{file}: 忽略未知字段 {h} / unknown column {h} ignored")
            continue
        if name in mapping.values():
            problems.append(Problem(file, layer.name, None, str(h), h,
                                    f"one column for {name}; found twice", code="duplicate_header"))
            continue
        mapping[h] = name
    return mapping, problems, notes


# ------------------------------------------------------------------------------------------------
# readers
# ------------------------------------------------------------------------------------------------

def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover
        raise LanduseError(f"{path.name}: 既不是 UTF-8 也不是 GBK 编码 / neither UTF-8 nor GBK")
    from io import StringIO

    df = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    return df, ("UTF-8" if enc == "utf-8-sig" else "GBK")


@dataclass(frozen=True)
class CRSOptions:
    """What the user said about coordinates: ``assume_crs`` (files without .prj), ``towgs84`` (seven
    parameters for Xian 1980 / Beijing 1954), ``keep_declared_zone`` (a declared zone wins over the
    eastings' prefix)."""

    assume_crs: str | None = None
    towgs84: tuple[float, ...] | None = None
    keep_declared_zone: bool = False


def _frame_from_spatial(path: Path, layer_name: str | None, *, rel: str, assume_crs: str | None,
                        out: PackageRead, layer: Layer, opts: CRSOptions | None = None) -> RawLayer | None:
    kwargs: dict[str, Any] = {}
    if path.suffix.lower() == ".shp":
        cpg = path.with_suffix(".cpg")
        if not cpg.exists():
            cpg = path.with_suffix(".CPG")
        if cpg.exists():
            enc = cpg.read_text(errors="replace").strip() or "UTF-8"
            if enc.upper() in ("936", "CP936", "GBK", "GB2312"):
                enc = "GB18030"
            kwargs["encoding"] = enc
        else:
            dbf = path.with_suffix(".dbf")
            enc, why = detect_dbf_encoding(dbf) if dbf.exists() else ("UTF-8", "no DBF")
            kwargs["encoding"] = enc
            if why != "ASCII only":
                out.notes.append(f"{rel}: 无 .cpg，按 {enc} 读取 ({why}) / no .cpg: read as {enc} ({why})")
    gdf = pyogrio.read_dataframe(path, layer=layer_name, **kwargs)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf._geometry_column_name is None:
        table = pd.DataFrame(gdf)
        table["_row"] = np.arange(1, len(table) + 1)
        return RawLayer(layer, rel, layer_name or "", table)
    crs = gdf.crs
    declared_by = ".prj" if path.suffix.lower() == ".shp" else "图层坐标系 / layer CRS"
    if path.suffix.lower() in (".geojson", ".json") and crs is None:
        crs = pyproj.CRS.from_epsg(4326)
    b = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
    finite = bool(len(gdf)) and bool(np.all(np.isfinite(b)))
    if crs is None:
        if finite:
            try:
                crs, note = guess_crs(tuple(float(x) for x in b), assume_crs)
            except LanduseError as exc:
                out.problems.append(Problem(rel, layer.name, None, "geometry", "no .prj", str(exc), code="crs"))
                return None
            out.notes.append(f"{rel}: 无 .prj，{note}")
            declared_by = "--assume-crs"
    if crs is not None and finite:
        crs = _check_gk(pyproj.CRS(crs), tuple(float(x) for x in b), rel=rel, layer=layer, out=out,
                        declared_by=declared_by, opts=opts or CRSOptions(assume_crs=assume_crs))
    gdf = gdf.set_crs(crs, allow_override=True) if crs is not None else gdf
    if crs is not None and pyproj.CRS(crs).to_epsg() == 4326:
        out.notes.append(f"{rel}: WGS84 坐标按 CGCS2000 处理(差异厘米级) / WGS84 taken as CGCS2000 (cm-level difference)")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame["geometry"] = gdf.geometry.values
    frame["_row"] = np.arange(1, len(frame) + 1)  # feature number (1-based)
    return RawLayer(layer, rel, layer_name or "", frame, pyproj.CRS(crs) if crs is not None else None)


def _check_gk(crs: pyproj.CRS, bounds: tuple[float, float, float, float], *, rel: str, layer: Layer,
              out: PackageRead, declared_by: str, opts: CRSOptions) -> pyproj.CRS:
    """The zone prefix against the declared zone, the seven parameters, the datum note."""
    try:
        crs, notes, mismatch = gkcrs.resolve_zone(crs, bounds, source=declared_by,
                                                  keep_declared_zone=opts.keep_declared_zone)
    except LanduseError as exc:
        out.problems.append(Problem(rel, layer.name, None, "geometry", f"{bounds[0]:.0f}..{bounds[2]:.0f}", str(exc),
                                    code="crs"))
        return crs
    out.notes.extend(f"{rel}: {n}" for n in notes)
    if mismatch:
        out.notes.append(f"{rel}: {mismatch}")
        out.problems.append(Problem(rel, layer.name, None, "geometry", f"{declared_by}: {crs.name}",
                                    mismatch, severity="warning", code="crs_zone_mismatch"))
    datum = gkcrs.datum_key(crs)
    old_datum = datum in ("xian1980", "beijing1954")
    if opts.towgs84 is not None:
        if old_datum:
            crs = gkcrs.with_towgs84(crs, opts.towgs84)
        elif datum not in ("cgcs2000", "wgs84"):
            out.notes.append(f"{rel}: 坐标系 {crs.name} 不是西安80或北京54，未使用 --towgs84 七参数 / not Xian 1980 or "
                             "Beijing 1954: --towgs84 not used")
    note = gkcrs.datum_note(crs, towgs84=opts.towgs84 if old_datum else None, datum=datum)
    if note:
        out.notes.append(f"{rel}: {note}")
    return crs


def _gdb_folders(root: Path) -> list[Path]:
    if root.is_dir() and root.suffix.lower() == ".gdb":
        return [root]
    return sorted(q for q in root.rglob("*") if q.is_dir() and q.suffix.lower() == ".gdb")


def read_package(path: str | Path, *, assume_crs: str | None = None, towgs84: tuple[float, ...] | None = None,
                 keep_declared_zone: bool = False) -> PackageRead:
    """Read every layer found in a package; collects problems rather than raising for bad data."""
    p = Path(path)
    out = PackageRead()
    if not p.exists():
        raise LanduseError(f"{p}: 找不到数据包 / data package not found")
    opts = CRSOptions(assume_crs, towgs84, keep_declared_zone)
    if assume_crs:
        gkcrs.parse_assume_crs(assume_crs)  # a bad value is refused before anything is read
    tmp: str | None = None
    try:
        root = p
        if p.is_file() and p.suffix.lower() == ".zip":
            tmp = tempfile.mkdtemp(prefix="landuse-pkg-")
            safe_extract(p, Path(tmp))
            root = Path(tmp)
            entries = [q for q in root.rglob("*") if q.is_file()]
            base = root
        elif p.is_file():
            entries, base = [p], p.parent
        elif p.is_dir() and p.suffix.lower() == ".gdb":
            entries, base = [], p.parent
        else:
            entries, base = [q for q in p.rglob("*") if q.is_file()], p
        gdbs = _gdb_folders(root if tmp else p)
        entries = [f for f in entries if not any(g in f.parents for g in gdbs)]
        for g in gdbs:
            rel = str(g.relative_to(base)) if g != p else g.name
            try:
                layers = pyogrio.list_layers(g)
            except Exception as exc:  # noqa: BLE001 - a damaged geodatabase
                out.problems.append(Problem(rel, "", None, None, rel, f"a readable File Geodatabase ({exc})", code="gdb"))
                continue
            for lname, _gtype in layers:
                layer = _layer_for_name(str(lname))
                if layer is None:
                    out.notes.append(f"{rel}: 忽略图层 {lname} / layer {lname} ignored")
                    continue
                _add(out, _frame_from_spatial(g, str(lname), rel=f"{rel}:{lname}", assume_crs=assume_crs, out=out,
                                              layer=layer, opts=opts))
        for f in sorted(entries):
            if f.name.startswith(("_", ".")) or any(part.startswith(("_", ".", "__MACOSX")) for part in f.relative_to(base).parts[:-1]):
                continue
            rel = str(f.relative_to(base)) if p.is_dir() or tmp else f.name
            ext = f.suffix.lower()
            if ext == ".gpkg":
                for lname, _gtype in pyogrio.list_layers(f):
                    layer = _layer_for_name(str(lname))
                    if layer is None:
                        if not str(lname).startswith(("gpkg_", "rtree_", "layer_styles")):
                            out.notes.append(f"{rel}: 忽略图层 {lname} / layer {lname} ignored")
                        continue
                    _add(out, _frame_from_spatial(f, str(lname), rel=f"{rel}:{lname}", assume_crs=assume_crs, out=out,
                                                  layer=layer, opts=opts))
            elif ext in (".shp", ".geojson", ".json"):
                layer = _layer_for_path(f, base)
                if layer is None:
                    out.notes.append(f"{rel}: 文件名不是图层名，已忽略 / not a layer name, ignored")
                    continue
                _add(out, _frame_from_spatial(f, None, rel=rel, assume_crs=assume_crs, out=out, layer=layer, opts=opts))
            elif ext == ".csv":
                layer = _layer_for_name(f.stem)
                if layer is None:
                    out.notes.append(f"{rel}: 文件名不是图层名，已忽略 / not a layer name, ignored")
                    continue
                df, enc = _read_csv(f)
                if enc == "GBK":
                    out.notes.append(f"{rel}: 按 GBK 编码读取 / read as GBK")
                df["_row"] = np.arange(2, len(df) + 2)  # spreadsheet row (header is row 1)
                _add(out, RawLayer(layer, rel, "", df))
            elif ext in (".xlsx", ".xlsm", ".xls"):
                sheets = pd.read_excel(f, sheet_name=None, dtype=object)
                single = _layer_for_name(f.stem)
                for sname, df in sheets.items():
                    layer = _layer_for_name(str(sname)) or (single if len(sheets) == 1 else None)
                    if layer is None:
                        out.notes.append(f"{rel}: 工作表 {sname} 不是图层名，已忽略 / sheet {sname} ignored")
                        continue
                    df = df.dropna(how="all")
                    df["_row"] = df.index.to_numpy() + 2
                    _add(out, RawLayer(layer, rel, str(sname), df.reset_index(drop=True)))
        # header mapping
        for name, raw in list(out.layers.items()):
            headers = [c for c in raw.frame.columns if c not in ("geometry", "_row")]
            mapping, probs, notes = map_headers(headers, raw.layer, file=raw.file, shapefile=raw.file.lower().endswith(".shp"))
            out.problems.extend(probs)
            out.notes.extend(notes)
            keep = list(mapping) + [c for c in ("geometry", "_row") if c in raw.frame.columns]
            raw.frame = raw.frame[keep].rename(columns=mapping)
            raw.headers = {v: str(k) for k, v in mapping.items()}
            for c in raw.layer.derived:
                if c in raw.frame.columns:
                    raw.frame = raw.frame.drop(columns=c)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _add(out: PackageRead, raw: RawLayer | None) -> None:
    if raw is None:
        return
    name = raw.layer.name
    if name in out.layers and name in MULTI_SOURCE:  # several survey files: each read on its own
        i = 2
        while f"{name}#{i}" in out.layers:
            i += 1
        out.layers[f"{name}#{i}"] = raw
        return
    if name in out.layers:
        prev = out.layers[name]
        out.problems.append(Problem(raw.file, name, None, None, raw.file,
                                    f"one source for layer {name}; it is also in {prev.file}", code="duplicate_layer"))
        return
    out.layers[name] = raw


def package_files(path: str | Path) -> list[str]:
    p = Path(path)
    if p.is_dir():
        return sorted(str(q.relative_to(p)) for q in p.rglob("*") if q.is_file())
    return [p.name]


__all__ = ["read_package", "PackageRead", "RawLayer", "safe_extract", "detect_dbf_encoding", "guess_crs",
           "map_headers", "package_files", "CRSOptions", "MULTI_SOURCE"]
