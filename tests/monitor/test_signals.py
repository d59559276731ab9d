"""The new_signal rule at an explicit `now`: tagged inbound messages nobody answered yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine

from commwatch.store import Signal, Thread, session_scope
from monitor import evaluate
from monitor.signals import NewSignalRuleConfig
from tests.notifier.helpers import customer, message

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RULE = NewSignalRuleConfig(type="new_signal", lookback_hours=48,
                           severity={"legal_escalation": "critical"})
TEXT = "We dispute INV-1001. If this is not fixed our solicitor will write to you."


def test_finds_each_tagged_unanswered_message_once_per_tag(engine: Engine) -> None:
    cid = customer(engine, "C1", "maria@halden.example", name="Brightline", owner="Maria")
    thread_id, mid = message(engine, cid, TEXT, NOW - timedelta(hours=1), spans=[
        ("dispute", "We dispute"), ("legal_escalation", "our solicitor will write"),
        ("promise_to_pay", "fixed")])
    with session_scope(engine) as session:
        session.execute(update(Signal).where(Signal.tag == "dispute")
                        .values(values={"invoices": ["INV-1001"], "reason": "price"}))
    message(engine, cid, "We dispute the old one", NOW - timedelta(hours=49),
            spans=[("dispute", "We dispute")])  # outside the lookback
    found = evaluate(engine, "said", RULE, NOW)
    assert [(f.subject, f.severity) for f in found] == [
        (f"message:{mid}:tag:dispute", "high"),
        (f"message:{mid}:tag:legal_escalation", "critical")]
    dispute = found[0]
    assert (dispute.customer_id, dispute.thread_id, dispute.message_id) == (cid, thread_id, mid)
    assert dispute.title == "Dispute: Brightline — Invoice query"
    assert dispute.summary.startswith("Jan Novak of Brightline disputed an invoice (INV-1001) "
                                      "on 2026-11-20 11:00 UTC: “We dispute”. Check the invoice")
    assert dispute.summary.endswith("Owner: Maria.")
    assert dispute.details["invoices"] == ["INV-1001"]
    assert dispute.details["owner_email"] == "maria@halden.example"
    assert dispute.details["excerpt"] == TEXT


def test_a_reply_from_us_ends_it(sqlite_engine: Engine) -> None:
    thread_id, _ = message(sqlite_engine, None, TEXT, NOW - timedelta(hours=3),
                           spans=[("dispute", "We dispute")])
    assert len(evaluate(sqlite_engine, "said", RULE, NOW)) == 1
    with session_scope(sqlite_engine) as session:
        session.execute(update(Thread).where(Thread.id == thread_id)
                        .values(state="awaiting_customer", last_outbound_at=NOW))
    assert evaluate(sqlite_engine, "said", RULE, NOW) == []
    # The customer writes again (another message): only a message after our reply counts.
    with session_scope(sqlite_engine) as session:
        session.execute(update(Thread).where(Thread.id == thread_id).values(state="awaiting_us"))
    assert evaluate(sqlite_engine, "said", RULE, NOW) == []
