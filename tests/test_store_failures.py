"""When the store itself fails — PostgreSQL down, a full disk, a damaged GeoPackage — the user gets a
message (the web a 503, the command line a sentence and exit 1), never a traceback, and nothing is
half-written. Every failed web upload leaves a problem list and an audit row."""

from __future__ import annotations

import io
import sqlite3
import zipfile

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from landuse.cli import app as cli
from landuse.core.errors import StoreUnavailable
from parcels.importer import import_package
from parcels.store import open_store
from tests import pkgkit
from tests.test_web_common import PASSWORDS, copy_site, login, make_client, web_site  # noqa: F401

DEAD_URL = "postgresql://landuse:x@127.0.0.1:9/landuse"  # port 9 (discard): nothing listens


def _zip_package(root, tmp_path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(root.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(root))
    return buf.getvalue()


def test_cli_says_postgresql_is_down(tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    r = CliRunner().invoke(cli, ["import", str(pkg), "--db", DEAD_URL])
    assert r.exit_code == 1, r.output
    assert "PostgreSQL" in r.output and "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_web_answers_503_when_postgresql_is_down():
    from parcels.store.postgis import PostGISStore

    from fastapi.testclient import TestClient

    from landuse.core.settings import Settings
    from landuse.web.app import create_app

    web = create_app(DEAD_URL, settings=Settings(), store=PostGISStore(DEAD_URL))
    c = TestClient(web, raise_server_exceptions=False, follow_redirects=False)
    assert c.get("/login").status_code == 200  # the login form needs no database
    c.cookies.set("landuse_session", "x" * 40)
    r = c.get("/api/me")
    assert r.status_code == 503 and "PostgreSQL" in r.json()["detail"] and r.headers["retry-after"] == "30"
    r = c.get("/map")
    assert r.status_code == 503 and "数据库暂时不可用" in r.text


@pytest.mark.postgis
def test_postgresql_going_down_mid_service(pg_db, tmp_path):
    """The database stops taking connections while the service runs: 503, then back to normal."""
    from landuse.services import accounts as auth
    from parcels.store.postgis import sqlalchemy_url

    s = open_store(pg_db, init=True)
    auth.add_user(s, "admin1", role="admin", password=PASSWORDS["admin1"])
    app, c = make_client(pg_db)
    login(c, "admin1")
    name = pg_db.rsplit("/", 1)[1]
    admin = create_engine(sqlalchemy_url(pg_db.rsplit("/", 1)[0] + "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as a:
        a.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        a.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
    try:
        r = c.get("/api/me")
        assert r.status_code == 503, r.text[:300]
        with pytest.raises(StoreUnavailable):
            import_package(pkgkit.write_package(tmp_path / "pkg"), s)
    finally:
        with admin.connect() as a:
            a.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert c.get("/api/me").status_code == 200
    app.state.store.close()
    s.close()


def _full_disk(monkeypatch, pages: int) -> None:
    """SQLite's page limit gives the very error a full disk gives (SQLITE_FULL)."""
    from parcels.store import gpkg

    real = gpkg.GeoPackageStore._connect

    def connect(self, *, write=False):
        con = real(self, write=write)
        if write:
            con.execute(f"PRAGMA max_page_count = {pages}")
        return con
    monkeypatch.setattr(gpkg.GeoPackageStore, "_connect", connect)


def _many_enterprises(root):
    """2 000 new enterprises: more than the file's free pages hold."""
    import pandas as pd

    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"uscc": [pkgkit.uscc("360700", 1000 + i) for i in range(2000)],
                  "name": [f"企业{i:04d}有限公司" for i in range(2000)], "industry_code": "C39",
                  "above_scale": True}).to_csv(root / "enterprises.csv", index=False)
    return root


def test_full_disk_during_a_geopackage_import_changes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "w.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "a"), s)
    before = s.snapshot()
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    _full_disk(monkeypatch, pages)
    big = _many_enterprises(tmp_path / "b")
    with pytest.raises(StoreUnavailable, match="disk is full"):
        import_package(big, s)
    monkeypatch.undo()
    assert s.snapshot() == before
    r = CliRunner().invoke(cli, ["import", str(big), "--db", str(db)])  # and the CLI says it in words
    assert r.exit_code == 0, r.output  # (the disk has room again)


def test_full_disk_is_a_message_on_the_command_line(tmp_path, monkeypatch):
    db = tmp_path / "w.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "a"), s)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    _full_disk(monkeypatch, pages)
    big = _many_enterprises(tmp_path / "b")
    r = CliRunner().invoke(cli, ["import", str(big), "--db", str(db)])
    assert r.exit_code == 1 and "磁盘已满" in r.output and "Traceback" not in r.output


def test_damaged_geopackage_store_is_a_message(tmp_path):
    db = tmp_path / "w.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "a"), s)
    data = bytearray(db.read_bytes())
    data[8192:len(data) - 4096] = b"\xa5" * (len(data) - 12288)  # overwrite every page but the first two
    db.write_bytes(bytes(data))
    r = CliRunner().invoke(cli, ["export", "parcels", "--out", str(tmp_path / "p.csv"), "--db", str(db)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "GeoPackage" in r.output, r.output


def test_every_failed_web_upload_is_listed_and_audited(web_site, tmp_path, monkeypatch):
    db = str(copy_site(web_site, tmp_path))
    app, c = make_client(db)
    csrf = login(c, "admin1")
    store = app.state.store
    # an HTML page saved as .xls: refused with a problem naming the file
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "enterprises.xls").write_text("<html><table><tr><td>x</td></tr></table></html>")
    r = c.post("/api/import", files={"file": ("html.zip", _zip_package(pkg, tmp_path), "application/zip")},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422
    probs = r.json()["problems"]
    assert probs and probs[0]["file"] == "enterprises.xls" and "HTML" in probs[0]["expected"]
    # an error nobody foresaw: still a problem list and an audit row, no HTTP 500
    import landuse.services.imports as imports

    monkeypatch.setattr(imports, "import_package", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    r = c.post("/admin/upload", files={"file": ("x.zip", _zip_package(pkgkit.write_package(tmp_path / "ok"), tmp_path),
                                                "application/zip")}, data={"csrf": csrf})
    assert r.status_code == 422 and "RuntimeError" in r.text
    failed = store.sys_query("audit_log", {"action": "import_failed"})
    assert [f["detail"].split(":")[0] for f in failed[-2:]] == ["html.zip", "x.zip"]
    assert "RuntimeError" in failed[-1]["detail"]


def test_upload_that_is_not_a_zip_is_listed_and_audited(web_site, tmp_path):
    db = str(copy_site(web_site, tmp_path))
    app, c = make_client(db)
    csrf = login(c, "admin1")
    r = c.post("/api/import", files={"file": ("parcels.shp", b"not a zip", "application/octet-stream")},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400
    assert r.json()["problems"][0]["file"] == "parcels.shp" and "zip" in r.json()["problems"][0]["expected"]
    failed = app.state.store.sys_query("audit_log", {"action": "import_failed"})
    assert failed and failed[-1]["detail"].startswith("parcels.shp")
