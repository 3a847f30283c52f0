"""Occupancy (入驻率) of standard factories (标准厂房) at an as-of date (docs/domain.md §6; seed 三(二)).

Per building (standard factories only, ``standard_factory`` True):

- ``accepted`` = completion (竣工验收) on or before ``as_of``. Others stay listed with
  ``excluded_reason`` '未竣工验收 / not accepted' and are out of every denominator.
- ``leased_m2`` = Σ floor area of the leases on the building in force at ``as_of`` (see
  :func:`evaluation.allocation.leases_in_force`: start and end dates inclusive), capped at the
  building's floor area; when the leases exceed it, the cap is reported in ``excluded_reason``
  (the building stays counted). Leases that name only a parcel cannot be placed in a building and
  do not count towards occupancy.
- ``vacant_m2`` = floor area − leased; ``occupancy_rate`` = leased / floor area; ``tenants`` =
  distinct enterprises with a lease in force.

Per area (zone, pilot area, province), over accepted standard factories:

- ``occupancy_rate`` (primary) = Σ leased_m2 / Σ floor_area_m2 (by floor area);
- ``occupancy_rate_count`` = share of accepted buildings counted as occupied: the data carries
  buildings, not let units or floors, so a building counts when at least ``min_let_share`` (half,
  ``occupancy.count_min_let_share``, docs/domain.md §6) of its floor area is let — one tenant in a
  corner of a building does not make it occupied;
- ``occupancy_met`` = occupancy_rate ≥ ``policy.occupancy.target`` (NA where there is no
  accepted standard factory).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from evaluation.allocation import leases_in_force
from evaluation.indicators import ratio

NOT_ACCEPTED = "未竣工验收 / not accepted"


def building_occupancy(
    buildings: pd.DataFrame | None, leases: pd.DataFrame | None, *, as_of: date | pd.Timestamp
) -> pd.DataFrame:
    """One row per standard-factory building, indexed by building_code (see the module docstring)."""
    as_of = pd.Timestamp(as_of).normalize()
    cols = ["parcel_code", "accepted", "excluded_reason", "floor_area_m2", "leased_m2", "vacant_m2",
            "occupancy_rate", "tenants"]
    if buildings is None or len(buildings) == 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="building_code", dtype=object))
    sf = buildings["standard_factory"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    b = buildings.loc[sf]
    idx = pd.Index(b["building_code"].astype(object).to_numpy(), name="building_code")
    floor = pd.Series(pd.to_numeric(b["floor_area_m2"], errors="coerce").to_numpy(dtype="float64"), index=idx)
    comp = (
        pd.Series(pd.to_datetime(b["completion_date"]).to_numpy(), index=idx)
        if "completion_date" in b.columns
        else pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    )
    accepted = (comp <= as_of).to_numpy()

    live = leases_in_force(leases, as_of) if leases is not None else None
    if live is not None and len(live) and "building_code" in live.columns:
        live = live.loc[live["building_code"].notna().to_numpy()]
        bc = live["building_code"].astype(object).to_numpy()
        leased_raw = pd.to_numeric(live["floor_area_m2"], errors="coerce").groupby(bc).sum().reindex(idx).fillna(0.0)
        tenants = live["uscc"].astype(object).groupby(bc).nunique().reindex(idx).fillna(0).astype("int64")
    else:
        leased_raw = pd.Series(0.0, index=idx)
        tenants = pd.Series(0, index=idx, dtype="int64")

    over = (leased_raw > floor.fillna(0.0)) & (leased_raw > 0)
    leased = leased_raw.where(~over, floor.fillna(0.0))
    # numpy's stubs refuse None as a value of np.where
    reason = pd.Series(np.where(accepted, None, NOT_ACCEPTED), index=idx, dtype=object)  # type: ignore[call-overload]
    if over.any():
        msg = [
            f"在租面积{lr:.0f}㎡超过建筑面积{fl:.0f}㎡，按建筑面积计 / leases in force ({lr:.0f} m²) exceed the floor area "
            f"({fl:.0f} m²): capped"
            for lr, fl in zip(leased_raw[over], floor[over].fillna(0.0))
        ]
        prev = reason[over]
        reason[over] = [m if p is None else f"{p}; {m}" for p, m in zip(prev, msg)]
    return pd.DataFrame(
        {
            "parcel_code": b["parcel_code"].astype(object).to_numpy(),
            "accepted": pd.array(accepted, dtype="boolean"),
            "excluded_reason": reason,
            "floor_area_m2": floor,
            "leased_m2": leased,
            "vacant_m2": (floor - leased).clip(lower=0.0),
            "occupancy_rate": ratio(leased, floor),
            "tenants": pd.array(tenants.to_numpy(), dtype="Int64"),
        },
        index=idx,
    )


#: the default of ``occupancy.count_min_let_share`` (docs/domain.md §6): at least half let
COUNT_MIN_LET_SHARE = 0.5


def area_occupancy(
    building_frame: pd.DataFrame, groups: pd.Series, *, target: float, index: pd.Index | None = None,
    min_let_share: float = COUNT_MIN_LET_SHARE,
) -> pd.DataFrame:
    """Occupancy per area. ``groups``: each building's area (aligned with ``building_frame`` rows);
    ``min_let_share``: the let share of its floor area at which a building counts as occupied."""
    acc = building_frame["accepted"].fillna(False).to_numpy(dtype=bool)
    b = building_frame.loc[acc]
    g = np.asarray(groups)[acc]
    keep = pd.notna(g)
    frame = pd.DataFrame(
        {
            "sf_buildings": np.ones(int(keep.sum())),
            "sf_floor_area_m2": b["floor_area_m2"].fillna(0.0).to_numpy(dtype="float64")[keep],
            "sf_leased_m2": b["leased_m2"].to_numpy(dtype="float64")[keep],
            "_occupied": (pd.to_numeric(b["occupancy_rate"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")[keep]
                          >= min_let_share - 1e-12).astype("float64"),
        }
    )
    sums = frame.groupby(g[keep]).sum()
    if index is not None:
        sums = sums.reindex(index).fillna(0.0)
    rate = ratio(sums["sf_leased_m2"], sums["sf_floor_area_m2"])
    met = pd.array((rate >= target - 1e-12).to_numpy(), dtype="boolean")
    met[np.isnan(rate.to_numpy())] = pd.NA
    return pd.DataFrame(
        {
            "sf_buildings": pd.array(sums["sf_buildings"].round().astype("int64"), dtype="Int64"),
            "sf_floor_area_m2": sums["sf_floor_area_m2"],
            "sf_leased_m2": sums["sf_leased_m2"],
            "occupancy_rate": rate,
            "occupancy_rate_count": ratio(sums["_occupied"], sums["sf_buildings"]),
            "occupancy_met": met,
        },
        index=sums.index,
    )
