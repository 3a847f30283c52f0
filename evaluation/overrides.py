"""Corrections from accepted objections (公示异议), applied to a year's results layers.

Pure: frames in, frames out. An override is a mapping with ``kind``:

- ``grade``: ``uscc`` gets grade ``value``; ``grade_note`` says it was corrected and why;
- ``flag``: the flag ``rule`` is withdrawn from parcel ``parcel_code``; the parcel's ``flags``,
  flag columns (``flags``, ``flag_count``, ``max_severity``, ``priority``, gains) are recomputed
  from the flags left (:func:`evaluation.targets.apply_flag_summary`).

Overrides that match no row change nothing and are returned as not applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from evaluation.targets import apply_flag_summary

__all__ = ["apply_overrides"]


def apply_overrides(frames: Mapping[str, pd.DataFrame], overrides: Iterable[Mapping]) -> tuple[dict[str, pd.DataFrame],
                                                                                            list[Mapping]]:
    """Return (corrected frames, the overrides applied). ``frames`` are not modified."""
    out = dict(frames)
    applied: list[Mapping] = []
    for o in overrides:
        if o.get("kind") == "grade" and "enterprise_results" in out:
            er = out["enterprise_results"]
            hit = (er["uscc"] == o.get("uscc")).to_numpy()
            if not hit.any():
                continue
            er = er.copy()
            er.loc[hit, "grade"] = o.get("value")
            if "grade_note" in er.columns:
                note = f"异议更正（{o.get('objection_id') or ''}）：{o.get('reason') or ''}"
                er["grade_note"] = er["grade_note"].astype(object)
                er.loc[hit, "grade_note"] = note
            out["enterprise_results"] = er
            applied.append(o)
        elif o.get("kind") == "flag" and "flags" in out:
            fl = out["flags"]
            hit = ((fl["parcel_code"] == o.get("parcel_code")) & (fl["rule"] == o.get("rule"))).to_numpy()
            if not hit.any():
                continue
            fl = fl[~hit]
            out["flags"] = fl
            if "parcel_results" in out:
                out["parcel_results"] = apply_flag_summary(out["parcel_results"], fl)
            applied.append(o)
    return out, applied
