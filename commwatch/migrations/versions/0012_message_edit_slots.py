"""messages: edited, edit_key; message_revisions: edited. WhatsApp edits are matched to the
message they replace through its slot, since an edit changes the natural key.

Existing WhatsApp messages get their slot here, from what is stored: the chat (the natural
key's prefix), the local time (stored time plus offset), the author and the place among that
author's messages in that minute, in the order they were stored.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 06:00:00.000000
"""
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commwatch.store.types
from ingest.chat.records import name_key
from ingest.chat.whatsapp import edit_key

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column(
            'edit_key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_edit_key'), ['edit_key'], unique=False)
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _slots_of_whatsapp_messages()


def _slots_of_whatsapp_messages() -> None:
    messages = sa.table(
        'messages', sa.column('id', sa.Integer()), sa.column('natural_key', sa.String()),
        sa.column('sender', sa.String()),
        sa.column('sent_at', commwatch.store.types.UTCDateTime(timezone=True)),
        sa.column('sent_utc_offset', sa.Integer()), sa.column('edit_key', sa.String()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(messages.c.id, messages.c.natural_key, messages.c.sender,
                  messages.c.sent_at, messages.c.sent_utc_offset)
        .where(messages.c.natural_key.like('whatsapp:%'))
        .order_by(messages.c.id)).all()
    places: dict[tuple[str, str, str], int] = {}
    slots = []
    for row in rows:
        conv_key = row.natural_key.rsplit(':', 1)[0]
        local = (row.sent_at + timedelta(minutes=row.sent_utc_offset or 0)).replace(tzinfo=None)
        minute = (conv_key, local.isoformat(), name_key(row.sender))
        place = places[minute] = places.get(minute, -1) + 1
        slots.append({'b_id': row.id, 'b_slot': edit_key(*minute, place)})
    if slots:
        bind.execute(messages.update().where(messages.c.id == sa.bindparam('b_id'))
                     .values(edit_key=sa.bindparam('b_slot')), slots)


def downgrade() -> None:
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.drop_column('edited')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_edit_key'))
        batch_op.drop_column('edit_key')
        batch_op.drop_column('edited')
