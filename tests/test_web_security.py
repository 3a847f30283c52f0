"""Sessions, passwords, CSRF, headers, limits, errors, audit, uploads and the user commands."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from typer.testing import CliRunner

from tests.test_web_common import PASSWORDS, bad_zip, copy_site, login, make_client, web_site  # noqa: F401


@pytest.fixture
def site_db(web_site, tmp_path):
    return str(copy_site(web_site, tmp_path))


def test_login_session_cookie_and_logout(site_db):
    from parcels.store import open_store

    app, c = make_client(site_db)
    r = c.get("/login")
    tok = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = c.post("/login", data={"username": "mgr_a", "password": PASSWORDS["mgr_a"], "csrf": tok, "next": "/targets"})
    assert r.status_code == 303 and r.headers["location"] == "/targets"
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("landuse_session=")][0]
    low = cookie.lower()
    assert "httponly" in low and "samesite=lax" in low and "path=/" in low
    token = cookie.split(";")[0].split("=", 1)[1]
    store = open_store(site_db)
    rows = store.sys_query("sessions", {"username": "mgr_a"})
    assert len(rows) == 1 and rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(rows)  # only the hash is stored
    csrf = c.get("/api/me").json()["csrf"]
    assert c.post("/logout", data={"csrf": "wrong"}).status_code == 403  # CSRF checked on every POST
    r = c.post("/logout", data={"csrf": csrf})
    assert r.status_code == 303
    assert store.sys_query("sessions", {"username": "mgr_a"}) == []
    c.cookies.set("landuse_session", token)
    assert c.get("/api/me").status_code == 401  # the old token is dead
    actions = [a["action"] for a in store.sys_query("audit_log")]
    assert "login" in actions and "logout" in actions


def test_login_failures_audited_and_no_open_redirect(site_db):
    from parcels.store import open_store

    _, c = make_client(site_db)

    def tok():  # each login page (also after a failure) carries a fresh double-submit token
        return re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)

    r = c.post("/login", data={"username": "mgr_a", "password": "wrong-password", "csrf": tok()})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = c.post("/login", data={"username": "nobody", "password": "wrong-password", "csrf": tok()})
    assert r.status_code == 401  # same answer for unknown users
    tok()
    r = c.post("/login", data={"username": "mgr_a", "password": PASSWORDS["mgr_a"], "csrf": "forged"})
    assert r.status_code == 403  # login form CSRF (double submit)
    r = c.post("/login", data={"username": "mgr_a", "password": PASSWORDS["mgr_a"], "csrf": tok(),
                               "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/map"
    fails = open_store(site_db).sys_query("audit_log", {"action": "login_failed"})
    assert {f["username"] for f in fails} >= {"mgr_a", "nobody"}


def test_disabled_user_and_expired_session(site_db):
    from landuse.services import accounts as auth
    from parcels.store import open_store

    app, c = make_client(site_db)
    login(c, "viewer1")
    store = open_store(site_db)
    auth.set_active(store, "viewer1", False, actor="test")
    assert c.get("/api/me").status_code == 401
    auth.set_active(store, "viewer1", True, actor="test")
    login(c, "viewer1")
    store.sys_update("sessions", {"username": "viewer1"}, {"expires_at": "2000-01-01T00:00:00Z"})
    assert c.get("/api/me").status_code == 401


def test_security_headers_and_no_banner(site_db):
    _, c = make_client(site_db)
    for url in ("/login", "/api/me", "/static/app.css"):
        r = c.get(url)
        h = r.headers
        assert "default-src 'self'" in h["content-security-policy"] and "frame-ancestors 'none'" in h["content-security-policy"]
        assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
        assert "server" not in h
    assert make_client(site_db)[1].get("/api/me").headers["cache-control"] == "no-store"


def test_errors_do_not_leak(site_db, monkeypatch, caplog):
    from landuse.web import data

    app, c = make_client(site_db)
    login(c, "admin1")

    def boom(*a, **k):
        raise RuntimeError("SECRET-INTERNAL-DETAIL /etc/passwd")

    monkeypatch.setattr(data, "zones", boom)
    r = c.get("/api/zones")
    assert r.status_code == 500 and "SECRET" not in r.text and "Traceback" not in r.text
    assert "internal error" in r.json()["detail"]
    r = c.get("/targets?year=notayear")
    assert r.status_code == 400 and "Traceback" not in r.text
    assert "SECRET-INTERNAL-DETAIL" in caplog.text  # details go to the server log only


def test_upload_limits_and_validation_table(site_db, tmp_path):
    app, c = make_client(site_db, max_upload_mb=1)
    csrf = login(c, "admin1")
    big = b"0" * (1024 * 1024 + 10)
    r = c.post("/admin/upload", files={"file": ("big.zip", big, "application/zip")}, data={"csrf": csrf})
    assert r.status_code == 413
    # no CSRF token: refused before anything is read into the store
    r = c.post("/admin/upload", files={"file": ("a.zip", bad_zip(tmp_path / "a.zip").read_bytes())})
    assert r.status_code == 403
    # not a zip
    r = c.post("/admin/upload", files={"file": ("a.txt", b"hello")}, data={"csrf": csrf})
    assert r.status_code == 400
    # a path escape inside the zip is refused by the importer's safe_extract
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../escape.txt", "x")
    r = c.post("/admin/upload", files={"file": ("evil.zip", buf.getvalue())}, data={"csrf": csrf})
    assert r.status_code == 422 and "不安全" in r.text
    assert not (tmp_path.parent / "escape.txt").exists()
    # a zip with an invalid layer: the validation table is shown, nothing imported
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("zones.csv", "zone_code,zone_name,level\nZ1,,galactic\n")
    r = c.post("/admin/upload", files={"file": ("pkg.zip", buf.getvalue())}, data={"csrf": csrf})
    assert r.status_code == 422 and 'id="problems"' in r.text and "未导入" in r.text
    r = c.post("/api/import", files={"file": ("pkg.zip", buf.getvalue())}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and r.json()["problems"]
    audit = c.get("/api/audit?action=import_failed").json()
    assert len(audit) >= 3


def test_good_upload_imports(web_site, site_db, tmp_path):
    import shutil

    zpath = shutil.make_archive(str(tmp_path / "pkg"), "zip", web_site.pkg)
    app, c = make_client(site_db)
    csrf = login(c, "admin1")
    with open(zpath, "rb") as f:
        r = c.post("/admin/upload", files={"file": ("pkg.zip", f.read())}, data={"csrf": csrf})
    assert r.status_code == 200 and "导入成功" in r.text and 'id="changes"' in r.text
    assert c.get("/api/audit?action=import").json()


def test_audit_is_append_only_and_exportable(site_db):
    from parcels.store import open_store

    app, c = make_client(site_db)
    login(c, "admin1")
    store = open_store(site_db)
    with pytest.raises(Exception):
        store.sys_update("audit_log", {"action": "login"}, {"detail": "x"})
    import sqlite3

    con = sqlite3.connect(site_db)
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("DELETE FROM audit_log")
    con.close()
    r = c.get("/api/audit.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "login" in r.content.decode("utf-8-sig")
    assert "audit_export" in [a["action"] for a in c.get("/api/audit").json()]
    assert "审计日志" in c.get("/admin/audit").text


def test_target_downloads_are_audited(site_db):
    import pandas as pd

    app, c = make_client(site_db)
    login(c, "eval1")
    r = c.get("/api/targets.xlsx?year=2025")
    assert r.status_code == 200
    df = pd.read_excel(io.BytesIO(r.content))
    assert "宗地代码" in df.columns and "认定原因" in df.columns and len(df) == c.get("/api/targets?year=2025").json()["total"]
    r = c.get("/api/targets.gpkg?year=2025&severity=3")
    assert r.status_code == 200 and r.content[:16] == b"SQLite format 3\x00"
    from parcels.store import open_store

    ex = open_store(site_db).sys_query("audit_log", {"action": "export"})
    assert len(ex) == 2 and all(e["username"] == "eval1" for e in ex)


def test_reports_missing_or_served(site_db, monkeypatch, tmp_path):
    import sys
    import types

    app, c = make_client(site_db)
    login(c, "eval1")
    from landuse.web import common

    if common.report_writer() is None:
        assert "尚未提供" in c.get("/reports").text
        assert c.get("/api/reports/2025/report.xlsx").status_code == 404
    fake = types.ModuleType("landuse.reports")

    def write_report(store, *, year, out, policy, pilot_area=None, lang="zh"):
        out.write_text(f"<html><body>报告 {year}</body></html>", encoding="utf-8")
        return out

    fake.write_report = write_report
    monkeypatch.setitem(sys.modules, "landuse.reports", fake)
    assert 'id="report-links"' in c.get("/reports?year=2025").text
    r = c.get("/api/reports/2025/report.html")
    assert r.status_code == 200 and "报告 2025" in r.text and "sandbox" in r.headers["content-security-policy"]


def test_docs_offline(site_db):
    app, c = make_client(site_db)
    assert c.get("/docs").status_code == 303 and c.get("/openapi.json").status_code == 401
    login(c, "viewer1")
    html = c.get("/docs").text
    assert "http://" not in html and "https://" not in html
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert c.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = c.get("/openapi.json").json()
    assert "/api/targets" in spec["paths"] and "/tiles/{z}/{x}/{y}.pbf" in spec["paths"]


def test_no_default_users_and_user_commands(tmp_path):
    from landuse.cli import app as cli
    from landuse.services import accounts as auth
    from parcels.store import open_store

    db = str(tmp_path / "fresh.gpkg")
    store = open_store(db, init=True)
    assert auth.list_users(store) == []  # a fresh install has no account at all
    _, c = make_client(db)
    for name, pw in (("admin", "admin"), ("admin", "password"), ("root", "root")):
        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"username": name, "password": pw, "csrf": tok}).status_code == 401
    run = CliRunner()
    r = run.invoke(cli, ["user", "add", "boss", "--role", "admin", "--password-stdin", "--db", db],
                   input="Str0ng-passphrase\n")
    assert r.exit_code == 0, r.output
    r = run.invoke(cli, ["user", "add", "m1", "--role", "manager", "--password-stdin", "--db", db], input="Str0ng-passphrase\n")
    assert r.exit_code != 0  # a manager needs --zones
    r = run.invoke(cli, ["user", "add", "weak", "--role", "viewer", "--password-stdin", "--db", db], input="123\n")
    assert r.exit_code != 0
    from parcels.importer import import_package
    from tests import pkgkit

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)  # zones Z1, Z2: accounts name known zones
    r = run.invoke(cli, ["user", "add", "m1", "--role", "manager", "--zones", "Z1,Z2", "--db", db],
                   input="Str0ng-passphrase\nStr0ng-passphrase\n")  # prompted twice, hidden
    assert r.exit_code == 0, r.output
    r = run.invoke(cli, ["user", "list", "--db", db])
    assert "boss" in r.output and "Z1,Z2" in r.output
    row = store.sys_query("users", {"username": "boss"})[0]
    assert row["password_hash"].startswith("$argon2id$") and "Str0ng" not in row["password_hash"]
    assert login(c, "boss", "Str0ng-passphrase")
    r = run.invoke(cli, ["user", "passwd", "boss", "--password-stdin", "--db", db], input="An0ther-passphrase\n")
    assert r.exit_code == 0
    assert c.get("/api/me").status_code == 401  # a new password ends open sessions
    r = run.invoke(cli, ["user", "disable", "m1", "--db", db])
    assert r.exit_code == 0 and auth.get_user(store, "m1").active is False
    acts = [a["action"] for a in store.sys_query("audit_log")]
    assert {"user_add", "user_passwd", "user_disable"} <= set(acts)


def test_admin_user_page(site_db, web_site):
    app, c = make_client(site_db)
    csrf = login(c, "admin1")
    r = c.post("/admin/users", data={"csrf": csrf, "username": "newmgr", "role": "manager", "zones": web_site.zone_a,
                                     "password": "Long-enough-pw-1"})
    assert r.status_code == 200 and "已创建用户 newmgr" in r.text
    r = c.post("/admin/users/newmgr/active", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 303
    assert "停用" in c.get("/admin/users").text
    assert c.post("/admin/users/admin1/active", data={"csrf": csrf, "active": "0"}).status_code == 400


@pytest.mark.parametrize("nxt", ["//evil.example/x", "/\t/evil.example", "/\\evil.example", "https://evil.example",
                                 "javascript:alert(1)", "/a\nLocation: //evil"])
def test_login_next_is_local_only(nxt):
    from landuse.web.pages import _safe_next

    assert _safe_next(nxt) == "/map"
    assert _safe_next("/targets?year=2025&zone=G1") == "/targets?year=2025&zone=G1"
