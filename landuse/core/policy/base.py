"""Base class of every policy section: frozen, strict, with a source note per number.

Leaf module. Each section of the policy file is a subclass; every number in a section has an entry
in that section's ``notes`` table saying where it comes from (a test checks this).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    notes: dict[str, str] = Field(default_factory=dict, description="source note for each number")
