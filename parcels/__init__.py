"""parcels package of landuse-efficiency: data in and out (files, stores, validation, the sample generator)."""
