"""The registry of rule kinds: each kind is a function ``(rule, ctx) → frame`` registered by name.

A kind returns a frame indexed by parcel_code (flagged parcels only) with ``evidence`` and
optionally ``severity``, ``action``, ``gain_mu`` (overrides the rule's gain for that row) and
``data`` (a dict of the compared values, written as JSON). The names must be those of
``landuse.core.policy.rules.RuleKind`` (a test checks the two lists agree).

    from evaluation.rules.registry import register

    @register("threshold")
    def threshold(rule, ctx): ...
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

__all__ = ["KINDS", "register", "kind"]

Kind = Callable[..., pd.DataFrame]

#: kind name → function; filled by the modules of ``evaluation.rules.kinds`` when imported
KINDS: dict[str, Kind] = {}


def register(name: str) -> Callable[[Kind], Kind]:
    """Register ``fn`` as the rule kind ``name`` (one function per name)."""

    def deco(fn: Kind) -> Kind:
        if name in KINDS and KINDS[name] is not fn:
            raise ValueError(f"rule kind {name!r} registered twice")
        KINDS[name] = fn
        return fn

    return deco


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown rule kind {name!r}; known: {', '.join(sorted(KINDS))}") from None
