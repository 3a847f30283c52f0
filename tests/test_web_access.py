"""Authorization matrix: every route of the app × every role × own/other zone.

``ROUTES`` below is this test's own statement of the policy (it does not import the app's table).
``test_route_table_is_complete`` fails when ``app.routes`` holds a route the table does not list
(or the table lists one the app no longer has), so a new route cannot be left out.

Expected outcome per (route, role, zone):
- anonymous: 401 (API, tiles, openapi.json) or a 303 redirect to /login (pages); never data;
- a role without the route's function: 403;
- a manager asking for another zone's object: 404 (as if it did not exist); list/search routes
  filter instead (200 without the other zone's rows);
- otherwise the route's success status; then the body is checked: a manager's responses (JSON,
  HTML, xlsx, gpkg) never mention zone B, its parcel or its holder; a viewer's JSON never carries
  a confidential key (figures, grades, flags).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.test_web_common import CONFIDENTIAL, bad_zip, copy_site, login, make_client, web_site  # noqa: F401

ROLE_USERS = {"anonymous": None, "admin": "admin1", "evaluator": "eval1", "manager": "mgr_a", "viewer": "viewer1"}
ALL = {"admin", "evaluator", "manager", "viewer"}
FIG = {"admin", "evaluator", "manager"}
#: function → roles (the product's policy, restated here independently of landuse/web/access.py)
ALLOWED = {"session": ALL, "map": ALL, "dashboard": FIG, "targets": FIG, "download": FIG,
           "reports": {"admin", "evaluator"}, "import": {"admin"}, "users": {"admin"}, "audit": {"admin"},
           "versions": {"admin", "evaluator"}, "objections": FIG, "decide_objections": {"admin", "evaluator"},
           "compare": FIG,
           "ledger": FIG}


@dataclass
class Spec:
    fn: str | None  # None = public
    own: str  # URL template ({A} {B} {PA} {PB} {Y})
    other: str | None = None  # URL for the other zone (None: same as own, not zone-bound)
    ok: frozenset = frozenset({200})
    kind: str = "api"  # api | page
    other_filtered: bool = False  # the other-zone URL is a list/search: 200 without the other zone's data
    body: Callable | None = None  # (site, csrf, tmp) -> request kwargs (POST)
    method: str = "GET"
    fresh: bool = False  # needs its own login (logout)
    binary: str | None = None  # xlsx | gpkg


def upload_body(site, csrf, tmp):
    z = bad_zip(tmp / "bad.zip")
    return {"files": {"file": ("bad.zip", z.read_bytes(), "application/zip")}, "data": {"csrf": csrf}}


def api_upload_body(site, csrf, tmp):
    z = bad_zip(tmp / "bad.zip")
    return {"files": {"file": ("bad.zip", z.read_bytes(), "application/zip")}, "headers": {"X-CSRF-Token": csrf}}


def csrf_form(extra):
    def body(site, csrf, tmp):
        return {"data": {"csrf": csrf, **extra}}
    return body


ROUTES: dict[tuple[str, str], Spec] = {
    ("GET", "/login"): Spec(None, "/login", kind="page"),
    ("POST", "/login"): Spec(None, "/login", kind="page", method="POST"),
    ("POST", "/logout"): Spec("session", "/logout", kind="page", method="POST", ok=frozenset({303}),
                              body=csrf_form({}), fresh=True),
    ("GET", "/"): Spec("session", "/", kind="page", ok=frozenset({303})),
    ("GET", "/map"): Spec("map", "/map?year={Y}", kind="page"),
    ("GET", "/dashboard"): Spec("dashboard", "/dashboard?year={Y}&zone={A}", "/dashboard?year={Y}&zone={B}", kind="page"),
    ("GET", "/targets"): Spec("targets", "/targets?year={Y}&zone={A}", "/targets?year={Y}&zone={B}", kind="page"),
    ("GET", "/reports"): Spec("reports", "/reports", kind="page"),
    ("GET", "/admin/upload"): Spec("import", "/admin/upload", kind="page"),
    ("POST", "/admin/upload"): Spec("import", "/admin/upload", kind="page", method="POST", ok=frozenset({422}),
                                    body=upload_body),
    ("GET", "/admin/audit"): Spec("audit", "/admin/audit", kind="page"),
    ("GET", "/admin/users"): Spec("users", "/admin/users", kind="page"),
    ("POST", "/admin/users"): Spec("users", "/admin/users", kind="page", method="POST", ok=frozenset({400}),
                                   body=csrf_form({"username": "x_new", "role": "viewer", "password": "short"})),
    ("POST", "/admin/users/{username}/active"): Spec("users", "/admin/users/dummy/active", kind="page", method="POST",
                                                     ok=frozenset({303}), body=csrf_form({"active": "1"})),
    # the evaluator's year (issue 16); the POSTs are refused on their content, so nothing changes
    ("GET", "/versions"): Spec("versions", "/versions?year={Y}", kind="page"),
    ("POST", "/versions/publish"): Spec("versions", "/versions/publish", kind="page", method="POST",
                                        ok=frozenset({400}), body=csrf_form({"year": "2025", "version": "v99",
                                                                             "note": "x"})),
    ("POST", "/versions/evaluate"): Spec("versions", "/versions/evaluate", kind="page", method="POST",
                                         ok=frozenset({400}), body=csrf_form({"year": "1999"})),
    ("GET", "/versions/diff"): Spec("versions", "/versions/diff?year={Y}&a=v1&b=v1", kind="page"),
    ("GET", "/versions/jobs/{jid}"): Spec("versions", "/versions/jobs/nosuchjob", kind="page", ok=frozenset({404})),
    ("GET", "/objections"): Spec("objections", "/objections?year={Y}", kind="page"),
    # filed by zone managers (and admins): an evaluator is refused (403); nothing is published (400)
    ("POST", "/objections"): Spec("objections", "/objections", kind="page", method="POST", ok=frozenset({400, 403}),
                                  body=csrf_form({"year": "2025", "kind": "flag", "parcel_code": "X", "rule": "r",
                                                  "reason": "x"})),
    ("POST", "/objections/{oid}/decide"): Spec("decide_objections", "/objections/OBJ-2025-none/decide", kind="page",
                                               method="POST", ok=frozenset({404}),
                                               body=csrf_form({"decision": "reject", "reason": "x"})),
    ("GET", "/compare"): Spec("compare", "/compare?year={Y}&baseline=2024&zone={A}",
                              "/compare?year={Y}&baseline=2024&zone={B}", kind="page"),
    ("GET", "/openapi.json"): Spec("session", "/openapi.json"),
    ("GET", "/docs"): Spec("session", "/docs", kind="page"),
    ("GET", "/api/me"): Spec("session", "/api/me"),
    ("GET", "/api/years"): Spec("map", "/api/years"),
    ("GET", "/api/zones"): Spec("map", "/api/zones"),
    ("GET", "/api/dashboard"): Spec("dashboard", "/api/dashboard?year={Y}"),
    ("GET", "/api/zones/{code}/dashboard"): Spec("dashboard", "/api/zones/{A}/dashboard?year={Y}",
                                                 "/api/zones/{B}/dashboard?year={Y}"),
    ("GET", "/api/zones/{code}/parcels.geojson"): Spec("map", "/api/zones/{A}/parcels.geojson?year={Y}",
                                                       "/api/zones/{B}/parcels.geojson?year={Y}"),
    ("GET", "/api/pilot_areas.geojson"): Spec("map", "/api/pilot_areas.geojson?year={Y}"),
    ("GET", "/api/zones/{code}/survey.geojson"): Spec("map", "/api/zones/{A}/survey.geojson?year={Y}",
                                                      "/api/zones/{B}/survey.geojson?year={Y}"),
    ("GET", "/api/parcels/{code}"): Spec("map", "/api/parcels/{PA}?year={Y}", "/api/parcels/{PB}?year={Y}"),
    ("GET", "/api/search"): Spec("map", "/api/search?q={PA}&year={Y}", "/api/search?q={PB}&year={Y}",
                                 other_filtered=True),
    ("GET", "/api/targets"): Spec("targets", "/api/targets?year={Y}&zone={A}", "/api/targets?year={Y}&zone={B}"),
    ("GET", "/api/targets/rules"): Spec("targets", "/api/targets/rules?year={Y}"),
    ("GET", "/api/targets.{fmt}"): Spec("download", "/api/targets.xlsx?year={Y}&zone={A}",
                                        "/api/targets.gpkg?year={Y}&zone={B}", binary="auto"),
    ("GET", "/api/reports"): Spec("reports", "/api/reports?year={Y}"),
    ("GET", "/api/reports/{year}/report.{fmt}"): Spec("reports", "/api/reports/{Y}/report.xlsx",
                                                      ok=frozenset({200, 404})),
    ("GET", "/api/period-reports/{period}.{fmt}"): Spec("reports", "/api/period-reports/2025H1.xlsx"),
    ("POST", "/api/import"): Spec("import", "/api/import", method="POST", ok=frozenset({422}), body=api_upload_body),
    ("GET", "/api/audit"): Spec("audit", "/api/audit"),
    ("GET", "/api/audit.csv"): Spec("audit", "/api/audit.csv"),
    ("GET", "/api/users"): Spec("users", "/api/users"),
    # on a GeoPackage store the tile route answers 404 to allowed users (tiles need PostGIS; see
    # test_web_tiles.py for the PostGIS matrix)
    ("GET", "/tiles/{z}/{x}/{y}.pbf"): Spec("map", "/tiles/14/13000/6800.pbf?year={Y}", ok=frozenset({404})),
    # the disposal ledger (env opens one entry on parcel A and one on parcel B): managers edit their own
    # zones' entries, evaluators and administrators read (403 on a change); a stale revision is a 409
    ("GET", "/ledger"): Spec("ledger", "/ledger?zone={A}", "/ledger?zone={B}", kind="page"),
    ("GET", "/ledger/entry"): Spec("ledger", "/ledger/entry?parcel={PA}&rule=", "/ledger/entry?parcel={PB}&rule=",
                                   kind="page"),
    ("POST", "/ledger/entry"): Spec("ledger", "/ledger/entry?parcel={PA}&rule=", "/ledger/entry?parcel={PB}&rule=",
                                    kind="page", method="POST", ok=frozenset({409, 403}),
                                    body=csrf_form({"revision": "999", "responsible": "x"})),
    ("POST", "/ledger/note"): Spec("ledger", "/ledger/note?parcel={PA}&rule=", "/ledger/note?parcel={PB}&rule=",
                                   kind="page", method="POST", ok=frozenset({303, 403}), body=csrf_form({"text": "x"})),
    ("POST", "/ledger/open"): Spec("ledger", "/ledger/open?parcel={PA}&rule=low_far", "/ledger/open?parcel={PB}&rule=low_far",
                                   kind="page", method="POST", ok=frozenset({303, 403}), body=csrf_form({})),
    ("GET", "/api/ledger"): Spec("ledger", "/api/ledger?zone={A}", "/api/ledger?zone={B}"),
    ("GET", "/api/ledger/summary"): Spec("ledger", "/api/ledger/summary"),
    ("GET", "/api/ledger/entry"): Spec("ledger", "/api/ledger/entry?parcel={PA}&rule=",
                                       "/api/ledger/entry?parcel={PB}&rule="),
    ("POST", "/api/ledger/entry"): Spec("ledger", "/api/ledger/entry?parcel={PA}&rule=",
                                        "/api/ledger/entry?parcel={PB}&rule=", method="POST", ok=frozenset({409, 403}),
                                        body=lambda site, csrf, tmp: {"json": {"revision": 999, "changes": {"note": "x"}},
                                                                      "headers": {"X-CSRF-Token": csrf}}),
    ("POST", "/api/ledger/open"): Spec("ledger", "/api/ledger/open", method="POST", ok=frozenset({200, 403}),
                                       body=lambda site, csrf, tmp: {
                                           "json": {"items": [{"parcel_code": site.parcel_a, "rule": "matrix"}]},
                                           "headers": {"X-CSRF-Token": csrf}}),
    ("GET", "/api/parcels/{code}/ledger"): Spec("ledger", "/api/parcels/{PA}/ledger", "/api/parcels/{PB}/ledger"),
    ("GET", "/ledger/plan"): Spec("ledger", "/ledger/plan?zone={A}&year={Y}", "/ledger/plan?zone={B}&year={Y}", kind="page"),
    ("POST", "/ledger/plan"): Spec("ledger", "/ledger/plan?zone={A}", "/ledger/plan?zone={B}", kind="page", method="POST",
                                   ok=frozenset({303, 403}), body=csrf_form({"year": "2025"})),
    ("GET", "/api/zones/{code}/ledger.geojson"): Spec("ledger", "/api/zones/{A}/ledger.geojson",
                                                      "/api/zones/{B}/ledger.geojson"),
    ("MOUNT", "/static"): Spec(None, "/static/app.css", kind="static"),
    ("MOUNT", "/static/maps"): Spec(None, "/static/maps/vendor/leaflet/leaflet.js", kind="static"),
}


def flat_routes(routes):
    """``app.routes`` with included routers expanded (FastAPI ≥ 0.16x keeps them as one entry)."""
    for r in routes:
        if hasattr(r, "original_router"):
            assert not getattr(r.include_context, "prefix", ""), "the web app includes routers without prefixes"
            yield from flat_routes(r.original_router.routes)
        else:
            yield r


def route_keys(app) -> set[tuple[str, str]]:
    keys = set()
    for r in flat_routes(app.routes):
        if isinstance(r, Mount):
            keys.add(("MOUNT", r.path))
        else:
            for m in sorted(getattr(r, "methods", None) or []):
                if m != "HEAD":
                    keys.add((m, r.path))
    return keys


@pytest.fixture(scope="module")
def env(web_site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    db = copy_site(web_site, tmp)
    app, _ = make_client(str(db))
    from fastapi.testclient import TestClient

    from landuse.services import ledger

    ledger.open_entries(app.state.store, [{"parcel_code": web_site.parcel_a}, {"parcel_code": web_site.parcel_b}],
                        actor="seed")

    clients, csrfs = {}, {}
    for role, user in ROLE_USERS.items():
        c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        csrfs[role] = login(c, user) if user else ""
        clients[role] = c
    return {"app": app, "clients": clients, "csrf": csrfs, "site": web_site, "tmp": tmp}


def test_route_table_is_complete(env):
    have = route_keys(env["app"])
    unknown = have - set(ROUTES)
    stale = set(ROUTES) - have
    assert not unknown, f"routes missing from the authorization table: {sorted(unknown)}"
    assert not stale, f"table lists routes the app no longer has: {sorted(stale)}"
    # every non-public route depends on the access module
    for r in flat_routes(env["app"].routes):
        if isinstance(r, APIRoute) or hasattr(r, "dependant"):
            spec = ROUTES[(sorted(m for m in r.methods if m != "HEAD")[0], r.path)]
            if spec.fn is not None:
                calls = {getattr(d.call, "__name__", "") for d in _all_deps(r.dependant)}
                assert f"need_{spec.fn}" in calls, (r.path, calls)


def _all_deps(dep):
    for d in dep.dependencies:
        yield d
        yield from _all_deps(d)


def _expect(spec: Spec, role: str, which: str) -> str:
    if spec.fn is None:
        return "public"
    if role == "anonymous":
        return "anon"
    if role not in ALLOWED[spec.fn]:
        return "forbidden"
    if which == "other" and spec.other and role == "manager":
        return "filtered" if spec.other_filtered else "hidden"
    return "ok"


def _url(t: str, site, year: int = 2025) -> str:
    return (t.replace("{A}", site.zone_a).replace("{B}", site.zone_b).replace("{PA}", site.parcel_a)
            .replace("{PB}", site.parcel_b).replace("{Y}", str(year)))


def _keys(obj) -> set[str]:
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            out |= _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= _keys(v)
    return out


def _binary_zones(resp, tmp: Path) -> set[str]:
    ctype = resp.headers.get("content-type", "")
    if "spreadsheet" in ctype:
        df = pd.read_excel(io.BytesIO(resp.content))
        col = [c for c in df.columns if c in ("开发区代码", "zone_code")][0]
        return set(df[col].dropna().astype(str))
    if "geopackage" in ctype:
        import pyogrio

        p = tmp / "dl.gpkg"
        p.write_bytes(resp.content)
        return set(pyogrio.read_dataframe(p)["zone_code"].dropna().astype(str))
    return set()


CASES = [(k, role, which) for k, spec in ROUTES.items() for role in ROLE_USERS
         for which in (("own", "other") if spec.other else ("own",))]


@pytest.mark.parametrize("key,role,which", CASES, ids=[f"{k[0]} {k[1]} {r} {w}" for k, r, w in CASES])
def test_matrix(env, key, role, which):
    spec = ROUTES[key]
    site, tmp = env["site"], env["tmp"]
    url = _url(spec.other if which == "other" and spec.other else spec.own, site)
    if key == ("POST", "/login"):  # the form itself is covered by test_web_security.py
        resp = env["clients"][role].post(url, data={"username": "admin1", "password": "x", "csrf": "forged"})
        assert resp.status_code == 403 and site.parcel_a not in resp.text  # no login-form token: refused
        return
    client, csrf = env["clients"][role], env["csrf"][role]
    if spec.fresh and role != "anonymous":
        from fastapi.testclient import TestClient

        client = TestClient(env["app"], raise_server_exceptions=False, follow_redirects=False)
        csrf = login(client, ROLE_USERS[role])
    kw = spec.body(site, csrf or "x", tmp) if spec.body else {}
    resp = client.request(spec.method, url, **kw)
    expect = _expect(spec, role, which)
    text = resp.content.decode("utf-8", "replace")
    secrets_b = [site.parcel_b, site.holder_b]
    if expect == "public":
        assert resp.status_code == 200, (url, resp.status_code)
        return
    if expect in ("anon", "forbidden", "hidden"):
        if expect == "anon":
            if spec.kind == "page":
                assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (url, resp.status_code)
            else:
                assert resp.status_code == 401, (url, resp.status_code)
        else:
            assert resp.status_code == (403 if expect == "forbidden" else 404), (url, role, resp.status_code)
        for s in (site.parcel_a, site.parcel_b, site.holder_b):
            assert s not in text
        assert len(resp.content) < 4000
        return
    assert resp.status_code in spec.ok, (url, role, resp.status_code, text[:300])
    if role == "manager":
        assert site.zone_b not in text and all(s not in text for s in secrets_b), url
        if resp.status_code == 200 and spec.binary:
            zs = _binary_zones(resp, tmp)
            assert zs <= {site.zone_a}, zs
    if role == "viewer" and "json" in resp.headers.get("content-type", ""):
        leaked = _keys(json.loads(text)) & CONFIDENTIAL
        assert not leaked, (url, leaked)
    if expect == "filtered":
        assert resp.json() == []


def test_manager_lists_only_own_zone(env):
    site = env["site"]
    c = env["clients"]["manager"]
    assert [z["zone_code"] for z in c.get("/api/zones").json()] == [site.zone_a]
    rows = c.get("/api/targets?year=2025&limit=5000").json()["rows"]
    assert rows and {r["zone_code"] for r in rows} == {site.zone_a}
    dash = c.get("/api/dashboard?year=2025").json()["zones"]
    assert [z["zone_code"] for z in dash] == [site.zone_a]
    fc = c.get(f"/api/zones/{site.zone_a}/parcels.geojson?year=2025").json()
    assert fc["features"] and {f["properties"]["zone_code"] for f in fc["features"]} == {site.zone_a}
    # holder-name search across the province finds nothing outside zone A
    assert c.get("/api/search", params={"q": site.holder_b, "year": 2025}).json() == [] or all(
        h["zone_code"] == site.zone_a for h in c.get("/api/search", params={"q": site.holder_b, "year": 2025}).json())
    # the same parcel is visible to an evaluator
    ev = env["clients"]["evaluator"]
    assert ev.get(f"/api/parcels/{site.parcel_b}?year=2025").status_code == 200


def test_viewer_sees_land_facts_not_figures(env):
    site = env["site"]
    v = env["clients"]["viewer"]
    d = v.get(f"/api/parcels/{site.parcel_a}?year=2025").json()
    assert d["holder_name"] and d["parcel_code"] == site.parcel_a and "stage" in d
    assert not (set(d) & CONFIDENTIAL)
    fc = v.get(f"/api/zones/{site.zone_b}/parcels.geojson?year=2025").json()
    assert fc["features"]
    assert not (_keys(fc) & CONFIDENTIAL)
    m = env["clients"]["manager"].get(f"/api/parcels/{site.parcel_a}?year=2025").json()
    assert {"revenue_per_mu", "tax_per_mu", "grade", "flag_list"} <= set(m)
    assert m["flag_list"], "parcel A is flagged"
    # the map page offers no figure colouring to a viewer
    assert 'id="colour"' not in v.get("/map").text
    assert 'id="colour"' in env["clients"]["manager"].get("/map").text
