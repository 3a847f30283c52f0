"""Templates users fill in, and exports in every format (by extension)."""

from __future__ import annotations

import openpyxl
import pyogrio
import pytest
from typer.testing import CliRunner

from landuse.cli import app
from landuse.core.contract import ENTERPRISES, PARCELS
from parcels.importer import import_package
from tests import pkgkit


def test_template_has_chinese_headers_and_reimports_empty(tmp_path):
    r = CliRunner().invoke(app, ["template", "--out", str(tmp_path / "tpl")])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "tpl" / "landuse_template.xlsx")
    assert "enterprises" in wb.sheetnames and "说明" in wb.sheetnames
    heads = [c.value for c in wb["enterprises"][1]]
    assert heads == [c.zh for c in ENTERPRISES.columns]
    layers = {n for n, _ in pyogrio.list_layers(tmp_path / "tpl" / "landuse_template.gpkg")}
    assert {"zones", "parcels", "buildings"} <= layers
    fields = list(pyogrio.read_info(tmp_path / "tpl" / "landuse_template.gpkg", layer="parcels")["fields"])
    assert fields == [c for c in PARCELS.names if c not in PARCELS.derived]


@pytest.mark.parametrize("ext", ["csv", "xlsx", "gpkg", "shp", "geojson"])
def test_export_every_format(ext, tmp_path):
    from parcels.store import open_store

    store = open_store(str(tmp_path / "w.gpkg"), init=True)
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    out = tmp_path / f"parcels.{ext}"
    r = CliRunner().invoke(app, ["export", "parcels", "--db", str(tmp_path / "w.gpkg"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    if ext == "xlsx":
        ws = openpyxl.load_workbook(out).active
        assert ws["A1"].value == "宗地代码" and ws.max_row == 4
    elif ext == "csv":
        assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("parcel_code,")
    else:
        info = pyogrio.read_info(out)
        assert info["features"] == 3
    if ext == "shp":
        assert (tmp_path / "parcels.fields.csv").exists() and (tmp_path / "parcels.cpg").exists()


def test_export_unknown_layer_and_missing_results(tmp_path):
    db = tmp_path / "w.gpkg"
    r = CliRunner().invoke(app, ["export", "parcels", "--db", str(db), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 1 and "landuse init" in r.output and not db.exists()  # a mistyped --db creates nothing
    assert CliRunner().invoke(app, ["init", "--db", str(db)]).exit_code == 0
    r = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["export", "zone_result", "--db", str(db),
                                                       "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 1 and "unknown layer" in r.output and "zone_results" in r.output  # nearest names
    r = CliRunner().invoke(app, ["export", "zone_results", "--year", "2025", "--db", str(tmp_path / "w.gpkg"),
                                 "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 1 and "landuse evaluate" in r.output
