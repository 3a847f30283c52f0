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
- Headers: English names, Chinese labels and the documented aliases (``landuse.core.contract``),
  compared after Unicode NFKC normalisation (full-width ``（万元）`` is ``(万元)``) and without spaces;
  Shapefile names cut to 10 characters are mapped back when unambiguous. In CSV and Excel the header
  row is found by matching known headers in the first rows (a title row above it, or a merged
  two-row header, as government workbooks have), and said in a note.
- An Excel file is one layer when its name says which (``企业.xlsx``, ``2024年企业年度数据.xlsx``)
  and one sheet holds data, whatever the sheet is called; otherwise its sheets are named after
  layers. A workbook none of whose sheets can be placed is refused with the list of its sheets.
- A file that cannot be read (an HTML page saved as ``.xls``, a Shapefile without its ``.shx``, a
  ``.dbf`` cut short or whose header counts fewer records than it holds, a damaged GeoPackage) is a
  problem naming the file and what was expected, never a traceback.
- Large CSV files are read in chunks (``CSV_CHUNK_ROWS``), streaming from the file.

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

import codecs
import csv
import errno
import re
import shutil
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
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
CSV_CHUNK_ROWS = 50_000
#: CSV files larger than this are validated chunk by chunk, never held whole as text
CSV_STREAM_BYTES = 16 * 1024 * 1024
HEADER_SCAN_ROWS = 15


@dataclass
class RawLayer:
    layer: Layer
    file: str  # as shown to users (relative to the package)
    sheet: str  # layer/sheet name inside the file, or ''
    frame: pd.DataFrame  # contract column names, raw values; plus '_row'; 'geometry' for spatial
    crs: pyproj.CRS | None = None
    #: contract column name → the header it was read from (units of survey columns depend on it)
    headers: dict[str, str] = field(default_factory=dict)
    #: large tables: a factory of the raw rows chunk by chunk (``frame`` then holds the header only)
    chunks: Callable[[], Iterator[pd.DataFrame]] | None = None


@dataclass
class PackageRead:
    layers: dict[str, RawLayer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


#: layers that may come in several files or layers (one per zone or year), concatenated on import
MULTI_SOURCE = ("land_survey", "zone_years")


def norm_key(text: Any) -> str:
    """A header or name as compared: NFKC (full-width forms to ASCII), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _layer_for_name(stem: str) -> Layer | None:
    s = norm_key(stem)
    for layer in INPUT_LAYERS:
        if s == layer.name or s == norm_key(layer.zh):
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


def _layer_in_name(stem: str) -> tuple[Layer | None, list[Layer]]:
    """The layer a file name mentions (``2024年企业年度数据`` → enterprise_years): the exact name, else
    the longest layer name or Chinese name inside it. Returns (layer, tied layers when ambiguous)."""
    exact = _layer_for_name(stem)
    if exact is not None:
        return exact, []
    s = norm_key(stem)
    hits: dict[str, tuple[int, Layer]] = {}
    for layer in INPUT_LAYERS:
        for label in (layer.name, norm_key(layer.zh), norm_key(layer.zh.split("(")[0])):
            if label and label in s:
                hits[layer.name] = max(hits.get(layer.name, (0, layer)), (len(label), layer), key=lambda t: t[0])
    if not hits:
        return None, []
    best = max(n for n, _ in hits.values())
    top = [lay for n, lay in hits.values() if n == best]
    return (top[0], []) if len(top) == 1 else (None, top)


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
    amap = {norm_key(k): v for k, v in alias_map(layer.name).items()}
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    for h in headers:
        if h in ("geometry", "_row"):
            continue
        key = norm_key(h)
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

def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def find_header(rows: list[list[Any]], layer: Layer) -> tuple[list[str], int, int]:
    """The header of a table whose first rows are ``rows``: (column labels, index of its first row,
    number of header rows: 1, or 2 for a merged two-row header). The row (or pair of rows) matching
    the most known headers of ``layer`` wins; the first row when none matches."""
    amap = {norm_key(k) for k in alias_map(layer.name)}

    def score(labels: list[str]) -> int:
        return len({norm_key(x) for x in labels if x and norm_key(x) in amap})

    scan = [[_cell_text(v) for v in r] for r in rows[:HEADER_SCAN_ROWS]]
    if not scan:
        return [], 0, 1
    best = (score(scan[0]), scan[0], 0, 1)
    for i in range(len(scan)):
        single = scan[i]
        sc = score(single)
        if sc > best[0]:
            best = (sc, single, i, 1)
        if i + 1 < len(scan):
            top, below = list(scan[i]), scan[i + 1]
            for c in range(1, len(top)):  # a cell merged across columns keeps its text in the first one
                if not top[c] and top[c - 1] and c < len(below) and below[c]:
                    top[c] = top[c - 1]
            labels = []
            for c in range(max(len(top), len(below))):
                a_, b_ = (top[c] if c < len(top) else ""), (below[c] if c < len(below) else "")
                options = [b_, a_ + b_, a_]
                hit = next((o for o in options if o and norm_key(o) in amap), None)
                labels.append(hit or b_ or a_)
            sc = score(labels)
            if sc > best[0] + 0 and sc > score(scan[i]) and sc > score(below):
                best = (sc, labels, i, 2)
    labels = list(best[1])
    seen: dict[str, int] = {}
    for k, lab in enumerate(labels):  # unique, non-empty labels (pandas needs them)
        lab = lab or f"Unnamed: {k}"
        if lab in seen:
            seen[lab] += 1
            lab = f"{lab}.{seen[lab]}"
        else:
            seen[lab] = 0
        labels[k] = lab
    return labels, best[2], best[3]


def _header_note(rel: str, h: int, n: int) -> str | None:
    if h == 0 and n == 1:
        return None
    rows = f"{h + 1}" if n == 1 else f"{h + 1}–{h + 2}"
    return f"{rel}: 表头在第 {rows} 行（上方为标题行）/ header found on row {rows} (title rows above skipped)"


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the file's first 4 MiB decode as UTF-8, else GBK (GB18030)."""
    with open(path, "rb") as fh:
        head = fh.read(4 * 1024 * 1024)
    dec = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        dec.decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def read_csv_layer(path: Path, layer: Layer, *, chunk_rows: int = CSV_CHUNK_ROWS) -> tuple[pd.DataFrame, str, int, int]:
    """A CSV table as text cells (streamed in chunks of ``chunk_rows``): (frame with '_row', encoding,
    header row index, header rows)."""
    last_error: Exception | None = None
    for enc in dict.fromkeys((csv_encoding(path), "gb18030")):
        try:
            with open(path, encoding=enc, newline="") as fh:
                head = [r for _, r in zip(range(HEADER_SCAN_ROWS), csv.reader(fh), strict=False)]
            labels, h, n = find_header(head, layer)
            if not labels:
                return pd.DataFrame({"_row": pd.Series([], dtype="int64")}), enc, 0, 1
            reader = pd.read_csv(path, encoding=enc, header=None, names=labels, skiprows=h + n, dtype=str,
                                 keep_default_na=False, chunksize=chunk_rows, index_col=False)
            chunks = []
            start = h + n + 1  # the file's line number of the first data row
            for chunk in reader:
                chunk["_row"] = np.arange(start, start + len(chunk), dtype="int64")
                start += len(chunk)
                chunks.append(chunk)
            df = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=[*labels, "_row"])
            return df, enc, h, n
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
    raise LanduseError(f"{path.name}: 既不是 UTF-8 也不是 GBK 编码 / neither UTF-8 nor GBK ({last_error})")


def stream_csv_layer(path: Path, layer: Layer, *, chunk_rows: int = CSV_CHUNK_ROWS
                     ) -> tuple[pd.DataFrame, Callable[[], Iterator[pd.DataFrame]], str, int, int]:
    """A large CSV table: (header-only frame, factory of its chunks with '_row', encoding, header row,
    header rows). Each chunk is read from the file when the factory's iterator reaches it."""
    enc = csv_encoding(path)
    with open(path, encoding=enc, errors="replace", newline="") as fh:
        head = [r for _, r in zip(range(HEADER_SCAN_ROWS), csv.reader(fh), strict=False)]
    labels, h, n = find_header(head, layer)

    def chunks(encoding: str = enc) -> Iterator[pd.DataFrame]:
        reader = pd.read_csv(path, encoding=encoding, header=None, names=labels, skiprows=h + n, dtype=str,
                             keep_default_na=False, chunksize=chunk_rows, index_col=False)
        start = h + n + 1
        for chunk in reader:
            chunk["_row"] = np.arange(start, start + len(chunk), dtype="int64")
            start += len(chunk)
            yield chunk

    def checked() -> Iterator[pd.DataFrame]:
        try:
            yield from chunks()
        except UnicodeDecodeError as exc:
            raise LanduseError(f"{path.name}: 编码不一致（前部为 UTF-8，后部不是）/ the file is not UTF-8 throughout; "
                               f"save it as UTF-8 or GBK ({exc})") from exc
        except (pd.errors.ParserError, ValueError, csv.Error) as exc:
            raise LanduseError(f"{path.name}: 无法读取 CSV（列数不一致或引号不配对）/ cannot read the CSV: "
                               f"{str(exc).strip()[:300]}") from exc

    header = pd.DataFrame({**{lab: pd.Series([], dtype=object) for lab in labels}, "_row": pd.Series([], dtype="int64")})
    return header, checked, enc, h, n


def read_excel_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook as raw cells (no header applied)."""
    with open(path, "rb") as fh:
        magic = fh.read(512)
    if magic.lstrip()[:1] == b"<" or b"<html" in magic.lower() or b"<table" in magic.lower():
        raise LanduseError("an Excel workbook; this file is an HTML page saved with an Excel name "
                           "(常见于系统导出): open it in Excel and save it as .xlsx (另存为 Excel 工作簿)")
    return pd.read_excel(path, sheet_name=None, header=None, dtype=object)


def _excel_table(df: pd.DataFrame, layer: Layer) -> tuple[pd.DataFrame, int, int]:
    rows = df.head(HEADER_SCAN_ROWS).values.tolist()
    labels, h, n = find_header(rows, layer)
    body = df.iloc[h + n:].copy()
    width = len(body.columns)
    labels = (labels + [f"Unnamed: {k}" for k in range(len(labels), width)])[:width]
    body.columns = labels
    body = body.dropna(how="all")
    body["_row"] = body.index.to_numpy() + 1  # the sheet's row number (the raw frame starts at row 1)
    return body.reset_index(drop=True), h, n


# ------------------------------------------------------------------------------------------------
# Shapefile companions: what GDAL would skip or stumble on silently
# ------------------------------------------------------------------------------------------------

def check_shapefile(shp: Path) -> str | None:
    """What is wrong with a Shapefile's companion files, or None. The .dbf header's record count
    must match the bytes it holds (GDAL reads only as many records as the header says)."""
    def sibling(ext: str) -> Path | None:
        for e in (ext, ext.upper()):
            q = shp.with_suffix(e)
            if q.exists():
                return q
        return None

    shx, dbf = sibling(".shx"), sibling(".dbf")
    if shx is None:
        return (f"the Shapefile's index file {shp.stem}.shx beside {shp.name} (缺少 .shx 文件): a Shapefile is "
                ".shp + .shx + .dbf (+ .prj, .cpg); add it to the package")
    if dbf is None:
        return f"the Shapefile's attribute file {shp.stem}.dbf beside {shp.name} (缺少 .dbf 文件)"
    data_len = dbf.stat().st_size
    with open(dbf, "rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        return f"a .dbf file with a 32-byte header; {dbf.name} has {data_len} bytes (文件不完整)"
    n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
    body = data_len - header_len
    if record_len <= 0 or body < 0:
        return f"a .dbf file with a valid header; {dbf.name} has header length {header_len}, record length {record_len}"
    held = body // record_len  # a trailing 0x1A end-of-file byte is not a record
    shapes = (shx.stat().st_size - 100) // 8
    if held < n_records:
        return (f"{n_records} records as the .dbf header says ({n_records * record_len + header_len} bytes); "
                f"{dbf.name} has {data_len} bytes, {held} whole records: the file was cut short (文件被截断), send it again")
    if held > n_records:
        return (f"a .dbf header counting every record; {dbf.name}'s header says {n_records} records but the file holds "
                f"{held} ({shapes} shapes in {shx.name}): {held - n_records} records would be skipped (记录数与文件头不符); "
                "re-save the Shapefile (e.g. in QGIS) and send it again")
    if shapes != n_records:
        return (f"as many shapes ({shx.name}: {shapes}) as attribute records ({dbf.name}: {n_records}) "
                "(图形与属性记录数不一致)")
    return None


def _unreadable(out: PackageRead, rel: str, layer: Layer | None, exc_or_text: Exception | str, expected: str) -> None:
    text = str(exc_or_text).strip().splitlines()[0][:300] if str(exc_or_text).strip() else type(exc_or_text).__name__
    out.problems.append(Problem(rel, layer.name if layer else "", None, None, text, expected, code="unreadable_file"))


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
        wrong = check_shapefile(path)
        if wrong:
            _unreadable(out, rel, layer, "Shapefile", wrong)
            return None
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
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer_name, **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL's errors become a problem naming the file
        _unreadable(out, rel, layer, exc, f"a readable {path.suffix.lstrip('.').upper()} file (无法读取该文件)")
        return None
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
    box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    if crs is None:
        if finite:
            try:
                crs, note = guess_crs(box, assume_crs)
            except LanduseError as exc:
                out.problems.append(Problem(rel, layer.name, None, "geometry", "no .prj", str(exc), code="crs"))
                return None
            out.notes.append(f"{rel}: 无 .prj，{note}")
            declared_by = "--assume-crs"
    if crs is not None and finite:
        crs = _check_gk(pyproj.CRS(crs), box, rel=rel, layer=layer, out=out,
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
            try:
                safe_extract(p, Path(tmp))
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise LanduseError(f"{p.name}: 磁盘已满，无法解压数据包，未导入任何数据 / the disk is full: cannot "
                                       f"unpack the package; nothing was imported ({exc})") from exc
                raise
            except zipfile.BadZipFile as exc:
                raise LanduseError(f"{p.name}: 不是有效的 zip 压缩包 / not a valid zip archive ({exc})") from exc
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
            try:
                _read_file(out, f, rel, assume_crs=assume_crs, opts=opts, base=base)
            except LanduseError as exc:
                _unreadable(out, rel, None, f.name, str(exc))
            except (MemoryError, KeyboardInterrupt):
                raise
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise LanduseError(f"磁盘已满，无法读取数据包 / the disk is full: cannot read the package ({exc})") from exc
                _unreadable(out, rel, None, exc, "a readable file (无法读取该文件)")
            except Exception as exc:  # noqa: BLE001 - a reader's error becomes a problem naming the file
                _unreadable(out, rel, None, f"{type(exc).__name__}: {exc}", "a readable file in a known format (无法读取该文件)")
        # header mapping
        for name, raw in list(out.layers.items()):
            headers = [c for c in raw.frame.columns if c not in ("geometry", "_row")]
            mapping, probs, notes = map_headers(headers, raw.layer, file=raw.file, shapefile=raw.file.lower().endswith(".shp"))
            out.problems.extend(probs)
            out.notes.extend(notes)
            keep = list(mapping) + [c for c in ("geometry", "_row") if c in raw.frame.columns]
            keep = [c for c in keep if mapping.get(c, c) not in raw.layer.derived]
            raw.frame = raw.frame[keep].rename(columns=mapping)
            raw.headers = {v: str(k) for k, v in mapping.items()}
            if raw.chunks is not None:
                raw.chunks = _mapped(raw.chunks, keep, mapping)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _mapped(chunks: Callable[[], Iterator[pd.DataFrame]], keep: list[str], mapping: dict[str, str]
            ) -> Callable[[], Iterator[pd.DataFrame]]:
    def gen() -> Iterator[pd.DataFrame]:
        for chunk in chunks():
            yield chunk[keep].rename(columns=mapping)
    return gen


def _read_file(out: PackageRead, f: Path, rel: str, *, assume_crs: str | None, opts: CRSOptions | None = None,
               base: Path | None = None) -> None:
    ext = f.suffix.lower()
    if ext == ".gpkg":
        try:
            layers = pyogrio.list_layers(f)
        except Exception as exc:  # noqa: BLE001
            _unreadable(out, rel, None, exc, "a readable GeoPackage (文件损坏或不是 GeoPackage)")
            return
        for lname, _gtype in layers:
            layer = _layer_for_name(str(lname))
            if layer is None:
                if not str(lname).startswith(("gpkg_", "rtree_", "layer_styles")):
                    out.notes.append(f"{rel}: 忽略图层 {lname} / layer {lname} ignored")
                continue
            _add(out, _frame_from_spatial(f, str(lname), rel=f"{rel}:{lname}", assume_crs=assume_crs, out=out, layer=layer,
                                          opts=opts))
    elif ext in (".shp", ".geojson", ".json"):
        layer = _layer_for_path(f, base) if base is not None else _layer_for_name(f.stem)
        if layer is None:
            out.notes.append(f"{rel}: 文件名不是图层名，已忽略 / not a layer name, ignored")
            return
        _add(out, _frame_from_spatial(f, None, rel=rel, assume_crs=assume_crs, out=out, layer=layer, opts=opts))
    elif ext == ".csv":
        layer = _layer_for_name(f.stem)
        if layer is None:
            out.notes.append(f"{rel}: 文件名不是图层名，已忽略 / not a layer name, ignored")
            return
        chunks = None
        if f.stat().st_size > CSV_STREAM_BYTES:
            df, chunks, enc, h, n = stream_csv_layer(f, layer)
        else:
            df, enc, h, n = read_csv_layer(f, layer)
        if enc == "gb18030":
            out.notes.append(f"{rel}: 按 GBK 编码读取 / read as GBK")
        if note := _header_note(rel, h, n):
            out.notes.append(note)
        _add(out, RawLayer(layer, rel, "", df, chunks=chunks))
    elif ext in (".xlsx", ".xlsm", ".xls"):
        _read_workbook(out, f, rel)


def _read_workbook(out: PackageRead, f: Path, rel: str) -> None:
    """Sheets named after layers; or, when the file's name says the layer, its one sheet with data."""
    try:
        sheets = read_excel_sheets(f)
    except LanduseError as exc:
        _unreadable(out, rel, None, "HTML", str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - xlrd/openpyxl errors: not a workbook, damaged, encrypted
        _unreadable(out, rel, None, f"{type(exc).__name__}: {exc}",
                    "an Excel workbook (.xlsx, or .xls saved by Excel) (无法作为 Excel 工作簿打开)")
        return
    named = {sname: _layer_for_name(str(sname)) for sname in sheets}
    with_data = [sname for sname, df in sheets.items() if not df.dropna(how="all").empty]
    file_layer, tied = _layer_in_name(f.stem)
    placed: list[tuple[str, Layer]] = [(sname, lay) for sname, lay in named.items() if lay is not None]
    if not placed:
        candidates = [sname for sname in with_data]
        if file_layer is not None and len(candidates) == 1:
            placed = [(candidates[0], file_layer)]
        else:
            listed = "、".join(str(sname) for sname in sheets) or "—"
            if file_layer is not None:
                why = (f"one sheet with data for layer {file_layer.name} ({file_layer.zh}), or a sheet named "
                       f"{file_layer.name} / {file_layer.zh}; {len(candidates)} sheets hold data")
            elif tied:
                why = ("a file name that says one layer; it mentions " + ", ".join(f"{t.name} ({t.zh})" for t in tied))
            else:
                why = ("a sheet (or file) named after a layer: " +
                       ", ".join(f"{lay.name} ({lay.zh})" for lay in INPUT_LAYERS))
            out.problems.append(Problem(rel, "", None, None, f"sheets: {listed}", why + " (无法确定工作表对应的图层)",
                                        code="unknown_sheets"))
            return
    for sname in sheets:
        if sname not in {s_ for s_, _ in placed}:
            out.notes.append(f"{rel}: 工作表 {sname} 不是图层名，已忽略 / sheet {sname} ignored")
    for sname, layer in placed:
        table, h, n = _excel_table(sheets[sname], layer)
        if note := _header_note(f"{rel}:{sname}", h, n):
            out.notes.append(note)
        if not _layer_for_name(str(sname)):
            out.notes.append(f"{rel}: 工作表 {sname} 作为图层 {layer.name} 读取 / sheet {sname} read as layer {layer.name}")
        _add(out, RawLayer(layer, rel, str(sname), table))


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
