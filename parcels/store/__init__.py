"""Storage behind one interface: a GeoPackage workspace or a PostGIS database."""

from __future__ import annotations

from landuse.core.settings import is_postgres_url, resolve_db

from parcels.store.base import LayerChange, Store


def open_store(db: str | None = None, *, init: bool = False) -> Store:
    """Open ``--db URL|PATH`` (falling back to LANDUSE_DATABASE_URL, then ./landuse.gpkg)."""
    target = resolve_db(db)
    if is_postgres_url(target):
        from parcels.store.postgis import PostGISStore

        store: Store = PostGISStore(target)
    else:
        from parcels.store.gpkg import GeoPackageStore

        store = GeoPackageStore(target)
    if init:
        store.init()
    return store


__all__ = ["open_store", "Store", "LayerChange"]
