"""Deployment settings (pydantic-settings, prefix ``LANDUSE_``). Leaf module.

- ``LANDUSE_DATABASE_URL``: a PostgreSQL/PostGIS URL (``postgresql://…``) or a GeoPackage path;
  the default is ``./landuse.gpkg``.
- ``LANDUSE_TIANDITU_KEY``: a Tianditu ``tk`` key for the optional CGCS2000 basemap.
- ``LANDUSE_TILE_URL``: a local tile URL template (``http://intranet/tiles/{z}/{x}/{y}.png`` or a
  folder), the other basemap option.
- ``LANDUSE_LANG``: ``zh`` (default) or ``en`` for user-facing text.
- ``LANDUSE_MAX_SESSIONS``: open web sessions per user (default 5; a new login ends the oldest).
- ``LANDUSE_EVAL_PROCESSES``: processes an evaluation may use — part of the read (GeoPackage),
  several years at once, or a year's grading and survey beside its rules (default: up to 2; 1: one
  process, the years one after the other; landuse.services.years_parallel).
- ``LANDUSE_SECRET_KEY``: not needed: web sessions are random tokens stored as SHA-256 (kept for compatibility).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_GPKG = "landuse.gpkg"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LANDUSE_", extra="ignore")

    database_url: str | None = None
    tianditu_key: str | None = None
    tile_url: str | None = None
    lang: str = "zh"
    secret_key: str | None = None
    session_minutes: int = 480
    max_sessions: int = 5
    max_upload_mb: int = 200
    eval_processes: int | None = None


def get_settings() -> Settings:
    return Settings()


def resolve_db(db: str | None) -> str:
    """``--db`` beats ``LANDUSE_DATABASE_URL`` beats ``./landuse.gpkg``."""
    if db:
        return db
    env = get_settings().database_url
    return env or DEFAULT_GPKG


def is_postgres_url(db: str) -> bool:
    return db.startswith(("postgresql://", "postgresql+psycopg://", "postgres://", "postgresql+psycopg2://"))
