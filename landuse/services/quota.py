"""The quota tilt (新增建设用地指标倾斜): a what-if by default, stored only when asked (``--save``),
and then audited. Every web user sees stored results, so a what-if never touches them.

Quota units (:func:`quota_units`), one row per zone (or pilot area):

- ``score``: the stored composite score of the year;
- ``base`` (``base_mu``, ``base_kind``): the demand base used when ``policy.quota.base = 'column'``:
  the unit's industrial land supplied per year (Σ ``area_mu`` of its parcels whose ``supply_date``
  falls in Y−w+1..Y, w = ``absorption_window_years``, divided by w): land it actually took up is its
  demonstrated demand; ignored for ``'equal'``;
- ``approved_unsupplied_mu`` (批而未供) and ``annual_absorption_mu`` where 批而未供 is measured: the
  unit's pilot area (its administrative region, ``absorption_scope``), from ``pilot_area_years``:
  ``approved_unsupplied_mu`` of year Y and the mean ``land_supplied_mu`` of Y−w+1..Y (the years
  present) — the same scope, never the industrial parcel layer and never split between zones, so
  every zone of a region over the limit is blocked and every zone of a region under it is not;
  missing figures leave the rule unapplied (said);
- ``idle_disposal_done``, ``unsupplied_disposal_done``: the pilot area's, from ``pilot_area_years``;
- ``zone_type`` and ``last_rank_streak``: years running, up to Y, the unit was ranked last among
  the zones of its type (``quota.last_rank_within``; ``evaluation.scoring.last_rank_streak`` on the
  stored ranks of every year, province-wide).

With a ``pilot_area`` the units are that pilot area's zones and the total is shared among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from evaluation.quota import allocate_quota
from landuse.core.contract import province_mask
from landuse.core.errors import LanduseError
from landuse.core.policy import Policy
from landuse.services import accounts, results, versions
from parcels.store.base import Store



def _plain(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df.drop(columns=["geometry"], errors="ignore")).reset_index(drop=True)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _frames(source, names: tuple[str, ...], year: int) -> dict[str, pd.DataFrame]:
    """Frames by name from a Store (results layers: every year) or from a mapping."""
    if isinstance(source, Mapping):
        missing = [n for n in names if n not in source]
        if missing:
            raise LanduseError(f"quota_units: missing frames {missing}")
        return {n: _plain(source[n]) for n in names}
    out = {}
    for n in names:
        yr = year if n == "parcel_results" else None
        out[n] = _plain(source.read(n, year=yr, geometry=False))
    return out


# ----------------------------------------------------------------------------------------------


def quota_units(source, *, year: int, policy, level: Literal["zone", "pilot_area"] = "zone",
                pilot_area: str | None = None) -> pd.DataFrame:
    """The units frame for ``evaluation.quota.allocate_quota`` (see the module docstring).

    ``source``: a Store, or a mapping holding the frames ``zones``, ``parcels``,
    ``parcel_results`` (at least year ``year``), ``zone_results`` (every year, for the
    last-rank streak), ``pilot_area_results`` (every year; needed for ``level='pilot_area'``)
    and ``pilot_area_years``. ``pilot_area``: keep only that pilot area's zones (zone level).

    Returns a frame indexed by ``zone_code`` (or ``pilot_area_code``) with ``name``,
    ``pilot_area_code``, ``zone_type`` (zone level), ``score``, ``base``, ``base_kind``,
    ``approved_unsupplied_mu``, ``annual_absorption_mu``, ``absorption_scope``,
    ``idle_disposal_done``, ``unsupplied_disposal_done``, ``last_rank_streak``.
    """
    from evaluation.scoring import last_rank_streak

    if level not in ("zone", "pilot_area"):
        raise LanduseError(f"quota_units: level must be 'zone' or 'pilot_area', not {level!r}")
    q = policy.quota
    window = int(q.absorption_window_years)
    f = _frames(source, ("zones", "parcels", "parcel_results", "zone_results", "pilot_area_results",
                         "pilot_area_years"), year)
    zones = f["zones"]
    pa_of_zone = dict(zip(zones["zone_code"], zones["pilot_area_code"], strict=False))
    pa_names = zones.dropna(subset=["pilot_area_code"]).drop_duplicates("pilot_area_code").set_index(
        "pilot_area_code")["pilot_area_name"] if "pilot_area_name" in zones.columns else pd.Series(dtype=object)
    pr = f["parcel_results"]
    pr = pr[_num(pr["year"]) == year]
    parcels = f["parcels"][["parcel_code", "zone_code", "supply_date"]]
    p = pr[["parcel_code", "zone_code", "area_mu", "stage"]].merge(
        parcels[["parcel_code", "supply_date"]], on="parcel_code", how="left")
    p["area_mu"] = _num(p["area_mu"]).fillna(0.0)
    sy = pd.to_datetime(p["supply_date"], errors="coerce").dt.year
    recent = sy.between(year - window + 1, year)
    p["absorbed"] = p["area_mu"].where(recent, 0.0)
    p["pilot_area_code"] = p["zone_code"].map(pa_of_zone)

    pay_all = f["pilot_area_years"].copy()
    pay_all["year"] = _num(pay_all["year"])
    pay = pay_all[pay_all["year"] == year].drop_duplicates("pilot_area_code").set_index("pilot_area_code")
    if "land_supplied_mu" in pay_all.columns:
        win = pay_all[pay_all["year"].between(year - window + 1, year)]
        supply_mean = _num(win["land_supplied_mu"]).groupby(win["pilot_area_code"]).mean()
    else:
        supply_mean = pd.Series(dtype="float64")

    def pay_col(codes: pd.Series, name: str) -> pd.Series:
        if name not in pay.columns:
            return pd.Series(pd.NA, index=codes.index, dtype="object")
        return codes.map(pay[name])

    base_kind = f"近{window}年年均供应工业用地"
    if level == "zone":
        zr = f["zone_results"]
        zy = zr[_num(zr["year"]) == year].drop_duplicates("zone_code").set_index("zone_code")
        if pilot_area is not None:
            zy = zy[zy.index.map(lambda z: pa_of_zone.get(z)) == pilot_area]
        idx = pd.Index(sorted(zy.index), name="zone_code")
        out = pd.DataFrame(index=idx)
        out["name"] = zy["zone_name"].reindex(idx)
        pac = pd.Series([pa_of_zone.get(z) for z in idx], index=idx, dtype="object")
        pac = pac.fillna(zy["pilot_area_code"].reindex(idx))
        out["pilot_area_code"] = pac
        out["zone_type"] = zy["zone_type"].reindex(idx) if "zone_type" in zy.columns else None
        out["score"] = _num(zy["score"]).reindex(idx)
        out["base"] = (p.groupby("zone_code")["absorbed"].sum() / window).reindex(idx).fillna(0.0)
        ranks = zr[["zone_code", "year", "rank"] + (["zone_type"] if "zone_type" in zr.columns else [])].copy()
        key = "zone_code"
        within = "zone_type" if q.last_rank_within == "zone_type" and "zone_type" in ranks.columns else None
    else:
        par = f["pilot_area_results"]
        py = par[(_num(par["year"]) == year) & ~province_mask(par["pilot_area_code"])]
        py = py.drop_duplicates("pilot_area_code").set_index("pilot_area_code")
        if pilot_area is not None:
            py = py[py.index == pilot_area]
        idx = pd.Index(sorted(py.index), name="pilot_area_code")
        out = pd.DataFrame(index=idx)
        out["name"] = py["pilot_area_name"].reindex(idx)
        out["score"] = _num(py["score"]).reindex(idx)
        out["base"] = (p.groupby("pilot_area_code")["absorbed"].sum() / window).reindex(idx).fillna(0.0)
        ranks = par[~province_mask(par["pilot_area_code"])][["pilot_area_code", "year", "rank"]].copy()
        pac = idx.to_series()
        key = "pilot_area_code"
        within = None
    out["base_kind"] = base_kind
    # 批而未供 and its absorption where 批而未供 is measured: the pilot area's region
    out["approved_unsupplied_mu"] = _num(pay_col(pac, "approved_unsupplied_mu"))
    out["annual_absorption_mu"] = pac.map(supply_mean).astype("float64")
    out["absorption_scope"] = [
        None if pd.isna(c) else f"试验区{pa_names.get(c, '') or ''}（{c}）" for c in pac
    ]
    for c in ("idle_disposal_done", "unsupplied_disposal_done"):
        out[c] = pd.array([None if pd.isna(v) else bool(v) for v in pay_col(pac, c)], dtype="boolean")
    out["idle_disposal_done"] = _idle_done_from_ledger(source, out["idle_disposal_done"], pac, pa_of_zone,
                                                       year=year, policy=policy)
    ranks["year"] = _num(ranks["year"])
    ranks["rank"] = _num(ranks["rank"])
    ranks = ranks.dropna(subset=["year", "rank"])
    streak = (last_rank_streak(ranks, key=key, year=year, within=within) if len(ranks)
              else pd.Series(dtype="int64"))
    out["last_rank_streak"] = streak.reindex(idx).fillna(0).astype("int64")
    return out


def stored_quota(store: Store, *, year: int) -> dict[str, Any] | None:
    """Which quota the stored results of ``year`` carry: the latest audited ``--save`` of that year
    (who, when, level, total, pilot area, policy), or None when the results carry no quota (never
    saved, or replaced by a later evaluation)."""
    carried = False
    for name in ("zone_results", "pilot_area_results"):
        df = store.read(name, year=year, columns=["quota_mu"], geometry=False)
        carried = carried or bool(df["quota_mu"].notna().any())
    if not carried:
        return None
    for row in accounts.read_audit(store, action="quota_save"):
        fields = dict(kv.split("=", 1) for kv in str(row.get("detail") or "").split() if "=" in kv)
        if fields.get("year") == str(year):
            return {"username": row.get("username"), "ts": accounts.beijing_time(row.get("ts")),
                    "level": fields.get("level"), "total_mu": fields.get("total_mu"),
                    "pilot_area": None if fields.get("pilot_area") in (None, "*") else fields.get("pilot_area"),
                    "policy": fields.get("policy")}
    return {"username": None, "ts": None, "level": None, "total_mu": None, "pilot_area": None, "policy": None}


def _idle_done_from_ledger(source, typed: pd.Series, pac: pd.Series, pa_of_zone: dict, *, year: int,
                           policy) -> pd.Series:
    """Where pilot_area_years does not say whether the idle-land disposal task was met, the disposal
    ledger does: the share of its idle land disposed of by the year end reaches
    ``policy.ledger.idle_disposal_share`` (evaluation.ledger.idle_disposal_share)."""
    from evaluation.ledger import idle_disposal_share
    from evaluation.lifecycle import year_end

    if isinstance(source, Store):
        from landuse.services.ledger import read_ledger

        led = read_ledger(source)
    else:
        led = source.get("disposals") if hasattr(source, "get") else None
    if led is None or not len(led):
        return typed
    share = idle_disposal_share(led, year_end(year), zone_to_unit=pd.Series(pa_of_zone, dtype=object))
    derived = pac.map(share)
    out = typed.copy()
    fill = out.isna().to_numpy() & derived.notna().to_numpy()
    out[fill] = (derived[fill] >= policy.ledger.idle_disposal_share).to_numpy()
    return out


def quota(store: Store, *, year: int, total_mu: int, policy: Policy, level: str = "zone",
          pilot_area: str | None = None, save: bool = False, actor: str | None = None) -> pd.DataFrame:
    """The recommended quota tilt (a model, not a published rule), one row per unit. With ``save``
    the result is stored into zone_results or pilot_area_results of ``year`` (quota_mu,
    quota_explanation) and the act is audited; without it nothing is written."""
    results.require_results(store, year)
    if pilot_area is not None:
        results.check_pilot_area_code(store, pilot_area)
    units = quota_units(store, year=year, policy=policy, level=level, pilot_area=pilot_area)  # type: ignore[arg-type]
    alloc = allocate_quota(units, total_mu=total_mu, policy=policy)
    if save:
        key = "zone_code" if level == "zone" else "pilot_area_code"
        name = "zone_results" if level == "zone" else "pilot_area_results"
        # a saved quota is a new draft version of the year (the shown version's rows with the quota):
        # a published version never changes (landuse.services.versions)
        base = versions.shown(store, year)
        layers = versions.frames(store, base["version_id"]) if base else {
            n: store.read(n, year=year) for n in ("parcel_results", "enterprise_results", "zone_results",
                                                  "pilot_area_results", "flags", "building_results")}
        stored = layers[name].set_index(key)
        hit = alloc.index.intersection(stored.index)
        stored.loc[hit, "quota_mu"] = alloc.loc[hit, "quota_mu"].astype("float64")
        stored.loc[hit, "quota_explanation"] = alloc.loc[hit, "quota_explanation"]
        layers[name] = stored.reset_index()
        v = versions.record(store, year=year, layers=layers, inputs_hash=(base or {}).get("inputs_hash"),
                            policy_hash=(base or {}).get("policy_hash"), actor=actor, origin="quota",
                            note=f"quota total_mu={total_mu} level={level} from {base['version_id'] if base else '-'}")
        accounts.audit(store, actor, "quota_save", f"year={year} level={level} total_mu={total_mu} "
                       f"pilot_area={pilot_area or '*'} policy={policy.hash} version={v['version_id']}")
    out = alloc.copy()
    out.index.name = "unit"
    extra = [c for c in ("name", "pilot_area_code", "zone_type", "base_kind", "approved_unsupplied_mu",
                         "annual_absorption_mu", "absorption_scope", "idle_disposal_done", "unsupplied_disposal_done",
                         "last_rank_streak") if c in units.columns]
    for j, c in enumerate(extra):
        out.insert(j, c, units[c].reindex(out.index))
    res = out.reset_index()
    res.attrs.update(alloc.attrs)
    return res
