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
    assert s.classes.tolist() == [0, 1, 2, 3]
    assert s.legend.title == "亩均营业收入(万元/亩)"
    assert s.legend.entries[-1].label == "无数据"
    assert styles.revenue_style([100], pol, lang="en").legend.entries[-1].label == "no data"


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
