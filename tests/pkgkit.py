"""A tiny valid data package written by hand, for import tests (both backends)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Polygon, box
from stdnum.cn import uscc as _uscc


def uscc(county: str, serial: int) -> str:
    """A valid USCC: 9 (enterprise) 1 (company) + county code + 9-char org code + check."""
    body = "91" + county + f"MA{serial:07d}"[:9]
    body = body[:17]
    return body + _uscc.calc_check_digit(body)


E1 = uscc("360700", 1)
E2 = uscc("360700", 2)
E3 = uscc("360700", 3)
LON, LAT = 114.93, 25.83  # 赣州


def _sq(dx, dy, size=0.002):
    return box(LON + dx, LAT + dy, LON + dx + size, LAT + dy + size)


def zones_gdf():
    return gpd.GeoDataFrame(
        {"zone_code": ["Z1", "Z2"], "zone_name": ["赣州经开区", "南康经开区"], "level": ["national", "provincial"],
         "pilot_area_code": ["360700", "360700"], "pilot_area_name": ["赣州市", "赣州市"], "county_code": ["360702", "360703"]},
        geometry=[box(LON - 0.01, LAT - 0.01, LON + 0.02, LAT + 0.02), box(LON + 0.03, LAT - 0.01, LON + 0.06, LAT + 0.02)],
        crs=4490)


def parcels_gdf():
    return gpd.GeoDataFrame(
        {"parcel_code": ["P1", "P2", "P3"], "zone_code": ["Z1", "Z1", "Z2"],
         "land_use_code": ["0601", "0601", "0604"], "land_use_scheme": ["gbt21010"] * 3,
         "registered_area_m2": [None, None, None], "holder_uscc": [E1, E2, None],
         "supply_date": ["2018-03-01", "2019-05-01", "2021-01-10"],
         "agreed_start_date": ["2018-09-01", "2019-11-01", "2021-07-01"],
         "actual_start_date": ["2018-10-01", "2019-12-01", None],
         "completion_date": ["2019-12-01", "2020-12-20", None],
         "floor_area_m2": [40000.0, 30000.0, None], "footprint_area_m2": [12000.0, 10000.0, None],
         "standard_land": [False, True, False]},
        geometry=[_sq(0, 0), _sq(0.003, 0), Polygon([(LON + 0.04, LAT), (LON + 0.042, LAT), (LON + 0.041, LAT + 0.002)])],
        crs=4490)


def enterprises_df():
    return pd.DataFrame({"uscc": [E1, E2, E3], "name": ["赣州甲电子有限公司", "赣州乙稀土有限公司", "南康丙家具有限公司"],
                         "industry_code": ["C39", "C32", "C21"], "above_scale": [True, True, False]})


def enterprise_years_df():
    rows = []
    for y in range(2020, 2026):
        rows.append({"uscc": E1, "year": y, "revenue_wan": 20000 + 1000 * (y - 2020), "tax_wan": 800.0})
        rows.append({"uscc": E2, "year": y, "revenue_wan": 15000.0, "tax_wan": 600.0})
        rows.append({"uscc": E3, "year": y, "revenue_wan": 900.0, "tax_wan": 30.0})
    return pd.DataFrame(rows)


def buildings_df():
    return pd.DataFrame({"building_code": ["B1"], "parcel_code": ["P2"], "standard_factory": [True],
                         "floors": [4], "floor_area_m2": [8000.0], "completion_date": ["2020-12-20"]})


def leases_df():
    return pd.DataFrame({"uscc": [E3], "building_code": ["B1"], "parcel_code": [None], "floor_area_m2": [3000.0],
                         "start_date": ["2021-03-01"], "end_date": [None]})


def write_package(root: Path, *, parcels_format: str = "gpkg") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    zones_gdf().to_file(root / "zones.geojson", driver="GeoJSON")
    p = parcels_gdf()
    if parcels_format == "gpkg":
        p.to_file(root / "parcels.gpkg", layer="parcels", driver="GPKG")
    else:
        p.to_file(root / "parcels.shp", encoding="UTF-8")
    enterprises_df().to_csv(root / "enterprises.csv", index=False)
    enterprise_years_df().to_csv(root / "enterprise_years.csv", index=False)
    buildings_df().to_csv(root / "buildings.csv", index=False)
    leases_df().to_csv(root / "leases.csv", index=False)
    return root


SAMPLE_YEARS = [2020, 2021, 2022, 2023, 2024, 2025]


def revenue_correction(root: Path, revenue: float, *, year: int = 2024) -> Path:
    """A package of one row correcting E1's (holder of P1 in zone Z1) revenue of ``year`` (its tax as
    in :func:`enterprise_years_df`); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"uscc": [E1], "year": [year], "revenue_wan": [revenue], "tax_wan": [800.0]}).to_csv(
        root / "enterprise_years.csv", index=False)
    return root


def evaluated_sample(root: Path, *, name: str = "work.gpkg", years=SAMPLE_YEARS):
    """The generated `small` package (seed 1) with its intensive-use survey in ``root/pkg``, imported
    into ``root/name`` and evaluated for ``years``; returns the open GeoPackage store."""
    from landuse.services.evaluate import evaluate
    from landuse.services.imports import run_import
    from landuse.core.policy import default_policy
    from parcels.sample import write_sample
    from parcels.store import open_store

    write_sample(root / "pkg", scale="small", seed=1)
    store = open_store(str(root / name), init=True)
    run_import(root / "pkg", store, policy=default_policy())
    evaluate(store, years=list(years), policy=default_policy())
    return store
