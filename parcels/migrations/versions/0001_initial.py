"""Initial schema: every layer of docs/data-package.md, inputs and outputs, plus users, sessions, audit log.

The tables are built from ``parcels.store.models`` (itself derived from ``landuse.core.contract``):
spatial columns as GeoAlchemy2 ``Geometry(MULTIPOLYGON, 4490)`` with GiST indexes, natural-key
unique constraints, deferrable foreign keys and check constraints. Until the first release this
revision is the schema; later changes get revisions of their own (autogenerate with the
GeoAlchemy2 helpers configured in env.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.models import build_metadata

    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    build_metadata().create_all(bind=bind)
    # the audit log is append-only, enforced by the database
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""")
    op.execute("""CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
                  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    from parcels.store.models import build_metadata

    op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
    build_metadata().drop_all(bind=op.get_bind())
