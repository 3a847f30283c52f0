"""What the evaluator's report shows, read from the stored results (docs/domain.md).

:func:`collect_report_data` reads the results of one year (and every year for the trajectories)
from the store and gathers them in a :class:`ReportData`; the Excel and HTML writers only format
it. Nothing is recomputed except what the store does not keep:

- the weighted components of the composite score (``evaluation.scoring.composite_score`` re-run
  on the stored zone / pilot-area rows with the given policy; a note says so when the recomputed
  score differs from the stored one, i.e. the policy changed since ``landuse evaluate``);
- the ranked target list (:func:`landuse.services.results.targets`, the one the CLI and web use);
- the quota recommendation, when ``zone_results.quota_mu`` is empty and a total is given
  (:func:`landuse.services.quota.quota_units` + ``evaluation.quota.allocate_quota``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from landuse.core.contract import PROVINCE, province_code, province_mask
from landuse.core.errors import LanduseError
from landuse.core.labels import BLOCKED_LABELS, PERCENT_COLUMNS, ZONE_TYPE_LABELS, header


class ReportError(LanduseError):
    """The report cannot be made (no results for the year, unknown pilot area)."""


@dataclass
class ReportData:
    """Everything a report shows, for one year (and optionally one pilot area)."""

    year: int
    policy: Any
    policy_version: str
    policy_hash: str
    pilot_area: str | None
    pilot_area_name: str | None
    #: zone_results of the year (zones of the report), sorted by zone_code, no geometry
    zones: pd.DataFrame
    #: zone_results of every year (zones of the report)
    zones_history: pd.DataFrame
    #: pilot_area_results of the year (the report's pilot areas, plus the PROVINCE row when present)
    pilot_areas: pd.DataFrame
    pilot_areas_history: pd.DataFrame
    #: building_results of the year
    buildings: pd.DataFrame
    #: enterprise_results of the year
    enterprises: pd.DataFrame
    #: parcel_results of the year, no geometry
    parcels: pd.DataFrame
    flags: pd.DataFrame
    #: evaluation.targets.target_list of the year (ranked within the report's zones)
    targets: pd.DataFrame
    #: per zone: c_<comp> attainment, r_<comp> raw, n_<comp> normalised, w_<comp> weighted points
    #: (sum = score), score; score_expert/rank_expert and score_entropy/rank_entropy side by side,
    #: rank_provisional, score_missing, score_not_applicable
    score_parts: pd.DataFrame
    score_weights: pd.Series
    #: same for pilot areas (None when it cannot be computed)
    pilot_score_parts: pd.DataFrame | None
    pilot_score_weights: pd.Series | None
    #: quota table per zone (allocate_quota output + units), or None
    quota: pd.DataFrame | None
    #: 'stored' | 'computed' | None
    quota_source: str | None
    total_quota_mu: int | None
    quota_note: str
    notes: list[str] = field(default_factory=list)
    #: both weight sets of the zone scores (columns expert, entropy; entropy NaN when not computable)
    score_weight_sets: pd.DataFrame | None = None
    #: how the quota total is made (Σ quota = N + Σ bonus − Σ penalty), for a computed quota
    quota_summary: str | None = None
    #: zone_survey_results of the survey each zone's figures used this year (TD/T 1029 on the survey)
    survey: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: why each zone, pilot area and the province moved since the baseline year
    #: (landuse.services.compare.bridge_table; empty when the baseline year has no results)
    bridges: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: which result version the report shows (landuse.services.results.version_label)
    version_label: str | None = None
    #: 低效用地处置进展: per zone and the province (landuse.services.ledger.progress); empty without a ledger
    ledger: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def zone_names(self) -> dict[str, str]:
        return dict(zip(self.zones["zone_code"], self.zones["zone_name"].fillna(""), strict=False))

    @property
    def summary(self) -> dict[str, Any]:
        """Headline counts (see the 摘要 sheet)."""
        z = self.zones
        pa = self.pilot_areas[~province_mask(self.pilot_areas["pilot_area_code"])]
        g = self.enterprises["grade"]
        return {
            "zones": len(z),
            "pilot_areas": len(pa),
            "parcels": len(self.parcels),
            "developed_mu": float(pd.to_numeric(z["developed_mu"], errors="coerce").sum()),
            "zones_growth_assessed": int(z["goal_met"].notna().sum()),
            "zones_provisional": int(z["provisional"].fillna(False).astype(bool).sum()) if "provisional" in z else 0,
            "zones_growth_met": int(z["goal_met"].fillna(False).astype(bool).sum()),
            "zones_on_track": int(z["on_track"].fillna(False).astype(bool).sum()),
            "pilot_areas_growth_assessed": int(pa["goal_met"].notna().sum()),
            "pilot_areas_provisional": int(pa["provisional"].fillna(False).astype(bool).sum()) if "provisional" in pa else 0,
            "pilot_areas_growth_met": int(pa["goal_met"].fillna(False).astype(bool).sum()),
            "zones_occupancy_assessed": int(z["occupancy_met"].notna().sum()),
            "zones_occupancy_met": int(z["occupancy_met"].fillna(False).astype(bool).sum()),
            "pilot_areas_occupancy_assessed": int(pa["occupancy_met"].notna().sum()),
            "pilot_areas_occupancy_met": int(pa["occupancy_met"].fillna(False).astype(bool).sum()),
            "flagged_parcels": int(self.targets["parcel_code"].nunique()) if len(self.targets) else 0,
            "flagged_mu": float(pd.to_numeric(self.targets["area_mu"], errors="coerce").sum()) if len(self.targets) else 0.0,
            "enterprises": len(self.enterprises),
            "graded": int(g.notna().sum()),
            "grades": {k: int((g == k).sum()) for k in ("A", "B", "C", "D")},
            "buildings_accepted": int(self.buildings["accepted"].fillna(False).astype(bool).sum()) if len(self.buildings) else 0,
        }


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df.drop(columns=["geometry"], errors="ignore")).reset_index(drop=True)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


# ----------------------------------------------------------------------------------------------
# score parts
# ----------------------------------------------------------------------------------------------


def _score_parts(rows: pd.DataFrame, *, policy, key: str, pilot_targets=None, sets: bool = False):
    """Weighted points per component: w_<c> = 100 × weight × normalised / Σ weights of the components
    that apply (no data: 0 points; not applicable: no points and out of the denominator). With
    ``sets`` also the expert and entropy weights side by side."""
    from evaluation.scoring import composite_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = composite_score(rows, policy=policy, pilot_targets=pilot_targets, key=key)
    t = cs.table.copy()
    names = list(cs.weights.index)
    n = t[[f"n_{c}" for c in names]].to_numpy(dtype="float64")
    w = cs.weights.to_numpy(dtype="float64")
    applies = np.column_stack([(t[f"s_{c}"] != "not_applicable").to_numpy() for c in names]) if names else n
    den = applies.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, c in enumerate(names):
            t[f"w_{c}"] = np.where(applies[:, j] & (den > 0), 100.0 * w[j] * np.nan_to_num(n[:, j]) / den, np.nan)
    t.index.name = key
    if sets:
        ws = pd.DataFrame({"expert": cs.weights_expert,
                           "entropy": cs.weights_entropy if cs.weights_entropy is not None else np.nan})
        return t.reset_index(), cs.weights, ws
    return t.reset_index(), cs.weights


# ----------------------------------------------------------------------------------------------
# collect
# ----------------------------------------------------------------------------------------------


def name_provinces(pa: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``pa`` (pilot_area_results rows) with its whole-province rows named 全省 / 全省（36）, a copy."""
    from landuse.core.labels import unit_name

    out = pa.copy()
    prov = province_mask(out["pilot_area_code"])
    out.loc[prov, "pilot_area_name"] = [unit_name(c, None, lang) for c in out.loc[prov, "pilot_area_code"]]
    return out


def collect_report_data(store, *, year: int, policy, pilot_area: str | None = None,
                        total_quota_mu: int | None = None) -> ReportData:
    """Read the stored results of ``year`` (and the history) for the report; see the module docstring."""
    from evaluation.pilot_targets import pilot_area_targets
    from evaluation.quota import allocate_quota
    from landuse.services.quota import quota_units
    from landuse.core.labels import STALE_RESULTS
    from landuse.services.results import is_stale as results_stale
    from landuse.services.results import targets as target_list_of

    notes: list[str] = []
    zones_in = _plain(store.read("zones"))
    zr_all = _plain(store.read("zone_results", geometry=False))
    zr_all["year"] = zr_all["year"].astype("Int64")
    if not (zr_all["year"] == year).any():
        raise ReportError(f"{year} 年尚无评价结果，请先运行 landuse evaluate --year {year} / "
                          f"no results for {year}: run `landuse evaluate --year {year}` first")
    par_all = _plain(store.read("pilot_area_results"))
    par_all["year"] = par_all["year"].astype("Int64")
    pa_name = None
    codes: list[str] | None = None
    if pilot_area is not None:
        sel = zones_in[zones_in["pilot_area_code"] == pilot_area]
        if sel.empty:
            known = ", ".join(sorted(zones_in["pilot_area_code"].dropna().unique()))
            raise ReportError(f"未知试验区 {pilot_area} / unknown pilot area {pilot_area}; known: {known}")
        codes = sorted(sel["zone_code"])
        names = sel["pilot_area_name"].dropna()
        pa_name = str(names.iloc[0]) if len(names) else None

    def zsel(df: pd.DataFrame) -> pd.DataFrame:
        return df if codes is None else df[df["zone_code"].isin(codes)]

    zy_full = zr_all[zr_all["year"] == year].sort_values("zone_code").reset_index(drop=True)
    zones = zsel(zy_full).reset_index(drop=True)
    zones_history = zsel(zr_all).sort_values(["zone_code", "year"]).reset_index(drop=True)
    pa_keep = (lambda s: s.isin([pilot_area, PROVINCE, province_code(pilot_area[:2])])) if pilot_area else (lambda s: s.notna())
    pay_full = par_all[par_all["year"] == year].sort_values("pilot_area_code").reset_index(drop=True)
    pilot_areas = pay_full[pa_keep(pay_full["pilot_area_code"])].reset_index(drop=True)
    # the province row last
    prov = province_mask(pilot_areas["pilot_area_code"])
    pilot_areas = pd.concat([pilot_areas[~prov], pilot_areas[prov]], ignore_index=True)
    pah = par_all[pa_keep(par_all["pilot_area_code"])].sort_values(["pilot_area_code", "year"]).reset_index(drop=True)
    if pa_name is None and pilot_area is not None and len(pilot_areas):
        pa_name = pilot_areas.loc[pilot_areas["pilot_area_code"] == pilot_area, "pilot_area_name"].dropna().head(1).squeeze() or None

    parcels = _plain(store.read("parcel_results", year=year, zones=codes, geometry=False))
    flags = _plain(store.read("flags", year=year, zones=codes))
    buildings = _plain(store.read("building_results", year=year, zones=codes))
    er_full = _plain(store.read("enterprise_results", year=year))
    enterprises = zsel(er_full).reset_index(drop=True) if codes is not None else er_full

    targets = target_list_of(store, year=year, policy=policy, zones=codes)
    if results_stale(store, year):
        notes.append(" / ".join(STALE_RESULTS))

    pv = zones["policy_version"].dropna()
    ph = zones["policy_hash"].dropna()
    policy_version = str(pv.iloc[0]) if len(pv) else policy.version
    policy_hash = str(ph.iloc[0]) if len(ph) else policy.hash
    if policy_hash != policy.hash:
        notes.append(f"库存结果由政策 {policy_version}（{policy_hash}）计算，本报告使用的政策为 {policy.version}（{policy.hash}）；"
                     "得分分解与指标测算按本报告政策重算。 / Stored results were computed with another policy "
                     "version; score parts and quota use this report's policy.")

    # score parts (province-wide scoring, then restricted)
    parts, weights, weight_sets = _score_parts(zy_full, policy=policy, key="zone_code", sets=True)
    parts = parts[parts["zone_code"].isin(zones["zone_code"])].drop(columns=["rank", "rank_change"])
    parts = zones[["zone_code", "zone_name", "score", "rank", "rank_change"]].rename(
        columns={"score": "stored_score"}).merge(parts, on="zone_code", how="left")
    diff = (parts["score"] - _num(parts["stored_score"])).abs()
    if (diff > 1e-6).any():
        notes.append("按当前政策重算的综合得分与库存结果不一致，得分分解仅供参考。 / The recomputed composite "
                     "score differs from the stored one; the breakdown is indicative.")
    pparts = pweights = None
    try:
        pt = pilot_area_targets(_plain(store.read("pilot_area_years")), pay_full,
                                _plain(store.read("enterprise_years", year=year)), er_full,
                                year=year, policy=policy, zones=zones_in)
        pp, pweights = _score_parts(pay_full, policy=policy, key="pilot_area_code", pilot_targets=pt)
        pp = pp.drop(columns=["rank", "rank_change"])
        keep = pilot_areas[~province_mask(pilot_areas["pilot_area_code"])]
        pparts = keep[["pilot_area_code", "pilot_area_name", "score", "rank", "rank_change"]].rename(
            columns={"score": "stored_score"}).merge(pp, on="pilot_area_code", how="left")
        for c in ("targets_met", "targets_total"):
            pparts[c] = pparts["pilot_area_code"].map(keep.set_index("pilot_area_code")[c])
    except Exception as exc:  # noqa: BLE001 - the breakdown is optional; say why it is missing
        notes.append(f"试验区得分分解无法计算 / pilot-area score breakdown unavailable: {exc}")

    # quota
    quota = None
    source = None
    qsummary = None
    qnote = policy.quota.note
    stored_q = _num(zones["quota_mu"])
    if len(zones) and stored_q.notna().any():
        quota = zones[["zone_code", "zone_name", "pilot_area_code", "score", "quota_mu", "quota_explanation"]].copy()
        source = "stored"
    elif total_quota_mu is not None:
        units = quota_units(
            {"zones": zones_in, "parcels": _plain(store.read("parcels", zones=codes)), "parcel_results": parcels,
             "zone_results": zr_all, "pilot_area_results": par_all, "pilot_area_years": _plain(store.read("pilot_area_years"))},
            year=year, policy=policy, level="zone", pilot_area=pilot_area)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            alloc = allocate_quota(units, total_mu=int(total_quota_mu), policy=policy)
        for w in caught:
            notes.append(f"指标测算提示 / quota warning: {w.message}")
        q = units.drop(columns=["score"]).join(alloc)
        q.index.name = "zone_code"
        quota = q.reset_index().rename(columns={"name": "zone_name"})
        qsummary = alloc.attrs.get("summary")
        source = "computed"
    survey = _survey_rows(store, zones)
    from landuse.services.compare import bridge_table
    from landuse.services.ledger import progress as ledger_progress, read_ledger
    from landuse.services.results import version_label

    bridges = bridge_table(store, policy=policy, year=year, zones=codes)
    if pilot_area is not None and len(bridges):
        bridges = bridges[(bridges["level"] == "zone") | (bridges["code"] == pilot_area)].reset_index(drop=True)
    ledger = ledger_progress(store, year=year, zones=codes) if len(read_ledger(store, zones=codes)) else pd.DataFrame()
    return ReportData(
        bridges=bridges, version_label=version_label(store, year),
        survey=survey, ledger=ledger,
        year=year, policy=policy, policy_version=policy_version, policy_hash=policy_hash,
        pilot_area=pilot_area, pilot_area_name=pa_name, zones=zones, zones_history=zones_history,
        pilot_areas=pilot_areas, pilot_areas_history=pah, buildings=buildings, enterprises=enterprises,
        parcels=parcels, flags=flags, targets=targets, score_parts=parts.reset_index(drop=True),
        score_weights=weights, pilot_score_parts=pparts, pilot_score_weights=pweights,
        quota=quota, quota_source=source, total_quota_mu=total_quota_mu, quota_note=qnote, notes=notes,
        score_weight_sets=weight_sets, quota_summary=qsummary,
    )


def _survey_rows(store, zones: pd.DataFrame) -> pd.DataFrame:
    """zone_survey_results of the survey each zone's intensive-use figures used (``intensive_basis``
    'survey:<year>'), in the order zone, 主区, 发展方向区, 全区."""
    if "intensive_basis" not in zones.columns or len(zones) == 0:
        return pd.DataFrame()
    used = {z: int(b.split(":")[1]) for z, b in zip(zones["zone_code"], zones["intensive_basis"], strict=True)
            if isinstance(b, str) and b.startswith("survey:")}
    if not used:
        return pd.DataFrame()
    sv = _plain(store.read("zone_survey_results", zones=sorted(used)))
    keep = [used.get(z) == int(y) for z, y in zip(sv["zone_code"], sv["survey_year"], strict=True)]
    sv = sv[np.asarray(keep, dtype=bool)].copy()
    order = {"主区": 0, "发展方向区": 1, "全区": 2}
    sv["_o"] = sv["range"].map(order).fillna(3)
    return sv.sort_values(["zone_code", "_o"]).drop(columns="_o").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# labels shared by the Excel and HTML writers (the words themselves live in landuse.core.labels)
# ----------------------------------------------------------------------------------------------

__all__ = ["BLOCKED_LABELS", "PERCENT_COLUMNS", "PROVINCE", "ZONE_TYPE_LABELS", "ReportData", "collect_report_data",
           "component_label", "label"]


def component_label(policy, name: str, lang: str = "zh") -> str:
    spec = policy.score.components.get(name)
    if lang == "zh":
        return (spec.zh if spec is not None and spec.zh else name)
    return {"intensive": "intensive land use", "growth": "per-mu revenue growth", "occupancy": "occupancy",
            "pilot_targets": "pilot-area targets", "unflagged": "land not flagged"}.get(name, name)


def label(name: str, layer: str | None = None, lang: str = "zh", policy=None) -> str:
    """The header of a column: score parts by their component, else :func:`landuse.core.labels.header`."""
    i = 0 if lang == "zh" else 1
    if policy is not None and name[:2] in ("w_", "c_", "n_"):
        comp = component_label(policy, name[2:], lang)
        pre = {"w_": ("得分:", "points: "), "c_": ("完成度:", "attainment: "), "n_": ("标准化:", "normalised: ")}[name[:2]]
        return pre[i] + comp + ("(分)" if name[:2] == "w_" and lang == "zh" else "")
    return header(name, layer, lang)
