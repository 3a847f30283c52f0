"""The evaluator's year on the web (issue 16): result versions (list, publish, re-evaluate in the
background), the objection window (file, accept, reject) and why a zone moved (comparison page).

Who may do what is in :mod:`landuse.web.access` (functions ``versions``, ``objections``,
``decide_objections``, ``compare``); objections are visible to the parties of their zone only
(:func:`landuse.web.access.zone_list`)."""

from __future__ import annotations

import math
import secrets
import threading
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from landuse.core.errors import LanduseError
from landuse.services import objections as obj
from landuse.services import results, versions
from landuse.web import data
from landuse.web.access import Principal, need, sees_zone, zone_list
from landuse.web.common import checked_form, form_year, store_of
from landuse.web.pages import render

router = APIRouter(include_in_schema=False)


def _year(store, year: int | None) -> int | None:
    years = results.result_years(store)
    return year if year is not None else (years[-1] if years else None)


# ------------------------------------------------------------------------------------------------
# versions
# ------------------------------------------------------------------------------------------------

@router.get("/versions")
def versions_page(request: Request, year: int | None = Query(None, ge=1990, le=2100),
                  p: Principal = Depends(need("versions"))):
    store = store_of(request)
    y = _year(store, year)
    rows = versions.list_versions(store, y) if y is not None else []
    return render(request, "versions.html", p, year=y, years=results.result_years(store), rows=rows,
                  status_zh=versions.STATUS_ZH, label=results.version_label(store, y), message=None, error=None,
                  jobs=[j for j in JOBS.values() if j["user"] == p.username][-5:])


@router.post("/versions/publish")
async def versions_publish(request: Request, p: Principal = Depends(need("versions"))):
    form = await checked_form(request, p)
    store = store_of(request)
    y = form_year(form)
    try:
        v = await run_in_threadpool(lambda: versions.publish(
            store, year=y, version=str(form.get("version") or "")[:20], note=str(form.get("note") or "")[:2000],
            actor=p.username, policy=request.app.state.policy))
        msg, err = f"已发布 {v['version_id']}，公示期至 {v['window_closes']}", None
    except LanduseError as exc:
        msg, err = None, str(exc)
    return render(request, "versions.html", p, 200 if err is None else 400, year=y,
                  years=results.result_years(store), rows=versions.list_versions(store, y),
                  status_zh=versions.STATUS_ZH, label=results.version_label(store, y), message=msg, error=err,
                  jobs=[j for j in JOBS.values() if j["user"] == p.username][-5:])


@router.get("/versions/diff")
def versions_diff(request: Request, year: int = Query(..., ge=1990, le=2100), a: str = Query(..., max_length=20),
                  b: str = Query(..., max_length=20), p: Principal = Depends(need("versions"))):
    store = store_of(request)
    try:
        d = versions.diff(store, year=year, a=a, b=b)
    except LanduseError as exc:
        raise HTTPException(404, str(exc)) from None
    return render(request, "versions_diff.html", p, year=year, a=a, b=b,
                  zones=d["zones"].to_dict("records"), grades=d["grades"].to_dict("records"),
                  flags=d["flags"].to_dict("records"), num=_num)


# --- background re-evaluation -------------------------------------------------------------------

JOBS: dict[str, dict[str, Any]] = {}
_JOBS_LOCK = threading.Lock()


def _run_job(job: dict[str, Any], store, policy) -> None:
    from landuse.services.evaluate import evaluate

    def say(m: str) -> None:
        with _JOBS_LOCK:
            job["steps"].append(m)
            job["done_steps"] = len(job["steps"])

    try:
        out = evaluate(store, years=[job["year"]], policy=policy, progress=say, actor=job["user"],
                       note="网页重新评价 / re-evaluated on the web")
        job["version"] = getattr(out[job["year"]], "version", None)
        job["status"] = "done"
    except LanduseError as exc:
        job["status"], job["error"] = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - the page shows a failure, the log has the trace
        import logging

        logging.getLogger("landuse.web").exception("evaluation job %s failed", job["id"])
        job["status"], job["error"] = "failed", f"评价失败（编号 {job['id']}）/ evaluation failed: {type(exc).__name__}"


@router.post("/versions/evaluate")
async def versions_evaluate(request: Request, p: Principal = Depends(need("versions"))):
    form = await checked_form(request, p)
    store = store_of(request)
    y = form_year(form)
    if y not in store.years():
        raise HTTPException(400, f"{y} 年没有企业年度数据 / no enterprise figures for {y}")
    with _JOBS_LOCK:
        if any(j["status"] == "running" for j in JOBS.values()):
            raise HTTPException(409, "已有评价在运行，请稍后 / an evaluation is already running")
        jid = secrets.token_hex(6)
        job = {"id": jid, "year": y, "user": p.username, "status": "running", "steps": [], "done_steps": 0,
               "total_steps": 4, "version": None, "error": None}
        JOBS[jid] = job
    threading.Thread(target=_run_job, args=(job, store, request.app.state.policy), daemon=True).start()
    return RedirectResponse(f"/versions/jobs/{jid}", status_code=303)


@router.get("/versions/jobs/{jid}")
def job_page(request: Request, jid: str, p: Principal = Depends(need("versions"))):
    job = JOBS.get(jid)
    if job is None or job["user"] != p.username and p.role != "admin":
        raise HTTPException(404, "未找到 / not found")
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({k: job[k] for k in ("id", "year", "status", "steps", "done_steps", "total_steps",
                                                 "version", "error")})
    return render(request, "job.html", p, job=job)


# ------------------------------------------------------------------------------------------------
# objections
# ------------------------------------------------------------------------------------------------

def _objection_ctx(store, p: Principal, y: int | None) -> dict[str, Any]:
    zl = zone_list(p)
    pub = versions.published(store, y) if y is not None else None
    return {"year": y, "years": results.result_years(store), "rows": obj.list_objections(store, year=y, zones=zl),
            "published": pub, "open": bool(pub and versions.window_open(pub)), "kind_zh": obj.KIND_ZH,
            "status_zh": obj.STATUS_ZH, "can_decide": p.may("decide_objections"),
            "can_file": p.role in ("manager", "admin"), "zones": data.zones(store, p)}


@router.get("/objections")
def objections_page(request: Request, year: int | None = Query(None, ge=1990, le=2100),
                    p: Principal = Depends(need("objections"))):
    store = store_of(request)
    return render(request, "objections.html", p, message=None, error=None, **_objection_ctx(store, p, _year(store, year)))


@router.post("/objections")
async def objections_file(request: Request, p: Principal = Depends(need("objections"))):
    form = await checked_form(request, p)
    store = store_of(request)
    if p.role not in ("manager", "admin"):
        raise HTTPException(403, "由开发区管理人员代企业或宗地提出异议 / zone managers file objections")
    y = form_year(form)
    f = {k: str(form.get(k) or "")[:2000] for k in ("kind", "uscc", "parcel_code", "rule", "requested", "reason",
                                                    "evidence")}
    try:
        o = await run_in_threadpool(lambda: obj.file_objection(
            store, year=y, kind=f["kind"], reason=f["reason"], evidence=f["evidence"], actor=p.username,
            zones=zone_list(p), policy=request.app.state.policy, uscc=f["uscc"] or None,
            parcel_code=f["parcel_code"] or None, rule=f["rule"] or None, requested=f["requested"] or None))
        msg, err = f"已提交异议 {o['objection_id']}", None
    except LanduseError as exc:
        msg, err = None, str(exc)
    return render(request, "objections.html", p, 200 if err is None else 400, message=msg, error=err,
                  **_objection_ctx(store, p, y))


@router.post("/objections/{oid}/decide")
async def objections_decide(request: Request, oid: str, p: Principal = Depends(need("decide_objections"))):
    form = await checked_form(request, p)
    store = store_of(request)
    o = obj.get_objection(store, oid[:40])
    if o is None or not sees_zone(p, o["zone_code"]):
        raise HTTPException(404, "未找到 / not found")
    try:
        await run_in_threadpool(lambda: obj.decide(store, objection_id=o["objection_id"],
                                                   accept=str(form.get("decision")) == "accept",
                                                   reason=str(form.get("reason") or "")[:2000], actor=p.username))
        msg, err = f"已处理异议 {oid}", None
    except LanduseError as exc:
        msg, err = None, str(exc)
    return render(request, "objections.html", p, 200 if err is None else 400, message=msg, error=err,
                  **_objection_ctx(store, p, int(o["year"])))


# ------------------------------------------------------------------------------------------------
# why a zone moved
# ------------------------------------------------------------------------------------------------

def _num(v: Any, nd: int = 1) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if math.isnan(f) else f"{round(f, nd) + 0.0:,.{nd}f}"  # no "-0.00"


@router.get("/compare")
def compare_page(request: Request, year: int | None = Query(None, ge=1990, le=2100),
                 baseline: int | None = Query(None, ge=1990, le=2100), zone: str | None = Query(None, max_length=40),
                 pilot_area: str | None = Query(None, max_length=40), p: Principal = Depends(need("compare"))):
    from landuse.services.compare import BRIDGE_ZH, compare

    store = store_of(request)
    y = _year(store, year)
    if zone and not sees_zone(p, zone):
        raise HTTPException(404, "未找到 / not found")
    res, err = None, None
    if y is not None:
        try:
            res = compare(store, policy=request.app.state.policy, year=y, baseline=baseline, zone=zone or None,
                          pilot_area=pilot_area or None, zones=zone_list(p))
        except LanduseError as exc:
            err = str(exc)
    return render(request, "compare.html", p, 200 if err is None else 400, year=y,
                  years=results.result_years(store), res=res, error=err, zone=zone or "",
                  pilot_area=pilot_area or "", bridge_zh=BRIDGE_ZH, num=_num, zones=data.zones(store, p),
                  label=results.version_label(store, y))


HTMLResponse  # noqa: B018 - re-exported for type checkers of the router
