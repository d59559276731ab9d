"""Response-SLA clocks: business hours over nights, weekends, holidays and DST; pause and
resume; warning, breach, escalation; the strictest policy wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from commwatch.store import Customer, Message, Signal, Thread, session_scope
from monitor import evaluate, run_rules
from monitor.calendar import BusinessCalendar, CalendarConfig
from monitor.sla import ResponseSlaRuleConfig, SlaPolicy, ThreadTimeline, Turn, clocks
from monitor.view import MonitorContext

LONDON = ZoneInfo("Europe/London")
CAL = BusinessCalendar(CalendarConfig(timezone="Europe/London", holidays_country="GB",
                                      holidays_subdivision="ENG"))
POLICIES = [
    SlaPolicy(tag="dispute", hours=8),
    SlaPolicy(tag="*", hours=24),
    SlaPolicy(tag="dispute", tier="strategic", hours=4),
    SlaPolicy(tag="dispute", hours=40, until="resolved"),
]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def timeline(*turns: Turn, tier: str | None = None, closed: bool = False) -> ThreadTimeline:
    return ThreadTimeline(1, "INV-10023", "email", closed, 7, "Brightline", tier, "Maria",
                          "maria@halden.example", tuple(turns))


def inbound(id_: int, when: datetime, *tags: str) -> Turn:
    return Turn(id_, when, True, frozenset(tags))


def ours(id_: int, when: datetime) -> Turn:
    return Turn(id_, when, False)


def response_clock(line: ThreadTimeline, now: datetime):  # type: ignore[no-untyped-def]
    found = [c for c in clocks(line, POLICIES, CAL, now) if POLICIES[c.policy].until == "response"]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("sent", "now", "hours"),
    [
        # Friday 16:00 -> Monday 12:00: 1.5 h on Friday, 3 h on Monday; the weekend is free.
        (at(2026, 11, 20, 16), at(2026, 11, 23, 12), 4.5),
        # Sent at night: the clock starts at 09:00.
        (at(2026, 11, 23, 2), at(2026, 11, 23, 10, 30), 1.5),
        # Christmas Eve 17:00 -> 29 Dec 10:00: 25 Dec, Boxing Day (observed Monday 28) closed.
        (at(2026, 12, 24, 17), at(2026, 12, 29, 10), 1.5),
        # Across the spring DST change (29 Mar 2026): business hours are local wall-clock hours.
        (at(2026, 3, 27, 17), at(2026, 3, 30, 10), 1.5),
    ],
)
def test_business_hours(sent: datetime, now: datetime, hours: float) -> None:
    clock = response_clock(timeline(inbound(1, sent, "dispute")), now)
    assert clock is not None and clock.running
    assert clock.elapsed == timedelta(hours=hours)
    assert clock.limit == timedelta(hours=8)


def test_our_reply_on_any_channel_stops_the_clock_and_the_next_message_starts_one() -> None:
    line = timeline(inbound(1, at(2026, 11, 23, 9), "dispute"), ours(2, at(2026, 11, 23, 11)))
    assert response_clock(line, at(2026, 11, 24, 17)) is None
    again = timeline(*line.turns, inbound(3, at(2026, 11, 24, 9), "billing_query"))
    clock = response_clock(again, at(2026, 11, 24, 12))
    assert clock is not None and clock.started_by == 3
    assert clock.limit == timedelta(hours=24)  # the catch-all policy: no dispute in this turn


def test_strictest_matching_policy_wins() -> None:
    line = timeline(inbound(1, at(2026, 11, 23, 9), "billing_query"),
                    inbound(2, at(2026, 11, 23, 10), "dispute"), tier="strategic")
    clock = response_clock(line, at(2026, 11, 23, 12))
    assert clock is not None
    assert (clock.limit, clock.started_by) == (timedelta(hours=4), 2)


def test_resolution_clock_pauses_while_awaiting_the_customer() -> None:
    line = timeline(
        inbound(1, at(2026, 11, 23, 9), "dispute"),   # Monday: runs 2 h
        ours(2, at(2026, 11, 23, 11)),                # paused until they answer
        inbound(3, at(2026, 11, 24, 9)),              # Tuesday: resumes
    )
    [clock] = [c for c in clocks(line, POLICIES, CAL, at(2026, 11, 24, 12))
               if POLICIES[c.policy].until == "resolved"]
    assert clock.running and clock.elapsed == timedelta(hours=5)
    paused = timeline(*line.turns, ours(4, at(2026, 11, 24, 12)))
    [clock] = [c for c in clocks(paused, POLICIES, CAL, at(2026, 11, 27, 12))
               if POLICIES[c.policy].until == "resolved"]
    assert not clock.running and clock.elapsed == timedelta(hours=5)
    closed = timeline(*line.turns, closed=True)
    assert all(POLICIES[c.policy].until == "response"
               for c in clocks(closed, POLICIES, CAL, at(2026, 11, 24, 12)))


RULE = ResponseSlaRuleConfig(type="response_sla", policies=POLICIES[:3], warn_at=0.75,
                             escalate_after_hours=4)
CONTEXT = MonitorContext(CAL, {"maria@halden.example": "head.ar@halden.example"})


def _thread_with_dispute(engine: Engine, sent: datetime) -> None:
    with session_scope(engine) as session:
        customer = Customer(external_id="C1", name="Brightline", domains=["b.example"],
                            owner="Maria", owner_email="maria@halden.example", tier="standard")
        session.add(customer)
        session.flush()
        thread = Thread(channel="email", customer_id=customer.id, subject="INV-10023",
                        state="awaiting_us", last_inbound_at=sent)
        session.add(thread)
        session.flush()
        message = Message(natural_key="m1", source="s", channel="email", direction="inbound",
                          sent_at=sent, new_text="The price on INV-10023 is wrong.",
                          body_text="", customer_id=customer.id, thread_id=thread.id)
        session.add(message)
        session.flush()
        thread.last_inbound_message_id = message.id
        session.add(Signal(message_id=message.id or 0, tag="dispute", start=0, end=9,
                           confidence=0.99, pipeline_version="t"))


def test_levels_from_the_store(engine: Engine) -> None:
    sent = at(2026, 11, 23, 9)  # Monday 09:00 London
    _thread_with_dispute(engine, sent)

    def level(now: datetime) -> str | None:
        found = evaluate(engine, "sla", RULE, now.astimezone(UTC), CONTEXT)
        assert len(found) <= 1
        return found[0].details["level"] if found else None

    assert level(at(2026, 11, 23, 14)) is None           # 5 h of 8
    assert level(at(2026, 11, 23, 15)) == "warning"      # 6 h: 75%
    assert level(at(2026, 11, 24, 9, 30)) == "breached"  # 8.5 h on Monday + 0.5 h
    [escalated] = evaluate(engine, "sla", RULE, at(2026, 11, 24, 13).astimezone(UTC), CONTEXT)
    assert escalated.details["level"] == "escalated"
    assert escalated.severity == "critical"
    assert escalated.details["route_to"] == ["maria@halden.example", "head.ar@halden.example"]
    assert "The price on INV-10023 is wrong." in escalated.details["excerpt"]


def test_each_level_alerts_once_and_a_reply_resolves(engine: Engine) -> None:
    sent = at(2026, 11, 23, 9)
    _thread_with_dispute(engine, sent)
    rules = {"sla": RULE}
    first = run_rules(engine, rules, ["console"], at(2026, 11, 23, 15).astimezone(UTC), CONTEXT)
    again = run_rules(engine, rules, ["console"], at(2026, 11, 23, 16).astimezone(UTC), CONTEXT)
    assert (first["sla"]["new_alerts"], again["sla"]["new_alerts"]) == (1, 0)
    breach = run_rules(engine, rules, ["console"], at(2026, 11, 24, 10).astimezone(UTC), CONTEXT)
    assert (breach["sla"]["new_alerts"], breach["sla"]["resolved"]) == (1, 1)
    with session_scope(engine) as session:
        thread = session.get(Thread, 1)
        assert thread is not None
        reply_at = at(2026, 11, 24, 10, 30)
        session.add(Message(natural_key="m2", source="s", channel="call", direction="outbound",
                            sent_at=reply_at, new_text="Called them.", body_text="",
                            customer_id=1, thread_id=1))
        thread.state, thread.last_outbound_at = "awaiting_customer", reply_at
        session.add(thread)
    done = run_rules(engine, rules, ["console"], at(2026, 11, 24, 11).astimezone(UTC), CONTEXT)
    assert (done["sla"]["findings"], done["sla"]["resolved"]) == (0, 1)
