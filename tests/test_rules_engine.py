"""The inefficient/idle-land rule engine (evaluation.rules), every rule by hand.

Zone Z1, year 2024, developed industrial parcels P1, P2, P3, P5 (50 mu):
revenue 1000 + 200 + 0 + 1500 = 2700 → zone 亩均营业收入 54; tax 50 + 5 + 0 + 100 = 155 → 3.1.
low_revenue threshold 54 × 1/2 = 27; low_tax threshold 3.1 / 3 = 1.0333.
Median revenue_per_mu of [100, 20, 0, 150] = 60 → gain_wan P2 = (60 − 20) × 10 = 400,
P3 = 60 × 20 = 1200.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evaluation.rules import FLAG_COLUMNS, flag_parcels
from landuse.core.policy import default_policy
from landuse.core.policy.rules import Rule, RulesPolicy
from tests.evalkit import frame, mu

Y = 2024
P = default_policy()


def row(code, area, rev, tax, far, cov, *, stage="in_production", developed=True, **kw):
    d = dict(
        parcel_code=code,
        zone_code="Z1",
        year=Y,
        area_mu=area,
        developed=developed,
        industrial=True,
        stage=stage,
        revenue_wan=rev,
        tax_wan=tax,
        revenue_per_mu=None if rev is None else rev / area,
        tax_per_mu=None if tax is None else tax / area,
        far=far,
        building_coverage=cov,
    )
    d.update(kw)
    return d


def base_results(extra=()):
    return frame(
        "parcel_results",
        [
            row("P1", 10, 1000, 50, 1.2, 0.5, holder_uscc="E1"),
            row("P2", 10, 200, 5, 0.6, 0.25, holder_uscc="E2"),
            row("P3", 20, 0, 0, 1.1, 0.4, no_enterprise=True, stage="completed"),
            row("P4", 5, None, None, None, None, stage="idle", developed=False),
            row("P5", 10, 1500, 100, 1.5, 0.5, holder_uscc="E5"),
            *extra,
        ],
    )


def base_parcels(extra=()):
    rows = [
        dict(parcel_code=c, zone_code="Z1", registered_area_m2=mu(a))
        for c, a in [("P1", 10), ("P2", 10), ("P3", 20), ("P4", 5)]
    ]
    rows.append(
        dict(
            parcel_code="P5",
            zone_code="Z1",
            registered_area_m2=mu(10),
            obsolete_industry=True,
            env_safety_fail=True,
        )
    )
    return frame("parcels", rows + list(extra))


def idle_frame(rows):
    cols = [
        "parcel_code",
        "idle",
        "idle_kind",
        "idle_since",
        "idle_days",
        "fee_due",
        "fee_wan",
        "takeback",
        "exempt",
        "evidence",
    ]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    df["idle_since"] = pd.to_datetime(df["idle_since"])
    return df


IDLE_P4 = idle_frame([("P4", True, "not_started", "2023-03-01", 671, True, 40.0, False, False, None)])


def run(pr=None, parcels=None, idle=IDLE_P4, policy=P, **kw):
    return flag_parcels(
        base_results() if pr is None else pr,
        inputs={"parcels": base_parcels() if parcels is None else parcels},
        enterprise_results=kw.pop("enterprise_results", None),
        idle=idle,
        policy=policy,
        year=Y,
        **kw,
    )


def one(flags, parcel, rule):
    hit = flags[(flags["parcel_code"] == parcel) & (flags["rule"] == rule)]
    assert len(hit) == 1, f"{parcel}/{rule} not flagged exactly once:\n{flags[['parcel_code', 'rule']]}"
    return hit.iloc[0]


def rules_of(flags, parcel):
    return set(flags.loc[flags["parcel_code"] == parcel, "rule"])


def with_rules(*rules: Rule, base=P):
    return base.model_copy(update={"rules": RulesPolicy(rule=list(rules))})


def test_columns_and_policy_stamp():
    f = run()
    assert list(f.columns) == FLAG_COLUMNS
    assert (f["policy_version"] == P.version).all() and (f["policy_hash"] == P.hash).all()
    assert (f["year"] == Y).all()
    assert not f.duplicated(["parcel_code", "year", "rule"]).any()


def test_healthy_parcel_not_flagged():
    assert rules_of(run(), "P1") == set()


def test_low_far_and_coverage_evidence():
    f = run()
    r = one(f, "P2", "low_far")
    assert r["evidence"] == "容积率 0.6 < 1.0"
    assert r["severity"] == 2 and r["label"] == "容积率偏低"
    assert "增容技改" in r["action"]
    assert pd.isna(r["gain_mu"]) and pd.isna(r["gain_wan"])
    # no structures_yard_area_m2: the footprint-only figure is 建筑密度, and said so
    assert one(f, "P2", "low_coverage")["evidence"] == "建筑密度 25% < 30%（仅建筑基底，缺构筑物、露天堆场和操作场地面积）"


def test_relative_to_zone_uses_ratio_of_sums_and_gain_at_zone_median():
    f = run()
    t = one(f, "P2", "low_tax")
    assert t["evidence"] == "亩均税收 0.5 < 开发区均值 3.1 × 1/3 = 1.03"
    assert t["gain_wan"] == pytest.approx(400.0)
    r = one(f, "P2", "low_revenue")
    assert r["evidence"] == "亩均营业收入 20.0 < 开发区均值 54.0 × 1/2 = 27.0"
    assert one(f, "P3", "low_revenue")["gain_wan"] == pytest.approx(1200.0)
    assert "low_revenue" not in rules_of(f, "P1")


def test_relative_threshold_boundary_is_strict():
    # P2 revenue 300 (30/mu), P5 1700: zone = (1000+300+0+1700)/50 = 60 → threshold 30; 30 is not < 30
    pr = base_results()
    pr.loc[pr["parcel_code"] == "P2", ["revenue_wan", "revenue_per_mu"]] = [300.0, 30.0]
    pr.loc[pr["parcel_code"] == "P5", ["revenue_wan", "revenue_per_mu"]] = [1700.0, 170.0]
    assert "low_revenue" not in rules_of(run(pr=pr), "P2")
    # P2 299 → zone 59.98 → threshold 29.99 > 29.9
    pr.loc[pr["parcel_code"] == "P2", ["revenue_wan", "revenue_per_mu"]] = [299.0, 29.9]
    assert "low_revenue" in rules_of(run(pr=pr), "P2")


def test_production_stopped():
    r = one(run(), "P3", "production_stopped")
    assert r["gain_mu"] == 20.0 and pd.isna(r["gain_wan"])
    assert "已开发无使用企业" in r["evidence"] and r["severity"] == 3


def test_production_stopped_needs_a_reported_zero():
    """A missing figure is not a zero: an unreported parcel is not 停产 (docs/domain.md §11)."""
    pr = base_results()
    pr["output_status"] = pr["parcel_code"].map({"P3": "not_reported"})
    assert "production_stopped" not in rules_of(run(pr=pr), "P3")
    pr["output_status"] = pr["parcel_code"].map({"P3": "reported_zero"})
    pr["no_enterprise"] = pr["no_enterprise"].where(pr["parcel_code"] != "P3", False)
    assert "使用企业申报为0" in one(run(pr=pr), "P3", "production_stopped")["evidence"]


def test_flag_columns_from_parcels_input():
    f = run()
    assert one(f, "P5", "obsolete")["gain_mu"] == 10.0
    assert one(f, "P5", "env_safety")["severity"] == 4
    assert rules_of(f, "P5") == {"obsolete", "env_safety"}


def test_rules_only_on_developed_industrial():
    pr = base_results([row("P6", 10, 0, 0, 0.1, 0.1, industrial=False)])
    pr.loc[pr["parcel_code"] == "P6", "industrial"] = False
    f = run(pr=pr, parcels=base_parcels([dict(parcel_code="P6", zone_code="Z1")]))
    assert rules_of(f, "P6") == set()
    # P4 (idle, not developed) only gets the idle flag
    assert rules_of(f, "P4") == {"idle"}


def test_idle_fee_takeback_exempt():
    pr = base_results(
        [
            row("P6", 8, None, None, None, None, stage="idle", developed=False),
            row("P7", 4, None, None, None, None, stage="idle", developed=False),
        ]
    )
    idle = idle_frame(
        [
            ("P4", True, "not_started", "2023-03-01", 671, True, 40.0, False, False, None),
            ("P6", True, "not_started", "2022-06-01", 944, True, 30.0, True, False, None),
            ("P7", True, "halted", "2023-06-01", 579, False, 0.0, False, True, None),
        ]
    )
    f = run(
        pr=pr,
        idle=idle,
        parcels=base_parcels(
            [dict(parcel_code="P6", zone_code="Z1"), dict(parcel_code="P7", zone_code="Z1")]
        ),
    )
    fee = one(f, "P4", "idle")
    assert fee["severity"] == 4 and fee["gain_mu"] == 5.0
    assert fee["action"] == "征收土地闲置费（一次性），限期动工开发（闲置费 40.0 万元）"
    assert fee["evidence"] == "未动工，自2023-03-01起闲置 671 天；闲置费 40.0 万元（一次性）"
    tb = one(f, "P6", "idle")
    assert tb["severity"] == 5 and "无偿收回" in tb["action"]
    ex = one(f, "P7", "idle")
    assert ex["severity"] == 2 and "延期" in ex["action"] and "政府原因" in ex["evidence"]
    assert ex["gain_mu"] == 0.0  # exempt (government cause): extended, not freed


def test_idle_not_flagged_when_not_idle_or_unsupplied():
    idle = idle_frame([("P4", False, None, None, None, False, 0.0, False, False, None)])
    assert "idle" not in rules_of(run(idle=idle), "P4")
    pr = base_results()
    pr.loc[pr["parcel_code"] == "P4", "stage"] = "unsupplied"
    assert "idle" not in rules_of(run(pr=pr), "P4")


@pytest.mark.parametrize("agreed,idle_expected", [("2023-12-31", True), ("2024-01-01", False)])
def test_idle_from_lifecycle_at_the_one_year_boundary(agreed, idle_expected):
    """With idle=None the engine calls evaluation.lifecycle.idle_status at 31 Dec 2024:
    agreed start 2023-12-31 → one full year on 2024-12-31 → idle; 2024-01-01 → not yet."""
    parcels = base_parcels()
    parcels.loc[parcels["parcel_code"] == "P4", ["supply_date", "agreed_start_date"]] = [
        pd.Timestamp("2023-06-01"),
        pd.Timestamp(agreed),
    ]
    parcels.loc[parcels["parcel_code"] == "P4", "land_price_wan"] = 100.0
    f = run(parcels=parcels, idle=None)
    assert ("idle" in rules_of(f, "P4")) is idle_expected
    if idle_expected:
        r = one(f, "P4", "idle")
        assert "20.0" in r["action"]  # 20 % of 100 万元
        assert r["evidence"].startswith("约定动工日期2023-12-31")


def test_disable_rule_and_change_threshold():
    rules = [
        r.model_copy(update={"enabled": False})
        if r.code == "low_coverage"
        else r.model_copy(update={"threshold": 0.5})
        if r.code == "low_far"
        else r
        for r in P.rules.rule
    ]
    pol = P.model_copy(update={"rules": RulesPolicy(rule=rules)})
    f = run(policy=pol)
    assert "low_coverage" not in rules_of(f, "P2")
    assert "low_far" not in rules_of(f, "P2")  # 0.6 ≥ 0.5
    assert (f["policy_hash"] == pol.hash).all() and pol.hash != P.hash


def test_added_threshold_rule_with_per_industry_threshold():
    extra = Rule(
        code="low_tax_abs",
        kind="threshold",
        column="tax_per_mu",
        op="lt",
        threshold=6.0,
        by_industry={"C26": 12.0, "2611": 4.0},
        severity=1,
        label_zh="亩均税收低于6万元",
        gain="wan",
    )
    pol = with_rules(extra)
    er = pd.DataFrame({"uscc": ["E1", "E2", "E5"], "industry_code": ["3971", "2611", "C2620"]})
    f = run(policy=pol, enterprise_results=er)
    # P1 tax 5 < 6 (C39 default); P2 0.5 < 4 (2611 longest prefix); P5 10 < 12 (C26)
    assert one(f, "P1", "low_tax_abs")["evidence"] == "亩均税收 5.0 < 6.0"
    assert one(f, "P2", "low_tax_abs")["evidence"] == "亩均税收 0.5 < 4.0"
    assert one(f, "P5", "low_tax_abs")["evidence"] == "亩均税收 10.0 < 12.0"
    assert one(f, "P1", "low_tax_abs")["gain_wan"] == pytest.approx(0.0)  # 100 > median 60
    assert set(f["rule"]) == {"low_tax_abs"}


def test_rule_validation():
    with pytest.raises(ValueError):
        Rule(code="x", kind="threshold", column="far", severity=1, label_zh="x")  # no threshold
    with pytest.raises(ValueError):
        RulesPolicy(rule=[P.rules.rule[0], P.rules.rule[0]])


def test_below_commitment_with_grace_years():
    parcels = base_parcels()
    parcels.loc[parcels["parcel_code"] == "P1", ["commit_tax_wan_per_mu", "completion_date"]] = [
        10.0,
        pd.Timestamp("2020-05-01"),
    ]
    parcels.loc[parcels["parcel_code"] == "P2", ["commit_revenue_wan_per_mu", "completion_date"]] = [
        100.0,
        pd.Timestamp("2023-06-01"),
    ]  # completed 1.5 years before year-end: grace (2 years)
    f = run(parcels=parcels)
    r = one(f, "P1", "below_commitment")
    assert r["evidence"] == "亩均税收 5.0 < 承诺 10.0（差 50%）"
    assert r["gain_wan"] == pytest.approx(0.0)
    assert "below_commitment" not in rules_of(f, "P2")


def test_grade_d_twice():
    er = pd.DataFrame(
        {"uscc": ["E1", "E2"], "year": [Y, Y], "grade": ["D", "D"], "industry_code": ["C39"] * 2}
    )
    hist = pd.DataFrame({"uscc": ["E1", "E2"], "year": [Y - 1, Y - 1], "grade": ["D", "C"]})
    f = run(enterprise_results=er, grade_history=hist)
    r = one(f, "P1", "grade_d_twice")
    assert r["evidence"] == "权利人 E1 2023、2024年均评为D类"
    assert "grade_d_twice" not in rules_of(f, "P2")
    assert "grade_d_twice" not in rules_of(run(enterprise_results=er), "P1")  # no history


def test_standard_land_breach_from_review():
    parcels = base_parcels()
    parcels.loc[
        parcels["parcel_code"] == "P1",
        ["standard_land", "completion_date", "commit_tax_wan_per_mu", "commit_revenue_wan_per_mu"],
    ] = [True, pd.Timestamp("2021-06-30"), 10.0, 90.0]
    f = run(parcels=parcels)
    r = one(f, "P1", "standard_land_breach")
    # tax 5 vs 10: shortfall 50 % ≥ 30 % → loss of incentives / buy-back; revenue 100 ≥ 90 passes
    assert r["evidence"] == "亩均税收 5.0 < 承诺 10.0（差 50%）"
    assert r["action"].startswith("取消优惠政策，依约回购土地使用权")
    assert r["severity"] == 4


def test_below_commitment_yields_to_standard_land_breach():
    """Same shortfall on a standard-land parcel past its review: only standard_land_breach is kept
    (below_commitment has unless = ["standard_land_breach"])."""
    parcels = base_parcels()
    parcels.loc[
        parcels["parcel_code"] == "P1", ["standard_land", "completion_date", "commit_tax_wan_per_mu"]
    ] = [
        True,
        pd.Timestamp("2021-06-30"),
        10.0,
    ]
    f = run(parcels=parcels)
    assert {"standard_land_breach"} <= rules_of(f, "P1") and "below_commitment" not in rules_of(f, "P1")
    rules = [r.model_copy(update={"unless": []}) if r.code == "below_commitment" else r for r in P.rules.rule]
    f2 = run(parcels=parcels, policy=P.model_copy(update={"rules": RulesPolicy(rule=rules)}))
    assert {"standard_land_breach", "below_commitment"} <= rules_of(f2, "P1")


def test_rs_mismatch():
    built = pd.Series({"P4": 0.6, "P1": 0.05, "P5": 0.5, "P2": 0.09999})
    f = run(built_up=built)
    assert one(f, "P4", "rs_mismatch")["evidence"] == "申报闲置，遥感建成比例 60% ≥ 50%"
    assert one(f, "P1", "rs_mismatch")["evidence"] == "申报已投产，遥感建成比例 5% < 10%"
    assert "rs_mismatch" in rules_of(f, "P2")
    assert "rs_mismatch" not in rules_of(f, "P5")
    assert "rs_mismatch" not in rules_of(run(), "P4")  # no raster, no evidence


def test_with_data_gives_json():
    f = run(with_data=True)
    d = json.loads(one(f, "P2", "low_far")["data"])
    assert d == {"column": "far", "op": "lt", "threshold": 1.0, "value": 0.6}


def test_does_not_mutate_inputs():
    pr, parcels = base_results(), base_parcels()
    pr0, parcels0 = pr.copy(), parcels.copy()
    run(pr=pr, parcels=parcels)
    pd.testing.assert_frame_equal(pr, pr0)
    pd.testing.assert_frame_equal(parcels, parcels0)


def test_other_years_ignored_and_empty():
    pr = pd.concat([base_results(), base_results().assign(year=pd.array([Y - 1] * 5, dtype="Int64"))])
    f = run(pr=pr)
    assert (f["year"] == Y).all()
    empty = run(pr=base_results().iloc[0:0])
    assert list(empty.columns) == FLAG_COLUMNS and empty.empty


def test_default_policy_notes_cover_numbers():
    notes = P.rules.notes
    for r in P.rules.rule:
        assert f"{r.code}.severity" in notes
        for fld in ("threshold", "fraction", "grace_years", "max_share_undeveloped", "min_share_developed"):
            v = getattr(r, fld)
            if v not in (None, 0, 0.0) and not (fld == "fraction" and r.kind == "commitment" and v == 1.0):
                assert f"{r.code}.{fld}" in notes, f"{r.code}.{fld}"
