"""Flags an evaluator would sign (docs/domain.md §7, §10, §13): each case by hand, with the figure the
rule gave before the fix in the docstring.

Zone Z1, year 2025 (as of 2025-12-31 unless said), 1 亩 = 2000/3 m².
"""

from __future__ import annotations

import typing

import pandas as pd
import pytest

from evaluation.indicators import building_coefficient
from evaluation.rules import KINDS, flag_parcels
from evaluation.standard_land import standard_land_checks
from landuse.core.policy import default_policy
from landuse.core.policy.rules import RuleKind
from tests.evalkit import frame, make_inputs, mu, run_year

P = default_policy()
Y = 2025


def pr_row(code, area, rev, tax, *, stage="in_production", developed=True, far=1.2, cov=0.5, holder=None, **kw):
    d = dict(parcel_code=code, zone_code="Z1", year=Y, area_mu=area, developed=developed, industrial=True, stage=stage,
             revenue_wan=rev, tax_wan=tax, revenue_per_mu=None if rev is None else rev / area,
             tax_per_mu=None if tax is None else tax / area, far=far, building_coverage=cov, holder_uscc=holder)
    d.update(kw)
    return d


def flags(pr_rows, parcel_rows, *, enterprises=None, idle=None, as_of=None, year=Y, policy=P):
    inputs = {"parcels": frame("parcels", parcel_rows)}
    if enterprises is not None:
        inputs["enterprises"] = frame("enterprises", enterprises)
    return flag_parcels(frame("parcel_results", pr_rows), inputs=inputs,
                        enterprise_results=inputs.get("enterprises"), idle=idle, policy=policy, year=year, as_of=as_of)


def rules_of(f, parcel):
    return set(f.loc[f["parcel_code"] == parcel, "rule"])


def one(f, parcel, rule):
    hit = f[(f["parcel_code"] == parcel) & (f["rule"] == rule)]
    assert len(hit) == 1, f[["parcel_code", "rule"]]
    return hit.iloc[0]


def test_registry_knows_every_kind_of_the_policy():
    assert set(KINDS) == set(typing.get_args(RuleKind))
    assert {r.kind for r in P.rules.rule} <= set(KINDS)


# ---------------------------------------------------------------------------------------------- 1


def test_new_parcels_get_the_grace_grading_gives():
    """Zone: P1 1000 万元 revenue, 50 tax on 10 mu; N1 and O1 (10 mu each) report zero.
    Zone 亩均营业收入 = 1000/30 = 33.3, half = 16.7; 亩均税收 50/30 = 1.67, a third = 0.56.

    N1 completed 2025-11-30, its firm started production 2025-12-01: before the fix it was 停产
    (severity 3, 10 mu "可腾退"), 亩均税收低 and 亩均营业收入低 while grading exempted the firm (投产不满2年).
    Now: within 12 months of completion → no 停产; within 2 years → no relative output flags.
    O1 completed 2024-06-30 (firm started 2024-07-01): 18 months of developed land → 停产, but still
    within the 2-year grace of the relative output rules (completed after 2023-12-31)."""
    pr = [pr_row("P1", 10, 1000.0, 50.0, holder="E1"),
          pr_row("N1", 10, 0.0, 0.0, holder="EN", stage="completed"),
          pr_row("O1", 10, 0.0, 0.0, holder="EO", stage="completed")]
    parcels = [dict(parcel_code="P1", zone_code="Z1", completion_date="2015-05-01"),
               dict(parcel_code="N1", zone_code="Z1", completion_date="2025-11-30"),
               dict(parcel_code="O1", zone_code="Z1", completion_date="2024-06-30")]
    ents = [dict(uscc="E1", production_start_date="2015-06-01"), dict(uscc="EN", production_start_date="2025-12-01"),
            dict(uscc="EO", production_start_date="2024-07-01")]
    f = flags(pr, parcels, enterprises=ents)
    assert rules_of(f, "N1") == set()
    assert rules_of(f, "O1") == {"production_stopped"}
    assert one(f, "O1", "production_stopped")["gain_mu"] == 10.0
    # the grace also runs from the start of production: an old parcel whose new firm started in
    # 2025-03 is not 停产 in 2025
    ents2 = [*ents[:2], dict(uscc="EO", production_start_date="2025-03-01")]
    assert rules_of(flags(pr, parcels, enterprises=ents2), "O1") == set()
    # after the grace: completed 2023-06-30 → every output rule applies
    parcels3 = [*parcels[:2], dict(parcel_code="O1", zone_code="Z1", completion_date="2023-06-30")]
    ents3 = [*ents[:2], dict(uscc="EO", production_start_date="2023-07-01")]
    assert rules_of(flags(pr, parcels3, enterprises=ents3), "O1") == {"production_stopped", "low_tax", "low_revenue"}


def test_grace_is_policy():
    rs = {r.code: r for r in P.rules.rule}
    assert rs["production_stopped"].grace_years == 1
    assert rs["low_tax"].grace_years == rs["low_revenue"].grace_years == P.standard_land.review_delay_years == 2
    assert P.grading.min_years_in_production == 2
    assert set(rs["low_tax"].grace_from) == {"completion", "production_start"}


# ---------------------------------------------------------------------------------------------- 2


def test_far_minimum_is_the_national_value_of_the_holders_industry():
    """国土资发〔2008〕24号 表2 by the holder's GB/T 4754-2017 code. Before the fix every parcel was held
    to 1.0: C1 (FAR 0.65, chemicals) and R1 (0.85, rubber) and N1 (0.62, nonferrous) were flagged.
    C1 chemicals C2614 → 26: 0.6, 0.65 passes; C2 0.55 < 0.6 flagged.
    N1 nonferrous C3211 → 2017 32 (2002 33): 0.6, 0.62 passes.
    D1 electronics C3971 → 2017 39 (2002 40): 1.0, 0.9 flagged.
    R1 rubber C2911 → 291: 0.8, 0.85 passes; K1 plastics C2927 → 292: 1.0, 0.9 flagged.
    U1 no holder: the policy's fallback 1.0, 0.9 flagged."""
    far = {"C1": 0.65, "C2": 0.55, "N1": 0.62, "D1": 0.9, "R1": 0.85, "K1": 0.9, "U1": 0.9}
    ind = {"C1": "C2614", "C2": "C2614", "N1": "C3211", "D1": "C3971", "R1": "C2911", "K1": "C2927"}
    pr = [pr_row(c, 10, 1000.0, 50.0, far=v, holder=f"E{c}" if c in ind else None) for c, v in far.items()]
    parcels = [dict(parcel_code=c, zone_code="Z1") for c in far]
    ents = [dict(uscc=f"E{c}", industry_code=v) for c, v in ind.items()]
    f = flags(pr, parcels, enterprises=ents)
    low = set(f.loc[f["rule"] == "low_far", "parcel_code"])
    assert low == {"C2", "D1", "K1", "U1"}
    assert one(f, "C2", "low_far")["evidence"] == "容积率 0.55 < 0.6"


def test_national_far_table_with_its_2017_remap():
    t = P.rules.get("low_far").by_industry
    # every manufacturing division of GB/T 4754-2017 but C43 (repair, which the 2008 table predates)
    assert {f"{d}" for d in range(13, 43)} <= set(t) and "43" not in t
    # the values of docs/domain.md §13, at their 2017 codes
    assert (t["25"], t["26"], t["27"], t["17"], t["39"]) == (0.5, 0.6, 0.7, 0.8, 1.0)
    assert t["31"] == t["32"] == 0.6  # 黑色 (2002 32) and 有色 (2002 33 → 2017 32)
    assert t["30"] == 0.7  # 非金属矿物 (2002 31)
    assert t["33"] == t["34"] == t["35"] == t["36"] == t["37"] == t["38"] == 0.7  # 金属制品, 机械类, 电气
    assert (t["291"], t["292"], t["29"]) == (0.8, 1.0, 0.8)  # 2002 橡胶 29 and 塑料 30 share 2017 29
    assert t["40"] == t["347"] == t["41"] == 1.0 and t["42"] == 0.7
    assert "国土资发〔2008〕24号" in P.rules.notes["low_far.by_industry"]


# ---------------------------------------------------------------------------------------------- 3


def test_building_coefficient_counts_structures_and_yards():
    """10 mu = 6 666.67 m². footprint 1 333.33 m² (20 %) + yards 1 000 m² (15 %) = 35 %."""
    area = pd.Series([10.0, 10.0])
    b = building_coefficient(area, pd.Series([mu(2), mu(2)]), pd.Series([1000.0, float("nan")]))
    assert b["building_coefficient"][0] == pytest.approx(0.35)
    assert list(b["basis"]) == ["coefficient", "density"]
    assert b["value"][1] == pytest.approx(0.20) and pd.isna(b["building_coefficient"][1])


def test_low_coverage_judges_the_coefficient_and_spares_yard_dependent_land():
    """Threshold 30 %. Before the fix every parcel was judged on footprint / area and S1 (steel),
    W1 (warehouse land) and S2 (steel with yards) were all flagged "建筑系数" below 30 %.
    S1 steel C3120, footprint 20 %, yard unknown → 建筑密度 says nothing: not judged.
    S2 steel, footprint 20 % + yards 15 % = 35 % → passes.
    W1 warehousing land 0604, footprint 10 %, yard unknown → not judged.
    M1 machinery C3411, footprint 25 %, yard unknown → flagged, labelled 建筑密度.
    M2 machinery, footprint 20 % + yards 5 % = 25 % → flagged, 建筑系数."""
    cov = {"S1": 0.20, "S2": 0.20, "W1": 0.10, "M1": 0.25, "M2": 0.20}
    ind = {"S1": "C3120", "S2": "C3120", "W1": "G5920", "M1": "C3411", "M2": "C3411"}
    pr = [pr_row(c, 10, 1000.0, 50.0, cov=v, holder=f"E{c}") for c, v in cov.items()]
    parcels = [dict(parcel_code="S1", zone_code="Z1", footprint_area_m2=mu(2)),
               dict(parcel_code="S2", zone_code="Z1", footprint_area_m2=mu(2), structures_yard_area_m2=1000.0),
               dict(parcel_code="W1", zone_code="Z1", footprint_area_m2=mu(1), land_use_code="0604"),
               dict(parcel_code="M1", zone_code="Z1", footprint_area_m2=mu(2.5)),
               dict(parcel_code="M2", zone_code="Z1", footprint_area_m2=mu(2), structures_yard_area_m2=mu(0.5))]
    ents = [dict(uscc=f"E{c}", industry_code=v) for c, v in ind.items()]
    ents[2]["industry_code"] = "C3411"  # W1 is spared by its land use, not its holder
    f = flags(pr, parcels, enterprises=ents)
    assert set(f.loc[f["rule"] == "low_coverage", "parcel_code"]) == {"M1", "M2"}
    assert one(f, "M1", "low_coverage")["evidence"] == "建筑密度 25% < 30%（仅建筑基底，缺构筑物、露天堆场和操作场地面积）"
    assert one(f, "M2", "low_coverage")["evidence"] == "建筑系数 25% < 30%（含构筑物、露天堆场和操作场地）"


def test_pipeline_fills_the_coefficient_and_keeps_the_density():
    """One 15-mu parcel (10 000 m²): footprint 2 500 m² → 建筑密度 25 %; yards 1 000 m² → 建筑系数 35 %."""
    inputs = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": 10000.0, "holder_uscc": "E1",
                  "supply_date": "2018-01-01", "completion_date": "2019-06-01", "floor_area_m2": 12000.0,
                  "footprint_area_m2": 2500.0, "structures_yard_area_m2": 1000.0}],
        enterprises=[{"uscc": "E1", "production_start_date": "2019-07-01"}],
        enterprise_years=[{"uscc": "E1", "year": y, "revenue_wan": 1000.0, "tax_wan": 50.0} for y in (2020, 2025)],
    )
    pr = run_year(inputs, year=2025, policy=P)["parcel_results"].set_index("parcel_code")
    assert pr.loc["P1", "building_coverage"] == pytest.approx(0.25)
    assert pr.loc["P1", "building_coefficient"] == pytest.approx(0.35)


# ---------------------------------------------------------------------------------------------- 4, 5


def _idle_parcels():
    return [
        # 4: supplied in 2019, no agreed start date, not started: cannot be assessed
        dict(parcel_code="A", zone_code="Z1", holder_uscc="EA", supply_date="2019-05-01", land_price_wan=500.0),
        # 4: started, halted since 2022, no developed area or investment figures
        dict(parcel_code="B", zone_code="Z1", holder_uscc="EB", supply_date="2020-01-01",
             agreed_start_date="2020-06-01", actual_start_date="2021-03-01", halted_since="2022-04-01"),
        # 5: agreed 2024-03-01, not started: idle since 2025-03-01, the fee falls due in 2025
        dict(parcel_code="F", zone_code="Z1", holder_uscc="EF", supply_date="2024-01-01",
             agreed_start_date="2024-03-01", land_price_wan=500.0),
        # 5: agreed 2023-09-01: idle since 2024-09-01 (fee due then), take-back from 2025-09-01
        dict(parcel_code="C", zone_code="Z1", holder_uscc="EC", supply_date="2023-01-01",
             agreed_start_date="2023-09-01", land_price_wan=300.0),
        # 5: government cause or force majeure (Art. 8)
        dict(parcel_code="G", zone_code="Z1", holder_uscc="EG", supply_date="2022-01-01",
             agreed_start_date="2022-06-01", government_delay=True, land_price_wan=400.0),
        # 5: started 2021, halted 2022-03-01 at 10 % developed: idle since 2023-03-01, 2 years 2024-03-01
        dict(parcel_code="H", zone_code="Z1", holder_uscc="EH", registered_area_m2=mu(10), supply_date="2020-01-01",
             agreed_start_date="2020-06-01", actual_start_date="2021-01-01", halted_since="2022-03-01",
             developed_area_m2=mu(1), land_price_wan=800.0),
    ]


def _idle_pr():
    stage = {"A": "supplied", "B": "started", "F": "idle", "C": "idle", "G": "idle", "H": "idle"}
    return [pr_row(c, 10, None, None, stage=s, developed=False, far=None, cov=None) for c, s in stage.items()]


def test_idle_land_that_cannot_be_assessed_is_flagged_with_what_is_missing():
    """Before the fix A and B gave no flag at all."""
    f = flags(_idle_pr(), _idle_parcels())
    a = one(f, "A", "idle_data_missing")
    assert a["label"] == "闲置认定数据不全" and a["severity"] == 1 and "补录" in a["action"]
    assert a["evidence"] == "供地日期2019-05-01，未动工，缺少约定动工日期，无法认定是否闲置"
    b = one(f, "B", "idle_data_missing")
    assert b["evidence"] == "自2022-04-01中止开发建设已满1年，但缺少已开发面积、已完成投资、计划总投资，无法认定是否闲置"
    assert rules_of(f, "A") == {"idle_data_missing"} and pd.isna(a["gain_mu"])


def test_idle_fee_once_exempt_frees_nothing_halted_take_back_needs_legal_review():
    """As of 2025-06-30 (year 2025).
    F: idle since 2025-03-01: the fee 20 % × 500 = 100 万元 falls due this year.
    C: idle since 2024-09-01: the fee fell due in 2024 — before the fix it was announced again
       every year; now the action follows the disposal. Take-back from 2025-09-01: not yet.
    G: government cause: gain 0 mu (before: the parcel's 10 mu as if freed).
    H: halted 2 years (2024-03-01): before "可无偿收回"; now a legal review (Art. 26 of the Urban
       Real Estate Law speaks of land not started)."""
    f = flags(_idle_pr(), _idle_parcels(), as_of="2025-06-30")
    fee = one(f, "F", "idle")
    assert fee["action"] == "征收土地闲置费（一次性），限期动工开发（闲置费 100.0 万元）"
    assert "应按土地价款的20%征缴土地闲置费(100.00万元)(一次性)" in fee["evidence"] and fee["gain_mu"] == 10.0
    c = one(f, "C", "idle")
    assert c["action"].startswith("闲置费已于认定当年应征（一次性，不重复征收）")
    assert "土地闲置费已于2024-09-01应征" in c["evidence"] and "万元)" not in c["evidence"]
    g = one(f, "G", "idle")
    assert g["gain_mu"] == 0.0 and g["severity"] == 2 and "不可抗力" in g["action"]
    h = one(f, "H", "idle")
    assert h["severity"] == 5 and "法律审核" in h["action"] and "无偿收回须经法律审核" in h["evidence"]
    assert "可无偿收回" not in h["evidence"]
    # not started two years (C at the year end, 2025-12-31): 依法无偿收回 stays
    c2 = one(flags(_idle_pr(), _idle_parcels()), "C", "idle")
    assert c2["action"] == "未动工开发满两年，依法无偿收回土地使用权"


# ---------------------------------------------------------------------------------------------- 6


def test_flagged_share_counts_findings_not_evidence():
    """Zone Z1: P1 developed (30 mu), A supplied 2019 with no agreed start (10 mu): only an
    "idle data incomplete" flag, which is evidence to complete, not inefficient land.
    Before: flagged share 10/40 = 25 %; now 0 %."""
    inputs = make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA1"}],
        parcels=[{"parcel_code": "P1", "zone_code": "Z1", "registered_area_m2": mu(30), "holder_uscc": "E1",
                  "supply_date": "2015-01-01", "completion_date": "2016-06-01", "floor_area_m2": mu(30) * 1.2,
                  "footprint_area_m2": mu(30) * 0.5},
                 {"parcel_code": "A", "zone_code": "Z1", "registered_area_m2": mu(10), "holder_uscc": "E2",
                  "supply_date": "2019-05-01"}],
        enterprises=[{"uscc": "E1", "production_start_date": "2016-07-01"}, {"uscc": "E2"}],
        enterprise_years=[{"uscc": "E1", "year": y, "revenue_wan": 3000.0, "tax_wan": 150.0} for y in (2020, 2025)],
    )
    res = run_year(inputs, year=2025, policy=P)
    assert set(res["flags"]["rule"]) == {"idle_data_missing"}
    assert res["zone_results"].set_index("zone_code").loc["Z1", "flagged_share"] == 0.0
    assert not P.rules.get("rs_mismatch").finding and not P.rules.get("idle_data_missing").finding


# ---------------------------------------------------------------------------------------------- 7


def _sl(year):
    parcels = frame("parcels", [
        # completed 2023-05-01; own investment 3 500 万元 on 10 mu = 350 ≥ 300 committed
        dict(parcel_code="S1", zone_code="Z1", standard_land=True, registered_area_m2=mu(10),
             completion_date="2023-05-01", commit_investment_wan_per_mu=300.0, invested_wan=3500.0),
        # completed 2025-03-01; own investment 2 500 on 10 mu = 250 < 300: shortfall 1/6 = 16.7 %
        dict(parcel_code="S2", zone_code="Z1", standard_land=True, registered_area_m2=mu(10),
             completion_date="2025-03-01", commit_investment_wan_per_mu=300.0, invested_wan=2500.0),
    ])
    # the firm's cumulative investment spread over all its land: 200 万元/亩 on both parcels
    pr = frame("parcel_results", [pr_row(c, 10, 3000.0, 150.0, year=year, investment_per_mu=200.0) for c in ("S1", "S2")])
    return parcels, pr


def test_acceptance_is_a_one_off_check_on_the_parcels_own_investment():
    """Before the fix S1 failed its acceptance every year on the firm's spread investment (200 < 300)
    and would flag 标准地承诺未兑现 in 2025; now it passed at completion (350 ≥ 300) and 2025 carries
    the record. S2 fails in its completion year 2025 (250 < 300, 16.7 %) and is flagged then, and in
    2026 the failure is a record, not a new finding."""
    parcels, pr = _sl(2023)
    c = standard_land_checks(parcels, pr, year=2023, policy=P)
    s1 = c[(c["parcel_code"] == "S1") & (c["check"] == "investment")].iloc[0]
    assert s1["status"] == "passed" and not s1["recorded"] and s1["actual"] == pytest.approx(350.0)
    parcels, pr = _sl(2025)
    c = standard_land_checks(parcels, pr, year=2025, policy=P)
    s1 = c[(c["parcel_code"] == "S1") & (c["check"] == "investment")].iloc[0]
    s2 = c[(c["parcel_code"] == "S2") & (c["check"] == "investment")].iloc[0]
    assert s1["status"] == "passed" and s1["recorded"]
    assert s2["status"] == "failed" and not s2["recorded"] and s2["shortfall"] == pytest.approx(1 / 6)
    inputs = {"parcels": parcels}
    f = flag_parcels(pr, inputs=inputs, enterprise_results=None, idle=None, policy=P, year=2025)
    assert set(f.loc[f["rule"] == "standard_land_breach", "parcel_code"]) == {"S2"}
    assert one(f, "S2", "standard_land_breach")["evidence"] == "投资强度 250.0 < 承诺 300.0（差 16.7%）"
    pr26 = pr.assign(year=pd.array([2026] * len(pr), dtype="Int64"))
    f26 = flag_parcels(pr26, inputs=inputs, enterprise_results=None, idle=None, policy=P, year=2026)
    assert "standard_land_breach" not in set(f26["rule"])
    c26 = standard_land_checks(parcels, pr26, year=2026, policy=P)
    assert c26.loc[(c26["parcel_code"] == "S2") & (c26["check"] == "investment"), "recorded"].item()


def test_acceptance_without_the_parcels_investment_cannot_be_judged():
    parcels, pr = _sl(2025)
    parcels.loc[parcels["parcel_code"] == "S2", "invested_wan"] = float("nan")
    c = standard_land_checks(parcels, pr, year=2025, policy=P)
    s2 = c[(c["parcel_code"] == "S2") & (c["check"] == "investment")].iloc[0]
    assert s2["status"] == "due" and s2["evidence"] == "投资强度：已到期，缺宗地已完成投资，无法判定"
