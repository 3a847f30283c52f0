"""Why a zone moved (issue 16 §3): the bridge from baseline to current revenue per mu sums exactly
to the change — by hand, and for any parcels (hypothesis)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.bridge import BRIDGE_TERMS, bridge, contributions, gap_to_path, parcel_frame


def _pr(rows):
    return pd.DataFrame(rows, columns=["parcel_code", "zone_code", "developed", "revenue_wan", "reported_mu",
                                       "holder_uscc"])


def test_bridge_by_hand():
    # baseline: P1 (firm A) 1000 万元 on 10 mu, P2 (B) 500 on 5, P3 (C) 300 on 5 → R0 1800, A0 20, V0 90
    # current:  P1 (A) 1200 on 10, P2 now held by D 800 on 5, P3 taken back, P4 new (E) 600 on 10
    #           → R1 2600, A1 25, V1 104; change 14
    base = _pr([("P1", "Z", True, 1000.0, 10.0, "A"), ("P2", "Z", True, 500.0, 5.0, "B"),
                ("P3", "Z", True, 300.0, 5.0, "C")])
    cur = _pr([("P1", "Z", True, 1200.0, 10.0, "A"), ("P2", "Z", True, 800.0, 5.0, "D"),
               ("P3", "Z", False, None, None, "C"), ("P4", "Z", True, 600.0, 10.0, "E")])
    p = parcel_frame(base, cur)
    assert dict(zip(p["parcel_code"], p["category"])) == {"P1": "kept_same", "P2": "kept_changed",
                                                          "P3": "taken_back", "P4": "new"}
    b = bridge(p)
    assert (b["v0"], b["v1"], b["change"]) == (90.0, 104.0, 14.0)
    assert b["firms_both"] == pytest.approx(200 / 20)          # A: +200 on the baseline 20 mu = +10
    assert b["firms_left"] == pytest.approx(-(300 + 500) / 20)  # C and B left: −40
    assert b["firms_arrived"] == pytest.approx((600 + 800) / 20)  # E and D arrived: +70
    # revenue now 2600 on 20 mu = 130; new land 10 mu → 2600/30 = 86.667 (−43.333)
    assert b["new_land"] == pytest.approx(2600 / 30 - 130)
    # P3's 5 mu taken back → 2600/25 = 104 (+17.333); reported land of kept parcels unchanged (0)
    assert b["land_taken"] == pytest.approx(104 - 2600 / 30)
    assert b["reported_land"] == pytest.approx(0.0, abs=1e-12)
    assert math.fsum(b[k] for k in BRIDGE_TERMS) == pytest.approx(14.0, rel=1e-12)
    top = contributions(p, b)
    # P2 (800−500)/20 = +15; P4 600/20 − 43.333 = −13.333; P1 +10; P3 −300/20 + 17.333 = +2.333
    assert top["parcel_code"].tolist() == ["P2", "P4", "P1", "P3"]
    assert top["contribution"].sum() == pytest.approx(14.0)
    g = gap_to_path(b["v1"], b["a1"], b["r1"], expected=110.0, target=103.5)
    assert g["gap_per_mu"] == -6.0 and g["revenue_needed_wan"] == pytest.approx(6.0 * 25)  # 150 万元
    assert g["target_gap_per_mu"] == pytest.approx(0.5) and g["target_revenue_needed_wan"] == 0.0


_row = st.tuples(st.booleans(), st.floats(0, 1e5, allow_nan=False), st.floats(0.1, 500, allow_nan=False),
                 st.sampled_from(["A", "B", "C", None]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_row, _row), min_size=1, max_size=30))
def test_bridge_sums_to_the_change(pairs):
    base = _pr([(f"P{i}", "Z", d, r, a, h) for i, ((d, r, a, h), _) in enumerate(pairs)])
    cur = _pr([(f"P{i}", "Z", d, r, a, h) for i, (_, (d, r, a, h)) in enumerate(pairs)])
    p = parcel_frame(base, cur)
    b = bridge(p)
    if math.isnan(b["change"]):
        assert b["a0"] == 0 or b["a1"] == 0
        return
    total = math.fsum(b[k] for k in BRIDGE_TERMS)
    scale = max(abs(b["v0"]), abs(b["v1"]), 1.0)
    assert abs(total - b["change"]) <= 1e-9 * scale
    # each revenue term is what it says: revenue moved on the baseline land
    assert math.fsum([b["firms_both"], b["firms_left"], b["firms_arrived"]]) * b["a0"] == \
        pytest.approx(b["r1"] - b["r0"], rel=1e-9, abs=1e-6)
