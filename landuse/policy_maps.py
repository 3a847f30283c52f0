"""Policy section for issue 6: map classification and styling."""

from __future__ import annotations

from landuse.policy_base import Section


class MapsPolicy(Section):
    pass
