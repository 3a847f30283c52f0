"""The core every other part builds on, importing nothing above it: the data-package contract,
units, errors, settings, labels (every word a user sees, Chinese and English), dtypes and the policy
models. Checked by the import-linter ``layers`` contract in pyproject.toml."""
