"""Contract tests of the store interface, run on both backends (the ``store`` fixture)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from landuse.core.contract import INPUT_LAYERS, LAYERS
from parcels.importer import import_package
from parcels.store import open_store
from tests import pkgkit


def test_import_is_idempotent(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    first = {c.layer: c for c in import_package(pkg, store).changes}
    assert first["parcels"].inserted == 3 and first["enterprise_years"].inserted == 18
    snap = store.snapshot()
    second = import_package(pkg, store).changes
    assert all(c.inserted == 0 and c.updated == 0 for c in second), second
    assert store.snapshot() == snap


def test_corrected_package_replaces_what_it_corrects(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    import_package(pkg, store)
    fix = tmp_path / "fix"
    fix.mkdir()
    ey = pkgkit.enterprise_years_df()
    ey = ey[ey.year == 2024].copy()
    ey.loc[ey.uscc == pkgkit.E1, "revenue_wan"] = 99999.0
    ey.to_csv(fix / "enterprise_years.csv", index=False)
    ch = {c.layer: c for c in import_package(fix, store).changes}
    assert (ch["enterprise_years"].updated, ch["enterprise_years"].unchanged, ch["enterprise_years"].inserted) == (1, 2, 0)
    got = store.read("enterprise_years")
    assert len(got) == 18
    assert got.loc[(got.uscc == pkgkit.E1) & (got.year == 2024), "revenue_wan"].item() == 99999.0
    assert got.loc[(got.uscc == pkgkit.E1) & (got.year == 2023), "revenue_wan"].item() == 23000.0


def test_columns_a_package_lacks_keep_their_values(store, tmp_path):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    import_package(pkg, store)
    part = tmp_path / "part"
    part.mkdir()
    e = pkgkit.enterprises_df()[["uscc", "name", "industry_code", "above_scale"]].copy()
    e.loc[0, "name"] = "赣州甲电子科技有限公司"
    e.to_csv(part / "enterprises.csv", index=False)
    import_package(part, store)
    got = store.read("enterprises").set_index("uscc")
    assert got.loc[pkgkit.E1, "name"] == "赣州甲电子科技有限公司"


def test_read_types_and_geometry(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    p = store.read("parcels")
    assert isinstance(p, gpd.GeoDataFrame) and p.crs.to_epsg() == 4490
    assert set(p.geometry.geom_type) == {"MultiPolygon"}
    assert str(p["standard_land"].dtype) == "boolean"
    assert str(p["supply_date"].dtype) == "datetime64[ns]"
    # geodesic area of a 0.002° square at 25.83°N: 0.002·111.2 km × 0.002·100.1 km ≈ 44 430 m²
    assert p.loc[p.parcel_code == "P1", "geodesic_area_m2"].item() == pytest.approx(44429.6, rel=1e-4)
    z = store.read("parcels", zones=["Z2"])
    assert z.parcel_code.tolist() == ["P3"]
    assert len(store.read("parcels", zones=[])) == 0
    ey = store.read("enterprise_years", year=2021)
    assert sorted(ey.year.unique().tolist()) == [2021] and len(ey) == 3


def test_results_replace_one_year(store):
    layer = LAYERS["zone_results"]
    rows = lambda y, v: pd.DataFrame({"zone_code": ["Z1", "Z2"], "year": [y, y], "revenue_per_mu": [v, v + 1]})  # noqa: E731
    store.replace_results({"zone_results": rows(2024, 10.0)}, year=2024)
    store.replace_results({"zone_results": rows(2025, 20.0)}, year=2025)
    store.replace_results({"zone_results": rows(2024, 30.0)}, year=2024)
    got = store.read(layer.name)
    assert len(got) == 4
    assert got.loc[got.year == 2024, "revenue_per_mu"].tolist() == [30.0, 31.0]
    assert got.loc[got.year == 2025, "revenue_per_mu"].tolist() == [20.0, 21.0]
    assert store.result_years() == [2024, 2025]


def test_system_tables_and_append_only_audit(store):
    store.sys_insert("users", {"username": "li", "role": "manager", "zones": "Z1", "password_hash": "x",
                               "active": 1, "created_at": "2026-01-01T00:00:00"})
    assert store.sys_query("users", {"username": "li"})[0]["role"] == "manager"
    assert store.sys_update("users", {"username": "li"}, {"zones": "Z1,Z2"}) == 1
    store.sys_insert("audit_log", {"ts": "2026-01-01T00:00:00", "username": "li", "action": "login", "detail": "", "ip": "127.0.0.1"})
    assert [r["action"] for r in store.sys_query("audit_log")] == ["login"]
    with pytest.raises(Exception):
        store.sys_update("audit_log", {"username": "li"}, {"action": "x"})


@pytest.mark.postgis
def test_both_backends_read_identically(tmp_path, pg_db):
    pkg = pkgkit.write_package(tmp_path / "pkg")
    g = open_store(str(tmp_path / "a.gpkg"), init=True)
    p = open_store(pg_db, init=True)
    import_package(pkg, g)
    import_package(pkg, p)
    for layer in INPUT_LAYERS:
        a, b = g.read(layer.name), p.read(layer.name)
        assert list(a.columns) == list(b.columns), layer.name
        assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes], layer.name
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
                                      pd.DataFrame(b.drop(columns="geometry", errors="ignore")), check_exact=False, rtol=1e-9)
        if layer.geometry:
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-9).all() or (a.geometry.isna() & b.geometry.isna()).all()
    p.close()


@pytest.mark.postgis
def test_postgis_schema_has_constraints_and_indexes(pg_db):
    from sqlalchemy import create_engine, inspect, text

    from parcels.store.postgis import sqlalchemy_url

    open_store(pg_db, init=True).close()
    eng = create_engine(sqlalchemy_url(pg_db))
    insp = inspect(eng)
    assert {u["name"] for u in insp.get_unique_constraints("leases")} == {"uq_leases_key"}
    assert any(fk["referred_table"] == "zones" for fk in insp.get_foreign_keys("parcels"))
    checks = {c["name"] for c in insp.get_check_constraints("parcels")}
    assert "ck_parcels_registered_area_m2_nonneg" in checks and "ck_parcels_land_use_scheme_choice" in checks
    with eng.connect() as c:
        idx = c.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'parcels'")).scalars().all()
        srid = c.execute(text("SELECT srid FROM geometry_columns WHERE f_table_name = 'parcels'")).scalar_one()
        ver = c.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    from alembic.script import ScriptDirectory

    from parcels.store.postgis import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert any("gist" in i.lower() for i in idx)
    assert srid == 4490 and ver == head
    eng.dispose()


@pytest.mark.postgis
def test_postgis_schema_owns_the_evaluation_state_tables(pg_db):
    """Revision 0006 makes the tables kept beside the layers (earlier years' parts, the results
    generation, stored tiles) and the results triggers; a store left at 0005 without them (as the
    release that made them lazily) gets them from `landuse init`, and a statement outside the
    product bumps the generation."""
    from sqlalchemy import create_engine, inspect, text

    from parcels.store.postgis import sqlalchemy_url

    open_store(pg_db, init=True).close()
    eng = create_engine(sqlalchemy_url(pg_db))
    kept = {"evaluation_carry", "results_state", "result_tiles"}
    with eng.begin() as c:
        for t in ("parcel_results", "flags"):
            c.execute(text(f'DROP TRIGGER IF EXISTS results_dirty ON "{t}"'))
        for t in kept:
            c.execute(text(f'DROP TABLE "{t}"'))
        c.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    open_store(pg_db, init=True).close()
    assert kept <= set(inspect(eng).get_table_names())
    with eng.begin() as c:
        n = c.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'results_dirty'")).scalar_one()
        g0 = c.execute(text("SELECT coalesce(max(generation), 0) FROM results_state")).scalar_one()
        c.execute(text("DELETE FROM flags WHERE year = 1900"))  # a statement from outside (no rows)
        g1 = c.execute(text("SELECT max(generation) FROM results_state")).scalar_one()
    from landuse.core.contract import OUTPUT_LAYERS

    assert n == len(OUTPUT_LAYERS) and g1 == g0 + 1
    eng.dispose()


@pytest.mark.postgis
def test_postgis_upgrade_adds_what_the_contract_gained(pg_db):
    """A store made at revision 0001 before a table and a column existed gets both from `landuse init`."""
    from sqlalchemy import create_engine, inspect, text

    from parcels.store.postgis import sqlalchemy_url

    open_store(pg_db, init=True).close()
    eng = create_engine(sqlalchemy_url(pg_db))
    with eng.begin() as c:  # as an older release left it
        c.execute(text("DROP TABLE policies"))
        c.execute(text('ALTER TABLE parcels DROP COLUMN "halted_since"'))
        c.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    open_store(pg_db, init=True).close()
    insp = inspect(eng)
    assert "policies" in insp.get_table_names()
    assert "halted_since" in {c["name"] for c in insp.get_columns("parcels")}
    eng.dispose()
