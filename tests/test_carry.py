"""Earlier years' parts kept between evaluations (landuse.services.carry): a second run on the same
inputs computes only the evaluated year, with the same results as a run from nothing; any change of
the inputs, the ledger, the policy, the evidence or the zones gives another key; a damaged part is
computed again, never trusted."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import pandas as pd
import pytest

import evaluation.pipeline as pipeline
from landuse.core.policy import default_policy
import landuse.services.carry as carry_mod
from landuse.services.carry import StoreCarry, carry_key
from landuse.services.evaluate import evaluate
from landuse.services.imports import run_import
from parcels.sample import write_sample
from parcels.store import open_store

pytestmark = pytest.mark.slow
POLICY = default_policy()


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("carry")
    write_sample(root / "pkg", scale="small", seed=3)
    return root / "pkg"


def count_gradings(monkeypatch) -> list[int]:
    """The years graded in this process from now on (one entry per call of the grading)."""
    calls: list[int] = []
    real = pipeline.grade_enterprises

    def counting(er, **kw):
        calls.append(int(pd.to_numeric(er["year"]).iloc[0]) if len(er) else -1)
        return real(er, **kw)

    monkeypatch.setattr(pipeline, "grade_enterprises", counting)
    return calls


@pytest.fixture
def gradings(monkeypatch):
    """The years graded in a run, all in this process (a year's grading is otherwise done in a
    forked child: tests/test_grading_aside.py)."""
    import landuse.services.evaluate as service

    monkeypatch.setattr(service, "fork_aside", lambda prepared, wanted: None)
    return count_gradings(monkeypatch)


def _same(a, b) -> None:
    assert set(a.layers) == set(b.layers)
    for name in a.layers:
        pd.testing.assert_frame_equal(a.layers[name].reset_index(drop=True), b.layers[name].reset_index(drop=True),
                                      check_exact=True, obj=name)
    assert a.warnings == b.warnings  # nothing lost to the thread reading the parts
    pd.testing.assert_frame_equal(a.problems.reset_index(drop=True), b.problems.reset_index(drop=True))


def test_a_warm_run_reads_its_parts_in_the_background_and_uses_each(store, package, monkeypatch):
    """The parts a warm run needs (evaluation.pipeline.carry_parts) are read from the store on the
    prefetch thread while the year's own parcels are computed; each is read once and used."""
    run_import(package, store, policy=POLICY)
    cold = evaluate(store, years=[2025], policy=POLICY)[2025]
    read, used, parsed = [], [], []
    real_get, real_load, real_parse = type(store).get_carry, StoreCarry.load, carry_mod._parse

    def get_carry(self, key, part):
        read.append((part, threading.current_thread().name))
        return real_get(self, key, part)

    def parse(data):
        parsed.append(threading.current_thread().name)
        return real_parse(data)

    def load(self, name):
        out = real_load(self, name)
        used.append((name, out is not None))
        return out

    monkeypatch.setattr(type(store), "get_carry", get_carry)
    monkeypatch.setattr(StoreCarry, "load", load)
    monkeypatch.setattr(carry_mod, "_parse", parse)
    warm = evaluate(store, years=[2025], policy=POLICY)[2025]
    assert read and all(thread.startswith("carry-prefetch") for _, thread in read), read
    # the Parquet decoding there too (only the conversion to frames in the computing thread)
    assert parsed and all(thread.startswith("carry-prefetch") for thread in parsed), parsed
    # baseline, 2024's population and ranks, the streak rule's grades
    assert sorted(p for p, _ in read) == sorted(n for n, _ in used) and all(ok for _, ok in used)
    assert {"baseline/2020", "population/2024", "ranks/2024", "grades/2024"} <= {p for p, _ in read}
    _same(cold, warm)


def test_a_second_run_computes_only_its_year_and_gives_the_same_results(store, package, gradings):
    run_import(package, store, policy=POLICY)
    cold = evaluate(store, years=[2025], policy=POLICY)[2025]
    assert cold.layers["enterprise_results"]["grade"].notna().any()
    # from nothing, 2025 needs: the streak rule's 2024 grades (2024 graded, its benchmark 2023's
    # population: 2023 graded without history), 2025 graded (its benchmark population: 2024's graded
    # firms, already there), and 2024's ranks (2024 scored: its streak needs 2023's grades: 2023
    # graded, benchmark 2022's population graded without history) — five gradings:
    # 2023 (population), 2024, 2025, 2022 (population), 2023
    assert gradings == [2023, 2024, 2025, 2022, 2023]
    gradings.clear()
    warm = evaluate(store, years=[2025], policy=POLICY)[2025]
    assert gradings == [2025]  # the rest came from the carry
    _same(cold, warm)
    assert warm.layers["zone_results"]["rank_change"].notna().any()  # last year's ranks, carried
    # the baseline year from the carry gives the same 2020 as computed
    gradings.clear()
    base_warm = evaluate(store, years=[2020], policy=POLICY)[2020]
    assert gradings == [2020]
    fresh = evaluate(store, years=[2020], policy=POLICY, fresh=True)[2020]
    _same(fresh, base_warm)


def test_changed_inputs_are_not_served_from_the_carry(package, tmp_path, gradings):
    a = open_store(str(tmp_path / "a.gpkg"), init=True)
    run_import(package, a, policy=POLICY)
    evaluate(a, years=[2025], policy=POLICY)
    # a corrected 2024 figure changes last year's benchmark population, grades and ranks
    changed = tmp_path / "pkg2"
    shutil.copytree(package, changed)
    ey = pd.read_csv(changed / "enterprise_years.csv", dtype=str, keep_default_na=False, encoding="gb18030")
    i = ey.index[(ey["year"] == "2024") & (ey["revenue_wan"] != "")][0]
    ey.loc[i, "revenue_wan"] = str(round(float(ey.loc[i, "revenue_wan"]) * 3 + 1000, 2))
    ey.to_csv(changed / "enterprise_years.csv", index=False, encoding="gb18030")
    run_import(changed, a, policy=POLICY)
    gradings.clear()
    again = evaluate(a, years=[2025], policy=POLICY)[2025]
    assert len(gradings) == 5  # nothing kept for the new inputs
    b = open_store(str(tmp_path / "b.gpkg"), init=True)
    run_import(changed, b, policy=POLICY)
    _same(again, evaluate(b, years=[2025], policy=POLICY)[2025])
    with sqlite3.connect(tmp_path / "a.gpkg.carry") as con:  # only the latest state's parts are kept
        assert con.execute("SELECT count(DISTINCT key) FROM evaluation_carry").fetchone()[0] == 1
        # and the file is compacted after the old parts went: each part's overflow pages follow one
        # another (written into the old parts' freed pages they would lie scattered, and a cold read
        # would seek page by page); dbstat lists a table's pages in b-tree order
        pages = con.execute("SELECT pageno FROM dbstat WHERE name = 'evaluation_carry' AND pagetype = 'overflow' "
                            "ORDER BY path").fetchall()
        jumps = sum(1 for (a,), (b,) in zip(pages, pages[1:]) if b != a + 1)
        assert len(pages) > 100 and jumps <= con.execute("SELECT count(*) FROM evaluation_carry").fetchone()[0]
        assert con.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_a_damaged_part_is_computed_again(package, tmp_path, gradings):
    s = open_store(str(tmp_path / "d.gpkg"), init=True)
    run_import(package, s, policy=POLICY)
    cold = evaluate(s, years=[2025], policy=POLICY)[2025]
    with sqlite3.connect(tmp_path / "d.gpkg.carry") as con:
        n = con.execute("UPDATE evaluation_carry SET data = X'00' WHERE part LIKE 'population/%'").rowcount
    assert n == 3  # 2024, 2023, 2022
    gradings.clear()
    warm = evaluate(s, years=[2025], policy=POLICY)[2025]
    # the populations fail their checksum: 2024's is graded again for 2025's benchmark; 2024's grades
    # and ranks are kept, so 2023's and 2022's populations are not needed
    assert sorted(gradings) == [2024, 2025]
    _same(cold, warm)


def test_the_key_follows_every_input_of_the_parts():
    ledger = pd.DataFrame({"parcel_code": ["P1"], "status": ["待处置"]})
    base = dict(inputs_hash="abc", policy=POLICY, ledger=ledger, built_up=None, zones=None)
    k = carry_key(**base)
    assert carry_key(**base) == k
    other_policy = POLICY.model_copy(update={"allocation": POLICY.allocation.model_copy(update={"method": "merge_tenants"})})
    assert other_policy.hash != POLICY.hash
    for change in (dict(inputs_hash="abd"), dict(ledger=ledger.assign(status="处置中")), dict(ledger=None),
                   dict(built_up=pd.Series({"P1": 0.5})), dict(zones=["G1"]), dict(policy=other_policy)):
        assert carry_key(**(base | change)) != k, change
    assert carry_key(**(base | dict(zones=["G1", "G2"]))) == carry_key(**(base | dict(zones=["G2", "G1"])))
