"""The survey's layers on both stores: created from the contract, added to stores made before them
(Alembic 0002 on PostGIS, the GeoPackage's own check), zone_survey_results replaced per survey year."""

from __future__ import annotations

import contextlib
import sqlite3

import pandas as pd
import pytest

from landuse.core.contract import layer
from landuse.core.dtypes import conform
from parcels.store import open_store


@pytest.mark.postgis
def test_postgis_store_made_before_the_survey_gets_its_tables(pg_db):
    from sqlalchemy import create_engine, inspect, text

    from parcels.store.postgis import sqlalchemy_url

    open_store(pg_db, init=True).close()
    eng = create_engine(sqlalchemy_url(pg_db))
    with eng.begin() as c:  # as the release before the survey left it
        for t in ("land_survey", "zone_years", "zone_survey_results"):
            c.execute(text(f'DROP TABLE "{t}"'))
        c.execute(text('ALTER TABLE zone_results DROP COLUMN "intensive_basis"'))
        c.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    open_store(pg_db, init=True).close()
    insp = inspect(eng)
    assert {"land_survey", "zone_years", "zone_survey_results"} <= set(insp.get_table_names())
    assert "intensive_basis" in {c["name"] for c in insp.get_columns("zone_results")}
    assert {u["name"] for u in insp.get_unique_constraints("land_survey")} == {"uq_land_survey_key"}
    assert any(fk["referred_table"] == "zones" for fk in insp.get_foreign_keys("land_survey"))
    eng.dispose()


def test_geopackage_made_before_the_survey_gets_its_layers_and_columns(tmp_path):
    path = tmp_path / "old.gpkg"
    open_store(str(path), init=True)
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute('ALTER TABLE zone_results DROP COLUMN "intensive_basis"')
    s = open_store(str(path))
    assert s._schema_todo()
    s.init()
    with contextlib.closing(sqlite3.connect(path)) as con:
        cols = {r[1] for r in con.execute('PRAGMA table_info("zone_results")')}
    assert "intensive_basis" in cols
    assert not s._schema_todo()


def test_geopackage_keeps_one_year_index_per_results_layer(tmp_path):
    """A layer with years and zones is indexed on (year, zone_code) only: a year's reads and deletes
    use its prefix (the plan says so), and a file made with the former index on the year alone loses
    it when opened (every index is kept up on each row a year's results write)."""
    path = tmp_path / "old.gpkg"
    open_store(str(path), init=True)
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute('CREATE INDEX "ix_parcel_results_year" ON "parcel_results" ("year")')  # as before
    s = open_store(str(path))
    assert s._schema_todo()
    s.init()
    with contextlib.closing(sqlite3.connect(path)) as con:
        idx = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'parcel_results'")}
        plan = " ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN DELETE FROM parcel_results WHERE year = 2025"))
    assert "ix_parcel_results_year" not in idx and "ix_parcel_results_year_zone" in idx
    assert "USING COVERING INDEX ix_parcel_results_year_zone" in plan
    assert not s._schema_todo()


def _rows(year: int, zones: list[str]) -> pd.DataFrame:
    df = pd.DataFrame({"zone_code": [z for z in zones for _ in range(3)],
                       "survey_year": year, "range": ["主区", "发展方向区", "全区"] * len(zones),
                       "development_rate": 0.9, "zone_type": "工业主导型", "score": 80.0, "rank": 1})
    return conform(df, layer("zone_survey_results"), {"policy_version": "t", "policy_hash": "h"})


def test_zone_survey_results_are_replaced_per_survey_year(store):
    store.replace_results({"zone_survey_results": _rows(2023, ["Z1", "Z2"])}, year=2023)
    store.replace_results({"zone_survey_results": _rows(2025, ["Z1"])}, year=2025)
    store.replace_results({"zone_survey_results": _rows(2023, ["Z2"])}, year=2023)
    got = store.read("zone_survey_results")
    assert sorted(set(zip(got["zone_code"], got["survey_year"], strict=True))) == [("Z1", 2025), ("Z2", 2023)]
    assert len(store.read("zone_survey_results", year=2023)) == 3
    assert store.read("zone_survey_results", zones=["Z1"])["range"].tolist() == ["主区", "全区", "发展方向区"]
