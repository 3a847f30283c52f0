"""parcels package of landuse-efficiency."""
