"""A realistic generated intensive-use survey (开发区土地集约利用评价) for the sample zones.

``write_survey(out_dir, zones, parcels, seed=1)`` writes, beside a generated data package, each
zone's survey as bureaus hold it (docs/data-package.md ``land_survey``, ``zone_years``) — the unit
and coordinate mess of real survey files included:

- one survey per zone for ``years`` (default 2025; the first zone also has an earlier 2023 survey),
  the whole zone cut into 图斑: the zone's industrial parcels (A2 when built, B21 otherwise, with
  their floor area and footprint), streets (A31) and blocks of the other classes (A1 住宅, A4 商服,
  A51/A52, A6, B11, B21, B22, C1, C2) in proportions that make most zones 工业主导型; the second zone
  is town-like (most of its built parcels are housing and shops in the survey: the sample's parcel
  layer holds industrial land only) and 产城融合型 on its 主区; the east of most zones is a
  发展方向区 (more B and C land);
- national field codes (KFQDM, TBBH, DLDM, DLMC, DLMJ, GYDM, GYSJ, KFQPJFW, JZMJ, JZJDMJ, TDSYZ, QS,
  是否闲置) and the bureau's ``survey_yea`` column (cut to 10 characters by the Shapefile); 供应时间 in
  every national form (``201803``, ``2018-03``, ``2018-3``, ``2018``, 历史形成, blank, 0);
- the unit mess: DLMJ in hectares (one zone in m²); JZMJ / JZJDMJ in hectares in some zones and in m²
  in others; zone_years money in 万元 (one zone in 元);
- coordinates in Xian 1980 3-degree Gauss-Krüger: with the zone prefix (8-digit eastings) or without
  (6-digit, with a .prj); one zone as a GBK Shapefile without .cpg or .prj on prefixed eastings (the
  importer assumes CGCS2000 for the datum and says so: the Xian 1980 numbers then sit a few metres
  off); one zone whose .prj declares the neighbouring zone (the prefix wins, reported); one zone
  without KFQPJFW (the 2012 schema: all 主区); one zone without the year column (the year is in the
  file name); one zone as an ESRI File Geodatabase (GDAL's OpenFileGDB driver writes it from GDAL
  3.6; with an older GDAL that zone is written as a Shapefile and the summary says so).

Files: ``land_survey/<zone>_<year>.shp`` (a folder of Shapefiles: every one is read), one
``land_survey_<zone>.gdb``, ``zone_years.csv`` (GBK, national field codes). The coordinates are made
from the CGCS2000 geometry with latitude and longitude kept (what the importer does without seven
parameters), so the survey lines up with the zones.

Deterministic for a seed. The summary returned says, per zone, how its files were written (format,
CRS, units) and the survey's areas by class, for tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.geometry import box

from landuse.core.contract import alias_map

from parcels import crs as gkcrs

__all__ = ["write_survey", "SURVEY_YEAR"]

SURVEY_YEAR = 2025
#: slivers below this are left out (a real survey has no 图斑 of a few m²)
MIN_PATCH_M2 = 50.0

#: leftover land (outside the industrial parcels and streets): class → weight, per profile
PROFILES = {
    "industrial": {"A1": 0.14, "A4": 0.10, "A51": 0.12, "A52": 0.08, "A6": 0.05, "A32": 0.04, "B11": 0.07,
                   "B21": 0.12, "B22": 0.12, "C1": 0.09, "C2": 0.07},
    "city": {"A1": 0.55, "A4": 0.15, "A51": 0.08, "A52": 0.10, "A6": 0.04, "B21": 0.04, "B22": 0.02, "C1": 0.02},
    "direction": {"A1": 0.04, "A4": 0.03, "A51": 0.04, "A6": 0.03, "B11": 0.12, "B21": 0.26, "B22": 0.26,
                  "C1": 0.12, "C2": 0.10},
}
DLMC = {"A1": "住宅用地", "A2": "工矿仓储用地", "A31": "街巷用地", "A32": "其他交通设施用地", "A4": "商服用地",
        "A51": "公园与绿地", "A52": "其他公共管理与公共服务用地", "A6": "其他城镇建设用地", "B11": "已建成农村建设用地",
        "B21": "已达到供地条件的其他土地", "B22": "未达到供地条件的其他土地", "C1": "河湖及其蓄滞洪区",
        "C2": "其他不可建设土地"}
SUPPLY = {"A1": "D21", "A2": "D21", "A4": "D21", "A31": "D1", "A32": "D1", "A51": "D1", "A52": "D1", "A6": "D22",
          "B11": "E1", "B21": "E21", "B22": "E22", "C1": "F", "C2": "F"}
FAR = {"A1": (1.6, 2.8), "A4": (1.2, 3.0), "A52": (0.6, 1.4), "A6": (0.3, 0.9), "A51": (0.0, 0.05),
       "A31": (0.0, 0.0), "A32": (0.0, 0.2)}
DENSITY = {"A1": (0.2, 0.3), "A4": (0.3, 0.5), "A52": (0.2, 0.35), "A6": (0.2, 0.4), "A51": (0.0, 0.02),
           "A31": (0.0, 0.0), "A32": (0.0, 0.1)}
DATE_FORMS = ("%Y%m", "%Y-%m", "ym", "%Y", "历史形成", "", "0")


def _contract_parcels(parcels: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Parcels with contract column names (a frame read from the sample's Shapefile has cut names)."""
    if parcels is None or len(parcels) == 0:
        return None
    amap = alias_map("parcels")
    ren = {}
    for c in parcels.columns:
        if c == "geometry":
            continue
        name = amap.get(str(c).lower())
        if name is None and len(str(c)) == 10:
            cands = [n for n in set(amap.values()) if n.lower().startswith(str(c).lower())]
            name = cands[0] if len(cands) == 1 else None
        if name:
            ren[c] = name
    p = parcels.rename(columns=ren)
    if p.crs is None:
        raise ValueError("parcels need a CRS")
    return p.to_crs(4490)


def _xian_crs(lon: float, *, prefixed: bool) -> pyproj.CRS:
    zone = int(round(lon / 3.0))
    epsg = gkcrs.gk_epsg("xian1980", zone=zone, width=3, prefixed=prefixed)
    if epsg is None:
        raise ValueError(f"no Xian 1980 3-degree zone at longitude {lon}")
    return pyproj.CRS.from_epsg(epsg)


def _to_xian(geoms, crs: pyproj.CRS) -> np.ndarray:
    """CGCS2000 lon/lat → Xian 1980 GK keeping latitude and longitude (PROJ's ballpark, as the importer)."""
    t = pyproj.Transformer.from_crs(4490, crs, always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _date_text(rng: np.random.Generator, form: str, year: int, month: int) -> str:
    if form == "ym":
        return f"{year}-{month}"
    if form in ("历史形成", "", "0"):
        return form
    return pd.Timestamp(year=year, month=month, day=1).strftime(form)


def _polygonal(g):
    """The polygon parts of a geometry (intersections leave slivers of lines and points), or None."""
    if g is None or g.is_empty:
        return None
    parts = [q for q in getattr(g, "geoms", [g]) if q.geom_type in ("Polygon", "MultiPolygon") and q.area > 1.0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _cells(remainder, size: float):
    """Cut a metric polygon into grid cells (polygonal pieces only)."""
    if remainder.is_empty:
        return []
    x0, y0, x1, y1 = remainder.bounds
    out = []
    xs = np.arange(x0, x1, size)
    ys = np.arange(y0, y1, size)
    grid = [box(x, y, x + size, y + size) for x in xs for y in ys]
    pieces = shapely.intersection(np.asarray(grid, dtype=object), remainder)
    for g in pieces:
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "Polygon" and part.area > 1.0:
                out.append(part)
    return out


def _zone_patches(rng: np.random.Generator, zone_m, parcels_m: pd.DataFrame, *, profile: str, direction: bool,
                  year: int) -> pd.DataFrame:
    """Patches of one zone in metres (local CGCS2000 GK): class, range, area (m²), floor, footprint,
    supply type, supply date, user, idle."""
    minx, _miny, maxx, _maxy = zone_m.bounds
    split = minx + 0.78 * (maxx - minx)
    east = box(split, zone_m.bounds[1] - 10, maxx + 10, zone_m.bounds[3] + 10)
    rows = []
    ind_union = shapely.union_all(parcels_m.geometry.to_numpy()) if len(parcels_m) else shapely.Polygon()
    for _, p in parcels_m.iterrows():
        g = _polygonal(p.geometry.intersection(zone_m))
        if g is None:
            continue
        completed = pd.notna(p.get("completion_date")) and pd.Timestamp(p.get("completion_date")).year <= year
        supplied = pd.notna(p.get("supply_date")) and pd.Timestamp(p.get("supply_date")).year <= year
        cls = "A2" if completed else "B21"
        if profile == "city" and completed and rng.random() < 0.75:
            # the sample's parcel layer holds industrial land only: in the town-like zone most built
            # blocks are housing and shops in the survey
            cls = "A1" if rng.random() < 0.7 else "A4"
        floor = p.get("floor_area_m2")
        foot = p.get("footprint_area_m2")
        if cls in ("A1", "A4"):
            floor, foot = g.area * rng.uniform(*FAR[cls]), g.area * rng.uniform(*DENSITY[cls])
        if completed and (pd.isna(floor) or floor is None):
            floor = g.area * rng.uniform(0.7, 1.6)
        if completed and (pd.isna(foot) or foot is None):
            foot = g.area * rng.uniform(0.3, 0.55)
        sd = pd.Timestamp(p.get("supply_date")) if supplied else None
        rows.append({"geometry": g, "cls": cls, "supply": "D21" if supplied else "E21",
                     "sd": sd, "floor": float(floor) if completed else None, "foot": float(foot) if completed else None,
                     "user": None, "idle": bool(supplied and not completed and sd is not None and sd.year <= year - 3)})
    streets = _polygonal(ind_union.buffer(12.0).difference(ind_union).intersection(zone_m)) \
        if not ind_union.is_empty else None
    if streets is not None:
        rows.append({"geometry": streets, "cls": "A31", "supply": "D1", "sd": None, "floor": None, "foot": None,
                     "user": None, "idle": None})
    remainder = zone_m.difference(ind_union.buffer(12.0))
    for cell in _cells(remainder, 220.0):
        in_dir = direction and cell.centroid.x >= split
        weights = PROFILES["direction" if in_dir else profile]
        cls = rng.choice(list(weights), p=np.array(list(weights.values())) / sum(weights.values()))
        lo, hi = FAR.get(cls, (0.0, 0.0))
        dlo, dhi = DENSITY.get(cls, (0.0, 0.0))
        a = cell.area
        built = cls.startswith("A")
        supplied = SUPPLY[cls].startswith("D") or (cls == "B21" and rng.random() < 0.3)
        rows.append({"geometry": cell, "cls": cls, "supply": "D21" if cls == "B21" and supplied else SUPPLY[cls],
                     "sd": pd.Timestamp(year=int(rng.integers(1998, year)), month=int(rng.integers(1, 13)), day=1)
                     if supplied else None,
                     "floor": a * rng.uniform(lo, hi) if built and hi > 0 else None,
                     "foot": a * rng.uniform(dlo, dhi) if built and dhi > 0 else None,
                     "user": None, "idle": bool(cls == "B21" and supplied)})
    df = gpd.GeoDataFrame(rows, geometry="geometry")
    df["geometry"] = [_polygonal(shapely.make_valid(g)) for g in df.geometry]
    df = df[df.geometry.notna() & (df.geometry.area >= MIN_PATCH_M2)].reset_index(drop=True)
    # the split: patches crossing it are cut in two
    if direction:
        parts = []
        for _, r in df.iterrows():
            for rng_name, piece in (("主区", _polygonal(r.geometry.difference(east))),
                                    ("发展方向区", _polygonal(r.geometry.intersection(east)))):
                if piece is None or piece.area < MIN_PATCH_M2:
                    continue
                share = piece.area / r.geometry.area
                d = dict(r)
                d.update(geometry=piece, rng=rng_name,
                         floor=None if r["floor"] is None or pd.isna(r["floor"]) else r["floor"] * share,
                         foot=None if r["foot"] is None or pd.isna(r["foot"]) else r["foot"] * share)
                parts.append(d)
        df = gpd.GeoDataFrame(parts, geometry="geometry")
    else:
        df["rng"] = "主区"
    return df.reset_index(drop=True)


def write_survey(out_dir: str | Path, zones: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None = None, *,
                 seed: int = 1, years: tuple[int, ...] = (SURVEY_YEAR,)) -> dict:
    """Write the surveys of ``zones`` (zone_code, zone_name, geometry; any CRS) into ``out_dir``
    (the data-package folder), using the zones' industrial ``parcels`` (contract or Shapefile-cut
    column names; any CRS). Returns a summary (per zone: files, CRS, units, areas by class)."""
    out = Path(out_dir)
    rng = np.random.default_rng(seed + 1980)
    z = zones.to_crs(4490).sort_values("zone_code").reset_index(drop=True)
    p = _contract_parcels(parcels)
    folder = out / "land_survey"
    folder.mkdir(parents=True, exist_ok=True)
    can_gdb = "OpenFileGDB" in pyogrio.list_drivers(write=True)
    summary: dict = {"zones": {}, "gdb": can_gdb, "files": []}
    zy_rows = []
    n = len(z)
    for i, zr in z.iterrows():
        code, name = zr["zone_code"], zr.get("zone_name")
        c = zr.geometry.centroid
        local = gkcrs.local_gk_crs(c.x)
        to_m = pyproj.Transformer.from_crs(4490, local, always_xy=True)
        to_ll = pyproj.Transformer.from_crs(local, 4490, always_xy=True)
        zone_m = shapely.transform(zr.geometry, lambda xy, t=to_m: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        pz = p[p["zone_code"] == code] if p is not None and "zone_code" in p.columns else gpd.GeoDataFrame(
            {"geometry": []}, geometry="geometry", crs=4490)
        pz_m = pz.to_crs(local) if len(pz) else pz
        profile = "city" if i == 1 else "industrial"
        no_range_field = n > 3 and i == 3
        direction = not no_range_field and i % 5 != 4
        # how this zone's files are written (the mess of real survey files)
        fmt = "gdb" if (n > 5 and i == 5 and can_gdb) else "shp"
        prefixed = i % 2 == 0
        no_prj = i == 0
        wrong_zone = n > 2 and i == 2
        dlmj_unit = "m2" if (n > 4 and i == 4) else "ha"
        jz_unit = "m2" if i % 3 == 1 else "ha"
        money_unit = "yuan" if (n > 6 and i == 6) else "wan"
        year_in_name_only = n > 7 and i == 7
        zone_years = sorted(set(years) | ({2023} if i == 0 else set()))
        info = {"format": fmt, "prefixed": prefixed, "no_prj": no_prj, "wrong_zone": wrong_zone, "dlmj_unit": dlmj_unit,
                "jz_unit": jz_unit, "money_unit": money_unit, "ranges": ["主区", "发展方向区"] if direction else ["主区"],
                "no_range_field": no_range_field, "profile": profile, "years": zone_years, "areas_ha": {}}
        frames = []
        for year in zone_years:
            patches = _zone_patches(rng, zone_m, pz_m, profile=profile, direction=direction, year=year)
            ll = shapely.transform(patches.geometry.to_numpy(),
                                   lambda xy, t=to_ll: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
            xian = _xian_crs(c.x, prefixed=prefixed)
            geoms = np.array([_polygonal(shapely.make_valid(g)) or g for g in _to_xian(ll, xian)], dtype=object)
            area_m2 = shapely.area(geoms)  # planar in the survey's own GK zone: what DLMJ records
            ha = np.round(area_m2 / 10_000.0, 4)
            forms = rng.choice(DATE_FORMS, size=len(patches), p=[0.45, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05])
            gysj = [("" if sd is None or pd.isna(sd) else _date_text(rng, str(f), sd.year, sd.month))
                    for sd, f in zip(patches["sd"], forms, strict=True)]
            jz_factor = 1.0 if jz_unit == "m2" else 1e-4
            rows = pd.DataFrame({
                "KFQDM": code, "KFQMC": name, "TBBH": [f"{k + 1:05d}" for k in range(len(patches))],
                "DLDM": patches["cls"].to_numpy(), "DLMC": patches["cls"].map(DLMC).to_numpy(),
                "DLMJ": ha * (10_000.0 if dlmj_unit == "m2" else 1.0),
                "GYDM": patches["supply"].to_numpy(), "GYSJ": gysj,
                "JZMJ": np.round(pd.to_numeric(patches["floor"], errors="coerce").to_numpy() * jz_factor, 4),
                "JZJDMJ": np.round(pd.to_numeric(patches["foot"], errors="coerce").to_numpy() * jz_factor, 4),
                "TDSYZ": None, "QS": np.where(patches["cls"].isin(["B11"]).to_numpy(), "集体", "国有"),
                "是否闲置": np.where(patches["idle"].fillna(False).astype(bool).to_numpy(), "是", "否"),
            })
            if not no_range_field:
                rows.insert(4, "KFQPJFW", patches["rng"].to_numpy())
            if not year_in_name_only:
                rows.insert(1, "survey_year", year)
            gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=xian)
            frames.append((year, gdf))
            by = pd.Series(area_m2 / 10_000.0).groupby([patches["rng"].to_numpy(), patches["cls"].to_numpy()]).sum()
            info["areas_ha"][year] = {f"{r}/{k}": round(float(v), 4) for (r, k), v in by.items()}
            # zone statistics (zone_years) per range, in 万元 (one zone in 元)
            for rname in info["ranges"]:
                m = patches["rng"].eq(rname).to_numpy()
                a2 = float(area_m2[m & patches["cls"].eq("A2").to_numpy()].sum() / 10_000.0)
                a = float(area_m2[m & patches["cls"].str.startswith("A").to_numpy()].sum() / 10_000.0)
                f = 1e4 if money_unit == "yuan" else 1.0
                zy_rows.append({"KFQDM": code, "year": year, "KFQPJFW": rname,
                                "GDZCTZZE": round(a2 * rng.uniform(5000, 12000) * f, 2),
                                "GYZSR": round(a2 * rng.uniform(3000, 9000) * f, 2),
                                "GYSSZE": round(a2 * rng.uniform(300, 900) * f, 2),
                                "ESCYSSZE": round(a * rng.uniform(250, 700) * f, 2),
                                "CZRK": int(a * rng.uniform(20, 120)),
                                "KFQPJMJ": round(float(area_m2[m].sum() / 10_000.0), 4)})
        gdb_path = out / f"land_survey_{code}.gdb"
        if fmt == "gdb" and gdb_path.exists():  # written again: start afresh, never append twice
            shutil.rmtree(gdb_path)
        for year, gdf in frames:
            if fmt == "gdb":
                path = gdb_path
                pyogrio.write_dataframe(gdf, path, layer=f"land_survey_{code}_{year}", driver="OpenFileGDB",
                                        append=path.exists(), geometry_type="MultiPolygon", promote_to_multi=True)
                summary["files"].append(str(path.relative_to(out)))
                continue
            stem = f"{code}_{year}"
            shp = folder / f"{stem}.shp"
            g = gdf.rename(columns={"survey_year": "survey_yea"})
            pyogrio.write_dataframe(g, shp, encoding="GBK")
            shp.with_suffix(".cpg").unlink(missing_ok=True)  # bureaus' files: GBK without .cpg
            prj = shp.with_suffix(".prj")
            if no_prj:
                prj.unlink(missing_ok=True)
            elif wrong_zone:
                gk = gkcrs.describe_gk(gdf.crs)
                other = ((gk.zone if gk is not None else None) or 39) - 1
                wrong = _xian_crs(3.0 * other, prefixed=prefixed)
                prj.write_text(wrong.to_wkt("WKT1_ESRI"), encoding="ascii")
                info["declared_zone"] = other
            summary["files"].append(str(shp.relative_to(out)))
        info["crs"] = frames[0][1].crs.to_epsg()
        summary["zones"][code] = info
    zy = pd.DataFrame(zy_rows)
    zy.to_csv(out / "zone_years.csv", index=False, encoding="gbk")
    summary["files"].append("zone_years.csv")
    if not can_gdb:
        summary["note"] = "GDAL here cannot write OpenFileGDB (needs GDAL ≥ 3.6): no zone written as a File Geodatabase"
    return summary

