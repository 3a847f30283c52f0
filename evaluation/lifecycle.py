"""Parcel area, industrial land, life-cycle stage and statutory idle land (docs/domain.md §3, §5, §7, §10).

Every function here is pure and vectorised: it takes the ``parcels`` frame as the store returns it
(one row per parcel, ``parcel_code`` unique, dates as ``datetime64``) and returns a new frame
indexed by ``parcel_code``. Inputs are never mutated.

Dates and periods
-----------------
The evaluation is "as of" a date, taken as the *end* of that day (default: 31 December of the
evaluated year). An event dated on or before ``as_of`` has happened (``date <= as_of``).

Periods in years are calendar periods (民法典 第二百零一、二百零二条): ``d + n years`` is the same month
and day n years later; when that day does not exist (29 February in a common year) it is the last
day of that month, 28 February. "满一年" (a full year) is reached on that anniversary date itself.
So a parcel agreed to start on 2023-03-01 and still not started is idle as of 2024-03-01 (366 days,
2024 being a leap year) but not as of 2024-02-29; a parcel agreed for 2024-02-29 is idle as of
2025-02-28.

Life-cycle stages (at the as-of date)
-------------------------------------
``unsupplied``  not supplied yet (not in any denominator of the evaluation);
``supplied``    supplied (供地), construction not started;
``started``     construction started (动工), not completed;
``completed``   completed (竣工);
``in_production`` completed and an enterprise using the parcel has revenue > 0 in the year;
``idle``        statutory idle land (闲置土地, 53号令 Art. 2) — only a supplied or started, not
                completed parcel can be idle; ``idle`` replaces ``supplied``/``started``.

A missing ``supply_date`` is inferred: the parcel counts as supplied when it has a holder or any
later life-cycle date (agreed start, actual start, completion); a completion implies a start.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from landuse.core.policy.rules import IdlePolicy
from landuse.core.units import M2_PER_MU

STAGES: tuple[str, ...] = ("unsupplied", "supplied", "started", "completed", "in_production", "idle")

IDLE_COLUMNS: tuple[str, ...] = (
    "idle", "idle_kind", "idle_since", "idle_days", "fee_due", "fee_wan", "fee_due_date", "takeback", "takeback_date",
    "exempt", "missing_data", "evidence",
)


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

def year_end(year: int) -> pd.Timestamp:
    """31 December of ``year`` (the default as-of date)."""
    return pd.Timestamp(year=int(year), month=12, day=31)


def as_timestamp(as_of: date | pd.Timestamp | str | None, year: int | None = None) -> pd.Timestamp:
    """The as-of date as a normalised Timestamp; ``None`` → 31 December of ``year``."""
    if as_of is None:
        if year is None:
            raise ValueError("as_of or year is needed")
        return year_end(year)
    return pd.Timestamp(as_of).normalize()


def add_years(dates: pd.Series, years: int) -> pd.Series:
    """Calendar ``dates + years`` (29 Feb → 28 Feb in a common year); NaT stays NaT."""
    d = pd.to_datetime(dates)
    if years == 0:
        return d
    return d + pd.DateOffset(years=int(years))


def _col(df: pd.DataFrame, name: str, kind: str = "float") -> pd.Series:
    """A column of ``df`` (a typed all-missing Series when absent), aligned to ``df.index``."""
    if name in df.columns:
        s = df[name]
        if kind == "date":
            return pd.to_datetime(s)
        if kind == "float":
            return pd.to_numeric(s, errors="coerce").astype("float64")
        if kind == "bool":
            return s.astype("boolean").fillna(False).astype(bool)
        return s
    if kind == "date":
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if kind == "float":
        return pd.Series(np.nan, index=df.index, dtype="float64")
    if kind == "bool":
        return pd.Series(False, index=df.index, dtype=bool)
    return pd.Series(None, index=df.index, dtype=object)


def _by_code(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcels indexed by parcel_code (a new frame; the input is untouched)."""
    out = parcels.set_index(parcels["parcel_code"].astype(object), drop=False)
    out.index.name = "parcel_code"
    return out


# ----------------------------------------------------------------------------------------------
# area and industrial land
# ----------------------------------------------------------------------------------------------

def parcel_area(parcels: pd.DataFrame, *, use_registered_area: bool = True) -> pd.DataFrame:
    """Area of each parcel: ``area_m2``, ``area_mu``, ``area_source``, ``geodesic_area_mu``.

    The registered area (证载面积) is used when present, positive and ``use_registered_area``;
    otherwise the geodesic (ellipsoidal) area of the geometry. 1 亩 = 2000/3 m².
    """
    p = _by_code(parcels)
    reg = _col(p, "registered_area_m2")
    geo = _col(p, "geodesic_area_m2")
    use_reg = reg.notna() & (reg > 0) if use_registered_area else pd.Series(False, index=p.index)
    area_m2 = reg.where(use_reg, geo)
    source = pd.Series(np.where(use_reg, "registered", "geodesic"), index=p.index, dtype=object)
    source = source.where(area_m2.notna(), None)
    return pd.DataFrame(
        {
            "area_m2": area_m2,
            "area_mu": area_m2 / M2_PER_MU,
            "area_source": source,
            "geodesic_area_mu": geo / M2_PER_MU,
        },
        index=p.index,
    )


def is_industrial(parcels: pd.DataFrame, industrial_codes: dict[str, list[str]]) -> pd.Series:
    """Industrial/warehousing land: ``land_use_code`` starts with a code listed for its scheme."""
    p = _by_code(parcels)
    code = _col(p, "land_use_code", "str")
    scheme = _col(p, "land_use_scheme", "str")
    pairs = pd.MultiIndex.from_arrays(
        [scheme.astype(object).where(scheme.notna(), "").to_numpy(), code.astype(object).where(code.notna(), "").to_numpy()]
    )
    codes, uniq = pd.factorize(pairs)  # few distinct (scheme, code) pairs: test those only
    hit = np.zeros(len(uniq), dtype=bool)
    for k, (sch, c) in enumerate(uniq):
        prefixes = tuple(str(x) for x in industrial_codes.get(str(sch).strip(), []) or [])
        hit[k] = bool(prefixes) and str(c).strip().startswith(prefixes)
    return pd.Series(hit[codes] if len(codes) else np.zeros(0, bool), index=p.index, dtype=bool)


# ----------------------------------------------------------------------------------------------
# statutory idle land
# ----------------------------------------------------------------------------------------------

def _dstr(d: pd.Series) -> pd.Series:
    """Dates as 'YYYY-MM-DD' strings ('' for NaT), vectorised."""
    return pd.to_datetime(d).dt.strftime("%Y-%m-%d").astype(object).fillna("")


def _pct(num: pd.Series, den: pd.Series) -> pd.Series:
    """'12.3%' strings ('' where the share is unknown), vectorised."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (num / den.where(den > 0)).round(3) * 100
    txt = r.map("{:.1f}%".format, na_action="ignore").astype(object)
    return txt.where(r.notna(), "")


def idle_status(
    parcels: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp,
    policy: IdlePolicy,
    area_m2: pd.Series | None = None,
) -> pd.DataFrame:
    """Statutory idle land (闲置土地处置办法, 国土资源部令第53号, Art. 2, 8, 14) at ``as_of``.

    Returns, indexed by ``parcel_code``:

    ``idle`` (bool)
        (a) ``not_started``: supplied, not started by ``as_of`` (no ``actual_start_date`` on or
        before it, no completion), and ``as_of >= agreed_start_date + not_started_years`` — Art. 2
        "超过…约定…的动工开发日期满一年未动工开发"; or
        (b) ``halted``: started, not completed, ``halted_since + halted_years <= as_of``, and
        ``developed_area_m2 < halted_area_share × area`` OR ``invested_wan < halted_investment_share ×
        planned_investment_wan`` — Art. 2 "已动工开发但开发建设用地面积占应动工开发建设用地总面积不足三分之一
        或者已投资额占总投资额不足百分之二十五，中止开发建设满一年". Strict "<" ("不足"). A share whose
        data is missing is not known to be low; when both are missing the parcel is not idle and the
        evidence says the data is missing. The area to develop is the parcel area (``area_m2``, the
        same basis as the per-mu figures; default: registered area, else geodesic).
    ``idle_kind`` 'not_started' | 'halted' | None
    ``idle_since`` the date the one-year clock ends (the idleness begins): agreed start + 1 year, or
        halted_since + 1 year (calendar years, see the module docstring).
    ``idle_days`` days from ``idle_since`` to ``as_of`` (0 on the anniversary itself).
    ``exempt`` idle and ``government_delay`` is True (Art. 8: the government's doing, or force
        majeure): still idle land, but it is disposed of by negotiation (Art. 12), so no fee and no
        take-back.
    ``fee_due_date`` idle and not exempt: the day the one-off fee fell due, ``idle_since`` (Art. 14 (一):
        the fee applies once the parcel has been unstarted/halted for a full year).
    ``fee_due`` the fee falls due in the evaluated year: ``fee_due_date`` in the calendar year of
        ``as_of`` (with ``policy.fee_once``; otherwise every year the parcel is idle); ``fee_wan =
        fee_rate × land_price_wan`` when due (NaN when the price is unknown, 0 when no fee is due).
    ``takeback`` idle, not exempt and the clock start + ``takeback_years`` <= as_of (Art. 14 (二),
        "未动工开发满两年"); ``takeback_date`` that date. For halted works (started, then stopped) the
        evidence says a take-back needs a legal review (城市房地产管理法 Art. 26 speaks of land not
        started).
    ``missing_data`` idle land that cannot be assessed, the missing columns (``;``-separated):
        supplied, not started, no ``agreed_start_date`` and supplied at least ``not_started_years``
        ago (or supply date unknown); or halted a full year, not shown idle, with the developed area
        (``developed_area_m2``) or the investment (``invested_wan``, ``planned_investment_wan``)
        unknown — either could make it idle.
    ``evidence`` bilingual text for idle parcels and for parcels with missing data.
    """
    p = _by_code(parcels)
    as_of = pd.Timestamp(as_of).normalize()
    if area_m2 is None:
        area_m2 = parcel_area(parcels)["area_m2"]
    area_m2 = area_m2.reindex(p.index)

    supply = _col(p, "supply_date", "date")
    agreed = _col(p, "agreed_start_date", "date")
    actual = _col(p, "actual_start_date", "date")
    completion = _col(p, "completion_date", "date")
    halted = _col(p, "halted_since", "date")
    gov = _col(p, "government_delay", "bool")
    price = _col(p, "land_price_wan")
    dev_area = _col(p, "developed_area_m2")
    planned = _col(p, "planned_investment_wan")
    invested = _col(p, "invested_wan")
    holder = _col(p, "holder_uscc", "str")

    completed = (completion <= as_of).to_numpy()
    started = (actual <= as_of).to_numpy() | completed
    supplied = _supplied(supply, agreed, actual, completion, holder, as_of) | started

    # (a) not started a full year after the agreed start date
    ns_idle_since = add_years(agreed, policy.not_started_years)
    not_started = supplied & ~started & (ns_idle_since <= as_of).to_numpy()

    # (b) started, under 1/3 developed or under 25 % invested, halted for a full year
    h_idle_since = add_years(halted, policy.halted_years)
    halted_year = started & ~completed & (halted <= as_of).to_numpy() & (h_idle_since <= as_of).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        area_low = (dev_area < policy.halted_area_share * area_m2).to_numpy()
        inv_low = ((planned > 0) & (invested < policy.halted_investment_share * planned)).to_numpy()
    area_unknown = (dev_area.isna() | area_m2.isna()).to_numpy()
    inv_unknown = (invested.isna() | ~(planned > 0)).to_numpy()
    halted_idle = halted_year & (area_low | inv_low)
    halted_unknown = halted_year & ~halted_idle & (area_unknown | inv_unknown)
    # supplied, not started, no agreed start date: cannot tell whether it is idle
    old_supply = (supply.isna() | (add_years(supply, policy.not_started_years) <= as_of)).to_numpy()
    start_unknown = supplied & ~started & agreed.isna().to_numpy() & old_supply

    idle = not_started | halted_idle
    # numpy's stubs refuse None as a value of np.where
    kind = np.where(not_started, "not_started", np.where(halted_idle, "halted", None)).astype(object)  # type: ignore[call-overload]
    clock = agreed.where(not_started, halted.where(halted_idle))  # when the unstarted/halted time began
    idle_since = ns_idle_since.where(not_started, h_idle_since.where(halted_idle))
    idle_days = pd.array(((as_of - idle_since).dt.days).to_numpy(), dtype="Int64")

    exempt = idle & gov.to_numpy() & bool(policy.government_delay_exempt)
    fee_owed = idle & ~exempt
    fee_due_date = idle_since.where(fee_owed)
    fee_due = fee_owed & ((fee_due_date.dt.year == as_of.year).to_numpy() if policy.fee_once else True)
    fee_wan = pd.Series(np.where(fee_due, policy.fee_rate * price.to_numpy(), 0.0), index=p.index)
    takeback_date = add_years(clock, policy.takeback_years)
    takeback = fee_owed & (takeback_date <= as_of).to_numpy()
    missing = np.full(len(p), None, dtype=object)
    for i in np.flatnonzero(start_unknown):
        missing[i] = "agreed_start_date" + (";supply_date" if pd.isna(supply.iat[i]) else "")
    for i in np.flatnonzero(halted_unknown):
        miss = []
        if area_unknown[i]:
            miss.append("developed_area_m2")
        if inv_unknown[i]:
            miss += [c for c, v in (("invested_wan", invested.iat[i]), ("planned_investment_wan", planned.iat[i]))
                     if not (pd.notna(v) and (c == "invested_wan" or v > 0))]
        missing[i] = ";".join(miss)

    out = pd.DataFrame(
        {
            "idle": idle,
            "idle_kind": kind,
            "idle_since": idle_since.astype("datetime64[ns]"),
            "idle_days": idle_days,
            "fee_due": fee_due,
            "fee_wan": fee_wan.astype("float64"),
            "fee_due_date": fee_due_date.astype("datetime64[ns]"),
            "takeback": takeback,
            "takeback_date": takeback_date.where(idle).astype("datetime64[ns]"),
            "exempt": exempt,
            "missing_data": pd.Series(missing, index=p.index, dtype=object),
            "evidence": pd.Series(None, index=p.index, dtype=object),
        },
        index=p.index,
    )
    for c in ("idle", "fee_due", "takeback", "exempt"):
        out[c] = out[c].astype("boolean")

    rows = np.flatnonzero(idle | halted_unknown | start_unknown)
    if len(rows):
        out.iloc[rows, out.columns.get_loc("evidence")] = _evidence(
            rows, p, out, agreed, halted, area_m2, dev_area, planned, invested, price, halted_unknown, as_of, policy,
            supply=supply,
        )
    return out


def _supplied(supply, agreed, actual, completion, holder, as_of) -> np.ndarray:
    known = supply.notna().to_numpy()
    inferred = (
        holder.notna().to_numpy()
        | agreed.notna().to_numpy()
        | actual.notna().to_numpy()
        | completion.notna().to_numpy()
    )
    return np.where(known, (supply <= as_of).to_numpy(), inferred)


def supplied_from(parcels: pd.DataFrame, rights: pd.DataFrame | None = None) -> pd.Series:
    """The first day each parcel is supplied, by parcel_code: ``supply_date``; when it is missing,
    as :func:`parcel_stages` infers it — supplied all along when the parcel has a holder or any later
    life-cycle date — or from the first right naming a holder; NaT: never supplied."""
    p = _by_code(parcels)
    supply = _col(p, "supply_date", "date")
    later = (_col(p, "agreed_start_date", "date").notna() | _col(p, "actual_start_date", "date").notna()
             | _col(p, "completion_date", "date").notna() | _col(p, "holder_uscc", "str").notna())
    inferred = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]").where(~later, pd.Timestamp("1900-01-01"))
    if rights is not None and len(rights):
        first = rights[rights["holder_uscc"].notna()].groupby("parcel_code")["start"].min()
        inferred = inferred.where(inferred.notna(), first.reindex(p.index))
    return supply.where(supply.notna(), inferred).astype("datetime64[ns]")


def _evidence(rows, p, out, agreed, halted, area_m2, dev_area, planned, invested, price, unknown, as_of, policy, *,
              supply):
    """Bilingual evidence text for the given row positions (vectorised string building)."""
    o = out.iloc[rows]
    kind = o["idle_kind"].to_numpy()
    ag = _dstr(agreed.iloc[rows])
    ha = _dstr(halted.iloc[rows])
    since = _dstr(o["idle_since"])
    day = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    n1, nh, n2 = policy.not_started_years, policy.halted_years, policy.takeback_years
    ns = (
        "约定动工日期" + ag + f"，截至{day}未动工开发，自" + since + f"起满{n1}年构成闲置土地(53号令第二条) / agreed start "
        + ag + f", not started by {day}: idle since " + since + f" ({n1} full year(s) late; Order 53 Art. 2)"
    )
    ap = _pct(dev_area.iloc[rows], area_m2.iloc[rows])
    ip = _pct(invested.iloc[rows], planned.iloc[rows])
    zh_share = ("已开发面积占比" + ap).where(ap != "", "") + ("，已投资占比" + ip).where(ip != "", "")
    en_share = ("developed " + ap + " of the area").where(ap != "", "") + (", invested " + ip + " of the total").where(ip != "", "")
    hl = (
        zh_share + "，自" + ha + "中止开发建设，自" + since + f"起满{nh}年构成闲置土地(53号令第二条) / "
        + en_share + "; halted since " + ha + ": idle since " + since + " (Order 53 Art. 2)"
    )
    miss = o["missing_data"].fillna("").to_numpy(dtype=object)
    miss_zh = np.array(["、".join(MISSING_ZH.get(m, m) for m in x.split(";") if m) for x in miss], dtype=object)
    unk = (
        "自" + ha + f"中止开发建设已满{nh}年，但缺少" + miss_zh + "，无法认定是否闲置 / halted since " + ha
        + " but " + pd.Series(miss, index=o.index).str.replace(";", ", ") + " unknown: not assessed"
    )
    sup = _dstr(supply.iloc[rows])
    nostart = (
        pd.Series("供地日期" + sup, index=o.index).where(sup != "", "供地日期未知") + "，未动工，缺少约定动工日期，无法认定是否闲置 / "
        + pd.Series("supplied " + sup, index=o.index).where(sup != "", "supply date unknown")
        + ", not started, no agreed start date: not assessed"
    )
    is_halted_unknown = unknown[rows]
    text = pd.Series(
        np.where(kind == "not_started", ns, np.where(kind == "halted", hl, np.where(is_halted_unknown, unk, nostart))),
        index=o.index, dtype=object,
    )
    pr = price.iloc[rows]
    fee = (pr * policy.fee_rate).map("{:.2f}".format, na_action="ignore").astype(object)
    fee_zh = ("(" + fee + "万元)").where(pr.notna(), "(土地价款未知)")
    fee_en = (" = " + fee + " 万元").where(pr.notna(), " (price unknown)")
    rate = f"{policy.fee_rate:.0%}"
    is_idle = o["idle"].fillna(False).to_numpy(dtype=bool)
    exempt = o["exempt"].fillna(False).to_numpy(dtype=bool)
    take = o["takeback"].fillna(False).to_numpy(dtype=bool)
    due = o["fee_due"].fillna(False).to_numpy(dtype=bool)
    due_on = _dstr(o["fee_due_date"])
    text = text.where(
        ~(is_idle & exempt),
        text + "；因政府原因或不可抗力延迟，不征收闲置费、不无偿收回(第八、十二条) / delay caused by the government "
        "or force majeure: no fee, no take-back (Art. 8, 12)",
    )
    text = text.where(
        ~(is_idle & ~exempt & due),
        text + f"；应按土地价款的{rate}征缴土地闲置费" + fee_zh + f"(一次性) / idle fee {rate} of the land price" + fee_en
        + " (once)",
    )
    text = text.where(
        ~(is_idle & ~exempt & ~due),
        text + "；土地闲置费已于" + due_on + "应征(一次性，不重复征收) / the one-off idle fee fell due on " + due_on,
    )
    halted_take = take & (kind == "halted")
    text = text.where(
        ~(take & ~halted_take),
        text + f"；未动工开发满{n2}年，可无偿收回国有建设用地使用权(第十四条) / not started {n2} full years: may be taken "
        "back without compensation (Art. 14)",
    )
    text = text.where(
        ~halted_take,
        text + f"；已动工后中止开发满{n2}年，无偿收回须经法律审核(城市房地产管理法第二十六条针对未动工土地) / started, then "
        f"halted {n2} full years: a take-back without compensation needs a legal review (Urban Real Estate Law Art. 26 "
        "speaks of land not started)",
    )
    return text.to_numpy()


#: the Chinese names of the inputs an idle-land decision may lack (shared with the idle rule)
MISSING_ZH = {
    "agreed_start_date": "约定动工日期",
    "supply_date": "供地日期",
    "developed_area_m2": "已开发面积",
    "invested_wan": "已完成投资",
    "planned_investment_wan": "计划总投资",
}


# ----------------------------------------------------------------------------------------------
# stages
# ----------------------------------------------------------------------------------------------

def parcel_stages(
    parcels: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp,
    producing: pd.Series | None = None,
    idle: pd.Series | None = None,
) -> pd.Series:
    """Life-cycle stage of each parcel at ``as_of`` (see the module docstring), indexed by parcel_code.

    ``producing``: parcel_code → an enterprise using the parcel has revenue > 0 in the year
    (missing → False). ``idle``: parcel_code → statutory idle (``idle_status(...)["idle"]``).
    """
    p = _by_code(parcels)
    as_of = pd.Timestamp(as_of).normalize()
    supply = _col(p, "supply_date", "date")
    agreed = _col(p, "agreed_start_date", "date")
    actual = _col(p, "actual_start_date", "date")
    completion = _col(p, "completion_date", "date")
    holder = _col(p, "holder_uscc", "str")
    completed = (completion <= as_of).to_numpy()
    started = (actual <= as_of).to_numpy() | completed
    supplied = _supplied(supply, agreed, actual, completion, holder, as_of) | started
    prod = (
        np.zeros(len(p), dtype=bool)
        if producing is None
        else producing.reindex(p.index).astype("boolean").fillna(False).to_numpy(dtype=bool)
    )
    idl = (
        np.zeros(len(p), dtype=bool)
        if idle is None
        else idle.reindex(p.index).astype("boolean").fillna(False).to_numpy(dtype=bool)
    )
    stage = np.select(
        [completed & prod, completed, supplied & idl, started, supplied],
        ["in_production", "completed", "idle", "started", "supplied"],
        default="unsupplied",
    ).astype(object)
    return pd.Series(stage, index=p.index, name="stage", dtype=object)


def developed_mask(stage: pd.Series, industrial: pd.Series, *, stages, industrial_only: bool) -> pd.Series:
    """实际开发: stage in ``stages`` (and industrial land when ``industrial_only``)."""
    dev = stage.isin(list(stages))
    if industrial_only:
        dev &= industrial.reindex(stage.index).fillna(False).astype(bool)
    return dev.astype(bool)
