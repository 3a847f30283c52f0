"""Inefficient and idle industrial land: the rules of docs/domain.md §7 as policy data, one engine.

- :mod:`evaluation.rules.engine`: :func:`flag_parcels` (context, scope, grace, gains, evidence);
- :mod:`evaluation.rules.registry`: the rule kinds by name (:func:`register`);
- :mod:`evaluation.rules.kinds`: the kinds, one module per family (comparison, output, idle,
  grades, standard land, evidence);
- :mod:`evaluation.rules.common`: shared helpers (zone references, per-industry thresholds).
"""

from evaluation.rules.common import zone_median_revenue_per_mu, zone_reference
from evaluation.rules.engine import (FLAG_COLUMNS, GRADE_KINDS, RuleContext, RuleSetup, evidence_json, finish_flags,
                                     flag_parcels, rule_rows, rule_setup)
from evaluation.rules.registry import KINDS, register

__all__ = ["flag_parcels", "rule_setup", "rule_rows", "finish_flags", "RuleSetup", "GRADE_KINDS", "FLAG_COLUMNS", "RuleContext", "zone_reference", "zone_median_revenue_per_mu",
           "evidence_json", "KINDS", "register"]
