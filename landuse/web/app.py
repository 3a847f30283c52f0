"""The web service: FastAPI over the store the command line uses.

``create_app(db)`` builds the application; ``landuse serve`` runs it with uvicorn. Pages are Chinese
(jinja2 templates in ``templates/``), assets are served from this package's ``static/`` and the map
module's ``maps/static/`` (no CDN). The JSON API lives under ``/api`` and is described at
``/openapi.json`` and ``/docs`` (Swagger UI served from vendored files; both need a login).
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from landuse.core.errors import LanduseError, NoResults, PolicyError, StoreUnavailable, UnknownCode, ValidationFailed
from landuse.reports.data import ReportError
from landuse.services.accounts import AuthError
from landuse.services.evaluate import NoDataForYear
from landuse.services.periods import NoDataForPeriod
from landuse.core.settings import Settings, get_settings
from landuse.web.templating import templates

log = logging.getLogger("landuse.web")

HERE = Path(__file__).resolve().parent
MAPS_STATIC = HERE.parent.parent / "maps" / "static"
UPLOAD_PATHS = ("/admin/upload", "/api/import")
DEFAULT_BODY_LIMIT = 1024 * 1024  # forms and JSON: 1 MiB

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]



class BodyTooLarge(Exception):
    pass


class Guard:
    """Outermost middleware (pure ASGI): request-body limits, security headers, no server banner,
    and a generic 500 for any unhandled error (details only in the server log)."""

    def __init__(self, app, *, upload_limit: int, default_limit: int = DEFAULT_BODY_LIMIT) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.default_limit = default_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.upload_limit if path in UPLOAD_PATHS else self.default_limit
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        started = False

        async def snd(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                hdrs = [(k, v) for k, v in msg.get("headers", []) if k.lower() != b"server"]
                have = {k.lower() for k, _ in hdrs}
                hdrs += [h for h in SECURITY_HEADERS if h[0] not in have]
                if b"content-security-policy" not in have:
                    hdrs.append((b"content-security-policy", CSP.encode()))
                if b"cache-control" not in have and not path.startswith("/static/"):
                    hdrs.append((b"cache-control", b"no-store"))
                msg = {**msg, "headers": hdrs}
            await send(msg)

        try:
            cl = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            cl = 0
        if cl > limit:
            return await self._plain(scope, snd, 413, "上传内容过大 / request body too large")
        received = 0

        async def rcv():
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return msg

        try:
            await self.app(scope, rcv, snd)
        except BodyTooLarge:
            if not started:
                await self._plain(scope, snd, 413, "上传内容过大 / request body too large")
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("unhandled error ref=%s %s %s", ref, scope.get("method"), path)
            if not started:
                await self._plain(scope, snd, 500, f"服务器内部错误，请联系管理员（编号 {ref}）/ internal error (ref {ref})")

    @staticmethod
    async def _plain(scope, send, status: int, text: str) -> None:
        if scope.get("path", "").startswith(("/api/", "/tiles/")):
            body = json.dumps({"detail": text}, ensure_ascii=False).encode()
            ctype = b"application/json"
        else:
            body = ERROR_PAGE.format(status=status, text=text).encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


#: the product's errors and the status each answers with (the most specific class wins), as titiler's
#: DEFAULT_STATUS_CODES: one table for the whole web service
ERROR_STATUS: dict[type[Exception], int] = {
    StoreUnavailable: 503,  # StoreBusy too: a writer holds the GeoPackage, or PostgreSQL is down
    UnknownCode: 404,
    NoDataForYear: 404,
    NoResults: 404,
    NoDataForPeriod: 404,
    ReportError: 404,
    ValidationFailed: 422,
    AuthError: 400,
    PolicyError: 400,
    LanduseError: 400,
}

ERROR_PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>错误 {status}</title>"
              "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\"><h1>出错了（{status}）</h1>"
              "<p>{text}</p><p><a href=\"/\">返回首页</a></p></main></body></html>")


def _error_status(exc: Exception) -> int:
    """The status of a product error: the table's entry for the most specific class of ``exc``."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


async def product_error(request: Request, exc: Exception):
    """The one mapping from the product's errors (:mod:`landuse.core.errors` and the services') to
    responses: JSON on the API, the error page elsewhere; the message is the error's own bilingual
    text, never a traceback. Routes raise; they do not translate."""
    status = _error_status(exc)
    text = str(exc)[:600]
    headers = {}
    if status == 503:
        log.warning("store unavailable %s %s: %s", request.method, request.url.path, exc)
        text = f"数据库暂时不可用，请稍后再试 / the database is unavailable right now, try again later ({exc})"[:600]
        headers = {"retry-after": "30"}
    if _is_api(request):
        return JSONResponse({"detail": text}, status_code=status, headers=headers)
    return templates.TemplateResponse(request, "error.html", {"status": status, "text": text, "principal": None},
                                      status_code=status, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/tiles/", "/openapi.json"))


def create_app(db: str | None = None, *, settings: Settings | None = None, store=None) -> FastAPI:
    from landuse.core.policy import default_policy
    from parcels.store import open_store

    settings = settings or get_settings()
    app = FastAPI(
        title="开发区土地集约利用与亩均效益评价 API",
        description="Land-use efficiency of development zones: maps, dashboards, target lists, reports. "
                    "All endpoints need a login (session cookie from /login); POST needs the session's "
                    "CSRF token (form field `csrf` or header `X-CSRF-Token`).",
        version="1",
        docs_url=None, redoc_url=None, openapi_url=None,
    )
    app.state.store = store or open_store(db, init=True)
    app.state.settings = settings
    # the unknown-user hash made now, so the first failed login takes as long as the others
    from landuse.services.accounts import _dummy_hash

    _dummy_hash()
    app.state.policy = default_policy()

    from landuse.web import api, evaluator, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(evaluator.router)
    from landuse.web import ledger as ledger_web

    app.include_router(ledger_web.router)
    app.mount("/static/maps", StaticFiles(directory=str(MAPS_STATIC)), name="maps_static")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 401 and not _is_api(request):
            nxt = request.url.path + (("?" + request.url.query) if request.url.query else "")
            from urllib.parse import quote

            return RedirectResponse("/login?next=" + quote(nxt, safe=""), status_code=303)
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "text": exc.detail,
                                                                  "principal": None}, status_code=exc.status_code)

    for cls in ERROR_STATUS:
        app.add_exception_handler(cls, product_error)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        msg = "请求参数无效 / invalid request parameters"
        if _is_api(request):
            errs = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
            return JSONResponse({"detail": msg, "errors": errs}, status_code=422)
        return templates.TemplateResponse(request, "error.html", {"status": 400, "text": msg, "principal": None},
                                          status_code=400)

    app.add_middleware(Guard, upload_limit=int(settings.max_upload_mb) * 1024 * 1024)
    return app


def serve(db: str | None, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the service with uvicorn (no server banner; trusts X-Forwarded-* from 127.0.0.1 only)."""
    import os

    import uvicorn

    from landuse.core.settings import resolve_db

    target = resolve_db(db)
    os.environ["LANDUSE_DATABASE_URL"] = target
    # one store per worker process: the app factory reads LANDUSE_DATABASE_URL
    uvicorn.run("landuse.web.app:app_factory", factory=True, host=host, port=port, workers=workers,
                server_header=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="info")


def app_factory() -> FastAPI:
    return create_app(None)
