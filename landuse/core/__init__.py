"""The core every other part builds on, importing nothing above it: the data-package contract,
units, errors, settings, labels (every word a user sees, Chinese and English), dtypes and the policy
models. Checked by the import-linter ``layers`` contract in pyproject.toml."""

import warnings as _warnings

import pandas as _pd

# Text columns keep pandas' own string storage even where pyarrow is installed (pyarrow is here for
# Parquet, landuse/services/carry.py): the same behaviour on every machine, and its ``isin`` on
# hundreds of thousands of codes is ~4× faster than the Arrow-backed one (pandas 3).
_pd.set_option("mode.string_storage", "python")

# The contract's text columns are object arrays with None for missing (landuse/core/dtypes.py). With
# pandas 3's default every frame built from Python strings (a store's rows, np.where on labels, a
# step's new columns) is first inferred as the ``str`` dtype and converted back to object by the next
# coercion: ~20 % of an evaluation's compute on the province sample (docs/benchmarks.md). Inference is
# off until the steps move to the ``str`` dtype; the option goes in pandas 4, hence pandas < 4 in
# pyproject.toml.
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")  # Pandas4Warning: the option is deprecated
    _pd.set_option("future.infer_string", False)
