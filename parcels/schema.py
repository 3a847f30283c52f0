"""Parsing raw input values (one cell at a time, with what was expected when it fails).

The dtypes every stored frame has are :mod:`landuse.core.dtypes` (re-exported here for the store).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np
import pandas as pd

from landuse.core.contract import BOOL, DATE, FLOAT, INT, STR
from landuse.core.dtypes import FALSE_WORDS, TRUE_WORDS, coerce, empty_frame

__all__ = ["coerce", "empty_frame", "is_missing", "parse_value"]
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_TEXT = re.compile(r"^\d{5}(\.0+)?$")  # 5 digits: 1927-05-18 … 2119-01-09


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
        if _SERIAL_TEXT.match(t):  # an Excel date serial stored as text: '44197' is 2021-01-01
            x = float(t)
            if 1 <= x < 80000:
                return (_EXCEL_EPOCH + pd.Timedelta(days=int(x))).normalize(), None
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
