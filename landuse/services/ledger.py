"""The disposal ledger (处置台账): one entry per target parcel and problem (``rule``), opened from the
target list (one or in bulk), edited by the zone's managers, closed as 已完成 or 已核销.

- Columns: the contract's ``disposals`` (docs/data-package.md) plus ``zone_code`` (the parcel's),
  ``planned_mu``, ``reason`` (why an entry was written off) and ``revision`` (optimistic
  concurrency: every change names the revision it read; a change made on an older revision is
  refused with :class:`LedgerConflict`, never written over another person's edit).
- Status machine: 待处置 → 处置中 → 已完成 | 已核销, and 待处置 → 已核销 (written off after checking);
  已完成 and 已核销 are final. 已完成 needs its ``closed`` date, 已核销 its ``reason``; both default
  ``closed`` to the day of the change.
- Progress notes (``disposal_notes``) are dated and carry their author; they are never edited.
- Every change is audited in the same transaction as the change (``audit_log``: who, when,
  ``before → after`` of each changed field).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.core.contract import DISPOSAL_METHODS, DISPOSAL_STATUSES, DISPOSALS
from landuse.core.errors import LanduseError, Problem, ValidationFailed
from landuse.core.labels import t
from parcels.store.base import RowCountMismatch, Store, SysOp, now_utc

#: the columns an entry carries, in order (the contract's, then the product's)
COLUMNS = [c.name for c in DISPOSALS.columns] + ["updated_at", "updated_by"]
#: fields a change may set (the key, ``opened`` and ``zone_code`` are fixed when the entry is opened)
EDITABLE = ("method", "responsible", "deadline", "status", "closed", "planned_mu", "disposed_mu",
            "fee_collected_wan", "note", "reason")
DATE_FIELDS = ("opened", "deadline", "closed")
NUMBER_FIELDS = ("planned_mu", "disposed_mu", "fee_collected_wan")
OPEN_STATUSES = ("待处置", "处置中")
CLOSED_STATUSES = ("已完成", "已核销")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "待处置": ("处置中", "已核销"),
    "处置中": ("已完成", "已核销"),
    "已完成": (),
    "已核销": (),
}

#: the method a new entry gets by default, per rule (docs/domain.md §7: recommended actions)
DEFAULT_METHOD = {
    "idle": "征缴闲置费", "low_far": "技改增容", "low_coverage": "技改增容", "low_tax": "二次开发",
    "low_revenue": "二次开发", "below_commitment": "二次开发", "grade_d_twice": "腾笼换鸟",
    "production_stopped": "腾笼换鸟", "obsolete": "腾笼换鸟", "env_safety": "其他",
    "standard_land_breach": "其他", "rs_mismatch": "其他", "not_reported": "其他", "idle_data_missing": "其他",
}

SOURCE = "处置台账 / ledger"


class LedgerConflict(LanduseError):
    """The entry changed since it was read (another person saved first): nothing was written."""

    def __init__(self, key: str, current: dict[str, Any] | None) -> None:
        self.key, self.current = key, current
        who = (current or {}).get("updated_by") or "?"
        when = (current or {}).get("updated_at") or "?"
        rev = (current or {}).get("revision")
        super().__init__(t(
            f"台账条目 {key} 已被 {who} 于 {when} 修改（当前版本 {rev}），本次修改未保存；请刷新后重新填写",
            f"ledger entry {key} was changed by {who} at {when} (now revision {rev}); your change was not "
            "saved: reload it and make your change again"))


class LedgerNotFound(LanduseError):
    """No ledger entry with that parcel and rule (or not in the caller's zones)."""


@dataclass(frozen=True)
class Key:
    parcel_code: str
    rule: str | None = None

    def __str__(self) -> str:
        return f"{self.parcel_code}/{self.rule}" if self.rule else self.parcel_code

    @property
    def stored_rule(self) -> str:
        return self.rule or ""

    def where(self) -> dict[str, Any]:
        return {"parcel_code": self.parcel_code, "rule": self.stored_rule}


# ------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------

def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def parse_date(v: Any) -> _dt.date | None:
    """A date from a date, a datetime or ``YYYY-MM-DD`` text (ValueError otherwise)."""
    if _missing(v):
        return None
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    return _dt.date.fromisoformat(str(v).strip()[:10])


def parse_number(v: Any) -> float | None:
    if _missing(v):
        return None
    x = float(str(v).replace(",", "").strip()) if isinstance(v, str) else float(v)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(v)
    return x


def _text(v: Any) -> str | None:
    return None if _missing(v) else str(v).strip()


def _stored(field_: str, v: Any) -> Any:
    """A value as the store keeps it (dates as ISO text)."""
    if v is None:
        return None
    if field_ in DATE_FIELDS:
        return v.isoformat()
    return v


def _from_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {c: row.get(c) for c in COLUMNS}
    out["rule"] = out["rule"] or None
    for f in DATE_FIELDS:
        out[f] = parse_date(out[f])
    for f in NUMBER_FIELDS:
        out[f] = None if out[f] is None else float(out[f])
    out["revision"] = int(out["revision"] or 1)
    return out


def _problem(key: Key | str, column: str, value: Any, expected: str, *, row: Any = None, file: str = SOURCE) -> Problem:
    return Problem(file=file, layer="disposals", row=row if row is not None else str(key), column=column,
                   value=value, expected=expected)


def clean_changes(key: Key | str, changes: dict[str, Any], *, row: Any = None, file: str = SOURCE,
                  columns: dict[str, str] | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Parse the fields of a change (text from a form or a workbook): (values, problems).
    ``columns`` names each field's place (a workbook cell) in the problems."""
    vals: dict[str, Any] = {}
    problems: list[Problem] = []
    col = columns or {}

    def bad(f: str, v: Any, expected: str) -> None:
        problems.append(_problem(key, col.get(f, f), v, expected, row=row, file=file))

    for f, v in changes.items():
        if f not in EDITABLE and f not in ("opened", "parcel_code", "rule"):
            bad(f, v, t("可修改的台账字段", "an editable ledger field"))
            continue
        try:
            if f in DATE_FIELDS:
                vals[f] = parse_date(v)
            elif f in NUMBER_FIELDS:
                x = parse_number(v)
                if x is not None and x < 0:
                    bad(f, v, t("不小于 0 的数", "a number ≥ 0"))
                    continue
                vals[f] = x
            else:
                vals[f] = _text(v)
        except (ValueError, TypeError):
            bad(f, v, t("日期 YYYY-MM-DD", "a date YYYY-MM-DD") if f in DATE_FIELDS else t("数字", "a number"))
            continue
        if f == "method" and vals[f] is not None and vals[f] not in DISPOSAL_METHODS:
            bad(f, v, t("处置方式之一：", "one of the methods: ") + "|".join(DISPOSAL_METHODS))
        if f == "status" and vals[f] is not None and vals[f] not in DISPOSAL_STATUSES:
            bad(f, v, t("状态之一：", "one of the statuses: ") + "|".join(DISPOSAL_STATUSES))
        if f in ("method", "status") and vals.get(f) is None and f in vals:
            bad(f, v, t("不可为空", "a value (not empty)"))
    return vals, problems


def check_entry(key: Key | str, before: dict[str, Any] | None, after: dict[str, Any], *, today: _dt.date,
                row: Any = None, file: str = SOURCE, columns: dict[str, str] | None = None) -> list[Problem]:
    """The rules an entry must keep after a change: the status machine, 已完成 closed, 已核销 with a
    reason, dates in order, disposed area within the planned area's parcel."""
    col = columns or {}
    out: list[Problem] = []

    def bad(f: str, v: Any, expected: str) -> None:
        out.append(_problem(key, col.get(f, f), v, expected, row=row, file=file))

    old, new = (before or {}).get("status"), after.get("status")
    if before is not None and new != old and new in DISPOSAL_STATUSES and new not in TRANSITIONS.get(old, ()):
        nxt = "、".join(TRANSITIONS.get(old, ())) or t("无（已办结）", "none (closed)")
        bad("status", new, t(f"从“{old}”只能改为：{nxt}", f"from {old!r} only: {nxt}"))
    if new == "已核销" and not after.get("reason"):
        bad("reason", after.get("reason"), t("核销须填写核销理由", "a write-off needs its reason"))
    if new in OPEN_STATUSES and after.get("closed") is not None:
        bad("closed", after.get("closed"), t("未办结的条目没有办结日期", "no closed date while the entry is open"))
    opened, closed, deadline = after.get("opened"), after.get("closed"), after.get("deadline")
    if opened and closed and closed < opened:
        bad("closed", closed, t(f"不早于立项日期 {opened}", f"not before the opened date {opened}"))
    if opened and deadline and deadline < opened:
        bad("deadline", deadline, t(f"不早于立项日期 {opened}", f"not before the opened date {opened}"))
    if closed and closed > today:
        bad("closed", closed, t(f"不晚于今天 {today}", f"not after today {today}"))
    if opened and opened > today:
        bad("opened", opened, t(f"不晚于今天 {today}", f"not after today {today}"))
    return out


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------

def read_ledger(store: Store, *, zones: list[str] | None = None) -> pd.DataFrame:
    """Every entry (of ``zones``; None: all), by zone, parcel and rule, with the columns of
    :data:`COLUMNS` (dates as dates, ``rule`` None when the entry answers no flag)."""
    rows = [_from_row(r) for r in store.sys_query("disposals")]
    if zones is not None:
        zs = set(zones)
        rows = [r for r in rows if r["zone_code"] in zs]
    df = pd.DataFrame(rows, columns=COLUMNS)
    if len(df):
        df = df.sort_values(["zone_code", "parcel_code", "rule"], na_position="first", kind="stable")
    return df.reset_index(drop=True)


def get_entry(store: Store, key: Key, *, zones: list[str] | None = None) -> dict[str, Any]:
    """One entry; :class:`LedgerNotFound` when there is none, or it is outside ``zones``."""
    rows = store.sys_query("disposals", key.where())
    if not rows or (zones is not None and rows[0]["zone_code"] not in set(zones)):
        raise LedgerNotFound(t(f"没有台账条目 {key}", f"no ledger entry {key}"))
    return _from_row(rows[0])


def entries_of_parcel(store: Store, parcel_code: str) -> list[dict[str, Any]]:
    return [_from_row(r) for r in store.sys_query("disposals", {"parcel_code": parcel_code})]


def notes(store: Store, key: Key) -> list[dict[str, Any]]:
    """The entry's progress notes, oldest first."""
    rows = store.sys_query("disposal_notes", key.where())
    return sorted(({"noted": parse_date(r["noted"]), "author": r["author"], "text": r["text"], "ts": r["ts"],
                    "id": int(r["id"])} for r in rows), key=lambda r: (r["noted"], r["id"]))


def is_overdue(entry: dict[str, Any], today: _dt.date) -> bool:
    d = entry.get("deadline")
    return entry.get("status") in OPEN_STATUSES and d is not None and not pd.isna(d) and d < today


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------

def _audit_op(actor: str | None, action: str, detail: dict[str, Any], ip: str | None) -> SysOp:
    return SysOp("insert", "audit_log", {"ts": now_utc().isoformat(), "username": actor, "action": action,
                                         "detail": json.dumps(detail, ensure_ascii=False, default=str)[:2000],
                                         "ip": ip})


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    def norm(v: Any) -> Any:
        return None if _missing(v) else v

    return {f: [norm(before.get(f)), norm(after.get(f))] for f in EDITABLE
            if norm(before.get(f)) != norm(after.get(f))}


def open_entries(store: Store, items: list[dict[str, Any]], *, actor: str | None, zones: list[str] | None = None,
                 ip: str | None = None, today: _dt.date | None = None) -> list[Key]:
    """Open one entry per item (``parcel_code``, ``rule`` and any editable field; ``method`` defaults
    from the rule, ``status`` to 待处置, ``opened`` to today), all or nothing: an unknown parcel, a
    parcel outside ``zones`` (None: any), an entry that exists or a bad value refuses them all."""
    today = today or _dt.date.today()
    parcels = store.read("parcels", columns=["parcel_code", "zone_code"], geometry=False)
    zone_of = dict(zip(parcels["parcel_code"], parcels["zone_code"]))
    existing = {(r["parcel_code"], r["rule"]) for r in store.sys_query("disposals")}
    problems: list[Problem] = []
    ops: list[SysOp] = []
    keys: list[Key] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        code = _text(item.get("parcel_code"))
        key = Key(code or "", _text(item.get("rule")))
        if not code or code not in zone_of:
            problems.append(_problem(key, "parcel_code", code, t("库中的宗地代码", "a parcel code in the store")))
            continue
        if zones is not None and zone_of[code] not in set(zones):
            problems.append(_problem(key, "parcel_code", code, t("您所管理开发区的宗地", "a parcel of your zones")))
            continue
        if (code, key.stored_rule) in existing or (code, key.stored_rule) in seen:
            problems.append(_problem(key, "rule", key.rule, t("该宗地此问题尚无台账条目", "no entry yet for this parcel and rule")))
            continue
        seen.add((code, key.stored_rule))
        fields = {k: v for k, v in item.items() if k in EDITABLE or k == "opened"}
        fields.setdefault("method", DEFAULT_METHOD.get(key.rule or "", "其他"))
        fields.setdefault("status", "待处置")
        vals, probs = clean_changes(key, fields)
        problems += probs
        vals.setdefault("opened", today)
        if vals.get("opened") is None:
            vals["opened"] = today
        after = {f: vals.get(f) for f in EDITABLE} | {"opened": vals["opened"]}
        if vals.get("status") in CLOSED_STATUSES and after.get("closed") is None:
            after["closed"] = today
        problems += check_entry(key, None, after, today=today)
        row = {"parcel_code": code, "rule": key.stored_rule, "zone_code": zone_of[code], "revision": 1,
               "updated_at": now_utc().isoformat(), "updated_by": actor}
        row |= {f: _stored(f, v) for f, v in after.items()}
        ops.append(SysOp("insert", "disposals", row))
        ops.append(_audit_op(actor, "ledger_open", {"entry": str(key), "after": {
            f: v for f, v in after.items() if v is not None}}, ip))
        keys.append(key)
    if problems:
        raise ValidationFailed(problems)
    if ops:
        store.sys_batch(ops)
    return keys


def open_from_targets(store: Store, *, year: int, zones: list[str] | None, actor: str | None,
                      parcels: list[str] | None = None, rules: list[str] | None = None,
                      ip: str | None = None, today: _dt.date | None = None) -> list[Key]:
    """Open an entry for each flag of ``year`` (of ``parcels`` and ``rules`` when given, within
    ``zones``) that has none yet; ``planned_mu`` from the flag's ``gain_mu``."""
    from landuse.services.results import read_layer

    fl = read_layer(store, "flags", year=year, zones=zones, with_geometry=False)
    fl = fl[fl["rule"] != "disposal_overdue"]  # the ledger's own flag is not a target
    if parcels is not None:
        fl = fl[fl["parcel_code"].isin(parcels)]
    if rules is not None:
        fl = fl[fl["rule"].isin(rules)]
    have = {(r["parcel_code"], r["rule"]) for r in store.sys_query("disposals")}
    items = []
    for r in fl.itertuples(index=False):
        if (r.parcel_code, r.rule) in have:
            continue
        item = {"parcel_code": r.parcel_code, "rule": r.rule}
        gm = getattr(r, "gain_mu", None)
        if not _missing(gm):
            item["planned_mu"] = float(gm)
        items.append(item)
    return open_entries(store, items, actor=actor, zones=zones, ip=ip, today=today)


def plan_change(before: dict[str, Any], vals: dict[str, Any], *, today: _dt.date) -> dict[str, Any]:
    """The entry after a change (closing sets ``closed`` to today unless given)."""
    after = {f: before.get(f) for f in COLUMNS} | vals
    if after.get("status") in CLOSED_STATUSES and before.get("status") not in CLOSED_STATUSES \
            and after.get("closed") is None:
        after["closed"] = today
    return after


def update_entry(store: Store, key: Key, changes: dict[str, Any], *, expected_revision: int, actor: str | None,
                 zones: list[str] | None = None, ip: str | None = None, today: _dt.date | None = None,
                 note: str | None = None) -> dict[str, Any]:
    """Change an entry read at ``expected_revision``; returns it as stored. Raises
    :class:`LedgerConflict` when someone else changed it since, :class:`ValidationFailed` with every
    problem of the change (nothing written), :class:`LedgerNotFound` outside ``zones``. ``note``
    adds a progress note in the same transaction."""
    today = today or _dt.date.today()
    before = get_entry(store, key, zones=zones)
    if int(expected_revision) != before["revision"]:
        raise LedgerConflict(str(key), before)
    vals, problems = clean_changes(key, changes)
    for f in ("parcel_code", "rule", "opened"):
        if f in vals and vals[f] != before[f]:
            problems.append(_problem(key, f, vals[f], t("立项后不可修改", "fixed once the entry is opened")))
        vals.pop(f, None)
    after = plan_change(before, vals, today=today)
    problems += check_entry(key, before, after, today=today)
    if problems:
        raise ValidationFailed(problems)
    diff = _diff(before, after)
    ops = change_ops(key, before, after, actor=actor, ip=ip, diff=diff)
    if note:
        ops += note_ops(key, note, author=actor, noted=today, ip=ip)
    if not ops:
        return before
    try:
        store.sys_batch(ops)
    except RowCountMismatch:
        raise LedgerConflict(str(key), get_entry(store, key)) from None
    return get_entry(store, key)


def change_ops(key: Key, before: dict[str, Any], after: dict[str, Any], *, actor: str | None, ip: str | None,
               diff: dict[str, list[Any]] | None = None, action: str = "ledger_update") -> list[SysOp]:
    """The writes of one change: the entry (only if its revision is still the one read) and its audit."""
    diff = _diff(before, after) if diff is None else diff
    if not diff:
        return []
    values = {f: _stored(f, after.get(f)) for f in diff} | {
        "revision": before["revision"] + 1, "updated_at": now_utc().isoformat(), "updated_by": actor}
    return [SysOp("update", "disposals", values, key.where() | {"revision": before["revision"]}, expect=1),
            _audit_op(actor, action, {"entry": str(key), "revision": before["revision"] + 1,
                                      "before": {f: b for f, (b, _a) in diff.items()},
                                      "after": {f: a for f, (_b, a) in diff.items()}}, ip)]


def note_ops(key: Key, text_: str, *, author: str | None, noted: _dt.date, ip: str | None) -> list[SysOp]:
    return [SysOp("insert", "disposal_notes", {"parcel_code": key.parcel_code, "rule": key.stored_rule,
                                               "noted": noted.isoformat(), "author": author, "text": text_,
                                               "ts": now_utc().isoformat()}),
            _audit_op(author, "ledger_note", {"entry": str(key), "noted": noted, "text": text_}, ip)]


def add_note(store: Store, key: Key, text_: str, *, author: str | None, zones: list[str] | None = None,
             noted: Any = None, ip: str | None = None, today: _dt.date | None = None) -> None:
    """A dated progress note with its author (audited). Notes are never edited or removed."""
    today = today or _dt.date.today()
    get_entry(store, key, zones=zones)
    problems = []
    body = _text(text_)
    if not body:
        problems.append(_problem(key, "text", text_, t("进展内容不可为空", "the note's text")))
    try:
        day = parse_date(noted) or today
    except ValueError:
        problems.append(_problem(key, "noted", noted, t("日期 YYYY-MM-DD", "a date YYYY-MM-DD")))
        day = today
    if day > today:
        problems.append(_problem(key, "noted", day, t(f"不晚于今天 {today}", f"not after today {today}")))
    if problems:
        raise ValidationFailed(problems)
    store.sys_batch(note_ops(key, body[:4000], author=author, noted=day, ip=ip))


def history(store: Store, key: Key) -> list[dict[str, Any]]:
    """The audit trail of one entry, oldest first: ts, username, action, before, after."""
    out = []
    for r in store.sys_query("audit_log"):
        if not str(r["action"]).startswith("ledger_"):
            continue
        try:
            d = json.loads(r["detail"] or "{}")
        except ValueError:
            continue
        if d.get("entry") == str(key):
            out.append({"ts": r["ts"], "username": r["username"], "action": r["action"],
                        "before": d.get("before", {}), "after": d.get("after", {}), "text": d.get("text")})
    return out


# ------------------------------------------------------------------------------------------------
# summaries
# ------------------------------------------------------------------------------------------------

def summary(ledger: pd.DataFrame, *, today: _dt.date, by: str = "zone_code") -> pd.DataFrame:
    """Per ``by`` (zone_code; pass a frame with pilot_area_code for pilot areas): entries, entries per
    status, mu planned in open entries (in disposal), mu disposed (completed), overdue entries, fee
    collected."""
    cols = [by, "entries", *DISPOSAL_STATUSES, "mu_in_disposal", "mu_disposed", "overdue", "fee_collected_wan"]
    if not len(ledger):
        return pd.DataFrame(columns=cols)
    df = ledger.copy()
    df["overdue"] = [is_overdue(r, today) for r in df.to_dict("records")]
    open_ = df["status"].isin(OPEN_STATUSES)
    done = df["status"] == "已完成"
    df["mu_in_disposal"] = pd.to_numeric(df["planned_mu"], errors="coerce").where(open_)
    df["mu_disposed"] = pd.to_numeric(df["disposed_mu"], errors="coerce").where(done)
    g = df.groupby(by, dropna=False)
    out = pd.DataFrame({"entries": g.size()})
    for s in DISPOSAL_STATUSES:
        out[s] = g["status"].apply(lambda x, s=s: int((x == s).sum()))
    out["mu_in_disposal"] = g["mu_in_disposal"].sum(min_count=1)
    out["mu_disposed"] = g["mu_disposed"].sum(min_count=1)
    out["overdue"] = g["overdue"].sum().astype(int)
    out["fee_collected_wan"] = g["fee_collected_wan"].apply(lambda x: pd.to_numeric(x, errors="coerce").sum(min_count=1))
    return out.reset_index()[cols]


# ------------------------------------------------------------------------------------------------
# a path to the target
# ------------------------------------------------------------------------------------------------

@dataclass
class Plan:
    unit: str
    level: str
    year: int
    chosen: pd.DataFrame
    summary: dict[str, Any]

    def message(self) -> str:
        s = self.summary
        if s.get("missing"):
            return t(f"{self.unit}：{s['missing']}", f"{self.unit}: {s['missing_en']}")
        v, p = s["revenue_per_mu"], s["path_value"]
        if s["on_path"]:
            return t(f"{self.unit} {self.year} 年亩均营业收入 {v:,.1f} 万元/亩，已达到 +15% 路径值 {p:,.1f}，无需另选",
                     f"{self.unit} {self.year}: {v:,.1f} 万元/亩 is on its +15 % path ({p:,.1f}); nothing to choose")
        if s["enough"]:
            last = float(self.chosen["revenue_per_mu_after"].iloc[-1])
            return t(f"{self.unit} {self.year} 年亩均营业收入 {v:,.1f}，低于路径值 {p:,.1f} 万元/亩；处置下列 "
                     f"{s['chosen']} 宗（共 {s['candidates']} 宗可选）后估算可达 {last:,.1f}（估算，依据问题清单的可腾退面积和增收估计）",
                     f"{self.unit} {self.year}: {v:,.1f} is below its path {p:,.1f} 万元/亩; disposing of these "
                     f"{s['chosen']} of {s['candidates']} targets would bring it to about {last:,.1f} (an estimate from "
                     "the flags' gain estimates)")
        r = s["reachable_revenue_per_mu"]
        return t(f"{self.unit} {self.year} 年亩均营业收入 {v:,.1f}，低于路径值 {p:,.1f} 万元/亩；即使全部 {s['candidates']} "
                 f"宗问题宗地处置完成，估算也只能达到 {r:,.1f}，不足以回到路径上",
                 f"{self.unit} {self.year}: {v:,.1f} is below its path {p:,.1f} 万元/亩; even with all "
                 f"{s['candidates']} targets disposed of it would reach only about {r:,.1f}: not enough")


def plan_to_target(store: Store, *, year: int, zone: str | None = None, pilot_area: str | None = None,
                   zones: list[str] | None = None) -> Plan:
    """The smallest set of open targets (flagged parcels of ``year`` without a closed ledger entry)
    that would bring a zone (or a pilot area, over the zones it manages) onto its +15 % path
    (evaluation.ledger.path_plan)."""
    from evaluation.ledger import path_plan
    from landuse.services.results import read_layer, require_results

    require_results(store, year)
    if (zone is None) == (pilot_area is None):
        raise LanduseError(t("请指定一个开发区或一个试验区", "name one zone or one pilot area"))
    if zone is not None:
        level, unit = "zone", zone
        row = read_layer(store, "zone_results", year=year, zones=[zone], with_geometry=False)
        scope = [zone]
    else:
        level, unit = "pilot_area", pilot_area
        row = read_layer(store, "pilot_area_results", year=year, with_geometry=False)
        row = row[row["pilot_area_code"] == pilot_area]
        zr = read_layer(store, "zone_results", year=year, with_geometry=False)
        scope = sorted(zr.loc[zr["pilot_area_code"] == pilot_area, "zone_code"].dropna())
    if zones is not None:
        scope = [z for z in scope if z in set(zones)]
    empty = pd.DataFrame(columns=["rank", "parcel_code", "zone_code", "rules", "remedy", "gain_wan", "freed_mu",
                                  "revenue_out_wan", "contribution", "cumulative", "revenue_per_mu_after", "in_ledger"])
    if not len(row):
        raise LedgerNotFound(t(f"{year} 年没有 {unit} 的评价结果", f"no results of {unit} for {year}"))
    r = row.iloc[0]
    v, d, p = r.get("revenue_per_mu"), r.get("developed_mu"), r.get("expected_revenue_per_mu")
    if any(_missing(x) for x in (v, d, p)) or float(d) <= 0:
        return Plan(unit, level, year, empty, {"missing": "缺少亩均营业收入、已开发面积或路径值，无法测算",
                                               "missing_en": "revenue per mu, developed area or the path value is missing"})
    fl = read_layer(store, "flags", year=year, zones=scope, with_geometry=False)
    pr = read_layer(store, "parcel_results", year=year, zones=scope, with_geometry=False)
    led = read_ledger(store, zones=scope)
    closed = set(led.loc[led["status"].isin(CLOSED_STATUSES), "parcel_code"])
    opened = set(led.loc[led["status"].isin(OPEN_STATUSES), "parcel_code"])
    fl = fl[~fl["parcel_code"].isin(closed) & (fl["rule"] != "disposal_overdue")]
    if not len(fl):
        tg = pd.DataFrame(columns=["parcel_code", "zone_code", "rules", "gain_wan", "gain_mu", "developed"])
    else:
        g = fl.groupby("parcel_code")
        # a parcel's remedies overlap: its largest estimate of each kind, not their sum
        tg = pd.DataFrame({"zone_code": g["zone_code"].first(), "rules": g["rule"].apply(lambda s: ",".join(sorted(s))),
                           "gain_wan": g["gain_wan"].max(), "gain_mu": g["gain_mu"].max()}).reset_index()
        prs = pr.drop_duplicates("parcel_code").set_index("parcel_code")
        for c in ("developed", "revenue_wan", "area_mu"):
            tg[c] = tg["parcel_code"].map(prs[c])
    chosen, summary = path_plan(tg, revenue_per_mu=float(v), developed_mu=float(d), path_value=float(p))
    chosen = chosen.assign(in_ledger=chosen["parcel_code"].isin(opened)) if len(chosen) else empty
    cols = [c for c in empty.columns if c in chosen.columns]
    return Plan(unit, level, year, chosen[cols].reset_index(drop=True), summary)


def open_plan(store: Store, plan: Plan, *, actor: str | None, zones: list[str] | None = None,
              ip: str | None = None, today: _dt.date | None = None) -> list[Key]:
    """Turn a plan into ledger entries in one step: an entry for each flag of each chosen parcel
    that has none yet (``planned_mu`` from the flag's gain)."""
    parcels = list(plan.chosen["parcel_code"]) if len(plan.chosen) else []
    if not parcels:
        return []
    return open_from_targets(store, year=plan.year, zones=zones, actor=actor, parcels=parcels, ip=ip, today=today)


# ------------------------------------------------------------------------------------------------
# progress you can show (dashboard, report, map)
# ------------------------------------------------------------------------------------------------

PROGRESS_COLUMNS = ["zone_code", "targets", "entries", "mu_in_disposal", "mu_disposed", "overdue", "parcels_completed",
                    "revenue_per_mu_before", "revenue_per_mu_after", "mu_back_to_work"]


def progress(store: Store, *, year: int, zones: list[str] | None = None, as_of: _dt.date | None = None,
             province: str = "PROVINCE") -> pd.DataFrame:
    """Per zone, and a ``province`` row: targets (flagged parcels of ``year``), ledger entries, mu in
    disposal (planned, open entries), mu disposed (completed), overdue entries on ``as_of`` (default
    31 December of ``year``, or today if earlier), and the gain realised on the parcels whose disposal
    completed by then: their 亩均营业收入 the year before completion and in ``year`` (ratio of sums,
    over parcels evaluated in both), and their mu at work in ``year`` (developed, with output)."""
    from landuse.services.results import read_layer

    end = _dt.date(int(year), 12, 31)
    at = as_of if as_of is not None else min(end, _dt.date.today())
    led = read_ledger(store, zones=zones)
    fl = read_layer(store, "flags", year=year, zones=zones, with_geometry=False)
    fl = fl[fl["rule"] != "disposal_overdue"]
    codes = sorted(set(fl["zone_code"].dropna()) | set(led["zone_code"].dropna()))
    rows = []
    pr_all = read_layer(store, "parcel_results", zones=codes or [], with_geometry=False,
                        columns=["parcel_code", "zone_code", "year", "revenue_wan", "area_mu", "developed"])
    done = led[(led["status"] == "已完成") & led["closed"].notna()] if len(led) else led
    done = done[[c <= at for c in done["closed"]]] if len(done) else done

    def realised(d: pd.DataFrame) -> tuple[float, float, float, int]:
        if not len(d):
            return (np.nan, np.nan, np.nan, 0)
        first = d.sort_values("closed").drop_duplicates("parcel_code")
        before_year = {r.parcel_code: r.closed.year - 1 for r in first.itertuples(index=False)}
        pr = pr_all[pr_all["parcel_code"].isin(before_year)]
        b = pr[[int(y) == before_year[c] for c, y in zip(pr["parcel_code"], pr["year"])]]
        # after: the evaluated year, for parcels completed before it
        a = pr[(pr["year"] == int(year)) & pr["parcel_code"].isin([c for c, y in before_year.items() if y + 1 < int(year)])]
        both = sorted(set(b["parcel_code"]) & set(a["parcel_code"]))
        b, a = b[b["parcel_code"].isin(both)], a[a["parcel_code"].isin(both)]

        def per_mu(x: pd.DataFrame) -> float:
            m = pd.to_numeric(x["area_mu"], errors="coerce").sum()
            return float(pd.to_numeric(x["revenue_wan"], errors="coerce").sum() / m) if m > 0 else np.nan
        at_work = a[(a["developed"].astype("boolean").fillna(False)) & (pd.to_numeric(a["revenue_wan"], errors="coerce") > 0)]
        mu = float(pd.to_numeric(at_work["area_mu"], errors="coerce").sum()) if len(both) else np.nan
        return (per_mu(b) if both else np.nan, per_mu(a) if both else np.nan, mu, int(len(first)))

    def row(code: str, f: pd.DataFrame, entries: pd.DataFrame, d: pd.DataFrame) -> dict[str, Any]:
        s = summary(entries, today=at) if len(entries) else None
        before, after, mu, n = realised(d)
        get = (lambda c: float(s[c].sum()) if s is not None and s[c].notna().any() else np.nan)
        return {"zone_code": code, "targets": int(f["parcel_code"].nunique()), "entries": int(len(entries)),
                "mu_in_disposal": get("mu_in_disposal"), "mu_disposed": get("mu_disposed"),
                "overdue": int(s["overdue"].sum()) if s is not None else 0, "parcels_completed": n,
                "revenue_per_mu_before": before, "revenue_per_mu_after": after, "mu_back_to_work": mu}

    for z in codes:
        rows.append(row(z, fl[fl["zone_code"] == z], led[led["zone_code"] == z],
                        done[done["zone_code"] == z] if len(done) else done))
    rows.append(row(province, fl, led, done))
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def load_disposals(store: Store, path: str | Path, *, actor: str | None, zones: list[str] | None = None,
                   today: _dt.date | None = None) -> list[Key]:
    """Open the entries of a ``disposals`` table (CSV or Excel with the contract's column names, their
    Chinese headers or aliases: docs/data-package.md), all or nothing; entries that already exist are
    refused (edit them with the ledger workbook instead)."""
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, encoding="utf-8-sig") if p.suffix.lower() == ".csv" else \
            pd.read_excel(p, dtype=str)
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise LanduseError(t(f"无法读取 {p.name}：{exc}", f"cannot read {p.name}: {exc}")) from None
    names = {}
    for c in DISPOSALS.columns:
        for a in (c.name, c.zh, c.en, *c.aliases):
            names.setdefault(a.strip().lower(), c.name)
    df = df.rename(columns={h: names.get(str(h).strip().lower(), h) for h in df.columns})
    keep = [c for c in df.columns if c in EDITABLE or c in ("parcel_code", "rule", "opened")]
    items = [{k: (None if _missing(v) else v) for k, v in r.items()} for r in df[keep].to_dict("records")]
    try:
        return open_entries(store, items, actor=actor, zones=zones, today=today)
    except ValidationFailed as exc:
        raise ValidationFailed([Problem(p.name, "disposals", pr.row, pr.column, pr.value, pr.expected)
                                for pr in exc.problems]) from None
