"""promises: paid_amount and settled_on for the promise ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promises") as batch:
        batch.add_column(sa.Column("paid_amount", sa.Numeric(18, 4), nullable=True))
        batch.add_column(sa.Column("settled_on", sa.Date(), nullable=True))
        batch.create_index("ix_promises_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("promises") as batch:
        batch.drop_index("ix_promises_status")
        batch.drop_column("settled_on")
        batch.drop_column("paid_amount")
