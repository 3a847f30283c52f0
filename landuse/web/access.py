"""Who may see what: decided here and nowhere else.

Every route of the service depends on :func:`need` (or :func:`current`) for one *function* of the
table below; data then pass through :func:`visible_zones`, :func:`check_zone` and :func:`redact`.

| role      | zones                      | figures & grades | functions                                        |
|-----------|----------------------------|------------------|--------------------------------------------------|
| admin     | all                        | yes              | everything, incl. import, users, audit           |
| evaluator | all (the province)         | yes              | map, dashboard, targets, downloads, reports      |
| manager   | only ``users.zones``       | yes (own zones)  | map, dashboard, targets, downloads               |
| viewer    | ``users.zones``, else all  | no               | map (parcel code, zone, holder, land facts)      |

A viewer sees holder names (a public land-register fact), land-use facts (area, life-cycle stage,
FAR, building coverage) and nothing else: no revenue, tax, value added, per-mu figures, grades,
scores or flags (their evidence quotes the figures). Refusals: 401 not logged in, 403 a function
the role does not have, 404 an object in a zone the user does not see (indistinguishable from a
code that does not exist).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from fastapi import Depends, HTTPException, Request

from landuse.services import accounts as auth

#: function → roles allowed to use it
FUNCTIONS: dict[str, frozenset[str]] = {
    "map": frozenset({"admin", "evaluator", "manager", "viewer"}),
    "dashboard": frozenset({"admin", "evaluator", "manager"}),
    "targets": frozenset({"admin", "evaluator", "manager"}),
    "download": frozenset({"admin", "evaluator", "manager"}),
    "reports": frozenset({"admin", "evaluator"}),
    "import": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
    "session": frozenset({"admin", "evaluator", "manager", "viewer"}),  # me, logout, API docs
    # the evaluator's year (issue 16): versions, objections, why a zone moved, re-evaluation
    "versions": frozenset({"admin", "evaluator"}),  # list, publish, re-evaluate (a draft)
    "objections": frozenset({"admin", "evaluator", "manager"}),  # managers file, evaluators decide
    "decide_objections": frozenset({"admin", "evaluator"}),
    "compare": frozenset({"admin", "evaluator", "manager"}),
    # the disposal ledger: managers edit their own zones' entries (landuse.web.ledger.may_edit)
    "ledger": frozenset({"admin", "evaluator", "manager"}),
}

#: columns anyone allowed to see a layer may receive (the rest are confidential figures)
PUBLIC_COLUMNS = frozenset({
    "parcel_code", "zone_code", "zone_name", "year", "area_mu", "area_source", "geodesic_area_mu", "developed",
    "industrial", "stage", "stage_zh", "holder_uscc", "holder_name", "n_users", "far", "building_coverage",
    "registered_area_m2", "geodesic_area_m2", "land_use_code", "land_use_scheme", "supply_date",
    "completion_date", "standard_land", "geometry", "pilot_area_code", "pilot_area_name", "level", "lon", "lat",
})


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    zones: frozenset[str]  # empty = no restriction (see visible_zones)
    csrf: str = ""

    @property
    def role_zh(self) -> str:
        return auth.ROLE_ZH.get(self.role, self.role)

    def may(self, function: str) -> bool:
        return self.role in FUNCTIONS.get(function, frozenset())


def visible_zones(principal: Principal) -> frozenset[str] | None:
    """The zone codes a user sees; None means every zone."""
    if principal.role in ("admin", "evaluator"):
        return None
    if principal.role == "manager":
        return principal.zones  # never empty for a manager (user add refuses it); empty = nothing
    return principal.zones or None


def zone_list(principal: Principal) -> list[str] | None:
    """``visible_zones`` as the ``zones=`` argument of ``Store.read`` (None = all)."""
    z = visible_zones(principal)
    return None if z is None else sorted(z)


def sees_zone(principal: Principal, zone_code: str | None) -> bool:
    z = visible_zones(principal)
    return z is None or (zone_code is not None and zone_code in z)


def check_zone(principal: Principal, zone_code: str | None) -> None:
    """404 for a zone the user does not see (as if it did not exist)."""
    if not sees_zone(principal, zone_code):
        raise HTTPException(404, "未找到 / not found")


def can_see_figures(principal: Principal) -> bool:
    return principal.role in ("admin", "evaluator", "manager")


def redact(frame: pd.DataFrame, principal: Principal) -> pd.DataFrame:
    """Rows of the user's zones only; for a viewer only the public columns."""
    out = frame
    z = visible_zones(principal)
    if z is not None and "zone_code" in out.columns:
        out = out[out["zone_code"].isin(z)]
    if not can_see_figures(principal):
        out = out[[c for c in out.columns if c in PUBLIC_COLUMNS]]
    return out


def redact_dict(row: dict, principal: Principal) -> dict:
    if can_see_figures(principal):
        return dict(row)
    return {k: v for k, v in row.items() if k in PUBLIC_COLUMNS}


# ------------------------------------------------------------------------------------------------
# FastAPI dependencies
# ------------------------------------------------------------------------------------------------

class NotLoggedIn(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "请先登录 / login required")


def principal_of(request: Request) -> Principal:
    """The logged-in user (401 otherwise): session cookie → the session and its active user, read
    on every request (one query): a logout or a deactivated account takes effect on the next one."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store = request.app.state.store
    found = auth.session_user(store, request.cookies.get(auth.SESSION_COOKIE))
    if found is None:
        raise NotLoggedIn()
    sess, user = found
    if not user.active or user.role not in auth.ROLES:
        raise NotLoggedIn()
    p = Principal(user.username, user.role, frozenset(user.zones), sess.csrf)
    request.state.principal = p
    return p


async def current(request: Request) -> Principal:
    """Dependency: :func:`principal_of`, run on the event loop (two small reads by key: cheaper
    there than a hop to the thread pool, which every sync dependency costs)."""
    return principal_of(request)


def need(function: str):
    """Dependency: the logged-in user, who must have ``function`` (403 otherwise)."""
    if function not in FUNCTIONS:
        raise KeyError(function)

    async def dep(principal: Principal = Depends(current)) -> Principal:
        if not principal.may(function):
            raise HTTPException(403, "无权访问 / forbidden")
        return principal

    dep.__name__ = f"need_{function}"
    dep.function = function  # type: ignore[attr-defined]
    return dep


def filter_codes(codes: Iterable[str], principal: Principal) -> list[str]:
    z = visible_zones(principal)
    return [c for c in codes if z is None or c in z]
