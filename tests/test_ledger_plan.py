"""A path to the +15 % target (evaluation.ledger.path_plan): the fewest open targets whose estimated
gains bring a unit onto its path, by hand; the "not enough" case; optimality against brute force;
and the plan turned into ledger entries in one step."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.ledger import path_plan


def _targets():
    return pd.DataFrame({
        "parcel_code": ["A", "B", "C", "D", "E"],
        "gain_wan": [3000.0, None, 2500.0, 1000.0, 0.0],
        "gain_mu": [None, 10.0, 2.0, 5.0, None],
        "developed": [True, True, True, False, True],
        "revenue_wan": [None, 200.0, None, None, None],
        "area_mu": [None, 10.0, None, None, None],
    })


def test_optimal_set_by_hand():
    """400 万元/亩 on 100 mu (R = 40 000 万元), path 460: need 460·100 − 40 000 = 6 000.
    Each parcel's better remedy (fixed in place: + gain_wan; freed: 460 × freed developed mu − the
    output leaving with it): A raise 3 000; B free 460·10 − 200 = 4 400; C raise 2 500 (free: 460·2
    = 920); D raise 1 000 (its 5 mu are not developed land: freeing them changes nothing); E 0
    (dropped). No single target reaches 6 000 (the largest is 4 400): the fewest is two, B + A = 7 400.
    After B: (40 000 − 200) / 90 = 442.2; after A: 42 800 / 90 = 475.6 ≥ 460."""
    chosen, s = path_plan(_targets(), revenue_per_mu=400.0, developed_mu=100.0, path_value=460.0)
    assert list(chosen["parcel_code"]) == ["B", "A"] and list(chosen["rank"]) == [1, 2]
    assert list(chosen["remedy"]) == ["free", "raise"]
    assert list(chosen["contribution"]) == pytest.approx([4400.0, 3000.0])
    assert s["need_wan"] == pytest.approx(6000.0) and s["enough"] and s["chosen"] == 2 and s["candidates"] == 4
    assert list(chosen["revenue_per_mu_after"]) == pytest.approx([39800 / 90, 42800 / 90])


def test_not_enough_is_said():
    """Path 600: need 60 000 − 40 000 = 20 000; the four contributions: B 6 000 − 200 = 5 800, A 3 000,
    C 2 500 (free 1 200), D 1 000: 12 300 < 20 000. With everything done:
    (40 000 − 200 + 3 000 + 2 500 + 1 000) / 90 = 514.4."""
    chosen, s = path_plan(_targets(), revenue_per_mu=400.0, developed_mu=100.0, path_value=600.0)
    assert not s["enough"] and s["chosen"] == 4 and list(chosen["parcel_code"]) == ["B", "A", "C", "D"]
    assert s["reachable_revenue_per_mu"] == pytest.approx(46300 / 90)
    # already on the path: nothing to choose
    chosen, s = path_plan(_targets(), revenue_per_mu=400.0, developed_mu=100.0, path_value=390.0)
    assert s["on_path"] and s["chosen"] == 0 and chosen.empty


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 20), st.booleans()), min_size=1, max_size=7),
       st.floats(1, 300))
def test_no_smaller_set_reaches_the_path(items, path):
    """Brute force over every subset and every choice of remedy: no set with fewer targets than the
    plan reaches the path, and when the plan says "not enough" no set does."""
    t = pd.DataFrame({"parcel_code": [f"P{i}" for i in range(len(items))], "gain_wan": [a for a, _b, _c in items],
                      "gain_mu": [b for _a, b, _c in items], "developed": [c for _a, _b, c in items]})
    v, d = 100.0, 200.0
    chosen, s = path_plan(t, revenue_per_mu=v, developed_mu=d, path_value=path)

    def reaches(rows) -> bool:
        for remedies in itertools.product(("raise", "free"), repeat=len(rows)):
            w, m = v * d, d
            for i, how in zip(rows, remedies):
                if how == "raise":
                    w += items[i][0]
                elif items[i][2]:
                    m -= items[i][1]
            if m > 0 and w / m >= path - 1e-9:
                return True
        return False

    if s["on_path"]:
        assert v >= path - 1e-9
        return
    best = next((k for k in range(1, len(items) + 1)
                 if any(reaches(c) for c in itertools.combinations(range(len(items)), k))), None)
    if s["enough"]:
        assert best is not None and s["chosen"] <= best
        last = chosen["revenue_per_mu_after"].iloc[-1]
        assert last >= path - 1e-6
    else:
        assert best is None


def test_plan_on_a_store_and_turned_into_entries(store, tmp_path):
    import datetime as dt

    from landuse.core.contract import LAYERS
    from landuse.services import ledger
    from parcels.importer import import_package
    from parcels.schema import coerce
    from tests import pkgkit

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)

    def lay(name, rows):
        return coerce(pd.DataFrame(rows), LAYERS[name])

    store.replace_results({
        "zone_results": lay("zone_results", [{"zone_code": "Z1", "year": 2025, "revenue_per_mu": 400.0,
                                              "developed_mu": 100.0, "expected_revenue_per_mu": 460.0}]),
        "parcel_results": lay("parcel_results", [{"parcel_code": c, "zone_code": "Z1", "year": 2025, "developed": True}
                                                 for c in ("P1", "P2")]),
        "flags": lay("flags", [
            {"parcel_code": "P1", "zone_code": "Z1", "year": 2025, "rule": "low_far", "gain_mu": 10.0},
            {"parcel_code": "P2", "zone_code": "Z1", "year": 2025, "rule": "low_tax", "gain_wan": 3000.0},
            {"parcel_code": "P2", "zone_code": "Z1", "year": 2025, "rule": "grade_d_twice", "gain_wan": 1000.0}]),
    }, year=2025)
    plan = ledger.plan_to_target(store, year=2025, zone="Z1")
    assert list(plan.chosen["parcel_code"]) == ["P1", "P2"] and plan.summary["enough"]
    assert list(plan.chosen["contribution"]) == pytest.approx([4600.0, 3000.0])
    assert "处置下列 2 宗" in plan.message()
    # one step: an entry per flag of the chosen parcels
    keys = ledger.open_plan(store, plan, actor="mgr", today=dt.date(2025, 12, 1))
    assert sorted(map(str, keys)) == ["P1/low_far", "P2/grade_d_twice", "P2/low_tax"]
    assert ledger.get_entry(store, ledger.Key("P1", "low_far"))["planned_mu"] == 10.0
    # P1 disposed of (closed): no longer a target; P2 alone (3 000 < 6 000) is not enough, and it is said
    k = ledger.Key("P1", "low_far")
    ledger.update_entry(store, k, {"status": "处置中"}, expected_revision=1, actor="mgr", today=dt.date(2025, 12, 1))
    ledger.update_entry(store, k, {"status": "已完成"}, expected_revision=2, actor="mgr", today=dt.date(2025, 12, 1))
    plan = ledger.plan_to_target(store, year=2025, zone="Z1")
    assert list(plan.chosen["parcel_code"]) == ["P2"] and not plan.summary["enough"]
    assert bool(plan.chosen["in_ledger"].iloc[0])
    assert "不足以回到路径上" in plan.message()


def test_progress_with_the_gain_realised(store, tmp_path):
    """Z1: P1 (10 mu) low FAR, completed 2024-05-01 (10 mu disposed): 亩均营业收入 2023 (the year before)
    1 000 / 10 = 100, 2025: 3 000 / 10 = 300, 10 mu at work; P2 low tax, open, 4 mu planned, deadline
    2025-06-30: overdue on 2025-12-31. Targets of 2025: P1 and P2."""
    import datetime as dt

    from landuse.core.contract import LAYERS
    from landuse.services import ledger
    from parcels.importer import import_package
    from parcels.schema import coerce
    from tests import pkgkit

    import_package(pkgkit.write_package(tmp_path / "pkg"), store)

    def lay(name, rows):
        return coerce(pd.DataFrame(rows), LAYERS[name])

    for y, rev in ((2023, 1000.0), (2025, 3000.0)):
        store.replace_results({
            "zone_results": lay("zone_results", [{"zone_code": "Z1", "year": y}]),
            "parcel_results": lay("parcel_results", [{"parcel_code": "P1", "zone_code": "Z1", "year": y, "area_mu": 10.0,
                                                      "revenue_wan": rev, "developed": True}]),
            "flags": lay("flags", [{"parcel_code": c, "zone_code": "Z1", "year": y, "rule": r}
                                   for c, r in (("P1", "low_far"), ("P2", "low_tax"))]),
        }, year=y)
    day = dt.date(2025, 12, 31)
    ledger.open_entries(store, [{"parcel_code": "P1", "rule": "low_far", "opened": "2023-03-01", "status": "处置中"},
                                {"parcel_code": "P2", "rule": "low_tax", "opened": "2024-01-01", "planned_mu": 4.0,
                                 "deadline": "2025-06-30"}], actor="m", today=day)
    ledger.update_entry(store, ledger.Key("P1", "low_far"), {"status": "已完成", "closed": "2024-05-01",
                                                             "disposed_mu": 10.0}, expected_revision=1, actor="m", today=day)
    p = ledger.progress(store, year=2025, as_of=day).set_index("zone_code")
    z = p.loc["Z1"]
    assert (z["targets"], z["entries"], z["mu_in_disposal"], z["mu_disposed"], z["overdue"]) == (2, 2, 4.0, 10.0, 1)
    assert (z["parcels_completed"], z["revenue_per_mu_before"], z["revenue_per_mu_after"], z["mu_back_to_work"]) == (
        1, 100.0, 300.0, 10.0)
    assert p.loc["PROVINCE", "targets"] == 2 and p.loc["PROVINCE", "revenue_per_mu_after"] == 300.0
