"""One error base class; data problems are collected and raised once with all of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class LanduseError(Exception):
    """Base class of every error the product raises on purpose."""


class StoreError(LanduseError):
    """The store cannot be opened, is of the wrong schema version, or a write failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or used right now (database server down, file locked by another
    writer for too long, disk full, damaged file): the web answers 503, the CLI prints the message."""


class StoreBusy(StoreUnavailable):
    """Another process holds the store's write lock longer than the wait allowed."""


class NoResults(LanduseError):
    """No stored results for the year asked for (run the evaluation first)."""


class PolicyError(LanduseError):
    """The policy file is missing, malformed or inconsistent."""


class UnknownCode(LanduseError):
    """A code typed by a user (zone, pilot area, layer…) that the store does not know; the message
    names the nearest known codes."""

    KINDS = {"zone": ("开发区", "zone"), "pilot_area": ("试验区", "pilot area"), "layer": ("图层", "layer"),
             "user": ("用户", "user")}

    def __init__(self, kind: str, code: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.kind, self.code, self.suggestions = kind, code, list(suggestions)
        zh, en = self.KINDS.get(kind, (kind, kind))
        near = "、".join(self.suggestions)
        near_en = ", ".join(self.suggestions)
        msg = f"未知{zh}代码 {code!r}" + (f"；相近的有：{near}" if near else "") + \
            f" / unknown {en} {code!r}" + (f"; did you mean: {near_en}" if near_en else "")
        super().__init__(msg)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what was found, what was expected."""

    file: str
    layer: str
    row: int | str | None
    column: str | None
    value: Any
    expected: str
    severity: str = "error"  # error | warning (warnings are reported but do not stop an import)
    code: str = ""  # machine-readable kind, e.g. "uscc_check", "duplicate_key"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = "" if self.value is None else str(self.value)
        return d


@dataclass
class ValidationFailed(LanduseError):
    """Raised once with every problem found; nothing was written."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:  # pragma: no cover - formatting only
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} 个错误 / errors in the data package; nothing was imported"
        lines = [head]
        for p in errors[:20]:
            lines.append(
                f"  {p.file} [{p.layer}] row {p.row} column {p.column}: {p.value!r} — expected {p.expected}"
            )
        if len(errors) > 20:
            lines.append(f"  … and {len(errors) - 20} more")
        return "\n".join(lines)
