"""The store queries of the acknowledgement rule: outbound invoice emails nobody answered
(SentInvoice, InvoiceView), and the SQL test for a customer's reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, cast, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from commwatch.store import Contact, Customer, Message
from monitor.view import contacts_field


@dataclass(frozen=True)
class SentInvoice:
    message_id: int
    thread_id: int | None
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    sent_at: datetime
    subject: str
    attachments: tuple[dict[str, Any], ...]


def _replied(original: Any, now: datetime) -> Any:
    """SQL: a human (not automatic) customer message after `original`, on its thread or
    answering it by In-Reply-To, no later than `now`. Two EXISTS, not one with an OR, so
    each can use its index (thread_id, in_reply_to) instead of scanning by date."""
    def reply_where(link: Any) -> Any:
        return exists().where(
            link,
            col(reply.direction) == "inbound",
            col(reply.automatic).is_(None),
            col(reply.sent_at) > col(original.sent_at),
            col(reply.sent_at) <= now,
        )

    reply = aliased(Message)
    return or_(
        and_(col(original.thread_id).is_not(None),
             reply_where(col(reply.thread_id) == col(original.thread_id))),
        and_(col(original.header_message_id).is_not(None),
             reply_where(col(reply.in_reply_to) == col(original.header_message_id))),
    )


@dataclass
class InvoiceView:
    """Bounded queries for the acknowledgement rule (indexes on messages: the partial
    `ix_messages_invoice_mail` by time, thread_id, in_reply_to)."""

    session: Session

    def unanswered_invoice_emails(
        self, sent_from: datetime, sent_until: datetime, now: datetime
    ) -> list[SentInvoice]:
        """Outbound emails sent in [sent_from, sent_until] that might send an invoice (their
        subject or attachment names say "inv") and that no customer has answered by `now`."""
        # The condition of the partial index `ix_messages_invoice_mail`, term for term, and
        # with the patterns written as literals: SQLite uses a partial index only when it can
        # match its condition in the query, and cannot look inside a bound parameter there.
        inv: Any = literal_column("'%inv%'")
        maybe_invoice = or_(
            func.lower(col(Message.subject)).like(inv),
            func.lower(cast(col(Message.attachments), Text)).like(inv),
        )
        rows = self.session.connection().execute(
            select(col(Message.id), col(Message.thread_id), col(Message.customer_id),
                   col(Message.sender), col(Message.sender_name), col(Message.recipients),
                   col(Message.sent_at), col(Message.subject), col(Message.attachments),
                   col(Customer.name), col(Customer.owner), col(Customer.owner_email))
            .join(Customer, col(Customer.id) == col(Message.customer_id), isouter=True)
            .where(col(Message.direction) == "outbound", col(Message.channel) == "email")
            .where(col(Message.sent_at) >= sent_from, col(Message.sent_at) <= sent_until)
            .where(maybe_invoice, ~_replied(Message, now))
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
        return [
            SentInvoice(
                message_id=r[0], thread_id=r[1], customer_id=r[2], sender=r[3],
                sender_name=r[4], recipients=tuple(r[5] or ()), sent_at=r[6], subject=r[7],
                attachments=tuple(r[8] or ()), customer_name=r[9], owner=r[10],
                owner_email=r[11],
            )
            for r in rows
        ]

    def contact_names(self, emails: Iterable[str]) -> dict[str, str]:
        return contacts_field(self.session, emails, col(Contact.name))
