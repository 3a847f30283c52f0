"""evaluation.codes.sorted_factorize gives exactly what pandas' sorted factorize gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.codes import sorted_factorize

texts = st.one_of(st.none(), st.just(float("nan")), st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=60))
def test_same_as_pandas_sorted_factorize(values):
    arr = np.array(values, dtype=object)
    want_codes, want_uniq = pd.factorize(arr, sort=True)
    codes, uniq = sorted_factorize(arr)
    assert codes.dtype == want_codes.dtype
    assert codes.tolist() == want_codes.tolist()
    assert list(uniq) == list(want_uniq)


def test_values_that_do_not_compare_fall_back_to_pandas():
    arr = np.array(["b", 2, "a", 1.5, None], dtype=object)
    codes, uniq = sorted_factorize(arr)
    want_codes, want_uniq = pd.factorize(arr, sort=True)
    assert codes.tolist() == want_codes.tolist() and list(uniq) == list(want_uniq)
