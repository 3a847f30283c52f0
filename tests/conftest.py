"""Shared fixtures. The PostGIS server is real: started here, never mocked, and a test that needs
it fails (never skips) when it cannot be started."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.pgserver import PostGISServer


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


@pytest.fixture
def pg_db(postgis_url):
    """A fresh empty database (with PostGIS) per test; returns its URL."""
    from parcels.store.postgis import sqlalchemy_url

    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(sqlalchemy_url(postgis_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = postgis_url.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    eng = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    eng.dispose()
    yield url
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request, tmp_path):
    """The same contract tests run against both backends."""
    from parcels.store import open_store

    if request.param == "gpkg":
        s = open_store(str(tmp_path / "work.gpkg"), init=True)
    else:
        url = request.getfixturevalue("pg_db")
        s = open_store(url, init=True)
    yield s
    s.close()
