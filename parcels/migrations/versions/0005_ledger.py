"""The disposal ledger (处置台账): ``disposals`` and ``disposal_notes`` (from the models).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.models import add_missing

    add_missing(op.get_bind())


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS disposal_notes")
    op.execute("DROP TABLE IF EXISTS disposals")
