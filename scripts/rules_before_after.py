"""Print the small sample's (seed 1) 2025 figures the rules review looks at: flag counts by rule,
grade distribution, zone scores and the quota tilt (zone level, N = 1000 mu).

    PYTHONPATH=<tree> python scripts/rules_before_after.py <workdir>

Run it from the tree you want to measure (it imports whatever is first on PYTHONPATH)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd


def main(work: str) -> None:
    from landuse.core.policy import default_policy
    from landuse.services.evaluate import evaluate
    from landuse.services.imports import run_import
    from landuse.services.quota import quota
    from parcels.sample import write_sample
    from parcels.store import open_store

    root = Path(work)
    root.mkdir(parents=True, exist_ok=True)
    pol = default_policy()
    write_sample(root / "pkg", scale="small", seed=1)
    db = root / "w.gpkg"
    if db.exists():
        db.unlink()
    store = open_store(str(db), init=True)
    run_import(root / "pkg", store, policy=pol)
    warnings.simplefilter("ignore")
    evaluate(store, years=[2020, 2021, 2022, 2023, 2024, 2025], policy=pol)
    pd.set_option("display.width", 250, "display.max_columns", 40, "display.max_colwidth", 200, "display.max_rows", 200)

    fl = store.read("flags", year=2025)
    print("== flags 2025 by rule (rows, parcels, mu freed, 万元 gain)")
    g = fl.groupby("rule").agg(rows=("parcel_code", "size"), gain_mu=("gain_mu", "sum"), gain_wan=("gain_wan", "sum"))
    print(g.round(1).to_string())
    print("total rows", len(fl), "parcels", fl["parcel_code"].nunique())
    idle = fl[fl["rule"] == "idle"]
    print("idle actions:", idle["action"].str.split("（|，|：").str[0].value_counts().to_dict())
    cov = fl[fl["rule"] == "low_coverage"]
    print("low_coverage evidence:", cov["evidence"].str[:4].value_counts().to_dict())
    zr = store.read("zone_results", year=2025)
    print("flagged_share per zone:", zr.set_index("zone_code")["flagged_share"].round(3).to_dict())

    er = store.read("enterprise_results", year=2025)
    print("\n== grades 2025")
    print(er["grade"].fillna("none").value_counts().sort_index().to_string())
    print("by group:")
    print(er.dropna(subset=["grade"]).groupby(["grade_group", "grade"]).size().unstack(fill_value=0).to_string())
    notes = er.loc[er["grade"].isna(), "grade_note"].fillna("").str.split("，").str[0].value_counts()
    print("not graded, by reason:\n" + notes.to_string())

    print("\n== zone scores 2025")
    cols = [c for c in ("zone_code", "growth", "occupancy_rate", "occupancy_rate_count", "intensive_score",
                        "flagged_share", "score", "rank") if c in zr.columns]
    print(zr[cols].sort_values("rank").round(3).to_string(index=False))

    print("\n== quota 2025, zones, N = 1000 mu")
    q = quota(store, year=2025, total_mu=1000, policy=pol)
    keep = [c for c in q.columns if c not in ("note",)]
    print(q[keep].drop(columns=["quota_explanation"]).round(3).to_string(index=False))
    print("Σ quota_mu =", int(q["quota_mu"].sum()))
    for _, r in q.iterrows():
        print(f"  {r['unit']}: {r['quota_explanation']}")
    if q.attrs.get("summary"):
        print(q.attrs["summary"])
    store.close()


if __name__ == "__main__":
    main(sys.argv[1])
