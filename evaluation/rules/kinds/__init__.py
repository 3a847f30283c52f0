"""The rule kinds, one module per family; importing this package registers every kind."""

from evaluation.rules.kinds import comparison, evidence, grades, idle, output, standard_land  # noqa: F401
