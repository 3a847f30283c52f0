"""Guards the database keeps by itself: the audit log refuses TRUNCATE (it already refuses UPDATE
and DELETE), and writes to an input layer that bypass ``landuse import`` (SQL, QGIS) forget that
layer's recorded state in ``inputs_state``, so stale results are still recognised. The tables this
relies on (``inputs_state``, ``login_throttle``) come from the models (0001 for a fresh database,
0002 for an older one), which run first.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INPUT_TABLES = ("zones", "parcels", "enterprises", "enterprise_years", "buildings", "leases", "pilot_area_years")


def upgrade() -> None:
    from parcels.store.models import add_missing

    add_missing(op.get_bind())  # inputs_state and login_throttle, for a database made before them
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")
    op.execute("""
        CREATE OR REPLACE FUNCTION inputs_state_forget() RETURNS trigger AS $$
        BEGIN DELETE FROM inputs_state WHERE layer = TG_TABLE_NAME; RETURN NULL; END; $$ LANGUAGE plpgsql""")
    for name in INPUT_TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS inputs_dirty ON "{name}"')
        op.execute(f'''CREATE TRIGGER inputs_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{name}"
                       FOR EACH STATEMENT EXECUTE FUNCTION inputs_state_forget()''')


def downgrade() -> None:
    for name in INPUT_TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS inputs_dirty ON "{name}"')
    op.execute("DROP FUNCTION IF EXISTS inputs_state_forget()")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
