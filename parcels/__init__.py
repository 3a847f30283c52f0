"""parcels package of landuse-efficiency."""

# Temporary: the sample generator does not write the pilot-area columns of the rules/quota review
# yet; parcels/sample_extras_rules.py says where its function must be called. Remove these two
# lines once the generator calls it.
from parcels.sample_extras_rules import install as _install_sample_extras  # noqa: E402

_install_sample_extras()
