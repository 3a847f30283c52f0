"""Codes of the intensive-use survey (开发区土地集约利用评价, TD/T 1029; docs/domain.md §12).

- 开发区土地利用现状分类 (DLDM): A built urban land (A1 住宅, A2 工矿仓储, A31/A32 交通, A4 商服,
  A51/A52 公共, A6 其他城镇建设用地), B not yet built (B11/B12 rural built, B21 ready to supply, B22 not
  ready), C not buildable (C1 rivers and lakes, C2/C3 other). Any other A-, B- or C-code counts in its
  group; a sub-code counts in the sub-class it starts with (A21 is 工矿仓储, B211 is B21).
- 供应类型 (GYDM): D supplied (D1 划拨, D21/D22 有偿使用), E can still be supplied, F cannot.
- 评价范围 (KFQPJFW): 主区, 发展方向区; the whole zone is 全区.
- 供应时间 (GYSJ): ``YYYYMM``, ``YYYY-MM``, ``YYYY-M``, ``YYYY`` or a full date; 历史形成 (formed
  historically) and blank or 0 are "not recorded". A month or a year alone is read as its first day.

Leaf module: imports nothing from the project.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from typing import Any

#: the classes the national classification lists
KNOWN_CLASSES = ("A1", "A2", "A31", "A32", "A4", "A51", "A52", "A6", "B11", "B12", "B21", "B22", "C1", "C2", "C3")
#: the supply types the national database lists
KNOWN_SUPPLY_TYPES = ("D1", "D21", "D22", "E1", "E21", "E22", "F")

MAIN_RANGE, DIRECTION_RANGE, WHOLE_ZONE = "主区", "发展方向区", "全区"
RANGES = (MAIN_RANGE, DIRECTION_RANGE)

#: zone types of zone_survey_results (words, as published) and their codes in zone_results
INDUSTRIAL_LED, MIXED, OTHER = "工业主导型", "产城融合型", "其他"
ZONE_TYPE_CODES = {INDUSTRIAL_LED: "industrial", MIXED: "mixed", OTHER: "other"}

HISTORICAL = ("历史形成", "历史", "历史遗留")


def normalise_code(v: Any) -> str | None:
    """Upper-case ASCII without spaces (full-width letters and digits folded); None when blank."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    t = unicodedata.normalize("NFKC", str(v)).strip().upper().replace(" ", "")
    return t or None


def class_group(code: str | None) -> str | None:
    """'A' | 'B' | 'C' for a land class code, None for anything else."""
    if not code:
        return None
    g = code[0]
    return g if g in "ABC" and (len(code) == 1 or code[1:].isalnum()) else None


def is_residential(code: str | None) -> bool:
    return bool(code and code.startswith("A1"))


def is_industrial(code: str | None) -> bool:
    return bool(code and code.startswith("A2"))


def is_ready_to_supply(code: str | None) -> bool:
    return bool(code and code.startswith("B21"))


def supply_group(code: str | None) -> str | None:
    """'D' supplied, 'E' can be supplied, 'F' cannot; None for anything else."""
    if not code:
        return None
    g = code[0]
    return g if g in "DEF" and (len(code) == 1 or code[1:].isalnum()) else None


_DATE_FORMS = (
    (re.compile(r"^(\d{4})(\d{2})$"), "ym"),          # 201803
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), "ym"),  # 2018-03, 2018-3, 2018/3, 2018.3, 2018年3月
    (re.compile(r"^(\d{4})年?$"), "y"),                # 2018
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),  # 20180305
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"), "ymd"),
)


def parse_supply_date(v: Any) -> tuple[_dt.date | None, str]:
    """(date, status) with status 'ok' | 'blank' (blank or 0) | 'historical' (历史形成) | 'bad'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None, "blank"
    if isinstance(v, _dt.datetime):
        return v.date(), "ok"
    if isinstance(v, _dt.date):
        return v, "ok"
    if hasattr(v, "to_pydatetime"):  # pandas Timestamp
        try:
            return v.to_pydatetime().date(), "ok"
        except (ValueError, AttributeError):
            return None, "blank"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    t = unicodedata.normalize("NFKC", str(v)).strip()
    if t in ("", "0", "0.0", "00000000", "000000"):
        return None, "blank"
    if any(t.startswith(h) for h in HISTORICAL):
        return None, "historical"
    t = t.split(" ")[0].split("T")[0]
    for pat, form in _DATE_FORMS:
        m = pat.match(t)
        if not m:
            continue
        y = int(m.group(1))
        mo = int(m.group(2)) if form in ("ym", "ymd") else 1
        d = int(m.group(3)) if form == "ymd" else 1
        if not 1900 <= y <= 2100:
            return None, "bad"
        try:
            return _dt.date(y, mo, d), "ok"
        except ValueError:
            return None, "bad"
    return None, "bad"
