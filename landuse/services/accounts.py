"""Accounts, passwords, login sessions and the audit log (the web service's system tables).

- Passwords: argon2id (argon2-cffi defaults); only the hash is stored. There is no default account
  and no default password: a fresh store has no users, ``landuse user add NAME --role admin``
  creates the first administrator.
- Sessions: a random 256-bit token travels in an HttpOnly, SameSite=Lax cookie; the ``sessions``
  table keeps only its SHA-256, the user, a per-session CSRF token and a fixed expiry
  (``LANDUSE_SESSION_MINUTES``). Logout deletes the row. Nothing is signed, so no secret key is
  needed (``LANDUSE_SECRET_KEY`` is not used by this service).
  A user has at most ``LANDUSE_MAX_SESSIONS`` sessions (default 5): a new login ends the oldest.
- Failed logins are budgeted in the store (``login_throttle``, so every worker process shares them
  and a restart forgets nothing): per address and account (5 failures), per address over all
  accounts (20: password spraying) and per account over all addresses (10). A spent budget locks
  for a short, growing time (1, 2, 4 … minutes; at most 15 minutes for an address and account,
  60 for an address). The account-wide lock holds only for addresses that have failed on that
  account, so nobody can lock a named user out from elsewhere, and from one address only for minutes.
- Audit: one append-only row per login, failed login, logout, import, export/download and user
  change (the store's triggers/permissions refuse UPDATE, DELETE and TRUNCATE on ``audit_log``).
  Times are stored in UTC and shown in Beijing time (:func:`beijing_time`).

A service used by the web service and by ``landuse user ...`` alike.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from landuse.core.errors import LanduseError, UnknownCode
from landuse.core.labels import AUDIT_ACTION_LABELS, ROLE_LABELS
from parcels.store.base import Store

ROLES = ("admin", "evaluator", "manager", "viewer")
ROLE_ZH = {k: v[0] for k, v in ROLE_LABELS.items()}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-@]{2,64}$")
ZONE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
MIN_PASSWORD = 10
SESSION_COOKIE = "landuse_session"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a failed login takes the same time either
    way. Made on first use, not on import: an argon2 hash takes ~0.13 s and every command imports
    this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AuthError(LanduseError):
    """A user-management request that cannot be done (bad name, role, weak password...)."""


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> _dt.datetime:
    return _dt.datetime.strptime(str(s), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC)


try:
    from zoneinfo import ZoneInfo

    BEIJING: _dt.tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no time-zone database: China has kept UTC+8 without summer time since 1991
    BEIJING = _dt.timezone(_dt.timedelta(hours=8), "CST")


def beijing_time(ts: str | None, *, iso_format: bool = False) -> str:
    """A stored UTC time ('2026-11-26T10:00:00Z') in Beijing time: '2026-11-26 18:00:00', or with
    ``iso_format`` '2026-11-26T18:00:00+08:00'. Text that is not such a time is returned as is."""
    if not ts:
        return ""
    try:
        t = parse_iso(ts)
    except ValueError:
        try:
            t = _dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=_dt.UTC)
        except ValueError:
            return str(ts)
    local = t.astimezone(BEIJING)
    return local.isoformat(timespec="seconds") if iso_format else local.strftime("%Y-%m-%d %H:%M:%S")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------
# users
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class User:
    username: str
    role: str
    zones: tuple[str, ...]
    active: bool


def _user(row: dict[str, Any]) -> User:
    zones = tuple(z for z in (row.get("zones") or "").split(",") if z)
    return User(row["username"], row["role"], zones, bool(int(row.get("active") or 0)))


def parse_zones(zones: str | list[str] | None) -> tuple[str, ...]:
    if zones is None:
        return ()
    items = zones.split(",") if isinstance(zones, str) else list(zones)
    out = tuple(dict.fromkeys(z.strip() for z in items if z and z.strip()))
    for z in out:
        if not ZONE_RE.match(z):
            raise AuthError(f"开发区代码无效：{z!r} / invalid zone code")
    return out


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"密码至少 {MIN_PASSWORD} 个字符 / password must have at least {MIN_PASSWORD} characters")
    if password.strip() != password or len(set(password)) < 4:
        raise AuthError("密码过于简单 / password too simple")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def get_user(store: Store, username: str) -> User | None:
    rows = store.sys_query("users", {"username": username})
    return _user(rows[0]) if rows else None


def list_users(store: Store) -> list[User]:
    return sorted((_user(r) for r in store.sys_query("users")), key=lambda u: u.username)


def add_user(store: Store, username: str, *, role: str, password: str, zones: str | list[str] | None = None,
             actor: str | None = None, ip: str | None = None) -> User:
    if not USERNAME_RE.match(username or ""):
        raise AuthError("用户名只能包含字母、数字和 _ . - @（2–64 个字符）/ username: 2–64 of A-Z a-z 0-9 _ . - @")
    if role not in ROLES:
        raise AuthError(f"角色应为 {'|'.join(ROLES)} / role must be one of {', '.join(ROLES)}")
    zs = parse_zones(zones)
    if role == "manager" and not zs:
        raise AuthError("开发区管理人员必须指定 --zones / a manager needs --zones")
    check_zones_known(store, zs)
    check_password_strength(password)
    if get_user(store, username):
        raise AuthError(f"用户 {username} 已存在 / user exists")
    store.sys_insert("users", {"username": username, "role": role, "zones": ",".join(zs) or None,
                               "password_hash": hash_password(password), "active": 1, "created_at": iso(now())})
    audit(store, actor, "user_add", f"{username} role={role} zones={','.join(zs)}", ip)
    return User(username, role, zs, True)


def check_zones_known(store: Store, zones: tuple[str, ...] | list[str]) -> None:
    """Refuse an account bound to a zone the store does not know, naming the nearest known codes
    (a mistyped code would otherwise give a manager who sees nothing)."""
    if not zones:
        return
    known = sorted(set(store.read("zones", columns=["zone_code"], geometry=False)["zone_code"].dropna()))
    bad = [z for z in zones if z not in known]
    if not bad:
        return
    if not known:
        raise AuthError("尚未导入开发区，不能按开发区授权；请先运行 landuse import / no zones imported yet: "
                        "import the data package before creating zone-bound accounts")
    import difflib

    msgs = [str(UnknownCode("zone", z, difflib.get_close_matches(z, known, n=3, cutoff=0.5) or known[:3])) for z in bad]
    err = AuthError("；".join(msgs))
    err.unknown = bad  # type: ignore[attr-defined]
    raise err


def set_active(store: Store, username: str, active: bool, *, actor: str | None = None, ip: str | None = None) -> None:
    if store.sys_update("users", {"username": username}, {"active": 1 if active else 0}) == 0:
        raise AuthError(f"没有用户 {username} / no such user")
    if not active:
        store.sys_delete("sessions", {"username": username})
    audit(store, actor, "user_enable" if active else "user_disable", username, ip)


def set_password(store: Store, username: str, password: str, *, actor: str | None = None, ip: str | None = None) -> None:
    check_password_strength(password)
    if store.sys_update("users", {"username": username}, {"password_hash": hash_password(password)}) == 0:
        raise AuthError(f"没有用户 {username} / no such user")
    store.sys_delete("sessions", {"username": username})  # a new password ends every open session
    audit(store, actor, "user_passwd", username, ip)


def verify_login(store: Store, username: str, password: str) -> User | None:
    """The user when the password matches and the account is active; None otherwise."""
    rows = store.sys_query("users", {"username": username}) if USERNAME_RE.match(username or "") else []
    stored = rows[0]["password_hash"] if rows else _dummy_hash()
    try:
        ok = _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or not rows:
        return None
    user = _user(rows[0])
    if not user.active:
        return None
    if _hasher.check_needs_rehash(stored):
        store.sys_update("users", {"username": username}, {"password_hash": hash_password(password)})
    return user


# ------------------------------------------------------------------------------------------------
# sessions
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    username: str
    csrf: str
    expires_at: _dt.datetime


MAX_SESSIONS = 5


def create_session(store: Store, username: str, minutes: int, *, max_sessions: int = MAX_SESSIONS) -> tuple[str, Session]:
    """A new session: returns (cookie token, session). Only the token's SHA-256 is stored. The user's
    oldest sessions end so that at most ``max_sessions`` remain."""
    _purge_expired(store, username)
    live = sorted(store.sys_query("sessions", {"username": username}), key=lambda r: (str(r["created_at"]),
                                                                                     str(r["expires_at"])))
    for row in live[:max(0, len(live) - max(1, int(max_sessions)) + 1)]:
        store.sys_delete("sessions", {"token_hash": row["token_hash"]})
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    t0 = now()
    exp = t0 + _dt.timedelta(minutes=int(minutes))
    store.sys_insert("sessions", {"token_hash": token_hash(token), "username": username, "csrf": csrf,
                                  "created_at": iso(t0), "expires_at": iso(exp)})
    return token, Session(username, csrf, exp)


def lookup_session(store: Store, token: str | None) -> Session | None:
    if not token or len(token) > 200:
        return None
    rows = store.sys_query("sessions", {"token_hash": token_hash(token)})
    if not rows:
        return None
    row = rows[0]
    exp = _live_until(store, row)
    return None if exp is None else Session(row["username"], row["csrf"], exp)


def _live_until(store: Store, row: dict[str, Any]) -> _dt.datetime | None:
    """When a stored session expires; None when it has (the row is deleted) or its date is unreadable."""
    try:
        exp = parse_iso(row["expires_at"])
    except ValueError:
        return None
    if exp <= now():
        store.sys_delete("sessions", {"token_hash": row["token_hash"]})
        return None
    return exp


def session_user(store: Store, token: str | None) -> tuple[Session, User] | None:
    """The live session of a cookie token and its user (one query); None when the token is unknown
    or expired (an expired session is deleted), or when its user no longer exists."""
    if not token or len(token) > 200:
        return None
    row = store.session_user(token_hash(token))
    if row is None:
        return None
    exp = _live_until(store, row)
    if exp is None or row.get("role") is None:
        return None
    return Session(row["username"], row["csrf"], exp), _user(row)


def delete_session(store: Store, token: str | None) -> None:
    if token:
        store.sys_delete("sessions", {"token_hash": token_hash(token)})


def _purge_expired(store: Store, username: str) -> None:
    t = now()
    for row in store.sys_query("sessions", {"username": username}):
        try:
            expired = parse_iso(row["expires_at"]) <= t
        except ValueError:
            expired = True
        if expired:
            store.sys_delete("sessions", {"token_hash": row["token_hash"]})


# ------------------------------------------------------------------------------------------------
# failed-login budgets (store-backed)
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    failures: int  # failures allowed within the window
    base_s: int  # first lock-out; doubles with each further one
    max_s: int  # longest lock-out


FAIL_WINDOW_S = 900
BUDGETS = {
    "pair": Budget(5, 60, 15 * 60),  # one address on one account
    "ip": Budget(20, 60, 60 * 60),  # one address over every account (password spraying)
    "user": Budget(10, 60, 15 * 60),  # one account over every address (only for addresses that failed on it)
}
LOCKOUTS_FORGOTTEN_S = 24 * 3600


def _throttle_keys(ip: str | None, username: str) -> dict[str, str]:
    ip_ = ip or "?"
    user = (username or "").strip().lower()[:64]
    return {"pair": f"pair:{ip_}|{user}", "ip": f"ip:{ip_}", "user": f"user:{user}"}


def _row(store: Store, key: str) -> dict[str, Any] | None:
    rows = store.sys_query("login_throttle", {"key": key})
    return rows[0] if rows else None


def _in_window(row: dict[str, Any] | None, t: _dt.datetime) -> bool:
    if not row:
        return False
    try:
        return (t - parse_iso(row["window_start"])).total_seconds() < FAIL_WINDOW_S
    except ValueError:
        return False


def login_blocked(store: Store, ip: str | None, username: str) -> int:
    """Seconds until this address may try this account again (0: it may now)."""
    t = now()
    keys = _throttle_keys(ip, username)
    rows = {kind: _row(store, key) for kind, key in keys.items()}
    if rows["user"] and not _recent(rows["pair"], t):
        rows["user"] = None  # an address that has not failed on this account lately is not held by its lock
    wait = 0
    for row in rows.values():
        wait = max(wait, _locked_for(row, t))
    return wait


def _recent(row: dict[str, Any] | None, t: _dt.datetime) -> bool:
    if not row:
        return False
    try:
        return (t - parse_iso(row["updated_at"])).total_seconds() < FAIL_WINDOW_S
    except ValueError:
        return False


def _locked_for(row: dict[str, Any] | None, t: _dt.datetime) -> int:
    if not row or not row.get("locked_until"):
        return 0
    try:
        left = (parse_iso(row["locked_until"]) - t).total_seconds()
    except ValueError:
        return 0
    return max(0, int(left + 0.999))


def record_login_failure(store: Store, ip: str | None, username: str) -> int:
    """Count a failed login against each budget; returns the lock-out it started (seconds, 0: none)."""
    t = now()
    started = 0
    for kind, key in _throttle_keys(ip, username).items():
        budget = BUDGETS[kind]
        row = _row(store, key)
        lockouts = int(row["lockouts"] or 0) if row else 0
        if row:
            try:
                if (t - parse_iso(row["updated_at"])).total_seconds() > LOCKOUTS_FORGOTTEN_S:
                    lockouts = 0
            except ValueError:
                lockouts = 0
        failures = int(row["failures"] or 0) + 1 if _in_window(row, t) else 1
        window = row["window_start"] if _in_window(row, t) else iso(t)
        locked = row.get("locked_until") if row else None
        if failures >= budget.failures:
            lockouts += 1
            secs = min(budget.max_s, budget.base_s * 2 ** (lockouts - 1))
            locked = iso(t + _dt.timedelta(seconds=secs))
            started = max(started, secs)
            failures, window = 0, iso(t)
        values = {"failures": failures, "window_start": window, "locked_until": locked, "lockouts": lockouts,
                  "updated_at": iso(t)}
        if row:
            store.sys_update("login_throttle", {"key": key}, values)
        else:
            try:
                store.sys_insert("login_throttle", {"key": key, **values})
            except Exception:  # noqa: BLE001 - another worker inserted it first: count on that row
                store.sys_update("login_throttle", {"key": key}, values)
    return started


def record_login_success(store: Store, ip: str | None, username: str) -> None:
    """A good password clears this address's failures on this account (not the other budgets)."""
    store.sys_delete("login_throttle", {"key": _throttle_keys(ip, username)["pair"]})


# ------------------------------------------------------------------------------------------------
# audit
# ------------------------------------------------------------------------------------------------

AUDIT_ACTIONS_ZH = {k: v[0] for k, v in AUDIT_ACTION_LABELS.items()}


def audit(store: Store, username: str | None, action: str, detail: str | None = None, ip: str | None = None) -> None:
    store.sys_insert("audit_log", {"ts": iso(now()), "username": username, "action": action,
                                   "detail": (detail or "")[:2000], "ip": ip})


def read_audit(store: Store, *, limit: int | None = None, username: str | None = None,
               action: str | None = None) -> list[dict[str, Any]]:
    where = {}
    if username:
        where["username"] = username
    if action:
        where["action"] = action
    rows = store.sys_query("audit_log", where or None)
    rows = sorted(rows, key=lambda r: int(r["id"]), reverse=True)
    return rows[:limit] if limit else rows
