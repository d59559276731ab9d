"""promises: restatements and revisions (restates_id, superseded_by_id)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:25:52.079723
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Named, so that downgrade can drop them (SQLite's batch mode rebuilds the table).
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restates_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_promises_superseded_by_id', 'promises',
                                    ['superseded_by_id'], ['id'])
        batch_op.create_foreign_key('fk_promises_restates_id', 'promises',
                                    ['restates_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_constraint('fk_promises_restates_id', type_='foreignkey')
        batch_op.drop_constraint('fk_promises_superseded_by_id', type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('restates_id')
