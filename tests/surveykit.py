"""Hand-made intensive-use surveys for tests (anyone may reuse).

    from tests.surveykit import survey_frame, patch
    ls = survey_frame([patch("Z1", "A2", 10, supply="D21", floor_ha=12, foot_ha=5), ...])

Areas are given in hectares (the national unit) and stored in m² like the importer does.
"""

from __future__ import annotations

import pandas as pd
from shapely.geometry import box

from landuse.core.contract import layer


def patch(zone: str, cls: str, ha: float, *, rng: str = "主区", supply: str | None = None, floor_ha: float | None = None,
          foot_ha: float | None = None, idle: bool | None = None, year: int = 2023, code: str | None = None) -> dict:
    return {"zone_code": zone, "survey_year": year, "patch_code": code, "land_class": cls, "area_m2": ha * 10_000.0,
            "supply_type": supply, "range": rng, "floor_area_m2": None if floor_ha is None else floor_ha * 10_000.0,
            "footprint_area_m2": None if foot_ha is None else foot_ha * 10_000.0, "idle": idle}


def survey_frame(rows: list[dict]) -> pd.DataFrame:
    """The land_survey layer (contract columns and dtypes) of the given patches; patch codes numbered."""
    rows = [dict(r) for r in rows]
    for i, r in enumerate(rows):
        r["patch_code"] = r.get("patch_code") or f"{i + 1:04d}"
    lay = layer("land_survey")
    df = pd.DataFrame({c: [r.get(c) for r in rows] for c in lay.names})
    from landuse.core.dtypes import coerce

    return coerce(df, lay)


def zone_years_frame(rows: list[dict]) -> pd.DataFrame:
    from landuse.core.dtypes import coerce

    lay = layer("zone_years")
    return coerce(pd.DataFrame({c: [r.get(c) for r in rows] for c in lay.names}), lay)


def zones_frame(codes_names: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"zone_code": [c for c, _ in codes_names], "zone_name": [n for _, n in codes_names],
                         "level": "provincial"})


def squares(rows: list[dict], *, x0: float = 39_500_000.0, y0: float = 3_170_000.0):
    """A polygon per patch whose planar area (in a metric GK system) is its area: 100 m wide strips."""
    geoms = []
    x = x0
    for r in rows:
        a = r["area_m2"]
        w = 100.0
        geoms.append(box(x, y0, x + w, y0 + a / w))
        x += w + 10
    return geoms
