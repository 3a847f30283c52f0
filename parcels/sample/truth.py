"""Ground truth (``_truth.csv``): the flags a correct evaluation must find as of 2025, computed from
the written data; 2025 figures near the low-output thresholds are nudged out of the band first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.core.units import M2_PER_MU
from parcels.sample.config import END, INDUSTRIAL_USE, day


def _parcel_output(F, Y25, L, B):
    """Per-parcel 2025 revenue/tax/investment with the floor-area-share conversion (docs/domain.md §5)."""
    area = F["area"].to_numpy()
    fa = F["floor_area_m2"].fillna(0).to_numpy()
    pc = F["parcel_code"].to_numpy()
    pidx = pd.Series(np.arange(len(F)), index=pc)
    use = []
    if len(L):
        cur = L[(L["start_date"] <= END) & (L["end_date"].isna() | (L["end_date"] >= END))]
        bpar = B.set_index("building_code")["parcel_code"] if len(B) else pd.Series(dtype=object)
        par = cur["parcel_code"].where(cur["parcel_code"].notna(), cur["building_code"].map(bpar))
        pi = pidx.reindex(par.to_numpy()).to_numpy()
        share = cur["floor_area_m2"].to_numpy() / np.maximum(fa[pi], 1e-9)
        use.append(pd.DataFrame({"uscc": cur["uscc"].to_numpy(), "pi": pi, "land": area[pi] * share}))
        leased_share = pd.Series(share).groupby(pi).sum().reindex(np.arange(len(F))).fillna(0).to_numpy()
    else:
        leased_share = np.zeros(len(F))
    h = F["holder_uscc"].notna().to_numpy()
    use.append(pd.DataFrame({"uscc": F["holder_uscc"].to_numpy()[h], "pi": np.flatnonzero(h),
                             "land": area[h] * np.clip(1 - leased_share[h], 0, 1)}))
    U = pd.concat(use, ignore_index=True)
    U["tot"] = U.groupby("uscc")["land"].transform("sum")
    y = Y25.set_index("uscc")
    w = U["land"] / U["tot"].where(U["tot"] > 0)
    U["rev"] = y["revenue_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    U["tax"] = y["tax_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    U["inv"] = y["fixed_asset_investment_wan"].reindex(U["uscc"]).fillna(0).to_numpy() * w
    s = U.groupby("pi")[["rev", "tax", "inv"]].sum().reindex(np.arange(len(F))).fillna(0)
    s.attrs.clear()
    return s, U[["uscc", "pi"]]


def truth_table(F: pd.DataFrame, Y: pd.DataFrame, L: pd.DataFrame, B: pd.DataFrame, specs: list[dict]):
    industrial = np.array([(s, c) in INDUSTRIAL_USE for s, c in zip(F["scheme"], F["code"])])
    area = F["area"].to_numpy()
    mu = area / M2_PER_MU
    compl = F["compl"].to_numpy()
    developed = industrial & ~pd.isna(compl) & (compl <= END)
    holder = F["holder_uscc"].to_numpy()
    amb = 0
    for _ in range(6):
        Y25 = Y[Y["year"] == 2025]
        s, users = _parcel_output(F, Y25, L, B)
        d = pd.DataFrame({"zone": F["zone_i"].to_numpy(), "rev": s["rev"].to_numpy(), "tax": s["tax"].to_numpy(),
                          "mu": mu})[developed]
        zs = d.groupby("zone")[["rev", "tax", "mu"]].sum()
        zrev = (zs["rev"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
        ztax = (zs["tax"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
        rr = s["rev"].to_numpy() / mu / zrev
        rt = s["tax"].to_numpy() / mu / ztax
        band = developed & (((rr > 0.42) & (rr < 0.6)) | ((rt > 0.27) & (rt < 0.40)))
        amb = int(band.sum())
        if amb == 0:
            break
        # nudge: scale the 2025 figures of the holders of ambiguous parcels out of the band
        with np.errstate(divide="ignore", invalid="ignore"):
            f_up = np.maximum(np.where((rr > 0.42) & (rr < 0.6), 0.62 / rr, 1.0),
                              np.where((rt > 0.27) & (rt < 0.4), 0.42 / rt, 1.0))
        # every user of an ambiguous parcel (holder and tenants in force) is scaled up
        ub = users[band[users["pi"].to_numpy()]]
        nb = pd.DataFrame({"u": ub["uscc"].to_numpy(), "f": f_up[ub["pi"].to_numpy()] * 1.03}).groupby("u")["f"].max()
        m = (Y["year"] == 2025).to_numpy() & Y["uscc"].isin(nb.index).to_numpy()
        fac = nb.reindex(Y.loc[m, "uscc"]).to_numpy()
        for c in ("revenue_wan", "tax_wan", "value_added_wan"):
            Y.loc[m, c] = np.round(Y.loc[m, c].to_numpy() * fac, 2)
    Y25 = Y[Y["year"] == 2025]
    s, _ = _parcel_output(F, Y25, L, B)
    d = pd.DataFrame({"zone": F["zone_i"].to_numpy(), "rev": s["rev"].to_numpy(), "tax": s["tax"].to_numpy(), "mu": mu})[developed]
    zs = d.groupby("zone")[["rev", "tax", "mu"]].sum()
    zrev = (zs["rev"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
    ztax = (zs["tax"] / zs["mu"]).reindex(F["zone_i"]).to_numpy()
    rpm = s["rev"].to_numpy() / mu
    tpm = s["tax"].to_numpy() / mu
    ipm = s["inv"].to_numpy() / mu
    rr, rt = rpm / zrev, tpm / ztax
    amb = int((developed & (((rr > 0.45) & (rr < 0.55)) | ((rt > 0.30) & (rt < 0.37)))).sum())
    F["rev_per_mu_2025"] = rpm

    rows: list[tuple] = []
    codes = F["parcel_code"].to_numpy()

    def add(mask, label, detail):
        ii = np.flatnonzero(mask)
        det = [detail] * len(ii) if isinstance(detail, str) else list(np.asarray(detail, dtype=object)[ii])
        rows.extend(zip(codes[ii], [label] * len(ii), det))

    supplied = ~pd.isna(F["supply"].to_numpy())
    started = ~pd.isna(F["start"].to_numpy())
    agreed = F["agreed"].to_numpy()
    gov = F["gov_delay"].to_numpy()
    notstarted_old = industrial & supplied & ~started & ~pd.isna(agreed) & (agreed <= day("2024-12-31"))
    ag = pd.Series(agreed).dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    add(notstarted_old & ~gov, "idle_not_started", np.array([f"agreed_start_date {a}, not started" for a in ag], dtype=object))
    add(notstarted_old & gov, "government_delay", np.array([f"agreed_start_date {a}, not started, government delay" for a in ag], dtype=object))
    hs = F["halted"].to_numpy()
    devd = F["developed_area_m2"].to_numpy()
    inv = F["invested_wan"].to_numpy()
    plan = F["planned_investment_wan"].to_numpy()
    under = (devd < area / 3) | (inv < 0.25 * plan)
    halted = industrial & started & pd.isna(compl) & ~pd.isna(hs) & (hs <= day("2024-12-31")) & under
    add(halted, "halted_underbuilt", np.array([f"developed {a / b:.0%}, invested {c / e:.0%}" for a, b, c, e in zip(devd, area, inv, plan)], dtype=object))
    far = F["floor_area_m2"].to_numpy() / area
    cov = F["footprint_area_m2"].to_numpy() / area
    add(developed & (far < 1.0), "low_far", np.array([f"FAR {x:.2f}" for x in far], dtype=object))
    add(developed & (cov < 0.30), "low_coverage", np.array([f"coverage {x:.2f}" for x in cov], dtype=object))
    lowo = developed & ((rr < 0.5) | (rt < 1 / 3))
    add(lowo, "low_output", np.array([f"revenue/mu {a:.0f} = {x:.0%} of zone, tax/mu {b:.1f} = {y:.0%} of zone"
                                      for a, x, b, y in zip(rpm, rr, tpm, rt)], dtype=object))
    y25 = Y25.set_index("uscc")
    hrev = y25["revenue_wan"].reindex(holder).to_numpy()
    htax = y25["tax_wan"].reindex(holder).to_numpy()
    add(developed & (hrev == 0) & (htax == 0), "production_stopped", "holder revenue and tax 0 in 2025")
    obs = F["obsolete"].fillna(False).to_numpy().astype(bool) | F["env_fail"].fillna(False).to_numpy().astype(bool)
    add(obs, "obsolete", np.array(["obsolete_industry" if o else "env_safety_fail" for o in F["obsolete"].fillna(False)], dtype=object))
    cm = F[["commit_inv", "commit_far", "commit_tax", "commit_rev"]].to_numpy()
    sl = F["standard_land"].to_numpy().astype(bool) & ~np.isnan(cm).any(axis=1) & developed
    accepted = sl & (compl <= day("2025-12-31"))  # completion acceptance: investment, FAR
    review = sl & (compl <= day("2023-12-31"))  # full-production review 2 years after completion: revenue, tax
    miss_r, miss_t = review & (rpm < cm[:, 3]), review & (tpm < cm[:, 2])
    miss_f, miss_i = accepted & (far < cm[:, 1]), accepted & (ipm < cm[:, 0])
    # the acceptance also checks 建筑系数 ≥ 30 % and office land ≤ 7 % (docs/domain.md §10)
    office = F["office_area_m2"].to_numpy() / area
    any_sl = F["standard_land"].to_numpy().astype(bool) & developed & (compl <= day("2025-12-31"))
    miss_c, miss_o = any_sl & (cov < 0.30), any_sl & (office > 0.07)
    det = np.array([", ".join(n for n, b in zip(("revenue", "tax", "FAR", "investment", "coverage", "office"), bs) if b)
                    for bs in zip(miss_r, miss_t, miss_f, miss_i, miss_c, miss_o)], dtype=object)
    add(miss_r | miss_t | miss_f | miss_i | miss_c | miss_o, "standard_land_shortfall", np.array(["below commitment: " + x for x in det], dtype=object))
    T = pd.DataFrame(rows, columns=["parcel_code", "truth", "detail"])
    order = {k: i for i, k in enumerate(["idle_not_started", "halted_underbuilt", "low_far", "low_coverage", "low_output",
                                         "production_stopped", "obsolete", "standard_land_shortfall", "government_delay"])}
    T = T.assign(_o=T["truth"].map(order)).sort_values(["parcel_code", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return T, amb, Y
