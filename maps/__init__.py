"""maps package of landuse-efficiency."""
