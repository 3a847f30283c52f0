"""Entropy weight method (熵权法) for objective indicator weights (docs/domain.md §9).

Steps, for a matrix of n units (rows) × m indicators (columns):

1. normalise each column to non-negative values r_ij:
   - ``'minmax'``: r = (x − min)/(max − min) (positive indicators) or (max − x)/(max − min)
     (negative indicators, listed in ``negative``);
   - ``'proportion'``: r = x (values must be ≥ 0); a negative indicator is mirrored first,
     r = max + min − x, which keeps its range and sign;
2. p_ij = r_ij / Σ_i r_ij;
3. e_j = −(1/ln n) Σ_i p_ij ln p_ij, with 0·ln 0 = 0;
4. d_j = 1 − e_j (差异系数), w_j = d_j / Σ_j d_j.

The two normalisations give different weights; say which one was used (the returned Series
carries it in ``attrs``). A constant column carries no information: d_j = 0, weight 0. So does a
near-constant one when ``min_cv`` is given: a column whose coefficient of variation (population
std / |mean|) is below ``min_cv`` gets d_j = 0 (listed in ``attrs['near_constant']``) — min–max
would otherwise stretch a spread of 0.005 to the full [0, 1] and give that column most of the
weight. If every column is (near-)constant, the weights are equal and a warning is issued.
"""

from __future__ import annotations

import warnings
from typing import Iterable, Literal

import numpy as np
import pandas as pd

from landuse.core.errors import LanduseError


class EntropyError(LanduseError):
    """The matrix cannot be weighted (too few rows, missing or negative values)."""


def entropy_weights(
    matrix: pd.DataFrame,
    *,
    normalisation: Literal["minmax", "proportion"],
    negative: Iterable[str] = (),
    min_cv: float = 0.0,
) -> pd.Series:
    """Entropy weights of the columns of ``matrix`` (rows = units, columns = indicators).

    Returns a Series indexed by column name, summing to 1, with ``attrs``: ``normalisation``,
    ``entropy`` (dict column → e_j), ``divergence`` (dict column → d_j), ``near_constant`` (the
    columns given weight 0 for a coefficient of variation below ``min_cv``) and ``cv``.
    """
    if normalisation not in ("minmax", "proportion"):
        raise EntropyError(f"normalisation must be 'minmax' or 'proportion', not {normalisation!r}")
    negative = set(negative)
    unknown = negative - set(matrix.columns)
    if unknown:
        raise EntropyError(f"negative indicators not in the matrix: {sorted(unknown)}")
    x = matrix.astype("float64").to_numpy(copy=True)
    n, m = x.shape
    if n < 2:
        raise EntropyError("the entropy weight method needs at least two rows (units)")
    if np.isnan(x).any():
        bad = [c for c, col in zip(matrix.columns, np.isnan(x).any(axis=0)) if col]
        raise EntropyError(f"missing values in columns {bad}; drop or fill them first")
    neg = np.array([c in negative for c in matrix.columns], dtype=bool)
    cmax, cmin = x.max(axis=0), x.min(axis=0)
    span = cmax - cmin
    constant = span <= 1e-12 * np.maximum(1.0, np.abs(cmax))
    mean = x.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(np.abs(mean) > 0, x.std(axis=0) / np.abs(mean), np.where(span > 0, np.inf, 0.0))
    near = ~constant & (cv < min_cv)

    if normalisation == "minmax":
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(neg, cmax - x, x - cmin) / np.where(constant, 1.0, span)
    else:
        if (x < 0).any():
            raise EntropyError("proportion normalisation needs non-negative values; use 'minmax'")
        r = np.where(neg, cmax + cmin - x, x)
    r[:, constant] = 1.0  # uniform → entropy 1 → weight 0
    total = r.sum(axis=0)
    zero_col = total <= 0  # a proportion column of zeros: no information
    r[:, zero_col] = 1.0
    total = r.sum(axis=0)
    p = r / total
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    e = np.clip(e, 0.0, 1.0)
    d = 1.0 - e
    d[constant | zero_col | near] = 0.0
    if d.sum() <= 0:
        warnings.warn("entropy weights: no column varies; equal weights used", stacklevel=2)
        w = np.full(m, 1.0 / m)
    else:
        w = d / d.sum()
    out = pd.Series(w, index=matrix.columns, name="weight", dtype="float64")
    out.attrs["normalisation"] = normalisation
    out.attrs["entropy"] = dict(zip(matrix.columns, e.tolist()))
    out.attrs["divergence"] = dict(zip(matrix.columns, d.tolist()))
    out.attrs["near_constant"] = [c for c, f in zip(matrix.columns, near) if f]
    out.attrs["cv"] = dict(zip(matrix.columns, cv.tolist()))
    return out
