"""Bring a store made by an earlier revision up to the current contract: tables and columns the
contract gained since (system tables such as ``policies``; new layers and optional columns) are
added, nothing is dropped or rewritten. Fresh databases get everything from 0001 already, so this
revision then does nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from parcels.store.models import add_missing

    add_missing(op.get_bind())


def downgrade() -> None:  # additions only: nothing to take back safely
    pass
