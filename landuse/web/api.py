"""The JSON API (``/api/...``) and the vector tiles (``/tiles/...``). Every route depends on
``access.need(function)``; zone-bound objects go through ``access.check_zone`` (404)."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from landuse.services import accounts as auth
from landuse.web import data
from parcels.export import csv_safe_text
from landuse.web.access import Principal, need
from landuse.web.common import (
    REPORT_MISSING,
    client_ip,
    period_report_response,
    report_response,
    handle_upload,
    report_writer,
    store_of,
    target_download,
)

router = APIRouter()

YearQ = Query(None, ge=1990, le=2100, description="年度（缺省为最新评价年度）/ year (default: latest evaluated)")


def _year(request: Request, year: int | None) -> int:
    y = data.default_year(store_of(request), year)
    if y is None:
        raise HTTPException(404, "尚无评价结果，请先运行 landuse evaluate / no results yet")
    return y


# first of the routes: the map asks for dozens of tiles per view, and routes are matched in order
@router.get("/tiles/{z}/{x}/{y}.pbf", tags=["map"], summary="宗地矢量切片 MVT（PostGIS）/ parcel vector tiles",
            response_class=Response)
async def tiles(request: Request, z: int, x: int, y: int, year: int | None = YearQ, p: Principal = Depends(need("map"))):
    """On the event loop (no thread-pool hop): a stored tile is one lookup by key (a GeoPackage
    read ~0.05 ms, a PostGIS round trip); a live PostGIS tile (a query of milliseconds) is made
    in the thread pool."""
    store = store_of(request)
    if not (0 <= z <= 22 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise HTTPException(404, "未找到 / not found")
    yr = data.default_year(store, year)
    if yr is None:
        body = b"" if data.is_pg(store) else None
    else:
        body = data.stored_tile(store, p, z, x, y, yr)
        if body is None:
            body = await run_in_threadpool(data.live_tile, store, p, z, x, y, yr)
    if body is None:
        raise HTTPException(404, "矢量切片需要 PostGIS 数据库或已生成的切片（landuse tiles）；请使用开发区 GeoJSON / "
                                 "vector tiles need PostGIS or stored tiles (landuse tiles)")
    return Response(body, media_type="application/vnd.mapbox-vector-tile",
                    headers={"cache-control": "private, max-age=60"})


@router.get("/api/me", tags=["session"], summary="当前用户 / the logged-in user")
def me(p: Principal = Depends(need("session"))) -> dict[str, Any]:
    return {"username": p.username, "role": p.role, "role_zh": p.role_zh,
            "zones": sorted(p.zones) if p.role in ("manager", "viewer") and p.zones else None,
            "figures": p.role != "viewer", "csrf": p.csrf}


@router.get("/api/years", tags=["map"], summary="有评价结果的年度 / evaluated years")
def years(request: Request, p: Principal = Depends(need("map"))) -> dict[str, Any]:
    return {"years": data.result_years(store_of(request))}


@router.get("/api/zones", tags=["map"], summary="可见的开发区 / the zones you see")
def zones(request: Request, p: Principal = Depends(need("map"))) -> list[dict[str, Any]]:
    return data.zones(store_of(request), p)


@router.get("/api/dashboard", tags=["dashboard"], summary="各开发区评价结果 / zone results for a year")
def dashboard(request: Request, year: int | None = YearQ, p: Principal = Depends(need("dashboard"))) -> dict[str, Any]:
    y = _year(request, year)
    return {"year": y, "zones": data.zone_table(store_of(request), p, y),
            "pilot_areas": data.pilot_table(store_of(request), p, y)}


@router.get("/api/zones/{code}/dashboard", tags=["dashboard"],
            summary="开发区看板：+15% 检查、入驻率、得分、问题、等级 / one zone's dashboard")
def zone_dashboard(request: Request, code: str, year: int | None = YearQ,
                   p: Principal = Depends(need("dashboard"))) -> dict[str, Any]:
    return data.zone_dashboard(store_of(request), p, code, _year(request, year))


@router.get("/api/zones/{code}/parcels.geojson", tags=["map"],
            summary="开发区宗地 GeoJSON（GeoPackage 时的地图数据）/ a zone's parcels as GeoJSON")
def zone_parcels(request: Request, code: str, year: int | None = YearQ, p: Principal = Depends(need("map"))):
    y = data.default_year(store_of(request), year)
    fc = data.zone_parcels_geojson(store_of(request), p, code, y) if y is not None else None
    if fc is None:
        data.check_known_zone(store_of(request), p, code)
        fc = {"type": "FeatureCollection", "features": []}
    return JSONResponse(fc, media_type="application/geo+json")


@router.get("/api/pilot_areas.geojson", tags=["map"],
            summary="试验区范围及其 +15% 检查 / pilot-area outlines with their +15 % status")
def pilot_areas(request: Request, year: int | None = YearQ, p: Principal = Depends(need("map"))):
    y = data.default_year(store_of(request), year)
    fc = data.pilot_areas(store_of(request), p, y) if y is not None else {"type": "FeatureCollection", "features": []}
    return JSONResponse(fc, media_type="application/geo+json")


@router.get("/api/zones/{code}/survey.geojson", tags=["map"],
            summary="开发区土地利用现状调查图斑与评价范围 GeoJSON / the zone's intensive-use survey as GeoJSON")
def zone_survey(request: Request, code: str, year: int | None = YearQ, p: Principal = Depends(need("map"))):
    y = data.default_year(store_of(request), year)
    return JSONResponse(data.zone_survey_geojson(store_of(request), p, code, y), media_type="application/geo+json")


@router.get("/api/parcels/{code}", tags=["map"], summary="宗地详情（弹窗）/ one parcel")
def parcel(request: Request, code: str, year: int | None = YearQ, p: Principal = Depends(need("map"))) -> dict[str, Any]:
    return data.parcel_detail(store_of(request), p, code, data.default_year(store_of(request), year))


@router.get("/api/search", tags=["map"], summary="按宗地代码或企业名称搜索 / search parcels by code or holder")
def search(request: Request, q: str = Query(..., min_length=1, max_length=60), year: int | None = YearQ,
           p: Principal = Depends(need("map"))) -> list[dict[str, Any]]:
    return data.search(store_of(request), p, q, data.default_year(store_of(request), year))


@router.get("/api/targets", tags=["targets"], summary="低效闲置用地处置清单 / the ranked target list")
def targets(request: Request, year: int | None = YearQ, zone: str | None = Query(None, max_length=40),
            rule: str | None = Query(None, max_length=60), severity: int | None = Query(None, ge=0, le=10),
            limit: int = Query(200, ge=1, le=5000), offset: int = Query(0, ge=0),
            sort: Literal[data.TARGET_SORTS] = Query("priority", description="排序字段 / sort by"),  # type: ignore[valid-type]
            order: Literal["asc", "desc"] = Query("asc", description="升序/降序 / ascending or descending"),
            p: Principal = Depends(need("targets"))) -> dict[str, Any]:
    y = _year(request, year)
    store = store_of(request)
    t = data.targets(store, p, year=y, policy=data.policy_for(store, y, request.app.state.policy), zone=zone or None,
                     rule=rule or None, severity=severity)
    t = data.sort_targets(t, sort, order)
    return {"year": y, "total": len(t), "offset": offset, "limit": limit, "sort": sort, "order": order,
            "rows": data.records(t.iloc[offset: offset + limit])}


@router.get("/api/targets/rules", tags=["targets"], summary="问题规则代码 / the rule codes present")
def target_rules(request: Request, year: int | None = YearQ, p: Principal = Depends(need("targets"))):
    return data.target_rules(store_of(request), p, _year(request, year))


@router.get("/api/targets.{fmt}", tags=["targets"], summary="下载处置清单 xlsx / gpkg / download the target list")
def targets_download(request: Request, fmt: Literal["xlsx", "gpkg"], year: int | None = YearQ,
                     zone: str | None = Query(None, max_length=40), rule: str | None = Query(None, max_length=60),
                     severity: int | None = Query(None, ge=0, le=10), p: Principal = Depends(need("download"))):
    y = _year(request, year)
    store = store_of(request)
    t = data.targets(store, p, year=y, policy=data.policy_for(store, y, request.app.state.policy), zone=zone or None,
                     rule=rule or None, severity=severity, with_geometry=fmt == "gpkg")
    return target_download(request, p, t, fmt, year=y, zone=zone or None)


@router.get("/api/reports", tags=["reports"], summary="报告是否可用 / report availability")
def reports(request: Request, year: int | None = YearQ, p: Principal = Depends(need("reports"))) -> dict[str, Any]:
    y = data.default_year(store_of(request), year)
    ok = report_writer() is not None
    return {"available": ok, "year": y, "message": None if ok else REPORT_MISSING,
            "links": {f: f"/api/reports/{y}/report.{f}" for f in ("xlsx", "html")} if ok and y else {}}


@router.get("/api/period-reports/{period}.{fmt}", tags=["reports"],
            summary="下载半年报告/期间快报（临时数）/ download a half-year or in-year report (provisional)")
def period_report_file(request: Request, fmt: Literal["xlsx", "html", "pdf"],
                       period: str = Path(..., pattern=r"^\d{4}(Q[1-4]|H[12]|-(0[1-9]|1[0-2]))$"),
                       p: Principal = Depends(need("reports"))):
    return period_report_response(request, p, period, fmt)


@router.get("/api/reports/{year}/report.{fmt}", tags=["reports"], summary="下载报告 / download a report")
def report_file(request: Request, year: int, fmt: Literal["xlsx", "html", "pdf"],
                pilot_area: str | None = Query(None, max_length=40), p: Principal = Depends(need("reports"))):
    return report_response(request, p, year, fmt, pilot_area)


@router.post("/api/import", tags=["admin"], summary="上传 zip 数据包并导入（管理员）/ upload and import a zip")
async def import_zip(request: Request, p: Principal = Depends(need("import"))):
    res, _name = await handle_upload(request, p)
    return JSONResponse(res, status_code=200 if res["ok"] else res.get("status", 422))


def _audit_rows(request: Request, limit: int | None, username: str | None, action: str | None):
    rows = auth.read_audit(store_of(request), limit=limit, username=username or None, action=action or None)
    return [{**r, "ts_beijing": auth.beijing_time(r.get("ts"), iso_format=True)} for r in rows]


@router.get("/api/audit", tags=["admin"], summary="审计日志（管理员）/ the audit log")
def audit(request: Request, limit: int = Query(500, ge=1, le=100000), username: str | None = Query(None, max_length=64),
          action: str | None = Query(None, max_length=40), p: Principal = Depends(need("audit"))):
    return _audit_rows(request, limit, username, action)


@router.get("/api/audit.csv", tags=["admin"], summary="导出审计日志 CSV（管理员）/ export the audit log")
def audit_csv(request: Request, username: str | None = Query(None, max_length=64),
              action: str | None = Query(None, max_length=40), p: Principal = Depends(need("audit"))):
    rows = _audit_rows(request, None, username, action)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["编号 id", "时间(北京时间) time (Beijing, UTC+8)", "用户 username", "操作 action", "说明 detail", "地址 ip"])
    for r in rows:
        w.writerow([r["id"], auth.beijing_time(r["ts"], iso_format=True), *(csv_safe_text(r[k] or "") for k in ("username", "action", "detail", "ip"))])
    auth.audit(store_of(request), p.username, "audit_export", f"rows={len(rows)}", client_ip(request))
    return Response(("\ufeff" + buf.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="audit_log.csv"'})


@router.get("/api/users", tags=["admin"], summary="用户列表（管理员）/ accounts")
def users(request: Request, p: Principal = Depends(need("users"))):
    return [{"username": u.username, "role": u.role, "zones": list(u.zones), "active": u.active}
            for u in auth.list_users(store_of(request))]
