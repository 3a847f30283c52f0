"""The objection window (公示异议) of a published result version.

When a version is published its enterprise grades and parcel flags are open for objection for
``policy.objection.window_working_days`` working days (:func:`landuse.services.versions.window_closes`).
A zone manager files an objection on behalf of a firm (its grade) or a parcel (one of its flags)
with a reason and an evidence note; an evaluator accepts it (the correction and its reason become a
``result_overrides`` row that the next evaluation of the year applies, so it is part of the next
version — :func:`evaluation.overrides.apply_overrides`) or rejects it with a reason. After the window
the version is final: no more objections. Every step is audited.

Who may see or file which objection (the parties of the zone) is decided by the interface that
knows the user (``landuse.web.access``); the functions here take the zones the caller may see.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from typing import Any

import pandas as pd

from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.services import accounts, versions
from parcels.store.base import Store, now_utc

__all__ = ["file_objection", "decide", "list_objections", "get_objection", "overrides_of", "KIND_ZH", "STATUS_ZH"]

KIND_ZH = {"grade": "企业评价等级", "flag": "宗地问题认定"}
STATUS_ZH = {"open": "待处理", "accepted": "已采纳", "rejected": "未采纳"}
MAX_TEXT = 2000


def _text(v: str | None, what_zh: str, what_en: str, *, required: bool) -> str | None:
    v = (v or "").strip()
    if required and not v:
        raise LanduseError(t(f"请填写{what_zh}", f"{what_en} is required"))
    if len(v) > MAX_TEXT:
        raise LanduseError(t(f"{what_zh}过长（最多 {MAX_TEXT} 字）", f"{what_en} is too long (at most {MAX_TEXT} characters)"))
    return v or None


def file_objection(store: Store, *, year: int, kind: str, reason: str, evidence: str | None, actor: str,
                   zones: list[str] | None, policy: Policy, uscc: str | None = None, parcel_code: str | None = None,
                   rule: str | None = None, requested: str | None = None,
                   today: _dt.date | None = None) -> dict[str, Any]:
    """File an objection to the published version of ``year``: ``kind='grade'`` for firm ``uscc``
    (``requested``: the grade asked for), ``kind='flag'`` for the flag ``rule`` of parcel
    ``parcel_code`` (asking that it be withdrawn). ``zones``: the zones the filer acts for (None: all)."""
    pub = versions.published(store, int(year))
    if pub is None:
        raise LanduseError(t(f"{year} 年尚无发布版本，不能提出异议", f"{year} has no published version to object to"))
    if not versions.window_open(pub, today):
        raise LanduseError(t(f"{pub['version_id']} 的公示期已于 {pub['window_closes']} 结束，结果已为最终结果",
                             f"the objection window of {pub['version_id']} closed on {pub['window_closes']}: "
                             "the results are final"))
    reason_ = _text(reason, "异议理由", "a reason", required=True)
    evidence_ = _text(evidence, "证据说明", "the evidence note", required=False)
    layers = versions.frames(store, pub["version_id"])
    if kind == "grade":
        er = layers.get("enterprise_results", pd.DataFrame(columns=["uscc", "zone_code", "grade"]))
        row = er[er["uscc"] == (uscc or "").strip()]
        if row.empty:
            raise LanduseError(t(f"发布版本中没有企业 {uscc}", f"the published version has no firm {uscc}"))
        zone, current = row["zone_code"].iloc[0], row["grade"].iloc[0]
        allowed = [b.grade for b in policy.grading.bands] or ["A", "B", "C", "D"]
        req = (requested or "").strip().upper()
        if req not in allowed:
            raise LanduseError(t(f"申请的等级 {requested!r} 无效，应为 {'/'.join(allowed)}",
                                 f"requested grade {requested!r} is not one of {'/'.join(allowed)}"))
        key = {"uscc": row["uscc"].iloc[0], "parcel_code": None, "rule": None}
    elif kind == "flag":
        fl = layers.get("flags", pd.DataFrame(columns=["parcel_code", "zone_code", "rule", "label"]))
        row = fl[(fl["parcel_code"] == (parcel_code or "").strip()) & (fl["rule"] == (rule or "").strip())]
        if row.empty:
            raise LanduseError(t(f"发布版本中宗地 {parcel_code} 没有问题 {rule}",
                                 f"the published version has no flag {rule} on parcel {parcel_code}"))
        label = row["label"].iloc[0] if "label" in row.columns else None
        zone, req = row["zone_code"].iloc[0], "withdraw"
        current = label if isinstance(label, str) and label else row["rule"].iloc[0]
        key = {"uscc": None, "parcel_code": row["parcel_code"].iloc[0], "rule": row["rule"].iloc[0]}
    else:
        raise LanduseError(t("异议类型应为 grade（企业等级）或 flag（宗地问题）", "kind must be 'grade' or 'flag'"))
    if zones is not None and zone not in zones:
        raise LanduseError(t("只能对本开发区的结果提出异议", "objections only for the zones you act for"))
    oid = f"OBJ-{int(year)}-{secrets.token_hex(4)}"
    row_ = {"objection_id": oid, "year": int(year), "version_id": pub["version_id"], "zone_code": zone, "kind": kind,
            **key, "current_value": None if pd.isna(current) else str(current), "requested_value": req,
            "reason": reason_, "evidence": evidence_, "filed_by": actor, "filed_at": now_utc().isoformat(),
            "status": "open"}
    store.sys_insert("objections", row_)
    accounts.audit(store, actor, "objection_file", f"{oid} version={pub['version_id']} zone={zone} kind={kind} "
                   f"{key['uscc'] or key['parcel_code']} {key['rule'] or ''} requested={req} reason={reason_}")
    return row_


def get_objection(store: Store, objection_id: str) -> dict[str, Any] | None:
    rows = store.sys_query("objections", {"objection_id": objection_id})
    return rows[0] if rows else None


def decide(store: Store, *, objection_id: str, accept: bool, reason: str, actor: str) -> dict[str, Any]:
    """Accept (a correction for the next version) or reject an open objection, with a reason."""
    o = get_objection(store, objection_id)
    if o is None:
        raise LanduseError(t(f"没有异议 {objection_id}", f"no objection {objection_id}"))
    if o["status"] != "open":
        raise LanduseError(t(f"异议 {objection_id} 已处理（{STATUS_ZH.get(o['status'], o['status'])}）",
                             f"objection {objection_id} was already decided ({o['status']})"))
    reason_ = _text(reason, "处理理由", "a reason", required=True)
    now = now_utc().isoformat()
    status = "accepted" if accept else "rejected"
    if accept:
        store.sys_insert("result_overrides", {
            "override_id": f"COR-{o['year']}-{secrets.token_hex(4)}", "year": int(o["year"]), "kind": o["kind"],
            "zone_code": o["zone_code"], "uscc": o["uscc"], "parcel_code": o["parcel_code"], "rule": o["rule"],
            "value": o["requested_value"] if o["kind"] == "grade" else None, "reason": reason_,
            "objection_id": objection_id, "created_by": actor, "created_at": now})
    store.sys_update("objections", {"objection_id": objection_id},
                     {"status": status, "decided_by": actor, "decided_at": now, "decision_reason": reason_})
    accounts.audit(store, actor, f"objection_{'accept' if accept else 'reject'}",
                   f"{objection_id} zone={o['zone_code']} reason={reason_}")
    return get_objection(store, objection_id) or o


def list_objections(store: Store, *, year: int | None = None, zones: list[str] | None = None) -> list[dict[str, Any]]:
    """Objections (of ``year``) in ``zones`` (None: all), newest first."""
    rows = store.sys_query("objections", {"year": int(year)} if year is not None else None)
    if zones is not None:
        rows = [r for r in rows if r["zone_code"] in set(zones)]
    return sorted(rows, key=lambda r: r["filed_at"], reverse=True)


def overrides_of(store: Store, year: int) -> list[dict[str, Any]]:
    """The corrections the evaluation of ``year`` applies (oldest first)."""
    rows = store.sys_query("result_overrides", {"year": int(year)})
    return sorted(rows, key=lambda r: r["created_at"])
