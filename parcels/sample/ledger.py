"""A disposal ledger (处置台账) for the sample: a campaign begun in earlier years, so the demo shows
entries completed (fee collected, land taken back, a new start date agreed), in progress past their
deadline, open, and written off after checking. Written as ``_disposals.csv`` (contract column
names, docs/data-package.md ``disposals``; the leading ``_`` keeps the data import from reading it);
``landuse demo`` and ``landuse ledger import _disposals.csv`` load it.

Its own random stream (seed + 15), so the rest of the sample does not change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from landuse.core.units import M2_PER_MU

COLUMNS = ["parcel_code", "rule", "method", "responsible", "opened", "deadline", "status", "closed", "disposed_mu",
           "fee_collected_wan", "note", "planned_mu", "reason"]
UNITS = ("管委会国土规划局", "管委会经济发展局", "管委会建设局", "县自然资源局")


def _d(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def sample_ledger(seed: int, parcels: pd.DataFrame) -> pd.DataFrame:
    """Entries on idle land (not started a year after the agreed date, by mid-2023) and on low or
    stopped producers, with dates in 2022–2025."""
    rng = np.random.default_rng(seed + 15)
    p = parcels.copy()
    if "retired_date" in p.columns:
        p = p[p["retired_date"].isna()]
    for c in ("agreed", "start", "compl"):
        p[c] = pd.to_datetime(p[c], errors="coerce")
    p["mu"] = pd.to_numeric(p["area"], errors="coerce") / M2_PER_MU
    idle = p[p["start"].isna() & p["agreed"].notna() & (p["agreed"] <= pd.Timestamp("2022-06-30"))
             & ~p["gov_delay"].astype(bool)].sort_values("parcel_code")
    low = p[p["perf"].isin(["low", "stopped"]) & p["compl"].notna()].sort_values("parcel_code")
    rows = []
    for r in idle.groupby("zone_code", sort=True).head(2).itertuples(index=False):  # spread over the zones
        idle_from = r.agreed + pd.DateOffset(years=1)
        opened = max(idle_from + pd.Timedelta(days=30), pd.Timestamp("2022-03-01"))
        u = rng.random()
        unit = UNITS[int(rng.integers(len(UNITS)))]
        fee = round(0.2 * r.land_price_wan, 1) if pd.notna(r.land_price_wan) else None
        base = {"parcel_code": r.parcel_code, "rule": "idle", "responsible": unit, "opened": _d(opened),
                "planned_mu": round(r.mu, 2)}
        if u < 0.35:  # the fee collected
            closed = opened + pd.Timedelta(days=int(rng.integers(40, 120)))
            rows.append(base | {"method": "征缴闲置费", "status": "已完成", "deadline": _d(opened + pd.Timedelta(days=180)),
                                "closed": _d(closed), "fee_collected_wan": fee, "note": "闲置费已缴入国库"})
        elif u < 0.55:  # taken back two years on
            start = max(r.agreed + pd.DateOffset(years=2), opened)
            closed = start + pd.Timedelta(days=int(rng.integers(90, 240)))
            if closed > pd.Timestamp("2025-06-30"):
                closed = pd.Timestamp("2025-06-30")
            rows.append(base | {"method": "收回", "status": "已完成", "deadline": _d(closed + pd.Timedelta(days=60)),
                                "closed": _d(closed), "disposed_mu": round(r.mu, 2), "note": "依法无偿收回，纳入储备"})
        elif u < 0.7:  # a new start date agreed (Art. 12)
            closed = opened + pd.Timedelta(days=int(rng.integers(30, 90)))
            rows.append(base | {"method": "延长动工期限", "status": "已完成", "deadline": _d(closed + pd.DateOffset(years=1)),
                                "closed": _d(closed), "note": "签订补充协议，约定新的动工期限"})
        elif u < 0.88:  # the fee announced, not paid: overdue
            rows.append(base | {"method": "征缴闲置费", "status": "处置中", "deadline": _d(opened + pd.Timedelta(days=150)),
                                "fee_collected_wan": round(fee * 0.3, 1) if fee else None, "note": "已下达缴费通知，部分缴纳"})
        else:  # written off after checking
            closed = opened + pd.Timedelta(days=int(rng.integers(30, 120)))
            rows.append(base | {"method": "其他", "status": "已核销", "closed": _d(closed),
                                "reason": "复核为规划调整造成延迟（政府原因），不属闲置"})
    for r in low.groupby("zone_code", sort=True).head(2).itertuples(index=False):
        rule = "production_stopped" if r.perf == "stopped" else "low_tax"
        method = {"production_stopped": "腾笼换鸟", "low_tax": str(rng.choice(["技改增容", "二次开发", "兼并重组"]))}[rule]
        opened = pd.Timestamp("2023-03-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
        unit = UNITS[int(rng.integers(len(UNITS)))]
        base = {"parcel_code": r.parcel_code, "rule": rule, "method": method, "responsible": unit, "opened": _d(opened),
                "planned_mu": round(r.mu, 2)}
        u = rng.random()
        if u < 0.3 and opened < pd.Timestamp("2024-06-30"):
            closed = opened + pd.Timedelta(days=int(rng.integers(120, 300)))
            rows.append(base | {"status": "已完成", "deadline": _d(closed + pd.Timedelta(days=30)), "closed": _d(closed),
                                "disposed_mu": round(r.mu * float(rng.uniform(0.5, 1.0)), 2), "note": "已完成整治"})
        elif u < 0.7:
            rows.append(base | {"status": "处置中", "deadline": _d(min(opened + pd.Timedelta(days=365),
                                                                       pd.Timestamp("2025-09-30"))),
                                "note": "正在实施"})
        elif u < 0.9:
            rows.append(base | {"status": "待处置", "deadline": "2026-06-30"})
        else:
            rows.append(base | {"status": "已核销", "closed": _d(opened + pd.Timedelta(days=60)),
                                "reason": "企业经营已恢复，复核不再认定"})
    return pd.DataFrame(rows, columns=COLUMNS)


def write_ledger(out: Path, seed: int, parcels: pd.DataFrame) -> Path:
    path = Path(out) / "_disposals.csv"
    sample_ledger(seed, parcels).to_csv(path, index=False, encoding="utf-8-sig")
    return path
