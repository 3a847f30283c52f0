"""The disposal ledger as bureaus keep it in Excel: export with the bureau's columns, import the edits
back (all or nothing, the same problem table as a data import, each problem naming its cell).

Columns (Chinese headers): the entry's key (宗地代码, 问题规则代码), what the bureau's own ledgers show
about the parcel (区县, 年份, 开发区, 企业名称, 统一社会信用代码, 占地面积, 坐落, 上年度/上上年度亩均税收,
经营状态, 现状用途, 低效类型; from the latest results year), the entry's fields (处置方式 and 当前状态
with drop-down lists, dates as dates), 剩余面积 (planned − disposed, a value, never a formula),
详细进展 (the dated notes), 新增进展 (a note to add on import) and 版本号 (the revision read: an entry
changed in the product since the export is refused, never overwritten). Codes are text; no cell
holds a formula (parcels.export.XLSX_OPTIONS).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from landuse.core.contract import DISPOSAL_METHODS, DISPOSAL_STATUSES
from landuse.core.errors import LanduseError, Problem, ValidationFailed
from landuse.core.labels import stage_label, t
from landuse.services import ledger as L
from parcels.export import XLSX_OPTIONS
from parcels.store.base import RowCountMismatch, Store, SysOp

SHEET = "处置台账"

# (header, field, kind, editable) — kind: text | date | number | int
COLUMNS: list[tuple[str, str, str, bool]] = [
    ("宗地代码", "parcel_code", "text", False),
    ("问题规则代码", "rule", "text", False),
    ("区县", "county_code", "text", False),
    ("年份", "year", "int", False),
    ("开发区", "zone_name", "text", False),
    ("开发区代码", "zone_code", "text", False),
    ("企业名称", "holder_name", "text", False),
    ("统一社会信用代码", "holder_uscc", "text", False),
    ("占地面积(亩)", "area_mu", "number", False),
    ("坐落", "location", "text", False),
    ("上年度亩均税收(万元/亩)", "tax_per_mu_1", "number", False),
    ("上上年度亩均税收(万元/亩)", "tax_per_mu_2", "number", False),
    ("经营状态", "stage_label", "text", False),
    ("现状用途", "land_use_code", "text", False),
    ("低效类型", "rule_label", "text", False),
    ("处置方式", "method", "text", True),
    ("当前状态", "status", "text", True),
    ("立项日期", "opened", "date", False),
    ("处置期限", "deadline", "date", True),
    ("办结日期", "closed", "date", True),
    ("计划处置面积(亩)", "planned_mu", "number", True),
    ("处置面积(亩)", "disposed_mu", "number", True),
    ("剩余面积(亩)", "remaining_mu", "number", False),
    ("已征收闲置费(万元)", "fee_collected_wan", "number", True),
    ("计划实施单位", "responsible", "text", True),
    ("核销理由", "reason", "text", True),
    ("备注", "note", "text", True),
    ("详细进展", "progress", "text", False),
    ("新增进展", "new_note", "text", True),
    ("版本号", "revision", "int", False),
]
HEADERS = {h: f for h, f, _k, _e in COLUMNS}


def ledger_sheet(store: Store, *, zones: list[str] | None) -> pd.DataFrame:
    """The ledger with the bureau's columns (fields of :data:`COLUMNS`), by zone and parcel."""
    from landuse.services.results import latest_year

    led = L.read_ledger(store, zones=zones)
    out = led.copy()
    zs = store.read("zones", columns=["zone_code", "zone_name", "county_code"], geometry=False)
    out = out.merge(zs, on="zone_code", how="left")
    parcels = store.read("parcels", columns=["parcel_code", "holder_uscc", "land_use_code"], geometry=False)
    out = out.merge(parcels, on="parcel_code", how="left")
    year = latest_year(store)
    out["year"] = year
    out["location"] = None
    for c in ("holder_name", "area_mu", "tax_per_mu_1", "tax_per_mu_2", "stage_label", "rule_label"):
        out[c] = None
    if year is not None and len(out):
        codes = sorted(set(out["zone_code"].dropna()))
        pr = store.read("parcel_results", year=year, zones=codes,
                        columns=["parcel_code", "holder_name", "area_mu", "tax_per_mu", "stage"], geometry=False)
        pr = pr.set_index("parcel_code")
        out["holder_name"] = out["parcel_code"].map(pr["holder_name"])
        out["area_mu"] = out["parcel_code"].map(pr["area_mu"])
        out["tax_per_mu_1"] = out["parcel_code"].map(pr["tax_per_mu"])
        out["stage_label"] = out["parcel_code"].map(pr["stage"]).map(lambda s: stage_label(s) if isinstance(s, str) else None)
        prev = store.read("parcel_results", year=year - 1, zones=codes, columns=["parcel_code", "tax_per_mu"],
                          geometry=False).set_index("parcel_code")
        out["tax_per_mu_2"] = out["parcel_code"].map(prev["tax_per_mu"])
        fl = store.read("flags", year=year, zones=codes, columns=["rule", "label"], geometry=False)
        labels = dict(zip(fl["rule"], fl["label"]))
        labels[OVERDUE_LABEL[0]] = OVERDUE_LABEL[1]
        out["rule_label"] = out["rule"].map(lambda r: labels.get(r, r) if isinstance(r, str) else None)
    planned = pd.to_numeric(out["planned_mu"], errors="coerce")
    disposed = pd.to_numeric(out["disposed_mu"], errors="coerce").fillna(0.0)
    out["remaining_mu"] = (planned - disposed).clip(lower=0.0)
    progress = []
    for r in out.itertuples(index=False):
        ns = L.notes(store, L.Key(r.parcel_code, r.rule))
        progress.append("\n".join(f"{n['noted']:%Y-%m-%d} {n['author'] or ''}：{n['text']}" for n in ns) or None)
    out["progress"] = progress
    out["new_note"] = None
    return out[[f for _h, f, _k, _e in COLUMNS]]


OVERDUE_LABEL = ("disposal_overdue", "处置逾期")


def export_ledger(store: Store, out: str | Path, *, zones: list[str] | None = None) -> tuple[Path, int]:
    """Write the ledger workbook; returns (path, rows)."""
    import xlsxwriter

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df = ledger_sheet(store, zones=zones)
    wb = xlsxwriter.Workbook(str(out), XLSX_OPTIONS)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    edit_head = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "top"})
    fmt = {"text": wb.add_format({"num_format": "@"}), "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
           "number": wb.add_format({"num_format": "#,##0.00"}), "int": wb.add_format({"num_format": "0"}),
           "wrap": wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})}
    ws = wb.add_worksheet(SHEET)
    n = len(df)
    for j, (h, f, kind, editable) in enumerate(COLUMNS):
        ws.write_string(0, j, h, edit_head if editable else head)
        width = 30 if f in ("progress", "new_note", "note", "reason") else max(10, min(len(h) * 2 + 2, 24))
        ws.set_column(j, j, width, fmt["text"] if kind == "text" else fmt[kind])
        for i, v in enumerate(df[f].tolist(), start=1):
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
                continue
            if kind == "date":
                ws.write_datetime(i, j, _dt.datetime.combine(v, _dt.time()), fmt["date"])
            elif kind in ("number", "int"):
                ws.write_number(i, j, float(v), fmt[kind])
            else:
                ws.write_string(i, j, str(v), fmt["wrap"] if f == "progress" else fmt["text"])
    last = max(n, 1) + 500  # room for rows the bureau adds
    for f, values in (("method", DISPOSAL_METHODS), ("status", DISPOSAL_STATUSES)):
        j = [c[1] for c in COLUMNS].index(f)
        ws.data_validation(1, j, last, j, {"validate": "list", "source": list(values),
                                           "error_title": t("无效取值", "invalid value"),
                                           "error_message": "|".join(values)})
    for f in ("deadline", "closed"):
        j = [c[1] for c in COLUMNS].index(f)
        ws.data_validation(1, j, last, j, {"validate": "date", "criteria": ">=",
                                           "value": _dt.datetime(1990, 1, 1),
                                           "error_message": t("请输入日期 YYYY-MM-DD", "a date YYYY-MM-DD")})
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(n, 1), len(COLUMNS) - 1)
    info = wb.add_worksheet("说明")
    lines = [t("黄色表头的列可修改；其余列只读（导入时忽略）。", "Yellow headers may be edited; the others are read-only."),
             t("版本号：导出时的版本；若台账此后在系统中被修改，该行导入将被拒绝，请重新导出。",
               "版本号 is the revision exported; a row changed in the product since is refused: export again."),
             t("状态流转：待处置 → 处置中 → 已完成 / 已核销；待处置 → 已核销；已核销须填写核销理由。",
               "Status: 待处置 → 处置中 → 已完成 / 已核销; 待处置 → 已核销; a write-off needs its reason."),
             t("新增进展：填写后导入即记为一条今天的进展（作者为导入人）。",
               "新增进展: a progress note added on import (dated today, by the importer)."),
             t("坐落：数据包没有坐落字段，留空。", "坐落: the data package has no address column; left empty."),
             t("低效类型等只读列取自最近一年的评价结果。", "Read-only columns come from the latest evaluated year.")]
    for i, s in enumerate(lines):
        info.write_string(i, 0, s)
    info.set_column(0, 0, 100)
    wb.close()
    return out, n


@dataclass
class LedgerImport:
    """What an import changed: one line per field changed, entries opened, notes added."""

    changes: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # entry, field, before, after
    opened: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col + 1)}{row}"


def import_ledger(store: Store, path: str | Path, *, actor: str | None, zones: list[str] | None = None,
                  today: _dt.date | None = None, ip: str | None = None) -> LedgerImport:
    """Apply the edits of a ledger workbook, all or nothing. Rows whose key has no entry open one
    (the parcel must exist, and be in ``zones``). Raises :class:`ValidationFailed` with every
    problem (file, Excel row, cell, value, what was expected)."""
    import openpyxl

    today = today or _dt.date.today()
    path = Path(path)
    fname = path.name
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise LanduseError(t(f"无法读取 Excel 文件 {fname}：{exc}", f"cannot read the workbook {fname}: {exc}")) from None
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    if not rows:
        raise ValidationFailed([Problem(fname, "disposals", 1, None, None, t("表头行", "a header row"))])
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    pos = {HEADERS[h]: j for j, h in enumerate(header) if h in HEADERS}
    problems: list[Problem] = []
    for need in ("parcel_code", "rule"):
        if need not in pos:
            problems.append(Problem(fname, "disposals", 1, None, None,
                                    t(f"表头“{[h for h, f, _k, _e in COLUMNS if f == need][0]}”",
                                      f"the header of {need}")))
    if problems:
        raise ValidationFailed(problems)
    current = {(r["parcel_code"], r["rule"] or ""): L._from_row(r) for r in store.sys_query("disposals")}
    editable = [f for _h, f, _k, e in COLUMNS if e and f != "new_note"]
    ops: list[SysOp] = []
    result = LedgerImport()
    to_open: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows[1:], start=2):
        def cell(f: str, row=row) -> Any:
            j = pos.get(f)
            return None if j is None or j >= len(row) else row[j]

        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        cols = {f: f"{header[j]} ({_cell(j, i)})" for f, j in pos.items()}
        code = L._text(cell("parcel_code"))
        rule = L._text(cell("rule"))
        key = L.Key(code or "", rule)
        if not code:
            problems.append(Problem(fname, "disposals", i, cols["parcel_code"], None, t("宗地代码", "a parcel code")))
            continue
        if (code, key.stored_rule) in seen:
            problems.append(Problem(fname, "disposals", i, cols["parcel_code"], str(key),
                                    t("每个宗地和问题只出现一行", "one row per parcel and rule")))
            continue
        seen.add((code, key.stored_rule))
        changes = {f: cell(f) for f in editable if f in pos}
        note = L._text(cell("new_note"))
        before = current.get((code, key.stored_rule))
        if before is None:
            to_open.append({"parcel_code": code, "rule": rule} | {k: v for k, v in changes.items() if not L._missing(v)}
                           | {"_row": i, "_note": note})
            continue
        if zones is not None and before["zone_code"] not in set(zones):
            problems.append(Problem(fname, "disposals", i, cols["parcel_code"], code,
                                    t("您所管理开发区的台账条目", "an entry of your zones")))
            continue
        rev = cell("revision")
        try:
            rev_i = None if L._missing(rev) else int(float(rev))
        except (TypeError, ValueError):
            rev_i = -1
        if rev_i is not None and rev_i != before["revision"]:
            problems.append(Problem(fname, "disposals", i, cols.get("revision", "版本号"), rev, t(
                f"导出后该条目已被 {before.get('updated_by') or '?'} 修改（当前版本 {before['revision']}），请重新导出后再改",
                f"the entry was changed by {before.get('updated_by') or '?'} since the export (now revision "
                f"{before['revision']}): export again")))
            continue
        vals, probs = L.clean_changes(key, changes, row=i, file=fname, columns=cols)
        problems += probs
        after = L.plan_change(before, vals, today=today)
        problems += L.check_entry(key, before, after, today=today, row=i, file=fname, columns=cols)
        diff = L._diff(before, after)
        if not probs:
            ops += L.change_ops(key, before, after, actor=actor, ip=ip, diff=diff, action="ledger_import")
            result.changes += [(str(key), f, b, a) for f, (b, a) in diff.items()]
        if note:
            ops += L.note_ops(key, note, author=actor, noted=today, ip=ip)
            result.notes.append(str(key))
    # new rows: opened with the same checks as the target list's, their problems named by cell
    for item in to_open:
        i, fields = item["_row"], {k: v for k, v in item.items() if not k.startswith("_")}
        try:
            L.open_entries(_DryRun(store), [fields], actor=actor, zones=zones, today=today)
        except ValidationFailed as exc:
            for p in exc.problems:
                j = pos.get(p.column or "")
                where = f"{header[j]} ({_cell(j, i)})" if j is not None else p.column
                problems.append(Problem(fname, "disposals", i, where, p.value, p.expected))
    if problems:
        raise ValidationFailed(problems)
    if to_open:
        dry = _DryRun(store)
        L.open_entries(dry, [{k: v for k, v in it.items() if not k.startswith("_")} for it in to_open],
                       actor=actor, zones=zones, today=today, ip=ip)
        ops = dry.ops + ops
        for it in to_open:
            key = L.Key(it["parcel_code"], it.get("rule"))
            result.opened.append(str(key))
            if it["_note"]:
                ops += L.note_ops(key, it["_note"], author=actor, noted=today, ip=ip)
                result.notes.append(str(key))
    if not ops:
        return result
    try:
        store.sys_batch(ops)
    except RowCountMismatch:
        raise LanduseError(t("导入期间台账被他人修改，未做任何修改，请重新导出后再导入",
                             "the ledger changed during the import; nothing was changed: export again")) from None
    return result


class _DryRun:
    """A store whose :meth:`sys_batch` collects the writes instead of running them (reads go through)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.ops: list[SysOp] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def sys_batch(self, ops: list[SysOp]) -> None:
        self.ops += ops
