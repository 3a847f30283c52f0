"""What the disposal ledger (处置台账, ``inputs['disposals']``) changes in a year's evaluation
(docs/domain.md §7, §13). Pure: frames in, frames out.

- A completed take-back (method 收回, status 已完成, ``closed`` D) is a right with no holder from D
  (event 收回, the land reserve): from D the parcel's stage is 收回, it has no holder and no idle
  flag; flags answered by a completed entry are marked with the outcome.
- An agreed new start date (method 延长动工期限, 53号令 Art. 12; the entry's ``deadline`` is the new
  date, agreed on ``closed`` or, while in progress, ``opened``) replaces the parcel's agreed start
  date from the day it was agreed: the idle clock restarts from the new date.
- The idle fee is announced once (the year the land became idle); in later years the idle flag's
  action says whether the ledger shows it collected (``fee_collected_wan`` on a completed entry) or
  outstanding.
- An entry still open (待处置 / 处置中) past its ``deadline`` on the as-of date raises a
  ``disposal_overdue`` flag (处置逾期) on its parcel.
- ``idle_disposal_share``: the share of idle land in the ledger disposed of by a date, per pilot
  area, for 增存挂钩 (``idle_disposal_done`` when it reaches ``policy.ledger.idle_disposal_share``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["OVERDUE_RULE", "normalise", "rights_with_takebacks", "extend_start", "annotate_flags",
           "overdue_flags", "idle_disposal_share"]

OVERDUE_RULE = "disposal_overdue"
TAKEBACK = "收回"
EXTENSION = "延长动工期限"
FEE = "征缴闲置费"
OPEN = ("待处置", "处置中")


def normalise(disposals: pd.DataFrame | None) -> pd.DataFrame:
    """The ledger with dates as Timestamps and ``rule`` None when empty (an empty frame when none)."""
    cols = ["parcel_code", "rule", "method", "status", "opened", "deadline", "closed", "disposed_mu",
            "planned_mu", "fee_collected_wan", "zone_code"]
    if disposals is None or not len(disposals):
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("opened", "deadline", "closed") else object)
                             for c in cols})
    d = disposals.copy()
    for c in cols:
        if c not in d.columns:
            d[c] = None
    for c in ("opened", "deadline", "closed"):
        d[c] = pd.to_datetime(d[c], errors="coerce").astype("datetime64[ns]")
    for c in ("disposed_mu", "planned_mu", "fee_collected_wan"):
        d[c] = pd.to_numeric(d[c], errors="coerce").astype("float64")
    d["rule"] = d["rule"].astype(object).where(d["rule"].notna() & (d["rule"].astype(str) != ""), None)
    return d.reset_index(drop=True)


def rights_with_takebacks(parcels: pd.DataFrame, land_rights: pd.DataFrame | None,
                          disposals: pd.DataFrame | None) -> pd.DataFrame | None:
    """``land_rights`` plus a right with no holder (event 收回) from the closing date of each completed
    take-back. A parcel with no registered right first gets one from the parcels layer (its holder
    and use from ``supply_date``, or from always), so its earlier years keep their holder."""
    d = normalise(disposals)
    tb = d[(d["method"] == TAKEBACK) & (d["status"] == "已完成") & d["closed"].notna()
           & d["parcel_code"].isin(parcels["parcel_code"])]
    if not len(tb):
        return land_rights
    tb = tb.sort_values("closed").drop_duplicates("parcel_code")
    lr = land_rights if land_rights is not None else pd.DataFrame(columns=["parcel_code", "holder_uscc", "valid_from"])
    have = set(lr["parcel_code"]) if len(lr) else set()
    p = parcels.set_index("parcel_code")
    rows = []
    for r in tb.itertuples(index=False):
        if r.parcel_code not in have:
            pr = p.loc[r.parcel_code]
            start = pd.to_datetime(pr.get("supply_date"), errors="coerce")
            rows.append({"parcel_code": r.parcel_code, "holder_uscc": pr.get("holder_uscc"),
                         "valid_from": start if pd.notna(start) and start < r.closed else pd.Timestamp("1900-01-01"),
                         "valid_to": r.closed, "event": "出让"})
        rows.append({"parcel_code": r.parcel_code, "holder_uscc": None, "valid_from": r.closed, "valid_to": pd.NaT,
                     "event": TAKEBACK})
    add = pd.DataFrame(rows)
    add["valid_from"] = pd.to_datetime(add["valid_from"]).astype("datetime64[ns]")
    add["valid_to"] = pd.to_datetime(add["valid_to"]).astype("datetime64[ns]")
    if not len(lr):
        return add
    base = lr.copy()
    for c in ("valid_from", "valid_to"):
        if c in base.columns:
            base[c] = pd.to_datetime(base[c], errors="coerce").astype("datetime64[ns]")
    # a right in force when the land is taken back ends that day (unless a later right follows it)
    tb_at = tb.set_index("parcel_code")["closed"]
    at = base["parcel_code"].map(tb_at)
    cut = at.notna() & (base["valid_from"] < at) & (base["valid_to"].isna() | (base["valid_to"] > at))
    base.loc[cut, "valid_to"] = at[cut]
    return pd.concat([base, add], ignore_index=True)


def extend_start(parcels: pd.DataFrame, disposals: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Parcels with the agreed start date of each not-yet-started parcel replaced by the new date of a
    延长动工期限 entry agreed on or before ``as_of`` (completed: on ``closed``; in progress: on
    ``opened``), when the new date is later."""
    d = normalise(disposals)
    agreed_on = d["closed"].where(d["status"] == "已完成", d["opened"].where(d["status"] == "处置中"))
    ext = d[(d["method"] == EXTENSION) & d["deadline"].notna() & agreed_on.notna() & (agreed_on <= as_of)]
    if not len(ext) or "agreed_start_date" not in parcels.columns:
        return parcels
    new = ext.sort_values("deadline").drop_duplicates("parcel_code", keep="last").set_index("parcel_code")["deadline"]
    out = parcels.copy()
    cur = pd.to_datetime(out["agreed_start_date"], errors="coerce").astype("datetime64[ns]")
    nd = out["parcel_code"].map(new).astype("datetime64[ns]")
    started = pd.to_datetime(out["actual_start_date"], errors="coerce").notna() \
        if "actual_start_date" in out.columns else pd.Series(False, index=out.index)
    take = nd.notna() & (cur.isna() | (nd > cur)) & ~started
    out["agreed_start_date"] = cur.where(~take, nd)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def annotate_flags(flags: pd.DataFrame, disposals: pd.DataFrame | None, as_of: pd.Timestamp,
                   *, fee_due: pd.Series | None = None, continuing_action: str | None = None) -> pd.DataFrame:
    """Flags with what the ledger says of them on ``as_of``:

    - an idle flag in a year after the fee fell due (``fee_due`` False or missing for the parcel),
      when the ledger has a fee entry or a fee collected: the fee is said collected (amount, date)
      or outstanding — in place of ``continuing_action`` (the rule's "fell due earlier" text), or
      after another action (a take-back) — never announced again;
    - a flag answered by an entry completed on or before ``as_of``: the evidence ends with the
      outcome (method, date, mu disposed); one written off: with the write-off."""
    d = normalise(disposals)
    d = d[d["opened"].isna() | (d["opened"] <= as_of)]
    if not len(d) or not len(flags):
        return flags
    out = flags.copy()
    out["action"] = out["action"].astype(object)
    out["evidence"] = out["evidence"].astype(object)
    by_key = {(r.parcel_code, r.rule): r for r in d.itertuples(index=False)}
    fee_rows = d[(d["method"] == FEE) | d["fee_collected_wan"].notna()]
    fee_of = {r.parcel_code: r for r in fee_rows.itertuples(index=False)}
    due = fee_due if fee_due is not None else pd.Series(dtype=bool)
    for i, r in out.iterrows():
        code, rule = r["parcel_code"], r["rule"]
        if rule == "idle" and code in fee_of and not bool(due.get(code, False)):
            e = fee_of[code]
            paid = e.fee_collected_wan
            if e.status == "已完成" and pd.notna(paid) and paid > 0 and (pd.isna(e.closed) or e.closed <= as_of):
                when = f"（{e.closed:%Y-%m-%d}）" if pd.notna(e.closed) else ""
                fee = f"闲置费已征收 {_fmt(paid)} 万元{when}，不再重复征收"
            else:
                got = f"，已缴 {_fmt(paid)} 万元" if pd.notna(paid) and paid > 0 else ""
                fee = f"闲置费已于认定当年通知，尚未缴清{got}（不重复征收），催缴"
            act = r["action"] if isinstance(r["action"], str) else ""
            if not act or (continuing_action and act == continuing_action):
                out.at[i, "action"] = fee + "；督促限期动工开发"
            else:
                out.at[i, "action"] = f"{act}；{fee}"
        e = by_key.get((code, rule))
        if e is None or pd.isna(e.closed) or e.closed > as_of:
            continue
        if e.status == "已完成":
            mu = f"，处置 {_fmt(e.disposed_mu)} 亩" if pd.notna(e.disposed_mu) else ""
            out.at[i, "evidence"] = f"{r['evidence'] or ''}；已处置：{e.method}（{e.closed:%Y-%m-%d} 办结{mu}）"
        elif e.status == "已核销":
            out.at[i, "evidence"] = f"{r['evidence'] or ''}；台账已核销（{e.closed:%Y-%m-%d}）"
    return out


def overdue_flags(disposals: pd.DataFrame | None, as_of: pd.Timestamp, *, year: int, zone_of: pd.Series,
                  severity: int) -> pd.DataFrame:
    """One ``disposal_overdue`` flag per parcel with an entry open on ``as_of`` past its deadline
    (parcels of ``zone_of``, parcel_code → zone_code, only)."""
    d = normalise(disposals)
    late = d[d["status"].isin(OPEN) & d["deadline"].notna() & (d["deadline"] < as_of)
             & (d["opened"].isna() | (d["opened"] <= as_of)) & d["parcel_code"].isin(zone_of.index)]
    cols = ["parcel_code", "zone_code", "year", "rule", "label", "severity", "evidence", "action", "gain_mu", "gain_wan"]
    if not len(late):
        return pd.DataFrame(columns=cols)
    rows = []
    for code, g in late.sort_values("deadline").groupby("parcel_code", sort=True):
        parts = [f"{e.method}（{e.rule or '—'}）期限 {e.deadline:%Y-%m-%d}，逾期 {(as_of - e.deadline).days} 天，状态 {e.status}"
                 for e in g.itertuples(index=False)]
        rows.append({"parcel_code": code, "zone_code": zone_of.get(code), "year": int(year), "rule": OVERDUE_RULE,
                     "label": "处置逾期", "severity": int(severity), "evidence": "；".join(parts),
                     "action": "督办：明确责任单位和新的办结时限，或依法核销", "gain_mu": np.nan, "gain_wan": np.nan})
    return pd.DataFrame(rows, columns=cols)


def idle_disposal_share(disposals: pd.DataFrame | None, at: pd.Timestamp, *, zone_to_unit: pd.Series) -> pd.Series:
    """Per unit (``zone_to_unit``: zone_code → pilot area code): the idle land disposed of by ``at``
    over the idle land in the ledger opened by ``at`` (entries answering ``idle``, written-off ones
    left out), in mu (``disposed_mu``, else ``planned_mu``). NaN where the ledger has no idle land."""
    d = normalise(disposals)
    d = d[(d["rule"] == "idle") & d["opened"].notna() & (d["opened"] <= at)
          & ~((d["status"] == "已核销") & d["closed"].notna() & (d["closed"] <= at))]
    if not len(d):
        return pd.Series(dtype="float64")
    mu = d["disposed_mu"].where(d["disposed_mu"].notna(), d["planned_mu"])
    done = (d["status"] == "已完成") & d["closed"].notna() & (d["closed"] <= at)
    unit = d["zone_code"].map(zone_to_unit)
    total = mu.groupby(unit).sum(min_count=1)
    disposed = mu.where(done, 0.0).groupby(unit).sum(min_count=1)
    return (disposed / total.where(total > 0)).astype("float64")


# ------------------------------------------------------------------------------------------------
# a path to the target (+15 %): the smallest set of open targets that would bring a unit onto it
# ------------------------------------------------------------------------------------------------

def path_plan(targets: pd.DataFrame, *, revenue_per_mu: float, developed_mu: float,
              path_value: float) -> tuple[pd.DataFrame, dict]:
    """The fewest open targets whose estimated gains would lift a unit's revenue per mu from
    ``revenue_per_mu`` (on ``developed_mu``) to ``path_value`` (its +15 % path this year).

    ``targets``: one row per parcel with ``parcel_code``, ``gain_wan`` (revenue gained when it is
    fixed in place, 万元), ``gain_mu`` (land freed when it is taken back or re-let, mu), ``developed``
    (freed land leaves the developed area only when it is in it) and, optionally, ``revenue_wan`` and
    ``area_mu`` (the output that leaves with freed land: its share ``gain_mu / area_mu``).

    With R = revenue_per_mu·D and P = path_value, the unit is on the path when (R + ΔR) / (D + ΔD) ≥ P,
    i.e. Σ (ΔR − P·ΔD) ≥ P·D − R. A parcel's two remedies are alternatives, not a sum: fixed in place
    it adds gain_wan; freed it removes its freed developed mu (P × mu counts for it) and the output
    on them. Each target contributes the better of the two (``remedy``: raise | free), and taking
    targets by contribution, largest first, is optimal: the k largest contributions have the largest
    sum of any k targets, so no smaller set reaches the need. Ties keep the target list's order.

    Returns (the chosen targets, ranked, with ``remedy``, ``contribution``, ``cumulative`` and
    ``revenue_per_mu_after``: the unit's figure once it and the ones before it are done; a summary:
    ``need_wan``, ``enough``, ``reachable_revenue_per_mu`` (all open targets done), ``chosen``,
    ``candidates``, ``on_path`` (already on the path: nothing to choose)). The flags' gains are
    estimates, and so is the plan."""
    D, P = float(developed_mu), float(path_value)
    R = float(revenue_per_mu) * D
    t = targets.copy().reset_index(drop=True)

    def num(c: str) -> pd.Series:
        return pd.to_numeric(t[c], errors="coerce").fillna(0.0).clip(lower=0.0) if c in t.columns \
            else pd.Series(0.0, index=t.index)

    gw, gm, rev, area = num("gain_wan"), num("gain_mu"), num("revenue_wan"), num("area_mu")
    dev = t["developed"].astype("boolean").fillna(False).astype(bool) if "developed" in t.columns \
        else pd.Series(True, index=t.index)
    freed = gm.where(dev, 0.0)
    share = (freed / area.where(area > 0)).clip(upper=1.0).fillna(1.0)  # no area known: all its output
    rev_out = (rev * share).where(freed > 0, 0.0)
    c_raise, c_free = gw, P * freed - rev_out
    free = c_free > c_raise
    t["remedy"] = np.where(free, "free", "raise")
    t["gain_wan"] = gw.where(~free, 0.0)
    t["freed_mu"] = freed.where(free, 0.0)
    t["revenue_out_wan"] = rev_out.where(free, 0.0)
    t["contribution"] = np.maximum(c_raise, c_free)
    t = t[t["contribution"] > 0]
    t = t.iloc[np.argsort(-t["contribution"].to_numpy(), kind="stable")].reset_index(drop=True)
    need = P * D - R
    summary = {"need_wan": need, "path_value": P, "revenue_per_mu": float(revenue_per_mu), "developed_mu": D,
               "candidates": int(len(t)), "on_path": bool(need <= 0)}
    d_all = D - t["freed_mu"].sum()
    r_all = R + t["gain_wan"].sum() - t["revenue_out_wan"].sum()
    summary["reachable_revenue_per_mu"] = float(r_all / d_all) if d_all > 0 else float("nan")
    if need <= 0:
        summary |= {"enough": True, "chosen": 0}
        return t.iloc[0:0].assign(cumulative=[], revenue_per_mu_after=[], rank=[]), summary
    t["cumulative"] = t["contribution"].cumsum()
    t["revenue_per_mu_after"] = (R + t["gain_wan"].cumsum() - t["revenue_out_wan"].cumsum()) \
        / (D - t["freed_mu"].cumsum()).where(lambda x: x > 0)
    reach = np.flatnonzero(t["cumulative"].to_numpy() >= need - 1e-9)
    chosen = t.iloc[: reach[0] + 1] if len(reach) else t
    summary |= {"enough": bool(len(reach)), "chosen": int(len(chosen))}
    chosen = chosen.assign(rank=np.arange(1, len(chosen) + 1))
    return chosen.reset_index(drop=True), summary
