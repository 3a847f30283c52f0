"""Login budgets kept in the store (per address and account, per address, per account; growing
lock-outs nobody can turn against a named user from elsewhere), at most N sessions per user, an
audit log that PostgreSQL will not truncate, audit times shown in Beijing time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from landuse.services import accounts as auth
from tests.test_web_common import PASSWORDS, copy_site, login, make_client, web_site  # noqa: F401

T0 = dt.datetime(2026, 11, 26, 10, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    now = [T0]
    monkeypatch.setattr(auth, "now", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] = now[0] + dt.timedelta(seconds=seconds)
    return advance


def test_address_and_account_budget_locks_for_a_short_growing_time(store, clock):
    for _ in range(4):
        assert auth.record_login_failure(store, "10.0.0.1", "alice") == 0
    assert auth.login_blocked(store, "10.0.0.1", "alice") == 0
    assert auth.record_login_failure(store, "10.0.0.1", "alice") == 60  # 5th failure: 1 minute
    assert auth.login_blocked(store, "10.0.0.1", "alice") == 60
    assert auth.login_blocked(store, "10.0.0.2", "alice") == 0  # alice from elsewhere is not locked out
    assert auth.login_blocked(store, "10.0.0.1", "bob") == 0
    clock(61)
    assert auth.login_blocked(store, "10.0.0.1", "alice") == 0
    for _ in range(4):
        auth.record_login_failure(store, "10.0.0.1", "alice")
    assert auth.record_login_failure(store, "10.0.0.1", "alice") == 120  # grows: 1, 2, 4 … minutes
    # lock-outs from one address never exceed 15 minutes: 60·2^(n−1) capped at 900 s
    secs = []
    for _ in range(6):
        clock(2000)
        for _ in range(5):
            s = auth.record_login_failure(store, "10.0.0.1", "alice")
        secs.append(s)
    assert secs == [240, 480, 900, 900, 900, 900]
    auth.record_login_success(store, "10.0.0.1", "alice")
    assert auth.login_blocked(store, "10.0.0.1", "alice") == 0


def test_password_spraying_from_one_address_is_limited(store, clock):
    for i in range(19):
        auth.record_login_failure(store, "10.0.0.9", f"user{i}")
    assert auth.login_blocked(store, "10.0.0.9", "someone") == 0
    assert auth.record_login_failure(store, "10.0.0.9", "user19") == 60  # 20 accounts tried: the address waits
    assert auth.login_blocked(store, "10.0.0.9", "someone") == 60
    assert auth.login_blocked(store, "10.0.0.10", "someone") == 0


def test_account_budget_holds_only_addresses_that_failed_on_it(store, clock):
    for i in range(10):  # ten addresses, one failure each: the account's budget is spent
        auth.record_login_failure(store, f"10.1.0.{i}", "carol")
    assert auth.login_blocked(store, "10.1.0.3", "carol") == 60
    assert auth.login_blocked(store, "192.168.5.5", "carol") == 0  # carol herself, from her own desk


def test_the_budget_lives_in_the_store_not_in_the_process(store, clock):
    from parcels.store import open_store

    for _ in range(5):
        auth.record_login_failure(store, "10.0.0.1", "dave")
    other = open_store(store.url)  # another worker process, or the service after a restart
    assert auth.login_blocked(other, "10.0.0.1", "dave") == 60
    other.close()


def test_sessions_per_user_are_capped_oldest_ended(store, clock):
    tokens = []
    for _ in range(7):
        tokens.append(auth.create_session(store, "erin", 60, max_sessions=5)[0])
        clock(1)
    assert len(store.sys_query("sessions", {"username": "erin"})) == 5
    assert auth.lookup_session(store, tokens[0]) is None and auth.lookup_session(store, tokens[1]) is None
    assert all(auth.lookup_session(store, t) is not None for t in tokens[2:])


def test_beijing_time():
    assert auth.beijing_time("2026-11-26T16:30:00Z") == "2026-11-27 00:30:00"
    assert auth.beijing_time("2026-11-26T16:30:00Z", iso_format=True) == "2026-11-27T00:30:00+08:00"


@pytest.mark.postgis
def test_postgis_refuses_truncate_of_the_audit_log(pg_db):
    from sqlalchemy import create_engine, text

    from parcels.store import open_store
    from parcels.store.postgis import sqlalchemy_url

    s = open_store(pg_db, init=True)
    auth.audit(s, "admin", "login", "x", "127.0.0.1")
    eng = create_engine(sqlalchemy_url(pg_db))
    for sql in ("TRUNCATE audit_log", "DELETE FROM audit_log", "UPDATE audit_log SET detail = 'y'"):
        with pytest.raises(Exception, match="append-only"), eng.begin() as c:
            c.execute(text(sql))
    assert [r["detail"] for r in s.sys_query("audit_log")] == ["x"]
    eng.dispose()
    s.close()


def test_web_login_throttle_and_audit_page_in_beijing_time(web_site, tmp_path):
    site_db = str(copy_site(web_site, tmp_path))
    _, c = make_client(site_db)

    def tok():
        return re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)

    for _ in range(5):
        r = c.post("/login", data={"username": "viewer1", "password": "wrong-password", "csrf": tok()})
        assert r.status_code == 401
    r = c.post("/login", data={"username": "viewer1", "password": PASSWORDS["viewer1"], "csrf": tok()})
    assert r.status_code == 429 and "1 分钟后再试" in r.text
    _, c2 = make_client(site_db)  # another worker: the same budget
    r = c2.get("/login")
    t2 = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = c2.post("/login", data={"username": "viewer1", "password": PASSWORDS["viewer1"], "csrf": t2})
    assert r.status_code == 429
    # the audit page and CSV show Beijing time; the store keeps UTC
    from parcels.store import open_store

    store = open_store(site_db)
    store.sys_insert("audit_log", {"ts": "2026-11-26T16:30:00Z", "username": "x", "action": "login", "detail": "probe"})
    _, a = make_client(site_db)
    login(a, "admin1")
    page = a.get("/admin/audit?username=x").text
    assert "2026-11-27 00:30:00" in page and "北京时间" in page
    rows = list(csv.reader(io.StringIO(a.get("/api/audit.csv?username=x").content.decode("utf-8-sig"))))
    assert "北京" in rows[0][1] and rows[1][1] == "2026-11-27T00:30:00+08:00"
    assert store.sys_query("audit_log", {"username": "x"})[0]["ts"] == "2026-11-26T16:30:00Z"
