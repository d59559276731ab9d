"""Response-SLA clocks per thread, in business hours, across channels.

A policy says how long the team may take, in business hours (`[calendar]`), to act on a
customer message carrying a tag, for a customer tier: "dispute: first response within 8
business hours", "anything else: 24". The strictest policy that matches a message applies.

Two kinds of clock:

- `until = "response"` (the usual one): starts at the customer's first message since our
  last reply that a policy covers, and stops at our next message on the thread, whatever the
  channel (an email, a chat reply, a call). The next customer message starts a new clock.
- `until = "resolved"`: starts at the first covered message and runs only while the thread
  waits for us: it **pauses** while the thread waits for the customer and **resumes** when
  they write again, until the thread is closed. For "resolve a dispute within 40 business
  hours of our time".

A running clock is reported at `warn_at` of its limit (warning), at its limit (breach), and
`escalate_after_hours` business hours after the breach (escalation, routed to the owner's
manager). Automatic messages (auto-replies, bounces) neither start nor stop a clock.

`response_sla` is a pure function of the view and `now`; each level of each clock alerts
once (its subject names the clock's start and the level), and an alert whose clock stopped
is resolved by the runner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from pydantic import Field
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import Customer, Message, Signal, Thread
from monitor.calendar import BusinessCalendar, CalendarConfig
from monitor.config import Severity


class SlaPolicy(StrictModel):
    tag: str = Field(default="*", description="a tag, or * for any customer message")
    tier: str = Field(default="*", description="a customer tier from the master, or *")
    hours: float = Field(gt=0, description="business hours allowed")
    until: Literal["response", "resolved"] = "response"


class ResponseSlaRuleConfig(StrictModel):
    """Response-time policies per tag and customer tier, on business hours."""

    type: Literal["response_sla"]
    policies: list[SlaPolicy] = Field(min_length=1)
    warn_at: float = Field(default=0.75, gt=0, lt=1)
    escalate_after_hours: float | None = Field(default=4.0, gt=0)
    severity: Severity = "warning"
    breach_severity: Severity = "high"
    escalation_severity: Severity = "critical"
    enabled: bool = True


@dataclass(frozen=True)
class Turn:
    """One message on a thread, as the clock sees it."""

    message_id: int
    at: datetime
    inbound: bool
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ThreadTimeline:
    thread_id: int
    subject: str
    channel: str
    closed: bool
    customer_id: int | None
    customer_name: str | None
    tier: str | None
    owner: str | None
    owner_email: str | None
    turns: tuple[Turn, ...]  # in time order; automatic messages left out
    excerpts: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Clock:
    policy: int
    started: datetime
    started_by: int  # message id
    running: bool
    elapsed: timedelta  # business time so far
    limit: timedelta


def policy_for(
    policies: Sequence[SlaPolicy], tags: Iterable[str], tier: str | None, until: str
) -> int | None:
    """Index of the strictest policy of this kind that covers a message with these tags."""
    tags = set(tags)
    best: int | None = None
    for i, policy in enumerate(policies):
        if policy.until != until:
            continue
        if policy.tag != "*" and policy.tag not in tags:
            continue
        if policy.tier != "*" and policy.tier != (tier or ""):
            continue
        if best is None or policy.hours < policies[best].hours:
            best = i
    return best


def clocks(
    timeline: ThreadTimeline,
    policies: Sequence[SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
) -> list[Clock]:
    """The thread's clocks as of `now` (running ones, and for `resolved` also paused ones)."""
    turns = [t for t in timeline.turns if t.at <= now]
    found: list[Clock] = []
    # "response": the customer's messages since our last reply.
    last_ours = max((i for i, t in enumerate(turns) if not t.inbound), default=-1)
    waiting = [t for t in turns[last_ours + 1 :] if t.inbound]
    best: tuple[int, Turn] | None = None
    for turn in waiting:
        index = policy_for(policies, turn.tags, timeline.tier, "response")
        if index is None:
            continue
        # The strictest policy among the waiting messages; the earliest message it covers.
        if best is None or policies[index].hours < policies[best[0]].hours:
            best = (index, turn)
    if best is not None:
        index, turn = best
        found.append(Clock(index, turn.at, turn.message_id, True,
                           calendar.between(turn.at, now),
                           timedelta(hours=policies[index].hours)))
    # "resolved": from the first covered message, only while the thread waits for us.
    if not timeline.closed:
        start: tuple[int, Turn] | None = None
        for turn in turns:
            if turn.inbound:
                index = policy_for(policies, turn.tags, timeline.tier, "resolved")
                if index is not None and (
                    start is None or policies[index].hours < policies[start[0]].hours
                ):
                    start = (index, turn) if start is None else (index, start[1])
        if start is not None:
            index, first = start
            elapsed = timedelta(0)
            running_since: datetime | None = None
            for turn in turns:
                if turn.at < first.at:
                    continue
                if turn.inbound and running_since is None:
                    running_since = turn.at
                elif not turn.inbound and running_since is not None:
                    elapsed += calendar.between(running_since, turn.at)
                    running_since = None
            if running_since is not None:
                elapsed += calendar.between(running_since, now)
            found.append(Clock(index, first.at, first.message_id, running_since is not None,
                               elapsed, timedelta(hours=policies[index].hours)))
    return found


@dataclass
class SlaView:
    """Bounded queries for the SLA rule: threads waiting for us with the messages since our
    last reply (for response clocks), and, only when a policy needs it, the whole human
    timeline of open threads that carry a covered tag (for resolution clocks)."""

    session: Session

    def timelines(self, policies: Sequence[SlaPolicy]) -> list[ThreadTimeline]:
        columns = (
            col(Thread.id), col(Thread.subject), col(Thread.channel), col(Thread.state),
            col(Thread.customer_id), col(Customer.name), col(Customer.tier),
            col(Customer.owner), col(Customer.owner_email), col(Message.id),
            col(Message.sent_at), col(Message.direction),
            func.substr(col(Message.new_text), 1, 600),
        )
        rows: list[Any] = list(self.session.execute(
            select(*columns)
            .join(Message, col(Message.thread_id) == col(Thread.id))
            .join(Customer, col(Customer.id) == col(Thread.customer_id), isouter=True)
            .where(col(Thread.state) == "awaiting_us")
            .where(col(Message.direction) == "inbound", col(Message.automatic).is_(None))
            .where(or_(col(Thread.last_outbound_at).is_(None),
                       col(Message.sent_at) > col(Thread.last_outbound_at)))
        ))
        resolved_tags = {p.tag for p in policies if p.until == "resolved"}
        if resolved_tags:
            covered = select(col(Message.thread_id)).join(
                Signal, col(Signal.message_id) == col(Message.id)
            )
            if "*" not in resolved_tags:
                covered = covered.where(col(Signal.tag).in_(resolved_tags))
            rows += list(self.session.execute(
                select(*columns)
                .join(Message, col(Message.thread_id) == col(Thread.id))
                .join(Customer, col(Customer.id) == col(Thread.customer_id), isouter=True)
                .where(col(Thread.state) != "closed", col(Thread.id).in_(covered))
                .where(col(Message.automatic).is_(None), col(Message.direction) != "internal")
            ))
        tags: dict[int, set[str]] = defaultdict(set)
        ids = sorted({r[9] for r in rows})
        for chunk in _chunks(ids, 5000):
            for message_id, tag in self.session.execute(
                select(col(Signal.message_id), col(Signal.tag))
                .where(col(Signal.message_id).in_(chunk))
            ):
                tags[message_id].add(tag)
        by_thread: dict[int, dict[str, Any]] = {}
        for (thread_id, subject, channel, state, customer_id, name, tier, owner, owner_email,
             message_id, sent_at, direction, text) in rows:
            entry = by_thread.get(thread_id)
            if entry is None:
                entry = by_thread[thread_id] = {
                    "head": (thread_id, subject, channel, state, customer_id, name, tier, owner,
                             owner_email), "turns": {}, "excerpts": {},
                }
            inbound = direction == "inbound"
            entry["turns"][message_id] = Turn(message_id, sent_at, inbound,
                                              frozenset(tags.get(message_id, ())))
            if inbound:
                entry["excerpts"][message_id] = text
        out = []
        for entry in by_thread.values():
            thread_id, subject, channel, state, customer_id, name, tier, owner, owner_email = (
                entry["head"]
            )
            out.append(ThreadTimeline(
                thread_id=thread_id, subject=subject, channel=channel, closed=state == "closed",
                customer_id=customer_id, customer_name=name, tier=tier, owner=owner,
                owner_email=owner_email,
                turns=tuple(sorted(entry["turns"].values(), key=lambda t: (t.at, t.message_id))),
                excerpts=entry["excerpts"],
            ))
        return out


    def waiting_messages(self) -> list[Any]:
        """The rows `timelines` reads for response clocks when no policy is a resolution
        policy, without building timelines: one row per (waiting message, tag), tag None
        when the message has none, with the thread's head and the message's excerpt.

        Executed as Core (no ORM result machinery) because a sweep reads ~20,000 of these."""
        return list(self.session.connection().execute(
            select(col(Thread.id), col(Message.sent_at), col(Message.id), col(Signal.tag),
                   col(Customer.tier), col(Thread.subject), col(Thread.channel),
                   col(Thread.customer_id), col(Customer.name), col(Customer.owner),
                   col(Customer.owner_email), func.substr(col(Message.new_text), 1, 600))
            .join(Message, col(Message.thread_id) == col(Thread.id))
            .join(Customer, col(Customer.id) == col(Thread.customer_id), isouter=True)
            .join(Signal, col(Signal.message_id) == col(Message.id), isouter=True)
            .where(col(Thread.state) == "awaiting_us")
            .where(col(Message.direction) == "inbound", col(Message.automatic).is_(None))
            .where(or_(col(Thread.last_outbound_at).is_(None),
                       col(Message.sent_at) > col(Thread.last_outbound_at)))
        ).all())  # fetched in one call, not row by row


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}"


class ThreadHead(NamedTuple):
    """What a finding says about its thread and customer."""

    thread_id: int
    subject: str
    channel: str
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None


def waiting_clocks(
    rows: list[Any], policies: Sequence[SlaPolicy], calendar: BusinessCalendar, now: datetime
) -> Iterator[tuple[ThreadHead, str, Clock]]:
    """The response clocks, with each thread's head and the starting message's excerpt, from
    `SlaView.waiting_messages` rows (sorted here in place).

    The same clocks as `clocks` on those threads' timelines: every turn there is a customer
    message after our last reply, so the clock starts at the earliest message (by time, then
    id) whose strictest covering policy is the strictest among the thread's messages up to
    `now`. Written as one pass over sorted rows rather than a timeline per thread, because a
    sweep sees ~16,000 threads waiting for us and most of its time went into building them.
    """
    hours = [policy.hours for policy in policies]
    covering: dict[tuple[frozenset[str], str | None], int | None] = {}
    rows.sort(key=itemgetter(0, 1, 2))
    for _thread_id, thread_rows in groupby(rows, itemgetter(0)):
        best: int | None = None
        best_row: Any = None
        tier: str | None = None
        for _message_id, message_rows in groupby(thread_rows, itemgetter(2)):
            first = next(message_rows)
            if first[1] > now:
                break  # rows are in time order: the rest of the thread is later still
            tier = first[4]
            tags = frozenset(r[3] for r in chain((first,), message_rows) if r[3] is not None)
            key = (tags, tier)
            if key in covering:
                index = covering[key]
            else:
                index = covering[key] = policy_for(policies, tags, tier, "response")
            if index is not None and (best is None or hours[index] < hours[best]):
                best, best_row = index, first
        if best is None:
            continue
        started: datetime = best_row[1]
        head = ThreadHead(best_row[0], best_row[5], best_row[6], best_row[7], best_row[8],
                          best_row[9], best_row[10])
        yield head, best_row[11] or "", Clock(best, started, best_row[2], True,
                                              calendar.between(started, now),
                                              timedelta(hours=hours[best]))


def running_clocks(
    view: SlaView, policies: Sequence[SlaPolicy], calendar: BusinessCalendar, now: datetime
) -> Iterator[tuple[ThreadHead, str, Clock]]:
    """Every running clock as of `now`, with its thread's head and the starting message's
    excerpt. Resolution policies need whole timelines; without them the waiting messages
    alone decide every clock, which is the common case and much cheaper."""
    if not any(policy.until == "resolved" for policy in policies):
        yield from waiting_clocks(view.waiting_messages(), policies, calendar, now)
        return
    for timeline in view.timelines(policies):
        head = ThreadHead(timeline.thread_id, timeline.subject, timeline.channel,
                          timeline.customer_id, timeline.customer_name, timeline.owner,
                          timeline.owner_email)
        for clock in clocks(timeline, policies, calendar, now):
            if clock.running:
                yield head, timeline.excerpts.get(clock.started_by, ""), clock


def response_sla(name: str, config: ResponseSlaRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Warnings, breaches and escalations of every running clock (`view` is a StoreView:
    its calendar, managers and SLA timelines)."""
    from monitor.rules import Finding

    calendar: BusinessCalendar = view.context.calendar
    managers: dict[str, str] = view.context.managers
    findings = []
    escalate = (
        timedelta(hours=config.escalate_after_hours) if config.escalate_after_hours else None
    )
    # Per policy, not per finding: dumping a pydantic model costs more than the rest of one.
    dumped = [policy.model_dump() for policy in config.policies]
    titles = {
        "warning": f"SLA {int(config.warn_at * 100)}% used",
        "breached": "SLA breached",
        "escalated": "SLA breached, escalated",
    }
    for head, excerpt, clock in running_clocks(SlaView(view.session), config.policies,
                                               calendar, now):
        if escalate is not None and clock.elapsed >= clock.limit + escalate:
            level, severity = "escalated", config.escalation_severity
        elif clock.elapsed >= clock.limit:
            level, severity = "breached", config.breach_severity
        elif clock.elapsed >= clock.limit * config.warn_at:
            level, severity = "warning", config.severity
        else:
            continue
        policy = config.policies[clock.policy]
        due = calendar.add(clock.started, clock.limit) if clock.elapsed < clock.limit else None
        who = head.customer_name or "an unmatched customer"
        what = "any message" if policy.tag == "*" else f"a {policy.tag.replace('_', ' ')}"
        goal = "a first response" if policy.until == "response" else "resolution"
        route_to = [head.owner_email] if head.owner_email else []
        if level == "escalated" and head.owner_email in managers:
            route_to.append(managers[head.owner_email])
        findings.append(Finding(
            rule=name,
            subject=(f"thread:{head.thread_id}:sla:{clock.policy}:"
                     f"{clock.started.isoformat()}:{level}"),
            severity=severity,
            title=f"{titles[level]}: {who} — {head.subject or '(no subject)'}",
            summary=(
                f"{who} sent {what} on {head.channel} needing {goal} within "
                f"{policy.hours:g} business hours; {_hours(clock.elapsed)} have passed"
                + (f" (due {due:%Y-%m-%d %H:%M} UTC)." if due else ".")
                + f" Owner: {head.owner or 'the AR team'}."
            ),
            customer_id=head.customer_id,
            thread_id=head.thread_id,
            message_id=clock.started_by,
            details={
                "customer": head.customer_name, "owner": head.owner,
                "owner_email": head.owner_email, "route_to": route_to,
                "level": level, "policy": dict(dumped[clock.policy]),
                "started_at": clock.started.isoformat(),
                "elapsed_business_hours": round(clock.elapsed.total_seconds() / 3600, 2),
                "limit_hours": policy.hours,
                "due_at": due.isoformat() if due else None,
                "excerpt": " ".join(excerpt.split())[:280],
            },
        ))
    return findings


__all__ = [
    "CalendarConfig", "Clock", "ResponseSlaRuleConfig", "SlaPolicy", "SlaView", "ThreadHead",
    "ThreadTimeline", "Turn", "clocks", "policy_for", "response_sla", "running_clocks",
    "waiting_clocks",
]
