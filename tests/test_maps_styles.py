"""Styling (values → classes → colours → legend), encoding and the maps policy section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from landuse.core.policy import default_policy
from maps import styles
from maps.encode import encode_geometries, gk_epsg, polyline_decode, polyline_encode


def test_user_defined_bounds_extend_to_max_and_missing_is_last_class():
    s = styles.numeric_style([50, 150, 400, np.nan], scheme="UserDefined", k=2, bins=[100, 300],
                             palette=["#a", "#b", "#c"], title="亩均营业收入", missing_label="无数据")
    assert s.classes.tolist() == [0, 1, 2, 3]
    assert [e.label for e in s.legend.entries] == ["50 – 100", "100 – 300", "300 – 400", "无数据"]
    assert s.colors[-1] == styles.MISSING_COLOR
    assert s.legend.title == "亩均营业收入"


def test_value_on_a_bound_goes_to_the_lower_class():
    b = np.array([100.0, 300.0])
    assert styles.assign_classes([100, 100.01, 300, 301, np.nan], b).tolist() == [0, 1, 1, 1, 2]


def test_fewer_distinct_values_than_k_gives_one_class_per_value():
    assert styles.class_bounds([1, 1, 2, 2, np.nan], scheme="NaturalBreaks", k=5).tolist() == [1, 2]
    assert styles.class_bounds([np.nan], scheme="Quantiles", k=5).size == 0


@pytest.mark.parametrize("scheme", ["NaturalBreaks", "Quantiles", "EqualInterval", "FisherJenksSampled"])
def test_data_driven_schemes_give_k_classes_covering_all_values(scheme):
    v = np.random.default_rng(1).gamma(2, 100, 2000)
    b = styles.class_bounds(v, scheme=scheme, k=5)
    assert len(b) == 5 and b[-1] == pytest.approx(v.max())
    assert styles.assign_classes(v, b).max() == 4


def test_revenue_style_uses_the_policy_scheme():
    pol = default_policy().maps.model_copy(update={"revenue_scheme": "UserDefined", "revenue_bins": [200, 400]})
    s = styles.revenue_style([100, 300, 500, None], pol)
    # classes ≤200, 200–400, >400, then 未开发 (3) and 无数据 (4)
    assert s.classes.tolist() == [0, 1, 2, 4]
    assert s.legend.title == "亩均营业收入(万元/亩)"
    assert [e.label for e in s.legend.entries] == ["≤ 200", "200 – 400", "> 400", "未开发", "无数据"]
    assert styles.revenue_style([100], pol, lang="en").legend.entries[-1].label == "no data"


def test_revenue_classes_are_fixed_by_the_policy_whatever_the_map():
    """Two maps of very different parcels (a poor zone, a rich one) class 150 万元/亩 alike: bins 100 | 200
    | 300 | 400 | 600 from the policy, 150 ∈ (100, 200] → class 1, the same colour on both maps."""
    mp = default_policy().maps
    poor = styles.revenue_style([20, 60, 150, 180], mp)
    rich = styles.revenue_style([150, 700, 800, 950], mp)
    assert poor.classes.tolist() == [0, 0, 1, 1]
    assert rich.classes.tolist() == [1, 5, 5, 5]
    assert poor.colors == rich.colors and poor.legend == rich.legend
    assert [e.label for e in poor.legend.entries[:6]] == ["≤ 100", "100 – 200", "200 – 300", "300 – 400",
                                                          "400 – 600", "> 600"]
    assert list(poor.colors[:6]) == mp.revenue_colors


def test_per_map_quantiles_are_an_option_said_in_the_legend():
    mp = default_policy().maps.model_copy(update={"revenue_scheme": "Quantiles", "revenue_k": 4})
    s = styles.revenue_style([10, 20, 30, 40, 50, 60, 70, 80], mp)
    # quartiles of 10..80: 27.5, 45, 62.5, 80
    assert s.bounds == (27.5, 45.0, 62.5, 80.0)
    assert s.classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert s.legend.title == "亩均营业收入(万元/亩)(本图分位数分级)"
    assert "quantiles" in styles.revenue_style([1, 2], mp, lang="en").legend.title


def test_land_not_yet_developed_is_its_own_class_not_the_lowest():
    mp = default_policy().maps
    s = styles.revenue_style([0.0, 0.0, 50.0, None], mp, developed=[False, True, True, None])
    n = len(mp.revenue_bins) + 1  # value classes
    assert s.classes.tolist() == [n, 0, 0, n + 1]
    assert s.colors[n] == mp.undeveloped_color and s.legend.entries[n].label == "未开发"
    assert s.legend.entries[n].style == "dashed" and s.dashed == (n,)


def _hue(c: str) -> tuple[float, float]:
    import colorsys

    r, g, b = (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, _l, sat = colorsys.rgb_to_hls(r, g, b)
    return h * 360, sat


def test_problems_never_share_a_hue_with_any_theme():
    """Every saturated theme colour is at least 40° of hue from the problem colour (greys excepted)."""
    mp = default_policy().maps
    ph, _ = _hue(mp.problem_color)
    themes = [*mp.revenue_colors, *mp.grade_colors.values(), *mp.stage_colors.values(), *mp.zone_score_colors,
              *mp.occupancy_colors, mp.undeveloped_color]
    for c in themes:
        h, sat = _hue(c)
        if sat < 0.15:
            continue
        d = min(abs(h - ph), 360 - abs(h - ph))
        assert d >= 40, (c, d)


def test_a_reason_is_drawn_the_same_on_every_map():
    """The hatching of a reason comes from the policy, not from the reasons present on a map."""
    pol = default_policy()
    order = [r.code for r in pol.rules.rule]
    zone_map = pd.DataFrame({"parcel_code": ["a", "b"], "rule": ["low_far", "idle"], "severity": [2, 4]})
    province = pd.DataFrame({"parcel_code": ["c", "d", "e"], "rule": ["low_tax", "low_far", "obsolete"],
                             "severity": [2, 2, 4]})
    h1 = {r: h for r, _, h in styles.rule_categories(zone_map, pol.maps, order)}
    h2 = {r: h for r, _, h in styles.rule_categories(province, pol.maps, order)}
    assert h1["low_far"] == h2["low_far"] == pol.maps.problem_hatch["low_far"]
    assert h1["idle"] == "cross"
    all_h = styles.problem_hatches(pol.maps, order)
    assert set(all_h) >= set(order)
    s = styles.flag_reason_style(styles.main_reasons(province)["rule"], province, maps=pol.maps, rule_order=order)
    assert set(s.colors) == {pol.maps.problem_color}


def test_zone_score_missing_is_grey_unscored():
    s = styles.zone_score_style([55, 95, np.nan], default_policy().maps)
    assert s.classes.tolist() == [0, 4, 5]
    assert s.legend.entries[-1] == styles.LegendEntry(styles.MISSING_COLOR, "未评分")
    assert s.legend.entries[0].label == "0 – 60"


def test_occupancy_classes_split_at_the_80_percent_target():
    s = styles.occupancy_style([0.3, 0.79, 0.8, 0.95], default_policy().maps)
    assert s.classes.tolist() == [0, 1, 1, 2]
    assert [e.label for e in s.legend.entries][:3] == ["0% – 50%", "50% – 80%", "80% – 100%"]


def test_grade_and_stage_styles_are_chinese_with_fallbacks():
    g = styles.grade_style(["A", "D", None, "X"])
    assert g.classes.tolist() == [0, 3, 4, 4]
    assert [e.label for e in g.legend.entries] == ["A类", "B类", "C类", "D类", "未评级"]
    s = styles.stage_style(["idle", "in_production", None, "odd"])
    labels = [e.label for e in s.legend.entries]
    assert labels == ["已投产", "闲置", "odd", "未知"]
    assert s.classes.tolist() == [1, 0, 3, 2]
    assert styles.stage_label("in_production", "en") == "in production"


def test_main_reason_is_the_most_severe_flag():
    f = pd.DataFrame({"parcel_code": ["p1", "p1", "p2"], "rule": ["low_far", "idle", "low_tax"],
                      "label": ["容积率低", "闲置土地", "税收低"], "severity": [3, 5, 3]})
    m = styles.main_reasons(f)
    assert m.set_index("parcel_code")["rule"].to_dict() == {"p1": "idle", "p2": "low_tax"}
    s = styles.flag_reason_style(m["rule"], f)
    # only reasons that are some parcel's main reason get a class, most severe first
    assert [e.label for e in s.legend.entries] == ["闲置土地", "税收低", "无数据"]
    assert s.classes.tolist() == [0, 1]


def test_number_formatting():
    assert [styles.fmt_number(x) for x in (1234.4, 12.34, 0.456, 5.0)] == ["1,234", "12.3", "0.46", "5"]


@given(st.lists(st.integers(min_value=-(2 ** 40), max_value=2 ** 40), max_size=200))
def test_polyline_roundtrip(values):
    assert polyline_decode(polyline_encode(np.array(values, dtype=np.int64))) == values


def test_polyline_text_is_safe_inside_a_script_element():
    text = polyline_encode(np.arange(-5000, 5000, 7))
    assert min(map(ord, text)) >= 63 and max(map(ord, text)) <= 126 and "<" not in text


def test_encode_geometries_layout():
    import shapely

    g = np.array([shapely.box(115.9, 28.6, 115.901, 28.601), None, shapely.Point(115.9, 28.6)], dtype=object)
    e = encode_geometries(g, quantum=1e-5, origin=(115.9, 28.6))
    assert polyline_decode(e["nr"]) == [1, 0, 1]
    assert polyline_decode(e["nv"]) == [4, 1]  # closing vertex dropped; a point is a 1-vertex ring
    xy = polyline_decode(e["xy"])
    assert np.cumsum(np.array(xy).reshape(-1, 2), axis=0).tolist() == [[100, 0], [100, 100], [0, 100], [0, 0],
                                                                       [0, 0]]


def test_gk_zone_by_longitude():
    assert gk_epsg(114.2) == 4547 and gk_epsg(115.9) == 4548 and gk_epsg(116.9) == 4548


def test_every_maps_number_has_a_source_note():
    m = default_policy().maps
    for name, value in m.model_dump(exclude={"notes"}).items():
        assert name in m.notes, name
