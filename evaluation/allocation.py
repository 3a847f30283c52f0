"""Who uses which land, and how each enterprise's output is spread over it (docs/domain.md §5).

1. :func:`leases_in_force` — leases in force at the as-of date: ``start_date <= as_of`` and
   (``end_date`` empty or ``end_date >= as_of``). The end date is **inclusive**: a lease ending on
   31 December is still in force on an as-of date of 31 December (the tenant leaves at the end of
   its last day). A lease that ends mid-year is therefore not counted at the year-end as-of date.
2. :func:`resolve_leases` — each lease gets the parcel it is on: the parcel of its building when
   ``building_code`` is known, else its own ``parcel_code``. Leases on an unknown building/parcel
   are reported (``problems``) and ignored. A "lease" by the parcel's own holder is not a tenancy:
   it is ignored for the land allocation.
3. :func:`land_uses` — the land each enterprise uses, one row per (parcel, enterprise):

   ``floor_area_share`` (default): a tenant leasing ``f`` m² on a parcel of total floor area ``F``
   gets ``area × f / F``; the holder keeps the rest. ``F`` is the parcel's ``floor_area_m2``, or
   the sum of its buildings' floor areas when that is missing. When the leases in force exceed
   ``F`` (or ``F`` is unknown/zero), they are scaled so the tenants share the whole parcel
   (``area × f / Σf``), the holder keeps nothing, and this is reported.

   ``merge_tenants``: tenants get no land (``area_mu`` 0); the holder keeps the whole parcel; a
   tenant's output is added to the parcel(s) it leases on (the holder's parcel), spread over them by
   leased floor area. An enterprise that holds land of its own and also leases elsewhere keeps its
   output on its own land.

   Only supplied parcels (``eligible``) are used: nobody uses land before it is supplied.
4. :func:`spread_output` — each enterprise's values (revenue, tax, …) are spread over the land it
   uses in proportion to its spread weight (``area_mu``; for merged tenants, leased floor area), so
   Σ over parcels = Σ over linked enterprises (conservation). An enterprise whose uses all have zero
   weight (e.g. a holder whose parcel is fully leased out) is spread equally over its uses, so
   nothing is lost.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

USE_COLUMNS = ("parcel_code", "uscc", "kind", "area_mu", "weight", "leased_m2", "share")
PROBLEM_COLUMNS = ("layer", "key", "code", "message")


def _problems(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS)).astype(object)


def leases_in_force(leases: pd.DataFrame, as_of: date | pd.Timestamp) -> pd.DataFrame:
    """The leases in force on ``as_of`` (start and end dates inclusive). A new frame."""
    as_of = pd.Timestamp(as_of).normalize()
    if leases is None or len(leases) == 0:
        return _empty_leases()
    start = pd.to_datetime(leases["start_date"])
    end = pd.to_datetime(leases["end_date"]) if "end_date" in leases.columns else pd.Series(pd.NaT, index=leases.index)
    mask = (start <= as_of) & (end.isna() | (end >= as_of))
    return leases.loc[mask.to_numpy()].copy()


def _empty_leases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uscc": pd.Series(dtype=object),
            "building_code": pd.Series(dtype=object),
            "parcel_code": pd.Series(dtype=object),
            "floor_area_m2": pd.Series(dtype="float64"),
            "start_date": pd.Series(dtype="datetime64[ns]"),
            "end_date": pd.Series(dtype="datetime64[ns]"),
        }
    )


def resolve_leases(
    leases: pd.DataFrame, buildings: pd.DataFrame | None, parcel_codes: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``lease_parcel`` (the parcel the lease is on) and drop leases that cannot be placed.

    Returns ``(resolved, problems)``.
    """
    if len(leases) == 0:
        out = _empty_leases()
        out["lease_parcel"] = pd.Series(dtype=object)
        return out, _problems([])
    lz = leases.copy()
    bcode = lz["building_code"].astype(object) if "building_code" in lz.columns else pd.Series(None, index=lz.index, dtype=object)
    pcode = lz["parcel_code"].astype(object) if "parcel_code" in lz.columns else pd.Series(None, index=lz.index, dtype=object)
    if buildings is not None and len(buildings):
        b2p = pd.Series(buildings["parcel_code"].astype(object).to_numpy(), index=buildings["building_code"].astype(object))
        b2p = b2p[~b2p.index.duplicated()]
        via_building = bcode.map(b2p)
    else:
        via_building = pd.Series(None, index=lz.index, dtype=object)
    lease_parcel = via_building.where(via_building.notna(), pcode)
    ok = lease_parcel.isin(parcel_codes)
    lz["lease_parcel"] = lease_parcel.astype(object)
    lz["floor_area_m2"] = pd.to_numeric(lz["floor_area_m2"], errors="coerce").astype("float64")
    problems = []
    for i in np.flatnonzero(~ok.to_numpy()):
        problems.append(
            {
                "layer": "leases",
                "key": f"{lz['uscc'].iat[i]}|{bcode.iat[i]}|{pcode.iat[i]}",
                "code": "lease_unplaced",
                "message": "租赁无法关联到宗地(建筑或宗地代码未知) / lease on an unknown building or parcel: ignored",
            }
        )
    return lz.loc[ok.to_numpy()], _problems(problems)


def parcel_floor_area(parcels: pd.DataFrame, buildings: pd.DataFrame | None) -> pd.Series:
    """Total floor area per parcel: ``floor_area_m2`` or, when missing, Σ of its buildings' floor areas."""
    idx = pd.Index(parcels["parcel_code"].astype(object), name="parcel_code")
    own = (
        pd.Series(pd.to_numeric(parcels["floor_area_m2"], errors="coerce").to_numpy(dtype="float64"), index=idx)
        if "floor_area_m2" in parcels.columns
        else pd.Series(np.nan, index=idx)
    )
    if buildings is not None and len(buildings):
        bsum = (
            pd.to_numeric(buildings["floor_area_m2"], errors="coerce")
            .groupby(buildings["parcel_code"].astype(object).to_numpy())
            .sum(min_count=1)
        )
        own = own.where(own.notna(), bsum.reindex(idx))
    return own.astype("float64")


def land_uses(
    parcels: pd.DataFrame,
    *,
    area_mu: pd.Series,
    leases: pd.DataFrame,
    buildings: pd.DataFrame | None,
    as_of: date | pd.Timestamp,
    method: str = "floor_area_share",
    eligible: pd.Series | None = None,
    floor_area: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Land used by each enterprise at ``as_of``: ``(uses, problems)``.

    ``uses`` has one row per (parcel_code, uscc, kind) with ``kind`` 'own' | 'lease', ``area_mu``
    (land the enterprise uses there, after conversion), ``weight`` (spread weight) and
    ``leased_m2``. ``area_mu`` is indexed by parcel_code; ``eligible`` (parcel_code → bool) selects
    the parcels that can be used (supplied); default all.
    """
    idx = pd.Index(parcels["parcel_code"].astype(object), name="parcel_code")
    area = area_mu.reindex(idx).fillna(0.0).astype("float64")
    elig = (
        pd.Series(True, index=idx)
        if eligible is None
        else eligible.reindex(idx).astype("boolean").fillna(False).astype(bool)
    )
    holder = pd.Series(parcels["holder_uscc"].astype(object).to_numpy(), index=idx) if "holder_uscc" in parcels.columns else pd.Series(None, index=idx, dtype=object)
    if floor_area is None:
        floor_area = parcel_floor_area(parcels, buildings)
    F = floor_area.reindex(idx)

    live = leases_in_force(leases, as_of) if leases is not None else _empty_leases()
    res, problems = resolve_leases(live, buildings, idx[elig.to_numpy()])
    problem_rows: list[pd.DataFrame] = [problems]
    # a holder leasing on its own parcel is not a tenant
    res = res.loc[(res["uscc"].astype(object).to_numpy() != res["lease_parcel"].map(holder).to_numpy())]
    res = res.loc[res["uscc"].notna().to_numpy()]
    tenant = (
        res.groupby([res["lease_parcel"].to_numpy(), res["uscc"].astype(object).to_numpy()])["floor_area_m2"]
        .sum(min_count=1)
        .fillna(0.0)
        .rename("leased_m2")
        .reset_index()
    )
    tenant.columns = ["parcel_code", "uscc", "leased_m2"]
    L = tenant.groupby("parcel_code")["leased_m2"].sum().reindex(idx).fillna(0.0)

    has_lease = L > 0
    Fk = F.where(F > 0)
    exceeded = has_lease & (Fk.isna() | (L > Fk))
    denom = Fk.where(~exceeded, L)  # F, or Σf when the leases exceed F or F is unknown
    tenant_share_total = (L / denom).where(has_lease, 0.0).clip(upper=1.0)

    bad = np.flatnonzero(exceeded.to_numpy())
    if len(bad):
        rows = []
        for i in bad:
            f_known = pd.notna(Fk.iat[i])
            rows.append(
                {
                    "layer": "leases",
                    "key": idx[i],
                    "code": "leases_exceed_floor_area" if f_known else "floor_area_unknown",
                    "message": (
                        f"宗地在租面积{L.iat[i]:.0f}㎡超过总建筑面积{Fk.iat[i]:.0f}㎡，按租赁面积比例将整宗地分给承租企业 / "
                        f"leases in force ({L.iat[i]:.0f} m²) exceed the floor area ({Fk.iat[i]:.0f} m²): scaled, tenants share the whole parcel"
                        if f_known
                        else f"宗地总建筑面积未知，按租赁面积比例将整宗地分给承租企业 / floor area unknown: "
                        f"tenants ({L.iat[i]:.0f} m²) share the whole parcel"
                    ),
                }
            )
        problem_rows.append(_problems(rows))

    own_mask = elig & holder.notna()
    if method not in ("merge_tenants", "floor_area_share"):  # pragma: no cover - the policy model restricts it
        raise ValueError(f"unknown allocation method {method!r}")
    # merged tenants leave the holder the whole parcel; otherwise the holder keeps what is not let
    own_area = area if method == "merge_tenants" else area * (1.0 - tenant_share_total)
    own = pd.DataFrame(
        {
            "parcel_code": idx[own_mask.to_numpy()],
            "uscc": holder[own_mask].to_numpy(),
            "kind": "own",
            "area_mu": own_area[own_mask].to_numpy(),
            "leased_m2": 0.0,
        }
    )
    own["weight"] = own["area_mu"]
    if method == "merge_tenants":
        ten = tenant.assign(kind="lease", area_mu=0.0)
        holds = set(own["uscc"])  # enterprises with land of their own keep their output there
        ten["weight"] = np.where(ten["uscc"].isin(holds), 0.0, ten["leased_m2"])
    else:
        d = tenant["parcel_code"].map(denom)
        ten = tenant.assign(kind="lease", area_mu=(tenant["parcel_code"].map(area) * tenant["leased_m2"] / d).fillna(0.0))
        ten["weight"] = ten["area_mu"]

    uses = pd.concat([own, ten], ignore_index=True)
    # own rows are one per parcel, tenant rows one per (parcel, tenant), and a holder is never its
    # own tenant: (parcel_code, uscc, kind) is unique without a further group-by
    uses = pd.DataFrame(
        {
            "parcel_code": uses["parcel_code"].astype(object).to_numpy(),
            "uscc": uses["uscc"].astype(object).to_numpy(),
            "kind": uses["kind"].astype(object).to_numpy(),
            "area_mu": uses["area_mu"].to_numpy(dtype="float64"),
            "weight": uses["weight"].to_numpy(dtype="float64"),
            "leased_m2": uses["leased_m2"].to_numpy(dtype="float64"),
        }
    )
    uses["share"] = use_shares(uses)
    problems = pd.concat([p for p in problem_rows if len(p)], ignore_index=True) if any(len(p) for p in problem_rows) else _problems([])
    return uses, problems


def _sum_by(codes: np.ndarray, n: int, x: np.ndarray, *, min_count: int = 0) -> np.ndarray:
    """Σ x per integer group code (NaN skipped; NaN where fewer than ``min_count`` values)."""
    x = np.asarray(x, dtype="float64")
    ok = ~np.isnan(x)
    out = np.bincount(codes[ok], weights=x[ok], minlength=n)
    if min_count:
        cnt = np.bincount(codes[ok], minlength=n)
        out = np.where(cnt >= min_count, out, np.nan)
    return out


def use_shares(uses: pd.DataFrame) -> pd.Series:
    """Each use row's share of its enterprise's output (sums to 1 per enterprise)."""
    if len(uses) == 0:
        return pd.Series(dtype="float64")
    codes, uniq = pd.factorize(uses["uscc"], sort=False)
    w = np.clip(uses["weight"].to_numpy(dtype="float64"), 0.0, None)
    w = np.nan_to_num(w)
    tot = np.bincount(codes, weights=w, minlength=len(uniq))[codes]
    n = np.bincount(codes, minlength=len(uniq))[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 1.0 / n)
    return pd.Series(share, index=uses.index, dtype="float64")


def spread_output(uses: pd.DataFrame, values: pd.DataFrame, parcel_index: pd.Index) -> pd.DataFrame:
    """Spread each enterprise's ``values`` (indexed by uscc) over the parcels it uses.

    Returns a frame indexed like ``parcel_index`` with one column per value column: the sum over
    the enterprises using the parcel of ``share × value`` (NaN values contribute nothing; a parcel
    with no contribution gets NaN, which callers may fill with 0).
    """
    cols = list(values.columns)
    if len(uses) == 0 or len(cols) == 0:
        return pd.DataFrame(np.nan, index=parcel_index, columns=cols, dtype="float64")
    share = (uses["share"] if "share" in uses.columns else use_shares(uses)).to_numpy()
    pos = parcel_index.get_indexer(uses["parcel_code"])
    ok = pos >= 0
    vpos = values.index.get_indexer(uses["uscc"])
    has = vpos >= 0
    arr = values.to_numpy(dtype="float64")
    out = {}
    for j, c in enumerate(cols):
        v = np.where(has, arr[np.where(has, vpos, 0), j] if len(arr) else np.nan, np.nan)
        out[c] = _sum_by(pos[ok], len(parcel_index), (v * share)[ok], min_count=1)
    return pd.DataFrame(out, index=parcel_index)


def enterprise_land(uses: pd.DataFrame) -> pd.DataFrame:
    """Per enterprise (index uscc): ``land_mu``, ``own_land_mu``, ``leased_land_mu``, ``n_parcels``."""
    if len(uses) == 0:
        return pd.DataFrame(
            columns=["land_mu", "own_land_mu", "leased_land_mu", "n_parcels"],
            index=pd.Index([], name="uscc", dtype=object), dtype="float64",
        )
    codes, uniq = pd.factorize(uses["uscc"], sort=False)
    n = len(uniq)
    area = np.nan_to_num(uses["area_mu"].to_numpy(dtype="float64"))
    own = (uses["kind"] == "own").to_numpy()
    return pd.DataFrame(
        {
            "land_mu": np.bincount(codes, weights=area, minlength=n),
            "own_land_mu": np.bincount(codes, weights=np.where(own, area, 0.0), minlength=n),
            "leased_land_mu": np.bincount(codes, weights=np.where(own, 0.0, area), minlength=n),
            "n_parcels": np.bincount(codes, minlength=n).astype("float64"),
        },
        index=pd.Index(np.asarray(uniq, dtype=object), name="uscc"),
    )
