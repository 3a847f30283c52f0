"""The disposal ledger on the web (pages and JSON API): managers edit their own zones' entries,
evaluators and administrators read every zone, viewers have no access (landuse.web.access:
function ``ledger``; editing: a manager of the entry's zone). An entry outside the user's zones is a
404. Every POST carries the session's CSRF token; a change names the revision it was made on and is
refused with a conflict message (409) when someone saved in between.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from landuse.core.contract import DISPOSAL_METHODS, DISPOSAL_STATUSES
from landuse.core.errors import ValidationFailed
from landuse.services import accounts as auth
from landuse.services import ledger as L
from landuse.web import data
from landuse.web.access import Principal, need, sees_zone, zone_list
from landuse.web.common import check_csrf, checked_form, client_ip, csrf_from, store_of
from landuse.web.ledger_data import entry_url

router = APIRouter()


def may_edit(p: Principal, zone_code: str | None) -> bool:
    """Managers edit the entries of their own zones; nobody else edits."""
    return p.role == "manager" and zone_code is not None and zone_code in p.zones


def _key(parcel: str, rule: str | None) -> L.Key:
    return L.Key(parcel, rule or None)


def _entry_or_404(store, p: Principal, key: L.Key) -> dict[str, Any]:
    try:
        return L.get_entry(store, key, zones=zone_list(p))
    except L.LedgerNotFound:
        raise HTTPException(404, "未找到 / not found") from None


def _jsonable(e: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in e.items():
        if isinstance(v, (_dt.date, pd.Timestamp)):
            out[k] = v.isoformat()[:10]
        elif v is None or (isinstance(v, float) and pd.isna(v)):
            out[k] = None
        else:
            out[k] = data.py(v) if hasattr(data, "py") else v
    return out


def filtered(store, p: Principal, *, status: str | None, method: str | None, overdue: bool | None,
             zone: str | None, today: _dt.date) -> pd.DataFrame:
    led = L.read_ledger(store, zones=zone_list(p))
    if zone:
        led = led[led["zone_code"] == zone]
    if status:
        led = led[led["status"] == status]
    if method:
        led = led[led["method"] == method]
    led = led.assign(overdue=[L.is_overdue(r, today) for r in led.to_dict("records")])
    if overdue is not None:
        led = led[led["overdue"] == overdue]
    return led.reset_index(drop=True)


def _form_key(request: Request, form) -> L.Key:
    """The entry a POST names: query parameters ``parcel``/``rule`` or the form's fields."""
    q = request.query_params
    parcel = q.get("parcel") if "parcel" in q else str(form.get("parcel") or "")
    rule = q.get("rule") if "parcel" in q else str(form.get("rule") or "")
    return _key(str(parcel or "")[:60], str(rule or "")[:60])


def _int(v: Any) -> int | None:
    try:
        return int(str(v)) if v not in (None, "") else None
    except ValueError:
        return None


def _zone_or_404(p: Principal, zone: str | None) -> None:
    if zone and not sees_zone(p, zone):
        raise HTTPException(404, "未找到 / not found")


# ------------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------------

def _render(request: Request, name: str, p: Principal, status: int = 200, **ctx: Any) -> HTMLResponse:
    from landuse.web.pages import render

    return render(request, name, p, status, methods=DISPOSAL_METHODS, statuses=DISPOSAL_STATUSES,
                  entry_url=entry_url, **ctx)


@router.get("/ledger", include_in_schema=False)
def ledger_page(request: Request, status: str | None = Query(None, max_length=10),
                method: str | None = Query(None, max_length=10), overdue: str | None = Query(None, max_length=1),
                zone: str | None = Query(None, max_length=40), page: int = Query(1, ge=1, le=100000),
                per_page: int = Query(50, ge=10, le=500), p: Principal = Depends(need("ledger"))):
    _zone_or_404(p, zone)
    store = store_of(request)
    today = _dt.date.today()
    od = {"1": True, "0": False}.get(overdue or "")
    led = filtered(store, p, status=status or None, method=method or None, overdue=od, zone=zone or None, today=today)
    shown, page, pages = data.page_of(led, page, per_page)
    q = {k: v for k, v in dict(status=status, method=method, overdue=overdue, zone=zone).items() if v}
    summary = data.records(L.summary(L.read_ledger(store, zones=zone_list(p)), today=today))
    return _render(request, "ledger.html", p, rows=data.records(shown), total=len(led), page=page, pages=pages,
                   per_page=per_page, fstatus=status or "", fmethod=method or "", overdue=overdue or "",
                   zone=zone or "", zones=data.zones(store, p), summary=summary,
                   page_url=lambda n: "/ledger?" + urlencode({**q, "per_page": per_page, "page": n}))


@router.get("/ledger/entry", include_in_schema=False)
def entry_page(request: Request, parcel: str = Query(..., max_length=60), rule: str = Query("", max_length=60),
               p: Principal = Depends(need("ledger"))):
    store = store_of(request)
    e = _entry_or_404(store, p, _key(parcel, rule))
    return _entry_view(request, p, e)


def _entry_view(request: Request, p: Principal, e: dict[str, Any], *, status: int = 200, error: str | None = None,
                problems: list | None = None, message: str | None = None, form: dict | None = None) -> HTMLResponse:
    store = store_of(request)
    key = _key(e["parcel_code"], e["rule"])
    return _render(request, "ledger_entry.html", p, status, e=e, form=form or e, notes=L.notes(store, key),
                   history=L.history(store, key), can_edit=may_edit(p, e["zone_code"]), error=error,
                   problems=problems or [], message=message, overdue=L.is_overdue(e, _dt.date.today()),
                   next_statuses=L.TRANSITIONS.get(e["status"], ()), actions=auth.AUDIT_ACTIONS_ZH)


async def _editable_entry(request: Request, p: Principal):
    """The posted form (CSRF checked), the store, the entry's key and the entry a manager may edit:
    404 for an entry of another zone, 403 for a reader."""
    form = await checked_form(request, p)
    store = store_of(request)
    key = _form_key(request, form)
    e = _entry_or_404(store, p, key)
    if not may_edit(p, e["zone_code"]):
        raise HTTPException(403, "无权修改 / forbidden")
    return form, store, key, e


@router.post("/ledger/entry", include_in_schema=False)
async def entry_save(request: Request, p: Principal = Depends(need("ledger"))):
    form, store, key, e = await _editable_entry(request, p)
    changes = {f: str(form.get(f) or "") for f in L.EDITABLE if f in form}
    note = str(form.get("new_note") or "").strip() or None
    try:
        rev = int(str(form.get("revision") or "0"))
    except ValueError:
        rev = -1
    try:
        saved = await run_in_threadpool(lambda: L.update_entry(store, key, changes, expected_revision=rev,
                                                               actor=p.username, zones=zone_list(p),
                                                               ip=client_ip(request), note=note))
    except L.LedgerConflict as exc:
        return _entry_view(request, p, exc.current or e, status=409, error=str(exc), form=None)
    except ValidationFailed as exc:
        return _entry_view(request, p, e, status=422, problems=exc.problems, form=e | changes)
    return RedirectResponse(entry_url(saved["parcel_code"], saved["rule"]) + "&saved=1", status_code=303)


@router.post("/ledger/note", include_in_schema=False)
async def note_add(request: Request, p: Principal = Depends(need("ledger"))):
    form, store, key, e = await _editable_entry(request, p)
    try:
        await run_in_threadpool(lambda: L.add_note(store, key, str(form.get("text") or ""), author=p.username,
                                                   zones=zone_list(p), noted=str(form.get("noted") or "") or None,
                                                   ip=client_ip(request)))
    except ValidationFailed as exc:
        return _entry_view(request, p, e, status=422, problems=exc.problems)
    return RedirectResponse(entry_url(e["parcel_code"], e["rule"]) + "#notes", status_code=303)


@router.post("/ledger/open", include_in_schema=False)
async def open_entry(request: Request, p: Principal = Depends(need("ledger"))):
    form = await checked_form(request, p)
    key = _form_key(request, form)
    store = store_of(request)
    if p.role != "manager":
        raise HTTPException(403, "无权修改 / forbidden")
    if key.rule == "*":  # every flag of the parcel (the target list's 立项 button)
        from landuse.services.results import parcel_zone

        if not sees_zone(p, parcel_zone(store, key.parcel_code)):
            raise HTTPException(404, "未找到 / not found")
        y = data.default_year(store, _int(form.get("year")))
        keys = await run_in_threadpool(lambda: L.open_from_targets(
            store, year=y, zones=zone_list(p), actor=p.username, parcels=[key.parcel_code], ip=client_ip(request)))
        have = L.entries_of_parcel(store, key.parcel_code)
        first = keys[0] if keys else (L.Key(have[0]["parcel_code"], have[0]["rule"]) if have else None)
        return RedirectResponse(entry_url(first.parcel_code, first.rule) if first else "/ledger", status_code=303)
    try:
        await run_in_threadpool(lambda: L.open_entries(store, [{"parcel_code": key.parcel_code, "rule": key.rule}],
                                                       actor=p.username, zones=zone_list(p), ip=client_ip(request)))
    except ValidationFailed as exc:
        if any(pr.column == "parcel_code" for pr in exc.problems):
            raise HTTPException(404, "未找到 / not found") from None
        # already open: show it
    return RedirectResponse(entry_url(key.parcel_code, key.rule), status_code=303)


# ------------------------------------------------------------------------------------------------
# JSON API
# ------------------------------------------------------------------------------------------------

@router.get("/api/ledger", tags=["ledger"], summary="处置台账 / the disposal ledger (filters, paging)")
def api_ledger(request: Request, status: Literal[DISPOSAL_STATUSES] | None = Query(None),  # type: ignore[valid-type]
               method: Literal[DISPOSAL_METHODS] | None = Query(None),  # type: ignore[valid-type]
               overdue: bool | None = Query(None), zone: str | None = Query(None, max_length=40),
               limit: int = Query(100, ge=1, le=5000), offset: int = Query(0, ge=0),
               p: Principal = Depends(need("ledger"))) -> dict[str, Any]:
    _zone_or_404(p, zone)
    led = filtered(store_of(request), p, status=status, method=method, overdue=overdue, zone=zone,
                   today=_dt.date.today())
    return {"total": len(led), "offset": offset, "limit": limit,
            "rows": [_jsonable(r) for r in led.iloc[offset: offset + limit].to_dict("records")]}


@router.get("/api/ledger/summary", tags=["ledger"], summary="处置进展汇总（按开发区）/ progress per zone")
def api_summary(request: Request, p: Principal = Depends(need("ledger"))) -> list[dict[str, Any]]:
    return data.records(L.summary(L.read_ledger(store_of(request), zones=zone_list(p)), today=_dt.date.today()))


@router.get("/api/ledger/entry", tags=["ledger"], summary="一条台账（含进展与修改记录）/ one entry")
def api_entry(request: Request, parcel: str = Query(..., max_length=60), rule: str = Query("", max_length=60),
              p: Principal = Depends(need("ledger"))) -> dict[str, Any]:
    store = store_of(request)
    key = _key(parcel, rule)
    e = _entry_or_404(store, p, key)
    return {"entry": _jsonable(e), "notes": [_jsonable(n) for n in L.notes(store, key)],
            "history": L.history(store, key), "can_edit": may_edit(p, e["zone_code"])}


@router.post("/api/ledger/entry", tags=["ledger"], summary="修改一条台账（须带读取时的版本号）/ change an entry")
async def api_update(request: Request, body: dict[str, Any] = Body(...), p: Principal = Depends(need("ledger"))):
    check_csrf(p, await csrf_from(request, {}))
    store = store_of(request)
    q = request.query_params
    key = _key(q["parcel"], q.get("rule")) if "parcel" in q else _key(str(body.get("parcel_code") or ""), body.get("rule"))
    e = _entry_or_404(store, p, key)
    if not may_edit(p, e["zone_code"]):
        raise HTTPException(403, "无权修改 / forbidden")
    changes = {k: v for k, v in (body.get("changes") or {}).items() if isinstance(k, str)}
    try:
        saved = await run_in_threadpool(lambda: L.update_entry(
            store, key, changes, expected_revision=int(body.get("revision") or 0), actor=p.username,
            zones=zone_list(p), ip=client_ip(request), note=(str(body["note"]) if body.get("note") else None)))
    except L.LedgerConflict as exc:
        return JSONResponse({"error": "conflict", "message": str(exc), "current": _jsonable(exc.current or {})},
                            status_code=409)
    except ValidationFailed as exc:
        return JSONResponse({"error": "invalid", "problems": [pr.as_dict() for pr in exc.problems]}, status_code=422)
    return _jsonable(saved)


@router.post("/api/ledger/open", tags=["ledger"], summary="立项（一条或批量）/ open entries")
async def api_open(request: Request, body: dict[str, Any] = Body(...), p: Principal = Depends(need("ledger"))):
    check_csrf(p, await csrf_from(request, {}))
    if p.role != "manager":
        raise HTTPException(403, "无权修改 / forbidden")
    items = body.get("items") or []
    if not isinstance(items, list) or len(items) > 5000:
        raise HTTPException(422, "items: a list")
    try:
        keys = await run_in_threadpool(lambda: L.open_entries(
            store_of(request), [i for i in items if isinstance(i, dict)], actor=p.username, zones=zone_list(p),
            ip=client_ip(request)))
    except ValidationFailed as exc:
        return JSONResponse({"error": "invalid", "problems": [pr.as_dict() for pr in exc.problems]}, status_code=422)
    return {"opened": [str(k) for k in keys]}


@router.get("/api/parcels/{code}/ledger", tags=["ledger"], summary="宗地的台账条目（弹窗）/ a parcel's entries")
def api_parcel_ledger(request: Request, code: str, p: Principal = Depends(need("ledger"))) -> dict[str, Any]:
    from landuse.services.results import parcel_zone

    store = store_of(request)
    if not sees_zone(p, parcel_zone(store, code)):
        raise HTTPException(404, "未找到 / not found")
    rows = [e for e in L.entries_of_parcel(store, code) if sees_zone(p, e["zone_code"])]
    today = _dt.date.today()
    return {"entries": [_jsonable(e) | {"url": entry_url(e["parcel_code"], e["rule"]), "overdue": L.is_overdue(e, today)}
                        for e in rows],
            "can_open": p.role == "manager", "csrf": p.csrf if p.role == "manager" else None}


#: the map layer's colour per status (ColorBrewer RdYlBu/greys; the magenta of problems is not used)
STATUS_COLOURS = {"待处置": "#fdae61", "处置中": "#2c7bb6", "已完成": "#1a9641", "已核销": "#969696"}
_STATUS_ORDER = {"待处置": 1, "处置中": 2, "已完成": 3, "已核销": 4}


@router.get("/api/zones/{code}/ledger.geojson", tags=["ledger"],
            summary="开发区台账宗地（按处置状态着色）/ a zone's parcels in the ledger, by status")
def api_zone_ledger(request: Request, code: str, p: Principal = Depends(need("ledger"))):
    _zone_or_404(p, code)
    store = store_of(request)
    led = L.read_ledger(store, zones=[code])
    feats: list[dict[str, Any]] = []
    if len(led):
        import shapely

        today = _dt.date.today()
        led = led.assign(overdue=[L.is_overdue(r, today) for r in led.to_dict("records")])
        led = led.assign(_o=led["status"].map(_STATUS_ORDER)).sort_values(["parcel_code", "_o"])
        geo = store.read("parcels", zones=[code], columns=["parcel_code"]).set_index("parcel_code")
        for code_, g in led.groupby("parcel_code", sort=True):
            if code_ not in geo.index or geo.loc[code_, "geometry"] is None:
                continue
            first = g.iloc[0]  # the least advanced entry decides the colour
            feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geo.loc[code_, "geometry"]),
                          "properties": {"parcel_code": code_, "status": first["status"],
                                         "colour": STATUS_COLOURS.get(first["status"], "#969696"),
                                         "overdue": bool(g["overdue"].any()), "entries": int(len(g)),
                                         "url": entry_url(code_, first["rule"]),
                                         "methods": "、".join(sorted(set(g["method"])))}})
    return JSONResponse({"type": "FeatureCollection", "features": feats,
                         "legend": [[s, c] for s, c in STATUS_COLOURS.items()]}, media_type="application/geo+json")


# ------------------------------------------------------------------------------------------------
# a path to the target, on the web
# ------------------------------------------------------------------------------------------------

@router.get("/ledger/plan", include_in_schema=False)
def plan_page(request: Request, zone: str = Query(..., max_length=40), year: int | None = Query(None, ge=1990, le=2100),
              p: Principal = Depends(need("ledger"))):
    _zone_or_404(p, zone)
    store = store_of(request)
    y = data.default_year(store, year)
    if y is None:
        raise HTTPException(404, "尚无评价结果 / no results")
    from landuse.core.errors import LanduseError

    try:
        plan = L.plan_to_target(store, year=y, zone=zone, zones=zone_list(p))
    except LanduseError as exc:
        raise HTTPException(404, str(exc)) from None
    return _render(request, "ledger_plan.html", p, plan=plan, rows=data.records(plan.chosen), zone=zone, year=y,
                   message=plan.message(), can_open=p.role == "manager")


@router.post("/ledger/plan", include_in_schema=False)
async def plan_open(request: Request, p: Principal = Depends(need("ledger"))):
    form = await checked_form(request, p)
    if p.role != "manager":
        raise HTTPException(403, "无权修改 / forbidden")
    zone = str(request.query_params.get("zone") or form.get("zone") or "")[:40]
    _zone_or_404(p, zone)
    store = store_of(request)
    y = data.default_year(store, _int(form.get("year")))
    plan = L.plan_to_target(store, year=y, zone=zone, zones=zone_list(p))
    await run_in_threadpool(lambda: L.open_plan(store, plan, actor=p.username, zones=zone_list(p),
                                                ip=client_ip(request)))
    return RedirectResponse("/ledger?" + urlencode({"zone": zone}), status_code=303)
