"""Properties of the evaluation (hypothesis): conservation, invariance to splitting and row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

try:
    from tests.evalkit import make_inputs, mu
except ImportError:  # pragma: no cover
    from evalkit import make_inputs

from tests.evalkit import run_year as evaluate_year
from landuse.core.policy import default_policy

POLICY = default_policy()
MERGE = POLICY.model_copy(update={"allocation": POLICY.allocation.model_copy(update={"method": "merge_tenants"})})
YEAR = 2025
ENTS = [f"E{i}" for i in range(7)]
DATES = [None, "2015-01-01", "2019-06-30", "2020-12-31", "2023-04-01", "2025-06-30", "2025-12-31", "2026-03-01"]

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw, *, building_leases: bool = True, changes: bool = False):
    n = draw(st.integers(1, 7))
    parcels = []
    rights = []
    for i in range(n):
        if changes and draw(st.booleans()):
            # a register of rights: up to three holders (or the reserve) one after the other
            cuts = sorted(set(draw(st.lists(st.sampled_from(["2016-01-01", "2020-07-01", "2024-03-15", "2025-05-01",
                                                                "2025-11-20"]), min_size=1, max_size=3))))
            for k, start in enumerate(cuts):
                rights.append({"parcel_code": f"P{i}", "valid_from": start,
                               "valid_to": cuts[k + 1] if k + 1 < len(cuts) else None,
                               "holder_uscc": draw(st.one_of(st.none(), st.sampled_from(ENTS[:-1])))})
        parcels.append(
            {
                "in_zone_from": draw(st.sampled_from([None, None, "2019-01-01", "2025-03-01", "2026-01-01"])) if changes else None,
                "parcel_code": f"P{i}",
                "zone_code": draw(st.sampled_from(["Z1", "Z2", "Z3"])),
                "registered_area_m2": draw(st.one_of(st.none(), st.floats(100, 1e5))),
                "geodesic_area_m2": draw(st.floats(100, 1e5)),
                "holder_uscc": draw(st.one_of(st.none(), st.sampled_from(ENTS))),
                "supply_date": draw(st.sampled_from(DATES)),
                "completion_date": draw(st.sampled_from(DATES)),
                "floor_area_m2": draw(st.one_of(st.none(), st.floats(0, 2e5))),
                "footprint_area_m2": draw(st.one_of(st.none(), st.floats(0, 5e4))),
                "land_use_code": draw(st.sampled_from(["0601", "0604", "0701"])),
            }
        )
    buildings = []
    if building_leases:
        for j in range(draw(st.integers(0, 4))):
            buildings.append(
                {
                    "building_code": f"B{j}",
                    "parcel_code": f"P{draw(st.integers(0, n - 1))}",
                    "floor_area_m2": draw(st.floats(0, 1e4)),
                    "standard_factory": draw(st.booleans()),
                    "completion_date": draw(st.sampled_from(DATES)),
                }
            )
    leases = []
    for _ in range(draw(st.integers(0, 6))):
        on_building = building_leases and buildings and draw(st.booleans())
        lease = {
            "uscc": draw(st.sampled_from(ENTS)),
            "floor_area_m2": draw(st.floats(0, 2e4)),
            "start_date": draw(st.sampled_from(DATES[1:])),
            "end_date": draw(st.sampled_from(DATES)),
        }
        if on_building:
            lease["building_code"] = draw(st.sampled_from([b["building_code"] for b in buildings]))
        else:
            lease["parcel_code"] = f"P{draw(st.integers(0, n))}"  # P{n} does not exist: unplaced
        leases.append(lease)
    years = []
    for e in ENTS:
        for y in (2020, YEAR):
            if draw(st.booleans()):
                years.append(
                    {"uscc": e, "year": y, "revenue_wan": draw(st.floats(0, 1e5)), "tax_wan": draw(st.floats(0, 1e4)),
                     "value_added_wan": draw(st.one_of(st.none(), st.floats(0, 1e4)))}
                )
    # the parcels layer names the holder in force today
    for r in rights:
        if r["valid_to"] is None:
            parcels[int(r["parcel_code"][1:])]["holder_uscc"] = r["holder_uscc"]
    return make_inputs(
        zones=[{"zone_code": "Z1", "pilot_area_code": "PA"}, {"zone_code": "Z2", "pilot_area_code": "PA"},
               {"zone_code": "Z3"}],
        parcels=parcels,
        land_rights=rights,
        enterprises=[{"uscc": e} for e in ENTS[:-1]],  # E6 only in the figures
        enterprise_years=years,
        buildings=buildings,
        leases=leases,
    )


def _check_conservation(out):
    p = out["parcel_results"]
    e = out["enterprise_results"]
    linked = e["linked"].to_numpy(dtype=bool)
    for col in ("revenue_wan", "tax_wan", "value_added_wan"):
        assert np.isclose(np.nansum(p[col]), np.nansum(e.loc[linked, col]), rtol=1e-9, atol=1e-6), col
    # per-mu of an enterprise is its own figure over its land
    with_land = e["land_mu"] > 0
    assert np.allclose(
        e.loc[with_land, "revenue_per_mu"], e.loc[with_land, "revenue_wan"] / e.loc[with_land, "land_mu"],
        equal_nan=True,
    )


@SETTINGS
@given(scenarios(changes=True), st.sampled_from(["floor_area_share", "merge_tenants"]))
def test_revenue_is_conserved_per_zone_and_province(inputs, method):
    """Per zone: revenue on its developed land + on its other land = Σ over its parcels; province:
    developed + other land (in and outside the zones) + unlinked = Σ revenue of the firms that
    reported — whatever rights changed hands, leases came and went or land joined a zone."""
    pol = POLICY if method == "floor_area_share" else MERGE
    out = evaluate_year(inputs, year=YEAR, policy=pol)
    p, z = out["parcel_results"], out["zone_results"].set_index("zone_code")
    per_zone = p.groupby("zone_code")["revenue_wan"].sum(min_count=1).reindex(z.index).fillna(0.0)
    assert np.allclose(z["revenue_wan"] + z["revenue_other_land_wan"], per_zone, rtol=1e-9, atol=1e-6)
    prov = out["pilot_area_results"].set_index("pilot_area_code").loc["PROVINCE"]
    ey = inputs["enterprise_years"]
    total = float(ey.loc[ey["year"] == YEAR, "revenue_wan"].sum())
    got = prov["revenue_wan"] + prov["revenue_other_land_wan"] + prov["unlinked_revenue_wan"]
    assert np.isclose(got, total, rtol=1e-9, atol=1e-6), (got, total)
    assert (z["revenue_coverage"].dropna().between(0, 1 + 1e-12)).all()


@SETTINGS
@given(scenarios())
def test_allocated_totals_equal_linked_enterprise_totals(inputs):
    _check_conservation(evaluate_year(inputs, year=YEAR, policy=POLICY))


@SETTINGS
@given(scenarios())
def test_conservation_with_merged_tenants(inputs):
    out = evaluate_year(inputs, year=YEAR, policy=MERGE)
    _check_conservation(out)
    e = out["enterprise_results"]
    assert (e["leased_land_mu"] == 0).all()


@SETTINGS
@given(scenarios())
def test_land_is_conserved(inputs):
    # the land used by enterprises never exceeds the supplied parcels' area, and equals it on every
    # parcel with a holder (the holder keeps what tenants do not take)
    out = evaluate_year(inputs, year=YEAR, policy=POLICY)
    p = out["parcel_results"]
    used = out["enterprise_results"]["land_mu"].sum()
    supplied = p.loc[(p["stage"] != "unsupplied").to_numpy(), "area_mu"].fillna(0).sum()
    assert used <= supplied * (1 + 1e-9) + 1e-9


@SETTINGS
@given(scenarios(building_leases=False), st.data())
def test_splitting_a_parcel_leaves_zone_figures_unchanged(inputs, data):
    parcels = inputs["parcels"]
    k = data.draw(st.integers(0, len(parcels) - 1))
    row = parcels.iloc[k]
    assume(pd.notna(row["floor_area_m2"]))  # F must be known to share it
    t = data.draw(st.floats(0.05, 0.95))
    a, b = parcels.iloc[[k]].copy(), parcels.iloc[[k]].copy()
    code = row["parcel_code"]
    a["parcel_code"], b["parcel_code"] = code + "a", code + "b"
    for col in ("registered_area_m2", "geodesic_area_m2", "floor_area_m2", "footprint_area_m2"):
        a[col] = a[col] * t
        b[col] = b[col] * (1 - t)
    split = dict(inputs)
    split["parcels"] = pd.concat([parcels.drop(parcels.index[k]), a, b], ignore_index=True)
    lz = inputs["leases"]
    on = (lz["parcel_code"] == code).fillna(False).to_numpy(dtype=bool)
    la, lb = lz.loc[on].copy(), lz.loc[on].copy()
    la["parcel_code"], lb["parcel_code"] = code + "a", code + "b"
    la["floor_area_m2"] *= t
    lb["floor_area_m2"] *= 1 - t
    split["leases"] = pd.concat([lz.loc[~on], la, lb], ignore_index=True)

    z0 = evaluate_year(inputs, year=YEAR, policy=POLICY)["zone_results"].set_index("zone_code")
    z1 = evaluate_year(split, year=YEAR, policy=POLICY)["zone_results"].set_index("zone_code")
    cols = ["developed_mu", "revenue_wan", "tax_wan", "revenue_per_mu", "tax_per_mu", "far", "building_coverage",
            "baseline_revenue_per_mu", "growth", "like_for_like_growth"]
    pd.testing.assert_frame_equal(z0[cols], z1[cols], check_exact=False, rtol=1e-7, atol=1e-9)


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(inputs, rnd):
    shuffled = {}
    for name, df in inputs.items():
        order = list(range(len(df)))
        rnd.shuffle(order)
        shuffled[name] = df.iloc[order].set_index(pd.Index([f"r{i}" for i in range(len(df))]))
    a = evaluate_year(inputs, year=YEAR, policy=POLICY)
    b = evaluate_year(shuffled, year=YEAR, policy=POLICY)
    for name, key in (("parcel_results", "parcel_code"), ("enterprise_results", "uscc"),
                      ("zone_results", "zone_code"), ("pilot_area_results", "pilot_area_code"),
                      ("building_results", "building_code")):
        x = a[name].set_index(key).sort_index()
        y = b[name].set_index(key).sort_index()
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-9, atol=1e-9)
