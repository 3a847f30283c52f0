"""The dtypes of the contract, in one place: every frame of a layer, whichever store or step it came
from, has the same column order and dtypes:

- str → object (None for missing), float → float64, int → Int64, bool → boolean,
  date → datetime64[ns] (NaT for missing).

Leaf module (imports only the contract).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.core.contract import BOOL, DATE, FLOAT, INT, STR, Layer

#: words read as yes / no in boolean columns (Chinese and English, as bureaus write them)
TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "√", "对", "有"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "×", "无", "不是"}


def empty_frame(layer: Layer) -> pd.DataFrame:
    return coerce(pd.DataFrame({c: [] for c in layer.names}), layer)


def _str_series(s: pd.Series) -> pd.Series:
    if len(s) == 0 or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        # already text (the common case: read from a store): no per-cell work
        out = s.astype(object)
        return out.where(out.notna(), None)

    def conv(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        t = str(v).strip()
        return t or None

    return pd.Series([conv(v) for v in s.tolist()], index=s.index, dtype=object)


def _bool_series(s: pd.Series) -> pd.Series:
    """Yes/no as ``boolean``: booleans kept, numbers true when non-zero, words of TRUE_WORDS true
    (any other word false), missing stays missing. Whole columns at a time (a results layer has
    ~10 boolean columns of ~10⁵ rows)."""
    if s.dtype == "boolean":
        return s
    if s.dtype == bool:
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.astype("float64")
    else:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind == "empty":
            return pd.Series(pd.array([None] * len(s), dtype="boolean"), index=s.index)
        if kind == "boolean":
            return s.astype("boolean")
        if kind == "string":
            obj = s.astype(object)
            words = obj.where(obj.notna(), "").map(str.lower)
            out = pd.Series(pd.array(words.isin(TRUE_WORDS).to_numpy(), dtype="boolean"), index=s.index)
            out[obj.isna().to_numpy()] = pd.NA
            return out
        num = pd.to_numeric(s.map(lambda v: v if not isinstance(v, str) else (1 if v.lower() in TRUE_WORDS else 0)),
                            errors="coerce").astype("float64")
    vals = num.to_numpy()
    arr = pd.array(vals != 0, dtype="boolean")
    arr[np.isnan(vals)] = pd.NA
    return pd.Series(arr, index=s.index)


def coerce(df: pd.DataFrame, layer: Layer, *, keep_extra: bool = False,
           only: set[str] | None = None) -> pd.DataFrame:
    """Return a copy with every contract column present (``only``: those of them), in contract
    order, with contract dtypes. The frame is built once from its columns (no column-by-column
    insertion: a results layer has ~100 columns)."""
    data: dict[str, Any] = {}
    n = len(df)
    for c in layer.columns:
        if only is not None and c.name not in only:
            continue
        s = df[c.name] if c.name in df.columns else pd.Series([None] * n, index=df.index, dtype=object)
        if c.kind == STR:
            data[c.name] = _str_series(s)
        elif c.kind == FLOAT:
            data[c.name] = (s if s.dtype == "float64" else pd.to_numeric(s, errors="coerce").astype("float64"))
        elif c.kind == INT:
            data[c.name] = (s if s.dtype == "Int64" else pd.to_numeric(s, errors="coerce").round().astype("Int64"))
        elif c.kind == BOOL:
            data[c.name] = _bool_series(s)
        elif c.kind == DATE:
            data[c.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
    # positional (the columns are all of ``df``'s rows, in its order): no alignment on a possibly
    # non-unique index; Series keep their dtype (raw object arrays would be inferred as text)
    if data:
        out = pd.DataFrame({k: v.reset_index(drop=True) for k, v in data.items()}, copy=True)
        out.index = df.index
    else:
        out = pd.DataFrame(index=df.index)
    if keep_extra:
        extra = {name: df[name] for name in df.columns if name not in out.columns}
        if extra:
            out = pd.concat([out, pd.DataFrame(extra, index=df.index)], axis=1)
    if layer.geometry and "geometry" in df.columns:
        out["geometry"] = df["geometry"]
    return out


#: the dtype of each kind of contract column (see the module docstring)
KIND_DTYPES = {STR: "object", FLOAT: "float64", INT: "Int64", BOOL: "boolean", DATE: "datetime64[ns]"}


def conforms(df: pd.DataFrame, layer: Layer) -> bool:
    """Whether ``df`` has exactly the contract's columns (and its geometry, if any), in order, with
    the contract's dtypes — as :func:`coerce` gives them; text columns are not looked into."""
    names = list(layer.names) + (["geometry"] if layer.geometry and "geometry" in df.columns else [])
    return list(df.columns) == names and all(str(df[c.name].dtype) == KIND_DTYPES[c.kind] for c in layer.columns)


def conform(df: pd.DataFrame, layer: Layer, meta: dict[str, str] | None = None) -> pd.DataFrame:
    """The columns of ``layer`` (no geometry) in order with the contract dtypes, on a fresh
    RangeIndex; ``meta`` fills constant columns (policy version and hash, inputs hash)."""
    base = df.reset_index(drop=True)
    out = coerce(base.drop(columns=["geometry"], errors="ignore"), layer)
    for k, v in (meta or {}).items():
        if k in out.columns:
            out[k] = pd.Series([v] * len(out), dtype=object)
    return out.drop(columns=["geometry"], errors="ignore")
