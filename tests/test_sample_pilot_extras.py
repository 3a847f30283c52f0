"""The pilot-area columns the rules/quota review needs from the sample generator
(parcels/sample/pilot_areas.py) and the new contract columns."""

from __future__ import annotations

import pandas as pd
import pytest

from landuse.core.contract import PARCELS, PILOT_AREA_YEARS, alias_map
from parcels.sample.pilot_areas import pilot_area_years_extras


def _pay():
    rows = []
    for code, a in (("360700", 500.0), ("361123", 200.0)):
        for y in range(2020, 2026):
            rows.append({"pilot_area_code": code, "year": y, "approved_unsupplied_mu": a * (1 - 0.08 * (y - 2020)) / 0.6})
    for y in range(2020, 2026):
        rows.append({"pilot_area_code": "PROVINCE", "year": y, "approved_unsupplied_mu": 9999.0})
    return pd.DataFrame(rows)


def test_extras_add_supply_and_the_provincial_share_only():
    pay = _pay()
    out = pilot_area_years_extras(pay)
    pd.testing.assert_frame_equal(out[pay.columns], pay)  # nothing else changes
    assert out is not pay and list(pay.columns) == ["pilot_area_code", "year", "approved_unsupplied_mu"]
    prov = out[out["pilot_area_code"] == "PROVINCE"].set_index("year")
    assert prov.loc[2020, "rd_institution_share"] == pytest.approx(0.30)
    assert prov.loc[2025, "rd_institution_share"] == pytest.approx(0.35)
    assert out.loc[out["pilot_area_code"] != "PROVINCE", "rd_institution_share"].isna().all()
    # 2025 absorption period: approved 2025 / mean supply 2023–2025, between 0.6 and 3.6 years
    for code, g in out[out["pilot_area_code"] != "PROVINCE"].groupby("pilot_area_code"):
        g = g.set_index("year")
        years = g.loc[2025, "approved_unsupplied_mu"] / g.loc[2023:2025, "land_supplied_mu"].mean()
        assert 0.55 < years < 3.7, code
    assert pilot_area_years_extras(pay).equals(out)  # deterministic


def test_new_contract_columns_with_labels_and_aliases():
    assert PARCELS.names[-1] == "geodesic_area_m2"
    assert {"structures_yard_area_m2", "agreed_completion_date"} <= set(PARCELS.names)
    assert PARCELS.col("structures_yard_area_m2").zh == "构筑物、露天堆场和操作场地面积(平方米)"
    assert PARCELS.col("agreed_completion_date").zh == "约定竣工日期"
    assert alias_map("parcels")["约定竣工日期"] == "agreed_completion_date"
    assert alias_map("parcels")["不可抗力"] == "government_delay"
    assert PILOT_AREA_YEARS.names[-2:] == ["land_supplied_mu", "rd_institution_share"]
