"""Standard-land life-cycle checks (evaluation.standard_land), by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.standard_land import CHECK_COLUMNS, standard_land_checks
from landuse.core.policy import default_policy
from tests.evalkit import frame, mu

P = default_policy()
Y = 2024


def inputs():
    parcels = frame(
        "parcels",
        [
            dict(
                parcel_code="S1",
                zone_code="Z1",
                standard_land=True,
                registered_area_m2=mu(30),
                completion_date="2022-03-31",
                commit_investment_wan_per_mu=300.0,
                commit_far=1.2,
                commit_tax_wan_per_mu=25.0,
                commit_revenue_wan_per_mu=300.0,
                office_area_m2=mu(30) * 0.08,
                invested_wan=8400.0,  # the parcel's own investment: 8400 / 30 mu = 280 万元/亩
            ),
            dict(
                parcel_code="S2",
                zone_code="Z1",
                standard_land=True,
                registered_area_m2=mu(10),
                completion_date="2023-06-30",
                commit_investment_wan_per_mu=300.0,
                office_area_m2=mu(10) * 0.05,
                invested_wan=3200.0,  # 320 万元/亩
            ),
            dict(parcel_code="S3", zone_code="Z1", standard_land=True, registered_area_m2=mu(10)),
            dict(
                parcel_code="N1",
                zone_code="Z1",
                standard_land=False,
                registered_area_m2=mu(10),
                completion_date="2015-01-01",
                commit_tax_wan_per_mu=99.0,
            ),
        ],
    )
    pr = frame(
        "parcel_results",
        [
            dict(
                parcel_code="S1",
                zone_code="Z1",
                year=Y,
                area_mu=30.0,
                investment_per_mu=280.0,
                far=1.3,
                building_coverage=0.35,
                tax_per_mu=20.0,
                revenue_per_mu=150.0,
            ),
            dict(
                parcel_code="S2",
                zone_code="Z1",
                year=Y,
                area_mu=10.0,
                investment_per_mu=320.0,
                far=0.9,
                building_coverage=0.25,
                tax_per_mu=1.0,
                revenue_per_mu=10.0,
            ),
            dict(parcel_code="S3", zone_code="Z1", year=Y, area_mu=10.0),
            dict(parcel_code="N1", zone_code="Z1", year=Y, area_mu=10.0, tax_per_mu=1.0),
        ],
    )
    return parcels, pr


def get(df, parcel, check):
    r = df[(df["parcel_code"] == parcel) & (df["check"] == check)]
    assert len(r) == 1
    return r.iloc[0]


def test_one_row_per_parcel_and_check():
    parcels, pr = inputs()
    c = standard_land_checks(parcels, pr, year=Y, as_of=None, policy=P)
    assert list(c.columns) == CHECK_COLUMNS
    assert set(c["parcel_code"]) == {"S1", "S2", "S3"}  # N1 is not standard land
    assert len(c) == 3 * len(P.standard_land.check)


def test_acceptance_and_review_results_with_bands():
    parcels, pr = inputs()
    c = standard_land_checks(parcels, pr, year=Y, as_of="2024-12-31", policy=P)
    inv = get(c, "S1", "investment")  # 280 vs 300: shortfall 1/15 = 6.7 % → < 10 % deadline
    assert inv["status"] == "failed" and inv["shortfall"] == pytest.approx(20 / 300)
    assert inv["consequence"] == "限期整改"
    # completed 2022-03-31: the acceptance was judged then; 2024 carries the record
    assert inv["recorded"] and inv["evidence"] == "投资强度 280.0 < 承诺 300.0（差 6.7%）（2022-03-31竣工验收记录）"
    far = get(c, "S1", "far")
    assert far["status"] == "passed" and far["shortfall"] == 0 and far["consequence"] is None
    assert far["evidence"] == "容积率 1.3 ≥ 承诺 1.2（2022-03-31竣工验收记录）"
    assert get(c, "S1", "coverage")["status"] == "passed"
    off = get(c, "S1", "office_share")  # 8 % > 7 %: shortfall 1/7 = 14.3 % → penalty band
    assert off["status"] == "failed" and off["actual"] == pytest.approx(0.08)
    assert off["shortfall"] == pytest.approx(1 / 7) and off["consequence"] == "按差额比例承担违约责任"
    assert off["evidence"] == "行政办公及生活服务设施用地比例 8% > 要求 7%（差 14.3%）（2022-03-31竣工验收记录）"
    tax = get(c, "S1", "tax")  # review due 2024-03-31; 20 vs 25 → 20 %
    assert tax["due_date"] == pd.Timestamp("2024-03-31")
    assert tax["status"] == "failed" and tax["shortfall"] == pytest.approx(0.2) and not tax["recorded"]
    assert tax["consequence"] == "按差额比例承担违约责任"
    rev = get(c, "S1", "revenue")  # 150 vs 300 → 50 % ≥ 30 %
    assert rev["consequence"] == "取消优惠政策，依约回购土地使用权"


def test_not_due_and_due_without_data():
    parcels, pr = inputs()
    c = standard_land_checks(parcels, pr, year=Y, as_of="2024-12-31", policy=P)
    assert get(c, "S2", "tax")["status"] == "not_due"  # review due 2025-06-30
    assert get(c, "S2", "investment")["status"] == "passed"
    far = get(c, "S2", "far")  # accepted, but no committed FAR
    assert far["status"] == "due" and np.isnan(far["shortfall"])
    assert far["evidence"] == "容积率：已到期，缺承诺值，无法判定"
    assert get(c, "S2", "coverage")["status"] == "failed"
    assert (c.loc[c["parcel_code"] == "S3", "status"] == "not_due").all()  # never completed


@pytest.mark.parametrize("as_of,status", [("2024-03-30", "not_due"), ("2024-03-31", "failed")])
def test_review_due_date_boundary(as_of, status):
    parcels, pr = inputs()
    c = standard_land_checks(parcels, pr, year=Y, as_of=as_of, policy=P)
    assert get(c, "S1", "tax")["status"] == status


def test_review_delay_from_policy():
    parcels, pr = inputs()
    pol = P.model_copy(update={"standard_land": P.standard_land.model_copy(update={"review_delay_years": 3})})
    c = standard_land_checks(parcels, pr, year=Y, as_of="2024-12-31", policy=pol)
    assert get(c, "S1", "tax")["status"] == "not_due"
    assert get(c, "S1", "tax")["due_date"] == pd.Timestamp("2025-03-31")


def test_band_edges():
    """shortfall exactly 10 % falls in the second band (bands are 'below' the edge)."""
    parcels, pr = inputs()
    pr.loc[pr["parcel_code"] == "S1", "tax_per_mu"] = 22.5  # (25 − 22.5)/25 = 0.1
    c = standard_land_checks(parcels, pr, year=Y, as_of="2024-12-31", policy=P)
    assert get(c, "S1", "tax")["consequence"] == "按差额比例承担违约责任"
    pr.loc[pr["parcel_code"] == "S1", "tax_per_mu"] = 25.0
    c = standard_land_checks(parcels, pr, year=Y, as_of="2024-12-31", policy=P)
    assert get(c, "S1", "tax")["status"] == "passed"


def test_no_standard_land():
    parcels, pr = inputs()
    c = standard_land_checks(parcels[parcels["parcel_code"] == "N1"], pr, year=Y, as_of=None, policy=P)
    assert c.empty and list(c.columns) == CHECK_COLUMNS


def test_policy_notes_cover_numbers():
    n = P.standard_land.notes
    assert "review_delay_years" in n
    for c in P.standard_land.check:
        if c.limit is not None:
            assert f"{c.code}.limit" in n
    for i, b in enumerate(P.standard_land.band):
        if b.below is not None:
            assert f"band.{i}.below" in n
