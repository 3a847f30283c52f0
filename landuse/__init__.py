"""landuse-efficiency: land-use efficiency GIS for Chinese development zones (标准地 / 亩均效益)."""

__version__ = "0.1.0"
