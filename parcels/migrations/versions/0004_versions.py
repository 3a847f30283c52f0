"""Result versions, objections and corrections (system tables from the models).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.models import add_missing

    add_missing(op.get_bind())
    # the rows of a result version never change (a published version is immutable)
    op.execute("""CREATE OR REPLACE FUNCTION result_versions_immutable() RETURNS trigger AS $$
                  BEGIN RAISE EXCEPTION 'result versions are immutable'; END; $$ LANGUAGE plpgsql""")
    op.execute("DROP TRIGGER IF EXISTS version_rows_no_change ON result_version_layers")
    op.execute("""CREATE TRIGGER version_rows_no_change BEFORE UPDATE OR DELETE ON result_version_layers
                  FOR EACH ROW EXECUTE FUNCTION result_versions_immutable()""")


def downgrade() -> None:
    for name in ("result_overrides", "objections", "result_version_layers", "result_versions"):
        op.execute(f'DROP TABLE IF EXISTS "{name}"')
