"""Result versions (issue 16 §1): every evaluation is a draft, an evaluator publishes one, and a
published version is what every reader sees until another is published with a reason — on both
backends. A re-evaluation and a quota (what-if or saved) never change what it shows."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from landuse.core.errors import LanduseError
from landuse.core.policy import default_policy
from landuse.services import accounts, results, versions
from landuse.services.evaluate import evaluate
from landuse.services.quota import quota
from parcels.importer import import_package
from tests import pkgkit

P = default_policy()
Y = 2024


def _seen(store) -> dict[str, list]:
    """What readers get for the year, through the one read path."""
    zr = results.zone_rows(store, year=Y, zones=None)
    pr = results.read_layer(store, "parcel_results", year=Y, with_geometry=False)
    tg = results.targets(store, year=Y)
    return {"zones": zr.drop(columns=["geometry"], errors="ignore").astype(object).where(zr.notna(), None)
            .values.tolist(),
            "parcels": pr.astype(object).where(pr.notna(), None).values.tolist(),
            "targets": tg.astype(object).where(tg.notna(), None).values.tolist()}


def _z1(store) -> float:
    zr = results.zone_rows(store, year=Y, zones=["Z1"], columns=["zone_code", "revenue_per_mu"])
    return float(zr["revenue_per_mu"].iloc[0])


@pytest.fixture
def evaluated(store, tmp_path):
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    evaluate(store, years=[2020, Y], policy=P, actor="ev1")
    return store


def test_each_evaluation_is_a_draft_shown_while_nothing_is_published(evaluated, tmp_path):
    store = evaluated
    vs = versions.list_versions(store, Y)
    assert [(v["version_id"], v["status"], v["created_by"]) for v in vs] == [(f"{Y}-v1", "draft", "ev1")]
    assert vs[0]["inputs_hash"] == store.inputs_hash() and vs[0]["policy_hash"] == P.hash
    before = _z1(store)
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), store)
    evaluate(store, years=[Y], policy=P, actor="ev1")
    # nothing published: the latest draft (v2) is shown, and the page says so
    assert results.shown_version(store, Y)["version_id"] == f"{Y}-v2"
    assert _z1(store) != before
    assert "草稿 v2" in results.version_label(store, Y)
    assert "draft v2" in results.version_label(store, Y, lang="en")


def test_published_version_survives_a_reevaluation_and_a_quota(evaluated, tmp_path):
    store = evaluated
    v = versions.publish(store, year=Y, version="v1", note="2024 年度评价结果公示", actor="ev1", policy=P,
                         today=dt.date(2026, 11, 23))
    assert v["status"] == "published" and v["window_closes"] == "2026-11-26"  # Mon + 3 working days = Thu
    seen = _seen(store)
    z1 = _z1(store)
    # a re-evaluation on corrected inputs: a new draft, the published figures unchanged
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), store)
    out = evaluate(store, years=[Y], policy=P, actor="ev2")
    assert out[Y].version == f"{Y}-v2"
    assert _seen(store) == seen
    assert results.shown_version(store, Y)["version_id"] == f"{Y}-v1"
    assert "已发布版本 v1" in results.version_label(store, Y)
    # a quota what-if writes nothing; a saved quota is a new draft, still not shown
    quota(store, year=Y, total_mu=100, policy=P)
    assert _seen(store) == seen and len(versions.list_versions(store, Y)) == 2
    quota(store, year=Y, total_mu=100, policy=P, save=True, actor="ev2")
    assert _seen(store) == seen
    v3 = versions.list_versions(store, Y)[-1]
    assert v3["origin"] == "quota" and v3["status"] == "draft"
    assert versions.frames(store, v3["version_id"])["zone_results"]["quota_mu"].notna().any()
    # the v2 draft holds the corrected figures: E1's 2024 revenue 24 000 → 99 999 万元 on P1
    z1_v2 = versions.frames(store, f"{Y}-v2")["zone_results"].set_index("zone_code")["revenue_per_mu"]["Z1"]
    assert z1_v2 > z1
    # publishing v2 needs a reason, supersedes v1, and changes what readers see
    with pytest.raises(LanduseError):
        versions.publish(store, year=Y, version="v2", note="  ", actor="ev1", policy=P)
    versions.publish(store, year=Y, version="v2", note="甲公司营收更正", actor="ev1", policy=P)
    assert _z1(store) == pytest.approx(z1_v2, rel=0, abs=0)
    old = versions.get_version(store, f"{Y}-v1")
    assert old["status"] == "superseded" and old["superseded_reason"] == "甲公司营收更正"
    # published and superseded rows are still exactly what they were
    assert versions.frames(store, f"{Y}-v1")["zone_results"].set_index("zone_code")["revenue_per_mu"]["Z1"] == z1
    acts = [(r["username"], r["action"]) for r in accounts.read_audit(store)]
    assert ("ev1", "version_publish") in acts and ("ev2", "version_draft") in acts
    pub = [r["detail"] for r in accounts.read_audit(store) if r["action"] == "version_publish"]
    assert any("version=2024-v2 replaces=2024-v1" in d and "甲公司营收更正" in d for d in pub)


def test_version_rows_are_immutable_in_the_database(evaluated):
    from landuse.core.errors import StoreError

    with pytest.raises((StoreError, Exception)) as exc:
        evaluated.sys_delete("result_version_layers", {"version_id": f"{Y}-v1"})
    assert "immutable" in str(exc.value)
    assert len(versions.frames(evaluated, f"{Y}-v1")) == 6


def test_publish_refusals(evaluated):
    with pytest.raises(LanduseError, match="v7"):
        versions.publish(evaluated, year=Y, version="v7", note="x", actor="ev1", policy=P)
    versions.publish(evaluated, year=Y, version="v1", note="x", actor="ev1", policy=P)
    with pytest.raises(LanduseError):
        versions.publish(evaluated, year=Y, version="v1", note="again", actor="ev1", policy=P)


def test_diff_names_what_changed(evaluated, tmp_path):
    import_package(pkgkit.revenue_correction(tmp_path / "fix", 99999.0, year=Y), evaluated)
    evaluate(evaluated, years=[Y], policy=P)
    d = versions.diff(evaluated, year=Y, a="v1", b="v2")
    changed = d["zones"]
    # only E1's revenue changed: Z1's per-mu revenue moves, Z2 (E3 only) does not
    assert "Z1" in set(changed[changed["column"] == "revenue_per_mu"]["zone_code"])
    assert "Z2" not in set(changed["zone_code"])
    assert versions.diff(evaluated, year=Y, a="v1", b="v1")["zones"].empty


@pytest.mark.parametrize(("published", "closes"), [
    ("2026-11-23", "2026-11-26"),  # Monday: Tue, Wed, Thu
    ("2026-11-27", "2026-12-02"),  # Friday: Mon, Tue, Wed
    ("2026-11-28", "2026-12-02"),  # Saturday: Mon, Tue, Wed
])
def test_objection_window_counts_working_days(published, closes):
    assert versions.window_closes(dt.date.fromisoformat(published), P).isoformat() == closes


def test_objection_window_skips_listed_holidays():
    p = P.model_copy(update={"objection": P.objection.model_copy(update={"holidays": ["2026-11-24"]})})
    assert versions.window_closes(dt.date(2026, 11, 23), p) == dt.date(2026, 11, 27)


def test_results_cli_list_publish_diff(tmp_path):
    from landuse.cli import app
    from parcels.store import open_store

    db = str(tmp_path / "w.gpkg")
    store = open_store(db, init=True)
    import_package(pkgkit.write_package(tmp_path / "pkg"), store)
    evaluate(store, years=[Y], policy=P)
    evaluate(store, years=[Y], policy=P)
    r = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["results", "list", "--year", str(Y), "--db", db])
    assert r.exit_code == 0 and "2024-v1" in r.output and "2024-v2" in r.output
    r = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["results", "publish", "--year", str(Y), "--version", "v1", "--note", "公示", "--db", db])
    assert r.exit_code == 0, r.output
    assert versions.published(store, Y)["version_id"] == "2024-v1"
    r = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["results", "publish", "--year", str(Y), "--version", "v9", "--note", "x", "--db", db])
    assert r.exit_code == 1 and "v9" in r.output and "Traceback" not in r.output
    r = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["results", "diff", "--year", str(Y), "--a", "v1", "--b", "v2", "--db", db])
    assert r.exit_code == 0 and "相同" in r.output  # v1 and v2 computed from the same inputs
