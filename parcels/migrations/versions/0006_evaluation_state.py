"""What an evaluation and the web service keep beside the layers: the earlier years' parts of an
evaluation (``evaluation_carry``), the results generation (``results_state``) with the statement
triggers that bump it when a results table is written outside the product (QGIS, SQL), and the
stored vector tiles (``result_tiles``). Created lazily by earlier releases; from this revision on
the schema owns them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.postgis import CARRY_DDL, RESULTS_STATE_DDL, TILES_DDL, results_triggers

    for ddl in (CARRY_DDL, RESULTS_STATE_DDL, TILES_DDL):
        op.execute(ddl)
    for sql in results_triggers():
        op.execute(sql)


def downgrade() -> None:
    from landuse.core.contract import OUTPUT_LAYERS

    for layer in OUTPUT_LAYERS:
        op.execute(f'DROP TRIGGER IF EXISTS results_dirty ON "{layer.name}"')
    op.execute("DROP FUNCTION IF EXISTS results_state_bump()")
    for name in ("result_tiles", "results_state", "evaluation_carry"):
        op.execute(f'DROP TABLE IF EXISTS "{name}"')
