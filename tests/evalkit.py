"""Tiny evaluation inputs with the store's dtypes, for tests of ``evaluation/`` (anyone may reuse).

    from tests.evalkit import make_inputs, frame
    inputs = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": 2000 / 3 * 10,
                  "holder_uscc": "E1", "completion_date": "2020-06-01"}],
        enterprises=[{"uscc": "E1"}],
        enterprise_years=[{"uscc": "E1", "year": 2020, "revenue_wan": 100.0, "tax_wan": 5.0}],
    )

Rows are dicts; every column of the layer (landuse.core.contract) is present in the result, missing
values filled with the layer's missing value; sensible defaults fill the required columns that a
test does not care about (zone names, land-use code 0601 / gbt21010, enterprise names, ...).
Dtypes follow docs/CONVENTIONS-dev.md: str → object, float → float64, int → Int64,
bool → boolean, date → datetime64[ns].
"""

from __future__ import annotations

import pandas as pd

from landuse.core.contract import BOOL, DATE, FLOAT, INT, layer
from landuse.core.units import M2_PER_MU

INPUT_NAMES = ("zones", "parcels", "enterprises", "enterprise_years", "buildings", "leases", "pilot_area_years",
               "land_rights", "pilot_area_zones", "enterprise_periods")

_DEFAULTS = {
    "zones": {"zone_name": lambda r: f"开发区{r['zone_code']}", "level": "provincial"},
    "parcels": {"land_use_code": "0601", "land_use_scheme": "gbt21010"},
    "enterprises": {"name": lambda r: f"企业{r['uscc']}", "industry_code": "C39", "above_scale": True},
    "buildings": {"standard_factory": True},
}


def frame(name: str, rows: list[dict] | None = None) -> pd.DataFrame:
    """One input layer as a DataFrame with every column of the layer and the store's dtypes."""
    lay = layer(name)
    rows = [dict(r) for r in (rows or [])]
    for r in rows:
        for k, v in _DEFAULTS.get(name, {}).items():
            if k not in r:
                r[k] = v(r) if callable(v) else v
        unknown = set(r) - set(lay.names) - {"geometry"}
        if unknown:
            raise KeyError(f"{name}: unknown columns {sorted(unknown)}")
    cols = {}
    for c in lay.columns:
        vals = [r.get(c.name) for r in rows]
        if c.kind == FLOAT:
            cols[c.name] = pd.Series([float("nan") if v is None else float(v) for v in vals], dtype="float64")
        elif c.kind == INT:
            cols[c.name] = pd.Series(vals, dtype="Int64")
        elif c.kind == BOOL:
            cols[c.name] = pd.Series(vals, dtype="boolean")
        elif c.kind == DATE:
            cols[c.name] = pd.Series(pd.to_datetime(pd.Series(vals, dtype=object)), dtype="datetime64[ns]")
        else:
            cols[c.name] = pd.Series(vals, dtype=object)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(rows)))


def make_inputs(**layers: list[dict] | None) -> dict[str, pd.DataFrame]:
    """The inputs dict of ``evaluation.prepare``: every layer present (empty when not given)."""
    unknown = set(layers) - set(INPUT_NAMES)
    if unknown:
        raise KeyError(f"unknown layers {sorted(unknown)}")
    return {n: frame(n, layers.get(n)) for n in INPUT_NAMES}


def mu(x: float) -> float:
    """x mu in m² (for registered_area_m2 / geodesic_area_m2 in tests)."""
    return x * M2_PER_MU


def run_year(inputs, *, year: int, policy, as_of=None):
    """``evaluation.evaluate_year`` on freshly prepared ``inputs`` (the whole yearly pipeline)."""
    from evaluation import evaluate_year, prepare

    return evaluate_year(prepare(inputs, policy=policy), year=year, as_of=as_of)
