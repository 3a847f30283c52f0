"""``python -m landuse.cli``: the same command as ``landuse``."""

from landuse.cli import main

main()
