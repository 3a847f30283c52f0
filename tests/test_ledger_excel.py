"""The ledger's Excel round trip (both backends): export → edit in openpyxl → import → the store is
identical apart from the edits; a bad row is refused with its cell named; a row changed in the
product since the export is refused; the CLI prints a zone's summary."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from typer.testing import CliRunner

from landuse.core.errors import ValidationFailed
from landuse.services import ledger
from landuse.services.ledger import Key
from landuse.services.ledger_excel import COLUMNS, SHEET, export_ledger, import_ledger
from parcels.importer import import_package
from tests import pkgkit

TODAY = dt.date(2025, 6, 30)
COL = {f: i + 1 for i, (_h, f, _k, _e) in enumerate(COLUMNS)}


@pytest.fixture
def lstore(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    ledger.open_entries(store, [
        {"parcel_code": "P1", "rule": "low_far", "deadline": "2025-12-31", "planned_mu": 6.0, "opened": "2025-03-01",
         "responsible": "=HYPERLINK(\"http://x\")"},
        {"parcel_code": "P2", "rule": "idle", "planned_mu": 4.0, "opened": "2025-02-01"}], actor="mgr", today=TODAY)
    ledger.add_note(store, Key("P1", "low_far"), "已约谈企业", author="mgr", noted="2025-04-02", today=TODAY)
    return store


def _rows(ws):
    return {ws.cell(r, COL["parcel_code"]).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


def test_round_trip_changes_only_the_edits(lstore, tmp_path):
    f = tmp_path / "ledger.xlsx"
    path, n = export_ledger(lstore, f)
    assert n == 2
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    assert ws.cell(1, COL["method"]).value == "处置方式" and ws.cell(1, COL["status"]).value == "当前状态"
    rows = _rows(ws)
    r1 = rows["P1"]
    # codes as text, dates as dates, formulas never: the responsible cell holds the text as typed
    assert ws.cell(r1, COL["parcel_code"]).number_format == "@"
    assert isinstance(ws.cell(r1, COL["opened"]).value, dt.datetime) and ws.cell(r1, COL["opened"]).is_date
    assert ws.cell(r1, COL["responsible"]).data_type == "s"
    assert ws.cell(r1, COL["progress"]).value == "2025-04-02 mgr：已约谈企业"
    assert ws.cell(r1, COL["remaining_mu"]).value == 6.0 and ws.cell(r1, COL["revision"]).value == 1
    lists = {str(dv.sqref).split(":")[0][:1]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert any("收回" in v and "延长动工期限" in v for v in lists.values())
    assert any("待处置" in v and "已核销" in v for v in lists.values())
    before = ledger.read_ledger(lstore)
    # the bureau's edits: P1 in progress with a new unit and a note; a new row for P3
    ws.cell(r1, COL["status"]).value = "处置中"
    ws.cell(r1, COL["responsible"]).value = "区建设局"
    ws.cell(r1, COL["new_note"]).value = "签订技改协议"
    new = ws.max_row + 1
    ws.cell(new, COL["parcel_code"]).value = "P3"
    ws.cell(new, COL["rule"]).value = "idle"
    ws.cell(new, COL["method"]).value = "征缴闲置费"
    ws.cell(new, COL["deadline"]).value = dt.datetime(2025, 9, 30)
    wb.save(path)
    rep = import_ledger(lstore, path, actor="bureau", today=TODAY)
    assert sorted((k, f, b, a) for k, f, b, a in rep.changes) == [
        ("P1/low_far", "responsible", '=HYPERLINK("http://x")', "区建设局"), ("P1/low_far", "status", "待处置", "处置中")]
    assert rep.opened == ["P3/idle"] and rep.notes == ["P1/low_far"]
    after = ledger.read_ledger(lstore)
    # identical apart from the edits
    keep = [c for c in ledger.COLUMNS if c not in ("status", "responsible", "revision", "updated_at", "updated_by")]
    b = before.set_index(["parcel_code", "rule"])
    a = after.set_index(["parcel_code", "rule"])
    assert a.loc[b.index, keep[2:]].equals(b[keep[2:]])
    assert a.loc[("P2", "idle"), "revision"] == 1 and a.loc[("P1", "low_far"), "revision"] == 2
    p3 = ledger.get_entry(lstore, Key("P3", "idle"))
    assert (p3["method"], p3["deadline"], p3["status"], p3["zone_code"]) == ("征缴闲置费", dt.date(2025, 9, 30), "待处置", "Z2")
    assert [n["text"] for n in ledger.notes(lstore, Key("P1", "low_far"))] == ["已约谈企业", "签订技改协议"]
    # importing the same file again: P1's revision is now 2 → refused, nothing changed
    with pytest.raises(ValidationFailed):
        import_ledger(lstore, path, actor="bureau", today=TODAY)
    assert ledger.read_ledger(lstore).equals(after)


def test_a_bad_row_is_refused_with_its_cell_named(lstore, tmp_path):
    path, _ = export_ledger(lstore, tmp_path / "l.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    rows = _rows(ws)
    ws.cell(rows["P1"], COL["status"]).value = "完成了"
    ws.cell(rows["P2"], COL["deadline"]).value = "明年"
    ws.cell(rows["P2"], COL["responsible"]).value = "甲"  # a good edit on a row with a bad one
    wb.save(path)
    snap = ledger.read_ledger(lstore)
    with pytest.raises(ValidationFailed) as ei:
        import_ledger(lstore, path, actor="bureau", today=TODAY)
    got = sorted((p.file, p.row, p.column, p.value) for p in ei.value.problems)
    sc = openpyxl.utils.get_column_letter(COL["status"])
    dc = openpyxl.utils.get_column_letter(COL["deadline"])
    assert got == sorted([("l.xlsx", rows["P1"], f"当前状态 ({sc}{rows['P1']})", "完成了"),
                          ("l.xlsx", rows["P2"], f"处置期限 ({dc}{rows['P2']})", "明年")])
    assert ledger.read_ledger(lstore).equals(snap)  # all or nothing


def test_changed_since_export_is_refused(lstore, tmp_path):
    path, _ = export_ledger(lstore, tmp_path / "l.xlsx")
    ledger.update_entry(lstore, Key("P2", "idle"), {"responsible": "乙"}, expected_revision=1, actor="web",
                        today=TODAY)
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    ws.cell(_rows(ws)["P2"], COL["responsible"]).value = "丙"
    wb.save(path)
    with pytest.raises(ValidationFailed) as ei:
        import_ledger(lstore, path, actor="bureau", today=TODAY)
    assert ei.value.problems[0].column.startswith("版本号") and "web" in ei.value.problems[0].expected
    assert ledger.get_entry(lstore, Key("P2", "idle"))["responsible"] == "乙"


def test_cli_summary_export_import(tmp_path):
    from landuse.cli import app
    from parcels.store import open_store

    db = tmp_path / "w.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "pkg"), s)
    ledger.open_entries(s, [{"parcel_code": "P1", "rule": "low_far", "planned_mu": 6.0, "deadline": "2020-01-01",
                             "opened": "2019-01-01"}], actor="m", today=TODAY)
    r = CliRunner().invoke(app, ["ledger", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "Z1" in r.output and "6.0" in r.output  # one entry, 6 mu in disposal, overdue
    out = tmp_path / "x.xlsx"
    r = CliRunner().invoke(app, ["ledger", "export", "--out", str(out), "--db", str(db)])
    assert r.exit_code == 0 and out.exists(), r.output
    wb = openpyxl.load_workbook(out)
    wb[SHEET].cell(2, COL["status"]).value = "作废"
    wb.save(out)
    r = CliRunner().invoke(app, ["ledger", "import", str(out), "--db", str(db)])
    assert r.exit_code == 1 and "作废" in r.output and "Traceback" not in r.output
