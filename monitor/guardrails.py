"""Contact guardrails, an opt-in rule pack for compliance.

- `contact_pause`: a customer who asked us to stop or restrict contact (`cease_contact`) or
  raised legal action (`legal_escalation`) is flagged, and `pause_followups` pauses every
  queued follow-up to them. Nothing here ever un-pauses: resuming is a person's decision.
- `contact_frequency`: more than `max_attempts` outbound contacts to one customer in `days`
  consecutive days (calendar days in `timezone`).
- `quiet_hours`: an outbound contact sent outside `start`-`end` local time where the contact
  is: the contact's own time zone, else the customer's from `timezones`, else the default.

The rules are pure functions of the store and `now`; every query is one bounded statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import Contact, Customer, FollowUp, Message, Signal
from monitor.config import Severity
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding

PAUSE_TAGS = ("cease_contact", "legal_escalation")
PAUSABLE = ("draft", "approved")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as 'America/Chicago'"
        ) from None
    return value


class ContactPauseRuleConfig(StrictModel):
    """Pause follow-ups to a customer who asked us to stop contact or raised legal action."""

    type: Literal["contact_pause"]
    days: int | Literal["ever"] = Field(
        default=365, description='signals this recent count (days), or "ever"'
    )
    tags: list[str] = Field(default_factory=lambda: list(PAUSE_TAGS), min_length=1)
    severity: Severity = "high"
    enabled: bool = True

    @field_validator("days")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError('days must be at least 1, or "ever"')
        return value


class ContactFrequencyRuleConfig(StrictModel):
    """More than `max_attempts` outbound contacts to one customer in `days` consecutive days."""

    type: Literal["contact_frequency"]
    max_attempts: int = Field(default=7, ge=1)
    days: int = Field(default=7, ge=1, le=90)
    lookback_days: int = Field(default=30, ge=1, description="how far back windows are checked")
    channels: list[str] = Field(default_factory=list, description="empty: every channel")
    timezone: str = Field(default="UTC", description="where a day starts and ends")
    severity: Severity = "warning"
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)


class QuietHoursRuleConfig(StrictModel):
    """Outbound contacts sent outside `start`-`end` (inclusive) local time for the contact."""

    type: Literal["quiet_hours"]
    start: time = time(8, 0)
    end: time = time(21, 0)
    default_timezone: str
    timezones: dict[str, str] = Field(
        default_factory=dict, description="customer external id -> IANA time zone"
    )
    channels: list[str] = Field(default_factory=list, description="empty: every channel")
    lookback_days: int = Field(default=7, ge=1, le=90)
    severity: Severity = "warning"
    enabled: bool = True

    @field_validator("default_timezone")
    @classmethod
    def _default_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: dict[str, str]) -> dict[str, str]:
        for customer, zone in value.items():
            try:
                _zone(zone)
            except ValueError as exc:
                raise ValueError(f"{customer}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _hours(self) -> QuietHoursRuleConfig:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times; give no UTC offset")
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must be before end ({self.end:%H:%M})")
        return self


# --- the view ------------------------------------------------------------------------------


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
        wanted = sorted({e.lower() for e in emails})
        zones: dict[str, str] = {}
        for i in range(0, len(wanted), 1000):
            zones.update(
                (email.lower(), zone)
                for email, zone in self.session.execute(
                    select(col(Contact.email), col(Contact.timezone)).where(
                        func.lower(col(Contact.email)).in_(wanted[i:i + 1000]),
                        col(Contact.timezone).is_not(None),
                    )
                )
            )
        return zones


# --- contact_pause ---------------------------------------------------------------------------

_ASKED = {
    "cease_contact": "they asked us to stop or restrict contact",
    "legal_escalation": "they raised legal action",
}


def _pause_since(days: int | str, now: datetime) -> datetime | None:
    return None if days == "ever" else now - timedelta(days=int(days))


def _pause_reason(pause: CustomerPause) -> str:
    asked = _ASKED.get(pause.tag, f"their message was tagged {pause.tag}")
    return (f"paused: {asked} on {pause.said_at:%Y-%m-%d} (message {pause.message_id}): "
            f"“{pause.evidence}”")


def contact_pause(
    name: str, config: ContactPauseRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """A customer asked us to stop contact or raised legal action: pause follow-ups."""
    from monitor.rules import Finding

    window = "ever" if config.days == "ever" else f"in the last {config.days} days"
    findings = []
    for p in GuardrailView(view.session).paused_customers(
        _pause_since(config.days, now), now, config.tags
    ):
        asked = _ASKED.get(p.tag, f"their message was tagged {p.tag}")
        more = f" ({p.signals} such messages {window})" if p.signals > 1 else ""
        findings.append(Finding(
            rule=name,
            subject=f"customer:{p.customer_id}",
            severity=config.severity,
            title=f"Pause follow-ups for {p.customer_name}: {asked}",
            summary=(
                f"{p.sender} wrote on {p.said_at:%Y-%m-%d %H:%M} UTC: “{p.evidence}”{more}. "
                f"Queued follow-ups to {p.customer_name} are paused; contact them only as they "
                f"asked, after {p.owner or 'the AR team'} and compliance have reviewed it."
            ),
            customer_id=p.customer_id,
            thread_id=p.thread_id,
            message_id=p.message_id,
            details={
                "customer": p.customer_name, "owner": p.owner, "owner_email": p.owner_email,
                "tag": p.tag, "evidence": p.evidence, "sender": p.sender,
                "said_at": p.said_at.isoformat(), "signals": p.signals, "window": window,
            },
        ))
    return findings


def pause_followups(
    session: Session, now: datetime, config: ContactPauseRuleConfig | None = None
) -> dict[str, int]:
    """Pause draft and approved follow-ups of every customer the contact_pause rule flags.

    Each row is updated only if it is still draft or approved, so a follow-up that a sender
    just sent is not rewritten; paused rows are never moved back.
    """
    config = config or ContactPauseRuleConfig(type="contact_pause")
    pauses = {
        p.customer_id: p
        for p in GuardrailView(session).paused_customers(
            _pause_since(config.days, now), now, config.tags
        )
    }
    counts = {"paused_customers": len(pauses), "paused": 0}
    if not pauses:
        return counts
    customers = sorted(pauses)
    rows = [
        row
        for i in range(0, len(customers), 1000)
        for row in session.execute(
            select(col(FollowUp.id), col(FollowUp.customer_id)).where(
                col(FollowUp.state).in_(PAUSABLE),
                col(FollowUp.customer_id).in_(customers[i:i + 1000]),
            )
        )
    ]
    if rows:
        table = FollowUp.__table__  # type: ignore[attr-defined]
        result = session.connection().execute(
            table.update()
            # An OR, not IN: an expanding IN list cannot go into an executemany.
            .where(table.c.id == bindparam("row_id"),
                   or_(*(table.c.state == state for state in PAUSABLE)))
            .values(state="paused", reason=bindparam("why"), decided_by="guardrail:contact_pause",
                    decided_at=now),
            [{"row_id": row_id, "why": _pause_reason(pauses[cid])} for row_id, cid in rows],
        )
        counts["paused"] = result.rowcount if result.rowcount >= 0 else len(rows)
    return counts


# --- contact_frequency -----------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """Overlapping over-limit windows of one customer: the first, and the busiest."""

    first_start: date
    first_count: int
    peak_start: date
    peak_count: int
    last_start: date


def bursts(days: Sequence[date], window: int, max_attempts: int) -> list[Burst]:
    """Windows of `window` consecutive days holding more than `max_attempts` of the contact
    days given (one entry per contact), merged where they overlap.

    Only windows that start on a contact day are checked: any other window holds no more
    contacts than the one starting at its first contact.
    """
    per_day: dict[date, int] = defaultdict(int)
    for day in days:
        per_day[day] += 1
    starts = sorted(per_day)
    found: list[Burst] = []
    for i, start in enumerate(starts):
        end = start + timedelta(days=window)
        count = sum(per_day[d] for d in starts[i:] if d < end)
        if count <= max_attempts:
            continue
        last = found[-1] if found else None
        if last is not None and start < last.last_start + timedelta(days=window):
            peak = count > last.peak_count
            found[-1] = Burst(last.first_start, last.first_count,
                              start if peak else last.peak_start,
                              count if peak else last.peak_count, start)
        else:
            found.append(Burst(start, count, start, count, start))
    return found


def _span(start: date, days: int) -> str:
    end = start + timedelta(days=days - 1)
    return f"{start:%d %b} – {end:%d %b %Y}" if days > 1 else f"{start:%d %b %Y}"


def contact_frequency(
    name: str, config: ContactFrequencyRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """Too many outbound contacts to one customer within `days` consecutive days."""
    from monitor.rules import Finding

    zone = ZoneInfo(config.timezone)
    first_day = (now.astimezone(zone) - timedelta(days=config.lookback_days)).date()
    since = datetime.combine(first_day, time(0), tzinfo=zone)
    # `days` local calendar days last at most `days` x 24 h plus a DST hour.
    contacts = GuardrailView(view.session).contacts_of_busy_customers(
        since, now, config.max_attempts, config.days + 1, config.channels
    )
    by_customer: dict[int | None, list[OutboundContact]] = defaultdict(list)
    for c in contacts:
        by_customer[c.customer_id].append(c)
    findings = []
    for customer_id, mine in by_customer.items():
        local_days = [c.sent_at.astimezone(zone).date() for c in mine]
        who = mine[0].customer_name or f"customer {customer_id}"
        for burst in bursts(local_days, config.days, config.max_attempts):
            window_end = burst.first_start + timedelta(days=config.days)
            in_window = [c for c, d in zip(mine, local_days, strict=True)
                         if burst.first_start <= d < window_end]
            channels: dict[str, int] = defaultdict(int)
            for c in in_window:
                channels[c.channel] += 1
            peak = (f" At the peak, {burst.peak_count} in the {config.days} days from "
                    f"{burst.peak_start:%d %b}." if burst.peak_start != burst.first_start else "")
            findings.append(Finding(
                rule=name,
                subject=f"customer:{customer_id}:window:{burst.first_start.isoformat()}",
                severity=config.severity,
                title=(f"Contact limit: {burst.first_count} outbound contacts to {who} in "
                       f"{config.days} days ({_span(burst.first_start, config.days)}); "
                       f"limit {config.max_attempts}"),
                summary=(
                    f"{who} was contacted {burst.first_count} times in the {config.days} days "
                    f"{_span(burst.first_start, config.days)} ({config.timezone}): "
                    + ", ".join(f"{n} {ch}" for ch, n in sorted(channels.items()))
                    + f"; the limit is {config.max_attempts}.{peak} Hold further contact and "
                    f"check with {mine[0].owner or 'the AR team'}."
                ),
                customer_id=customer_id,
                message_id=in_window[-1].message_id,
                details={
                    "customer": mine[0].customer_name, "owner": mine[0].owner,
                    "count": burst.first_count, "max_attempts": config.max_attempts,
                    "days": config.days, "window_start": burst.first_start.isoformat(),
                    "window_end": (window_end - timedelta(days=1)).isoformat(),
                    "timezone": config.timezone, "channels": dict(channels),
                    "peak_count": burst.peak_count, "peak_start": burst.peak_start.isoformat(),
                    "message_ids": [c.message_id for c in in_window],
                },
            ))
    return findings


# --- quiet_hours -----------------------------------------------------------------------------


def contact_zones(
    contact: OutboundContact, config: QuietHoursRuleConfig, contact_tz: dict[str, str]
) -> list[tuple[str, str]]:
    """(zone, where it came from) for each place the contact is: the recipients' own zones
    (contacts table), else the customer's (config `timezones`), else `default_timezone`."""
    own = sorted({contact_tz[r.lower()] for r in contact.recipients if r.lower() in contact_tz})
    if own:
        return [(z, "contact") for z in own]
    if contact.external_id and contact.external_id in config.timezones:
        return [(config.timezones[contact.external_id], "customer")]
    return [(config.default_timezone, "default")]


# Up to this many contacts that may be outside hours are read by id; more, and the whole
# window is read (one query either way, in the same order). Contacts outside hours are
# exceptions: a week with thousands of them is a week that needs the full read anyway.
_MAYBE_BY_ID = 2000


def _maybe_outside(
    guard: GuardrailView, config: QuietHoursRuleConfig, since: datetime, now: datetime
) -> list[int] | None:
    """The outbound contacts in the window that may have gone out outside hours, or None
    for "any of them may have".

    A contact's zones (`contact_zones`) are among the zones contacts have, plus its
    customer's zone or else the default; a contact inside hours in all of those is inside
    hours in its own. Deciding that takes the time and customer of each contact, which the
    partial index on outbound messages holds: rows (recipients, subject, customer) are read
    only for the few contacts left, not for a whole week of them. Zones set on contacts
    count for every contact here (which recipients a message has is in its row), so each
    one of those rules out fewer.
    """
    try:
        shared = tuple(ZoneInfo(zone) for zone in sorted(guard.contact_zone_names()))
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a contact's unknown zone: the exact check reports it as before
    customer_ids = guard.customers_by_external_id(config.timezones)
    zones_of: dict[int | None, tuple[ZoneInfo, ...]] = {
        cid: (*shared, ZoneInfo(config.timezones[external_id]))
        for external_id, cid in customer_ids.items()
    }
    default = (*shared, ZoneInfo(config.default_timezone))
    start, end = config.start, config.end
    maybe: list[int] = []
    for message_id, customer_id, sent_at in guard.outbound_times(since, now, config.channels):
        for zone in zones_of.get(customer_id, default):
            if not start <= sent_at.astimezone(zone).time() <= end:
                if len(maybe) == _MAYBE_BY_ID:
                    return None
                maybe.append(message_id)
                break
    return maybe


def quiet_hours(
    name: str, config: QuietHoursRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """An outbound contact went out before `start` or after `end` where the contact is."""
    from monitor.rules import Finding

    guard = GuardrailView(view.session)
    since = now - timedelta(days=config.lookback_days)
    contacts = guard.outbound_contacts(
        since, now, config.channels, _maybe_outside(guard, config, since, now)
    )
    contact_tz = guard.contact_timezones(r for c in contacts for r in c.recipients)
    hours = f"{config.start:%H:%M}–{config.end:%H:%M}"
    findings = []
    for c in contacts:
        outside = []
        for zone, source in contact_zones(c, config, contact_tz):
            local = c.sent_at.astimezone(ZoneInfo(zone))
            if not config.start <= local.time() <= config.end:
                outside.append((local, zone, source))
        if not outside:
            continue
        local, zone, source = outside[0]
        who = c.customer_name or ", ".join(c.recipients) or "an unmatched recipient"
        findings.append(Finding(
            rule=name,
            subject=f"message:{c.message_id}",
            severity=config.severity,
            title=f"Outside contact hours: {c.channel} to {who} at {local:%H:%M} {local:%Z}",
            summary=(
                f"A {c.channel} (“{c.subject or '(no subject)'}”) went to {who} on "
                f"{local:%a %d %b %Y %H:%M} {zone} time, outside the allowed {hours}. "
                f"Owner: {c.owner or 'the AR team'}."
            ),
            customer_id=c.customer_id,
            thread_id=c.thread_id,
            message_id=c.message_id,
            details={
                "customer": c.customer_name, "owner": c.owner, "channel": c.channel,
                "recipients": list(c.recipients), "sent_at": c.sent_at.isoformat(),
                "local_time": local.isoformat(), "timezone": zone, "timezone_source": source,
                "allowed": hours,
                "outside_in": [{"timezone": z, "local_time": t.isoformat(), "source": s}
                               for t, z, s in outside],
            },
        ))
    return findings
