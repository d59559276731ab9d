"""notifier outbox: attempts, channel state, silences, throttling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:37:54.833289
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commwatch.store.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('blocked_until', commwatch.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('updated_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel')
    )
    op.create_table('silences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('invoice', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silences_expires_at'), ['expires_at'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('retry_after', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_delivery_id'), ['delivery_id'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_notify_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='new'))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('group_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', commwatch.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('duplicate_risk', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_deliveries_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_group_key'), ['group_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_topic'), ['topic'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_topic'))
        batch_op.drop_index(batch_op.f('ix_deliveries_group_key'))
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_deliveries_customer_id'))
        batch_op.drop_column('duplicate_risk')
        batch_op.drop_column('external_ref')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('group_key')
        batch_op.drop_column('topic')
        batch_op.drop_column('customer_id')
        batch_op.drop_column('seq')
        batch_op.drop_column('event')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('next_notify_at')
        batch_op.drop_column('notified_count')

    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_delivery_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silences_expires_at'))

    op.drop_table('silences')
    op.drop_table('channel_state')
