"""A year's results layer whose rows an evaluation (or a publication) would write again unchanged is
left as it is (``results_digests``, parcels.store.base): the digest of each layer's rows as the
product last wrote them is kept with them and is valid only while nothing else wrote the results
tables. So on both backends: a re-evaluation on the same inputs writes no results row and keeps
no second copy of the version; an edit from outside the product (QGIS, SQL) or a partition's rows
make the next evaluation write the layer whole; and whatever was skipped or written, the results
layers hold exactly the shown version's rows."""

from __future__ import annotations

import pandas as pd
import pytest

from landuse.core.contract import LAYERS, OUTPUT_LAYERS
from landuse.core.policy import default_policy
from landuse.services import results, versions
from landuse.services.evaluate import evaluate
from parcels.importer import import_package
from tests import pkgkit
from tests.test_result_versions import evaluated  # noqa: F401 - the store evaluated for 2020 and Y
from tests.test_web_dashboard_cache import outside_edit

P = default_policy()
Y = 2024


def _layers_hold_the_shown_version(store) -> None:
    """Every results layer's rows of ``Y`` are the shown version's, value for value (order aside)."""
    shown = results.shown_version(store, Y)
    for name, want in versions.frames(store, shown["version_id"]).items():
        layer = LAYERS[name]
        got = store.read(name, year=Y, geometry=False)
        key = [k for k in layer.key if k in want.columns]
        a = pd.DataFrame(want.drop(columns=["geometry"], errors="ignore")).sort_values(key).reset_index(drop=True)
        b = pd.DataFrame(got).sort_values(key).reset_index(drop=True)[list(a.columns)]
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False, obj=name)


def _bodies(store, vid: str) -> dict[str, str]:
    return {r["layer"]: r["body"] for r in store.sys_query("result_version_layers", {"version_id": vid})}


def test_a_reevaluation_on_the_same_inputs_writes_no_results_row(evaluated, monkeypatch):
    store = evaluated
    before = store.snapshot()
    g = store.results_generation()
    kept = store.result_digests(Y)
    assert set(kept) == {layer.name for layer in OUTPUT_LAYERS if layer.name in _bodies(store, f"{Y}-v1")}
    assert all(v == f"{Y}-v1" for _d, v in kept.values())
    encoded: list[int] = []
    real_encode = versions._encode
    monkeypatch.setattr(versions, "_encode", lambda df: encoded.append(len(df)) or real_encode(df))
    out = evaluate(store, years=[Y], policy=P, actor="ev2")
    monkeypatch.undo()
    assert out[Y].version == f"{Y}-v2"
    assert encoded == []  # every layer recognised by its content digest: no body encoded
    # no results table written (the generation moves with every write), the rows as they were
    assert store.results_generation() == g
    assert store.snapshot() == before
    # v2 refers to v1's bodies instead of a second copy, and reads back exactly as v1
    v2 = _bodies(store, f"{Y}-v2")
    assert v2 and all(b == f"same:{Y}-v1" for b in v2.values())
    one, two = versions.frames(store, f"{Y}-v1"), versions.frames(store, f"{Y}-v2")
    assert sorted(one) == sorted(two)
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name], check_exact=True, obj=name)
    # publishing v2 writes nothing either (its rows are those shown), nor decodes its bodies; the
    # layers hold v2, published
    decoded: list[str] = []
    real = versions._decode
    monkeypatch.setattr(versions, "_decode", lambda name, body: decoded.append(name) or real(name, body))
    versions.publish(store, year=Y, version="v2", note="公示", actor="ev1", policy=P)
    monkeypatch.undo()
    assert store.results_generation() == g
    assert decoded == []
    assert results.shown_version(store, Y)["version_id"] == f"{Y}-v2"
    _layers_hold_the_shown_version(store)


def test_an_edit_outside_the_product_is_written_over_by_the_next_evaluation(evaluated):
    store = evaluated
    pr = store.read("parcel_results", year=Y, geometry=False)
    code = sorted(pr["parcel_code"])[0]
    outside_edit(store, f"UPDATE parcel_results SET revenue_per_mu = 123.4 WHERE parcel_code = '{code}' AND year = {Y}")
    edited = store.read("parcel_results", year=Y, where={"parcel_code": code}, geometry=False)
    assert edited["revenue_per_mu"].tolist() == [123.4]
    g = store.results_generation()
    evaluate(store, years=[Y], policy=P, actor="ev1")
    assert store.results_generation() > g
    back = store.read("parcel_results", year=Y, where={"parcel_code": code}, geometry=False)
    assert back["revenue_per_mu"].tolist() != [123.4]
    _layers_hold_the_shown_version(store)
    # and the evaluation after that one finds the layers as it wrote them: nothing written
    g = store.results_generation()
    evaluate(store, years=[Y], policy=P, actor="ev1")
    assert store.results_generation() == g


def test_a_corrected_input_rewrites_the_layers_it_changes(evaluated, tmp_path):
    store = evaluated
    v1 = versions.frames(store, f"{Y}-v1")
    # E1 (holder of P1 in zone Z1): 2024 revenue 24 000 → 99 999 万元
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), store)
    g = store.results_generation()
    evaluate(store, years=[Y], policy=P, actor="ev1")
    assert store.results_generation() > g
    v2 = _bodies(store, f"{Y}-v2")
    # every row carries the new inputs hash: every layer differs from v1 and is stored whole
    assert not any(b.startswith("same:") for b in v2.values())
    assert versions.frames(store, f"{Y}-v2")["zone_results"].set_index("zone_code")["revenue_per_mu"]["Z1"] > \
        v1["zone_results"].set_index("zone_code")["revenue_per_mu"]["Z1"]
    _layers_hold_the_shown_version(store)


def test_publishing_another_version_writes_what_differs(evaluated, tmp_path):
    """v1 shown, v2 (a correction) published: the layers are written from v2's bodies and hold them."""
    store = evaluated
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), store)
    versions.publish(store, year=Y, version="v1", note="公示", actor="ev1", policy=P)
    evaluate(store, years=[Y], policy=P, actor="ev1")  # v2, a draft under the published v1
    _layers_hold_the_shown_version(store)
    g = store.results_generation()
    versions.publish(store, year=Y, version="v2", note="营收更正", actor="ev1", policy=P)
    assert store.results_generation() > g
    assert results.shown_version(store, Y)["version_id"] == f"{Y}-v2"
    _layers_hold_the_shown_version(store)


def test_a_partitions_rows_make_the_next_evaluation_write_the_layer(evaluated):
    store = evaluated
    zr = store.read("zone_results", year=Y)
    g = store.results_generation()
    # a partition of a distributed run writes Z1's row (here: the same figures, 1 added to one)
    z1 = zr[zr["zone_code"] == "Z1"].copy()
    z1["revenue_per_mu"] = z1["revenue_per_mu"] + 1
    store.replace_results({"zone_results": z1}, year=Y, zones=["Z1"])
    assert store.results_generation() > g
    assert "zone_results" not in store.result_digests(Y)  # that layer's digest no longer vouches for it
    assert set(store.result_digests(Y)) == set(_bodies(store, f"{Y}-v1")) - {"zone_results"}
    g = store.results_generation()
    evaluate(store, years=[Y], policy=P, actor="ev1")
    assert store.results_generation() > g
    _layers_hold_the_shown_version(store)
    assert _bodies(store, f"{Y}-v2")["zone_results"].startswith("parquet:")  # stored whole, not shared


@pytest.mark.postgis
def test_postgis_a_write_landing_after_the_digests_were_read_is_written_over(pg_db, tmp_path, monkeypatch):
    """PostgreSQL: a writer reads the year's digests without a lock and takes the results generation's
    row lock last (as partitions writing at once do). An outside edit committed in between — here
    while the writer replaces ``zone_results`` — moves the generation, and the writer then writes the
    layer it had found unchanged after all: the edit does not survive under a digest that vouches
    for other rows."""
    from parcels.store import open_store
    from parcels.store.postgis import PostGISStore

    store = open_store(pg_db, init=True)
    try:
        import_package(pkgkit.write_package(tmp_path / "pkg"), store)
        evaluate(store, years=[2020, Y], policy=P, actor="ev1")
        v1 = versions.frames(store, f"{Y}-v1")
        kept = store.result_digests(Y)
        zr = v1["zone_results"].assign(revenue_per_mu=v1["zone_results"]["revenue_per_mu"] + 1)
        frames = {"zone_results": zr, "parcel_results": v1["parcel_results"]}
        digests = {"zone_results": ("another digest", None), "parcel_results": kept["parcel_results"]}
        orig = PostGISStore._replace_year

        def edit_meanwhile(self, conn, name, frame, year, zones):
            if name == "zone_results":
                outside_edit(store, f"UPDATE parcel_results SET revenue_per_mu = 123.4 WHERE year = {Y}")
            return orig(self, conn, name, frame, year, zones)

        monkeypatch.setattr(PostGISStore, "_replace_year", edit_meanwhile)
        store.replace_results(frames, year=Y, digests=digests)
        monkeypatch.undo()
        pr = store.read("parcel_results", year=Y, geometry=False)
        assert not (pr["revenue_per_mu"] == 123.4).any()
        key = ["parcel_code"]
        want = v1["parcel_results"].sort_values(key).reset_index(drop=True)
        got = pd.DataFrame(pr).sort_values(key).reset_index(drop=True)[list(want.columns)]
        pd.testing.assert_frame_equal(want, got, check_exact=True, check_dtype=False)
        # both layers' digests are valid again: the same frames a second time write nothing
        g = store.results_generation()
        store.replace_results(frames, year=Y, digests={"zone_results": ("another digest", None),
                                                       "parcel_results": kept["parcel_results"]})
        assert store.results_generation() == g
    finally:
        store.close()


def test_the_content_digest_follows_every_value_and_survives_a_version_body(evaluated):
    """versions.content_key: any changed value, missing value, dtype, column or row order gives
    another digest; text is keyed with each value's length (no two splits of the same characters
    agree); a layer decoded from its version body has the digest of the rows it was encoded from."""
    import numpy as np
    import shapely

    key = versions.content_key
    base = pd.DataFrame({"a": ["x", None, "yz"], "n": pd.array([1, None, 3], dtype="Int64"),
                         "f": [0.5, np.nan, 2.0], "b": pd.array([True, None, False], dtype="boolean"),
                         "d": pd.to_datetime(["2024-01-01", None, "2025-06-30"]),
                         "geometry": [shapely.Point(1, 2), None, shapely.Point(3, 4)]})
    k = key(base)
    assert k is not None and k.startswith("c:") and key(base.copy()) == k
    variants = {
        "text": base.assign(a=["x", None, "yy"]),
        "text missing": base.assign(a=["x", "", "yz"]),
        "text split": base.assign(a=["xy", None, "z"]),
        "int": base.assign(n=pd.array([1, None, 4], dtype="Int64")),
        "int missing is not 0": base.assign(n=pd.array([1, 0, 3], dtype="Int64")),
        "float": base.assign(f=[0.5, np.nan, 2.0000000000000004]),
        "bool missing": base.assign(b=pd.array([True, False, False], dtype="boolean")),
        "date": base.assign(d=pd.to_datetime(["2024-01-02", None, "2025-06-30"])),
        "geometry": base.assign(geometry=[shapely.Point(1, 2), None, shapely.Point(3, 5)]),
        "dtype": base.assign(f=base["f"].astype("float32")),
        "column name": base.rename(columns={"f": "g"}),
        "column order": base[["n", "a", "f", "b", "d", "geometry"]],
        "row order": base.iloc[[2, 1, 0]].reset_index(drop=True),
        "rows": base.iloc[:2],
    }
    for what, df in variants.items():
        assert key(df) != k, what
    assert key(pd.DataFrame({"o": [1, "x"]})) is None  # mixed objects: the caller digests the body
    # every stored layer of a recorded version: decoded from its body, the same digest as recorded
    store = evaluated
    kept = store.result_digests(Y)
    for name, frame in versions.frames(store, f"{Y}-v1").items():
        assert versions.layer_digest(name, frame) == kept[name][0], name


def test_an_evaluations_layers_are_digested_as_they_come(evaluated):
    """The layers an evaluation stores are in the contract's columns and dtypes (inputs hash stamped
    as text too), so versions.record digests them without coercing them again — the same digest
    as of their coerced rows (versions.layer_digest, what publishing compares)."""
    from landuse.core.dtypes import conforms

    out = evaluate(evaluated, years=[Y], policy=P, actor="ev3")[Y]
    for name, frame in out.layers.items():
        if name not in LAYERS or name not in {layer.name for layer in OUTPUT_LAYERS}:
            continue
        assert conforms(frame, LAYERS[name]), name
        assert versions.content_key(frame) == versions.layer_digest(name, frame), name
    bad = out.layers["flags"].assign(year=out.layers["flags"]["year"].astype("float64"))
    assert not conforms(bad, LAYERS["flags"])  # a dtype off: coerced first, as before
