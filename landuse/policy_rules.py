"""Policy sections for issue 4: inefficient/idle-land rules, standard land, enterprise grading."""

from __future__ import annotations

from landuse.policy_base import Section


class RulesPolicy(Section):
    pass


class IdlePolicy(Section):
    pass


class StandardLandPolicy(Section):
    pass


class GradingPolicy(Section):
    pass
