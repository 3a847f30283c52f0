"""In-year figures (the seed's quarterly dispatch and half-year report): a period is evaluated as a
year is, on the land at the period end, with the firms' cumulative figures, and set beside the same
period of the previous year and of the baseline year — provisional, always. Hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.periods import parse_period, period_figures
from landuse.core.policy import default_policy
from tests.evalkit import make_inputs
from tests.test_web_common import web_site  # noqa: F401

MU = 2000 / 3  # m² per mu


def _inputs(periods):
    # Z1: P1 (30 mu, E1, developed 2019) and P2 (15 mu, E2, developed 2019); P3 (15 mu, E3) completed
    # on 2025-07-15, so it is developed land at the end of Q3 2025 but not at the end of H1 2025.
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1", "pilot_area_name": "甲市"}],
        parcels=[
            {"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": 30 * MU, "holder_uscc": "E1",
             "supply_date": "2018-01-01", "actual_start_date": "2018-03-01", "completion_date": "2019-01-01"},
            {"parcel_code": "P2", "zone_code": "Z1", "registered_area_m2": 15 * MU, "holder_uscc": "E2",
             "supply_date": "2018-01-01", "actual_start_date": "2018-03-01", "completion_date": "2019-01-01"},
            {"parcel_code": "P3", "zone_code": "Z1", "registered_area_m2": 15 * MU, "holder_uscc": "E3",
             "supply_date": "2024-01-01", "actual_start_date": "2024-03-01", "completion_date": "2025-07-15"},
        ],
        enterprises=[{"uscc": "E1"}, {"uscc": "E2"}, {"uscc": "E3"}],
        enterprise_years=[{"uscc": u, "year": y, "revenue_wan": 1000.0, "tax_wan": 50.0}
                          for u in ("E1", "E2") for y in (2020, 2024)],
        enterprise_periods=periods,
    )


PERIODS = [
    # the baseline year's first half
    {"uscc": "E1", "period": "2020H1", "revenue_wan": 900.0, "tax_wan": 30.0},
    {"uscc": "E2", "period": "2020H1", "revenue_wan": 450.0, "tax_wan": 15.0},
    # last year's first half
    {"uscc": "E1", "period": "2024H1", "revenue_wan": 1200.0, "tax_wan": 40.0},
    {"uscc": "E2", "period": "2024H1", "revenue_wan": 600.0, "tax_wan": 20.0},
    # this year: E2 has not reported its first half (missing, not zero)
    {"uscc": "E1", "period": "2025H1", "revenue_wan": 1500.0, "tax_wan": 60.0},
    {"uscc": "E1", "period": "2025Q3", "revenue_wan": 2400.0, "tax_wan": 90.0},
    {"uscc": "E2", "period": "2025Q3", "revenue_wan": 900.0, "tax_wan": 30.0},
    {"uscc": "E3", "period": "2025Q3", "revenue_wan": 0.0, "tax_wan": 0.0},
]


def test_parse_period():
    assert parse_period("2025Q3").end == pd.Timestamp("2025-09-30")
    assert parse_period("2025h1").end == pd.Timestamp("2025-06-30")
    assert parse_period("2024-02").end == pd.Timestamp("2024-02-29")  # a leap year
    assert parse_period("2025H2").end == pd.Timestamp("2025-12-31")
    for bad in ("2025Q5", "2025", "25Q1", "2025-13", "2025 H1"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_half_year_against_the_same_half_of_last_year_and_of_the_baseline():
    r = period_figures(_inputs(PERIODS), period="2025H1", policy=default_policy())
    z = r.zones.set_index("zone_code").loc["Z1"]
    # 2025H1: developed land P1 + P2 = 45 mu; E2 (15 mu) has not reported → out of both sides:
    # 1500 / 30 = 50 万元/亩, coverage 30 / 45
    assert z["developed_mu"] == pytest.approx(45.0)
    assert z["revenue_per_mu"] == pytest.approx(1500 / 30)
    assert z["tax_per_mu"] == pytest.approx(60 / 30)
    assert z["revenue_coverage"] == pytest.approx(30 / 45)
    # 2024H1: (1200 + 600) / 45 = 40; the change on the same half of last year: 50 / 40 − 1 = +25 %
    assert z["prev_period"] == "2024H1"
    assert z["prev_revenue_per_mu"] == pytest.approx(1800 / 45)
    assert z["yoy_change"] == pytest.approx(50 / 40 - 1)
    # 2020H1: (900 + 450) / 45 = 30; growth on the baseline's same half: 50 / 30 − 1 = +66.7 %
    assert z["baseline_period"] == "2020H1"
    assert z["baseline_revenue_per_mu"] == pytest.approx(1350 / 45)
    assert z["growth"] == pytest.approx(50 / 30 - 1)
    assert bool(z["provisional"]) is True  # in-year: always provisional
    assert r.found == {"current": "2025H1", "previous": "2024H1", "baseline": "2020H1"}
    pa = r.pilot_areas.set_index("pilot_area_code")
    assert pa.loc["PA1", "revenue_per_mu"] == pytest.approx(50.0)
    assert set(r.pilot_areas["provisional"]) == {True}


def test_third_quarter_counts_land_completed_in_the_quarter_and_says_what_is_missing():
    r = period_figures(_inputs(PERIODS), period="2025Q3", policy=default_policy())
    z = r.zones.set_index("zone_code").loc["Z1"]
    # at 30 September P3 (15 mu) is developed and its user reported zero: it stays in the denominator
    # (2400 + 900 + 0) / (30 + 15 + 15) = 55
    assert z["developed_mu"] == pytest.approx(60.0)
    assert z["revenue_per_mu"] == pytest.approx(3300 / 60)
    assert z["revenue_coverage"] == pytest.approx(1.0)
    # no 2024Q3 nor 2020Q3 in the data: left empty, and said
    assert pd.isna(z["prev_revenue_per_mu"]) and pd.isna(z["yoy_change"])
    assert pd.isna(z["baseline_revenue_per_mu"]) and pd.isna(z["growth"])
    assert r.found["previous"] is None and r.found["baseline"] is None
    assert any("2024Q3" in w for w in r.warnings) and any("2020Q3" in w for w in r.warnings)


def test_a_period_without_figures_is_refused():
    with pytest.raises(ValueError, match="2023H1"):
        period_figures(_inputs(PERIODS), period="2023H1", policy=default_policy())


def test_the_annual_figures_are_untouched():
    """A period's figures stand in for the year's only inside period_figures."""
    inp = _inputs(PERIODS)
    before = inp["enterprise_years"].copy()
    period_figures(inp, period="2025H1", policy=default_policy())
    pd.testing.assert_frame_equal(inp["enterprise_years"], before)


def test_period_on_the_command_line_and_the_half_year_report(web_site, tmp_path):
    """``landuse evaluate --period`` prints and writes the figures, ``landuse report --period`` writes the
    half-year report; the stored annual results do not change; a wrong period is refused in words."""
    import openpyxl
    from typer.testing import CliRunner

    from landuse.cli import app as cli
    from landuse.core.labels import PERIOD_NOTE
    from parcels.store import open_store
    from tests.test_web_common import copy_site

    db = str(copy_site(web_site, tmp_path))
    s = open_store(db)
    before = s.read("zone_results", geometry=False).sort_values(["zone_code", "year"]).reset_index(drop=True)
    expected = period_figures(s.read_inputs(), period="2025H1", policy=default_policy())
    s.close()
    run = CliRunner()
    r = run.invoke(cli, ["evaluate", "--period", "2025H1", "--out", str(tmp_path / "h1.xlsx"), "--db", db])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "h1.xlsx")
    ws = wb.worksheets[0]
    heads = [c.value for c in ws[2]]
    assert heads[:2] == ["试验区代码", "试验区名称"] and "同比变化" in heads and "上年同期亩均营业收入(万元/亩)" in heads
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    prov = [row for row in rows if row[1] == "全省"]
    assert len(prov) == 1  # the province row, last
    pr = expected.pilot_areas.set_index("pilot_area_code").loc["PROVINCE"]
    assert prov[0][heads.index("亩均营业收入(万元/亩)")] == pytest.approx(pr["revenue_per_mu"])
    assert prov[0][heads.index("同比变化")] == pytest.approx(pr["yoy_change"])
    assert PERIOD_NOTE[0] in ws.cell(1, 1).value
    r = run.invoke(cli, ["report", "--period", "2025H1", "--out", str(tmp_path / "h1.html"), "--db", db])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "h1.html").read_text(encoding="utf-8")
    assert "2025 年亩均效益半年报告" in html and 'id="provisional"' in html
    r = run.invoke(cli, ["evaluate", "--period", "2025Q7", "--db", db])
    assert r.exit_code != 0 and "2025Q7" in r.output and "Traceback" not in r.output
    r = run.invoke(cli, ["evaluate", "--period", "2019H1", "--db", db])
    assert r.exit_code != 0 and "2025H1" in r.output  # says which periods the store has
    s = open_store(db)
    after = s.read("zone_results", geometry=False).sort_values(["zone_code", "year"]).reset_index(drop=True)
    s.close()
    pd.testing.assert_frame_equal(before, after)


def test_period_reports_on_the_web(web_site, tmp_path):
    """Evaluators download the half-year report from the reports page; the period in the URL is a
    pattern, never a path; managers and viewers get no report."""
    import io

    import openpyxl

    from tests.test_web_common import copy_site, login, make_client

    db = str(copy_site(web_site, tmp_path))
    app, c = make_client(db)
    login(c, "eval1")
    page = c.get("/reports").text
    assert 'href="/api/period-reports/2025H1.xlsx"' in page and 'href="/api/period-reports/2024H1.html"' in page
    r = c.get("/api/period-reports/2025H1.xlsx")
    assert r.status_code == 200 and "period_report_2025H1.xlsx" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["试验区", "开发区"]
    r = c.get("/api/period-reports/2025H1.html")
    assert r.status_code == 200 and "sandbox" in r.headers["content-security-policy"] and 'id="provisional"' in r.text
    assert c.get("/api/period-reports/2019H1.xlsx").status_code == 404  # no figures for it: said, not a 500
    for bad in ("..%2F..%2Fx.xlsx", "2025H1.exe", "2025Q9.xlsx", "2025H1%00.xlsx"):
        assert c.get(f"/api/period-reports/{bad}").status_code in (404, 422), bad
    app.state.store.close()
    for user in ("mgr_a", "viewer1"):
        app, c = make_client(db)
        login(c, user)
        assert c.get("/api/period-reports/2025H1.xlsx").status_code == 403
        app.state.store.close()


def test_a_take_back_completed_in_the_ledger_leaves_the_period_land():
    """The disposal ledger counts in a period as in a year: P2 (15 mu, E2) taken back on 1 May 2025 is
    not developed land at 30 June; E2's figures no longer sit on it."""
    inp = _inputs(PERIODS + [{"uscc": "E2", "period": "2025H1", "revenue_wan": 200.0, "tax_wan": 5.0}])
    inp["disposals"] = pd.DataFrame([{"parcel_code": "P2", "rule": "", "zone_code": "Z1", "method": "收回",
                                      "opened": "2025-01-10", "status": "已完成", "closed": "2025-05-01",
                                      "disposed_mu": 15.0}])
    z = period_figures(inp, period="2025H1", policy=default_policy()).zones.set_index("zone_code").loc["Z1"]
    # only P1 (30 mu) is developed at 30 June: 1500 / 30 = 50, everything reported
    assert z["developed_mu"] == pytest.approx(30.0)
    assert z["revenue_per_mu"] == pytest.approx(1500 / 30)
    assert z["revenue_coverage"] == pytest.approx(1.0)
    # the same half of last year keeps P2 (taken back only in 2025): (1200 + 600) / 45
    assert z["prev_revenue_per_mu"] == pytest.approx(1800 / 45)
