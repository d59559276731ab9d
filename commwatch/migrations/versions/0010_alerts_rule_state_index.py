"""alerts: one index on (rule, state) in place of the one on rule

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 21:20:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_rule_state', ['rule', 'state'], unique=False)
        batch_op.drop_index('ix_alerts_rule')


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_rule', ['rule'], unique=False)
        batch_op.drop_index('ix_alerts_rule_state')
