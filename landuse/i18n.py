"""User-facing text: Chinese first, English available (``LANDUSE_LANG=en`` or ``--lang en``)."""

from __future__ import annotations

import os

_LANG: str | None = None


def set_lang(lang: str | None) -> None:
    global _LANG
    _LANG = lang


def lang() -> str:
    return _LANG or os.environ.get("LANDUSE_LANG", "zh")


def t(zh: str, en: str) -> str:
    """The Chinese text, or the English one when English is chosen."""
    return en if lang() == "en" else zh


STAGE_LABELS = {
    "unsupplied": ("未供地", "not supplied"),
    "supplied": ("已供未开工", "supplied, not started"),
    "started": ("在建", "under construction"),
    "completed": ("已竣工", "completed"),
    "in_production": ("已投产", "in production"),
    "idle": ("闲置", "idle"),
}


def stage_label(stage: str | None) -> str:
    if not stage or stage not in STAGE_LABELS:
        return t("未知", "unknown")
    zh, en = STAGE_LABELS[stage]
    return t(zh, en)
