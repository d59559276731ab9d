"""Read-only views of the store that rules evaluate; rules never query the store themselves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlmodel import Session, col

from commwatch.store import Contact, Customer, Message, PromiseRecord, Signal, Thread
from monitor.calendar import BusinessCalendar, CalendarConfig


@dataclass(frozen=True)
class WaitingThread:
    """A thread whose latest human message came from the customer."""

    thread_id: int
    subject: str
    channel: str
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None
    message_id: int
    sender: str
    sender_name: str
    received_at: datetime
    excerpt: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SettledPromise:
    """A promise whose outcome is known, with what a collector needs to act on it."""

    promise_id: int
    status: str
    amount: object
    paid: object
    currency: str | None
    due_on: object
    invoices: tuple[str, ...]
    message_id: int
    thread_id: int | None
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None
    excerpt: str


@dataclass(frozen=True)
class TaggedInbound:
    """A customer's message carrying a tag, in a thread still awaiting our reply to it."""

    message_id: int
    tag: str
    confidence: float
    evidence: str
    values: dict[str, Any]
    thread_id: int | None
    subject: str
    channel: str
    sender: str
    sender_name: str
    received_at: datetime
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None
    excerpt: str


@dataclass(frozen=True)
class MonitorContext:
    """What rules need besides the store: the business calendar for SLA clocks and who each
    owner escalates to."""

    calendar: BusinessCalendar = field(default_factory=lambda: BusinessCalendar(CalendarConfig()))
    managers: dict[str, str] = field(default_factory=dict)


def _excerpt() -> Any:
    """The start of a message's new text, cut in the database: an alert shows 280 characters
    and a sweep reads thousands of messages."""
    return func.substr(col(Message.new_text), 1, 600)


class StoreView:
    """What rules may see; each method is one bounded query, executed as Core (rows, not ORM
    results): a sweep reads tens of thousands of rows, and the ORM's result machinery cost
    more than the queries."""

    def __init__(self, session: Session, context: MonitorContext | None = None) -> None:
        self.session = session
        self.context = context or MonitorContext()

    def threads_awaiting_us(self, received_before: datetime) -> list[WaitingThread]:
        """Threads awaiting our reply whose customer message arrived before the given time.

        Executed as Core, like the other per-sweep queries of thousands of rows: the ORM's
        result machinery would cost more than the query."""
        waiting = (col(Thread.state) == "awaiting_us",
                   col(Thread.last_inbound_at) < received_before)
        connection = self.session.connection()
        rows: Sequence[Any] = connection.execute(
            select(col(Thread.id), col(Thread.subject), col(Thread.channel),
                   col(Thread.customer_id), col(Customer.name), col(Customer.owner),
                   col(Customer.owner_email), col(Message.id), col(Message.sender),
                   col(Message.sender_name), col(Message.sent_at), _excerpt())
            .join(Message, col(Message.id) == col(Thread.last_inbound_message_id))
            .join(Customer, col(Customer.id) == col(Thread.customer_id), isouter=True)
            .where(*waiting)
            .order_by(col(Thread.last_inbound_at))
        ).all()
        # The same threads' messages' tags, by the same condition: lists of thousands of
        # message ids cost more to send than this join.
        tags: dict[int, list[str]] = {}
        for mid, tag in connection.execute(
            select(col(Signal.message_id), col(Signal.tag)).distinct()
            .join(Thread, col(Thread.last_inbound_message_id) == col(Signal.message_id))
            .where(*waiting)
        ):
            tags.setdefault(mid, []).append(tag)
        return [
            WaitingThread(
                thread_id=thread_id, subject=subject, channel=channel, customer_id=customer_id,
                customer_name=name, owner=owner, owner_email=owner_email, message_id=mid,
                sender=sender, sender_name=sender_name, received_at=sent_at,
                excerpt=" ".join(text.split())[:280], tags=tuple(sorted(tags.get(mid, []))),
            )
            for (thread_id, subject, channel, customer_id, name, owner, owner_email, mid, sender,
                 sender_name, sent_at, text) in rows
        ]

    def settled_promises(
        self, statuses: tuple[str, ...], due_since: date | None = None
    ) -> list[SettledPromise]:
        """Promises in the given ledger statuses (the ledger job keeps them current), due on
        or after `due_since` when given."""
        p = PromiseRecord.__table__  # type: ignore[attr-defined]
        rows = self.session.connection().execute(
            select(p.c.id, p.c.status, p.c.amount, p.c.paid_amount, p.c.currency, p.c.due_on,
                   p.c.invoices, col(Message.id), col(Message.thread_id), p.c.customer_id,
                   col(Customer.name), col(Customer.owner), col(Customer.owner_email),
                   _excerpt())
            .join(Message, col(Message.id) == p.c.message_id)
            .join(Customer, col(Customer.id) == p.c.customer_id, isouter=True)
            .where(p.c.status.in_(statuses))
            .where(p.c.due_on >= due_since if due_since else true())
            .order_by(p.c.due_on, p.c.id)
        ).all()
        return [
            SettledPromise(
                promise_id=pid, status=status, amount=amount, paid=paid, currency=currency,
                due_on=due_on, invoices=tuple(invoices or ()), message_id=mid,
                thread_id=thread_id, customer_id=customer_id, customer_name=name, owner=owner,
                owner_email=owner_email, excerpt=" ".join(text.split())[:280],
            )
            for (pid, status, amount, paid, currency, due_on, invoices, mid, thread_id,
                 customer_id, name, owner, owner_email, text) in rows
        ]

    def unanswered_tagged_inbound(
        self, tags: list[str], received_since: datetime
    ) -> list[TaggedInbound]:
        """Inbound messages since the given time with one of `tags`, whose thread awaits us
        and has had no reply from us since the message. Driven by the index on
        `messages.sent_at`, so a sweep reads only the recent window."""
        rows = self.session.connection().execute(
            select(col(Message.id), col(Signal.tag), col(Signal.confidence),
                   col(Signal.evidence_text), col(Signal.values), col(Thread.id),
                   col(Message.subject), col(Message.channel), col(Message.sender),
                   col(Message.sender_name), col(Message.sent_at), col(Message.customer_id),
                   col(Customer.name), col(Customer.owner), col(Customer.owner_email),
                   _excerpt())
            .join(Signal, col(Signal.message_id) == col(Message.id))
            .join(Thread, col(Thread.id) == col(Message.thread_id))
            .join(Customer, col(Customer.id) == col(Message.customer_id), isouter=True)
            .where(col(Message.sent_at) >= received_since)
            .where(col(Message.direction) == "inbound")
            .where(col(Signal.tag).in_(tags))
            .where(col(Thread.state) == "awaiting_us")
            .where(col(Thread.last_outbound_at).is_(None)
                   | (col(Thread.last_outbound_at) < col(Message.sent_at)))
            .order_by(col(Message.sent_at), col(Message.id), col(Signal.tag))
        ).all()
        return [
            TaggedInbound(
                message_id=mid, tag=tag, confidence=confidence, evidence=evidence,
                values=dict(values or {}), thread_id=thread_id, subject=subject,
                channel=channel, sender=sender, sender_name=sender_name, received_at=sent_at,
                customer_id=customer_id, customer_name=name, owner=owner,
                owner_email=owner_email, excerpt=" ".join(text.split())[:280],
            )
            for (mid, tag, confidence, evidence, values, thread_id, subject, channel, sender,
                 sender_name, sent_at, customer_id, name, owner, owner_email, text) in rows
        ]


def contacts_field(session: Session, emails: Iterable[str], field_: Any) -> dict[str, str]:
    """`field_` of the contacts with these addresses (case-insensitive), where it is set, keyed
    by lower-case address; looked up a thousand addresses a query."""
    wanted = sorted({e.lower() for e in emails})
    found: dict[str, str] = {}
    for i in range(0, len(wanted), 1000):
        found.update(
            (email.lower(), value)
            for email, value in session.execute(
                select(col(Contact.email), field_).where(
                    func.lower(col(Contact.email)).in_(wanted[i:i + 1000]),
                    field_.is_not(None),
                )
            )
        )
    return found
