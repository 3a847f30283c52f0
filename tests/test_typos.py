"""Typos never pass silently: an unknown zone or pilot-area code is refused naming the nearest known
ones, a mistyped --db creates no store, a manager account for an unknown zone is refused (CLI, service,
web users page)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from landuse.cli import app
from tests import pkgkit

RUN = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The hand-made package (zones Z1, Z2 in pilot area 360700) imported and evaluated for 2025."""
    from landuse.core.policy import default_policy
    from landuse.services.evaluate import evaluate
    from parcels.importer import import_package
    from parcels.store import open_store

    root = tmp_path_factory.mktemp("typos")
    path = root / "w.gpkg"
    store = open_store(str(path), init=True)
    import_package(pkgkit.write_package(root / "pkg"), store)
    evaluate(store, years=[2025], policy=default_policy())
    store.close()
    return path


def _refused(r, code: str, near: str) -> None:
    out = " ".join(r.output.split())
    assert r.exit_code == 1, r.output
    assert code in out and near in out, out
    assert "Traceback" not in r.output


@pytest.mark.parametrize("args, code, near", [
    (["targets", "--year", "2025", "--zone", "Z3"], "Z3", "Z1"),
    (["targets", "--year", "2025", "--zone", "z1"], "z1", "Z1"),
    (["map", "--year", "2025", "--zone", "Z9"], "Z9", "Z1"),
    (["map", "--year", "2025", "--pilot-area", "360701"], "360701", "360700"),
    (["report", "--year", "2025", "--pilot-area", "36070"], "36070", "360700"),
    (["export", "parcel_results", "--year", "2025", "--zone", "Z0"], "Z0", "Z1"),
])
def test_unknown_codes_are_refused_with_the_nearest_ones(db, tmp_path, args, code, near):
    out = tmp_path / ("x.html" if args[0] == "map" else "x.xlsx")
    r = RUN.invoke(app, [*args, "--db", str(db), "--out", str(out)])
    _refused(r, code, near)
    assert "相近的有" in r.output or "did you mean" in r.output
    assert not out.exists()  # no empty file left behind


@pytest.mark.parametrize("args", [
    ["targets", "--year", "2025"], ["map", "--year", "2025"], ["report", "--year", "2025"],
    ["export", "parcels"], ["evaluate", "--year", "2025"], ["quota", "--year", "2025", "--total-mu", "100"],
])
def test_a_mistyped_db_creates_no_store(tmp_path, args):
    wrong = tmp_path / "landuse_typo.gpkg"
    out = tmp_path / ("x.html" if args[0] == "map" else "x.xlsx")
    r = RUN.invoke(app, [*args, "--db", str(wrong), "--out", str(out)] if args[0] != "evaluate"
                   else [*args, "--db", str(wrong)])
    assert r.exit_code != 0 and not wrong.exists(), r.output
    assert "landuse init" in r.output or "No such option" in r.output


def test_manager_for_an_unknown_zone_is_refused_in_the_cli_and_the_service(db, tmp_path):
    import shutil

    from landuse.services import accounts
    from parcels.store import open_store

    work = tmp_path / "w.gpkg"
    shutil.copyfile(db, work)
    r = RUN.invoke(app, ["user", "add", "m1", "--role", "manager", "--zones", "Z1,Z7", "--password-stdin",
                         "--db", str(work)], input="Manager-pass-0001\n")
    _refused(r, "Z7", "Z1")
    store = open_store(str(work))
    assert accounts.get_user(store, "m1") is None  # nothing created
    with pytest.raises(accounts.AuthError, match=r"Z7.*(相近的有|did you mean).*Z1"):
        accounts.add_user(store, "m2", role="manager", password="Manager-pass-0001", zones="Z7")
    with pytest.raises(accounts.AuthError, match="z2"):
        accounts.add_user(store, "v1", role="viewer", password="Viewer-pass-00001", zones=["z2"])
    u = accounts.add_user(store, "m3", role="manager", password="Manager-pass-0001", zones="Z1,Z2")
    assert u.zones == ("Z1", "Z2")
    store.close()


def test_zone_bound_accounts_need_zones_imported_first(tmp_path):
    from landuse.services import accounts
    from parcels.store import open_store

    store = open_store(str(tmp_path / "empty.gpkg"), init=True)
    with pytest.raises(accounts.AuthError, match="尚未导入开发区"):
        accounts.add_user(store, "m1", role="manager", password="Manager-pass-0001", zones="Z1")
    accounts.add_user(store, "admin1", role="admin", password="Admin-pass-0001")  # the first admin: no zones
    store.close()


def test_web_users_page_refuses_a_manager_for_an_unknown_zone(db, tmp_path):
    import shutil

    from landuse.services import accounts
    from parcels.store import open_store
    from tests.test_web_common import login, make_client

    work = tmp_path / "w.gpkg"
    shutil.copyfile(db, work)
    store = open_store(str(work))
    accounts.add_user(store, "admin1", role="admin", password="Admin-pass-0001")
    store.close()
    app_, c = make_client(str(work))
    csrf = login(c, "admin1", "Admin-pass-0001")
    r = c.post("/admin/users", data={"csrf": csrf, "username": "mx", "role": "manager",
                                     "password": "Manager-pass-0001", "zones": "Z12"})
    assert r.status_code == 400
    text = re.sub(r"\s+", " ", r.text)
    assert "Z12" in text and "相近的有" in text and "Z1" in text
    assert 'list="zone-codes"' in c.get("/admin/users").text  # the known codes are offered while typing
    r = c.post("/admin/users", data={"csrf": csrf, "username": "mx", "role": "manager",
                                     "password": "Manager-pass-0001", "zones": "Z1"})
    assert r.status_code == 200 and "已创建用户 mx" in r.text
    app_.state.store.close()


def test_the_report_names_the_option_that_exists(tmp_path):
    """The report tells how to add the quota sheet with the CLI's real option (--total-mu)."""
    from pathlib import Path

    import landuse.reports as rep
    from landuse.cli import evaluation  # noqa: F401  (the command is registered)

    root = Path(rep.__file__).parent
    text = (root / "excel.py").read_text(encoding="utf-8") + (root / "templates" / "report.html.j2").read_text(encoding="utf-8")
    assert "--total-quota-mu" not in text and "--total-mu" in text
    r = RUN.invoke(app, ["report", "--help"])
    assert "--total-mu" in r.output
