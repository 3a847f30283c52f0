"""Shared fixtures and helpers of the web-service tests (imported by the other test_web_* modules).

One small generated sample (``parcels.sample.write_sample``) is imported into a GeoPackage and
evaluated for 2024 and 2025 once per session; each test module copies the file. Users: one per
role; the manager sees zone A only.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PASSWORDS = {
    "admin1": "Admin-pass-0001",
    "eval1": "Evaluator-pass-01",
    "mgr_a": "Manager-pass-0001",
    "viewer1": "Viewer-pass-00001",
    "dummy": "Dummy-pass-000001",
}
ROLES = {"admin1": "admin", "eval1": "evaluator", "mgr_a": "manager", "viewer1": "viewer", "dummy": "viewer"}
YEARS = [2024, 2025]

#: columns a viewer must never receive (enterprise figures, grades, flags and their evidence)
CONFIDENTIAL = {"revenue_wan", "tax_wan", "value_added_wan", "energy_tce", "investment_wan", "revenue_per_mu",
                "tax_per_mu", "value_added_per_mu", "investment_per_mu", "grade", "score", "flags", "flag_list",
                "evidence", "gain_wan", "max_severity", "flag_count", "priority"}


@dataclass
class Site:
    gpkg: Path
    pkg: Path
    zone_a: str
    zone_b: str
    parcel_a: str  # a flagged parcel of zone A
    parcel_b: str  # a flagged parcel of zone B
    holder_b: str  # holder name of parcel B
    extra: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def web_site(tmp_path_factory) -> Site:
    from landuse.services import accounts as auth
    from tests.pkgkit import evaluated_sample

    root = tmp_path_factory.mktemp("web")
    pkg, gpkg = root / "pkg", root / "site.gpkg"
    store = evaluated_sample(root, name="site.gpkg", years=YEARS)
    fl = store.read("flags", year=2025)
    pr = store.read("parcel_results", year=2025)
    zones = sorted(fl["zone_code"].dropna().unique())
    zone_a, zone_b = zones[0], zones[1]
    named = pr[pr["holder_name"].notna()]
    pa = sorted(set(fl.loc[fl["zone_code"] == zone_a, "parcel_code"]) & set(named["parcel_code"]))[0]
    pb = sorted(set(fl.loc[fl["zone_code"] == zone_b, "parcel_code"]) & set(named["parcel_code"]))[0]
    holder_b = named.loc[named["parcel_code"] == pb, "holder_name"].iloc[0]
    for name, role in ROLES.items():
        auth.add_user(store, name, role=role, password=PASSWORDS[name], zones=zone_a if role == "manager" else None)
    return Site(gpkg, pkg, zone_a, zone_b, pa, pb, holder_b)


def copy_site(site: Site, dest: Path) -> Path:
    out = dest / "site.gpkg"
    shutil.copyfile(site.gpkg, out)
    return out


def make_client(db: str, **settings_kw):
    from fastapi.testclient import TestClient

    from landuse.core.settings import Settings
    from landuse.web.app import create_app

    app = create_app(db, settings=Settings(**settings_kw))
    return app, TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def login(client, username: str, password: str | None = None) -> str:
    """Log in through the form; returns the session's CSRF token."""
    r = client.get("/login")
    tok = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                    "csrf": tok, "next": "/map"})
    assert r.status_code == 303, r.text[:300]
    me = client.get("/api/me")
    assert me.status_code == 200
    return me.json()["csrf"]


def bad_zip(path: Path) -> Path:
    """A zip with no layer of the contract: the importer refuses it with a problem table."""
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a data package")
    return path


def test_site_fixture(web_site):
    assert web_site.zone_a != web_site.zone_b
    assert web_site.parcel_a and web_site.parcel_b
