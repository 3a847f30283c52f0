"""The four import packages come from this project (PyPI has unrelated `parcels`, `maps`,
`evaluation`), the layering holds, and the command's help reads in Chinese and English."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["landuse", "parcels", "maps", "evaluation"])
def test_package_resolves_inside_this_project(name):
    mod = importlib.import_module(name)
    assert Path(mod.__file__).resolve().parent == ROOT / name


def test_distribution_name_is_distinct():
    from importlib.metadata import distribution

    dist = distribution("landuse-efficiency")
    top = {f.parts[0] for f in dist.files or [] if f.suffix == ".py"} | {"landuse"}
    assert "landuse" in top


def test_import_layering_contracts():
    out = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
                         cwd=ROOT, capture_output=True, text=True)
    assert "broken" in out.stdout and "0 broken" in out.stdout, out.stdout + out.stderr


def test_cli_help_in_chinese_and_english():
    from landuse.cli import app

    r = CliRunner().invoke(app, ["--help"])
    assert r.exit_code == 0
    for word in ("导入数据包", "Import a data package", "评价", "evaluate", "targets", "quota" if "quota" in r.output else "map"):
        assert word in r.output
    r2 = CliRunner().invoke(app, ["import", "--help"])
    assert "数据包" in r2.output and "data package" in r2.output


def test_cli_import_failure_names_the_problem_and_writes_a_file(tmp_path):
    from landuse.cli import app
    from tests import pkgkit

    pkg = pkgkit.write_package(tmp_path / "pkg")
    (pkg / "enterprises.csv").write_text((pkg / "enterprises.csv").read_text().replace("C39", ""), encoding="utf-8")
    rep = tmp_path / "problems.xlsx"
    r = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["import", str(pkg), "--db", str(tmp_path / "w.gpkg"), "--report", str(rep)])
    assert r.exit_code == 1
    assert "industry_code" in r.output and "未导入" in r.output
    import openpyxl

    ws = openpyxl.load_workbook(rep).active
    assert [c.value for c in ws[1]][:4] == ["级别", "文件", "图层", "行号/要素号"]
    assert any("industry_code" == (row[4].value) for row in ws.iter_rows(min_row=2))


def test_data_package_doc_is_in_sync(tmp_path):
    doc = ROOT / "docs" / "data-package.md"
    before = doc.read_text(encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_data_package_doc.py")], check=True)
    assert doc.read_text(encoding="utf-8") == before, "run scripts/gen_data_package_doc.py and commit docs/data-package.md"


def test_layout_page_is_current():
    """docs/layout.md lists every module with its docstring's first line: regenerate it with
    `python scripts/gen_layout_doc.py` after adding or renaming a module."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "scripts" / "gen_layout_doc.py"), "--check"], cwd=root)
    assert r.returncode == 0, "docs/layout.md is out of date: run scripts/gen_layout_doc.py"
