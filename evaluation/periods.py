"""In-year figures: the quarterly dispatch and the half-year report (the seed's rhythm, 四(十)).

``enterprise_periods`` holds each firm's figures cumulative from 1 January to a period end (``2025Q3``:
January–September; ``2025H1``: January–June; ``2025-09``: January–September, monthly). A period is
evaluated exactly as a year is, on the state of the land at the period end: the firms' cumulative
figures stand in for the year's, the land a firm used counts for the days it used it between
1 January and the period end, and land whose users have not reported leaves both sides of the per-mu
figure (missing is not zero). Each figure is then set beside the **same period** of the previous
year and of the baseline year, where the data have them — never beside a whole year, since in-year
figures are seasonal.

In-year figures are provisional by nature: every row says so, and no row "meets" or "misses" the
annual target (``goal_met`` is left empty); ``on_track`` compares the growth on the same period of
the baseline year with the path to the year's target and is only an early signal.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.figures import evaluate_parcels, static_parts, year_figures
from evaluation.ledger import rights_with_takebacks
from landuse.core.policy import Policy

__all__ = ["PERIOD_RE", "Period", "parse_period", "PeriodResults", "period_figures", "PERIOD_COLUMNS"]

#: 2025Q3, 2025H1, 2025-09 — the forms of enterprise_periods.period
PERIOD_RE = re.compile(r"^(\d{4})(Q[1-4]|H[12]|-(0[1-9]|1[0-2]))$")

#: the columns of the period tables, after the unit's code and name (see landuse.core.labels)
PERIOD_COLUMNS = [
    "period", "period_end", "developed_mu", "revenue_wan", "tax_wan", "revenue_per_mu", "tax_per_mu",
    "revenue_coverage", "prev_period", "prev_revenue_per_mu", "prev_revenue_coverage", "yoy_change",
    "baseline_period", "baseline_revenue_per_mu", "baseline_revenue_coverage", "growth", "target_growth",
    "on_track", "provisional",
]


@dataclass(frozen=True)
class Period:
    """One in-year period: ``year``, ``part`` (``Q3``, ``H1`` or ``-09``) and its last day."""

    year: int
    part: str

    @property
    def code(self) -> str:
        return f"{self.year}{self.part}"

    @property
    def end(self) -> pd.Timestamp:
        if self.part.startswith("Q"):
            month = 3 * int(self.part[1])
        elif self.part.startswith("H"):
            month = 6 * int(self.part[1])
        else:
            month = int(self.part[1:])
        return pd.Timestamp(year=self.year, month=month, day=calendar.monthrange(self.year, month)[1])

    def same_period(self, year: int) -> Period:
        """The same part of another year (2025Q3 → 2024Q3)."""
        return Period(int(year), self.part)


def parse_period(text: str) -> Period:
    """``2025Q3`` / ``2025H1`` / ``2025-09`` → :class:`Period`; ValueError on any other text."""
    m = PERIOD_RE.match(str(text).strip().upper())
    if not m:
        raise ValueError(f"period {text!r}: expected a quarter, half year or month such as 2025Q3, 2025H1 or 2025-09")
    return Period(int(m.group(1)), m.group(2))


@dataclass
class PeriodResults:
    """The period's figures per zone, per pilot area (with the province row), and what was missing."""

    period: Period
    zones: pd.DataFrame
    pilot_areas: pd.DataFrame
    #: periods asked for and found, e.g. {"current": "2025Q3", "previous": "2024Q3", "baseline": None}
    found: dict[str, str | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _inputs_for(inputs: Mapping[str, pd.DataFrame], rows: pd.DataFrame, year: int) -> dict[str, pd.DataFrame]:
    """The inputs with ``year``'s enterprise figures replaced by the period's cumulative figures."""
    ey = inputs.get("enterprise_years")
    cols = list(ey.columns) if ey is not None else ["uscc", "year", "revenue_wan", "tax_wan"]
    sub = rows.drop(columns=["period"]).assign(year=int(year))
    sub = sub.reindex(columns=cols)
    if ey is not None:
        keep = ey[pd.to_numeric(ey["year"], errors="coerce") != int(year)]
        sub = pd.concat([keep, sub.astype({c: ey[c].dtype for c in ("uscc",) if c in ey.columns})], ignore_index=True)
    out = dict(inputs)
    out["enterprise_years"] = sub
    return out


def period_figures(inputs: Mapping[str, pd.DataFrame], *, period: Period | str, policy: Policy) -> PeriodResults:
    """Evaluate ``period`` (see the module docstring). ``inputs``: the input layers by name, as the
    store returns them. Raises ValueError when the inputs hold no figures for the period."""
    p = parse_period(period) if isinstance(period, str) else period
    per = inputs.get("enterprise_periods")
    if per is None or not len(per):
        raise ValueError("no enterprise_periods in the store")
    codes = per["period"].astype(str).str.strip().str.upper()

    def rows_of(q: Period) -> pd.DataFrame | None:
        sub = per[codes.to_numpy() == q.code]
        return sub if len(sub) else None

    cur_rows = rows_of(p)
    if cur_rows is None:
        raise ValueError(f"no enterprise figures for the period {p.code}")
    b = int(policy.growth.baseline_year)
    prev_p, base_p = p.same_period(p.year - 1), p.same_period(b)
    prev_rows, base_rows = rows_of(prev_p), (rows_of(base_p) if b != p.year else cur_rows)
    if inputs.get("disposals") is not None and len(inputs["disposals"]):
        # the disposal ledger as in a year's evaluation: completed take-backs are rights with no holder,
        # an agreed new start date restarts the idle clock (evaluation.figures reads it from the inputs)
        inputs = dict(inputs)
        inputs["land_rights"] = rights_with_takebacks(inputs["parcels"], inputs.get("land_rights"), inputs["disposals"])
    static = static_parts(inputs, policy)
    warnings: list[str] = []

    cur_in = _inputs_for(inputs, cur_rows, p.year)
    if base_rows is not None:
        base_in = _inputs_for(inputs, base_rows, b)
        base_py = evaluate_parcels(base_in, year=b, policy=policy, as_of=base_p.end, static=static)
    else:
        warnings.append(f"没有基期同期 {base_p.code} 的数据，对基期增幅留空 / no figures for the baseline period "
                        f"{base_p.code}: growth on the baseline is left empty")
        base_py = evaluate_parcels(cur_in, year=p.year, policy=policy, as_of=p.end, static=static)
    fig = year_figures(cur_in, year=p.year, policy=policy, static=static, baseline=base_py, as_of=p.end)
    prev = None
    if prev_rows is not None and prev_p.year != b:
        prev_in = _inputs_for(inputs, prev_rows, prev_p.year)
        prev = year_figures(prev_in, year=prev_p.year, policy=policy, static=static, baseline=base_py, as_of=prev_p.end)
    elif prev_rows is not None:  # the previous year is the baseline year
        prev = year_figures(base_in, year=b, policy=policy, static=static, baseline=base_py, as_of=base_p.end)
    else:
        warnings.append(f"没有上年同期 {prev_p.code} 的数据，同比留空 / no figures for the same period of the previous "
                        f"year ({prev_p.code}): the change on it is left empty")

    def table(cur: pd.DataFrame, key: str, name: str, extra: list[str], prev_df: pd.DataFrame | None) -> pd.DataFrame:
        out = cur[[key, name, *extra]].copy()
        out["period"], out["period_end"] = p.code, p.end.date()
        for c in ("developed_mu", "revenue_wan", "tax_wan", "revenue_per_mu", "tax_per_mu", "revenue_coverage",
                  "target_growth"):
            out[c] = cur[c].to_numpy()
        if prev_df is not None:
            pv = prev_df.set_index(key).reindex(cur[key])
            out["prev_period"] = prev_p.code
            out["prev_revenue_per_mu"] = pv["revenue_per_mu"].to_numpy()
            out["prev_revenue_coverage"] = pv["revenue_coverage"].to_numpy()
        else:
            out["prev_period"], out["prev_revenue_per_mu"], out["prev_revenue_coverage"] = None, np.nan, np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            out["yoy_change"] = np.where(out["prev_revenue_per_mu"] > 0,
                                         out["revenue_per_mu"] / out["prev_revenue_per_mu"] - 1.0, np.nan)
        if base_rows is not None:
            out["baseline_period"] = base_p.code
            out["baseline_revenue_per_mu"] = cur["baseline_revenue_per_mu"].to_numpy()
            out["baseline_revenue_coverage"] = cur["baseline_revenue_coverage"].to_numpy()
            out["growth"] = cur["growth"].to_numpy()
            out["on_track"] = cur["on_track"].to_numpy()
        else:
            out["baseline_period"] = None
            for c in ("baseline_revenue_per_mu", "baseline_revenue_coverage", "growth"):
                out[c] = np.nan
            out["on_track"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["provisional"] = True  # in-year figures, always
        return out[[key, name, *extra, *PERIOD_COLUMNS]].reset_index(drop=True)

    zones = table(fig.zone_results, "zone_code", "zone_name", ["pilot_area_code"],
                  prev.zone_results if prev is not None else None)
    pilots = table(fig.pilot_area_results, "pilot_area_code", "pilot_area_name", [],
                   prev.pilot_area_results if prev is not None else None)
    return PeriodResults(p, zones, pilots, {"current": p.code, "previous": prev_p.code if prev is not None else None,
                                            "baseline": base_p.code if base_rows is not None else None}, warnings)
