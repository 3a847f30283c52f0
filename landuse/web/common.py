"""Helpers shared by the pages and the API: CSRF, client address, downloads, reports, uploads."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import HTTPException, Request
from fastapi.responses import Response

from landuse.services import accounts as auth
from landuse.web.access import Principal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


def store_of(request: Request):
    return request.app.state.store


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def check_csrf(principal: Principal, token: str | None) -> None:
    """Every POST carries the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``)."""
    if not token or not principal.csrf or not secrets.compare_digest(str(token), principal.csrf):
        raise HTTPException(403, "表单已过期或来源无效，请刷新页面后重试 / CSRF check failed")


async def csrf_from(request: Request, form=None) -> str | None:
    tok = request.headers.get("x-csrf-token")
    if tok:
        return tok
    if form is None:
        form = await request.form()
    v = form.get("csrf")
    return v if isinstance(v, str) else None


async def checked_form(request: Request, principal: Principal):
    """The posted form, after checking the session's CSRF token (form field or header)."""
    form = await request.form()
    check_csrf(principal, await csrf_from(request, form))
    return form


def form_year(form) -> int:
    """The ``year`` field of a posted form, or 400."""
    try:
        return int(str(form.get("year") or ""))
    except ValueError:
        raise HTTPException(400, "年度无效 / bad year") from None


def _cleanup(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def download_name(*parts: object, ext: str) -> str:
    """A file name for Content-Disposition built from validated values, reduced to [A-Za-z0-9_.-]."""
    stem = "_".join(_SAFE_NAME.sub("_", str(p)) for p in parts if p not in (None, ""))
    return f"{stem[:120]}.{ext}"


def render_to_bytes(write, ext: str) -> bytes:
    """Run ``write(path)`` on a fixed file name inside a private temporary folder (mode 0700) and
    return the bytes written. No request value ever reaches a file path: the name is constant."""
    tmp = tempfile.mkdtemp(prefix="landuse-dl-")
    try:
        path = Path(tmp) / f"download.{ext}"
        res = write(path)
        path = Path(res) if isinstance(res, (str, Path)) else path
        if path.parent != Path(tmp) or not path.exists():
            raise HTTPException(404, "未找到 / not found")
        return path.read_bytes()
    finally:
        _cleanup(tmp)


def bytes_download(body: bytes, filename: str, media_type: str, *, inline: bool = False) -> Response:
    disp = "inline" if inline else "attachment"
    return Response(body, media_type=media_type,
                    headers={"content-disposition": f'{disp}; filename="{filename}"'})


def target_download(request: Request, principal: Principal, t: pd.DataFrame, fmt: str, *, year: int,
                    zone: str | None) -> Response:
    """The target list (with parcel geometry for .gpkg) as a file, audited. ``t`` comes from
    :func:`landuse.web.data.targets`: zone checked against the store and the user's zones."""
    from landuse.services.exports import write_targets

    store = store_of(request)
    body = render_to_bytes(lambda p: write_targets(t, p, lang="zh"), fmt)
    media = XLSX if fmt == "xlsx" else GPKG
    auth.audit(store, principal.username, "export", f"targets {fmt} year={year} zone={zone or '*'} rows={len(t)}",
               client_ip(request))
    return bytes_download(body, download_name("targets", year, zone, ext=fmt), media)


def period_report_response(request: Request, principal: Principal, period: str, fmt: str):
    """The half-year report / in-year bulletin of ``period`` (validated by the route's pattern)."""
    if fmt not in REPORT_FORMATS:
        raise HTTPException(404, "未找到 / not found")
    from landuse.reports.period import write_period_report
    from landuse.services.periods import evaluate_period

    store = store_of(request)
    policy = request.app.state.policy
    res = evaluate_period(store, period=period, policy=policy)  # errors: the table in landuse.web.app
    body = render_to_bytes(lambda p: write_period_report(res, p, policy=policy, lang="zh"), fmt)
    name = download_name("period_report", res.period.code, ext=fmt)
    auth.audit(store, principal.username, "report", name, client_ip(request))
    resp = bytes_download(body, name, REPORT_FORMATS[fmt], inline=fmt == "html")
    if fmt == "html":
        resp.headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    return resp


def available_periods(store) -> list[str]:
    """The periods of enterprise_periods in the store, latest first."""
    from evaluation.periods import PERIOD_RE

    per = store.read("enterprise_periods", columns=["period"], geometry=False)
    codes = {str(v).strip().upper() for v in per["period"].dropna()}
    return sorted((c for c in codes if PERIOD_RE.match(c)), reverse=True)


# ------------------------------------------------------------------------------------------------
# reports (landuse.reports.write_report, written by another engineer)
# ------------------------------------------------------------------------------------------------

REPORT_FORMATS = {"xlsx": XLSX, "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
REPORT_MISSING = "报告功能尚未提供（landuse.reports 模块尚未安装）/ reports are not available yet"


def report_writer():
    try:
        from landuse.reports import write_report
    except ImportError:
        return None
    return write_report


def report_response(request: Request, principal: Principal, year: int, fmt: str, pilot_area: str | None = None):
    if fmt not in REPORT_FORMATS:
        raise HTTPException(404, "未找到 / not found")
    writer = report_writer()
    if writer is None:
        raise HTTPException(404, REPORT_MISSING)
    store = store_of(request)
    if pilot_area is not None:
        from landuse.web import data

        data.check_pilot_area(store, principal, pilot_area)
    from landuse.web import data

    policy = data.policy_for(store, year, request.app.state.policy)
    # the report's own errors (no results for the year...) answer through the table in landuse.web.app
    body = render_to_bytes(lambda p: writer(store, year=year, out=p, policy=policy, pilot_area=pilot_area,
                                            lang="zh"), fmt)
    name = download_name("report", year, pilot_area, ext=fmt)
    auth.audit(store, principal.username, "report", name, client_ip(request))
    resp = bytes_download(body, name, REPORT_FORMATS[fmt], inline=fmt == "html")
    if fmt == "html":
        # a generated document: shown inline but sandboxed (no scripts, no requests)
        resp.headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    return resp


# ------------------------------------------------------------------------------------------------
# upload → import
# ------------------------------------------------------------------------------------------------

def _failed(store, principal: Principal, ip: str | None, filename: str, message: str, expected: str,
            code: str) -> dict[str, Any]:
    """A refused upload: one problem naming the file and what was expected, and its audit row."""
    from landuse.core.errors import Problem

    problem = Problem(filename, "", None, None, message[:500], expected, code=code)
    auth.audit(store, principal.username, "import_failed", f"{filename}: {message}"[:2000], ip)
    return {"ok": False, "problems": [problem.as_dict()], "changes": [], "notes": [],
            "error": f"未导入任何数据：{message[:300]} / nothing was imported"}


def run_upload(request: Request, principal: Principal, upload_path: Path, filename: str) -> dict[str, Any]:
    """Import an uploaded zip (the importer's safe_extract refuses escapes and bombs); audited.
    Every failure, whatever its cause, returns a problem list and leaves an audit row; a store that
    cannot be reached raises :class:`StoreUnavailable` (503).

    Returns {"ok", "changes", "problems", "notes", "error"}."""
    import logging

    from landuse.core.errors import LanduseError, StoreUnavailable, ValidationFailed
    from landuse.services.imports import run_import

    store = store_of(request)
    ip = client_ip(request)
    try:
        rep = run_import(upload_path, store, policy=request.app.state.policy)
    except StoreUnavailable as exc:
        try:
            auth.audit(store, principal.username, "import_failed", f"{filename}: {exc}"[:2000], ip)
        except Exception:  # noqa: BLE001 - the store that failed may not take the audit row either
            logging.getLogger("landuse.web").warning("import of %s failed and could not be audited: %s", filename, exc)
        raise
    except ValidationFailed as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        auth.audit(store, principal.username, "import_failed", f"{filename}: {len(errors)} errors", ip)
        return {"ok": False, "problems": [p.as_dict() for p in exc.problems], "changes": [],
                "notes": list(getattr(exc, "notes", [])),
                "error": f"发现 {len(errors)} 个错误，未导入任何数据 / {len(errors)} errors; nothing was imported"}
    except LanduseError as exc:
        return _failed(store, principal, ip, filename, str(exc), "a data package as docs/data-package.md describes",
                       "refused")
    except Exception as exc:  # noqa: BLE001 - an unforeseen error: still a message, a problem row and an audit row
        ref = secrets.token_hex(4)
        logging.getLogger("landuse.web").exception("upload %s failed ref=%s", filename, ref)
        return _failed(store, principal, ip, filename, f"{type(exc).__name__} (ref {ref})",
                       f"an importable data package; the server could not process it (编号 {ref}，请联系管理员)",
                       "internal_error")
    auth.audit(store, principal.username, "import", f"{filename}: " + "; ".join(
        f"{c.layer} +{c.inserted} ~{c.updated}" for c in rep.changes), ip)
    return {"ok": True, "error": None, "notes": rep.notes, "problems": [p.as_dict() for p in rep.problems],
            "changes": [{"layer": c.layer, "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                        for c in rep.changes]}


async def save_upload(form, field: str = "file") -> tuple[Path, str, str]:
    """Write the uploaded zip to a private temp folder: (path, original name, temp folder)."""
    up = form.get(field)
    if up is None or not hasattr(up, "read"):
        raise HTTPException(400, "请选择要上传的 zip 数据包 / choose a zip file")
    original = Path(getattr(up, "filename", "") or "upload.zip").name[:200]
    if not original.lower().endswith(".zip"):
        raise HTTPException(400, "只接受 zip 压缩包 / only .zip data packages are accepted")
    tmp = tempfile.mkdtemp(prefix="landuse-up-")
    path = Path(tmp) / "package.zip"
    with open(path, "wb") as out:
        while chunk := await up.read(1024 * 1024):
            out.write(chunk)
    return path, original, tmp


async def handle_upload(request: Request, principal: Principal) -> tuple[dict[str, Any], str]:
    """The upload form's whole path (page and API alike): CSRF check, save the zip, import it off
    the event loop, remove the temporary folder. Returns (import result, original file name)."""
    from fastapi.concurrency import run_in_threadpool

    form = await checked_form(request, principal)
    try:
        path, name, tmp = await save_upload(form)
    except HTTPException as exc:  # no file, or not a zip: still a problem list and an audit row
        up = form.get("file")
        name = Path(getattr(up, "filename", "") or "").name[:200] or "—"
        res = await run_in_threadpool(_failed, store_of(request), principal, client_ip(request), name, str(exc.detail),
                                      "a .zip data package (docs/data-package.md)", "not_a_zip")
        res["status"] = exc.status_code
        return res, name
    try:
        res = await run_in_threadpool(run_upload, request, principal, path, name)
    finally:
        _cleanup(tmp)
    return res, name
