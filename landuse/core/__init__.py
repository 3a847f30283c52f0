"""The core every other part builds on, importing nothing above it: the data-package contract,
units, errors, settings, labels (every word a user sees, Chinese and English), dtypes and the policy
models. Checked by the import-linter ``layers`` contract in pyproject.toml."""

import pandas as _pd

# Text columns keep pandas' own string storage even where pyarrow is installed (pyarrow is here for
# Parquet, landuse/services/carry.py): the same behaviour on every machine, and its ``isin`` on
# hundreds of thousands of codes is ~4× faster than the Arrow-backed one (pandas 3).
_pd.set_option("mode.string_storage", "python")
