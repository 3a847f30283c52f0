"""Entropy weight method (evaluation.entropy).

The published worked example of Elsayed, Dawood & Karthikeyan (2017) is reproduced to six decimals
(``test_reproduces_published_worked_example_elsayed_2017``). Other sources looked at: formula write-ups such as
https://fadingcoder.top/post/101730.html and the CRAN CPP ``Entrop.weights`` docs, whose example
matrix is printed without its output weights). The small example below is constructed from the
textbook formula (Zeleny 1982 / Hwang & Yoon 1981, as restated e.g. at
https://couryes.com/%E5%95%86%E7%A7%91%E4%BB%A3%E5%86%99%E5%95%86%E4%B8%9A%E6%95%B0%E5%AD%A6%E4%BB%A3%E5%86%99business-mathematics%E4%BB%A3%E8%80%83mth190/ : e_j = −(1/ln n) Σ p_ij ln p_ij, d_j = 1 − e_j,
w_j = d_j / Σ d_j) and worked out by hand below.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluation.entropy import EntropyError, entropy_weights

# 3 units × 3 indicators
#   A: (1, 1, 2)   B: (5, 5, 5) constant   C: (1, 3, 0)
M = pd.DataFrame({"A": [1.0, 1.0, 2.0], "B": [5.0, 5.0, 5.0], "C": [1.0, 3.0, 0.0]})


def test_proportion_by_hand():
    # proportions: A p = (.25, .25, .5); C p = (.25, .75, 0)
    # e_A = (2·.25·ln4 + .5·ln2)/ln3 = (0.693147 + 0.346574)/1.098612 = 0.946395
    # e_C = (.25·ln4 + .75·ln(4/3))/ln3 = (0.346574 + 0.215762)/1.098612 = 0.511859
    # d = (0.053605, 0, 0.488141), Σ = 0.541746 → w = (0.0989, 0, 0.9011)
    w = entropy_weights(M, normalisation="proportion")
    assert w["A"] == pytest.approx(0.0989, abs=5e-5)
    assert w["B"] == 0.0
    assert w["C"] == pytest.approx(0.9011, abs=5e-5)
    assert w.attrs["normalisation"] == "proportion"
    assert w.attrs["entropy"]["A"] == pytest.approx(0.946395, abs=1e-6)
    assert w.attrs["entropy"]["C"] == pytest.approx(0.511859, abs=1e-6)


def test_minmax_by_hand_differs():
    # min–max: A r = (0, 0, 1) → p = (0, 0, 1) → e_A = 0, d_A = 1
    #          C r = (1/3, 1, 0) → p = (.25, .75, 0) → e_C = 0.511859, d_C = 0.488141
    # w = (1, 0, 0.488141)/1.488141 = (0.6720, 0, 0.3280)
    w = entropy_weights(M, normalisation="minmax")
    assert w["A"] == pytest.approx(0.6720, abs=5e-5)
    assert w["C"] == pytest.approx(0.3280, abs=5e-5)
    assert w["B"] == 0.0


def test_negative_indicator_minmax_mirrors():
    # C negative: r = (max − x)/(max − min) = (2/3, 0, 1) → p = (0.4, 0, 0.6)
    # e_C = −(.4 ln .4 + .6 ln .6)/ln 3 = (0.366516 + 0.306495)/1.098612 = 0.612602
    w = entropy_weights(M[["A", "C"]], normalisation="minmax", negative={"C"})
    d_c = 1 - 0.612602
    assert w["C"] == pytest.approx(d_c / (1 + d_c), abs=1e-5)


def test_all_constant_equal_weights_with_warning():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        w = entropy_weights(pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]}), normalisation="minmax")
    assert list(w) == [0.5, 0.5]
    assert rec


def test_errors():
    with pytest.raises(EntropyError):
        entropy_weights(M.iloc[:1], normalisation="minmax")
    with pytest.raises(EntropyError):
        entropy_weights(M.assign(A=[1.0, np.nan, 2.0]), normalisation="minmax")
    with pytest.raises(EntropyError):
        entropy_weights(M.assign(A=[-1.0, 1.0, 2.0]), normalisation="proportion")
    with pytest.raises(EntropyError):
        entropy_weights(M, normalisation="zscore")


def test_does_not_mutate():
    m = M.copy()
    entropy_weights(m, normalisation="minmax", negative={"A"})
    pd.testing.assert_frame_equal(m, M)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 5)),
              elements=st.floats(0, 1e6, allow_nan=False)),
       st.sampled_from(["minmax", "proportion"]))
def test_weights_are_a_distribution(x, norm):
    m = pd.DataFrame(x, columns=[f"c{i}" for i in range(x.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = entropy_weights(m, normalisation=norm)
    assert (w >= 0).all()
    assert math.isclose(w.sum(), 1.0, rel_tol=1e-9)


def test_matches_the_published_reference_implementation_on_its_documented_example():
    """Cross-check against the published R implementation CRAN ``CPP::Entrop.weights``
    (Pomerol & Barba-Romero 2012; source https://rdrr.io/cran/CPP/src/R/ent_wei.R) on the decision
    matrix of its documentation example (benefit criteria 1–3; criterion 4 is a cost criterion
    entered as negative numbers, which the proportion normalisation here does not accept).

    The R code is transliterated line by line below (proportions x/Σx, zeros replaced by 1e-10,
    k = 1/ln(n), e = −k Σ p ln p, d = 1 − e, w = d/Σd); its documentation prints no output, so
    the comparison is with the algorithm as published, recomputed here, not with printed digits.
    """
    x = np.array([[2, 30, 86], [4, 26, 77], [3, 22, 93], [6, 34, 65], [5, 31, 80], [6, 29, 79],
                  [8, 37, 55], [10, 21, 69]], dtype=float)
    p = x / x.sum(axis=0)
    p[p == 0] = 1e-10
    e = -(1 / math.log(x.shape[0])) * (p * np.log(p)).sum(axis=0)
    d = 1 - e
    w_ref = d / d.sum()
    ours = entropy_weights(pd.DataFrame(x, columns=["c1", "c2", "c3"]), normalisation="proportion")
    np.testing.assert_allclose(ours.to_numpy(), w_ref, rtol=1e-9)
    # the first criterion (2…10, most dispersed) dominates; hand check of its entropy to 4 d.p.
    assert ours.idxmax() == "c1" and round(float(e[0]), 4) == round(float(-(p[:, 0] * np.log(p[:, 0])).sum() / math.log(8)), 4)


def test_reproduces_published_worked_example_elsayed_2017():
    """Published worked example: Elsayed, E. A., Dawood, A. S., Karthikeyan, R. (2017). Evaluating
    alternatives through the application of TOPSIS method with entropy weight. International
    Journal of Engineering Trends and Technology 46(2), 60–66 — decision matrix of 12 alternatives ×
    5 criteria and the entropy weights it reports (proportion normalisation p = x/Σx). The same
    reference is used by the pymcdm test suite (test/test_weights.py, TestEntropyWeights)."""
    matrix = np.array([[7, 312, 1891, 6613, 163], [72, 88, 728, 941804, 1078], [10, 252, 2594, 3466, 117471],
                       [10, 145, 980, 2371, 86329], [65, 54, 350, 501, 29897], [29, 48, 380, 912, 34051],
                       [7, 476, 3300, 78470, 2212], [70, 87, 650, 733, 819000], [4, 86, 591, 3015, 103],
                       [12, 79, 579, 3240, 96098], [21, 45, 261, 1253, 453], [1, 72, 530, 4333, 0.104800]])
    published = [0.104991, 0.069124, 0.071373, 0.449937, 0.304575]
    w = entropy_weights(pd.DataFrame(matrix, columns=["C1", "C2", "C3", "C4", "C5"]), normalisation="proportion")
    assert [round(float(x), 6) for x in w] == published
