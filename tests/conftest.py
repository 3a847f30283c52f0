"""Shared fixtures. The PostGIS server is real: started here, never mocked, and a test that needs
it fails (never skips) when it cannot be started."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.pgserver import PostGISServer

# the command line's messages are checked as text: a wide console, so rich does not wrap them
# differently on a terminal, in CI and in pytest-xdist workers (no terminal at all)
os.environ["COLUMNS"] = "240"


@pytest.fixture(scope="session")
def postgis_url():
    url = os.environ.get("LANDUSE_TEST_DATABASE_URL")
    server = None
    if not url:
        server = PostGISServer()
        try:
            url = server.start()
        except Exception as exc:  # noqa: BLE001
            server.stop()
            pytest.fail(f"cannot start the PostGIS test server: {exc}", pytrace=False)
    yield url
    if server:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(postgis_url):
    """A database migrated to the current schema once per session, cloned for each test."""
    from parcels.store import open_store
    from parcels.store.postgis import sqlalchemy_url

    name = "tpl_" + uuid.uuid4().hex[:8]
    admin = create_engine(sqlalchemy_url(postgis_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{postgis_url.rsplit('/', 1)[0]}/{name}"
    s = open_store(url, init=True)
    s.close()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def pg_db(postgis_url, pg_template):
    """A fresh database with the current schema per test (cloned from a template); returns its URL."""
    from parcels.store.postgis import sqlalchemy_url

    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(sqlalchemy_url(postgis_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    base = postgis_url.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    yield url
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def gpkg_template(tmp_path_factory):
    from parcels.store import open_store

    path = tmp_path_factory.mktemp("tpl") / "template.gpkg"
    open_store(str(path), init=True)
    return path


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request, tmp_path):
    """The same contract tests run against both backends."""
    import shutil

    from parcels.store import open_store

    if request.param == "gpkg":
        shutil.copyfile(request.getfixturevalue("gpkg_template"), tmp_path / "work.gpkg")
        s = open_store(str(tmp_path / "work.gpkg"), init=True)
    else:
        url = request.getfixturevalue("pg_db")
        s = open_store(url, init=True)
    yield s
    s.close()
