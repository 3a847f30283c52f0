"""Pure computation on data frames (no files, databases or maps): the yearly evaluation.

The entry point is :func:`evaluate_year` on :func:`prepare`-d inputs (see :mod:`evaluation.pipeline`).
"""

from evaluation.pipeline import STORED_LAYERS, UNUSED_INPUTS, Prepared, YearResults, carry_parts, evaluate_year, prepare

__all__ = ["STORED_LAYERS", "UNUSED_INPUTS", "Prepared", "YearResults", "carry_parts", "evaluate_year", "prepare"]
