"""In-year figures for the quarterly dispatch and the half-year report (``landuse evaluate --period``,
``landuse report --period``): :func:`evaluation.periods.period_figures` on the store's inputs.

The figures are not stored: they are provisional by nature and change as late firms report, so each
run computes them from the inputs of the moment and writes them to the file asked for; the year's
stored results stay as they are."""

from __future__ import annotations

from evaluation.periods import PeriodResults, parse_period, period_figures
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from parcels.store.base import Store

__all__ = ["evaluate_period", "check_period", "NoDataForPeriod"]


class NoDataForPeriod(LanduseError):
    """The store holds no enterprise figures for the period asked for."""


def check_period(text: str) -> str:
    """The period's code (``2025Q3``), or a LanduseError saying what a period looks like."""
    try:
        return parse_period(text).code
    except ValueError:
        raise LanduseError(t(f"期间 {text!r} 无法识别：应为季度、半年或月份，如 2025Q3、2025H1、2025-09",
                             f"period {text!r}: expected a quarter, half year or month such as 2025Q3, 2025H1 or 2025-09")) from None


def evaluate_period(store: Store, *, period: str, policy: Policy) -> PeriodResults:
    """The period's figures per zone and pilot area (see :mod:`evaluation.periods`)."""
    code = check_period(period)
    inputs, _ = store.read_inputs_snapshot(with_hash=False, geometry=())  # the stored areas: no polygons
    from landuse.services.ledger import read_ledger

    ledger = read_ledger(store)  # the disposal ledger, as the year's evaluation reads it
    if len(ledger):
        inputs = dict(inputs) | {"disposals": ledger}
    per = inputs.get("enterprise_periods")
    if per is None or not len(per):
        raise NoDataForPeriod(t("库中没有企业期间数据（enterprise_periods）：请先导入季度/半年数据",
                             "no enterprise_periods in the store: import the quarterly or half-year figures first"))
    if not len(inputs.get("parcels", ())):
        raise LanduseError(t("库中没有宗地数据", "no parcels in the store"))
    try:
        return period_figures(inputs, period=code, policy=policy)
    except ValueError:
        have = sorted(per["period"].dropna().astype(str).str.upper().unique())
        raise NoDataForPeriod(t(f"没有 {code} 的企业期间数据；库中已有：{'、'.join(have)}",
                             f"no enterprise figures for {code}; the store has: {', '.join(have)}")) from None
