"""Typed frames for the contract: parsing raw values (with problems collected) and coercion.

``coerce`` gives every layer the same dtypes whichever store it came from, so both backends
return identical frames:

- str → object (None for missing), float → float64, int → Int64, bool → boolean,
  date → datetime64[ns] (NaT for missing).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np
import pandas as pd

from landuse.columns import BOOL, DATE, FLOAT, INT, STR, Layer

TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "√", "对", "有"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "×", "无", "不是"}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


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


def coerce(df: pd.DataFrame, layer: Layer, *, keep_extra: bool = False) -> pd.DataFrame:
    """Return a copy with every contract column present, in contract order, with contract dtypes."""
    out = pd.DataFrame(index=df.index)
    for c in layer.columns:
        s = df[c.name] if c.name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)
        if c.kind == STR:
            out[c.name] = _str_series(s)
        elif c.kind == FLOAT:
            out[c.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif c.kind == INT:
            out[c.name] = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif c.kind == BOOL:
            if s.dtype == "boolean":
                out[c.name] = s
            else:
                num = pd.to_numeric(s.map(lambda v: v if not isinstance(v, str) else (1 if v.lower() in TRUE_WORDS else 0)),
                                    errors="coerce")
                out[c.name] = pd.array([None if pd.isna(v) else bool(v) for v in num], dtype="boolean")
        elif c.kind == DATE:
            out[c.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
    if keep_extra:
        for name in df.columns:
            if name not in out.columns:
                out[name] = df[name]
    if layer.geometry and "geometry" in df.columns:
        out["geometry"] = df["geometry"]
    return out


# ------------------------------------------------------------------------------------------------
# parsing one raw value; returns (value, error-expectation or None)
# ------------------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
)


def is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def parse_value(v: Any, kind: str) -> tuple[Any, str | None]:
    """Parse one raw cell. Returns (value, None) or (None, what was expected)."""
    if is_missing(v):
        return None, None
    if kind == STR:
        if isinstance(v, float) and v.is_integer():
            return str(int(v)), None
        return str(v).strip(), None
    if kind in (FLOAT, INT):
        if isinstance(v, bool):
            return None, "a number"
        if isinstance(v, (int, float, np.integer, np.floating)):
            x = float(v)
        else:
            t = str(v).strip().replace(",", "").replace("，", "")
            try:
                x = float(t)
            except ValueError:
                return None, "a number" if kind == FLOAT else "a whole number"
        if not np.isfinite(x):
            return None, "a finite number"
        if kind == INT:
            if not float(x).is_integer():
                return None, "a whole number"
            return int(x), None
        return x, None
    if kind == BOOL:
        if isinstance(v, (bool, np.bool_)):
            return bool(v), None
        if isinstance(v, (int, float, np.integer, np.floating)) and float(v) in (0.0, 1.0):
            return bool(v), None
        t = str(v).strip().lower()
        if t in TRUE_WORDS:
            return True, None
        if t in FALSE_WORDS:
            return False, None
        return None, "yes/no (是/否, 1/0, true/false)"
    if kind == DATE:
        if isinstance(v, pd.Timestamp):
            return v.normalize(), None
        if isinstance(v, (_dt.datetime, _dt.date)):
            return pd.Timestamp(v).normalize(), None
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            x = float(v)
            if 1 <= x < 80000:  # an Excel serial date
                return (_EXCEL_EPOCH + pd.Timedelta(days=int(x))).normalize(), None
            return None, "a date YYYY-MM-DD"
        t = str(v).strip()
        if " " in t or "T" in t:  # '2021-03-05 00:00:00'
            t = re.split(r"[ T]", t)[0]
        for pat, _ in _DATE_PATTERNS:
            m = pat.match(t)
            if m:
                y, mo, d = (int(g) for g in m.groups())
                try:
                    return pd.Timestamp(_dt.date(y, mo, d)), None
                except ValueError:
                    return None, "a real calendar date YYYY-MM-DD"
        return None, "a date YYYY-MM-DD"
    raise ValueError(kind)
