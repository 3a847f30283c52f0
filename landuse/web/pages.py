"""HTML pages (Chinese): login, map, dashboard, target list, reports, and the administrators' pages."""

from __future__ import annotations

import re
import secrets
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from landuse.core.labels import STALE_RESULTS
from landuse.services import accounts as auth
from landuse.web import data
from landuse.web.access import Principal, current, need
from landuse.web.templating import templates
from landuse.web.common import (
    REPORT_MISSING,
    checked_form,
    check_csrf,
    client_ip,
    csrf_from,
    handle_upload,
    report_writer,
    store_of,
)

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "landuse_login_csrf"


def render(request: Request, name: str, principal: Principal | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.update(principal=principal, nav=_nav(principal), path=request.url.path)
    if principal is not None and isinstance(ctx.get("year"), int) and "stale" not in ctx:
        ctx["stale"] = data.results_stale(store_of(request), ctx["year"])
        ctx["stale_text"] = " ".join(STALE_RESULTS)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _nav(p: Principal | None) -> list[tuple[str, str]]:
    if p is None:
        return []
    items = [("/map", "地图", "map"), ("/dashboard", "开发区看板", "dashboard"), ("/targets", "处置清单", "targets"),
             ("/ledger", "处置台账", "ledger"),
             ("/reports", "评价报告", "reports"), ("/compare", "变化分析", "compare"),
             ("/versions", "结果版本", "versions"), ("/objections", "公示异议", "objections"),
             ("/admin/upload", "数据导入", "import"),
             ("/admin/users", "用户", "users"), ("/admin/audit", "审计日志", "audit"), ("/docs", "API", "session")]
    return [(href, label) for href, label, fn in items if p.may(fn)]


# ------------------------------------------------------------------------------------------------
# login / logout (failed logins are budgeted in the store: landuse.services.accounts)
# ------------------------------------------------------------------------------------------------

_NEXT_RE = re.compile(r"^/(?![/\\])[A-Za-z0-9/_\-.~?=&%#+,:@]*$")


def _safe_next(nxt: str | None) -> str:
    """Only a local path (no scheme, no //host, no backslash, no whitespace or control characters
    that browsers strip before resolving, e.g. "/\t/evil.example")."""
    if nxt and len(nxt) <= 500 and _NEXT_RE.match(nxt):
        return nxt
    return "/map"


def _login_page(request: Request, *, nxt: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", None, status, login_csrf=token, next=nxt, error=error)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                    secure=request.url.scheme == "https", max_age=3600)
    return resp


@router.get("/login")
def login_form(request: Request, next: str | None = Query(None, max_length=500)):
    return _login_page(request, nxt=_safe_next(next))


@router.post("/login")
async def login(request: Request):
    form = await request.form()
    nxt = _safe_next(str(form.get("next") or ""))
    tok, cookie = str(form.get("csrf") or ""), request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not tok or not cookie or not secrets.compare_digest(tok, cookie):
        return _login_page(request, nxt=nxt, error="页面已过期，请重新登录 / the form expired, try again", status=403)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    store = store_of(request)
    ip = client_ip(request)
    wait = await run_in_threadpool(auth.login_blocked, store, ip, username)
    if wait:
        auth.audit(store, username or None, "login_failed", f"throttled ({wait} s left)", ip)
        mins = max(1, -(-wait // 60))
        return _login_page(request, nxt=nxt, status=429,
                           error=f"登录失败次数过多，请 {mins} 分钟后再试 / too many failed logins: try again in {mins} min")
    user = await run_in_threadpool(auth.verify_login, store, username, password)
    if user is None:
        locked = await run_in_threadpool(auth.record_login_failure, store, ip, username)
        auth.audit(store, username or None, "login_failed",
                   "bad user name or password" + (f"; locked for {locked} s" if locked else ""), ip)
        return _login_page(request, nxt=nxt, error="用户名或密码错误 / wrong user name or password", status=401)
    await run_in_threadpool(auth.record_login_success, store, ip, username)
    settings = request.app.state.settings
    minutes = settings.session_minutes
    token, _sess = auth.create_session(store, user.username, minutes, max_sessions=settings.max_sessions)
    auth.audit(store, user.username, "login", f"role={user.role}", ip)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                    secure=request.url.scheme == "https", max_age=int(minutes) * 60)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
async def logout(request: Request, p: Principal = Depends(need("session"))):
    check_csrf(p, await csrf_from(request))
    store = store_of(request)
    auth.delete_session(store, request.cookies.get(auth.SESSION_COOKIE))
    auth.audit(store, p.username, "logout", None, client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(auth.SESSION_COOKIE, path="/")
    return resp


@router.get("/")
def home(p: Principal = Depends(need("session"))):
    return RedirectResponse("/map", status_code=303)


# ------------------------------------------------------------------------------------------------
# pages for everyone with the function
# ------------------------------------------------------------------------------------------------

@router.get("/map")
def map_page(request: Request, year: int | None = Query(None, ge=1990, le=2100), p: Principal = Depends(need("map"))):
    store = store_of(request)
    years = data.result_years(store)
    y = year if year is not None else (years[-1] if years else None)
    cfg = data.map_config(store, p, policy=data.policy_for(store, y, request.app.state.policy), year=y)
    # vector tiles from PostGIS or from the stored tiles of the year (either backend), else GeoJSON per zone
    return render(request, "map.html", p, year=y, years=years, mode="tiles" if data.serves_tiles(store, y) else "geojson",
                  tile_years="all" if data.is_pg(store) else ",".join(map(str, store.tile_years())),
                  figures=data.can_see_figures(p), cfg=cfg, survey_classes=data.SURVEY_LEGEND)


@router.get("/dashboard")
def dashboard_page(request: Request, year: int | None = Query(None, ge=1990, le=2100),
                   zone: str | None = Query(None, max_length=40), p: Principal = Depends(need("dashboard"))):
    store = store_of(request)
    years = data.result_years(store)
    y = year if year is not None else (years[-1] if years else None)
    table = data.zone_table(store, p, y) if y is not None else []
    detail = data.zone_dashboard(store, p, zone, y) if zone and y is not None else None
    pilots = data.pilot_table(store, p, y) if y is not None else []
    from landuse.services.quota import stored_quota
    from landuse.services.results import version_label
    from landuse.web.ledger_data import dashboard_panel

    return render(request, "dashboard.html", p, year=y, years=years, table=table, zone=zone, detail=detail,
                  pilots=pilots, quota=stored_quota(store, year=y) if y is not None else None,
                  version_label=version_label(store, y), ledger=dashboard_panel(store, p, zone))


@router.get("/targets")
def targets_page(request: Request, year: int | None = Query(None, ge=1990, le=2100),
                 zone: str | None = Query(None, max_length=40), rule: str | None = Query(None, max_length=60),
                 severity: int | None = Query(None, ge=0, le=10), page: int = Query(1, ge=1, le=100000),
                 per_page: int = Query(100, ge=10, le=1000),
                 sort: Literal[data.TARGET_SORTS] = Query("priority"),  # type: ignore[valid-type]
                 order: Literal["asc", "desc"] = Query("asc"), p: Principal = Depends(need("targets"))):
    store = store_of(request)
    years = data.result_years(store)
    y = year if year is not None else (years[-1] if years else None)
    rows, total, rules, pages = [], 0, [], 1
    if y is not None:
        t = data.targets(store, p, year=y, policy=data.policy_for(store, y, request.app.state.policy), zone=zone or None,
                         rule=rule or None, severity=severity)
        total = len(t)
        shown, page, pages = data.page_of(data.sort_targets(t, sort, order), page, per_page)
        rows = data.records(shown)
        rules = data.target_rules(store, p, y)
    q = {k: v for k, v in dict(year=y, zone=zone, rule=rule, severity=severity).items() if v not in (None, "")}
    here = {**q, "per_page": per_page, "sort": sort, "order": order}
    first = (page - 1) * per_page + 1 if total else 0
    return render(request, "targets.html", p, year=y, years=years, zone=zone or "", rule=rule or "",
                  severity=severity, rows=rows, total=total, rules=rules, zones=data.zones(store, p),
                  query=urlencode(q), can_download=p.may("download"), page=page, pages=pages, per_page=per_page,
                  sort=sort, order=order, first=first, last=first + len(rows) - 1 if rows else 0,
                  page_url=lambda n: "/targets?" + urlencode({**here, "page": n}),
                  sort_url=lambda k: "/targets?" + urlencode({**q, "per_page": per_page, "sort": k,
                                                              "order": "desc" if (k == sort and order == "asc") else "asc"}))


@router.get("/reports")
def reports_page(request: Request, year: int | None = Query(None, ge=1990, le=2100), p: Principal = Depends(need("reports"))):
    store = store_of(request)
    years = data.result_years(store)
    y = year if year is not None else (years[-1] if years else None)
    from landuse.web.common import available_periods

    return render(request, "reports.html", p, year=y, years=years, available=report_writer() is not None,
                  missing=REPORT_MISSING, periods=available_periods(store))


# ------------------------------------------------------------------------------------------------
# administrators
# ------------------------------------------------------------------------------------------------

@router.get("/admin/upload")
def upload_page(request: Request, p: Principal = Depends(need("import"))):
    return render(request, "upload.html", p, result=None,
                  max_mb=request.app.state.settings.max_upload_mb)


@router.post("/admin/upload")
async def upload(request: Request, p: Principal = Depends(need("import"))):
    res, name = await handle_upload(request, p)
    from landuse.core.labels import headers

    return render(request, "upload.html", p, 200 if res["ok"] else res.get("status", 422), result=res, filename=name,
                  headers=headers(["severity", "file", "layer", "row", "column", "value", "expected", "code"], None, "zh"),
                  max_mb=request.app.state.settings.max_upload_mb)


@router.get("/admin/audit")
def audit_page(request: Request, username: str | None = Query(None, max_length=64),
               action: str | None = Query(None, max_length=40), p: Principal = Depends(need("audit"))):
    rows = auth.read_audit(store_of(request), limit=500, username=username or None, action=action or None)
    rows = [{**r, "ts": auth.beijing_time(r.get("ts"))} for r in rows]
    q = {k: v for k, v in dict(username=username, action=action).items() if v}
    return render(request, "audit.html", p, rows=rows, username=username or "", action=action or "",
                  actions=auth.AUDIT_ACTIONS_ZH, query=urlencode(q))


@router.get("/admin/users")
def users_page(request: Request, p: Principal = Depends(need("users"))):
    store = store_of(request)
    return render(request, "users.html", p, users=auth.list_users(store), roles=auth.ROLE_ZH,
                  message=None, error=None, zones=data.zones(store, p))


@router.post("/admin/users")
async def users_add(request: Request, p: Principal = Depends(need("users"))):
    form = await checked_form(request, p)
    store = store_of(request)
    msg = err = None
    try:
        u = await run_in_threadpool(
            lambda: auth.add_user(store, str(form.get("username") or "").strip(), role=str(form.get("role") or ""),
                                  password=str(form.get("password") or ""), zones=str(form.get("zones") or ""),
                                  actor=p.username, ip=client_ip(request)))
        msg = f"已创建用户 {u.username}"
    except auth.AuthError as exc:
        err = str(exc)
    return render(request, "users.html", p, 200 if err is None else 400, users=auth.list_users(store),
                  roles=auth.ROLE_ZH, message=msg, error=err, zones=data.zones(store, p))


@router.post("/admin/users/{username}/active")
async def users_active(request: Request, username: str, p: Principal = Depends(need("users"))):
    form = await checked_form(request, p)
    store = store_of(request)
    active = str(form.get("active") or "") == "1"
    if username == p.username and not active:
        raise HTTPException(400, "不能停用自己的账号 / you cannot disable your own account")
    try:
        auth.set_active(store, username, active, actor=p.username, ip=client_ip(request))
    except auth.AuthError:
        raise HTTPException(404, "未找到 / not found") from None
    return RedirectResponse("/admin/users", status_code=303)


# ------------------------------------------------------------------------------------------------
# OpenAPI and Swagger UI (vendored assets, no CDN); both need a login
# ------------------------------------------------------------------------------------------------

@router.get("/openapi.json")
def openapi(request: Request, p: Principal = Depends(need("session"))):
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(request: Request, p: Principal = Depends(need("session"))):
    return render(request, "docs.html", p)


_ = current  # re-exported for tests that want the bare dependency
