"""Who used which land during the year, and how each enterprise's output is spread over it
(docs/domain.md §5, §11).

1. :func:`leases_in_force` — leases in force at a date (start and end dates inclusive: a lease
   ending on 31 December is in force that day); used for occupancy, an as-of snapshot.
2. :func:`resolve_leases` — each lease gets the parcel it is on: the parcel of its building when
   ``building_code`` is known, else its own ``parcel_code``. Leases on an unknown building/parcel
   are reported (``problems``) and ignored.
3. :func:`year_uses` — the land each enterprise used **during the year** (1 January to the as-of
   date), one row per (parcel, enterprise, kind), weighted by the **days** each right or lease was in
   force. A parcel's year is cut into segments at every change (a right begins or ends, a lease
   begins or ends, the parcel is supplied, made or retired); in each segment:

   ``floor_area_share`` (default): a tenant leasing ``f`` m² on a parcel of total floor area ``F``
   uses ``area × f / F``; the holder uses the rest. ``F`` is the parcel's ``floor_area_m2``, or the
   sum of its buildings' floor areas when that is missing. When the leases in force exceed ``F`` (or
   ``F`` is unknown), they are scaled so the tenants share the whole parcel (``area × f / Σf``), the
   holder uses nothing, and this is reported. A holder leasing on its own parcel is not a tenant.

   ``merge_tenants``: the holder keeps the whole parcel; a tenant uses no land, its output goes to
   the parcel(s) it leases on, weighted by leased floor area × days — unless it holds land of its
   own during the year, where its output stays.

   ``occupied_mu`` (the floor-area share, whatever the method) says who occupies what: it decides
   which land leaves the per-mu figures when its users did not report (:func:`reported_shares`).
   Nobody uses land before it is supplied (tenants included), while no right names a holder (收回:
   reserve; tenants of the reserve still count), before the parcel exists or after it is retired.
4. :func:`spread_output` — each enterprise's values are spread over the land it used in
   proportion to its weights; :func:`restrict_to` first keeps only the developed industrial land an
   enterprise used when it has any (output belongs to the land that produces it), else all its
   land. Σ over parcels = Σ over linked enterprises (conservation).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from evaluation.codes import sorted_factorize

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


USE_COLUMNS = ("parcel_code", "uscc", "kind", "area_mu", "weight", "leased_m2", "occupied_mu", "days")


def _intervals(frame: pd.DataFrame, a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    out["a"] = np.asarray(a, dtype="datetime64[ns]")
    out["b"] = np.asarray(b, dtype="datetime64[ns]")
    return out[out["b"] > out["a"]]


def year_uses(
    *,
    parcel_index: pd.Index,
    area_mu: pd.Series,
    rights: pd.DataFrame,
    supplied_from: pd.Series,
    exists: pd.DataFrame,
    leases: pd.DataFrame | None,
    buildings: pd.DataFrame | None,
    floor_area: pd.Series,
    window: tuple[pd.Timestamp, pd.Timestamp],
    method: str = "floor_area_share",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The land each enterprise used in ``window`` = [first day, day after the last): ``(uses, problems)``.

    ``rights``: :func:`evaluation.state.rights_periods` (holder periods, end exclusive);
    ``supplied_from``: parcel_code → the first day the parcel is supplied (NaT: never);
    ``exists``: parcel_code → ``exists_start``, ``exists_end`` (end exclusive).

    ``uses`` has one row per (parcel_code, uscc, kind) with kind 'own' | 'lease':
    ``days`` (days of use in the window), ``area_mu`` (land used, averaged over the window: Σ area × days /
    window days), ``occupied_mu`` (the same on the floor-area-share basis, whatever the method),
    ``weight`` (spread weight: area-days, or leased m²-days for merged tenants), ``leased_m2`` (leased
    floor area averaged over the window) and ``share`` (of the enterprise's output).
    """
    w0, w1 = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    wdays = max((w1 - w0).days, 1)
    idx = parcel_index
    area = area_mu.reindex(idx).fillna(0.0).astype("float64")
    ex_a = exists["exists_start"].reindex(idx)
    ex_b = exists["exists_end"].reindex(idx)
    problems: list[pd.DataFrame] = []

    # holder intervals: the right, inside the window, while the parcel exists and is supplied
    r = rights[rights["holder_uscc"].notna() & rights["parcel_code"].isin(idx)]
    pc = r["parcel_code"]
    a = np.maximum.reduce([r["start"].to_numpy("datetime64[ns]"), np.full(len(r), w0.to_datetime64()),
                           ex_a.reindex(pc).to_numpy("datetime64[ns]"),
                           supplied_from.reindex(pc).fillna(pd.Timestamp.max.normalize()).to_numpy("datetime64[ns]")])
    b = np.minimum.reduce([r["end"].to_numpy("datetime64[ns]"), np.full(len(r), w1.to_datetime64()),
                           ex_b.reindex(pc).to_numpy("datetime64[ns]")])
    hold = _intervals(pd.DataFrame({"parcel_code": pc.to_numpy(), "holder": r["holder_uscc"].to_numpy()}), a, b)

    # lease intervals (end date inclusive → the day after), inside the window and the parcel's life
    if leases is not None and len(leases):
        res, lprob = resolve_leases(leases[leases["uscc"].notna()], buildings, idx)
        problems.append(lprob)
        lp = res["lease_parcel"]
        end = pd.to_datetime(res["end_date"]) if "end_date" in res.columns else pd.Series(pd.NaT, index=res.index)
        la = np.maximum.reduce([pd.to_datetime(res["start_date"]).fillna(pd.Timestamp.max.normalize()).to_numpy("datetime64[ns]"),
                                np.full(len(res), w0.to_datetime64()), ex_a.reindex(lp).to_numpy("datetime64[ns]"),
                                supplied_from.reindex(lp).fillna(pd.Timestamp.max.normalize()).to_numpy("datetime64[ns]")])
        lb = np.minimum.reduce([(end + pd.Timedelta(days=1)).fillna(pd.Timestamp("2262-04-10")).to_numpy("datetime64[ns]"),
                                np.full(len(res), w1.to_datetime64()), ex_b.reindex(lp).to_numpy("datetime64[ns]")])
        lease = _intervals(pd.DataFrame({"parcel_code": lp.to_numpy(), "tenant": res["uscc"].astype(object).to_numpy(),
                                         "f": res["floor_area_m2"].fillna(0.0).to_numpy(dtype="float64")}), la, lb)
    else:
        lease = pd.DataFrame({"parcel_code": pd.Series(dtype=object), "tenant": pd.Series(dtype=object),
                              "f": pd.Series(dtype="float64"), "a": pd.Series(dtype="datetime64[ns]"),
                              "b": pd.Series(dtype="datetime64[ns]")})

    # parcels as integer codes in the order of their text codes (a sorted factorization): the sorts,
    # groups and joins below give the same order and groups as on the text, at a fraction of the cost
    n_hold = len(hold)
    pcodes, pcats = sorted_factorize(np.concatenate([hold["parcel_code"].to_numpy(dtype=object),
                                                     lease["parcel_code"].to_numpy(dtype=object)]))
    hold = hold.assign(parcel_code=pcodes[:n_hold])
    lease = lease.assign(parcel_code=pcodes[n_hold:])
    area_of = area.reindex(pcats).to_numpy(dtype="float64")  # by parcel integer code
    floor_of = floor_area.reindex(pcats).to_numpy(dtype="float64")

    # segments: cut every parcel's window at each change
    bounds = pd.concat([hold[["parcel_code", "a"]].rename(columns={"a": "t"}), hold[["parcel_code", "b"]].rename(columns={"b": "t"}),
                        lease[["parcel_code", "a"]].rename(columns={"a": "t"}), lease[["parcel_code", "b"]].rename(columns={"b": "t"})],
                       ignore_index=True).drop_duplicates().sort_values(["parcel_code", "t"], kind="stable")
    nxt = bounds.groupby("parcel_code", sort=False)["t"].shift(-1)
    seg = pd.DataFrame({"parcel_code": bounds["parcel_code"].to_numpy(), "sa": bounds["t"].to_numpy(),
                        "sb": nxt.to_numpy()}).dropna(subset=["sb"])
    seg = seg[seg["sb"] > seg["sa"]].reset_index(drop=True)
    seg["seg"] = np.arange(len(seg))
    seg["len"] = (seg["sb"] - seg["sa"]).dt.days.astype("float64")
    # the holder of each segment (holder periods of a parcel do not overlap)
    sh = seg.merge(hold, on="parcel_code", how="inner")
    sh = sh[(sh["a"] <= sh["sa"]) & (sh["b"] >= sh["sb"])].drop_duplicates("seg")
    seg["holder"] = seg["seg"].map(sh.set_index("seg")["holder"]).astype(object)
    # the tenants of each segment (not the segment's holder)
    st = seg[["seg", "parcel_code", "sa", "sb", "len", "holder"]].merge(lease, on="parcel_code", how="inner")
    st = st[(st["a"] <= st["sa"]) & (st["b"] >= st["sb"]) & (st["tenant"] != st["holder"])]
    st = st.groupby(["seg", "tenant"], as_index=False).agg(parcel_code=("parcel_code", "first"), f=("f", "sum"),
                                                            len=("len", "first"))
    L = st.groupby("seg")["f"].sum().reindex(seg["seg"]).fillna(0.0).to_numpy()
    F = floor_of[seg["parcel_code"].to_numpy(dtype="int64")]
    Fk = np.where(F > 0, F, np.nan)
    exceeded = (L > 0) & (np.isnan(Fk) | (L > np.nan_to_num(Fk, nan=np.inf)))
    denom = np.where(exceeded, L, Fk)
    with np.errstate(invalid="ignore", divide="ignore"):
        tshare = np.where(L > 0, np.clip(L / denom, 0, 1), 0.0)
    seg["tshare"] = tshare
    seg["denom"] = denom
    seg["area"] = area_of[seg["parcel_code"].to_numpy(dtype="int64")]
    if exceeded.any():
        ex = seg.loc[exceeded].drop_duplicates("parcel_code")
        rows = []
        for _, row in ex.iterrows():
            Lp = float(L[int(row["seg"])])
            fk = Fk[int(row["seg"])]
            rows.append({"layer": "leases", "key": pcats[int(row["parcel_code"])],
                         "code": "leases_exceed_floor_area" if not np.isnan(fk) else "floor_area_unknown",
                         "message": (f"宗地在租面积{Lp:.0f}㎡超过总建筑面积{fk:.0f}㎡，按租赁面积比例将整宗地分给承租企业 / "
                                     f"leases in force ({Lp:.0f} m²) exceed the floor area ({fk:.0f} m²): scaled, tenants share the whole parcel"
                                     if not np.isnan(fk) else
                                     f"宗地总建筑面积未知，按租赁面积比例将整宗地分给承租企业 / floor area unknown: tenants ({Lp:.0f} m²) share the whole parcel")})
        problems.append(_problems(rows))

    # area-days: the occupied basis (floor-area share) and the spread basis of the method
    hs = seg[seg["holder"].notna()]
    own_occ = hs["area"] * (1.0 - hs["tshare"]) * hs["len"]
    st["area"] = area_of[st["parcel_code"].to_numpy(dtype="int64")]
    st_den = st["seg"].map(seg.set_index("seg")["denom"])
    ten_occ = (st["area"] * st["f"] / st_den * st["len"]).fillna(0.0)
    # held: the land a row stands for whatever its tenants occupy (the holder: the parcel; a tenant:
    # what it occupies) — the spread of a firm whose every row weighs nothing (use_shares)
    own = pd.DataFrame({"parcel_code": hs["parcel_code"].to_numpy(), "uscc": hs["holder"].to_numpy(), "kind": "own",
                        "occ": own_occ.to_numpy(), "days": hs["len"].to_numpy(), "fdays": 0.0,
                        "held": (hs["area"] * hs["len"]).to_numpy()})
    ten = pd.DataFrame({"parcel_code": st["parcel_code"].to_numpy(), "uscc": st["tenant"].to_numpy(), "kind": "lease",
                        "occ": ten_occ.to_numpy(), "days": st["len"].to_numpy(), "fdays": (st["f"] * st["len"]).to_numpy(),
                        "held": ten_occ.to_numpy()})
    if method == "merge_tenants":
        own["area_days"] = (hs["area"] * hs["len"]).to_numpy()
        own["weight"] = own["area_days"]
        ten["area_days"] = 0.0
        ten["weight"] = ten["fdays"]
    elif method == "floor_area_share":
        own["area_days"] = own["occ"]
        own["weight"] = own["occ"]
        ten["area_days"] = ten["occ"]
        ten["weight"] = ten["occ"]
    else:  # pragma: no cover - the policy model restricts it
        raise ValueError(f"unknown allocation method {method!r}")
    allu = pd.concat([own, ten], ignore_index=True)
    # one row per (parcel, firm, kind), in the order of the text codes (firms and kinds as sorted
    # integer codes too: 'lease' < 'own')
    ucodes, ucats = sorted_factorize(allu["uscc"].to_numpy(dtype=object))
    allu["uscc"] = ucodes
    allu["kind"] = (allu["kind"].to_numpy(dtype=object) == "own").astype("int8")
    g = allu.groupby(["parcel_code", "uscc", "kind"], sort=True, as_index=False).sum(numeric_only=True)
    g["parcel_code"] = pcats[g["parcel_code"].to_numpy(dtype="int64")]
    g["uscc"] = ucats[g["uscc"].to_numpy(dtype="int64")]
    g["kind"] = np.where(g["kind"].to_numpy() == 1, "own", "lease").astype(object)
    if method == "merge_tenants" and len(g):
        holds = set(g.loc[(g["kind"] == "own") & (g["days"] > 0), "uscc"])
        g.loc[(g["kind"] == "lease") & g["uscc"].isin(holds), "weight"] = 0.0
    uses = pd.DataFrame({
        "parcel_code": g["parcel_code"].astype(object).to_numpy(),
        "uscc": g["uscc"].astype(object).to_numpy(),
        "kind": g["kind"].astype(object).to_numpy(),
        "area_mu": (g["area_days"] / wdays).to_numpy(dtype="float64"),
        "weight": g["weight"].to_numpy(dtype="float64"),
        "leased_m2": (g["fdays"] / wdays).to_numpy(dtype="float64"),
        "occupied_mu": (g["occ"] / wdays).to_numpy(dtype="float64"),
        "days": g["days"].to_numpy(dtype="float64"),
        "held_mu": (g["held"] / wdays).to_numpy(dtype="float64"),
    })
    uses["share"] = use_shares(uses)
    probs = [p for p in problems if len(p)]
    return uses, (pd.concat(probs, ignore_index=True) if probs else _problems([]))


def restrict_to(uses: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """Each enterprise's spread weights kept only on the parcels where ``keep`` (parcel_code → bool)
    is true — when it used any such parcel with a positive weight; otherwise all its uses. Shares
    are recomputed."""
    if len(uses) == 0:
        return uses
    k = uses["parcel_code"].map(keep).fillna(False).to_numpy(dtype=bool) & (uses["weight"].to_numpy() > 0)
    has = pd.Series(k).groupby(uses["uscc"].to_numpy()).transform("any").to_numpy(dtype=bool)
    out = uses.copy()
    out["weight"] = np.where(has & ~k, 0.0, uses["weight"].to_numpy())
    # an enterprise whose remaining weights are all 0 keeps its spread by held land (use_shares)
    out = out[~(has & ~k)].reset_index(drop=True)
    out["share"] = use_shares(out)
    return out


def reported_shares(uses: pd.DataFrame, parcel_index: pd.Index, area_mu: pd.Series, life_days: pd.Series,
                    reported: pd.Series) -> pd.Series:
    """Per parcel, the share of its area whose users did not report (by occupied area-days):
    Σ over users with ``reported[uscc]`` false (or unknown) of occupied_mu / (area × life share of
    the window). ``life_days`` = the parcel's days in the window / window days."""
    if len(uses) == 0:
        return pd.Series(0.0, index=parcel_index)
    ok = uses["uscc"].map(reported).eq(True).to_numpy(dtype=bool)
    miss = uses.loc[~ok].groupby("parcel_code")["occupied_mu"].sum().reindex(parcel_index).fillna(0.0)
    full = (area_mu.reindex(parcel_index) * life_days.reindex(parcel_index)).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(full > 0, miss.to_numpy() / np.where(full > 0, full, 1.0), 0.0)
    s = np.clip(s, 0.0, 1.0)
    # area-days summed in floating point: a share within 1e-9 of none or all is none or all
    s = np.where(s < 1e-9, 0.0, np.where(s > 1 - 1e-9, 1.0, s))
    return pd.Series(s, index=parcel_index)


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
    """Each use row's share of its enterprise's output (sums to 1 per enterprise): by ``weight``; an
    enterprise none of whose rows weighs anything (every parcel it holds wholly let to others, say)
    by the land it holds (``held_mu``: output in proportion to area, docs/domain.md §5 — so that
    cutting a parcel in two does not move output), evenly only when that is nothing too."""
    if len(uses) == 0:
        return pd.Series(dtype="float64")
    codes, uniq = pd.factorize(uses["uscc"], sort=False)

    def per_firm(col: str) -> tuple[np.ndarray, np.ndarray]:
        x = np.nan_to_num(np.clip(uses[col].to_numpy(dtype="float64"), 0.0, None))
        return x, np.bincount(codes, weights=x, minlength=len(uniq))[codes]

    w, tot = per_firm("weight")
    n = np.bincount(codes, minlength=len(uniq))[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        even = 1.0 / n
        if "held_mu" in uses.columns:
            h, htot = per_firm("held_mu")
            even = np.where(htot > 0, h / np.where(htot > 0, htot, 1.0), even)
        share = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), even)
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
