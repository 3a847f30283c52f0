"""A realistic, deterministic generated data package (Jiangxi-like) for demos, tests and benchmarks.

``write_sample(out_dir, scale="small"|"province", seed=1)`` writes one data-package folder with the
input layers of :data:`landuse.core.contract.INPUT_LAYERS`, in the formats bureaus really deliver:

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
land_rights.csv        CSV, UTF-8: the rights register of the parcels that changed hands or were taken back
pilot_area_zones.csv   CSV, UTF-8: which zones each pilot area manages directly / in its territory
zone_years_statistics.csv  CSV, UTF-8: the zones' official statistics (营业收入, 已开发面积), a few % off
land_survey/, *.gdb    the zones' intensive-use surveys and zone_years.csv (parcels/sample_survey.py)
enterprise_periods.csv CSV, UTF-8: cumulative quarterly / half-year figures (2020H1, 2024 and 2025)
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

Changes over time (``parcels/sample/changes.py``), also in ``_truth.csv``: ``transfer``,
``taken_back``, ``extension``, ``split``, ``not_reported`` (no 2025 figures), ``not_reported_baseline``
(no 2020 figures), ``county_pilot``; applied to parcels no planted flag names.

Area basis for the truth: the ellipsoidal area of the geometry (registered areas are within
±0.5 % of it except a handful off by 3–8 %; the generated values keep ≥ 10 % margins so either basis
gives the same answer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from landuse.core.contract import province_code
from parcels.sample.buildings import buildings_and_leases
from parcels.sample.changes import apply_changes
from parcels.sample.config import SCALES, Progress
from parcels.sample.enterprise_years import holder_figures, make_years
from parcels.sample.enterprises import make_enterprises, make_uscc
from parcels.sample.parcels import parcel_attributes
from parcels.sample.reference import PROVINCES, REFERENCE_PROVINCE
from parcels.sample.pilot_areas import pilot_area_years, pilot_area_years_extras, recent_supply_rate, select_pilot_areas
from parcels.sample.truth import truth_table
from parcels.sample.writer import SHP_FIELDS, write_all
from parcels.sample.zones import build_geometry, zone_specs


def write_sample(out_dir: str | Path, *, scale: Literal["small", "province"] = "small", seed: int = 1,
                 progress: Progress | None = None, province: str | None = None) -> dict:
    """Write a generated data package to ``out_dir`` (created if needed); return a summary dict.

    ``province``: a 2-digit province code of :data:`parcels.sample.reference.PROVINCES` (default
    Jiangxi, 36): every admin code (pilot areas, counties, hence zone, parcel and USCC codes) carries
    it, and firm names its short name; the content drawn for a seed is the same whatever the province."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    names = dict(PROVINCES)
    if province is not None and province not in names:
        raise ValueError(f"province must be one of {', '.join(names)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prog = progress or (lambda stage, i, n: None)
    rng = np.random.default_rng(seed)
    cfg = dict(SCALES[scale], province=province)

    areas = select_pilot_areas(cfg)
    zones_spec = zone_specs(rng, cfg, areas)
    prog("zones", 0, len(zones_spec))
    geo = build_geometry(rng, zones_spec, prog)
    parcels, projects = parcel_attributes(rng, geo, zones_spec)
    prog("attributes", 1, 1)
    ctx: dict = {"geoms": geo["parcels"], "province_name": names[province or REFERENCE_PROVINCE]}
    ents = make_enterprises(rng, parcels, projects, zones_spec, ctx)
    buildings, leases, ents = buildings_and_leases(rng, parcels, projects, zones_spec, ents, ctx)
    holder_figures(rng, parcels, projects, ents, zones_spec, ctx)
    years = make_years(rng, ents, leases, ctx)
    truth, amb, years = truth_table(parcels, years, leases, buildings, zones_spec)
    # what makes real zones differ from a snapshot: transfers, take-backs, extensions, a split,
    # late and missing figures, a county pilot, official figures, quarterly data (its own random stream)
    ch = apply_changes(seed, parcels, ents, years, leases, buildings, truth, zones_spec, geo, ctx)
    parcels, ents, years, truth, geo = ch["F"], ch["E"], ch["Y"], ch["T"], ch["geo"]
    # 批而未供 sized against each pilot area's recent supply (mu/year over 2023–2025), so that
    # some areas can absorb theirs within 3 years and some cannot (the quota's hard rule)
    supply_rate = recent_supply_rate(parcels, zones_spec)
    # a province of a national sample carries its own whole-province row (PROVINCE-36 …): the
    # provinces' rows live side by side in one national store (contract.province_code)
    pay = pilot_area_years_extras(pilot_area_years(rng, areas, supply_rate, province_row=province_code(province)))
    prog("tables", 1, 1)
    extra = {k: ch[k] for k in ("land_rights", "pilot_area_zones", "zone_years", "enterprise_periods")}
    paths = write_all(out, zones_spec, geo, parcels, ents, years, buildings, leases, pay, truth, prog, extra=extra)
    # the zones' intensive-use surveys as bureaus hold them (parcels/sample_survey.py)
    survey = _write_survey(out, seed)
    # a disposal ledger begun in earlier years (parcels/sample/ledger.py; its own random stream)
    from parcels.sample.ledger import write_ledger

    paths["disposals"] = str(write_ledger(out, seed, parcels))
    return {
        "out_dir": str(out),
        "scale": scale,
        "seed": seed,
        "province": province or REFERENCE_PROVINCE,
        "counts": {
            "zones": len(zones_spec), "pilot_areas": len(areas), "parcels": len(parcels),
            "enterprises": len(ents), "enterprise_years": len(years), "buildings": len(buildings),
            "leases": len(leases), "pilot_area_years": len(pay), "truth_rows": len(truth),
            **{k: len(v) for k, v in extra.items()},
        },
        "truth": {k: int(v) for k, v in truth["truth"].value_counts().sort_index().items()},
        "ambiguous_low_output": amb,
        "county_pilot": ch["county_pilot"],
        "survey": survey,
        "paths": paths,
        "shp_fields": SHP_FIELDS,
    }


def _write_survey(out: Path, seed: int) -> dict:
    import geopandas as gpd
    import pyogrio

    from parcels.sample_survey import write_survey

    import warnings

    parcels = pyogrio.read_dataframe(out / "parcels.shp", encoding="GB18030").set_crs(4527)
    with warnings.catch_warnings():  # GDAL's notes on File Geodatabase names and types: not for the user
        warnings.simplefilter("ignore", RuntimeWarning)
        return write_survey(out, gpd.read_file(out / "zones.geojson"), parcels, seed=seed)


__all__ = ["write_sample", "make_uscc", "SHP_FIELDS"]
