"""The sample's disposal ledger (parcels/sample/ledger.py): a campaign of earlier years with entries
completed, overdue and written off, every one valid for the ledger, the same for the same seed."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from landuse.services import ledger


def test_sample_ledger_loads_and_shows_a_campaign(tmp_path):
    from landuse.core.policy import default_policy
    from landuse.services.imports import run_import
    from parcels.sample import write_sample
    from parcels.store import open_store

    write_sample(tmp_path / "pkg", scale="small", seed=1)
    csv = tmp_path / "pkg" / "_disposals.csv"
    first = pd.read_csv(csv, dtype=str)
    write_sample(tmp_path / "pkg2", scale="small", seed=1)
    assert pd.read_csv(tmp_path / "pkg2" / "_disposals.csv", dtype=str).equals(first)  # deterministic
    s = open_store(str(tmp_path / "w.gpkg"), init=True)
    rep = run_import(tmp_path / "pkg", s, policy=default_policy())
    assert not any("_disposals" in n for n in rep.notes)  # the data import leaves it alone
    keys = ledger.load_disposals(s, csv, actor="demo", today=dt.date(2026, 1, 1))
    led = ledger.read_ledger(s)
    assert len(keys) == len(first) == len(led) >= 20
    st = led["status"].value_counts()
    assert st.get("已完成", 0) >= 5 and st.get("已核销", 0) >= 1 and st.get("处置中", 0) >= 3
    assert {"收回", "征缴闲置费", "延长动工期限"} <= set(led["method"])
    overdue = [ledger.is_overdue(r, dt.date(2025, 12, 31)) for r in led.to_dict("records")]
    assert sum(overdue) >= 3
    assert led["zone_code"].nunique() >= 5  # spread over the zones
    assert (led.loc[led["status"] == "已核销", "reason"].notna()).all()
    assert (pd.Series([d.year for d in led["opened"]]) <= 2025).all()
