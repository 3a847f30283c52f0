"""Gauss-Krüger coordinate systems of Chinese survey data: CGCS2000, Xian 1980 and Beijing 1954
(docs/domain.md §3).

What this module decides, and says:

- **Which system.** A ``.prj`` (or ``--assume-crs``) declares one. ``--assume-crs`` also takes a
  datum alone (``xian1980``, ``beijing1954``, ``cgcs2000``; ``西安80``, ``北京54`` …): the zone then
  comes from the eastings' prefix, or, for 6-digit eastings, a central meridian must be given
  (``xian1980:114``).
- **Which zone.** When the eastings carry a zone prefix (8 digits, ``39 5xx xxx``), the prefix decides
  the zone: a declared zone that disagrees is reported and replaced by the prefix's zone *of the
  declared datum* (a real survey declared zone 42 over zone-43 eastings), unless the user keeps the
  declared zone (``keep_declared_zone``). A declared system without prefix over prefixed eastings (or
  the reverse) is switched to the matching form of the same zone, and said.
- **How it reaches CGCS2000.** Without the official grid or a seven-parameter set, PROJ can only
  keep latitude and longitude unchanged between Xian 1980 / Beijing 1954 and CGCS2000 (its
  "ballpark" transformation): the result is off by metres to tens of metres (Xian 1980) or tens of
  metres (Beijing 1954). A user-supplied seven-parameter set (``--towgs84 dx,dy,dz,rx,ry,rz,s``:
  metres, arc-seconds, ppm, position-vector convention as PROJ's ``+towgs84``) is applied instead;
  CGCS2000 is then taken as WGS 84 (they differ by centimetres to decimetres).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import pyproj
from pyproj.transformer import TransformerGroup

from landuse.core.errors import LanduseError
from landuse.core.units import EPSG_CGCS2000

__all__ = ["GK", "DATUMS", "gk_epsg", "describe_gk", "parse_assume_crs", "AssumedCRS", "resolve_zone",
           "parse_towgs84", "with_towgs84", "datum_note", "datum_key", "local_gk_crs"]

#: datum key → (Chinese name, English name, EPSG bases: 3° prefixed zone 25, 3° CM 75E, 6° prefixed zone 13, 6° CM 75E)
DATUMS: dict[str, tuple[str, str, tuple[int, int, int, int]]] = {
    "cgcs2000": ("CGCS2000", "CGCS2000", (4513, 4534, 4491, 4502)),
    "xian1980": ("1980西安坐标系", "Xian 1980", (2349, 2370, 2327, 2338)),
    "beijing1954": ("1954北京坐标系", "Beijing 1954", (2401, 2422, 21413, 21473)),
}
_DATUM_NAMES = {  # pyproj datum names (and ESRI ones) → key
    "china 2000": "cgcs2000", "china geodetic coordinate system 2000": "cgcs2000", "d_china_2000": "cgcs2000",
    "cgcs2000": "cgcs2000", "cgcs_2000": "cgcs2000",
    "xian 1980": "xian1980", "xian_1980": "xian1980", "d_xian_1980": "xian1980",
    "beijing 1954": "beijing1954", "beijing_1954": "beijing1954", "d_beijing_1954": "beijing1954",
}
_SHORTHAND = {
    "cgcs2000": "cgcs2000", "cgcs 2000": "cgcs2000", "2000": "cgcs2000", "国家2000": "cgcs2000",
    "2000国家大地坐标系": "cgcs2000",
    "xian1980": "xian1980", "xian80": "xian1980", "xian 1980": "xian1980", "西安80": "xian1980",
    "西安1980": "xian1980", "1980西安坐标系": "xian1980", "80西安": "xian1980",
    "beijing1954": "beijing1954", "beijing54": "beijing1954", "beijing 1954": "beijing1954", "北京54": "beijing1954",
    "北京1954": "beijing1954", "1954北京坐标系": "beijing1954", "54北京": "beijing1954",
}


@dataclass(frozen=True)
class GK:
    """A Gauss-Krüger system: datum key, central meridian, width (3 or 6; 0 = unknown) and whether
    eastings carry the zone prefix."""

    datum: str
    cm: float
    width: int
    prefixed: bool

    @property
    def zone(self) -> int | None:
        if self.width == 3:
            return int(round(self.cm / 3))
        if self.width == 6:
            return int(round((self.cm + 3) / 6))
        return None

    def epsg(self) -> int | None:
        width = self.width or 3
        z = int(round(self.cm / 3)) if width == 3 else int(round((self.cm + 3) / 6))
        return gk_epsg(self.datum, zone=z, width=width, prefixed=self.prefixed)

    def label(self) -> str:
        zh, en, _ = DATUMS[self.datum]
        if self.prefixed:
            return f"{en} {self.width or 3}° GK zone {self.zone}"
        return f"{en} GK CM {self.cm:g}E"


def gk_epsg(datum: str, *, zone: int, width: int = 3, prefixed: bool = True) -> int | None:
    """EPSG code of a GK system (``zone``: 3° zones 25–45, CM = 3·zone; 6° zones 13–23, CM = 6·zone − 3)."""
    bases = DATUMS[datum][2]
    if width == 3:
        if not 25 <= zone <= 45:
            return None
        return (bases[0] + zone - 25) if prefixed else (bases[1] + zone - 25)
    if width == 6:
        if not 13 <= zone <= 23:
            return None
        return (bases[2] + zone - 13) if prefixed else (bases[3] + zone - 13)
    return None


def datum_key(crs: pyproj.CRS | None) -> str | None:
    """'cgcs2000' | 'xian1980' | 'beijing1954' | 'wgs84' | None for another datum."""
    if crs is None:
        return None
    base = _unbound(crs)
    try:
        geo = base.geodetic_crs
        name = (geo.datum.name if geo is not None and geo.datum is not None else "").strip().lower()
    except Exception:  # noqa: BLE001
        return None
    if name in _DATUM_NAMES:
        return _DATUM_NAMES[name]
    if "wgs" in name and "84" in name:
        return "wgs84"
    return None


def _unbound(crs: pyproj.CRS) -> pyproj.CRS:
    """The source CRS of a bound CRS (``+towgs84``), else ``crs`` itself."""
    return crs.source_crs if crs.is_bound and crs.source_crs is not None else crs


def _crs_of(epsg: int | None) -> pyproj.CRS:
    """The CRS of an EPSG code from :func:`gk_epsg` on a zone already known to be valid."""
    if epsg is None:
        raise LanduseError("无效的高斯-克吕格带号 / not a valid Gauss-Krüger zone")
    return pyproj.CRS.from_epsg(epsg)


def describe_gk(crs: pyproj.CRS | None) -> GK | None:
    """The GK system of a projected CRS on one of the three datums, else None."""
    if crs is None:
        return None
    base = _unbound(crs)
    if not base.is_projected:
        return None
    datum = datum_key(base)
    if datum not in DATUMS:
        return None
    op = base.coordinate_operation
    if op is None or "transverse mercator" not in (op.method_name or "").lower() and "gauss" not in (op.method_name or "").lower():
        return None
    # pyproj's stub types Param.value as str: the parameters of a transverse Mercator are floats
    p: dict[str, float] = {x.name.lower(): cast(float, x.value) for x in op.params}
    cm = p.get("longitude of natural origin", p.get("central_meridian"))
    fe = p.get("false easting", 0.0)
    k = p.get("scale factor at natural origin", 1.0)
    if cm is None or abs((k or 1.0) - 1.0) > 1e-9:
        return None
    prefixed = fe is not None and fe >= 1_000_000
    width = 0
    if prefixed:
        z = int(fe // 1_000_000)
        width = 3 if 25 <= z <= 45 else 6 if 13 <= z <= 23 else 0
    elif abs(cm / 3 - round(cm / 3)) < 1e-9 and abs((cm + 3) / 6 - round((cm + 3) / 6)) > 1e-9:
        width = 3
    return GK(datum, float(cm), width, prefixed)


@dataclass(frozen=True)
class AssumedCRS:
    """What ``--assume-crs`` says: a whole CRS, or a datum (with a central meridian, or not)."""

    crs: pyproj.CRS | None = None
    datum: str | None = None
    cm: float | None = None
    text: str = ""


def parse_assume_crs(text: str | None) -> AssumedCRS | None:
    """``EPSG:2383`` / a WKT / ``xian1980`` / ``西安80:114`` (datum and central meridian)."""
    if not text:
        return None
    t = text.strip()
    head, _, tail = t.partition(":")
    key = _SHORTHAND.get(t.lower()) or _SHORTHAND.get(head.strip().lower())
    if key and (t.lower() in _SHORTHAND or re.fullmatch(r"\s*\d{2,3}(\.\d+)?\s*[eE]?\s*", tail or "")):
        cm = None
        if t.lower() not in _SHORTHAND:
            cm = float(re.sub(r"[^\d.]", "", tail))
            if not 70 <= cm <= 140:
                raise LanduseError(f"--assume-crs {text}: 中央经线应在 70–140 之间 / central meridian must be 70–140°E")
        return AssumedCRS(datum=key, cm=cm, text=t)
    try:
        return AssumedCRS(crs=pyproj.CRS.from_user_input(t), text=t)
    except pyproj.exceptions.CRSError as exc:
        raise LanduseError(
            f"--assume-crs {text}: 无法识别的坐标系 / unknown CRS ({exc}); 可用 EPSG 代码、WKT，或坐标系名称 "
            "xian1980 / beijing1954 / cgcs2000（可加中央经线，如 xian1980:114）") from None


def _zone_of_prefix(minx: float, maxx: float) -> int | None:
    if not (1e7 <= minx and maxx < 1e8):
        return None
    z = int(minx // 1e6)
    if z != int(maxx // 1e6):
        raise LanduseError(f"横坐标跨两个带号 ({minx:.0f}..{maxx:.0f}) / eastings span two zone prefixes; give --assume-crs")
    return z


def _width_of_zone(z: int) -> int | None:
    return 3 if 25 <= z <= 45 else 6 if 13 <= z <= 23 else None


def resolve_zone(crs: pyproj.CRS, bounds: tuple[float, float, float, float], *, source: str,
                 keep_declared_zone: bool = False) -> tuple[pyproj.CRS, list[str], str | None]:
    """Check a declared GK ``crs`` against the eastings. Returns ``(crs to use, notes, mismatch)``:
    ``mismatch`` is a sentence for a warning when the declared zone contradicts the eastings' prefix
    (None otherwise). ``source`` names where the declaration came from ('.prj', '--assume-crs')."""
    gk = describe_gk(crs)
    if gk is None:
        return crs, [], None
    minx, _miny, maxx, _maxy = bounds
    notes: list[str] = []
    zone = _zone_of_prefix(minx, maxx)
    if zone is not None:
        width = _width_of_zone(zone)
        if width is None:
            return crs, notes, None
        cm = 3.0 * zone if width == 3 else 6.0 * zone - 3
        declared = gk.label()
        if abs(cm - gk.cm) < 1e-9 and gk.prefixed:
            return crs, notes, None
        if abs(cm - gk.cm) < 1e-9:  # same zone, declared without the prefix
            epsg = gk_epsg(gk.datum, zone=zone, width=width, prefixed=True)
            notes.append(f"{source} 声明 {declared}（无带号），横坐标带带号 {zone}：改用带带号的同一坐标系 EPSG:{epsg} / "
                         f"{source} declares {declared} without zone prefix over eastings with prefix {zone}: "
                         f"EPSG:{epsg} (same zone, with prefix) used")
            return _crs_of(epsg), notes, None
        epsg = gk_epsg(gk.datum, zone=zone, width=width, prefixed=True)
        if keep_declared_zone:
            msg = (f"{source} 声明 {declared}，与横坐标带号 {zone} 不一致；按用户要求保留声明的带号 / "
                   f"{source} declares {declared} but the eastings carry zone prefix {zone}; the declared zone "
                   "is kept as the user asked")
            return crs, notes, msg
        msg = (f"{source} 声明 {declared}，但横坐标带号为 {zone}：以带号为准，采用 {DATUMS[gk.datum][0]} "
               f"{width}度带第 {zone} 带 EPSG:{epsg}（保留声明的基准）/ {source} declares {declared} but the eastings "
               f"carry zone prefix {zone}: the prefix decides, {DATUMS[gk.datum][1]} {width}° GK zone {zone} "
               f"(EPSG:{epsg}, the declared datum kept) used")
        return _crs_of(epsg), notes, msg
    if 1e5 <= minx and maxx < 1e6 and gk.prefixed:  # declared with prefix, eastings without
        width = gk.width or 3
        epsg = gk_epsg(gk.datum, zone=gk.zone or 0, width=width, prefixed=False)
        if epsg is not None:
            notes.append(f"{source} 声明 {gk.label()}（带带号），横坐标无带号：改用同一中央经线不带带号的 EPSG:{epsg} / "
                         f"{source} declares {gk.label()} with zone prefix over 6-digit eastings: EPSG:{epsg} "
                         "(same central meridian, no prefix) used")
            return pyproj.CRS.from_epsg(epsg), notes, None
    return crs, notes, None


def guess_from_datum(assumed: AssumedCRS, bounds: tuple[float, float, float, float]) -> tuple[pyproj.CRS, str]:
    """A CRS from a datum alone (``--assume-crs xian1980``): the zone from the eastings' prefix, or
    the central meridian given with the datum (``xian1980:114``) for 6-digit eastings."""
    datum = assumed.datum or "cgcs2000"
    zh, en, _ = DATUMS[datum]
    minx, miny, maxx, maxy = bounds
    zone = _zone_of_prefix(minx, maxx)
    if zone is not None:
        width = _width_of_zone(zone)
        if width is None:
            raise LanduseError(f"横坐标带号 {zone} 不是3度带(25–45)或6度带(13–23) / zone prefix {zone} is neither a 3° "
                               "(25–45) nor a 6° (13–23) zone")
        if assumed.cm is not None and abs((3.0 * zone if width == 3 else 6.0 * zone - 3) - assumed.cm) > 1e-9:
            raise LanduseError(f"--assume-crs {assumed.text}: 中央经线 {assumed.cm:g} 与横坐标带号 {zone} 不一致 / the "
                               f"central meridian {assumed.cm:g} contradicts zone prefix {zone}")
        epsg = gk_epsg(datum, zone=zone, width=width, prefixed=True)
        return (_crs_of(epsg),
                f"横坐标带带号 {zone}，按用户指定的 {zh} 采用 {width}度带第 {zone} 带 EPSG:{epsg} / eastings carry zone "
                f"prefix {zone}: {en} {width}° GK zone {zone} (EPSG:{epsg}) as the user said")
    if 1e5 <= minx and maxx < 1e6 and 1e6 <= miny < 1e7:
        if assumed.cm is None:
            raise LanduseError(f"--assume-crs {assumed.text}: 横坐标无带号，须给出中央经线，如 {datum}:114 / eastings without "
                               f"zone prefix: give the central meridian too, e.g. {datum}:114")
        cm = assumed.cm
        if abs(cm / 3 - round(cm / 3)) < 1e-9:
            epsg = gk_epsg(datum, zone=int(round(cm / 3)), width=3, prefixed=False)
        else:
            epsg = gk_epsg(datum, zone=int(round((cm + 3) / 6)), width=6, prefixed=False)
        if epsg is None:
            raise LanduseError(f"--assume-crs {assumed.text}: 中央经线 {cm:g} 不是高斯-克吕格分带的中央经线 / not a GK central meridian")
        return (pyproj.CRS.from_epsg(epsg),
                f"横坐标无带号，按用户指定的 {zh}、中央经线 {cm:g}°E 采用 EPSG:{epsg} / 6-digit eastings: {en} GK CM {cm:g}E "
                f"(EPSG:{epsg}) as the user said")
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        epsg = {"cgcs2000": EPSG_CGCS2000, "xian1980": 4610, "beijing1954": 4214}[datum]
        return pyproj.CRS.from_epsg(epsg), f"经纬度坐标，按用户指定采用 {zh} (EPSG:{epsg}) / lon-lat coordinates: {en} (EPSG:{epsg})"
    raise LanduseError(f"无法判断坐标 {bounds} 的坐标系 / cannot tell the CRS of coordinates {bounds}; give --assume-crs EPSG:…")


def parse_towgs84(text: str | None) -> tuple[float, ...] | None:
    """``dx,dy,dz,rx,ry,rz,s`` (metres, arc-seconds, ppm) → seven floats."""
    if not text:
        return None
    parts = [p.strip() for p in re.split(r"[,，\s]+", text.strip()) if p.strip()]
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        vals = ()
    if len(vals) != 7:
        raise LanduseError(f"--towgs84 {text}: 需要七个数 dx,dy,dz,rx,ry,rz,s（米、角秒、ppm）/ seven numbers expected "
                           "dx,dy,dz,rx,ry,rz,s (metres, arc-seconds, ppm)")
    return vals


def with_towgs84(crs: pyproj.CRS, params: tuple[float, ...]) -> pyproj.CRS:
    """``crs`` bound to WGS 84 (≈ CGCS2000) by the seven parameters (PROJ ``+towgs84``)."""
    base = _unbound(crs)
    proj4 = base.to_proj4()
    proj4 = re.sub(r"\+towgs84=\S+", "", proj4)
    return pyproj.CRS.from_proj4(proj4 + " +towgs84=" + ",".join(f"{v:g}" for v in params))


#: expected error of PROJ's ballpark transformation (latitude and longitude kept) per datum
BALLPARK_ACCURACY = {
    "xian1980": ("数米至数十米", "metres to tens of metres"),
    "beijing1954": ("数十米（在江西，已发布的北京54至WGS84参数使点位移动约53–66米）",
                    "tens of metres (the published Beijing 1954 → WGS 84 parameter sets move a point in Jiangxi by 53–66 m)"),
}


def datum_note(crs: pyproj.CRS, *, towgs84: tuple[float, ...] | None = None, datum: str | None = None) -> str | None:
    """A sentence on how ``crs`` reaches CGCS2000 and how well, for a Xian 1980 / Beijing 1954 CRS
    (None for CGCS2000, WGS 84 and other datums). ``datum``: the datum key when ``crs`` was bound to
    seven parameters (its source then carries no datum name)."""
    datum = datum or datum_key(crs)
    if datum not in ("xian1980", "beijing1954"):
        return None
    zh, en, _ = DATUMS[datum]
    if towgs84 is not None or crs.is_bound:
        p = ",".join(f"{v:g}" for v in towgs84) if towgs84 else ""
        return (f"{zh} → CGCS2000：采用用户提供的七参数 ({p})（位置矢量约定，旋转为角秒，尺度为 ppm；CGCS2000 按 WGS84 处理，"
                f"两者相差厘米至分米级），精度取决于参数本身 / {en} → CGCS2000: the user's seven parameters ({p}) "
                "(position-vector convention, rotations in arc-seconds, scale in ppm; CGCS2000 taken as WGS 84, "
                "centimetres to decimetres apart); the accuracy is that of the parameters")
    desc = ""
    try:
        tg = TransformerGroup(crs.geodetic_crs, pyproj.CRS.from_epsg(EPSG_CGCS2000), always_xy=True)
        if tg.transformers:
            desc = tg.transformers[0].description
    except Exception:  # noqa: BLE001
        desc = ""
    acc_zh, acc_en = BALLPARK_ACCURACY[datum]
    return (f"{zh} → CGCS2000：未提供官方格网或七参数，按经纬度不变的近似换算（PROJ：{desc or 'ballpark'}），"
            f"预计偏差{acc_zh}；有七参数时请用 --towgs84 dx,dy,dz,rx,ry,rz,s / {en} → CGCS2000: no official grid or "
            f"seven parameters given: latitude and longitude kept (PROJ: {desc or 'ballpark'}), expect errors of "
            f"{acc_en}; give --towgs84 dx,dy,dz,rx,ry,rz,s when you have the parameters")


def local_gk_crs(lon: float) -> pyproj.CRS:
    """The CGCS2000 3-degree GK system (no prefix) whose zone holds ``lon``."""
    zone = int(round(lon / 3.0))
    return pyproj.CRS.from_epsg(gk_epsg("cgcs2000", zone=zone, width=3, prefixed=False) or 4547)
