"""partial index on outbound emails that may send an invoice

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 21:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Repeated by the acknowledgement rule's query term for term (see commwatch.store.models).
INVOICE_MAIL = sa.text(
    "direction = 'outbound' AND channel = 'email' AND (lower(subject) LIKE '%inv%' "
    "OR lower(CAST(attachments AS TEXT)) LIKE '%inv%')"
)


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_invoice_mail', ['sent_at'], unique=False,
                              sqlite_where=INVOICE_MAIL, postgresql_where=INVOICE_MAIL)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_invoice_mail', sqlite_where=INVOICE_MAIL,
                            postgresql_where=INVOICE_MAIL)
