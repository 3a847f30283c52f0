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


def upgrade() -> None:
    from parcels.store.models import add_missing

    # inputs_state and login_throttle for a database made before them; add_missing also installs
    # the inputs_dirty triggers on every input layer (models.install_input_guards)
    add_missing(op.get_bind())
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    from landuse.core.contract import INPUT_LAYERS

    for layer in INPUT_LAYERS:
        op.execute(f'DROP TRIGGER IF EXISTS inputs_dirty ON "{layer.name}"')
    op.execute("DROP FUNCTION IF EXISTS inputs_state_forget()")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
