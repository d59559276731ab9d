"""Read-only views of the store that rules evaluate; rules never query the store themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
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
class MonitorContext:
    """What rules need besides the store: the business calendar for SLA clocks and who each
    owner escalates to."""

    calendar: BusinessCalendar = field(default_factory=lambda: BusinessCalendar(CalendarConfig()))
    managers: dict[str, str] = field(default_factory=dict)


class StoreView:
    """What rules may see; each method is one bounded query."""

    def __init__(self, session: Session, context: MonitorContext | None = None) -> None:
        self.session = session
        self.context = context or MonitorContext()

    def threads_awaiting_us(self, received_before: datetime) -> list[WaitingThread]:
        """Threads awaiting our reply whose customer message arrived before the given time."""
        rows = self.session.execute(
            select(Thread, Message, Customer)
            .join(Message, Message.id == Thread.last_inbound_message_id)  # type: ignore[arg-type]
            .join(Customer, Customer.id == Thread.customer_id, isouter=True)  # type: ignore[arg-type]
            .where(Thread.state == "awaiting_us")
            .where(Thread.last_inbound_at < received_before)  # type: ignore[operator]
            .order_by(Thread.last_inbound_at)  # type: ignore[arg-type]
        ).all()
        message_ids = [m.id for _t, m, _c in rows]
        tags: dict[int, list[str]] = {}
        if message_ids:
            for mid, tag in self.session.execute(
                select(Signal.message_id, Signal.tag).where(Signal.message_id.in_(message_ids))  # type: ignore[attr-defined]
            ):
                tags.setdefault(mid, []).append(tag)
        return [
            WaitingThread(
                thread_id=t.id,
                subject=t.subject,
                channel=t.channel,
                customer_id=t.customer_id,
                customer_name=c.name if c else None,
                owner=c.owner if c else None,
                owner_email=c.owner_email if c else None,
                message_id=m.id,
                sender=m.sender,
                sender_name=m.sender_name,
                received_at=m.sent_at,
                excerpt=" ".join(m.new_text.split())[:280],
                tags=tuple(sorted(tags.get(m.id, []))),
            )
            for t, m, c in rows
        ]

    def settled_promises(self, statuses: tuple[str, ...]) -> list[SettledPromise]:
        """Promises in the given ledger statuses (the ledger job keeps them current)."""
        rows = self.session.execute(
            select(PromiseRecord, Message, Customer)
            .join(Message, Message.id == PromiseRecord.message_id)  # type: ignore[arg-type]
            .join(Customer, Customer.id == PromiseRecord.customer_id, isouter=True)  # type: ignore[arg-type]
            .where(PromiseRecord.status.in_(statuses))  # type: ignore[attr-defined]
            .order_by(PromiseRecord.due_on, PromiseRecord.id)  # type: ignore[arg-type]
        ).all()
        return [
            SettledPromise(
                promise_id=p.id or 0, status=p.status, amount=p.amount, paid=p.paid_amount,
                currency=p.currency, due_on=p.due_on, invoices=tuple(p.invoices or ()),
                message_id=m.id or 0, thread_id=m.thread_id, customer_id=p.customer_id,
                customer_name=c.name if c else None, owner=c.owner if c else None,
                owner_email=c.owner_email if c else None,
                excerpt=" ".join(m.new_text.split())[:280],
            )
            for p, m, c in rows
        ]
