"""The content digests of the results layers (``results_digests``): a year's layer whose rows an
evaluation would write again unchanged is left as it is (parcels.store.base.RESULTS_DIGESTS_DDL).
Created lazily by ``replace_results`` too, for stores opened without ``landuse init``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.base import RESULTS_DIGESTS_DDL

    op.execute(RESULTS_DIGESTS_DDL.format(int8="bigint"))


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS results_digests")
