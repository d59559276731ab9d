"""What the contact guardrails (`monitor.contact_pause`, `monitor.contact_frequency`,
`monitor.quiet_hours`) read from the store: GuardrailView's bounded queries, the rows they
return, and the time-zone check their configs share. Every query is one bounded statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, literal_column, select
from sqlmodel import Session, col

from commwatch.store import Contact, Customer, Message, Signal
from monitor.view import contacts_field


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as 'America/Chicago'"
        ) from None
    return value


@dataclass(frozen=True)
class CustomerPause:
    customer_id: int
    customer_name: str
    owner: str | None
    owner_email: str | None
    tag: str  # of the latest signal
    evidence: str
    message_id: int
    thread_id: int | None
    sender: str
    said_at: datetime
    signals: int  # in the window, all tags


@dataclass(frozen=True)
class OutboundContact:
    message_id: int
    customer_id: int | None
    external_id: str | None
    customer_name: str | None
    owner: str | None
    thread_id: int | None
    channel: str
    sent_at: datetime
    recipients: tuple[str, ...]
    subject: str


def _outbound(since: datetime, until: datetime, channels: Sequence[str]) -> list[Any]:
    # 'outbound' as a literal, not a bound parameter: SQLite then sees that the partial index
    # `ix_messages_outbound_time` answers the test by itself and reads only the index for
    # the columns it holds (no look-up of each message's row: 4x faster over 30 days).
    where = [col(Message.direction) == literal_column("'outbound'"),
             col(Message.sent_at) >= since, col(Message.sent_at) <= until]
    if channels:
        where.append(col(Message.channel).in_(channels))
    return where


def _days(column: Any, dialect: str) -> Any:
    """SQL: a timestamp as days since some epoch, to subtract two of them on either store."""
    if dialect == "sqlite":
        return func.julianday(column)  # stored as UTC text
    return func.extract("epoch", column) / 86400.0


@dataclass
class GuardrailView:
    session: Session

    def paused_customers(
        self, since: datetime | None, until: datetime, tags: Sequence[str]
    ) -> list[CustomerPause]:
        """Customers with a tagged message of theirs in [since, until], each with the latest
        such signal and how many there are, in customer order.

        The tagged messages are few (thousands): they are read once and the latest of each
        customer is picked here. Window functions over them (latest by ROW_NUMBER, how many
        by COUNT) sorted them twice and took several times longer than reading them."""
        # The time window is tested on the few tagged messages, not used to pick an index:
        # given `sent_at` bounds, SQLite walks the messages' time index over the whole
        # window (most of the table) instead of the signals' tag index. For the same reason
        # the rows are sorted here, not by an ORDER BY.
        sent = func.coalesce(col(Message.sent_at), None)
        where = [col(Signal.tag).in_(tags), col(Message.direction) == "inbound",
                 col(Message.customer_id).is_not(None), sent <= until]
        if since is not None:
            where.append(sent >= since)
        rows: list[Any] = list(self.session.connection().execute(
            select(col(Message.customer_id), col(Signal.tag), col(Signal.evidence_text),
                   col(Message.id), col(Message.thread_id), col(Message.sender),
                   col(Message.sent_at), col(Message.new_text), col(Signal.id),
                   col(Customer.name), col(Customer.owner), col(Customer.owner_email))
            .select_from(Signal)
            .join(Message, col(Message.id) == col(Signal.message_id))
            .join(Customer, col(Customer.id) == col(Message.customer_id))
            .where(*where)
        ).all())
        # Latest first (by time, then signal), then by customer: sorts are stable.
        rows.sort(key=itemgetter(6, 8), reverse=True)
        rows.sort(key=itemgetter(0))
        pauses = []
        for _customer_id, grouped in groupby(rows, itemgetter(0)):
            group = list(grouped)
            (customer_id, tag, evidence_text, message_id, thread_id, sender, sent_at, new_text,
             _signal_id, name, owner, owner_email) = group[0]
            pauses.append(CustomerPause(
                customer_id=customer_id, customer_name=name, owner=owner,
                owner_email=owner_email, tag=tag,
                evidence=" ".join((evidence_text or new_text or "").split())[:280],
                message_id=message_id, thread_id=thread_id, sender=sender, said_at=sent_at,
                signals=len(group),
            ))
        return pauses

    def contacts_of_busy_customers(
        self, since: datetime, until: datetime, more_than: int, within_days: float,
        channels: Sequence[str],
    ) -> list[OutboundContact]:
        """Outbound contacts in [since, until] of the customers who got more than `more_than`
        of them within `within_days` somewhere there, so the rest cost nothing.

        Those customers are picked in Python from one index-only read of the partial index
        on outbound messages (customer and time of each contact, in time order): each
        contact's `more_than`-th successor of the same customer is compared with it. The
        same test as a window function (LEAD) in SQL spent most of its time sorting every
        contact in the window by customer."""
        where = [*_outbound(since, until, channels), col(Message.customer_id).is_not(None)]
        customer = col(Message.customer_id)
        dialect = self.session.get_bind().dialect.name
        times: dict[int, list[Any]] = defaultdict(list)
        for customer_id, day in self.session.connection().execute(
            select(customer, _days(col(Message.sent_at), dialect))
            .where(*where)
            .order_by(col(Message.sent_at))
        ).all():
            times[customer_id].append(day)
        busy = sorted(
            customer_id for customer_id, days in times.items()
            if len(days) > more_than
            and any(nth - day < within_days
                    for day, nth in zip(days, days[more_than:], strict=False))
        )
        return [
            contact
            for start in range(0, len(busy), 1000)
            for contact in self._contacts(where + [customer.in_(busy[start : start + 1000])])
        ]

    def outbound_contacts(
        self, since: datetime, until: datetime, channels: Sequence[str],
        message_ids: Sequence[int] | None = None,
    ) -> list[OutboundContact]:
        """Outbound contacts in [since, until], only those among `message_ids` when given."""
        where = _outbound(since, until, channels)
        if message_ids is not None:
            if not message_ids:
                return []
            where.append(col(Message.id).in_(message_ids))
        return self._contacts(where)

    def outbound_times(
        self, since: datetime, until: datetime, channels: Sequence[str]
    ) -> list[tuple[int, int | None, datetime]]:
        """(message id, customer id, sent at) of each outbound contact in [since, until]:
        read from the partial index on outbound messages alone, not their rows."""
        rows: Sequence[Any] = self.session.connection().execute(
            select(col(Message.id), col(Message.customer_id), col(Message.sent_at))
            .where(*_outbound(since, until, channels))
        ).all()
        return [(message_id, customer_id, sent_at) for message_id, customer_id, sent_at in rows]

    def customers_by_external_id(self, external_ids: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(external_ids))
        found: dict[str, int] = {}
        for i in range(0, len(wanted), 1000):
            rows: Sequence[Any] = self.session.connection().execute(
                select(col(Customer.external_id), col(Customer.id))
                .where(col(Customer.external_id).in_(wanted[i:i + 1000]))
            ).all()
            found.update((external_id, customer_id) for external_id, customer_id in rows)
        return found

    def contact_zone_names(self) -> set[str]:
        """Every time zone a contact has (a handful, however many contacts)."""
        return {zone for zone in self.session.connection().execute(
            select(col(Contact.timezone)).distinct().where(col(Contact.timezone).is_not(None))
        ).scalars() if zone is not None}

    def _contacts(self, where: list[Any]) -> list[OutboundContact]:
        # Core rows: the ORM's result machinery cost as much as the query over a week of
        # contacts.
        rows: Sequence[Any] = self.session.connection().execute(
            select(col(Message.id), col(Message.customer_id), col(Customer.external_id),
                   col(Customer.name), col(Customer.owner), col(Message.thread_id),
                   col(Message.channel), col(Message.sent_at), col(Message.recipients),
                   col(Message.subject))
            .join(Customer, col(Customer.id) == col(Message.customer_id), isouter=True)
            .where(*where)
            .order_by(col(Message.customer_id), col(Message.sent_at), col(Message.id))
        ).all()
        return [
            OutboundContact(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(r[8] or ()),
                            r[9])
            for r in rows
        ]

    def contact_timezones(self, emails: Iterable[str]) -> dict[str, str]:
        return contacts_field(self.session, emails, col(Contact.timezone))
