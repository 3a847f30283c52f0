"""The ranked target list and the per-parcel flag summary (evaluation.targets), by hand.

Parcel results as in tests/test_rules_engine.py: zone Z1 median revenue_per_mu = 60.
Flags: P5 obsolete (sev 4, 10 mu) + env_safety (4); P4 idle (4, 5 mu); P3 production_stopped (3, 20 mu)
+ low_tax/low_revenue (2, 1200 万元); P2 four rules (2, 400 万元).
priority_key: P5 10 × 60 = 600; P4 5 × 60 = 300; P3 20 × 60 + 1200 = 2400; P2 400.
Order: severity 4 first (P5 600 > P4 300), then P3 (3), then P2 (2).
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.rules import flag_parcels
from evaluation.targets import TARGET_COLUMNS, apply_flag_summary, target_list
from landuse.core.labels import header
from landuse.core.contract import PARCEL_RESULTS
from tests.test_rules_engine import IDLE_P4, P, Y, base_parcels, base_results, row


def flags_for(pr):
    return flag_parcels(
        pr, inputs={"parcels": base_parcels()}, enterprise_results=None, idle=IDLE_P4, policy=P, year=Y
    )


def test_ranking_and_contents():
    pr = base_results()
    t = target_list(pr, flags_for(pr), policy=P)
    assert list(t.columns) == TARGET_COLUMNS
    assert t["parcel_code"].tolist() == ["P5", "P4", "P3", "P2"]
    assert t["priority"].tolist() == [1, 2, 3, 4]
    assert t["priority_key"].tolist() == pytest.approx([600, 300, 2400, 400])
    p3 = t.iloc[2]
    assert p3["rules"] == "low_tax,low_revenue,production_stopped"
    assert p3["reasons"] == "亩均税收低；亩均营业收入低；停产"
    assert p3["max_severity"] == 3 and p3["flag_count"] == 3
    assert p3["gain_mu"] == 20.0 and p3["gain_wan"] == pytest.approx(1200.0)
    assert p3["evidence"].startswith("【亩均税收低】亩均税收 0.0 < 开发区均值 3.1 × 1/3 = 1.03；")
    # the same action text twice is listed once
    assert p3["actions"].count("限期提升亩均效益") == 1
    p2 = t.iloc[3]
    assert p2["holder_uscc"] == "E2" and p2["stage"] == "in_production" and p2["area_mu"] == 10.0
    assert p2["revenue_per_mu"] == 20.0 and p2["far"] == 0.6
    assert (t["policy_hash"] == P.hash).all()


def test_tie_on_severity_and_key_breaks_on_parcel_code():
    pr = base_results([row("P0", 10, 200, 5, 0.6, 0.25, holder_uscc="E0")])
    pb = pd.concat([base_parcels(), base_parcels().iloc[[1]].assign(parcel_code="P0")], ignore_index=True)
    f = flag_parcels(pr, inputs={"parcels": pb}, enterprise_results=None, idle=IDLE_P4, policy=P, year=Y)
    t = target_list(pr, f, policy=P)
    # P0 and P2 identical: median now of [100, 20, 0, 150, 20] = 20 → gain 0 for both
    assert t["parcel_code"].tolist()[-2:] == ["P0", "P2"]


def test_zone_filter_ranks_within_zone():
    pr = base_results([row("Q1", 10, 0, 0, 1.2, 0.5, zone_code="Z2")])
    pb = pd.concat(
        [base_parcels(), base_parcels().iloc[[0]].assign(parcel_code="Q1", zone_code="Z2")], ignore_index=True
    )
    f = flag_parcels(pr, inputs={"parcels": pb}, enterprise_results=None, idle=IDLE_P4, policy=P, year=Y)
    t = target_list(pr, f, policy=P, zone="Z2")
    assert t["parcel_code"].tolist() == ["Q1"] and t["priority"].tolist() == [1]
    assert set(target_list(pr, f, policy=P, zone="Z1")["zone_code"]) == {"Z1"}


def test_apply_flag_summary():
    pr = base_results()
    out = apply_flag_summary(pr, flags_for(pr))
    s = out.set_index("parcel_code")
    assert s.loc["P1", "flags"] is None and s.loc["P1", "flag_count"] == 0
    assert pd.isna(s.loc["P1", "max_severity"]) and pd.isna(s.loc["P1", "priority"])
    assert s.loc["P1", "gain_mu"] == 0.0
    assert s.loc["P3", "flags"] == "low_tax,low_revenue,production_stopped"
    assert s.loc["P3", "priority"] == 3 and s.loc["P3", "max_severity"] == 3
    assert s.loc["P3", "gain_mu"] == 20.0 and s.loc["P3", "gain_wan"] == pytest.approx(1200.0)
    assert str(out["flag_count"].dtype) == "Int64" and str(out["priority"].dtype) == "Int64"
    assert list(out.columns) == list(pr.columns)
    assert pr["flags"].isna().all()  # input untouched


def test_empty_flags():
    pr = base_results()
    empty = flags_for(pr).iloc[0:0]
    assert target_list(pr, empty, policy=P).empty
    out = apply_flag_summary(pr, empty)
    assert (out["flag_count"] == 0).all()


def test_headers_cover_extra_columns():
    """Every column of the target list has a Chinese and an English header (none falls back to its code)."""
    from landuse.core.labels import COLUMN_LABELS

    assert [c for c in TARGET_COLUMNS if header(c, "parcel_results", "zh") == c] == []
    assert [c for c in TARGET_COLUMNS if c not in PARCEL_RESULTS.names and c not in COLUMN_LABELS] == []
    assert header("priority", None, "zh") == "处置优先序" and header("priority", None, "en") == "priority"
