"""Results record the state of the inputs they were computed from (``inputs_hash``); an evaluation
reads its inputs in one snapshot, warns when an import lands while it runs, and results whose inputs
have changed since are stale — on both backends."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from landuse.core.contract import OUTPUT_LAYERS
from landuse.core.policy import default_policy
from landuse.services import results
from landuse.services.evaluate import evaluate
from parcels.importer import import_package
from parcels.store.base import inputs_hash_of
from tests import pkgkit
from tests.test_web_common import web_site  # noqa: F401


def test_inputs_hash_is_the_content_of_the_inputs(store, tmp_path):
    empty = store.inputs_hash()
    pkg = pkgkit.write_package(tmp_path / "pkg")
    import_package(pkg, store)
    h = store.inputs_hash()
    assert h != empty
    assert h == inputs_hash_of(store.read_inputs())  # recorded by the import = computed from the rows
    import_package(pkg, store)  # the same package again changes nothing
    assert store.inputs_hash() == h
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0), store)
    h2 = store.inputs_hash()
    assert h2 != h and h2 == inputs_hash_of(store.read_inputs())
    import_package(pkgkit.revenue_correction(tmp_path / "back", 24000.0), store)  # 20000 + 1000·(2024 − 2020): as before
    assert store.inputs_hash() == h


def test_an_evaluation_snapshot_decodes_only_the_polygons_it_asks_for(store, tmp_path):
    """``read_inputs_snapshot(geometry={"zones"})`` (what an evaluation reads): the zones with their
    polygons, the parcels and the other spatial layers as plain frames without them, every attribute
    as in the full read, and the same inputs hash. A layer whose recorded state is gone (written outside
    the product) is hashed from its rows, so its polygons are read whatever was asked."""
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    full, h = store.read_inputs_snapshot()
    part, h_part = store.read_inputs_snapshot(geometry={"zones"})
    assert h_part == h == store.inputs_hash()
    assert "geometry" in part["zones"].columns and part["zones"].geometry.notna().all()
    assert len(part["parcels"]) == len(full["parcels"]) > 0
    assert "geometry" not in part["parcels"].columns and full["parcels"].geometry.notna().all()
    for name, frame in full.items():
        pd.testing.assert_frame_equal(pd.DataFrame(part[name]).drop(columns="geometry", errors="ignore"),
                                      pd.DataFrame(frame).drop(columns="geometry", errors="ignore"), check_like=False)
    assert store.sys_delete("inputs_state", {"layer": "parcels"}) == 1
    again, h_again = store.read_inputs_snapshot(geometry={"zones"})
    assert "geometry" in again["parcels"].columns and again["parcels"].geometry.notna().all()
    assert h_again == h  # the rows are unchanged: hashed from them, polygons included, the same state


def test_an_import_reads_only_the_stored_rows_it_can_match(store, tmp_path, monkeypatch):
    """With the layer's state recorded, an import reads the stored rows whose first key its package
    holds (here E1's yearly rows, not E2's and E3's) and updates the state from them: the recorded
    state still equals the hash of the whole layer's rows (a national store: one province's import
    does not read the other provinces)."""
    import parcels.store.gpkg as gpkg_mod
    from parcels.store.postgis import PostGISStore

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    ey = store.read("enterprise_years", geometry=False)
    n_e1 = int((ey["uscc"] == pkgkit.E1).sum())
    assert 0 < n_e1 < len(ey)
    seen: list[tuple[str, int]] = []
    real_con, real_conn = gpkg_mod._read_con, PostGISStore._read_conn

    def spy_con(con, layer, **kw):
        out = real_con(con, layer, **kw)
        if kw.get("with_fid"):
            seen.append((layer.name, len(out)))
        return out

    def spy_conn(self, conn, name, **kw):
        out = real_conn(self, conn, name, **kw)
        if kw.get("with_id"):
            seen.append((name, len(out)))
        return out

    monkeypatch.setattr(gpkg_mod, "_read_con", spy_con)
    monkeypatch.setattr(PostGISStore, "_read_conn", spy_conn)
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0), store)
    assert seen == [("enterprise_years", n_e1)]
    monkeypatch.undo()
    frames = store.read_inputs()
    assert store.inputs_hash() == inputs_hash_of(frames)
    from landuse.core.contract import LAYERS
    from parcels.store.base import layer_hash

    state = {r["layer"]: r["layer_hash"] for r in store.sys_query("inputs_state")}
    assert state["enterprise_years"] == layer_hash(frames["enterprise_years"], LAYERS["enterprise_years"])
    assert state["enterprise_years"].startswith(f"{len(ey)}:")  # one row replaced: the count is unchanged


def test_state_after_equals_the_hash_of_the_whole_layer():
    """Removing and adding rows updates (count, Σ row hashes mod 2⁶⁴) exactly as hashing the result."""
    from landuse.core.contract import LAYERS
    from parcels.store.base import layer_hash, state_after
    from parcels.schema import coerce

    lay = LAYERS["enterprise_years"]
    full = coerce(pkgkit.enterprise_years_df(), lay)
    before = layer_hash(full, lay)
    gone = full.iloc[[0, 2]]
    new = full.iloc[[0]].assign(revenue_wan=1.0)
    after = pd.concat([full.drop(index=[0, 2]), new], ignore_index=True)
    assert state_after(before, gone, new, lay) == layer_hash(after, lay)
    assert state_after(before, full, full.iloc[:0], lay) == "0:0000000000000000"
    with pytest.raises(ValueError):
        state_after("1:0000000000000001", full, full.iloc[:0], lay)  # more rows removed than recorded


def test_results_carry_the_inputs_hash_and_go_stale_after_an_import(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    out = evaluate(store, years=[2024], policy=default_policy())
    h = store.inputs_hash()
    for layer in OUTPUT_LAYERS:
        if layer.name == "zone_survey_results":
            continue
        got = store.read(layer.name, year=2024, columns=["inputs_hash"], geometry=False)
        assert set(got["inputs_hash"]) <= {h}, layer.name
    assert len(store.read("zone_results", year=2024)) == 2
    assert not any("stale" in w for w in out[2024].warnings)
    assert results.is_stale(store, 2024) is False
    assert results.is_stale(store, 2023) is False  # no results: nothing to be stale
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0), store)
    assert results.is_stale(store, 2024) is True
    evaluate(store, years=[2024], policy=default_policy())
    assert results.is_stale(store, 2024) is False


def test_evaluate_racing_an_import_warns_and_marks_results_stale(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    before = store.inputs_hash()
    fix = pkgkit.revenue_correction(tmp_path / "fix", 99999.0)

    def progress(msg: str) -> None:  # the import lands after the inputs were read, before the results are stored
        if msg.startswith(("评价 ", "evaluating ")):
            import_package(fix, store)

    out = evaluate(store, years=[2024], policy=default_policy(), progress=progress)
    assert any("stale" in w or "过期" in w for w in out[2024].warnings), out[2024].warnings
    assert results.results_inputs_hash(store, 2024) == before != store.inputs_hash()
    assert results.is_stale(store, 2024) is True


def test_evaluation_reads_its_inputs_in_one_snapshot(store, tmp_path, monkeypatch):
    """An import that commits while the inputs are being read is not seen half-way."""
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    before = store.inputs_hash()
    fix = pkgkit.revenue_correction(tmp_path / "fix", 99999.0)
    th = threading.Thread(target=lambda: import_package(fix, store))
    if store.kind == "gpkg":
        import parcels.store.gpkg as mod

        real, attr = mod._read_con, "_read_con"
    else:
        real, attr = type(store)._read_conn, "_read_conn"
        mod = type(store)
    calls = []

    def reader(*a, **k):
        calls.append(1)
        if len(calls) == 1:  # after the first layer, an import starts (PostGIS: and commits)
            th.start()
            if store.kind == "postgis":
                th.join(timeout=60)
            else:
                th.join(timeout=1.0)  # it cannot commit while the snapshot is open: it waits
                assert th.is_alive()
        return real(*a, **k)

    monkeypatch.setattr(mod, attr, reader)
    frames, h = store.read_inputs_snapshot()
    monkeypatch.setattr(mod, attr, real)
    th.join(timeout=60)
    assert h == before
    ey = frames["enterprise_years"]
    assert ey.loc[(ey.uscc == pkgkit.E1) & (ey.year == 2024), "revenue_wan"].item() == 24000.0
    assert store.inputs_hash() != before  # the import landed afterwards


@pytest.mark.postgis
def test_postgis_writes_outside_landuse_forget_the_inputs_state(pg_db, tmp_path):
    from parcels.store import open_store
    from parcels.store.postgis import sqlalchemy_url

    s = open_store(pg_db, init=True)
    import_package(pkgkit.write_package(tmp_path / "pkg"), s)
    h = s.inputs_hash()
    eng = create_engine(sqlalchemy_url(pg_db))
    with eng.begin() as c:
        c.execute(text("UPDATE enterprise_years SET revenue_wan = 1 WHERE year = 2024"))
        assert c.execute(text("SELECT count(*) FROM inputs_state WHERE layer = 'enterprise_years'")).scalar() == 0
    h2 = s.inputs_hash()  # recomputed from the rows
    assert h2 != h and h2 == inputs_hash_of(s.read_inputs())
    eng.dispose()
    s.close()


def test_gpkg_writes_outside_landuse_forget_the_inputs_state(tmp_path):
    import sqlite3

    from parcels.store import open_store

    db = tmp_path / "w.gpkg"
    s = open_store(str(db), init=True)
    import_package(pkgkit.write_package(tmp_path / "pkg"), s)
    h = s.inputs_hash()
    with sqlite3.connect(db) as con:  # as QGIS would edit the attribute table
        con.execute("UPDATE enterprise_years SET revenue_wan = 1 WHERE year = 2024")
    h2 = s.inputs_hash()
    assert h2 != h and h2 == inputs_hash_of(s.read_inputs())


def test_stale_results_are_said_on_the_page_in_the_report_and_on_the_command_line(web_site, tmp_path):
    """After an import the year's results predate the inputs: the web pages carry a banner, the report a
    note and the command line a warning, until the year is evaluated again."""
    from typer.testing import CliRunner

    from landuse.cli import app as cli
    from landuse.core.labels import STALE_RESULTS
    from landuse.reports.data import collect_report_data
    from parcels.store import open_store
    from tests.test_web_common import copy_site, login, make_client

    db = str(copy_site(web_site, tmp_path))
    app, c = make_client(db)
    login(c, "eval1")
    page = c.get("/dashboard", params={"year": 2025})
    assert page.status_code == 200 and 'id="stale-banner"' not in page.text
    store = app.state.store
    er = store.read("enterprise_years", year=2025, geometry=False).head(1)
    fix = tmp_path / "fix"
    fix.mkdir()
    pd.DataFrame({"uscc": er["uscc"], "year": [2025], "revenue_wan": [float(er["revenue_wan"].iloc[0]) + 1.0],
                  "tax_wan": er["tax_wan"]}).to_csv(fix / "enterprise_years.csv", index=False)
    import_package(fix, store)
    page = c.get("/dashboard", params={"year": 2025})
    assert 'id="stale-banner"' in page.text and STALE_RESULTS[0] in page.text
    assert 'id="stale-banner"' in c.get("/targets", params={"year": 2025}).text
    # the stamp is the state of the whole store: every year evaluated before the import is marked
    assert 'id="stale-banner"' in c.get("/dashboard", params={"year": 2024}).text
    app.state.store.close()

    s = open_store(db)
    data = collect_report_data(s, year=2025, policy=default_policy())
    assert any(STALE_RESULTS[0] in n for n in data.notes)
    s.close()
    r = CliRunner().invoke(cli, ["targets", "--year", "2025", "--out", str(tmp_path / "t.csv"), "--db", db])
    assert r.exit_code == 0, r.output
    assert STALE_RESULTS[1][:40] in r.output or STALE_RESULTS[0][:20] in r.output
