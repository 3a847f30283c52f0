"""evaluation package of landuse-efficiency."""
