"""The quota tilt (新增建设用地指标倾斜): a what-if by default, stored only when asked (``--save``),
and then audited. Every web user sees stored results, so a what-if never touches them.

Quota units (:func:`quota_units`), one row per zone (or pilot area):

- ``score``: the stored composite score of the year;
- ``annual_absorption_mu``: Σ ``area_mu`` (parcel_results of the year) of the unit's parcels whose
  ``supply_date`` falls in the three calendar years Y−2..Y, divided by 3 (mean mu supplied per year);
- ``base``: the demand base used when ``policy.quota.base = 'column'``: the same annual absorption
  (land the unit actually took up is its demonstrated demand); ignored for ``'equal'``;
- ``approved_unsupplied_mu`` (批而未供), ``idle_disposal_done``, ``unsupplied_disposal_done``: from
  the unit's pilot-area row of ``pilot_area_years`` for the year. At zone level 批而未供 is
  apportioned to the pilot area's zones by their share of the pilot area's supplied land (Σ
  ``area_mu`` of parcels in ``policy.intensive.supplied_stages`` in the year; equal shares when the
  pilot area has no supplied land); the disposal flags are the pilot area's;
- ``last_rank_streak``: years running, up to Y, the unit was ranked last
  (``evaluation.scoring.last_rank_streak`` on the stored ranks of every year, province-wide).

With a ``pilot_area`` the units are that pilot area's zones and the total is shared among them.

With a ``pilot_area`` the units are that pilot area's zones and the total is shared among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pandas as pd

from evaluation.quota import allocate_quota
from landuse.core.contract import PROVINCE
from landuse.core.errors import LanduseError
from landuse.core.policy import Policy
from landuse.services import accounts, results
from parcels.store.base import Store

ABSORPTION_YEARS = 3


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
    ``pilot_area_code`` (zone level), ``score``, ``base``, ``annual_absorption_mu``,
    ``supplied_mu``, ``supplied_share``, ``approved_unsupplied_mu``, ``idle_disposal_done``,
    ``unsupplied_disposal_done``, ``last_rank_streak``.
    """
    from evaluation.scoring import last_rank_streak

    if level not in ("zone", "pilot_area"):
        raise LanduseError(f"quota_units: level must be 'zone' or 'pilot_area', not {level!r}")
    f = _frames(source, ("zones", "parcels", "parcel_results", "zone_results", "pilot_area_results",
                         "pilot_area_years"), year)
    zones = f["zones"]
    pa_of_zone = dict(zip(zones["zone_code"], zones["pilot_area_code"], strict=False))
    pr = f["parcel_results"]
    pr = pr[_num(pr["year"]) == year]
    parcels = f["parcels"][["parcel_code", "zone_code", "supply_date"]]
    p = pr[["parcel_code", "zone_code", "area_mu", "stage"]].merge(
        parcels[["parcel_code", "supply_date"]], on="parcel_code", how="left")
    p["area_mu"] = _num(p["area_mu"]).fillna(0.0)
    sy = pd.to_datetime(p["supply_date"], errors="coerce").dt.year
    recent = sy.between(year - ABSORPTION_YEARS + 1, year)
    p["absorbed"] = p["area_mu"].where(recent, 0.0)
    p["supplied"] = p["area_mu"].where(p["stage"].isin(policy.intensive.supplied_stages), 0.0)
    p["pilot_area_code"] = p["zone_code"].map(pa_of_zone)

    pay = f["pilot_area_years"]
    pay = pay[_num(pay["year"]) == year].drop_duplicates("pilot_area_code").set_index("pilot_area_code")

    def pay_col(codes: pd.Series, name: str) -> pd.Series:
        if name not in pay.columns:
            return pd.Series(pd.NA, index=codes.index, dtype="object")
        return codes.map(pay[name])

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
        out["score"] = _num(zy["score"]).reindex(idx)
        g = p.groupby("zone_code")
        out["annual_absorption_mu"] = (g["absorbed"].sum() / ABSORPTION_YEARS).reindex(idx).fillna(0.0)
        out["supplied_mu"] = g["supplied"].sum().reindex(idx).fillna(0.0)
        # share of the pilot area's supplied land (all its zones, not only the report's)
        pa_sup = p.groupby("pilot_area_code")["supplied"].sum()
        pa_nz = zones.groupby("pilot_area_code")["zone_code"].nunique()
        tot = pac.map(pa_sup).astype("float64")
        nz = pac.map(pa_nz).astype("float64")
        share = (out["supplied_mu"] / tot).where(tot > 0, 1.0 / nz)
        out["supplied_share"] = share.astype("float64")
        out["approved_unsupplied_mu"] = _num(pay_col(pac, "approved_unsupplied_mu")) * out["supplied_share"]
        ranks = zr[["zone_code", "year", "rank"]].copy()
        key = "zone_code"
    else:
        par = f["pilot_area_results"]
        py = par[(_num(par["year"]) == year) & (par["pilot_area_code"] != PROVINCE)]
        py = py.drop_duplicates("pilot_area_code").set_index("pilot_area_code")
        if pilot_area is not None:
            py = py[py.index == pilot_area]
        idx = pd.Index(sorted(py.index), name="pilot_area_code")
        out = pd.DataFrame(index=idx)
        out["name"] = py["pilot_area_name"].reindex(idx)
        out["score"] = _num(py["score"]).reindex(idx)
        g = p.groupby("pilot_area_code")
        out["annual_absorption_mu"] = (g["absorbed"].sum() / ABSORPTION_YEARS).reindex(idx).fillna(0.0)
        out["supplied_mu"] = g["supplied"].sum().reindex(idx).fillna(0.0)
        out["supplied_share"] = 1.0
        out["approved_unsupplied_mu"] = _num(pay_col(idx.to_series(), "approved_unsupplied_mu"))
        ranks = par[par["pilot_area_code"] != PROVINCE][["pilot_area_code", "year", "rank"]].copy()
        pac = idx.to_series()
        key = "pilot_area_code"
    out["base"] = out["annual_absorption_mu"]
    for c in ("idle_disposal_done", "unsupplied_disposal_done"):
        out[c] = pd.array([None if pd.isna(v) else bool(v) for v in pay_col(pac, c)], dtype="boolean")
    ranks["year"] = _num(ranks["year"])
    ranks["rank"] = _num(ranks["rank"])
    streak = last_rank_streak(ranks.dropna(), key=key, year=year) if len(ranks.dropna()) else pd.Series(dtype="int64")
    out["last_rank_streak"] = streak.reindex(idx).fillna(0).astype("int64")
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
        stored = store.read(name, year=year).set_index(key)
        hit = alloc.index.intersection(stored.index)
        stored.loc[hit, "quota_mu"] = alloc.loc[hit, "quota_mu"].astype("float64")
        stored.loc[hit, "quota_explanation"] = alloc.loc[hit, "quota_explanation"]
        store.replace_results({name: stored.reset_index()}, year=year)
        accounts.audit(store, actor, "quota_save", f"year={year} level={level} total_mu={total_mu} "
                       f"pilot_area={pilot_area or '*'} policy={policy.hash}")
    out = alloc.copy()
    out.index.name = "unit"
    if "name" in units.columns:
        out.insert(0, "name", units["name"].reindex(out.index))
    return out.reset_index()
