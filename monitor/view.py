"""Read-only views of the store that rules evaluate; rules never query the store themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from datetime import date, datetime

from sqlalchemy import func, select, true
from sqlmodel import Session

from monitor.calendar import BusinessCalendar, CalendarConfig
from commwatch.store import Customer, Message, PromiseRecord, Signal, Thread


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
    return func.substr(Message.new_text, 1, 600)


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
        waiting = (Thread.state == "awaiting_us",
                   Thread.last_inbound_at < received_before)  # type: ignore[operator]
        connection = self.session.connection()
        rows = connection.execute(
            select(Thread.id, Thread.subject, Thread.channel, Thread.customer_id,
                   Customer.name, Customer.owner, Customer.owner_email, Message.id,
                   Message.sender, Message.sender_name, Message.sent_at, _excerpt())
            .join(Message, Message.id == Thread.last_inbound_message_id)  # type: ignore[arg-type]
            .join(Customer, Customer.id == Thread.customer_id, isouter=True)  # type: ignore[arg-type]
            .where(*waiting)
            .order_by(Thread.last_inbound_at)  # type: ignore[arg-type]
        ).all()
        # The same threads' messages' tags, by the same condition: lists of thousands of
        # message ids cost more to send than this join.
        tags: dict[int, list[str]] = {}
        for mid, tag in connection.execute(
            select(Signal.message_id, Signal.tag).distinct()
            .join(Thread, Thread.last_inbound_message_id == Signal.message_id)  # type: ignore[arg-type]
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
                   p.c.invoices, Message.id, Message.thread_id, p.c.customer_id, Customer.name,
                   Customer.owner, Customer.owner_email, _excerpt())
            .join(Message, Message.id == p.c.message_id)  # type: ignore[arg-type]
            .join(Customer, Customer.id == p.c.customer_id, isouter=True)  # type: ignore[arg-type]
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
            select(Message.id, Signal.tag, Signal.confidence, Signal.evidence_text,
                   Signal.values, Thread.id, Message.subject, Message.channel, Message.sender,
                   Message.sender_name, Message.sent_at, Message.customer_id, Customer.name,
                   Customer.owner, Customer.owner_email, _excerpt())
            .join(Signal, Signal.message_id == Message.id)  # type: ignore[arg-type]
            .join(Thread, Thread.id == Message.thread_id)  # type: ignore[arg-type]
            .join(Customer, Customer.id == Message.customer_id, isouter=True)  # type: ignore[arg-type]
            .where(Message.sent_at >= received_since)  # type: ignore[operator]
            .where(Message.direction == "inbound")
            .where(Signal.tag.in_(tags))  # type: ignore[attr-defined]
            .where(Thread.state == "awaiting_us")
            .where((Thread.last_outbound_at.is_(None))  # type: ignore[union-attr]
                   | (Thread.last_outbound_at < Message.sent_at))  # type: ignore[operator]
            .order_by(Message.sent_at, Message.id, Signal.tag)  # type: ignore[arg-type]
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
