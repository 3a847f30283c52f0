"""A year's results do not depend on what was evaluated before (docs/domain.md §11), on both
backends; a year without enterprise figures is refused and nothing is stored."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from landuse.core.contract import OUTPUT_LAYERS
from landuse.core.policy import default_policy
from landuse.services.evaluate import evaluate
from landuse.services.imports import run_import
from parcels.sample import write_sample
from parcels.store import open_store

pytestmark = pytest.mark.slow
POLICY = default_policy()
YEARS = [2020, 2021, 2022, 2023, 2024, 2025]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("order")
    write_sample(root / "pkg", scale="small", seed=3)
    return root / "pkg"


def _fresh(store_url_or_path, package):
    s = open_store(store_url_or_path, init=True)
    run_import(package, s, policy=POLICY)
    return s


def _year(store, year: int) -> dict[str, pd.DataFrame]:
    out = {}
    for layer in OUTPUT_LAYERS:
        df = store.read(layer.name, year=year)
        df = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
        out[layer.name] = df.sort_values(list(layer.key)).reset_index(drop=True)
    return out


def _same(a: dict, b: dict) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, atol=1e-9, obj=name)


def _check_order(make_store, package):
    alone = make_store("alone")
    evaluate(alone, years=[2025], policy=POLICY)
    forward = make_store("forward")
    evaluate(forward, years=YEARS, policy=POLICY)
    reverse = make_store("reverse")
    for y in reversed(YEARS):
        evaluate(reverse, years=[y], policy=POLICY)
    a, f, r = _year(alone, 2025), _year(forward, 2025), _year(reverse, 2025)
    assert len(a["flags"]) and (a["flags"]["rule"] == "grade_d_twice").any()  # the streak needs last year's grades
    assert a["zone_results"]["rank_change"].notna().any()  # last year's ranks, from the inputs
    _same(a, f)
    _same(a, r)
    # and an earlier year is the same whether evaluated alone or among the others
    only_2023 = make_store("only2023")
    evaluate(only_2023, years=[2023], policy=POLICY)
    _same(_year(only_2023, 2023), _year(forward, 2023))


def test_order_independence_gpkg(package, tmp_path):
    _check_order(lambda name: _fresh(str(tmp_path / f"{name}.gpkg"), package), package)


@pytest.mark.postgis
def test_order_independence_postgis(package, postgis_url, pg_template):
    import uuid

    from sqlalchemy import create_engine, text

    from parcels.store.postgis import sqlalchemy_url

    admin = create_engine(sqlalchemy_url(postgis_url), isolation_level="AUTOCOMMIT")
    made = []

    def make(_name):
        db = "o_" + uuid.uuid4().hex[:10]
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{db}" TEMPLATE "{pg_template}"'))
        made.append(db)
        return _fresh(f"{postgis_url.rsplit('/', 1)[0]}/{db}", package)

    try:
        _check_order(make, package)
    finally:
        with admin.connect() as c:
            for db in made:
                c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"))
                c.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


def test_a_year_without_enterprise_figures_is_refused_and_nothing_is_stored(package, tmp_path):
    from landuse.cli import app

    db = tmp_path / "w.gpkg"
    store = _fresh(str(db), package)
    before = store.snapshot()
    r = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["evaluate", "--year", "2030", "--db", str(db)])
    assert r.exit_code == 1
    assert "2030 年没有企业年度数据" in r.output and "2020–2025" in r.output and "未计算、未保存任何结果" in r.output
    assert store.snapshot() == before
    assert store.result_years() == []


def test_a_failed_write_stops_the_run_before_the_next_year_is_stored(package, tmp_path, monkeypatch):
    """Each year is stored before the next one is computed: a write that fails (here 2024's) is
    raised by the run, and no later year is stored after it."""
    from landuse.core.errors import StoreError
    from landuse.services import versions

    s = _fresh(str(tmp_path / "w.gpkg"), package)
    real = type(s).replace_results

    def failing(self, frames, *, year, **kw):
        if int(year) == 2024:
            raise StoreError("disk full (test)")
        return real(self, frames, year=year, **kw)

    monkeypatch.setattr(type(s), "replace_results", failing)
    with pytest.raises(StoreError, match="disk full"):
        evaluate(s, years=[2023, 2024, 2025], policy=POLICY)
    assert {y for y in (2023, 2024, 2025) if len(s.read("zone_results", year=y))} == {2023}
    assert versions.list_versions(s, 2025) == []
