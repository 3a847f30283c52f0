"""Writing the package in the formats bureaus deliver: GeoJSON zones, a GBK shapefile without .cpg/.prj
with 8-digit GK zone-39 eastings, Excel with Chinese headers (byte-stable), GBK and UTF-8 CSV, a
GeoPackage."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from landuse.core.contract import BUILDINGS, ENTERPRISES, ENTERPRISE_YEARS, LEASES, PARCELS, PILOT_AREA_YEARS
from parcels.sample.geometry import transformer


#: contract column → field name in parcels.shp (the 10-character cut GDAL would produce)
SHP_FIELDS = {c.name: c.name[:10] for c in PARCELS.columns if c.name not in PARCELS.derived}


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


def write_all(out: Path, specs: list[dict], geo: dict, F: pd.DataFrame, E: pd.DataFrame, Y: pd.DataFrame,
              B: pd.DataFrame, L: pd.DataFrame, PAY: pd.DataFrame, T: pd.DataFrame,
              prog: Callable[[str, int, int], None], extra: dict[str, pd.DataFrame] | None = None):
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
        "in_zone_from": _date_str(F["in_zone_from"]) if "in_zone_from" in F.columns else None,
        "retired_date": _date_str(F["retired_date"]) if "retired_date" in F.columns else None,
        "predecessor_codes": F["predecessor_codes"] if "predecessor_codes" in F.columns else None,
    })
    # every column of the contract, in its order (the ones the generator does not fill stay empty)
    D = D.reindex(columns=list(SHP_FIELDS))
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
    to_gk39 = transformer(4490, 4527)
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
    # the layers that record change over time (CSV, UTF-8)
    for name, frame in (extra or {}).items():
        if frame is None or not len(frame):
            continue
        # the zones' official statistics beside the survey's zone_years.csv (a layer may come in several files)
        p = out / (f"{name}.csv" if name != "zone_years" else "zone_years_statistics.csv")
        p.write_bytes(frame.to_csv(index=False).encode("utf-8"))
        paths[name] = str(p)
    # truth
    prog("write", 7, steps)
    p = out / "_truth.csv"
    p.write_bytes(T.to_csv(index=False).encode("utf-8"))
    paths["truth"] = str(p)
    prog("write", steps, steps)
    return paths
