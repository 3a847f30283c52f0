"""Three zones worked out on paper: intensive-use score → composite score → quota.

Default policy throughout. 1 亩 = 2000/3 m², so 300 000 m² = 450 亩, 500 000 m² = 750 亩.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.intensive import intensive_use
from evaluation.quota import allocate_quota
from evaluation.scoring import composite_score
from landuse.core.policy import default_policy
from landuse.core.units import M2_PER_MU

P = default_policy()
NAN = np.nan

# Z1: zone columns given (工业主导型). Z2: everything derived from parcels. Z3: 产城融合型.
ZONES = pd.DataFrame(
    {
        "zone_code": ["Z1", "Z2", "Z3"],
        "zone_name": ["一区", "二区", "三区"],
        "pilot_area_code": ["PA1", "PA1", "PA2"],
        "geodesic_area_m2": [1_000_000.0, 600_000.0, 500_000.0],
        "ready_to_supply_m2": [900_000.0, NAN, 400_000.0],
        "built_land_m2": [600_000.0, NAN, 300_000.0],
        "residential_land_m2": [60_000.0, NAN, 120_000.0],
        "total_floor_area_m2": [720_000.0, NAN, 300_000.0],
        "total_footprint_m2": [240_000.0, NAN, 90_000.0],
        "total_tax_wan": [NAN, NAN, 9_000.0],
        "population": [NAN, NAN, 3_000.0],
    }
)

#        code  zone  area m²   stage            ind.   floor m²  footprint  tax 万元  investment 万元
ROWS = [
    ("P1", "Z1", 300_000, "in_production", True, 360_000, 150_000, 20_000, 300_000),
    ("P2", "Z1", 200_000, "completed", True, 200_000, 80_000, 10_000, 150_000),
    ("P3", "Z1", 100_000, "idle", True, NAN, NAN, NAN, NAN),
    ("P4", "Z1", 100_000, "unsupplied", True, NAN, NAN, NAN, NAN),
    ("Q1", "Z2", 200_000, "in_production", True, 200_000, 100_000, 15_000, 150_000),
    ("Q2", "Z2", 100_000, "supplied", True, NAN, NAN, NAN, NAN),
    ("R1", "Z3", 60_000, "in_production", True, 60_000, 30_000, 3_000, 30_000),
    ("R2", "Z3", 40_000, "started", True, NAN, NAN, NAN, NAN),
]
PARCELS = pd.DataFrame(
    {
        "parcel_code": [r[0] for r in ROWS],
        "zone_code": [r[1] for r in ROWS],
        "registered_area_m2": [float(r[2]) for r in ROWS],
        "floor_area_m2": [float(r[5]) for r in ROWS],
        "footprint_area_m2": [float(r[6]) for r in ROWS],
    }
)
PARCEL_RESULTS = pd.DataFrame(
    {
        "parcel_code": [r[0] for r in ROWS],
        "zone_code": [r[1] for r in ROWS],
        "year": 2025,
        "area_mu": [r[2] / M2_PER_MU for r in ROWS],
        "stage": [r[3] for r in ROWS],
        "industrial": pd.array([r[4] for r in ROWS], dtype="boolean"),
        "tax_wan": [float(r[7]) for r in ROWS],
        "investment_wan": [float(r[8]) for r in ROWS],
    }
)
FLAGS = pd.DataFrame({"parcel_code": ["P3"], "year": [2025], "rule": ["idle"]})


def test_intensive_use_by_hand():
    r = intensive_use(ZONES, PARCELS, PARCEL_RESULTS, FLAGS, policy=P)
    z1, z2, z3 = r.loc["Z1"], r.loc["Z2"], r.loc["Z3"]
    # --- Z1 (zone columns) ------------------------------------------------------------------
    # development 900k/1000k = 0.9; supplied = P1+P2+P3 = 600k → supply 600/900 = 0.6667;
    # built 600k (zone) / supplied 600k = 1.0; industrial built P1+P2 = 500k / 600k = 0.8333;
    # residential 60/600 = 0.10 → 工业主导型. FAR 720/600 = 1.2; density 240/600 = 0.4;
    # industrial FAR (360+200)/500 = 1.12; coverage (150+80)/500 = 0.46;
    # 500k m² = 750 亩: investment 450 000/750 = 600, tax 30 000/750 = 40 万元/亩;
    # idle P3 100k / supplied 600k = 0.1667.
    assert z1.zone_type == "industrial"
    assert z1.development_rate == pytest.approx(0.9)
    assert z1.supply_rate == pytest.approx(2 / 3)
    assert z1.built_rate == pytest.approx(1.0)
    assert z1.industrial_share == pytest.approx(5 / 6)
    assert z1.far_overall == pytest.approx(1.2)
    assert z1.coverage_overall == pytest.approx(0.4)
    assert z1.far_industrial == pytest.approx(1.12)
    assert z1.coverage_industrial == pytest.approx(0.46)
    assert z1.investment_intensity == pytest.approx(600.0)
    assert z1.tax_per_industrial_mu == pytest.approx(40.0)
    assert z1.idle_rate == pytest.approx(1 / 6)
    # scores: land_use = .15(0.9 + 0.6667 + 1 + min(0.8333/0.5,1)=1) + .10(1.2/1.2 + .4/.4 + 1.12/1.2 + .46/.5)
    #                  = .15·3.56667 + .10·(1 + 1 + 0.93333 + 0.92) = 0.535 + 0.385333 = 0.920333
    # efficiency = .5·600/600 + .5·40/45 = 0.5 + 0.444444 = 0.944444
    # management = idle: 0.02 / 0.16667 = 0.12
    # score = 100(.45·0.920333 + .40·0.944444 + .15·0.12) = 100(0.41415 + 0.377778 + 0.018) = 80.9928
    assert z1.intensive_land_use == pytest.approx(92.0333, abs=1e-3)
    assert z1.intensive_efficiency == pytest.approx(94.4444, abs=1e-3)
    assert z1.intensive_management == pytest.approx(12.0, abs=1e-6)
    assert z1.intensive_score == pytest.approx(80.9928, abs=1e-3)
    # --- Z2 (derived from parcels) ----------------------------------------------------------
    # ready = all parcels 300k → development 300/600 = 0.5; supplied 300k → supply 1.0;
    # built = Q1 200k → built rate 0.6667; industrial share 1.0; residential unknown → 工业主导型;
    # FAR 200/200 = 1.0, density 100/200 = 0.5 (both overall and industrial);
    # 200k m² = 300 亩: investment 150 000/300 = 500, tax 15 000/300 = 50; idle 0.
    # land_use = .15(0.5 + 1 + 0.6667 + 1) + .10(0.8333 + 1 + 0.8333 + 1) = 0.475 + 0.366667 = 0.841667
    # efficiency = .5·500/600 + .5·min(50/45, 1) = 0.416667 + 0.5 = 0.916667; management 1
    # score = 100(.45·0.841667 + .40·0.916667 + .15) = 100(0.37875 + 0.366667 + 0.15) = 89.5417
    assert z2.zone_type == "industrial"
    assert z2.development_rate == pytest.approx(0.5)
    assert z2.built_rate == pytest.approx(2 / 3)
    assert z2.far_overall == pytest.approx(1.0)
    assert z2.investment_intensity == pytest.approx(500.0)
    assert z2.idle_rate == 0.0
    assert z2.intensive_score == pytest.approx(89.5417, abs=1e-3)
    assert "ready_to_supply←parcels" in z2.intensive_sources
    # --- Z3 (产城融合型) ----------------------------------------------------------------------
    # development 400/500 = 0.8; supplied R1+R2 = 100k → supply 0.25; built 300k/100k = 3.0 (zone
    # column covers all land uses; scores 1); industrial share 60/300 = 0.2 → mixed (also
    # residential 0.4 ≥ 0.25). FAR 300/300 = 1.0; density 90/300 = 0.3; industrial FAR 1.0, cov 0.5.
    # land_use = .15(0.8 + 0.25 + 1 + 0.2/0.5) + .10(1/1.2 + 0.3/0.4 + 1/1.2 + 1)
    #          = .15·2.45 + .10·3.416667 = 0.3675 + 0.341667 = 0.709167
    # efficiency (mixed): 综合地均税收 9000/450 亩 = 20 → 20/30 = 0.666667;
    #   人口密度 3000/0.3 km² = 10 000 → 1; → 0.833333. management 1.
    # score = 100(.45·0.709167 + .40·0.833333 + .15) = 100(0.319125 + 0.333333 + 0.15) = 80.2458
    assert z3.zone_type == "mixed"
    assert z3.built_rate == pytest.approx(3.0)
    assert z3.tax_per_built_mu == pytest.approx(20.0)
    assert z3.population_density == pytest.approx(10_000.0)
    assert not np.isnan(z3.investment_intensity)  # computed, but not used for a mixed zone
    assert z3.intensive_score == pytest.approx(80.2458, abs=1e-3)
    # ranks within type: industrial Z2 89.54 → 1, Z1 80.99 → 2; mixed Z3 → 1
    assert list(r.intensive_rank) == [2, 1, 1]


def _zone_results():
    scores = intensive_use(ZONES, PARCELS, PARCEL_RESULTS, FLAGS, policy=P)["intensive_score"]
    return pd.DataFrame(
        {
            "zone_code": ["Z1", "Z2", "Z3"],
            "pilot_area_code": ["PA1", "PA1", "PA2"],
            "year": 2025,
            "intensive_score": scores.to_numpy(),
            "growth": [0.20, 0.035, -0.08],
            "occupancy_rate": [0.72, 0.80, NAN],
            "flagged_share": [0.10, 0.0, 0.30],
        }
    )


PILOT = pd.DataFrame({"target_attainment": [0.8, 0.6]}, index=pd.Index(["PA1", "PA2"], name="pilot_area_code"))


def test_composite_by_hand():
    prev = pd.Series({"Z1": 1, "Z2": 2, "Z3": 3})
    cs = composite_score(_zone_results(), policy=P, pilot_targets=PILOT, previous_ranks=prev)
    t = cs.table
    # expert weights: intensive .25, growth .30, occupancy .15, pilot targets .15, unflagged .15
    # growth attainment = growth / 0.15 (the 2025 target), clipped to [0, 1]
    # Z1: intensive 0.809928; growth 0.20/0.15 = 1.333 → 1; occupancy 0.72/0.80 = 0.9;
    #     pilot PA1 0.8; unflagged 0.9
    #     100(.25·0.809928 + .30 + .15·0.9 + .15·0.8 + .15·0.9) = 100(0.202482 + 0.3 + 0.135 + 0.12 + 0.135) = 89.2482
    # Z2: 0.895417; 0.035/0.15 = 0.2333; 0.8/0.8 = 1; 0.8; 1
    #     100(0.223854 + 0.07 + 0.15 + 0.12 + 0.15) = 71.3854   (was 91.3854 with (1+g)/1.15 = 0.9)
    # Z3: 0.802458; −0.08/0.15 → 0; occupancy: no data → 0 points (weights NOT renormalised);
    #     pilot PA2 0.6; unflagged 0.7
    #     100(0.200615 + 0 + 0 + 0.09 + 0.105) = 39.5615   (was 74.7782 renormalised over 0.85)
    assert t.loc["Z1", "score"] == pytest.approx(89.2482, abs=1e-3)
    assert t.loc["Z2", "score"] == pytest.approx(71.3854, abs=1e-3)
    assert t.loc["Z3", "score"] == pytest.approx(39.5615, abs=1e-3)
    assert t.loc["Z3", "score_missing"] == "occupancy" and not t["rank_provisional"].any()
    assert list(t["rank"]) == [1, 2, 3]
    # previous ranks 1, 2, 3 → change = previous − now = 0, 0, 0
    assert list(t["rank_change"]) == [0, 0, 0]
    assert cs.method == "expert"
    assert cs.weights.sum() == pytest.approx(1.0)


def test_quota_by_hand():
    # scores as shown in the report (one decimal): 89.2, 91.4, 74.8; mean = 255.4/3 = 85.1333
    # linear factor, slope 1: f1 = 89.2/85.1333 = 1.0478, f2 = 91.4/85.1333 = 1.0736
    # demand (base): 914, 892, 500 亩 → shares 914/2306 = 39.6 %, 892/2306 = 38.7 %, 21.7 %
    # Z3: 批而未供 400 亩 / 100 亩 a year = 4 years > 3 → no quota.
    # own results: weights 914·89.2 = 892·91.4 (81 528.8 each): equal → raw 1001/2 = 500.5 each;
    # largest remainder: one mu left, remainders tie at 0.5 → the higher score (Z2) gets it: 500, 501.
    # Z1 and Z2 both completed both disposal tasks: +10 % of their own result from the reserve:
    # 500 × 0.1 = 50, 501 × 0.1 = 50.1 → 50: quotas 550, 551; Σ = 1101 = 1001 + 100 − 0.
    units = pd.DataFrame(
        {
            "score": [89.2, 91.4, 74.8],
            "base": [914.0, 892.0, 500.0],
            "approved_unsupplied_mu": [100.0, 50.0, 400.0],
            "annual_absorption_mu": [80.0, 60.0, 100.0],
            "idle_disposal_done": pd.array([True, True, True], dtype="boolean"),
            "unsupplied_disposal_done": pd.array([True, True, False], dtype="boolean"),
            "last_rank_streak": [0, 0, 1],
        },
        index=pd.Index(["Z1", "Z2", "Z3"], name="zone_code"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = allocate_quota(units, total_mu=1001, policy=P)
    assert list(q.eligible) == [True, True, False]
    assert q.loc["Z3", "blocked_reason"] == "absorption"
    assert q.loc["Z3", "absorption_years"] == pytest.approx(4.0)
    assert q.loc["Z1", "factor"] == pytest.approx(89.2 / (255.4 / 3))
    assert list(q.linkage_adj) == pytest.approx([0.10, 0.10, -0.20])
    assert q.loc["Z1", "raw_mu"] == pytest.approx(500.5)
    assert q.loc["Z2", "raw_mu"] == pytest.approx(500.5)
    assert list(q.own_mu) == [500, 501, 0] and list(q.linkage_mu) == [50, 50, 0]
    assert list(q.quota_mu) == [550, 551, 0]
    assert q.attrs["bonus_mu"] == 100 and q.attrs["penalty_mu"] == 0
    assert q.quota_explanation["Z2"] == (
        "基础份额 38.7%，得分 91.4 高于平均（85.1），系数 1.07；"
        "本单位测算 500.50 亩，按最大余额法取整得 501 亩（余数 0.50 进位）；"
        "增存挂钩任务均完成，在本单位测算结果上 +10%，由预留指标另行安排 +50 亩；合计 551 亩。"
    )
    assert "与进位单位相同" in q.quota_explanation["Z1"]
    assert q.quota_explanation["Z3"] == (
        "批而未供土地 400 亩、近年年均供地 100 亩，消化周期 4.0 年，超过 3 年，不安排新增指标；0 亩。")
    assert (q.note == P.quota.note).all()
