"""Every workbook a user receives reads as a Chinese deliverable: headers with units, codes as text
with their words beside them, number formats, frozen header, filters, widths, A4 landscape print
set-up with the header row repeated, a sheet explaining the columns and the policy version."""

from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from landuse.cli import app
from landuse.core.labels import STAGE_LABELS
from tests import pkgkit

RUN = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from landuse.core.policy import default_policy
    from landuse.services.evaluate import evaluate
    from parcels.importer import import_package
    from parcels.store import open_store

    root = tmp_path_factory.mktemp("wb")
    path = root / "w.gpkg"
    store = open_store(str(path), init=True)
    import_package(pkgkit.write_package(root / "pkg"), store)
    evaluate(store, years=[2024, 2025], policy=default_policy())
    store.close()
    return path


def _heads(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _deliverable(ws) -> None:
    assert ws.freeze_panes == "A2", ws.title
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1"), ws.title
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
    assert ws.print_title_rows == "$1:$1", ws.title
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert all(w and w >= 8 for w in widths), widths


def test_zone_results_workbook_has_formats_and_explains_itself(db, tmp_path):
    from landuse.core.policy import default_policy
    from parcels.store import open_store

    out = tmp_path / "zone_results_2025.xlsx"
    r = RUN.invoke(app, ["export", "zone_results", "--year", "2025", "--db", str(db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["zone_results", "说明"]
    ws = wb["zone_results"]
    _deliverable(ws)
    h = _heads(ws)
    assert all(isinstance(x, str) and any("\u4e00" <= ch <= "\u9fff" for ch in x) for x in h), h  # every header Chinese
    zr = open_store(str(db)).read("zone_results", year=2025).set_index("zone_code")
    col = {name: i for i, name in enumerate(h)}

    def fmt(cell) -> str:  # an empty cell carries its column's format
        return cell.number_format if cell.value is not None else ws.column_dimensions[cell.column_letter].number_format

    def same(cell, want) -> bool:
        return cell.value is None if want != want else cell.value == pytest.approx(want)

    for row in ws.iter_rows(min_row=2):
        code = row[col["开发区代码"]].value
        assert fmt(row[col["较基期增长"]]) == "0.0%" and same(row[col["较基期增长"]], zr.loc[code, "growth"])
        rev = row[col["亩均营业收入(万元/亩)"]]
        assert fmt(rev) == "#,##0.0" and same(rev, zr.loc[code, "revenue_per_mu"])
        assert fmt(row[col["年度"]]) == "0" and row[col["年度"]].value == 2025
        assert fmt(row[col["营业收入(万元)"]]) == "#,##0.0"
        assert row[col["开发区代码"]].data_type == "s" and row[col["开发区代码"]].number_format == "@"
    about = wb["说明"]
    rows = list(about.iter_rows(values_only=True))
    assert rows[0][:3] == ("工作表", "列名(代码)", "表头")
    described = {r[1]: r[2] for r in rows[1:] if r and r[1]}
    assert described["growth"] == "较基期增长" and described["revenue_per_mu"] == "亩均营业收入(万元/亩)"
    version = default_policy().version
    assert any(r[0] == "政策版本" and version in (r[1] or "") for r in rows if r)


def test_target_workbook_shows_words_with_codes_only_in_code_columns(db, tmp_path):
    out = tmp_path / "targets_2025.xlsx"
    r = RUN.invoke(app, ["targets", "--year", "2025", "--db", str(db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    _deliverable(ws)
    h = _heads(ws)
    code_i, word_i = h.index("生命周期阶段代码"), h.index("生命周期阶段")
    assert word_i == code_i + 1
    codes = set(STAGE_LABELS)
    code_cols = {i for i, x in enumerate(h) if x.endswith("代码") or x in ("问题代码",)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows
    for row in rows:
        assert row[code_i] in codes and row[word_i] == STAGE_LABELS[row[code_i]][0]
        for i, v in enumerate(row):  # no English stage code outside a code column
            if i not in code_cols and isinstance(v, str):
                assert v not in codes, (h[i], v)


def test_problem_list_and_quota_workbooks_are_deliverables_too(db, tmp_path):
    from landuse.core.errors import Problem
    from landuse.services.exports import write_problems

    p = write_problems([Problem("parcels.gpkg", "parcels", 3, "holder_uscc", "9136", "18 位统一社会信用代码",
                                "bad_uscc", "error")], tmp_path / "problems.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb.worksheets[0]
    _deliverable(ws)
    assert "文件" in _heads(ws) and wb.sheetnames[-1] == "说明"
    out = tmp_path / "quota.xlsx"
    r = RUN.invoke(app, ["quota", "--year", "2025", "--total-mu", "1000", "--db", str(db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(out).worksheets[0]
    _deliverable(ws)
    h = _heads(ws)
    assert "建议指标(亩)" in h or "建议新增建设用地指标(亩)" in h


def test_template_keeps_typed_codes_as_text(tmp_path):
    from landuse.core.contract import ENTERPRISES

    r = RUN.invoke(app, ["template", "--out", str(tmp_path / "tpl")])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(tmp_path / "tpl" / "landuse_template.xlsx")["enterprises"]
    j = [c.name for c in ENTERPRISES.columns].index("uscc")
    letter = openpyxl.utils.get_column_letter(j + 1)
    # the USCC column is formatted as text: 913604001234567890 typed in Excel stays 913604001234567890
    assert ws.column_dimensions[letter].number_format == "@"
