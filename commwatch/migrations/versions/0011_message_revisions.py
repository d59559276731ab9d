"""messages: edited_at; message_revisions: the earlier versions of edited messages

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commwatch.store.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'edited_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table('message_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('new_text', sa.Text(), nullable=False),
    sa.Column('edited_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('text_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('raw_ref', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('recorded_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'text_hash', name='uq_message_revisions_text')
    )
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_revisions_message_id'), ['message_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_revisions_message_id'))
    op.drop_table('message_revisions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
