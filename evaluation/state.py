"""The state of the land at a date: who holds a parcel, its granted use, whether it exists and is
in its zone, and which pilot area manages each zone (docs/domain.md §11, docs/data-package.md
"Inputs that record change over time").

Periods: ``*_from`` inclusive, ``*_to`` exclusive (the first day no longer in force), empty ``*_to``
= still in force. A year is judged on the state at its end (or the as-of date); who produced the
output on a parcel is weighted by the days each right or lease was in force (see
:mod:`evaluation.allocation`).

- **Rights** (``land_rights``): where a parcel has rows they decide its holder and granted use for
  every date (before its first right it has no holder); otherwise the parcels layer's
  ``holder_uscc`` and use hold at every date. A right with no holder (收回) means the land is in the
  reserve: nobody uses it.
- **Existence**: a parcel exists from its predecessors' ``retired_date`` (the earliest, when it
  was made from several) — or always, when it has none — until its own ``retired_date``.
- **Zone membership**: from ``in_zone_from`` (empty: before the baseline) until ``in_zone_to``.
- **Pilot areas** (``pilot_area_zones``): when the table has rows it alone decides which zones a
  pilot area manages *directly* (``role = direct``) on a date; otherwise ``zones.pilot_area_code``
  means direct. Territorial rows are informative only: per-pilot figures cover direct zones.

Pure: frames in, frames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.codes import sorted_factorize

__all__ = ["MIN_DATE", "MAX_DATE", "rights_periods", "state_at", "exists_from", "direct_pilot"]

MIN_DATE = pd.Timestamp("1900-01-01")
MAX_DATE = pd.Timestamp("2262-04-10")


def _dates(df: pd.DataFrame, col: str) -> pd.Series:
    if col in df.columns:
        return pd.to_datetime(df[col]).astype("datetime64[ns]")
    return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")


def _strs(df: pd.DataFrame, col: str) -> pd.Series:
    if col in df.columns:
        s = df[col].astype(object)
        return s.where(s.notna(), None)
    return pd.Series(None, index=df.index, dtype=object)


def rights_periods(parcels: pd.DataFrame, land_rights: pd.DataFrame | None) -> pd.DataFrame:
    """Every parcel's holding periods: parcel_code, holder_uscc (None: held by no enterprise),
    start, end (exclusive; MIN_DATE/MAX_DATE for open ends), land_use_code, land_use_scheme (the
    granted use for the period: the right's, else the parcels layer's)."""
    p_code = parcels["parcel_code"].astype(object).to_numpy()
    p_use = pd.Series(_strs(parcels, "land_use_code").to_numpy(), index=p_code)
    p_scheme = pd.Series(_strs(parcels, "land_use_scheme").to_numpy(), index=p_code)
    p_use = p_use[~p_use.index.duplicated()]
    p_scheme = p_scheme[~p_scheme.index.duplicated()]
    if land_rights is not None and len(land_rights):
        r = land_rights[land_rights["parcel_code"].isin(p_code) & land_rights["valid_from"].notna()]
    else:
        r = pd.DataFrame(columns=["parcel_code"])
    with_rights = set(r["parcel_code"]) if len(r) else set()
    plain = parcels[~parcels["parcel_code"].isin(with_rights)]
    base = pd.DataFrame({
        "parcel_code": plain["parcel_code"].astype(object).to_numpy(),
        "holder_uscc": _strs(plain, "holder_uscc").to_numpy(),
        "start": MIN_DATE,
        "end": MAX_DATE,
        "land_use_code": _strs(plain, "land_use_code").to_numpy(),
        "land_use_scheme": _strs(plain, "land_use_scheme").to_numpy(),
        "event": None,
    })
    if len(r):
        code = r["parcel_code"].astype(object)
        use = _strs(r, "land_use_code")
        scheme = _strs(r, "land_use_scheme")
        granted = pd.DataFrame({
            "parcel_code": code.to_numpy(),
            "holder_uscc": _strs(r, "holder_uscc").to_numpy(),
            "start": _dates(r, "valid_from").to_numpy(),
            "end": _dates(r, "valid_to").fillna(MAX_DATE).to_numpy(),
            "land_use_code": use.where(use.notna(), code.map(p_use)).to_numpy(),
            "land_use_scheme": scheme.where(use.notna(), code.map(p_scheme)).to_numpy(),
            "event": _strs(r, "event").to_numpy(),
        })
        base = pd.concat([base, granted], ignore_index=True)
    # by parcel, then start (stable): on the text codes' sorted integer codes (missing codes last)
    codes, uniq = sorted_factorize(base["parcel_code"].to_numpy(dtype=object))
    codes = np.where(codes < 0, len(uniq), codes)
    start = base["start"].to_numpy(dtype="datetime64[ns]").astype("int64")
    return base.iloc[np.lexsort((start, codes))].reset_index(drop=True)


def state_at(rights: pd.DataFrame, parcel_index: pd.Index, at: pd.Timestamp) -> pd.DataFrame:
    """holder_uscc, land_use_code, land_use_scheme and the event of the right in force on ``at``,
    indexed like ``parcel_index`` (no right in force: no holder, and the parcels layer's use);
    ``recovered``: the right in force is a take-back (收回: in the land reserve)."""
    at = pd.Timestamp(at).normalize()
    live = rights[(rights["start"] <= at) & (rights["end"] > at)].drop_duplicates("parcel_code", keep="last")
    live = live.set_index("parcel_code")
    out = live[["holder_uscc", "land_use_code", "land_use_scheme", "event"]].reindex(parcel_index)
    # parcels with no right in force keep the use of their first period (the parcels layer's)
    first = rights.drop_duplicates("parcel_code").set_index("parcel_code")
    for c in ("land_use_code", "land_use_scheme"):
        out[c] = out[c].where(out[c].notna(), first[c].reindex(parcel_index))
    out = out.astype(object).where(out.notna(), None)
    out["recovered"] = (out["event"] == "收回").to_numpy(dtype=bool)
    return out


def exists_from(parcels: pd.DataFrame) -> pd.Series:
    """The first day each parcel exists: its predecessors' earliest retired_date, else MIN_DATE."""
    idx = pd.Index(parcels["parcel_code"].astype(object).to_numpy(), name="parcel_code")
    out = pd.Series(MIN_DATE, index=idx, dtype="datetime64[ns]")
    if "predecessor_codes" not in parcels.columns:
        return out
    retired = pd.Series(_dates(parcels, "retired_date").to_numpy(), index=idx)
    retired = retired[~retired.index.duplicated()]
    pred = pd.Series(parcels["predecessor_codes"].to_numpy(), index=idx).dropna()
    for code, v in pred.items():
        codes = [c.strip() for c in str(v).split(";") if c.strip()]
        ds = retired.reindex(codes).dropna()
        if len(ds):
            out[code] = ds.min()
    return out


def parcel_presence(parcels: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """``exists`` and ``in_zone`` on ``at`` per parcel_code, and the interval the parcel exists
    (``exists_start``, ``exists_end`` exclusive)."""
    at = pd.Timestamp(at).normalize()
    idx = pd.Index(parcels["parcel_code"].astype(object).to_numpy(), name="parcel_code")
    start = exists_from(parcels)
    end = pd.Series(_dates(parcels, "retired_date").fillna(MAX_DATE).to_numpy(), index=idx)
    zin = pd.Series(_dates(parcels, "in_zone_from").fillna(MIN_DATE).to_numpy(), index=idx)
    zout = pd.Series(_dates(parcels, "in_zone_to").fillna(MAX_DATE).to_numpy(), index=idx)
    exists = (start.to_numpy() <= at) & (end.to_numpy() > at)
    in_zone = exists & (zin.to_numpy() <= at) & (zout.to_numpy() > at)
    return pd.DataFrame({"exists": exists, "in_zone": in_zone, "exists_start": start.to_numpy(),
                         "exists_end": end.to_numpy()}, index=idx)


def direct_pilot(zones: pd.DataFrame | None, pilot_area_zones: pd.DataFrame | None, at: pd.Timestamp) -> pd.Series:
    """zone_code → the pilot area that manages it directly on ``at`` (None: none)."""
    at = pd.Timestamp(at).normalize()
    z_codes = pd.Index([] if zones is None else zones["zone_code"].astype(object).unique(), name="zone_code")
    if pilot_area_zones is not None and len(pilot_area_zones):
        m = pilot_area_zones[pilot_area_zones["role"] == "direct"]
        f = _dates(m, "valid_from").fillna(MIN_DATE)
        t = _dates(m, "valid_to").fillna(MAX_DATE)
        live = m[((f <= at) & (t > at)).to_numpy()].drop_duplicates("zone_code", keep="last")
        s = pd.Series(live["pilot_area_code"].astype(object).to_numpy(), index=live["zone_code"].astype(object).to_numpy())
        idx = z_codes.union(pd.Index(s.index))
        return s.reindex(idx).astype(object).where(lambda v: v.notna(), None).rename_axis("zone_code")
    if zones is None or not len(zones) or "pilot_area_code" not in zones.columns:
        return pd.Series(None, index=z_codes, dtype=object)
    z = zones.drop_duplicates("zone_code")
    s = pd.Series(z["pilot_area_code"].astype(object).to_numpy(), index=z["zone_code"].astype(object).to_numpy())
    return s.where(s.notna(), None).rename_axis("zone_code")


def pilot_names(zones: pd.DataFrame | None, pilot_area_zones: pd.DataFrame | None) -> pd.Series:
    """pilot_area_code → name (pilot_area_zones first, then zones)."""
    parts = []
    for df in (pilot_area_zones, zones):
        if df is not None and len(df) and {"pilot_area_code", "pilot_area_name"} <= set(df.columns):
            d = df.dropna(subset=["pilot_area_code", "pilot_area_name"])
            parts.append(pd.Series(d["pilot_area_name"].to_numpy(), index=d["pilot_area_code"].to_numpy()))
    if not parts:
        return pd.Series(dtype=object)
    s = pd.concat(parts)
    return s[~s.index.duplicated()]


def days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whole days from a to b (datetime64 arrays), never negative."""
    d = (np.asarray(b, dtype="datetime64[ns]") - np.asarray(a, dtype="datetime64[ns]")) / np.timedelta64(1, "D")
    return np.clip(d, 0, None)
