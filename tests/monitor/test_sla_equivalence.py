"""The response-SLA rule's one-pass evaluation gives exactly the findings of the timeline
evaluation it replaced, on a randomized store, at many instants (past, present and future
dry runs), before and after new messages and tags arrive, on SQLite and PostgreSQL.

`reference_response_sla` below is the rule as it was before the one-pass path: a timeline
per thread from `SlaView.timelines`, and `clocks` on each."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Customer, Message, Signal, Thread
from monitor import evaluate
from monitor.calendar import BusinessCalendar, CalendarConfig
from monitor.rules import Finding
from monitor.sla import ResponseSlaRuleConfig, SlaPolicy, SlaView, clocks
from monitor.view import MonitorContext

CAL = BusinessCalendar(CalendarConfig(timezone="Europe/London", holidays_country="GB",
                                      holidays_subdivision="ENG"))
CONTEXT = MonitorContext(CAL, {"owner1@us.example": "boss@us.example"})
START = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)  # two weeks up to and over Christmas
TAGS = ["dispute", "legal_escalation", "billing_query", "promise_to_pay"]

RESPONSE_ONLY = ResponseSlaRuleConfig(type="response_sla", policies=[
    SlaPolicy(tag="dispute", hours=8),
    SlaPolicy(tag="dispute", tier="strategic", hours=4),
    SlaPolicy(tag="legal_escalation", hours=4),  # ties with the strategic dispute policy
    SlaPolicy(tag="billing_query", tier="small", hours=12),
    SlaPolicy(tag="*", hours=24),
], warn_at=0.75, escalate_after_hours=4)
NO_CATCH_ALL = ResponseSlaRuleConfig(type="response_sla", policies=[
    SlaPolicy(tag="dispute", hours=6), SlaPolicy(tag="billing_query", hours=6),
], warn_at=0.5, escalate_after_hours=None)
WITH_RESOLUTION = ResponseSlaRuleConfig(type="response_sla", policies=[
    *RESPONSE_ONLY.policies, SlaPolicy(tag="dispute", hours=40, until="resolved"),
])


def reference_response_sla(
    name: str, config: ResponseSlaRuleConfig, session: Session, now: datetime
) -> list[Finding]:
    """The rule's findings computed the original way (timelines, then `clocks`)."""
    findings = []
    escalate = (
        timedelta(hours=config.escalate_after_hours) if config.escalate_after_hours else None
    )
    for timeline in SlaView(session).timelines(config.policies):
        for clock in clocks(timeline, config.policies, CAL, now):
            if not clock.running:
                continue
            policy = config.policies[clock.policy]
            if escalate is not None and clock.elapsed >= clock.limit + escalate:
                level, severity = "escalated", config.escalation_severity
            elif clock.elapsed >= clock.limit:
                level, severity = "breached", config.breach_severity
            elif clock.elapsed >= clock.limit * config.warn_at:
                level, severity = "warning", config.severity
            else:
                continue
            due = CAL.add(clock.started, clock.limit) if clock.elapsed < clock.limit else None
            who = timeline.customer_name or "an unmatched customer"
            what = "any message" if policy.tag == "*" else f"a {policy.tag.replace('_', ' ')}"
            goal = "a first response" if policy.until == "response" else "resolution"
            route_to = [timeline.owner_email] if timeline.owner_email else []
            if level == "escalated" and timeline.owner_email in CONTEXT.managers:
                route_to.append(CONTEXT.managers[timeline.owner_email])
            title = {
                "warning": f"SLA {int(config.warn_at * 100)}% used",
                "breached": "SLA breached",
                "escalated": "SLA breached, escalated",
            }[level]
            findings.append(Finding(
                rule=name,
                subject=(f"thread:{timeline.thread_id}:sla:{clock.policy}:"
                         f"{clock.started.isoformat()}:{level}"),
                severity=severity,
                title=f"{title}: {who} — {timeline.subject or '(no subject)'}",
                summary=(
                    f"{who} sent {what} on {timeline.channel} needing {goal} within "
                    f"{policy.hours:g} business hours; "
                    f"{clock.elapsed.total_seconds() / 3600:.1f} have passed"
                    + (f" (due {due:%Y-%m-%d %H:%M} UTC)." if due else ".")
                    + f" Owner: {timeline.owner or 'the AR team'}."
                ),
                customer_id=timeline.customer_id,
                thread_id=timeline.thread_id,
                message_id=clock.started_by,
                details={
                    "customer": timeline.customer_name, "owner": timeline.owner,
                    "owner_email": timeline.owner_email, "route_to": route_to,
                    "level": level, "policy": policy.model_dump(),
                    "started_at": clock.started.isoformat(),
                    "elapsed_business_hours": round(clock.elapsed.total_seconds() / 3600, 2),
                    "limit_hours": policy.hours,
                    "due_at": due.isoformat() if due else None,
                    "excerpt": " ".join(
                        timeline.excerpts.get(clock.started_by, "").split())[:280],
                },
            ))
    return findings


class StoreBuilder:
    """A random store shaped like ingest leaves it: threads with customer and our messages
    interleaved, the thread's state and last-message columns kept in step, some automatic
    and internal messages, equal timestamps, and tags (several on some messages)."""

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.next_message = 1
        self.threads: dict[int, dict[str, Any]] = {}

    def customers(self, count: int) -> None:
        tiers = ["strategic", "standard", "small", None]
        with self.engine.begin() as conn:
            conn.execute(insert(Customer.__table__), [  # type: ignore[attr-defined]
                {"id": i, "external_id": f"C{i}", "name": f"Customer {i}",
                 "domains": [f"c{i}.example"], "owner": f"Owner {i % 3}" if i % 5 else None,
                 "owner_email": f"owner{i % 3}@us.example" if i % 5 else None,
                 "tier": tiers[i % 4], "updated_at": START}
                for i in range(1, count + 1)
            ])

    def thread(self, thread_id: int, customer_id: int | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(Thread.__table__), [{  # type: ignore[attr-defined]
                "id": thread_id, "channel": "email", "customer_id": customer_id,
                "subject": f"order {thread_id}" if thread_id % 7 else "", "subject_key": "",
                "state": "awaiting_customer", "created_at": START,
            }])
        self.threads[thread_id] = {"customer_id": customer_id, "last_in": None,
                                   "last_in_id": None, "last_out": None, "times": []}

    def message(self, thread_id: int, when: datetime, direction: str,
                automatic: str | None = None, tags: tuple[str, ...] = ()) -> None:
        rng, info = self.rng, self.threads[thread_id]
        message_id = self.next_message
        self.next_message += 1
        with self.engine.begin() as conn:
            conn.execute(insert(Message.__table__), [{  # type: ignore[attr-defined]
                "id": message_id, "natural_key": f"m{message_id}", "source": "test",
                "channel": rng.choice(["email", "email", "chat", "call"]),
                "direction": direction, "sender": f"s{message_id}@c.example",
                "sender_name": "", "recipients": [], "sent_at": when, "subject": "",
                "body_text": "", "references": [], "attachments": [],
                "new_text": f"Message {message_id}:  about   order {thread_id}. "
                * rng.randint(1, 30),
                "raw_ref": "", "thread_id": thread_id, "customer_id": info["customer_id"],
                "customer_match": "domain", "automatic": automatic, "ingested_at": when,
            }])
            for tag in tags:
                conn.execute(insert(Signal.__table__), [{  # type: ignore[attr-defined]
                    "message_id": message_id, "tag": tag, "start": 0, "end": 1,
                    "evidence_text": "", "evidence": [], "confidence": 0.9,
                    "pipeline_version": "t", "created_at": when, "values": {},
                }])
            # Ingest's bookkeeping: automatic and internal messages move no clock or state.
            if automatic is None and direction != "internal":
                if direction == "inbound" and (info["last_in"] is None or when >= info["last_in"]):
                    info["last_in"], info["last_in_id"] = when, message_id
                if direction == "outbound" and (info["last_out"] is None
                                                or when >= info["last_out"]):
                    info["last_out"] = when
                state = ("awaiting_us" if info["last_out"] is None
                         or (info["last_in"] is not None and info["last_in"] > info["last_out"])
                         else "awaiting_customer")
                if rng.random() < 0.05:
                    state = "closed"
                conn.execute(
                    update(Thread.__table__)  # type: ignore[attr-defined]
                    .where(Thread.__table__.c.id == thread_id)  # type: ignore[attr-defined]
                    .values(state=state, last_inbound_at=info["last_in"],
                            last_inbound_message_id=info["last_in_id"],
                            last_outbound_at=info["last_out"], last_message_at=when)
                )
        info["times"].append(when)

    def random_message(self, thread_id: int, when: datetime) -> None:
        rng = self.rng
        roll = rng.random()
        direction = "inbound" if roll < 0.6 else "outbound" if roll < 0.93 else "internal"
        automatic = "auto_reply" if rng.random() < 0.06 else None
        tags = tuple(t for t in TAGS if rng.random() < 0.12)
        if self.threads[thread_id]["times"] and rng.random() < 0.1:
            when = rng.choice(self.threads[thread_id]["times"])  # the same instant again
        self.message(thread_id, when, direction, automatic, tags if direction == "inbound" else ())


def build(engine: Engine, seed: int, threads: int = 120) -> StoreBuilder:
    rng = random.Random(seed)
    builder = StoreBuilder(engine, rng)
    builder.customers(12)
    for thread_id in range(1, threads + 1):
        builder.thread(thread_id, rng.randint(1, 12) if rng.random() < 0.9 else None)
        when = START + timedelta(hours=rng.uniform(0, 200))
        for _ in range(rng.randint(1, 6)):
            builder.random_message(thread_id, when)
            when += timedelta(hours=rng.expovariate(1 / 14))
    return builder


def instants(rng: random.Random) -> list[datetime]:
    """Past, present and future instants, on and off office hours, and one exactly on a
    message's timestamp."""
    found = [START - timedelta(days=1), START + timedelta(hours=30),
             datetime(2026, 12, 24, 17, 30, tzinfo=UTC), datetime(2026, 12, 29, 9, tzinfo=UTC),
             START + timedelta(days=40)]
    found += [START + timedelta(hours=rng.uniform(0, 400)) for _ in range(5)]
    return found


def same(engine: Engine, config: ResponseSlaRuleConfig, now: datetime) -> int:
    """Asserts the rule and the reference agree at `now`; returns how many findings."""
    found = evaluate(engine, "sla", config, now, CONTEXT)
    with Session(engine) as session:
        expected = reference_response_sla("sla", config, session, now)

    def key(finding: Finding) -> str:
        return finding.subject

    assert sorted(found, key=key) == sorted(expected, key=key), now
    return len(found)


@pytest.mark.parametrize("seed", [3, 17])
def test_one_pass_matches_timelines_at_every_instant_and_after_new_messages(
    engine: Engine, seed: int
) -> None:
    builder = build(engine, seed)
    rng = random.Random(seed + 1)
    nows = instants(rng)
    total = 0
    for config in (RESPONSE_ONLY, NO_CATCH_ALL, WITH_RESOLUTION):
        for now in nows:
            total += same(engine, config, now)
    # New messages arrive: replies, new customer messages (some newly tagged), a new thread.
    for thread_id in rng.sample(sorted(builder.threads), 40):
        builder.random_message(thread_id, START + timedelta(hours=rng.uniform(100, 350)))
    builder.thread(999, 1)
    builder.message(999, START + timedelta(hours=150), "inbound", tags=("dispute",))
    # Tags added after the fact (the tagger runs after ingest) change which policy applies.
    with engine.begin() as conn:
        waiting = conn.execute(
            select(Thread.last_inbound_message_id)  # type: ignore[call-overload]
            .where(Thread.state == "awaiting_us", Thread.last_inbound_message_id.is_not(None))  # type: ignore[union-attr]
        ).scalars().all()
        tagged = set(conn.execute(
            select(Signal.message_id).where(Signal.tag == "legal_escalation")  # type: ignore[call-overload]
        ).scalars())
        late = [m for m in waiting[:12] if m not in tagged]
        assert late
        conn.execute(insert(Signal.__table__), [  # type: ignore[attr-defined]
            {"message_id": m, "tag": "legal_escalation", "start": 0, "end": 1,
             "evidence_text": "", "evidence": [], "confidence": 0.9, "pipeline_version": "t2",
             "created_at": START, "values": {}}
            for m in late
        ])
    for config in (RESPONSE_ONLY, NO_CATCH_ALL, WITH_RESOLUTION):
        for now in nows + [START + timedelta(hours=360)]:
            total += same(engine, config, now)
    assert total > 100  # the store is not so quiet that nothing is compared

