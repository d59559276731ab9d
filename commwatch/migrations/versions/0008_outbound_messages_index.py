"""partial index on outbound messages by time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 20:13:38.623923
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commwatch.store.types


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_outbound_time', ['sent_at', 'channel', 'customer_id'], unique=False, sqlite_where=sa.text("direction = 'outbound'"), postgresql_where=sa.text("direction = 'outbound'"))



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_outbound_time', sqlite_where=sa.text("direction = 'outbound'"), postgresql_where=sa.text("direction = 'outbound'"))

