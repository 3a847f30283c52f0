"""The whole yearly evaluation, pure: figures (issue 3), flags and grades (issue 4), intensive use
and composite scores (issue 5). The application layer reads the inputs and the earlier years'
results, calls :func:`evaluate_annual`, and stores what it returns.

Pilot areas' intensive-use score is the developed-area-weighted mean of their zones' scores
(TD/T 1029 scores zones; a pilot area is scored through the zones it manages).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from evaluation.core import evaluate_year
from evaluation.grading import grade_enterprises
from evaluation.intensive import intensive_use
from evaluation.pilot_targets import pilot_area_targets
from evaluation.rules import flag_parcels
from evaluation.scoring import composite_score, flagged_share
from evaluation.targets import apply_flag_summary
from landuse.columns import FLAGS, PILOT_AREA_RESULTS, ZONE_RESULTS

PROVINCE = "PROVINCE"
INTENSIVE_COLUMNS = ["development_rate", "supply_rate", "built_rate", "industrial_share", "far_overall",
                     "coverage_overall", "far_industrial", "coverage_industrial", "investment_intensity",
                     "tax_per_industrial_mu", "idle_rate", "zone_type", "intensive_score", "intensive_rank"]


def _prev(history: Mapping[str, pd.DataFrame] | None, name: str, year: int) -> pd.DataFrame | None:
    if not history or name not in history or history[name] is None or len(history[name]) == 0:
        return None
    h = history[name]
    return h[pd.to_numeric(h["year"], errors="coerce") < year]


def evaluate_annual(inputs: Mapping[str, pd.DataFrame], *, year: int, policy, as_of: date | None = None,
                    history: Mapping[str, pd.DataFrame] | None = None,
                    built_up: pd.Series | None = None, cache: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every results layer for ``year``: parcel_results, enterprise_results, zone_results,
    pilot_area_results, flags, building_results; plus ``pilot_targets`` (attainment table) and
    ``score_weights`` (the weights the composite score used), which are reported but not stored.

    ``history``: earlier years' ``enterprise_results`` (benchmarks, "D two years running") and
    ``zone_results`` / ``pilot_area_results`` (last year's ranks for the rank change).
    ``built_up``: parcel_code → built-up share from a raster (remote-sensing evidence).
    ``cache``: see :func:`evaluation.core.evaluate_year` (reuse across years of the same inputs).
    """
    res = evaluate_year(inputs, year=year, policy=policy, as_of=as_of, cache=cache)
    pr = res["parcel_results"].copy()
    er = res["enterprise_results"].copy()
    zr = res["zone_results"].copy()
    par = res["pilot_area_results"].copy()
    problems = res["parcel_results"].attrs.get("problems")
    if built_up is not None:
        pr["built_up_share"] = pr["parcel_code"].map(built_up).astype("float64")

    # enterprise grades (issue 4)
    hist_er = _prev(history, "enterprise_results", year)
    g = grade_enterprises(er, policy=policy, history=hist_er, enterprises=inputs.get("enterprises"))
    for c in g.columns:
        if c in er.columns:
            er[c] = g[c].astype(er[c].dtype) if str(er[c].dtype) != "object" else g[c].astype(object)
    grade_hist = hist_er[["uscc", "year", "grade"]] if hist_er is not None and "grade" in hist_er.columns else None

    # flags (issue 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flags = flag_parcels(pr, inputs=dict(inputs), enterprise_results=er, idle=None, policy=policy, year=year,
                             grade_history=grade_hist, built_up=built_up, as_of=as_of)
    flags = flags.reindex(columns=FLAGS.names)
    pr = apply_flag_summary(pr, flags)

    # intensive use (issue 5)
    iu = intensive_use(inputs["zones"], inputs["parcels"], pr, flags, policy=policy, year=year)
    zr = zr.set_index("zone_code")
    for c in INTENSIVE_COLUMNS:
        if c in iu.columns:
            zr[c] = iu[c].reindex(zr.index).to_numpy()
    fs = flagged_share(pr, flags)
    zr["flagged_share"] = fs.reindex(zr.index).to_numpy(dtype="float64")
    zr = zr.reset_index()

    # pilot areas: intensive score as developed-area-weighted mean of zone scores; flagged share
    zones = inputs["zones"][["zone_code", "pilot_area_code"]]
    zz = zr.merge(zones, on="zone_code", how="left", suffixes=("", "_z"))
    zz["pa"] = zz["pilot_area_code"].fillna(zz.get("pilot_area_code_z"))
    w = zz["developed_mu"].fillna(0.0)
    par = par.set_index("pilot_area_code")
    for key, grp in zz.groupby("pa"):
        ww = w.loc[grp.index]
        s = grp["intensive_score"]
        ok = s.notna() & (ww > 0)
        if key in par.index and ok.any():
            par.loc[key, "intensive_score"] = float(np.average(s[ok], weights=ww[ok]))
    pr_pa = pr.merge(zones, on="zone_code", how="left", suffixes=("", "_z"))
    pr_pa["pilot_area_code"] = pr_pa["pilot_area_code"] if "pilot_area_code" in pr_pa.columns else pr_pa["pilot_area_code_z"]
    fsp = flagged_share(pr_pa, flags.merge(pr_pa[["parcel_code", "pilot_area_code"]], on="parcel_code", how="left"),
                        key="pilot_area_code")
    par["flagged_share"] = fsp.reindex(par.index).to_numpy(dtype="float64")
    if PROVINCE in par.index:
        par.loc[PROVINCE, "flagged_share"] = float(flagged_share(pr.assign(_all=PROVINCE), flags.assign(_all=PROVINCE),
                                                                  key="_all").get(PROVINCE, np.nan))
    par = par.reset_index()

    # pilot-area targets of the seed (issue 5)
    pt = pilot_area_targets(inputs["pilot_area_years"], par, inputs["enterprise_years"], er, year=year, policy=policy,
                            zones=inputs["zones"])

    # composite scores and ranks (issue 5)
    prev_z = _prev(history, "zone_results", year)
    prev_zr = None
    if prev_z is not None and len(prev_z):
        last = prev_z[prev_z["year"] == prev_z["year"].max()]
        if int(last["year"].max()) == year - 1:
            prev_zr = last.set_index("zone_code")["rank"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cz = composite_score(zr, policy=policy, previous_ranks=prev_zr, key="zone_code")
    zr = zr.set_index("zone_code")
    for c in ("score", "rank", "rank_change"):
        zr[c] = cz.table[c].reindex(zr.index).to_numpy()
    zr = zr.reset_index()

    prev_p = _prev(history, "pilot_area_results", year)
    prev_pr = None
    if prev_p is not None and len(prev_p):
        last = prev_p[prev_p["year"] == prev_p["year"].max()]
        if int(last["year"].max()) == year - 1:
            prev_pr = last.set_index("pilot_area_code")["rank"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cp = composite_score(par, policy=policy, pilot_targets=pt, previous_ranks=prev_pr, key="pilot_area_code")
    par = par.set_index("pilot_area_code")
    for c in ("score", "rank", "rank_change"):
        par[c] = cp.table[c].reindex(par.index).to_numpy()
    if "targets_met" in pt.columns:
        par["targets_met"] = pt["targets_met"].reindex(par.index).to_numpy()
        par["targets_total"] = pt["targets_total"].reindex(par.index).to_numpy()
    par = par.reset_index()

    out = {
        "parcel_results": pr,
        "enterprise_results": er,
        "zone_results": zr.reindex(columns=ZONE_RESULTS.names),
        "pilot_area_results": par.reindex(columns=PILOT_AREA_RESULTS.names),
        "flags": flags,
        "building_results": res["building_results"],
        "pilot_targets": pt,
        "score_weights": pd.DataFrame({"zone": cz.weights, "pilot_area": cp.weights}),
    }
    if problems is not None:
        out["parcel_results"].attrs["problems"] = problems
    return out
