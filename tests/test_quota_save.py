"""``landuse quota`` is a what-if: it writes its file and leaves the stored results alone; ``--save``
stores it into the year's results, audited, and the dashboard says which quota the results carry."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from landuse.cli import app as cli
from landuse.services import accounts
from landuse.services.quota import stored_quota
from parcels.store import open_store
from tests.test_web_common import copy_site, login, make_client, web_site  # noqa: F401


def _quota_column(db: str) -> pd.Series:
    s = open_store(db)
    try:
        return s.read("zone_results", year=2025, geometry=False).set_index("zone_code")["quota_mu"].sort_index()
    finally:
        s.close()


def test_what_if_then_save_then_shown(web_site, tmp_path):
    db = str(copy_site(web_site, tmp_path))
    run = CliRunner()
    before = _quota_column(db)
    assert before.isna().all()
    r = run.invoke(cli, ["quota", "--year", "2025", "--total-mu", "1000", "--db", db, "--out", str(tmp_path / "q.xlsx")])
    assert r.exit_code == 0, r.output
    pd.testing.assert_series_equal(_quota_column(db), before)  # a what-if changes nothing stored
    s = open_store(db)
    assert stored_quota(s, year=2025) is None
    s.close()
    app, c = make_client(db)
    login(c, "eval1")
    assert "本年度未保存指标测算" in c.get("/dashboard", params={"year": 2025}).text
    app.state.store.close()

    r = run.invoke(cli, ["quota", "--year", "2025", "--total-mu", "1000", "--save", "--db", db,
                         "--out", str(tmp_path / "q2.xlsx")])
    assert r.exit_code == 0, r.output
    saved = _quota_column(db)
    # the stored quota is the one the file shows (what is not given out stays in the province reserve)
    written = pd.read_excel(tmp_path / "q2.xlsx").set_index("单元代码")["建议指标(亩)"]
    assert saved.notna().all() and 0 < saved.sum() <= 1000
    assert written["合计"] == saved.sum()  # the file's total row
    assert saved.to_dict() == {k: float(v) for k, v in written.items() if k != "合计"}
    s = open_store(db)
    rows = accounts.read_audit(s, action="quota_save")
    assert len(rows) == 1 and "year=2025" in rows[0]["detail"] and "total_mu=1000" in rows[0]["detail"]
    q = stored_quota(s, year=2025)
    assert q["total_mu"] == "1000" and q["level"] == "zone" and q["username"].startswith("cli:")
    s.close()
    app, c = make_client(db)
    login(c, "eval1")
    page = c.get("/dashboard", params={"year": 2025}).text
    assert "总量 1000 亩，按开发区分配" in page and "由 cli:" in page
    app.state.store.close()
