"""What pages other than the ledger's show of the disposal ledger (the dashboard's progress panel)."""

from __future__ import annotations

import datetime as _dt
from typing import Any
from urllib.parse import urlencode

from landuse.services import ledger as L
from landuse.web import data
from landuse.web.access import Principal, sees_zone, zone_list


def entry_url(parcel: str, rule: str | None) -> str:
    return "/ledger/entry?" + urlencode({"parcel": parcel, "rule": rule or ""})


def dashboard_panel(store, p: Principal, zone: str | None) -> dict[str, Any] | None:
    """The ledger's progress for the dashboard: per zone (the user's), and the latest notes of a zone."""
    if not p.may("ledger"):
        return None
    led = L.read_ledger(store, zones=zone_list(p))
    today = _dt.date.today()
    out: dict[str, Any] = {"summary": data.records(L.summary(led, today=today)), "recent": []}
    if zone and sees_zone(p, zone):
        z = led[led["zone_code"] == zone]
        recent = []
        for e in z.to_dict("records"):
            for n in L.notes(store, L.Key(e["parcel_code"], e["rule"])):
                recent.append({"parcel_code": e["parcel_code"], "rule": e["rule"], "status": e["status"],
                               "url": entry_url(e["parcel_code"], e["rule"]), **n})
        out["recent"] = sorted(recent, key=lambda r: (r["noted"], r["id"]), reverse=True)[:10]
    return out
