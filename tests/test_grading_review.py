"""Grades an evaluator would sign (亩均论英雄, docs/domain.md §8, §13): each case by hand, with the grade
the old rule gave in the docstring. County C1 (not a 6-digit code: no pooling) unless said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.grading import construction_status, grade_enterprises, merge_tenants
from landuse.core.policy import default_policy
from landuse.core.policy.rules import Indicator

P = default_policy()
Y = 2025
ONE = [Indicator(column="v", weight=100, benchmark=100.0)]  # score = v (no cap reached below 200)


def pol(**kw):
    kw.setdefault("above_scale", ONE)
    kw.setdefault("merge_below", 1)
    return P.model_copy(update={"grading": P.grading.model_copy(update=kw)})


def firms(rows, year=Y):
    base = dict(year=year, county_code="C1", zone_code="Z1", above_scale=True, linked=True, land_mu=10.0,
                industry_code="C34")
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["above_scale"] = df["above_scale"].astype("boolean")
    df["linked"] = df["linked"].astype("boolean")
    return df


def grades(g, er):
    return dict(zip(er["uscc"], g["grade"]))


# ---------------------------------------------------------------------------------------------- 8


def _construction(deadline):
    uses = pd.DataFrame({"parcel_code": ["X", *[f"P{i}" for i in range(5)]], "uscc": ["EC", *[f"R{i}" for i in range(5)]],
                         "kind": "own", "area_mu": 10.0, "weight": 10.0, "leased_m2": 0.0, "share": 1.0})
    pr = pd.DataFrame({"parcel_code": ["X", *[f"P{i}" for i in range(5)]],
                       "stage": ["started", *["in_production"] * 5]})
    parcels = pd.DataFrame({"parcel_code": ["X"], "agreed_completion_date": pd.to_datetime([deadline])})
    return construction_status(uses, pr, parcels, as_of=pd.Timestamp("2025-12-31"))


def test_project_under_construction_within_its_term_is_not_graded():
    """Five firms in production scoring 50, 40, 30, 20, 10 and EC, whose only land is under
    construction (agreed completion 2026-06-30), with no output (score 0).
    Before: n = 6, EC rank 6 → D, R4 (10) rank 5 → 5/6 = 0.83 → C.
    Now EC is exempt; n = 5: R4 rank 5 → 1.0 → D (the real last firm takes the D)."""
    er = firms([dict(uscc="EC", v=0.0), *[dict(uscc=f"R{i}", v=50.0 - 10 * i) for i in range(5)]])
    c = _construction("2026-06-30")
    assert bool(c.loc["EC", "within_term"]) and not c.loc["R0", "under_construction"]
    g = grade_enterprises(er, policy=pol(), construction=c)
    assert grades(g, er) == {"EC": None, "R0": "A", "R1": "B", "R2": "B", "R3": "C", "R4": "D"}
    assert g["grade_note"].iat[0] == "在建项目（约定竣工日期 2026-06-30 前），不参评"
    before = grade_enterprises(er, policy=pol())
    assert grades(before, er)["EC"] == "D" and grades(before, er)["R4"] == "C"
    # past its contract term (agreed 2024-06-30): graded like everyone
    late = grade_enterprises(er, policy=pol(), construction=_construction("2024-06-30"))
    assert grades(late, er)["EC"] == "D"
    # unknown deadline: not known to be past the term → not graded, said so
    unk = grade_enterprises(er, policy=pol(), construction=_construction(None))
    assert unk["grade_note"].iat[0] == "在建项目（约定竣工日期未知，按合同期内计），不参评"


# ---------------------------------------------------------------------------------------------- 9


def test_merged_tenants_holder_graded_on_the_parcels_figures():
    """merge_tenants: holder H owns parcel P (10 mu), tenant T leases space on it (all T's output goes to
    P). H: tax 5 万元 → 0.5 万元/亩 on its own; T: tax 300. Four other firms: 40, 30, 20, 10 万元/亩.
    Before: H graded on 0.5 → rank 5 of 5 → D (the zone's most productive parcel!) and T "在建项目".
    Now H on the merged 305 / 10 = 30.5 → ranks 40, 30.5, 30, 20, 10 → 2/5 → B; T shares B with
    the note 随宗地权利人 H, and is not ranked itself (n = 5)."""
    ind = [Indicator(column="tax_per_mu", weight=100, benchmark=100.0)]
    er = firms([dict(uscc="H", tax_wan=5.0, tax_per_mu=0.5), dict(uscc="T", tax_wan=300.0, land_mu=0.0, tax_per_mu=np.nan),
                *[dict(uscc=f"G{i}", tax_wan=10.0 * k, tax_per_mu=float(k)) for i, k in enumerate((40, 30, 20, 10))]])
    uses = pd.DataFrame({"parcel_code": ["P", "P", "Q0", "Q1", "Q2", "Q3"], "uscc": ["H", "T", "G0", "G1", "G2", "G3"],
                         "kind": ["own", "lease", "own", "own", "own", "own"],
                         "area_mu": [10.0, 0.0, 10.0, 10.0, 10.0, 10.0], "weight": [10.0, 500.0, 10.0, 10.0, 10.0, 10.0],
                         "leased_m2": [0.0, 500.0, 0.0, 0.0, 0.0, 0.0], "share": 1.0})
    values = pd.DataFrame({"tax_wan": [5.0, 300.0, 400.0, 300.0, 200.0, 100.0]},
                          index=pd.Index(["H", "T", "G0", "G1", "G2", "G3"], name="uscc"))
    m = merge_tenants(er, uses, values)
    assert m["holder_of"].to_dict() == {"T": "H"}
    assert m["frame"].set_index("uscc").loc["H", "tax_per_mu"] == pytest.approx(30.5)
    g = grade_enterprises(er, policy=pol(above_scale=ind), merged=m)
    assert grades(g, er) == {"H": "B", "T": "B", "G0": "A", "G1": "B", "G2": "C", "G3": "D"}
    assert g["grade_note"].iat[1] == "随宗地权利人 H" and g["score"].iat[1] == pytest.approx(30.5)
    assert "按宗地合并口径计分" in g["grade_note"].iat[0]
    before = grade_enterprises(er, policy=pol(above_scale=ind))
    assert grades(before, er)["H"] == "D" and before["grade_note"].iat[1] == "在建项目或无已开发用地，不参评"


# ---------------------------------------------------------------------------------------------- 10


def test_benchmark_is_the_county_figure_of_the_previous_year():
    """2024 graded firms of C1: H1 tax 100 on 10 mu (10 万元/亩), H2 tax 900 on 30 mu (30).
    County figure Σ/Σ = 1000 / 40 = 25; mean of the firms' ratios = (10 + 30)/2 = 20 (the old default).
    F (25 万元/亩): item = 100 × 25/25 = 100 with Σ/Σ; 100 × 25/20 = 125 with the mean."""
    ind = [Indicator(column="tax_per_mu", weight=100)]
    hist = firms([dict(uscc="H1", tax_wan=100.0, land_mu=10.0, tax_per_mu=10.0, grade="B"),
                  dict(uscc="H2", tax_wan=900.0, land_mu=30.0, tax_per_mu=30.0, grade="A")], year=Y - 1)
    er = firms([dict(uscc="F", tax_wan=250.0, land_mu=10.0, tax_per_mu=25.0)])
    g = grade_enterprises(er, policy=pol(above_scale=ind, min_group_size=1), history=hist)
    assert g["score"].iat[0] == pytest.approx(100.0)
    assert P.grading.benchmark == "previous_year_ratio_of_sums"
    mean = grade_enterprises(er, policy=pol(above_scale=ind, min_group_size=1, benchmark="previous_year_mean"),
                             history=hist)
    assert mean["score"].iat[0] == pytest.approx(125.0)


def test_ratio_of_sums_parts_from_enterprise_years():
    """labour productivity = VA / employees; enterprise_results keeps VA but not employees: they come
    from enterprise_years. 2024: H1 VA 300, 10 people; H2 VA 100, 10 people → Σ/Σ = 400/20 = 20 万元/人
    (mean of ratios also 20 here); F 30 → 100 × 30/20 = 150."""
    ind = [Indicator(column="labour_productivity", weight=100)]
    hist = firms([dict(uscc="H1", value_added_wan=300.0, labour_productivity=30.0, grade="A"),
                  dict(uscc="H2", value_added_wan=100.0, labour_productivity=10.0, grade="B")], year=Y - 1)
    ey = pd.DataFrame({"uscc": ["H1", "H2", "F"], "year": [Y - 1, Y - 1, Y], "employees": [10, 10, 10]})
    er = firms([dict(uscc="F", value_added_wan=300.0, labour_productivity=30.0)])
    g = grade_enterprises(er, policy=pol(above_scale=ind, min_group_size=1), history=hist, enterprise_years=ey)
    assert g["score"].iat[0] == pytest.approx(150.0)


# ---------------------------------------------------------------------------------------------- 11


def test_item_scores_are_capped_at_twice_their_weight():
    """Fixed benchmarks tax 10 万元/亩 (weight 60), R&D 2 % (weight 40).
    D (a park developer): tax 47 = 4.7×, no R&D: before 60 × 4.7 = 282 → A on one indicator;
    with the default cap 2: 60 × 2 = 120.
    A1: 60 × 1.4 + 40 × 1.5 = 144; A2: 78 + 56 = 134; A3: 72 + 52 = 124; A4: 60 + 40 = 100.
    Ranks: 144, 134, 124, 120 (D), 100 → D is 4th of 5 → 0.8 → C."""
    ind = [Indicator(column="tax_per_mu", weight=60, benchmark=10.0),
           Indicator(column="rd_share", weight=40, benchmark=0.02)]
    er = firms([dict(uscc="D", tax_per_mu=47.0, rd_share=0.0), dict(uscc="A1", tax_per_mu=14.0, rd_share=0.03),
                dict(uscc="A2", tax_per_mu=13.0, rd_share=0.028), dict(uscc="A3", tax_per_mu=12.0, rd_share=0.026),
                dict(uscc="A4", tax_per_mu=10.0, rd_share=0.02)])
    g = grade_enterprises(er, policy=pol(above_scale=ind))
    assert g["score"].tolist() == pytest.approx([120, 144, 134, 124, 100])
    assert g["grade"].iat[0] == "C"
    uncapped = grade_enterprises(er, policy=pol(above_scale=ind, default_cap=None))
    assert uncapped["score"].iat[0] == pytest.approx(282) and uncapped["grade"].iat[0] == "A"
    assert P.grading.default_cap == 2.0 and "default_cap" in P.grading.notes


# ---------------------------------------------------------------------------------------------- 12


@pytest.mark.parametrize("rounding,n,expected_d", [
    # floor: D when rank/n > 0.95 → n = 5: ranks ≤ floor(4.75) = 4 are C, rank 5 is D
    ("floor", 5, 1), ("floor", 10, 1), ("floor", 19, 1), ("floor", 20, 1), ("floor", 21, 2),
    # nearest: C edge round(0.95 n): n = 5 → 5, n = 10 → round(9.5) = 10 (half up): no D; n = 11 → 10;
    # n = 30 → round(28.5) = 29: one D; n = 40 → 38: two
    ("nearest", 5, 0), ("nearest", 10, 0), ("nearest", 11, 1), ("nearest", 30, 1), ("nearest", 40, 2),
    # ceil: C edge ceil(0.95 n): n = 19 → 19 → no D; n = 20 → 19 → 1 D
    ("ceil", 19, 0), ("ceil", 20, 1), ("ceil", 40, 2),
])
def test_d_band_rounding_is_a_policy_choice(rounding, n, expected_d):
    er = firms([dict(uscc=f"U{i}", v=float(100 - i)) for i in range(n)])
    g = grade_enterprises(er, policy=pol(band_rounding=rounding))
    assert int((g["grade"] == "D").sum()) == expected_d


def test_small_groups_pool_upward():
    """merge_below 20 (default). County 360402: 12 firms, 360403: 9 firms, 360404: 25 firms (one city,
    3604). The two small counties are pooled into a city group "360400(合并)" of 21 firms (≥ 20);
    360404 keeps its own ranking. Before: a group of 9 gave its last firm a D (1/9 = 11 %)."""
    rows = ([dict(uscc=f"A{i}", county_code="360402", v=float(90 - i)) for i in range(12)]
            + [dict(uscc=f"B{i}", county_code="360403", v=float(80 - i)) for i in range(9)]
            + [dict(uscc=f"C{i}", county_code="360404", v=float(70 - i)) for i in range(25)])
    er = firms(rows)
    g = grade_enterprises(er, policy=pol(merge_below=20))
    grp = dict(zip(er["uscc"], g["grade_group"]))
    assert grp["A0"] == grp["B0"] == "360400(合并)·规上" and grp["C0"] == "360404·规上"
    # pooled: 21 firms, D for rank > 0.95 × 21 = 19.95 → ranks 20, 21 = B7, B8 (scores 73, 72)
    d = set(er.loc[(g["grade"] == "D").to_numpy(), "uscc"])
    assert d == {"B7", "B8", "C24", "C23"}  # 360404: n = 25 → ranks > 23.75: 24, 25
    assert "并入上级 360400 合并评级" in g["grade_note"].iat[0]
    alone = grade_enterprises(er, policy=pol(merge_below=1))
    assert dict(zip(er["uscc"], alone["grade"]))["B8"] == "D" and dict(zip(er["uscc"], alone["grade"]))["B7"] == "C"
    # too small even for the city: on to the province (360000)
    small = firms([dict(uscc=f"S{i}", county_code="360402", v=float(i)) for i in range(6)])
    gs = grade_enterprises(small, policy=pol(merge_below=20))
    assert set(gs["grade_group"]) == {"360000(合并)·规上"} and gs["grade"].notna().all()


def test_grading_policy_notes_state_the_choices():
    n = P.grading.notes
    for k in ("benchmark", "default_cap", "merge_below", "band_rounding", "exempt_under_construction"):
        assert k in n and n[k]
    assert "floor" in n["band_rounding"] or "rank/n > 0.95" in n["band_rounding"]
