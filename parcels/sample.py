"""A realistic, deterministic generated data package (Jiangxi-like) for demos, tests and benchmarks.

``write_sample(out_dir, scale="small"|"province", seed=1)`` writes one data-package folder with the
seven input layers of :data:`landuse.core.contract.INPUT_LAYERS`, in the formats bureaus really deliver:

=====================  ==========================================================================
file                   format
=====================  ==========================================================================
zones.geojson          GeoJSON, EPSG:4490 lon/lat, UTF-8
parcels.shp            Shapefile, DBF in GBK **without .cpg**, coordinates CGCS2000 3-degree GK
                       zone 39 **with the zone prefix in the eastings** (EPSG:4527, 39 5xx xxx),
                       **without .prj**; field names cut to 10 characters (see SHP_FIELDS);
                       dates as 'YYYY-MM-DD' strings, booleans as 0/1 integers; two extra
                       cadastral text fields QLRMC (权利人名称) and ZL (坐落), not in the contract
enterprises.xlsx       Excel, Chinese headers (the ``zh`` labels of columns.ENTERPRISES)
enterprise_years.csv   CSV, GBK, English headers; has_rd_institution as 1/0; an extra ``name``
                       column (企业名称, not in the contract) after ``uscc``
buildings.gpkg         GeoPackage, layer ``buildings``, EPSG:4490 (rectangles inside parcels)
leases.csv             CSV, UTF-8, English headers
pilot_area_years.xlsx  Excel, English headers
_truth.csv             the generator's ground truth (ignored by the importer: name starts with _)
=====================  ==========================================================================

Determinism: one ``numpy.random.Generator(seed)`` drives everything; no set/dict-order or clock
dependence. CSV files are byte-identical for a seed; XLSX files too (zip entry times and the
document properties are pinned).

Geometry: each zone is an irregular star-shaped polygon a few km across, built in a local metric
CGCS2000 GK CRS (EPSG:4547 west of 115.5°E, EPSG:4548 east of it); a slightly rotated, jittered
road grid cuts it into blocks, blocks are cut into one or two rows of parcels by slanted, kinked cut
lines (hexagonal parcels sharing their edges), clipped to the zone; then transformed to EPSG:4490
with ``always_xy=True``. Parcel areas (for registered areas, FAR etc.) are ellipsoidal, computed in a
per-zone Lambert azimuthal equal-area projection on GRS80.

Ground truth (``_truth.csv``: ``parcel_code, truth, detail``; a parcel may have several rows), all
as of 2025-12-31 / year 2025 and computed from the written data, industrial/warehousing parcels
only (land use 0601/0604, 100101/1101, M2/W1):

- ``idle_not_started``: supplied, no actual_start_date, agreed_start_date ≤ 2024-12-31 (more than
  one year before the end of 2025), government_delay not True. (Generated ones have agreed dates
  ≤ 2024-06-30; decoys with an agreed date in 2025 are not idle.)
- ``government_delay``: as idle_not_started, but government_delay True (not idle by statute).
- ``halted_underbuilt``: started, not completed, halted_since ≤ 2024-12-31, and developed_area_m2 <
  1/3 of the area or invested_wan < 25 % of planned_investment_wan. Decoys: halted in 2025 (< 1 year),
  or halted but ≥ 1/3 developed and ≥ 25 % invested.
- ``low_far``: completed (completion_date ≤ 2025-12-31), FAR = floor_area_m2 / area < 1.0.
- ``low_coverage``: completed, footprint_area_m2 / area < 0.30.
- ``low_output``: developed (completed) parcel whose 2025 revenue per mu < 50 % of the zone's, or
  tax per mu < 1/3 of the zone's. Parcel revenue follows docs/domain.md §5 with the floor-area-share
  conversion: each enterprise's 2025 revenue/tax is spread over the land it uses (own parcels, plus
  area × leased/total floor area for leases in force on 2025-12-31; the holder keeps the rest) in
  proportion to area; zone figure = Σ revenue / Σ area over the zone's developed industrial parcels.
  Generated values keep a gap around both thresholds (see the summary's ``ambiguous_low_output``).
- ``production_stopped``: developed parcel whose holder has revenue 0 and tax 0 in 2025 (these
  are also ``low_output``).
- ``obsolete``: obsolete_industry True or env_safety_fail True.
- ``standard_land_shortfall``: standard_land True with all four commitments present and, in 2025:
  completed (acceptance checks due) with FAR < commit_far or the holder's cumulative fixed-asset
  investment per mu of its land < commit_investment; or completed by 2023-12-31 (full-production
  review due two years after completion, the default policy) with revenue per mu < commit_revenue
  or tax per mu < commit_tax (per-mu figures as for low_output); the acceptance also fails on
  building coverage < 30 % or office land > 7 % of the parcel.

Area basis for the truth: the ellipsoidal area of the geometry (registered areas are within
±0.5 % of it except a handful off by 3–8 %; the generated values keep ≥ 10 % margins so either basis
gives the same answer).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path
from typing import Callable, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from landuse.core.contract import BUILDINGS, ENTERPRISES, ENTERPRISE_YEARS, LEASES, PARCELS, PILOT_AREA_YEARS
from landuse.core.units import M2_PER_MU

Progress = Callable[[str, int, int], None]

END = np.datetime64("2025-12-31")
YEARS = np.arange(2020, 2026)

# ------------------------------------------------------------------------------------------------
# reference data: Jiangxi cities and counties (6-digit codes, approximate seat coordinates)
# ------------------------------------------------------------------------------------------------

# code, name, short name, lon, lat, city code, district code used for city-managed zones
CITIES = [
    ("360100", "南昌市", "南昌", 115.89, 28.68, "360113"),
    ("360200", "景德镇市", "景德镇", 117.18, 29.27, "360203"),
    ("360300", "萍乡市", "萍乡", 113.85, 27.62, "360302"),
    ("360400", "九江市", "九江", 116.00, 29.71, "360402"),
    ("360500", "新余市", "新余", 114.92, 27.82, "360502"),
    ("360600", "鹰潭市", "鹰潭", 117.07, 28.26, "360602"),
    ("360700", "赣州市", "赣州", 114.93, 25.83, "360702"),
    ("360800", "吉安市", "吉安", 114.99, 27.11, "360802"),
    ("360900", "宜春市", "宜春", 114.42, 27.82, "360902"),
    ("361000", "抚州市", "抚州", 116.36, 27.95, "361002"),
    ("361100", "上饶市", "上饶", 117.94, 28.45, "361102"),
]
# code, name, short, lon, lat, city code, level of its main zone, main zone name
COUNTIES = [
    ("360703", "南康区", "南康", 114.76, 25.66, "360700", "provincial", "南康经济开发区"),
    ("360704", "赣县区", "赣县", 115.00, 25.87, "360700", "national", "赣州高新技术产业开发区"),
    ("360781", "瑞金市", "瑞金", 116.03, 25.88, "360700", "national", "瑞金经济技术开发区"),
    ("361103", "广丰区", "广丰", 118.19, 28.44, "361100", "provincial", "广丰经济开发区"),
    ("361123", "玉山县", "玉山", 118.24, 28.68, "361100", "provincial", "玉山经济开发区"),
    ("360482", "共青城市", "共青城", 115.81, 29.25, "360400", "national", "共青城高新技术产业开发区"),
    ("360429", "湖口县", "湖口", 116.22, 29.73, "360400", "provincial", "湖口高新技术产业园区"),
    ("360982", "樟树市", "樟树", 115.55, 28.06, "360900", "provincial", "樟树高新技术产业开发区"),
    ("360981", "丰城市", "丰城", 115.77, 28.16, "360900", "national", "丰城高新技术产业开发区"),
    ("360681", "贵溪市", "贵溪", 117.21, 28.29, "360600", "provincial", "贵溪经济技术开发区"),
    # further counties, used at province scale
    ("360121", "南昌县", "南昌县", 115.94, 28.55, "360100", "provincial", "南昌小蓝经济技术开发区"),
    ("360124", "进贤县", "进贤", 116.24, 28.38, "360100", "provincial", "进贤经济开发区"),
    ("360123", "安义县", "安义", 115.55, 28.84, "360100", "provincial", "安义工业园区"),
    ("360281", "乐平市", "乐平", 117.13, 28.97, "360200", "provincial", "乐平工业园区"),
    ("360222", "浮梁县", "浮梁", 117.22, 29.35, "360200", "provincial", "浮梁产业园"),
    ("360313", "湘东区", "湘东", 113.73, 27.64, "360300", "provincial", "湘东产业园"),
    ("360323", "芦溪县", "芦溪", 114.03, 27.63, "360300", "provincial", "芦溪工业园区"),
    ("360322", "上栗县", "上栗", 113.80, 27.88, "360300", "provincial", "上栗工业园区"),
    ("360481", "瑞昌市", "瑞昌", 115.68, 29.68, "360400", "provincial", "瑞昌经济开发区"),
    ("360430", "彭泽县", "彭泽", 116.55, 29.90, "360400", "provincial", "彭泽工业园区"),
    ("360425", "永修县", "永修", 115.81, 29.02, "360400", "provincial", "永修云山经济开发区"),
    ("360426", "德安县", "德安", 115.76, 29.31, "360400", "provincial", "德安高新技术产业园区"),
    ("360521", "分宜县", "分宜", 114.69, 27.81, "360500", "provincial", "分宜工业园区"),
    ("360603", "余江区", "余江", 116.82, 28.21, "360600", "provincial", "余江工业园区"),
    ("360722", "信丰县", "信丰", 114.92, 25.39, "360700", "provincial", "信丰高新技术产业园区"),
    ("360783", "龙南市", "龙南", 114.79, 24.91, "360700", "national", "龙南经济技术开发区"),
    ("360731", "于都县", "于都", 115.41, 25.95, "360700", "provincial", "于都工业园区"),
    ("360732", "兴国县", "兴国", 115.36, 26.34, "360700", "provincial", "兴国经济开发区"),
    ("360881", "井冈山市", "井冈山", 114.29, 26.75, "360800", "national", "井冈山经济技术开发区"),
    ("360826", "泰和县", "泰和", 114.91, 26.79, "360800", "provincial", "泰和工业园区"),
    ("360828", "万安县", "万安", 114.79, 26.46, "360800", "provincial", "万安工业园区"),
    ("360822", "吉水县", "吉水", 115.14, 27.23, "360800", "provincial", "吉水工业园区"),
    ("360824", "新干县", "新干", 115.39, 27.74, "360800", "provincial", "新干工业园区"),
    ("360983", "高安市", "高安", 115.38, 28.42, "360900", "provincial", "高安高新技术产业园区"),
    ("360921", "奉新县", "奉新", 115.40, 28.70, "360900", "provincial", "奉新高新技术产业园区"),
    ("360923", "上高县", "上高", 114.92, 28.23, "360900", "provincial", "上高工业园区"),
    ("360924", "宜丰县", "宜丰", 114.80, 28.39, "360900", "provincial", "宜丰工业园区"),
    ("361021", "南城县", "南城", 116.64, 27.57, "361000", "provincial", "南城工业园区"),
    ("361003", "东乡区", "东乡", 116.60, 28.25, "361000", "provincial", "东乡经济开发区"),
    ("361024", "崇仁县", "崇仁", 116.06, 27.76, "361000", "provincial", "崇仁工业园区"),
    ("361027", "金溪县", "金溪", 116.76, 27.92, "361000", "provincial", "金溪工业园区"),
    ("361181", "德兴市", "德兴", 117.58, 28.95, "361100", "provincial", "德兴经济开发区"),
    ("361126", "弋阳县", "弋阳", 117.45, 28.40, "361100", "provincial", "弋阳工业园区"),
    ("361124", "铅山县", "铅山", 117.71, 28.32, "361100", "provincial", "铅山工业园区"),
    ("361128", "鄱阳县", "鄱阳", 116.70, 29.00, "361100", "provincial", "鄱阳工业园区"),
    ("361129", "万年县", "万年", 117.06, 28.69, "361100", "provincial", "万年高新技术产业园区"),
]
CITY_MAIN_ZONE = {
    "360100": ("南昌经济技术开发区", "national"), "360200": ("景德镇高新技术产业开发区", "national"),
    "360300": ("萍乡经济技术开发区", "national"), "360400": ("九江经济技术开发区", "national"),
    "360500": ("新余高新技术产业开发区", "national"), "360600": ("鹰潭高新技术产业开发区", "national"),
    "360700": ("赣州经济技术开发区", "national"), "360800": ("吉安高新技术产业开发区", "national"),
    "360900": ("宜春经济技术开发区", "national"), "361000": ("抚州高新技术产业开发区", "national"),
    "361100": ("上饶经济技术开发区", "national"),
}
SMALL_CITIES = ("360700", "361100", "360400")
SMALL_COUNTIES = ("360703", "360704", "360781", "361103", "361123", "360482", "360429", "360982", "360981", "360681")
EXTRA_ZONE_TEMPLATES = ("{p}高新技术产业园区", "{p}工业园区", "{p}新材料产业园", "{p}电子信息产业园",
                        "{p}循环经济产业园", "{p}先进制造业产业园", "{p}综合保税区", "{p}现代产业园")

# industry group: weight, codes, name words, energy intensity (tce per 万元 revenue), tax-rate factor
INDUSTRIES = [
    ("有色", 0.14, ("C3211", "C3231", "C3232", "C3261", "C3262", "C32"), ("铜业", "钨业", "稀土新材料", "锂业新材料", "铝业"), (0.15, 0.45)),
    ("电子信息", 0.20, ("C3971", "C3973", "C3974", "C3976", "C3982", "C3985", "C3921", "C39"), ("电子科技", "光电科技", "电路科技", "半导体", "智能科技", "照明科技"), (0.02, 0.06)),
    ("装备", 0.13, ("C3411", "C3441", "C3511", "C3572", "C3599", "C34", "C35"), ("机械制造", "装备制造", "重工", "精密机械"), (0.03, 0.08)),
    ("石化", 0.08, ("C2511", "C2614", "C2641", "C2662", "C26"), ("化工", "石化", "新材料化学"), (0.2, 0.6)),
    ("建材", 0.09, ("C3021", "C3041", "C3071", "C30"), ("建材", "陶瓷", "新型建材", "玻璃"), (0.25, 0.7)),
    ("纺织", 0.08, ("C1713", "C1811", "C1819", "C17", "C18"), ("纺织", "服饰", "针织"), (0.04, 0.12)),
    ("食品", 0.09, ("C1320", "C1411", "C1495", "C13", "C14"), ("食品", "粮油", "农业科技"), (0.03, 0.09)),
    ("汽车", 0.08, ("C3670", "C3612", "C36"), ("汽车零部件", "汽车部件", "新能源汽车"), (0.03, 0.07)),
    ("航空", 0.03, ("C3741", "C3744", "C37"), ("航空科技", "航空装备"), (0.03, 0.06)),
    ("中医药", 0.06, ("C2740", "C2730", "C27"), ("药业", "中药", "生物医药"), (0.03, 0.08)),
    ("公用", 0.02, ("D4411", "D4416", "D44"), ("能源", "热电", "电力"), (0.3, 0.8)),
]
OBSOLETE_GROUPS = ("建材", "纺织", "石化", "有色")
SYL1 = "赣鑫恒华金瑞宏联晶正新盛嘉泰海天汇和国宝昌远铭达隆中博凯尚永祥佳鸿润东丰锦捷科信"
SYL2 = "锋源达泰盛创鑫辉邦安宇力通航诚丰瑞海华科兴腾鹏耀德恒明宏晟弘光美运凯琦钜锐洋顺"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])

INDUSTRIAL_USE = {("gbt21010", "0601"), ("gbt21010", "0604"), ("ydyh2023", "100101"), ("ydyh2023", "100102"),
                  ("ydyh2023", "1101"), ("gb50137", "M2"), ("gb50137", "W1")}

#: contract column → field name in parcels.shp (the 10-character cut GDAL would produce)
SHP_FIELDS = {c.name: c.name[:10] for c in PARCELS.columns if c.name not in PARCELS.derived}

SCALES = {
    # zones per pilot area (cities, counties), parcels per zone
    "small": dict(cities=SMALL_CITIES, counties=SMALL_COUNTIES, parcels_per_zone=(100, 170), n_zones=15),
    "province": dict(cities=tuple(c[0] for c in CITIES), counties=tuple(c[0] for c in COUNTIES),
                     parcels_per_zone=(400, 2200), n_zones=100),
}


ZONE_FILL = 0.95  # parcels' share of the zone area, as the tessellation turns out (roads, slivers)


def _d(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


# ------------------------------------------------------------------------------------------------
# codes
# ------------------------------------------------------------------------------------------------

def make_uscc(county: str, body8: str) -> str:
    """USCC '91' + county + 9-char organisation code (GB 11714 check) + GB 32100 check character."""
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body8, _ORG_W)) % 11
    org = body8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    s17 = "91" + county + org
    total = sum(_USCC_VAL[ch] * w for ch, w in zip(s17, _USCC_W))
    return s17 + USCC_ALPHABET[(31 - total % 31) % 31]


_ORG_W = tuple(int(w) for w in ORG_WEIGHTS)
_USCC_W = tuple(int(w) for w in USCC_WEIGHTS)
_USCC_VAL = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


# ------------------------------------------------------------------------------------------------
# geometry
# ------------------------------------------------------------------------------------------------

def _rot(x, y, a):
    c, s = math.cos(a), math.sin(a)
    return x * c - y * s, x * s + y * c


def _zone_shape(rng: np.random.Generator, area_m2: float) -> shapely.Polygon:
    n = 72
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for h in range(2, 6):
        r += rng.uniform(0.0, 0.28 / h) * np.cos(h * th + rng.uniform(0, 2 * np.pi))
    r = np.clip(r * (1 + rng.normal(0, 0.012, n)), 0.55, None)
    aspect = rng.uniform(1.0, 1.6)
    x, y = r * np.cos(th) * math.sqrt(aspect), r * np.sin(th) / math.sqrt(aspect)
    x, y = _rot(x, y, rng.uniform(0, np.pi))
    poly = shapely.Polygon(np.column_stack([x, y]))
    k = math.sqrt(area_m2 / poly.area)
    return shapely.Polygon(np.column_stack([x * k, y * k]))


def _road_lines(rng, lo, hi, step):
    pos = [lo - rng.uniform(0.2, 0.8) * step]
    while pos[-1] < hi:
        pos.append(pos[-1] + step * rng.uniform(0.8, 1.2))
    pos = np.array(pos)
    width = np.where(np.arange(len(pos)) % 3 == 0, 40.0, 24.0)
    return pos, width


def _zone_parcels(rng: np.random.Generator, zone_uv: shapely.Polygon, mean_mu: float):
    """Parcels (u, v frame) tessellating the zone along a road grid. Returns (polygons, block ids, run ids)."""
    minx, miny, maxx, maxy = zone_uv.bounds
    su, sv = rng.uniform(280, 460), rng.uniform(200, 340)
    us, uw = _road_lines(rng, minx, maxx, su)
    vs, vw = _road_lines(rng, miny, maxy, sv)
    u0 = us[:-1] + uw[:-1] / 2
    u1 = us[1:] - uw[1:] / 2
    v0 = vs[:-1] + vw[:-1] / 2
    v1 = vs[1:] - vw[1:] / 2
    I, J = np.meshgrid(np.arange(len(u0)), np.arange(len(v0)), indexing="ij")
    I, J = I.ravel(), J.ravel()
    boxes = shapely.box(u0[I], v0[J], u1[I], v1[J])
    keep = shapely.intersects(boxes, zone_uv)
    I, J = I[keep], J[keep]
    rings, block_of, row_of = [], [], []
    mu_m2 = M2_PER_MU
    for b, (i, j) in enumerate(zip(I.tolist(), J.tolist())):
        bu0, bu1, bv0, bv1 = u0[i], u1[i], v0[j], v1[j]
        du, dv = bu1 - bu0, bv1 - bv0
        swap = dv > du
        L, S = (dv, du) if swap else (du, dv)
        if S > 200 and rng.random() < 0.6:
            m = S * rng.uniform(0.4, 0.6)
            rows = [(0.0, m), (m, S)]
        else:
            rows = [(0.0, S)]
        for r, (a0, a1) in enumerate(rows):
            h = a1 - a0
            t = float(np.clip(rng.lognormal(math.log(mean_mu), 0.55), 7, 150))
            area = L * h
            k = max(1, int(round(area / (t * mu_m2))), math.ceil(area / (185 * mu_m2)))
            w = L / k
            cuts = np.linspace(0, L, k + 1)
            jit = np.zeros(k + 1)
            jit[1:-1] = rng.uniform(-0.2, 0.2, k - 1) * w
            cuts = cuts + jit
            dmax = min(0.08 * h, 0.12 * w)
            d = np.zeros(k + 1)
            e = np.zeros(k + 1)
            d[1:-1] = rng.uniform(-dmax, dmax, k - 1)
            e[1:-1] = rng.uniform(-0.1, 0.1, k - 1) * w
            bot, mid, top = cuts + d, cuts + e, cuts - d
            am = (a0 + a1) / 2
            for q in range(k):
                pts = [(bot[q], a0), (bot[q + 1], a0), (mid[q + 1], am), (top[q + 1], a1), (top[q], a1), (mid[q], am)]
                arr = np.array(pts)
                if swap:
                    arr = np.column_stack([arr[:, 1] + bu0, arr[:, 0] + bv0])
                else:
                    arr = np.column_stack([arr[:, 0] + bu0, arr[:, 1] + bv0])
                rings.append(arr)
                block_of.append(b)
                row_of.append(r)
    coords = np.stack(rings)  # (n, 6, 2)
    polys = shapely.polygons(coords)
    block_of = np.array(block_of)
    row_of = np.array(row_of)
    inside = shapely.within(polys, zone_uv)
    out = ~inside
    if out.any():
        clipped = shapely.intersection(polys[out], zone_uv)
        parts, idx = shapely.get_parts(clipped, return_index=True)
        parts_area = shapely.area(parts)
        best = pd.DataFrame({"i": idx, "a": parts_area}).reset_index().sort_values(["i", "a"], kind="stable")
        best = best.groupby("i").tail(1)
        res = np.full(out.sum(), None, dtype=object)
        res[best["i"].to_numpy()] = parts[best["index"].to_numpy()]
        polys = polys.copy()
        polys[out] = res
    ok = np.array([p is not None for p in polys])
    ok[ok] = shapely.area(polys[ok]) >= 5.2 * M2_PER_MU
    return polys[ok], block_of[ok], row_of[ok]


# Albers equal-area on GRS80 over Jiangxi: planar area here is the ellipsoidal area
EQUAL_AREA = "+proj=aea +lat_1=25 +lat_2=30 +lat_0=27 +lon_0=116 +ellps=GRS80 +units=m +no_defs"
_TRANSFORMERS: dict = {}


def _transformer(a, b) -> Transformer:
    if (a, b) not in _TRANSFORMERS:
        _TRANSFORMERS[(a, b)] = Transformer.from_crs(a, b, always_xy=True)
    return _TRANSFORMERS[(a, b)]


def _gk_epsg(lon: float) -> int:
    return 4547 if lon < 115.5 else 4548


def _place_zones(rng, zones_spec: list[dict]) -> None:
    """Put each zone's centre near its city/county seat without overlapping other zones."""
    placed: list[tuple[float, float, float]] = []  # (x_km, y_km, radius_km) in a rough equirectangular frame
    for z in zones_spec:
        lon0, lat0 = z["seat"]
        kx = 111.32 * math.cos(math.radians(lat0))
        rad = z["radius_m"] / 1000.0
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(3.0, 8.0)
        for _ in range(400):
            x = lon0 * kx + dist * math.cos(ang)
            y = lat0 * 111.0 + dist * math.sin(ang)
            if all(math.hypot(x - px * 1.0, y - py) > rad + pr + 1.0 for px, py, pr in placed):
                break
            dist += 1.0
            ang += 0.7
        placed.append((x, y, rad))
        z["lon"], z["lat"] = x / kx, y / 111.0


# ------------------------------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------------------------------

def write_sample(out_dir: str | Path, *, scale: Literal["small", "province"] = "small", seed: int = 1,
                 progress: Progress | None = None) -> dict:
    """Write a generated data package to ``out_dir`` (created if needed); return a summary dict."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prog = progress or (lambda stage, i, n: None)
    rng = np.random.default_rng(seed)
    cfg = SCALES[scale]

    areas = _pilot_areas(cfg)
    zones_spec = _zone_specs(rng, cfg, areas)
    prog("zones", 0, len(zones_spec))
    geo = _build_geometry(rng, zones_spec, prog)
    parcels, projects = _parcel_attributes(rng, geo, zones_spec)
    prog("attributes", 1, 1)
    ctx: dict = {"geoms": geo["parcels"]}
    ents = _enterprises(rng, parcels, projects, zones_spec, ctx)
    buildings, leases, ents = _buildings_leases(rng, parcels, projects, zones_spec, ents, ctx)
    _enterprise_years(rng, parcels, projects, ents, zones_spec, ctx)
    years = _make_years(rng, ents, leases, ctx)
    truth, amb, years = _truth(parcels, years, leases, buildings, zones_spec)
    # 批而未供 sized against each pilot area's recent supply (mu/year over 2023–2025), so that
    # some areas can absorb theirs within 3 years and some cannot (the quota's hard rule)
    pa_of_zone = {s["zone_code"]: s["pilot_area_code"] for s in zones_spec}
    sup = pd.to_datetime(parcels["supply"])
    recent = sup.notna() & (sup >= pd.Timestamp("2023-01-01")) & (sup <= pd.Timestamp("2025-12-31"))
    mu = parcels["area"] / (2000.0 / 3.0)
    supply_rate = (mu[recent].groupby(parcels.loc[recent, "zone_code"].map(pa_of_zone)).sum() / 3.0).to_dict()
    pay = _pilot_area_years(rng, areas, supply_rate)
    prog("tables", 1, 1)
    paths = _write_all(out, zones_spec, geo, parcels, ents, years, buildings, leases, pay, truth, prog)
    return {
        "out_dir": str(out),
        "scale": scale,
        "seed": seed,
        "counts": {
            "zones": len(zones_spec), "pilot_areas": len(areas), "parcels": len(parcels),
            "enterprises": len(ents), "enterprise_years": len(years), "buildings": len(buildings),
            "leases": len(leases), "pilot_area_years": len(pay), "truth_rows": len(truth),
        },
        "truth": {k: int(v) for k, v in truth["truth"].value_counts().sort_index().items()},
        "ambiguous_low_output": amb,
        "paths": paths,
        "shp_fields": SHP_FIELDS,
    }


def _pilot_areas(cfg) -> list[dict]:
    out = []
    cities = {c[0]: c for c in CITIES}
    for code in cfg["cities"]:
        c = cities[code]
        out.append(dict(code=c[0], name=c[1], short=c[2], lon=c[3], lat=c[4], county=c[5], kind="city"))
    counties = {c[0]: c for c in COUNTIES}
    for code in cfg["counties"]:
        c = counties[code]
        out.append(dict(code=c[0], name=c[1], short=c[2], lon=c[3], lat=c[4], county=c[0], kind="county",
                        main=(c[7], c[6])))
    return out


def _zone_specs(rng, cfg, areas) -> list[dict]:
    n_target = cfg["n_zones"]
    if n_target <= len(areas) + 3:  # small: one zone each, a second one for the first few
        per = np.ones(len(areas), dtype=int)
        per[[0, 2, 11][: n_target - len(areas)]] += 1
    else:
        per = np.where([a["kind"] == "city" for a in areas], rng.integers(2, 5, len(areas)), rng.integers(1, 4, len(areas)))
        # adjust to the target total deterministically
        order = rng.permutation(len(areas))
        k = 0
        while per.sum() != n_target and k < 10000:
            i = order[k % len(areas)]
            if per.sum() < n_target and per[i] < 5:
                per[i] += 1
            elif per.sum() > n_target and per[i] > 1:
                per[i] -= 1
            k += 1
    lo, hi = cfg["parcels_per_zone"]
    specs = []
    for a, n in zip(areas, per.tolist()):
        if a["kind"] == "city":
            main_name, main_level = CITY_MAIN_ZONE[a["code"]]
        else:
            main_name, main_level = a["main"]
        templates = [t for t in EXTRA_ZONE_TEMPLATES if t.format(p=a["short"]) != main_name]
        picks = rng.permutation(len(templates))
        for k in range(n):
            if k == 0:
                name, level = main_name, main_level
            else:
                name = templates[picks[k - 1]].format(p=a["short"])
                level = "provincial" if rng.random() < 0.35 else "other"
            prefix = {"national": "G", "provincial": "S", "other": "Q"}[level]
            if hi > 1000:
                n_par = int(np.clip(rng.lognormal(math.log(850), 0.5), lo, hi))
            else:
                n_par = int(rng.integers(lo, hi + 1))
            mean_mu = rng.uniform(30, 44)
            specs.append(dict(
                zone_code=f"{prefix}{a['code']}-{k + 1:02d}", zone_name=name, level=level,
                pilot_area_code=a["code"], pilot_area_name=a["name"], county_code=a["county"],
                seat=(a["lon"], a["lat"]), short=a["short"], n_parcels=n_par, mean_mu=mean_mu,
                radius_m=math.sqrt(n_par * mean_mu * M2_PER_MU / ZONE_FILL / math.pi) * 1.5,
                index_in_county=k + 1,
            ))
    _place_zones(rng, specs)
    # zone-level economy
    for z in specs:
        z["base_rev"] = rng.uniform(230, 520)      # 万元/亩 in 2025 for a typical firm
        z["growth"] = rng.uniform(-0.01, 0.065)    # yearly revenue growth of incumbents
        z["occupancy"] = rng.choice([rng.uniform(0.83, 0.97), rng.uniform(0.5, 0.76)])
        z["tax_rate"] = rng.uniform(0.05, 0.07)
    return specs


def _build_geometry(rng, specs, prog) -> dict:
    zone_geoms, parcel_geoms, zone_idx, block_idx, row_idx, areas = [], [], [], [], [], []
    for zi, z in enumerate(specs):
        prog("geometry", zi, len(specs))
        shape = _zone_shape(rng, z["n_parcels"] * z["mean_mu"] * M2_PER_MU / ZONE_FILL)
        alpha = rng.uniform(-0.4, 0.4)
        # road-grid frame: rotate the zone by -alpha
        zone_uv = shapely.Polygon(np.column_stack(_rot(*shapely.get_coordinates(shape).T, -alpha)))
        polys, blocks, rows = _zone_parcels(rng, zone_uv, z["mean_mu"])
        gk = _gk_epsg(z["lon"])
        to_gk, to_geo = _transformer(4490, gk), _transformer(gk, 4490)
        x0, y0 = to_gk.transform(z["lon"], z["lat"])

        def fwd(xy, a=alpha, x0=x0, y0=y0, t=to_geo):
            x, y = _rot(xy[:, 0], xy[:, 1], a)
            lon, lat = t.transform(x + x0, y + y0)
            return np.column_stack([lon, lat])

        zg = shapely.transform(zone_uv, fwd)
        pg = shapely.transform(polys, fwd)
        laea = _transformer(4490, EQUAL_AREA)
        eq = shapely.transform(pg, lambda xy, t=laea: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        z["area_m2"] = float(shapely.area(shapely.transform(zg, lambda xy, t=laea: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))))
        zone_geoms.append(zg)
        parcel_geoms.append(pg)
        zone_idx.append(np.full(len(pg), zi))
        block_idx.append(blocks)
        row_idx.append(rows)
        areas.append(shapely.area(eq))
    prog("geometry", len(specs), len(specs))
    return dict(zones=np.array(zone_geoms, dtype=object), parcels=np.concatenate(parcel_geoms),
                zone=np.concatenate(zone_idx), block=np.concatenate(block_idx), row=np.concatenate(row_idx),
                area=np.concatenate(areas))


# ------------------------------------------------------------------------------------------------
# parcel attributes: projects (runs of adjacent parcels with one holder and one life-cycle)
# ------------------------------------------------------------------------------------------------

KINDS = ["unsupplied", "public", "commercial", "sf", "completed", "under_construction", "not_started_recent",
         "idle", "gov_delay", "halted", "halted_recent", "halted_built"]
KIND_P = np.array([0.07, 0.025, 0.02, 0.0, 0.73, 0.055, 0.025, 0.03, 0.008, 0.02, 0.004, 0.004])


def _months(n) -> np.ndarray:
    return np.round(np.asarray(n) * 30.44).astype("timedelta64[D]")


def _rand_dates(rng, lo: str, hi: str, n) -> np.ndarray:
    a, b = _d(lo).astype(int), _d(hi).astype(int)
    return rng.integers(a, b + 1, n).astype("datetime64[D]")


def _parcel_attributes(rng, geo, specs):
    n = len(geo["area"])
    zone = geo["zone"]
    # runs: consecutive parcels (same block, or the next block across a road) of one zone
    key_change = np.ones(n, dtype=bool)
    key_change[1:] = zone[1:] != zone[:-1]
    want_len = np.minimum(rng.geometric(0.3, n), 8)
    proj = np.empty(n, dtype=np.int64)
    pid, left = -1, 0
    for i in range(n):
        if key_change[i] or left == 0:
            pid += 1
            left = int(want_len[i])
        proj[i] = pid
        left -= 1
    n_proj = pid + 1
    pz = np.zeros(n_proj, dtype=np.int64)
    pz[proj] = zone
    kind = rng.choice(len(KINDS), n_proj, p=KIND_P / KIND_P.sum())
    plen = np.bincount(proj, minlength=n_proj)
    # standard-factory projects: a few per zone, chosen among completed ones
    for zi in range(len(specs)):
        cand = np.flatnonzero((pz == zi) & (kind == KINDS.index("completed")) & (plen <= 2))
        k = max(1, int(round(specs[zi]["n_parcels"] / 250)))
        kind[rng.permutation(cand)[:k]] = KINDS.index("sf")
    # public / unsupplied projects are single parcels: split them
    kname = np.array(KINDS)[kind]
    P = pd.DataFrame({"proj": np.arange(n_proj), "zone": pz, "kind": kname})

    # land use per project
    m = len(P)
    scheme = np.full(m, "gbt21010", dtype=object)
    code = np.where(rng.random(m) < 0.92, "0601", "0604").astype(object)
    alt = rng.random(m)
    ydyh = alt < 0.045
    scheme[ydyh] = "ydyh2023"
    code[ydyh] = np.where(code[ydyh] == "0601", np.where(rng.random(ydyh.sum()) < 0.85, "100101", "100102"), "1101")
    gb = (alt >= 0.045) & (alt < 0.055)
    scheme[gb] = "gb50137"
    code[gb] = np.where(code[gb] == "0601", "M2", "W1")
    pub = P["kind"].to_numpy() == "public"
    scheme[pub] = "gbt21010"
    code[pub] = rng.choice(["0809", "0810"], pub.sum())
    com = P["kind"].to_numpy() == "commercial"
    scheme[com] = "gbt21010"
    code[com] = rng.choice(["0505", "0701", "0503"], com.sum())
    sf = P["kind"].to_numpy() == "sf"
    scheme[sf] = "gbt21010"
    code[sf] = "0601"
    P["scheme"], P["code"] = scheme, code

    # life-cycle dates per project
    NaT = np.datetime64("NaT", "D")
    supply = np.full(m, NaT)
    agreed = np.full(m, NaT)
    start = np.full(m, NaT)
    compl = np.full(m, NaT)
    halted = np.full(m, NaT)
    k = P["kind"].to_numpy()

    c = np.isin(k, ["completed", "sf", "commercial"])
    nc = c.sum()
    # completion spread 2009..2025-09, more recent more likely
    u = rng.random(nc) ** 0.8
    comp = (_d("2009-01-01").astype(int) + u * (_d("2025-09-30").astype(int) - _d("2009-01-01").astype(int))).astype(int)
    compl[c] = comp.astype("datetime64[D]")
    start[c] = compl[c] - _months(rng.uniform(12, 30, nc))
    agreed[c] = start[c] - rng.integers(-60, 120, nc).astype("timedelta64[D]")
    supply[c] = agreed[c] - _months(rng.uniform(3, 12, nc))

    def plan(mask, s_lo, s_hi):
        nn = mask.sum()
        supply[mask] = _rand_dates(rng, s_lo, s_hi, nn)
        agreed[mask] = supply[mask] + _months(rng.uniform(3, 12, nn))
        return nn

    nn = plan(k == "under_construction", "2022-06-01", "2024-10-31")
    start[k == "under_construction"] = agreed[k == "under_construction"] + rng.integers(0, 90, nn).astype("timedelta64[D]")
    plan(k == "not_started_recent", "2024-10-15", "2025-09-30")
    plan(np.isin(k, ["idle", "gov_delay"]), "2015-01-01", "2023-06-30")
    hmask = np.isin(k, ["halted", "halted_recent", "halted_built"])
    nn = plan(hmask, "2012-01-01", "2021-06-30")
    start[hmask] = agreed[hmask] + rng.integers(0, 180, nn).astype("timedelta64[D]")
    hs = start[hmask] + _months(rng.uniform(3, 24, nn))
    hs = np.minimum(hs, _d("2024-06-30"))
    halted[hmask] = hs
    hr = k == "halted_recent"
    halted[hr] = _rand_dates(rng, "2025-03-01", "2025-10-31", hr.sum())
    # standard land: 20-30 % of industrial projects supplied since 2018
    ind_kind = np.isin(k, ["completed", "under_construction", "not_started_recent", "idle", "gov_delay", "halted",
                           "halted_recent", "halted_built"])
    since18 = ind_kind & (supply >= _d("2018-01-01"))
    std = since18 & (rng.random(m) < 0.27)
    P["supply"], P["agreed"], P["start"], P["compl"], P["halted"] = supply, agreed, start, compl, halted
    P["standard_land"] = std
    has_commit = std & (rng.random(m) < 0.88)
    P["commit_inv"] = np.where(has_commit, np.round(rng.uniform(250, 450, m) / 10) * 10, np.nan)
    P["commit_far"] = np.where(has_commit, np.round(rng.uniform(1.0, 1.5, m), 1), np.nan)
    P["commit_tax"] = np.where(has_commit, np.round(rng.uniform(15, 40, m)), np.nan)
    P["commit_rev"] = np.where(has_commit, np.round(rng.uniform(250, 500, m) / 10) * 10, np.nan)
    # commitments missing on some (recorded on paper only): keep standard_land True, commitments empty
    comp_k = k == "completed"
    # performance classes for completed industrial projects
    perf = np.full(m, "normal", dtype=object)
    r = rng.random(m)
    perf[comp_k & (r < 0.08)] = "low"
    perf[comp_k & (r >= 0.08) & (r < 0.11)] = "stopped"
    perf[comp_k & std & has_commit & (compl <= _d("2024-12-31"))] = "std_ok"
    sl = comp_k & std & has_commit & (compl <= _d("2024-12-31")) & (rng.random(m) < 0.4)
    perf[sl] = "std_short"
    P["perf"] = perf
    P["short_dim"] = rng.choice(["rev", "tax", "far", "inv"], m)
    obs = comp_k & (rng.random(m) < 0.02)
    env = comp_k & (rng.random(m) < 0.012)
    P["obsolete"] = obs
    P["env_fail"] = env
    P["gov_delay"] = k == "gov_delay"

    # ---- per parcel
    pa = geo["area"]
    zc = np.array([s["zone_code"] for s in specs], dtype=object)
    F = pd.DataFrame({"proj": proj, "zone_i": zone, "zone_code": zc[zone], "area": pa})
    F = F.join(P.drop(columns=["zone", "proj"]), on="proj")
    # parcel codes: county(6) + zone number in county(3) + block(3) + 'GB' + serial(5)
    cc = np.array([s["county_code"] for s in specs], dtype=object)[zone]
    zn = np.array([s["index_in_county"] + (10 if s["pilot_area_code"].endswith("00") else 0) for s in specs])[zone]
    serial = F.groupby("zone_i").cumcount().to_numpy() + 1
    F["parcel_code"] = [f"{a}{b:03d}{c % 1000:03d}GB{d:05d}" for a, b, c, d in zip(cc, zn, geo["block"], serial)]
    nP = len(F)
    kk = F["kind"].to_numpy()
    # registered area: close to the real area; some missing; a handful off by 3-8 %
    reg = pa * (1 + rng.uniform(-0.004, 0.004, nP))
    off = rng.random(nP) < 0.006
    reg[off] = pa[off] * (1 + rng.choice([-1, 1], off.sum()) * rng.uniform(0.03, 0.08, off.sum()))
    reg[rng.random(nP) < 0.05] = np.nan
    F["registered_area_m2"] = np.round(reg, 2)
    F["off_area"] = off
    # FAR / coverage
    far = rng.uniform(1.1, 2.5, nP)
    cov = rng.uniform(0.33, 0.6, nP)
    lowfar = rng.random(nP) < 0.07
    lowcov = rng.random(nP) < 0.06
    far[lowfar] = rng.uniform(0.45, 0.9, lowfar.sum())
    cov[lowcov] = rng.uniform(0.15, 0.27, lowcov.sum())
    perfv = F["perf"].to_numpy()
    # standard land compliant: FAR above commitment
    cf = F["commit_far"].to_numpy()
    okstd = np.isin(perfv, ["std_ok", "std_short"])
    far[okstd] = np.maximum(far[okstd], cf[okstd] * rng.uniform(1.12, 1.5, okstd.sum()))
    shortfar = (perfv == "std_short") & (F["short_dim"].to_numpy() == "far")
    far[shortfar] = cf[shortfar] * rng.uniform(0.55, 0.85, shortfar.sum())
    far = np.maximum(far, cov * 1.05)
    built = np.isin(kk, ["completed", "commercial"])
    F["floor_area_m2"] = np.where(built, np.round(pa * far, 1), np.nan)
    F["footprint_area_m2"] = np.where(built, np.round(pa * cov, 1), np.nan)
    F["far_gen"], F["cov_gen"] = far, cov
    # investment / developed area
    plan_int = rng.uniform(280, 650, nP)
    mu = pa / M2_PER_MU
    planned = plan_int * mu
    invested = np.full(nP, np.nan)
    developed = np.full(nP, np.nan)
    started = ~pd.isna(F["start"].to_numpy())
    done = ~pd.isna(F["compl"].to_numpy())
    invested[done] = planned[done] * rng.uniform(0.95, 1.2, done.sum())
    developed[done] = pa[done] * rng.uniform(0.92, 1.0, done.sum())
    uc = kk == "under_construction"
    invested[uc] = planned[uc] * rng.uniform(0.15, 0.8, uc.sum())
    developed[uc] = pa[uc] * rng.uniform(0.1, 0.8, uc.sum())
    h = np.isin(kk, ["halted", "halted_recent"])
    which = rng.integers(0, 3, nP)  # 0: both low, 1: area low only, 2: investment low only
    developed[h] = pa[h] * np.where(which[h] == 2, rng.uniform(0.4, 0.7, h.sum()), rng.uniform(0.03, 0.28, h.sum()))
    invested[h] = planned[h] * np.where(which[h] == 1, rng.uniform(0.32, 0.6, h.sum()), rng.uniform(0.04, 0.2, h.sum()))
    hb = kk == "halted_built"
    developed[hb] = pa[hb] * rng.uniform(0.4, 0.8, hb.sum())
    invested[hb] = planned[hb] * rng.uniform(0.32, 0.8, hb.sum())
    partial = h | hb | uc
    F.loc[partial, "floor_area_m2"] = np.round(developed[partial] * rng.uniform(0.3, 1.0, partial.sum()), 1)
    F.loc[partial, "footprint_area_m2"] = np.round(developed[partial] * rng.uniform(0.2, 0.45, partial.sum()), 1)
    supplied = ~pd.isna(F["supply"].to_numpy())
    has_plan = supplied & ~np.isin(kk, ["public", "commercial"])
    F["planned_investment_wan"] = np.where(has_plan, np.round(planned, 1), np.nan)
    F["invested_wan"] = np.where(started & has_plan, np.round(invested, 1), np.nan)
    F["developed_area_m2"] = np.where(started & has_plan, np.round(developed, 1), np.nan)
    F.loc[supplied & ~started & has_plan, "invested_wan"] = np.round(planned[supplied & ~started & has_plan] * rng.uniform(0, 0.05, (supplied & ~started & has_plan).sum()), 1)
    F.loc[supplied & ~started & has_plan, "developed_area_m2"] = 0.0
    F["office_area_m2"] = np.where(done & has_plan, np.round(pa * rng.uniform(0.02, 0.065, nP), 1), np.nan)
    # land price 15-40 万元/亩
    F["land_price_wan"] = np.where(supplied & ~np.isin(kk, ["public"]), np.round(mu * rng.uniform(15, 40, nP), 1), np.nan)
    return F, P


# ------------------------------------------------------------------------------------------------
# enterprises
# ------------------------------------------------------------------------------------------------

def _name_maker(rng):
    used: set[str] = set()

    def make(place: str, words: tuple[str, ...], suffix: str | None = None) -> str:
        for _ in range(200):
            brand = SYL1[rng.integers(len(SYL1))] + SYL2[rng.integers(len(SYL2))]
            word = words[rng.integers(len(words))] if words else ""
            r = rng.random()
            if suffix:
                nm = f"{place}{brand}{suffix}"
            elif r < 0.4:
                nm = f"江西{brand}{word}有限公司"
            elif r < 0.88:
                nm = f"{place}{brand}{word}有限公司"
            else:
                nm = f"江西{place}{brand}{word}股份有限公司"
            if nm not in used:
                used.add(nm)
                return nm
        raise RuntimeError("name space exhausted")

    return make


def _enterprises(rng, F, P, specs, ctx):
    """One holder per industrial/commercial project; platform companies; tenants are added later."""
    make_name = _name_maker(rng)
    ind_w = np.array([g[1] for g in INDUSTRIES])
    ind_w = ind_w / ind_w.sum()
    rows = []
    usccs: set[str] = set()

    def new_uscc(county):
        while True:
            body = f"{int(rng.integers(0, 100_000_000)):08d}"
            u = make_uscc(county, body)
            if u not in usccs:
                usccs.add(u)
                return u

    zone_platform: dict[int, str] = {}
    kinds = P["kind"].to_numpy()
    zones = P["zone"].to_numpy()
    obsolete = P["obsolete"].to_numpy()
    holders = np.full(len(P), None, dtype=object)
    groups = np.full(len(P), -1)
    for i in range(len(P)):
        k = kinds[i]
        if k in ("unsupplied", "public"):
            continue
        z = specs[zones[i]]
        if k == "sf":
            if zones[i] not in zone_platform:
                u = new_uscc(z["county_code"])
                sfx = ("产业园投资发展有限公司", "开发区建设投资有限公司", "工业园区开发有限公司")[int(rng.integers(3))]
                nm = make_name(z["short"], (), suffix=sfx)
                rows.append(dict(uscc=u, name=nm, industry_code="L7221", above_scale=False, role="platform",
                                 zone_i=zones[i], group=-1))
                zone_platform[zones[i]] = u
            holders[i] = zone_platform[zones[i]]
            continue
        u = new_uscc(z["county_code"])
        if k == "commercial":
            nm = make_name(z["short"], ("置业", "商业管理", "酒店管理"))
            ic = ("K7010", "F5261", "H6110")[int(rng.integers(3))]
            rows.append(dict(uscc=u, name=nm, industry_code=ic, above_scale=False, role="commercial",
                             zone_i=zones[i], group=-1))
        else:
            g = int(rng.choice(len(INDUSTRIES), p=ind_w))
            if obsolete[i]:
                g = [x[0] for x in INDUSTRIES].index(OBSOLETE_GROUPS[rng.integers(len(OBSOLETE_GROUPS))])
            groups[i] = g
            nm = make_name(z["short"], INDUSTRIES[g][3])
            codes = INDUSTRIES[g][2]
            rows.append(dict(uscc=u, name=nm, industry_code=codes[rng.integers(len(codes))], above_scale=False,
                             role="holder", zone_i=zones[i], group=g))
        holders[i] = u
    P["holder"] = holders
    P["group"] = groups
    E = pd.DataFrame(rows)
    F["holder_uscc"] = P["holder"].to_numpy()[F["proj"].to_numpy()]
    # unlinkable enterprises (no parcel, no lease)
    n_un = max(5, int(round(len(E) * 0.025)))
    un = []
    for _ in range(n_un):
        zi = int(rng.integers(len(specs)))
        z = specs[zi]
        g = int(rng.choice(len(INDUSTRIES), p=ind_w))
        codes = INDUSTRIES[g][2]
        un.append(dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                       industry_code=codes[rng.integers(len(codes))], above_scale=False, role="unlinked",
                       zone_i=zi, group=g))
    E = pd.concat([E, pd.DataFrame(un)], ignore_index=True)
    ctx["new_uscc"] = new_uscc
    ctx["make_name"] = make_name
    return E


# ------------------------------------------------------------------------------------------------
# buildings and leases
# ------------------------------------------------------------------------------------------------

def _buildings_leases(rng, F, P, specs, E, ctx):
    new_uscc, make_name = ctx["new_uscc"], ctx["make_name"]
    ind_w = np.array([g[1] for g in INDUSTRIES])
    ind_w = ind_w / ind_w.sum()
    small_groups = [i for i, g in enumerate(INDUSTRIES) if g[0] in ("电子信息", "装备", "纺织", "食品", "中医药", "汽车")]
    b_rows, l_rows, t_rows = [], [], []
    bcount: dict[int, int] = {}
    sf_idx = np.flatnonzero(F["kind"].to_numpy() == "sf")
    geoms = ctx["geoms"]
    Fzone = F["zone_i"].to_numpy()
    Farea = F["area"].to_numpy()
    Fcompl = F["compl"].to_numpy()
    Fcode = F["parcel_code"].to_numpy()
    Ffa = F["floor_area_m2"].to_numpy().copy()
    Ffp = F["footprint_area_m2"].to_numpy().copy()
    Ffar = F["far_gen"].to_numpy().copy()
    Fcov = F["cov_gen"].to_numpy().copy()
    for pi in sf_idx:
        zi = int(Fzone[pi])
        z = specs[zi]
        area = Farea[pi]
        nb = int(np.clip(round(area / 9000), 2, 6))
        cov = rng.uniform(0.38, 0.5)
        fp_each = area * cov / nb
        compl_parcel = Fcompl[pi]
        floors = rng.integers(3, 7, nb)
        fa = np.round(fp_each * floors, 1)
        # completion: parcel completion; a few not yet accepted
        accepted = rng.random(nb) > 0.1
        cdates = [compl_parcel + np.timedelta64(int(rng.integers(0, 200)), "D") if a else np.datetime64("NaT", "D")
                  for a in accepted]
        cdates = [min(c, _d("2025-11-30")) if not pd.isna(c) else c for c in cdates]
        # rectangles inside the parcel: strips of the oriented envelope of the inner parcel
        inner = shapely.buffer(geoms[pi], -0.00012)
        if inner.is_empty:
            inner = geoms[pi]
        env = shapely.oriented_envelope(inner)
        ec = np.array(env.exterior.coords)[:4]
        e1, e2 = ec[1] - ec[0], ec[3] - ec[0]
        if np.hypot(*e1) < np.hypot(*e2):
            e1, e2 = e2, e1
            ec = np.array([ec[0], ec[3], ec[2], ec[1]])
        for b in range(nb):
            bcount[zi] = bcount.get(zi, 0) + 1
            code = f"{z['zone_code']}-B{bcount[zi]:04d}"
            a0, a1 = (b + 0.12) / nb, (b + 0.88) / nb
            rect = shapely.Polygon([ec[0] + e1 * a0 + e2 * 0.15, ec[0] + e1 * a1 + e2 * 0.15,
                                    ec[0] + e1 * a1 + e2 * 0.85, ec[0] + e1 * a0 + e2 * 0.85])
            rect = shapely.intersection(rect, geoms[pi])
            if rect.geom_type != "Polygon":
                rect = max(shapely.get_parts(rect), key=lambda g: g.area) if not rect.is_empty else None
            b_rows.append(dict(building_code=code, parcel_code=Fcode[pi], standard_factory=True,
                               floors=int(floors[b]), floor_area_m2=float(fa[b]), completion_date=cdates[b],
                               geometry=rect, zone_i=zi))
            if pd.isna(cdates[b]):
                continue
            # units; each unit has successive non-overlapping tenancies
            n_units = int(np.clip(round(fa[b] / rng.uniform(2500, 6000)), 2, 10))
            shares = rng.dirichlet(np.full(n_units, 3.0))
            unit_area = np.floor(fa[b] * shares * 0.98)
            for ua in unit_area:
                in_unit: set[str] = set()  # a tenant never follows itself in the same unit
                t = max(cdates[b], _d("2017-01-01")) + np.timedelta64(int(rng.integers(30, 400)), "D")
                occupied_end = rng.random() < z["occupancy"]
                while t <= END:
                    dur = int(rng.integers(365 * 3, 365 * 8))
                    end = t + np.timedelta64(dur, "D")
                    open_ended = False
                    if end > END:
                        if not occupied_end:
                            # tenancy ends before the as-of date (mid-year)
                            end = _rand_dates(rng, "2025-01-15", "2025-11-15", 1)[0]
                            if end <= t:
                                break
                        else:
                            open_ended = rng.random() < 0.4
                    tenant = None
                    if t_rows and rng.random() < 0.25:
                        tenant = t_rows[int(rng.integers(len(t_rows)))]
                        if tenant["zone_i"] != zi or tenant["uscc"] in in_unit:
                            tenant = None
                    if tenant is None:
                        g = int(rng.choice(small_groups))
                        codes = INDUSTRIES[g][2]
                        tenant = dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                                      industry_code=codes[rng.integers(len(codes))], above_scale=False,
                                      role="tenant", zone_i=zi, group=g)
                        t_rows.append(tenant)
                    in_unit.add(tenant["uscc"])
                    l_rows.append(dict(uscc=tenant["uscc"], building_code=code, parcel_code=None,
                                       floor_area_m2=float(ua), start_date=t,
                                       end_date=np.datetime64("NaT", "D") if open_ended else end))
                    if open_ended or end > END:
                        break
                    t = end + np.timedelta64(int(rng.integers(1, 240)), "D")
        Ffa[pi] = round(float(fa.sum()), 1)
        Ffp[pi] = round(float(fp_each * nb), 1)
        Ffar[pi] = fa.sum() / area
        Fcov[pi] = fp_each * nb / area
    F["floor_area_m2"], F["footprint_area_m2"], F["far_gen"], F["cov_gen"] = Ffa, Ffp, Ffar, Fcov
    # ordinary buildings on some completed parcels (main workshop)
    cand = np.flatnonzero((F["kind"].to_numpy() == "completed") & (rng.random(len(F)) < 0.05))
    for pi in cand:
        zi = int(Fzone[pi])
        bcount[zi] = bcount.get(zi, 0) + 1
        code = f"{specs[zi]['zone_code']}-B{bcount[zi]:04d}"
        fp = Ffp[pi] * rng.uniform(0.4, 0.7)
        fl = int(rng.integers(1, 4))
        g = shapely.buffer(shapely.envelope(shapely.buffer(geoms[pi], -0.00025)), 0)
        g = shapely.intersection(g, geoms[pi]) if not g.is_empty else None
        if g is not None and g.geom_type != "Polygon":
            g = max(shapely.get_parts(g), key=lambda x: x.area)
        b_rows.append(dict(building_code=code, parcel_code=Fcode[pi], standard_factory=False,
                           floors=fl, floor_area_m2=round(float(fp * fl), 1), completion_date=Fcompl[pi],
                           geometry=g, zone_i=zi))
    # leases of floor space in ordinary holders' parcels (normal performers only)
    okp = np.flatnonzero((F["kind"].to_numpy() == "completed") & (F["perf"].to_numpy() == "normal")
                         & (rng.random(len(F)) < 0.015))
    for pi in okp:
        zi = int(Fzone[pi])
        z = specs[zi]
        g = int(rng.choice(small_groups))
        codes = INDUSTRIES[g][2]
        tenant = dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                      industry_code=codes[rng.integers(len(codes))], above_scale=False, role="tenant",
                      zone_i=zi, group=g)
        t_rows.append(tenant)
        s = max(Fcompl[pi], _d("2018-01-01")) + np.timedelta64(int(rng.integers(30, 500)), "D")
        s = min(s, _d("2025-06-30"))
        open_ended = rng.random() < 0.5
        l_rows.append(dict(uscc=tenant["uscc"], building_code=None, parcel_code=Fcode[pi],
                           floor_area_m2=round(float(Ffa[pi] * rng.uniform(0.05, 0.3)), 1),
                           start_date=s, end_date=np.datetime64("NaT", "D") if open_ended else max(s + np.timedelta64(int(rng.integers(730, 2500)), "D"), _d("2026-03-31"))))
    B = pd.DataFrame(b_rows)
    L = pd.DataFrame(l_rows)
    E = pd.concat([E, pd.DataFrame(t_rows)], ignore_index=True)
    return B, L, E


# ------------------------------------------------------------------------------------------------
# enterprise years
# ------------------------------------------------------------------------------------------------

def _enterprise_years(rng, F, P, E, specs, ctx):
    E["production_start_date"] = np.datetime64("NaT", "D")
    E["rev2025"] = np.nan
    E["tax2025"] = np.nan
    E["stop_year"] = 9999
    E["end_year"] = 2025
    E["growth"] = 0.0
    E["land_mu"] = 0.0
    E["fai2025"] = np.nan
    idx = {u: i for i, u in enumerate(E["uscc"].tolist())}
    # holders: land, perf, dates from their project
    mu = F["area"].to_numpy() / M2_PER_MU
    land = pd.Series(mu).groupby(F["holder_uscc"].to_numpy()).sum()
    hold = P[P["kind"] == "completed"]
    zrev = np.array([z["base_rev"] for z in specs])
    zg = np.array([z["growth"] for z in specs])
    ztax = np.array([z["tax_rate"] for z in specs])
    ei = np.array([idx[u] for u in hold["holder"]])
    n = len(hold)
    compl = hold["compl"].to_numpy()
    ps = compl + rng.integers(0, 100, n).astype("timedelta64[D]")
    ps = np.minimum(ps, _d("2025-12-20"))
    zone = hold["zone"].to_numpy()
    land_mu = land.reindex(hold["holder"]).to_numpy()
    mult = np.clip(rng.lognormal(0.15, 0.2, n), 0.85, 1.7)
    new25 = ps >= _d("2025-01-01")
    mult[new25] = np.maximum(mult[new25], 1.3)
    taxr = ztax[zone] * rng.uniform(0.85, 1.2, n)
    perf = hold["perf"].to_numpy()
    low = perf == "low"
    mult[low] = rng.uniform(0.05, 0.22, low.sum())
    taxr[low] = rng.uniform(0.005, 0.03, low.sum())
    rev_mu = mult * zrev[zone]
    tax_mu = rev_mu * taxr
    # standard land
    std = np.isin(perf, ["std_ok", "std_short"])
    cr, ct = hold["commit_rev"].to_numpy(), hold["commit_tax"].to_numpy()
    rev_mu[std] = np.maximum(cr[std] * rng.uniform(1.15, 1.7, std.sum()), zrev[zone][std] * rng.uniform(0.95, 1.5, std.sum()))
    tax_mu[std] = np.maximum(ct[std] * rng.uniform(1.15, 1.7, std.sum()), rev_mu[std] * ztax[zone][std] * rng.uniform(0.9, 1.2, std.sum()))
    sd = hold["short_dim"].to_numpy()
    s_rev = (perf == "std_short") & (sd == "rev")
    rev_mu[s_rev] = np.minimum(cr[s_rev] * rng.uniform(0.5, 0.85, s_rev.sum()), zrev[zone][s_rev] * rng.uniform(0.08, 0.22, s_rev.sum()))
    tax_mu[s_rev] = rev_mu[s_rev] * rng.uniform(0.005, 0.03, s_rev.sum())
    s_tax = (perf == "std_short") & (sd == "tax")
    tax_mu[s_tax] = ct[s_tax] * rng.uniform(0.45, 0.85, s_tax.sum())
    rev = rev_mu * land_mu
    tax = tax_mu * land_mu
    # fixed-asset investment per mu
    inv_mu = rng.uniform(300, 750, n)
    ci = hold["commit_inv"].to_numpy()
    inv_mu[std] = np.maximum(inv_mu[std], ci[std] * rng.uniform(1.12, 1.6, std.sum()))
    s_inv = (perf == "std_short") & (sd == "inv")
    inv_mu[s_inv] = ci[s_inv] * rng.uniform(0.5, 0.85, s_inv.sum())
    E.loc[ei, "production_start_date"] = ps
    E.loc[ei, "rev2025"] = rev
    E.loc[ei, "tax2025"] = tax
    E.loc[ei, "land_mu"] = land_mu
    E.loc[ei, "fai2025"] = inv_mu * land_mu
    E.loc[ei, "growth"] = zg[zone] + rng.normal(0, 0.015, n)
    stopped = perf == "stopped"
    E.loc[ei[stopped], "stop_year"] = rng.integers(2021, 2026, stopped.sum())
    # platform companies: rent income (tenants and unlinked firms are done in _make_years)
    pl = np.flatnonzero(E["role"].to_numpy() == "platform")
    E.loc[pl, "production_start_date"] = _d("2012-01-01")
    E.loc[pl, "rev2025"] = rng.uniform(300, 1500, len(pl))
    E.loc[pl, "tax2025"] = E.loc[pl, "rev2025"] * 0.08
    E.loc[pl, "fai2025"] = rng.uniform(8000, 30000, len(pl))
    E.loc[pl, "growth"] = 0.03
    ctx["zone_tax"] = ztax


def _make_years(rng, E, L, ctx):
    """Tenant / unlinked figures, then the (uscc, year) table."""
    roles = E["role"].to_numpy()
    zi = E["zone_i"].to_numpy().astype(int)
    ztax = ctx["zone_tax"]
    # tenants: from first lease start to last lease end
    if len(L):
        g = L.groupby("uscc")
        first = g["start_date"].min()
        lastend = L["end_date"].fillna(np.datetime64("2099-12-31")).groupby(L["uscc"]).max().clip(upper=pd.Timestamp(END))
        fa = L.assign(cur=(L["end_date"].isna() | (L["end_date"] > END))).groupby("uscc")["floor_area_m2"].max()
    ten = np.flatnonzero(roles == "tenant")
    tu = E["uscc"].to_numpy()[ten]
    E.loc[ten, "production_start_date"] = first.reindex(tu).to_numpy()
    ey = pd.DatetimeIndex(lastend.reindex(tu).to_numpy()).year.to_numpy()
    E.loc[ten, "end_year"] = np.minimum(ey, 2025)
    area = fa.reindex(tu).to_numpy()
    E.loc[ten, "rev2025"] = area * rng.uniform(0.25, 0.8, len(ten))
    E.loc[ten, "tax2025"] = E.loc[ten, "rev2025"].to_numpy() * ztax[zi[ten]] * rng.uniform(0.8, 1.2, len(ten))
    E.loc[ten, "fai2025"] = area * rng.uniform(0.05, 0.2, len(ten))
    E.loc[ten, "growth"] = rng.normal(0.04, 0.03, len(ten))
    un = np.flatnonzero(roles == "unlinked")
    E.loc[un, "production_start_date"] = _rand_dates(rng, "2008-01-01", "2022-12-31", len(un))
    E.loc[un, "rev2025"] = rng.lognormal(math.log(3000), 0.8, len(un))
    E.loc[un, "tax2025"] = E.loc[un, "rev2025"].to_numpy() * rng.uniform(0.03, 0.07, len(un))
    E.loc[un, "fai2025"] = E.loc[un, "rev2025"].to_numpy() * rng.uniform(0.5, 1.5, len(un))
    E.loc[un, "growth"] = rng.normal(0.03, 0.03, len(un))
    # above scale (规上): ~35 % overall, only firms with revenue ≥ 2000 万元, more likely the larger ones
    rev = E["rev2025"].fillna(0).to_numpy()
    elig = (rev >= 2000) & np.isin(roles, ["holder", "tenant", "unlinked"])
    target = int(round(0.35 * len(E)))
    score = np.where(elig, np.log(np.maximum(rev, 1)) + rng.gumbel(0, 0.8, len(E)), -np.inf)
    order = np.argsort(-score, kind="stable")[: min(target, int(elig.sum()))]
    above = np.zeros(len(E), dtype=bool)
    above[order] = True
    E["above_scale"] = above

    # years
    has = ~E["production_start_date"].isna().to_numpy() & ~np.isnan(E["rev2025"].to_numpy())
    idx = np.flatnonzero(has)
    sy = pd.DatetimeIndex(E["production_start_date"].to_numpy()[idx]).year.to_numpy()
    sdoy = pd.DatetimeIndex(E["production_start_date"].to_numpy()[idx]).day_of_year.to_numpy()
    k = len(idx)
    Y = np.broadcast_to(YEARS, (k, len(YEARS)))
    first = np.maximum(sy, 2020)[:, None]
    endy = E["end_year"].to_numpy()[idx][:, None]
    present = (Y >= first) & (Y <= endy)
    gr = np.clip(E["growth"].to_numpy()[idx], -0.08, 0.15)[:, None]
    base = E["rev2025"].to_numpy()[idx][:, None]
    revs = base / (1 + gr) ** (2025 - Y)
    ramp = np.where((Y == sy[:, None]) & (Y < 2025), 0.6 + 0.4 * (1 - sdoy[:, None] / 366), 1.0)
    revs = revs * ramp
    # year-to-year noise, none in 2025 (the truth year)
    noise = np.where(Y == 2025, 1.0, rng.normal(1, 0.03, (k, len(YEARS))))
    revs = revs * noise
    taxr = (E["tax2025"].to_numpy()[idx] / np.maximum(E["rev2025"].to_numpy()[idx], 1e-9))[:, None]
    taxs = revs * taxr * np.where(Y == 2025, 1.0, rng.uniform(0.9, 1.1, (k, len(YEARS))))
    stop = E["stop_year"].to_numpy()[idx][:, None]
    stopped = Y >= stop
    revs = np.where(stopped, 0.0, revs)
    taxs = np.where(stopped, 0.0, taxs)
    grp = E["group"].fillna(-1).to_numpy().astype(int)[idx]
    lo = np.array([INDUSTRIES[g][4][0] if g >= 0 else 0.01 for g in grp])
    hi = np.array([INDUSTRIES[g][4][1] if g >= 0 else 0.03 for g in grp])
    intensity = rng.uniform(lo, hi)[:, None] * (0.97 ** (Y - 2020))  # energy per 万元 falls over time
    energy = revs * intensity
    va = revs * rng.uniform(0.2, 0.35, k)[:, None]
    emis = energy * rng.uniform(0.002, 0.01, k)[:, None]
    rdshare = np.where(rng.random(k) < 0.15, 0.0, rng.uniform(0.004, 0.04, k))[:, None]
    rd = revs * rdshare
    prod = rng.uniform(80, 220, k)[:, None]
    emp = np.where(stopped, np.maximum(1, (base / prod * 0.05)), np.maximum(5, revs / prod))
    elec_base = np.maximum(base * intensity * rng.uniform(2.0, 5.0, k)[:, None], 1.0)
    elec = np.where(stopped, elec_base * rng.uniform(0.001, 0.01, (k, len(YEARS))), energy * rng.uniform(2.0, 5.0, k)[:, None])
    fai25 = E["fai2025"].to_numpy()[idx][:, None]
    step = rng.uniform(0.0, 0.08, (k, len(YEARS)))
    step[:, -1] = 0.0
    frac = np.cumprod(np.concatenate([np.ones((k, 1)), 1 - step[:, :0:-1]], axis=1), axis=1)[:, ::-1]
    fai = fai25 * frac  # non-decreasing, equal to fai2025 in 2025
    above = E["above_scale"].to_numpy()[idx]
    rd_inst_year = np.where(above & (rng.random(k) < 0.45), rng.integers(2018, 2026, k), 9999)[:, None]
    rd_inst = Y >= rd_inst_year
    out = pd.DataFrame({
        "uscc": np.repeat(E["uscc"].to_numpy()[idx], len(YEARS)),
        "year": Y.ravel(),
        "revenue_wan": np.round(revs.ravel(), 2),
        "tax_wan": np.round(taxs.ravel(), 2),
        "value_added_wan": np.round(va.ravel() * (revs.ravel() > 0), 2),
        "energy_tce": np.round(energy.ravel(), 2),
        "emission_t": np.round(emis.ravel(), 3),
        "rd_expense_wan": np.round(rd.ravel(), 2),
        "employees": np.round(emp.ravel()).astype(int),
        "fixed_asset_investment_wan": np.round(fai.ravel(), 1),
        "electricity_mwh": np.round(elec.ravel(), 1),
        "has_rd_institution": rd_inst.ravel().astype(int),
    })
    out = out[present.ravel()].reset_index(drop=True)
    return out


# ------------------------------------------------------------------------------------------------
# truth
# ------------------------------------------------------------------------------------------------

def _parcel_output(F, Y25, L, B):
    """Per-parcel 2025 revenue/tax/investment with the floor-area-share conversion (DOMAIN §5)."""
    area = F["area"].to_numpy()
    fa = F["floor_area_m2"].fillna(0).to_numpy()
    pc = F["parcel_code"].to_numpy()
    pidx = pd.Series(np.arange(len(F)), index=pc)
    use = []
    if len(L):
        cur = L[(L["start_date"] <= END) & (L["end_date"].isna() | (L["end_date"] >= END))]
        bpar = B.set_index("building_code")["parcel_code"] if len(B) else pd.Series(dtype=object)
        par = cur["parcel_code"].where(cur["parcel_code"].notna(), cur["building_code"].map(bpar))
        pi = pidx.reindex(par.to_numpy()).to_numpy()
        share = cur["floor_area_m2"].to_numpy() / np.maximum(fa[pi], 1e-9)
        use.append(pd.DataFrame({"uscc": cur["uscc"].to_numpy(), "pi": pi, "land": area[pi] * share}))
        leased_share = pd.Series(share).groupby(pi).sum().reindex(np.arange(len(F))).fillna(0).to_numpy()
    else:
        leased_share = np.zeros(len(F))
    h = F["holder_uscc"].notna().to_numpy()
    use.append(pd.DataFrame({"uscc": F["holder_uscc"].to_numpy()[h], "pi": np.flatnonzero(h),
                             "land": area[h] * np.clip(1 - leased_share[h], 0, 1)}))
    U = pd.concat(use, ignore_index=True)
    U["tot"] = U.groupby("uscc")["land"].transform("sum")
    y = Y25.set_index("uscc")
    w = U["land"] / U["tot"].where(U["tot"] > 0)
    U["rev"] = y["revenue_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    U["tax"] = y["tax_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    U["inv"] = y["fixed_asset_investment_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    s = U.groupby("pi")[["rev", "tax", "inv"]].sum().reindex(np.arange(len(F))).fillna(0)
    s.attrs.clear()
    return s, U[["uscc", "pi"]]


def _truth(F, Y, L, B, specs):
    industrial = np.array([(s, c) in INDUSTRIAL_USE for s, c in zip(F["scheme"], F["code"])])
    area = F["area"].to_numpy()
    mu = area / M2_PER_MU
    compl = F["compl"].to_numpy()
    developed = industrial & ~pd.isna(compl) & (compl <= END)
    holder = F["holder_uscc"].to_numpy()
    amb = 0
    for _ in range(6):
        Y25 = Y[Y["year"] == 2025]
        s, users = _parcel_output(F, Y25, L, B)
        d = pd.DataFrame({"zone": F["zone_i"].to_numpy(), "rev": s["rev"].to_numpy(), "tax": s["tax"].to_numpy(),
                          "mu": mu})[developed]
        zs = d.groupby("zone")[["rev", "tax", "mu"]].sum()
        zrev = (zs["rev"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
        ztax = (zs["tax"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
        rr = s["rev"].to_numpy() / mu / zrev
        rt = s["tax"].to_numpy() / mu / ztax
        band = developed & (((rr > 0.42) & (rr < 0.6)) | ((rt > 0.27) & (rt < 0.40)))
        amb = int(band.sum())
        if amb == 0:
            break
        # nudge: scale the 2025 figures of the holders of ambiguous parcels out of the band
        with np.errstate(divide="ignore", invalid="ignore"):
            f_up = np.maximum(np.where((rr > 0.42) & (rr < 0.6), 0.62 / rr, 1.0),
                              np.where((rt > 0.27) & (rt < 0.4), 0.42 / rt, 1.0))
        # every user of an ambiguous parcel (holder and tenants in force) is scaled up
        ub = users[band[users["pi"].to_numpy()]]
        nb = pd.DataFrame({"u": ub["uscc"].to_numpy(), "f": f_up[ub["pi"].to_numpy()] * 1.03}).groupby("u")["f"].max()
        m = (Y["year"] == 2025).to_numpy() & Y["uscc"].isin(nb.index).to_numpy()
        fac = nb.reindex(Y.loc[m, "uscc"]).to_numpy()
        for c in ("revenue_wan", "tax_wan", "value_added_wan"):
            Y.loc[m, c] = np.round(Y.loc[m, c].to_numpy() * fac, 2)
    Y25 = Y[Y["year"] == 2025]
    s, _ = _parcel_output(F, Y25, L, B)
    d = pd.DataFrame({"zone": F["zone_i"].to_numpy(), "rev": s["rev"].to_numpy(), "tax": s["tax"].to_numpy(), "mu": mu})[developed]
    zs = d.groupby("zone")[["rev", "tax", "mu"]].sum()
    zrev = (zs["rev"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
    ztax = (zs["tax"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
    rpm = s["rev"].to_numpy() / mu
    tpm = s["tax"].to_numpy() / mu
    ipm = s["inv"].to_numpy() / mu
    rr, rt = rpm / zrev, tpm / ztax
    amb = int((developed & (((rr > 0.45) & (rr < 0.55)) | ((rt > 0.30) & (rt < 0.37)))).sum())
    F["rev_per_mu_2025"] = rpm

    rows = []
    codes = F["parcel_code"].to_numpy()

    def add(mask, label, detail):
        ii = np.flatnonzero(mask)
        det = [detail] * len(ii) if isinstance(detail, str) else list(np.asarray(detail, dtype=object)[ii])
        rows.extend(zip(codes[ii], [label] * len(ii), det))

    supplied = ~pd.isna(F["supply"].to_numpy())
    started = ~pd.isna(F["start"].to_numpy())
    agreed = F["agreed"].to_numpy()
    gov = F["gov_delay"].to_numpy()
    notstarted_old = industrial & supplied & ~started & ~pd.isna(agreed) & (agreed <= _d("2024-12-31"))
    ag = pd.Series(agreed).dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    add(notstarted_old & ~gov, "idle_not_started", np.array([f"agreed_start_date {a}, not started" for a in ag], dtype=object))
    add(notstarted_old & gov, "government_delay", np.array([f"agreed_start_date {a}, not started, government delay" for a in ag], dtype=object))
    hs = F["halted"].to_numpy()
    devd = F["developed_area_m2"].to_numpy()
    inv = F["invested_wan"].to_numpy()
    plan = F["planned_investment_wan"].to_numpy()
    under = (devd < area / 3) | (inv < 0.25 * plan)
    halted = industrial & started & pd.isna(compl) & ~pd.isna(hs) & (hs <= _d("2024-12-31")) & under
    add(halted, "halted_underbuilt", np.array([f"developed {a / b:.0%}, invested {c / e:.0%}" for a, b, c, e in zip(devd, area, inv, plan)], dtype=object))
    far = F["floor_area_m2"].to_numpy() / area
    cov = F["footprint_area_m2"].to_numpy() / area
    add(developed & (far < 1.0), "low_far", np.array([f"FAR {x:.2f}" for x in far], dtype=object))
    add(developed & (cov < 0.30), "low_coverage", np.array([f"coverage {x:.2f}" for x in cov], dtype=object))
    lowo = developed & ((rr < 0.5) | (rt < 1 / 3))
    add(lowo, "low_output", np.array([f"revenue/mu {a:.0f} = {x:.0%} of zone, tax/mu {b:.1f} = {y:.0%} of zone"
                                      for a, x, b, y in zip(rpm, rr, tpm, rt)], dtype=object))
    y25 = Y25.set_index("uscc")
    hrev = y25["revenue_wan"].reindex(holder).to_numpy()
    htax = y25["tax_wan"].reindex(holder).to_numpy()
    add(developed & (hrev == 0) & (htax == 0), "production_stopped", "holder revenue and tax 0 in 2025")
    obs = F["obsolete"].fillna(False).to_numpy().astype(bool) | F["env_fail"].fillna(False).to_numpy().astype(bool)
    add(obs, "obsolete", np.array(["obsolete_industry" if o else "env_safety_fail" for o in F["obsolete"].fillna(False)], dtype=object))
    cm = F[["commit_inv", "commit_far", "commit_tax", "commit_rev"]].to_numpy()
    sl = F["standard_land"].to_numpy().astype(bool) & ~np.isnan(cm).any(axis=1) & developed
    accepted = sl & (compl <= _d("2025-12-31"))  # completion acceptance: investment, FAR
    review = sl & (compl <= _d("2023-12-31"))  # full-production review 2 years after completion: revenue, tax
    miss_r, miss_t = review & (rpm < cm[:, 3]), review & (tpm < cm[:, 2])
    miss_f, miss_i = accepted & (far < cm[:, 1]), accepted & (ipm < cm[:, 0])
    # the acceptance also checks 建筑系数 ≥ 30 % and office land ≤ 7 % (docs/domain.md §10)
    office = F["office_area_m2"].to_numpy() / area
    any_sl = F["standard_land"].to_numpy().astype(bool) & developed & (compl <= _d("2025-12-31"))
    miss_c, miss_o = any_sl & (cov < 0.30), any_sl & (office > 0.07)
    det = np.array([", ".join(n for n, b in zip(("revenue", "tax", "FAR", "investment", "coverage", "office"), bs) if b)
                    for bs in zip(miss_r, miss_t, miss_f, miss_i, miss_c, miss_o)], dtype=object)
    add(miss_r | miss_t | miss_f | miss_i | miss_c | miss_o, "standard_land_shortfall", np.array(["below commitment: " + x for x in det], dtype=object))
    T = pd.DataFrame(rows, columns=["parcel_code", "truth", "detail"])
    order = {k: i for i, k in enumerate(["idle_not_started", "halted_underbuilt", "low_far", "low_coverage", "low_output",
                                         "production_stopped", "obsolete", "standard_land_shortfall", "government_delay"])}
    T = T.assign(_o=T["truth"].map(order)).sort_values(["parcel_code", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return T, amb, Y


# ------------------------------------------------------------------------------------------------
# pilot-area years
# ------------------------------------------------------------------------------------------------

def _pilot_area_years(rng, areas, supply_rate=None):
    rows = []
    supply_rate = supply_rate or {}
    for a in areas:
        gdp25 = rng.uniform(2.5e7, 4.8e7) if a["kind"] == "city" else rng.uniform(2.0e6, 7.0e6)
        g = rng.uniform(0.04, 0.08)
        share = rng.uniform(0.30, 0.48)
        dig, nc = rng.uniform(0.40, 0.60), rng.uniform(0.40, 0.60)
        circ = rng.uniform(0.4, 0.9)
        circ_goal = rng.random() < 0.5
        rate = float(supply_rate.get(a["code"], 0.0))
        unsup = rate * rng.uniform(0.5, 4.2) / 0.6 if rate > 0 else rng.uniform(500, 8000)
        for y in YEARS:
            t = y - 2020
            rows.append(dict(
                pilot_area_code=a["code"], year=int(y),
                gdp_wan=round(gdp25 / (1 + g) ** (2025 - y), 0),
                industrial_value_added_wan=round(gdp25 / (1 + g) ** (2025 - y) * (share + rng.normal(0, 0.005)), 0),
                digital_equipment_rate=round(min(0.95, dig + 0.025 * t + rng.normal(0, 0.005)), 4),
                nc_equipment_rate=round(min(0.95, nc + 0.02 * t + rng.normal(0, 0.005)), 4),
                energy_per_va_change_pct=round(-rng.uniform(0.02, 0.07), 4),
                circular_transformation_rate=round(1.0 if (circ_goal and y >= 2024) else min(0.98, circ + 0.05 * t), 4),
                approved_unsupplied_mu=round(unsup * (1 - 0.08 * t) * rng.uniform(0.95, 1.05), 1),
                idle_disposal_done=bool(rng.random() < 0.7),
                unsupplied_disposal_done=bool(rng.random() < 0.65),
            ))
    df = pd.DataFrame(rows)
    prov = []
    for y in YEARS:
        d = df[df["year"] == y]
        prov.append(dict(
            pilot_area_code="PROVINCE", year=int(y),
            gdp_wan=round(3.45e8 / 1.05 ** (2025 - y), 0),
            industrial_value_added_wan=round(3.45e8 / 1.05 ** (2025 - y) * 0.36, 0),
            digital_equipment_rate=round(d["digital_equipment_rate"].mean() - 0.03, 4),
            nc_equipment_rate=round(d["nc_equipment_rate"].mean() - 0.03, 4),
            energy_per_va_change_pct=round(-0.035, 4),
            circular_transformation_rate=round(d["circular_transformation_rate"].mean(), 4),
            approved_unsupplied_mu=round(d["approved_unsupplied_mu"].sum() * 3, 1),
            idle_disposal_done=None, unsupplied_disposal_done=None,
        ))
    return pd.concat([df, pd.DataFrame(prov)], ignore_index=True)


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------

_FIXED_TS = (2025, 1, 1, 0, 0, 0)


def _pin_xlsx(path: Path) -> None:
    """Make an .xlsx byte-identical across runs: fixed zip times and document timestamps."""
    src = path.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2025-01-01T00:00:00Z\g<3>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_TS)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, data)
    path.write_bytes(buf.getvalue())


def _date_str(s) -> pd.Series:
    s = pd.Series(pd.to_datetime(pd.Series(s)), copy=False)
    return s.dt.strftime("%Y-%m-%d")


def _write_all(out, specs, geo, F, E, Y, B, L, PAY, T, prog):
    paths = {}
    steps = 8
    # zones
    prog("write", 0, steps)
    zcols = ["zone_code", "zone_name", "level", "pilot_area_code", "pilot_area_name", "county_code"]
    Z = gpd.GeoDataFrame(pd.DataFrame([{k: s[k] for k in zcols} for s in specs]),
                         geometry=list(geo["zones"]), crs="EPSG:4490")
    p = out / "zones.geojson"
    p.unlink(missing_ok=True)
    pyogrio.write_dataframe(Z, p, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 7})
    paths["zones"] = str(p)
    # parcels shapefile
    prog("write", 1, steps)
    D = pd.DataFrame({
        "parcel_code": F["parcel_code"], "zone_code": F["zone_code"], "land_use_code": F["code"],
        "land_use_scheme": F["scheme"], "registered_area_m2": F["registered_area_m2"],
        "holder_uscc": F["holder_uscc"],
        "supply_date": _date_str(F["supply"]), "agreed_start_date": _date_str(F["agreed"]),
        "actual_start_date": _date_str(F["start"]), "completion_date": _date_str(F["compl"]),
        "land_price_wan": F["land_price_wan"], "floor_area_m2": F["floor_area_m2"],
        "footprint_area_m2": F["footprint_area_m2"], "standard_land": F["standard_land"].astype(int),
        "commit_investment_wan_per_mu": F["commit_inv"], "commit_far": F["commit_far"],
        "commit_tax_wan_per_mu": F["commit_tax"], "commit_revenue_wan_per_mu": F["commit_rev"],
        "obsolete_industry": F["obsolete"].astype(int), "halted_since": _date_str(F["halted"]),
        "government_delay": F["gov_delay"].astype(int), "developed_area_m2": F["developed_area_m2"],
        "planned_investment_wan": F["planned_investment_wan"], "invested_wan": F["invested_wan"],
        "office_area_m2": F["office_area_m2"], "env_safety_fail": F["env_fail"].astype(int),
    })
    for c in D.columns:
        if D[c].dtype == object or str(D[c].dtype).startswith("str"):
            D[c] = D[c].astype(object).where(D[c].notna(), None)
    D = D.rename(columns=SHP_FIELDS)
    # extra cadastral fields bureaus export (not in the contract; the importer ignores them):
    # QLRMC 权利人名称 (holder name), ZL 坐落 (location) — Chinese text, so the GBK encoding matters
    names = E.set_index("uscc")["name"]
    D["QLRMC"] = names.reindex(F["holder_uscc"]).astype(object).where(F["holder_uscc"].notna().to_numpy(), None).to_numpy()
    zname = np.array([z["zone_name"] for z in specs], dtype=object)[F["zone_i"].to_numpy()]
    D["ZL"] = [f"{a}{b % 97 + 1}号地块" for a, b in zip(zname, F.groupby("zone_i").cumcount().to_numpy())]
    to_gk39 = _transformer(4490, 4527)
    g39 = shapely.transform(geo["parcels"], lambda xy: np.column_stack(to_gk39.transform(xy[:, 0], xy[:, 1])))
    shp = gpd.GeoDataFrame(D, geometry=g39, crs="EPSG:4527")
    p = out / "parcels.shp"
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        p.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(shp, p, driver="ESRI Shapefile", encoding="GBK")
    p.with_suffix(".cpg").unlink(missing_ok=True)
    p.with_suffix(".prj").unlink(missing_ok=True)
    paths["parcels"] = str(p)
    # enterprises.xlsx (Chinese headers)
    prog("write", 2, steps)
    ecols = [c.name for c in ENTERPRISES.columns]
    ED = E[ecols].copy()
    ED["above_scale"] = ED["above_scale"].astype(bool)
    ED["production_start_date"] = pd.to_datetime(ED["production_start_date"]).dt.date
    ED = ED.rename(columns={c.name: c.zh for c in ENTERPRISES.columns})
    p = out / "enterprises.xlsx"
    ED.to_excel(p, index=False, sheet_name="enterprises", engine="xlsxwriter")
    _pin_xlsx(p)
    paths["enterprises"] = str(p)
    # enterprise_years.csv GBK
    prog("write", 3, steps)
    p = out / "enterprise_years.csv"
    Y = Y.sort_values(["uscc", "year"], kind="stable")[[c.name for c in ENTERPRISE_YEARS.columns]]
    # statistics exports carry the enterprise name next to the code (extra column, ignored by the importer)
    Y.insert(1, "name", E.set_index("uscc")["name"].reindex(Y["uscc"]).to_numpy())
    p.write_bytes(Y.to_csv(index=False, lineterminator="\r\n").encode("gbk"))
    paths["enterprise_years"] = str(p)
    # buildings.gpkg
    prog("write", 4, steps)
    bcols = [c.name for c in BUILDINGS.columns]
    BD = B[bcols].copy()
    BD["completion_date"] = _date_str(BD["completion_date"]).astype(object)
    BD["completion_date"] = BD["completion_date"].where(BD["completion_date"].notna(), None)
    BG = gpd.GeoDataFrame(BD, geometry=list(B["geometry"]), crs="EPSG:4490")
    p = out / "buildings.gpkg"
    p.unlink(missing_ok=True)
    pyogrio.write_dataframe(BG, p, layer="buildings", driver="GPKG", dataset_options={"VERSION": "1.3"})
    paths["buildings"] = str(p)
    # leases.csv UTF-8
    prog("write", 5, steps)
    LD = L[[c.name for c in LEASES.columns]].copy()
    LD["start_date"] = _date_str(LD["start_date"])
    LD["end_date"] = _date_str(LD["end_date"])
    p = out / "leases.csv"
    p.write_bytes(LD.to_csv(index=False).encode("utf-8"))
    paths["leases"] = str(p)
    # pilot_area_years.xlsx
    prog("write", 6, steps)
    p = out / "pilot_area_years.xlsx"
    PAY[[c.name for c in PILOT_AREA_YEARS.columns]].to_excel(p, index=False, sheet_name="pilot_area_years", engine="xlsxwriter")
    _pin_xlsx(p)
    paths["pilot_area_years"] = str(p)
    # truth
    prog("write", 7, steps)
    p = out / "_truth.csv"
    p.write_bytes(T.to_csv(index=False).encode("utf-8"))
    paths["truth"] = str(p)
    prog("write", steps, steps)
    return paths


__all__ = ["write_sample", "make_uscc", "SHP_FIELDS"]
