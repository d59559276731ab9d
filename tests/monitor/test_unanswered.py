"""The unanswered-inbound rule at an explicit `now`, and the runner's dedupe and resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Alert, Customer, Delivery, Message, Signal, Thread, session_scope
from monitor import StoreView, evaluate, run_rules
from monitor.config import UnansweredInboundRuleConfig
from monitor.rules import unanswered_inbound

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RULE = UnansweredInboundRuleConfig(type="unanswered_inbound", hours=24, severity="high")


def add_thread(engine: Engine, *, waited_hours: float, answered: bool = False,
               customer: bool = True, tags: tuple[str, ...] = ()) -> int:
    received = NOW - timedelta(hours=waited_hours)
    with session_scope(engine) as session:
        cust = None
        if customer:
            cust = Customer(external_id=f"C{waited_hours}", name="Brightline Builders",
                            owner="Maria Lopez", owner_email="maria.lopez@halden-supply.example")
            session.add(cust)
            session.flush()
        thread = Thread(channel="email", subject="Price on INV-10023",
                        customer_id=cust.id if cust else None, created_at=received)
        session.add(thread)
        session.flush()
        message = Message(natural_key=f"k{waited_hours}{answered}", source="s", channel="email",
                          direction="inbound", sender="jan@brightline.example",
                          sender_name="Jan Novak", sent_at=received, subject=thread.subject,
                          new_text="The price on INV-10023 is wrong.", thread_id=thread.id,
                          customer_id=thread.customer_id)
        session.add(message)
        session.flush()
        for tag in tags:
            session.add(Signal(message_id=message.id or 0, tag=tag, start=0, end=3,
                               confidence=0.9, pipeline_version="t"))
        thread.last_message_at = thread.last_inbound_at = received
        thread.last_inbound_message_id = message.id
        thread.state = "awaiting_us"
        if answered:
            thread.last_outbound_at = received + timedelta(hours=1)
            thread.state = "awaiting_customer"
        session.add(thread)
        return thread.id or 0


@pytest.mark.parametrize(
    ("waited", "answered", "fires"),
    [(25, False, True), (24.01, False, True), (23.9, False, False), (72, True, False)],
)
def test_edges(engine: Engine, waited: float, answered: bool, fires: bool) -> None:
    add_thread(engine, waited_hours=waited, answered=answered)
    with Session(engine) as session:
        findings = unanswered_inbound("unanswered", RULE, StoreView(session), NOW)
    assert bool(findings) is fires


def test_finding_says_who_what_and_how_long(sqlite_engine: Engine) -> None:
    thread_id = add_thread(sqlite_engine, waited_hours=50, tags=("dispute",))
    [finding] = evaluate(sqlite_engine, "unanswered", RULE, NOW)
    assert finding.title == "Unanswered for 2d 2h: Brightline Builders — Price on INV-10023"
    assert finding.severity == "high"
    assert finding.thread_id == thread_id
    assert "Jan Novak" in finding.summary and "[dispute]" in finding.summary
    assert "Maria Lopez" in finding.summary
    assert finding.details["owner_email"] == "maria.lopez@halden-supply.example"
    assert finding.details["tags"] == ["dispute"]
    assert finding.details["excerpt"] == "The price on INV-10023 is wrong."


def test_unmatched_sender_is_still_alerted(sqlite_engine: Engine) -> None:
    add_thread(sqlite_engine, waited_hours=30, customer=False)
    [finding] = evaluate(sqlite_engine, "unanswered", RULE, NOW)
    assert "unmatched sender jan@brightline.example" in finding.title
    assert finding.customer_id is None


def test_runner_alerts_once_queues_outbox_and_resolves(engine: Engine) -> None:
    thread_id = add_thread(engine, waited_hours=30)
    rules = {"unanswered": RULE}
    first = run_rules(engine, rules, ["console", "file"], NOW)
    assert first["unanswered"] == {"findings": 1, "new_alerts": 1, "resolved": 0, "queued": 2}
    again = run_rules(engine, rules, ["console", "file"], NOW + timedelta(hours=1))
    assert again["unanswered"] == {"findings": 1, "new_alerts": 0, "resolved": 0, "queued": 0}
    with session_scope(engine) as session:
        thread = session.get(Thread, thread_id)
        assert thread is not None
        thread.state = "awaiting_customer"
        session.add(thread)
    later = run_rules(engine, rules, ["console", "file"], NOW + timedelta(hours=2))
    assert later["unanswered"]["resolved"] == 1
    with Session(engine) as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.state == "resolved" and alert.resolved_at == NOW + timedelta(hours=2)
        assert alert.last_seen_at == NOW + timedelta(hours=1)
        assert sorted(d.channel for d in session.scalars(select(Delivery))) == ["console", "file"]


def test_disabled_rule_does_not_run(sqlite_engine: Engine) -> None:
    add_thread(sqlite_engine, waited_hours=30)
    disabled = RULE.model_copy(update={"enabled": False})
    assert run_rules(sqlite_engine, {"unanswered": disabled}, ["file"], NOW) == {}
