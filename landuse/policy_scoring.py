"""Policy sections for issue 5: land intensive-use evaluation, composite score, quota tilt."""

from __future__ import annotations

from landuse.policy_base import Section


class IntensivePolicy(Section):
    pass


class ScorePolicy(Section):
    pass


class QuotaPolicy(Section):
    pass
