"""Reminders: an alert nobody acted on is told again after the configured hours since its
last notice, on the same route, a limited number of times; acknowledging, resolving or
silencing it stops them, and a notice still on its way is never overtaken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from commwatch.store import Alert, AlertAck, session_scope
from monitor import Finding
from notifier import Outbox, Router, queue_reminders
from notifier.config import NotifyConfig
from notifier.silences import add_silence
from tests.notifier.helpers import customer, finding, record
from tests.notifier.test_noise import rig, statuses

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
HOURS = {"critical": 4.0, "high": 24.0}


def step(engine: Engine, router: Router, outbox: Outbox, at: timedelta,
         findings: list[Finding]) -> int:
    """One service round at NOW + `at`: the sweep records findings, then the notify job."""
    when = NOW + at
    record(engine, router, findings, when)
    with session_scope(engine) as session:
        queued = queue_reminders(session, router, when)
    outbox.deliver(when)
    return queued


def test_an_open_alert_is_reminded_of_after_its_hours_up_to_the_limit(engine: Engine) -> None:
    router, outbox, channel = rig(engine, reminders={"after_hours": HOURS, "max_reminders": 2})
    critical = [finding("x", severity="critical")]
    assert step(engine, router, outbox, timedelta(0), critical) == 0
    assert step(engine, router, outbox, timedelta(hours=3, minutes=59), critical) == 0
    assert step(engine, router, outbox, timedelta(hours=4), critical) == 1
    # The clock restarts at the reminder: the next is due 4 h after it, not after the alert.
    assert step(engine, router, outbox, timedelta(hours=7), critical) == 0
    assert step(engine, router, outbox, timedelta(hours=8), critical) == 1
    assert step(engine, router, outbox, timedelta(hours=30), critical) == 0  # limit reached
    assert [n.alerts[0].event for n in channel.sent] == ["new", "reminder", "reminder"]
    assert channel.sent[1].kind == "update" and "Still open" in channel.sent[1].subject


def test_severities_without_hours_are_not_reminded_of(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine, reminders={"after_hours": HOURS})
    warning = [finding("x", severity="warning")]
    step(sqlite_engine, router, outbox, timedelta(0), warning)
    assert step(sqlite_engine, router, outbox, timedelta(days=5), warning) == 0
    assert len(channel.sent) == 1


def test_acknowledging_or_resolving_stops_reminders(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine, reminders={"after_hours": HOURS})
    step(sqlite_engine, router, outbox, timedelta(0),
         [finding("acked", severity="high"), finding("fixed", severity="high")])
    with session_scope(sqlite_engine) as session:
        acked = session.scalars(
            select(col(Alert.id)).where(col(Alert.dedupe_key).contains("acked"))).one()
        assert acked is not None
        session.add(AlertAck(alert_id=acked, acknowledged_by="maria@halden-supply.example",
                             owner="maria@halden-supply.example", acknowledged_at=NOW))
    # "fixed" is no longer found: it resolves, so nothing is left to remind of.
    assert step(sqlite_engine, router, outbox, timedelta(hours=25),
                [finding("acked", severity="high")]) == 0
    assert len(channel.sent) == 2


def test_a_silenced_alert_is_not_reminded_of_until_its_silence_ends(engine: Engine) -> None:
    router, outbox, channel = rig(engine, reminders={"after_hours": HOURS})
    owner = customer(engine, "C1", "maria@halden-supply.example")
    high = [finding("x", customer_id=owner, severity="high")]
    step(engine, router, outbox, timedelta(0), high)
    with session_scope(engine) as session:
        add_silence(session, reason="customer on a payment plan", created_by="ana",
                    expires_at=NOW + timedelta(hours=30), now=NOW + timedelta(hours=1),
                    customer="C1")
    # Due at 24 h, but the silence holds the reminder; it goes when the silence ends.
    assert step(engine, router, outbox, timedelta(hours=24), high) == 0
    assert [e for e, s in statuses(engine)] == ["new", "reminder"]
    assert step(engine, router, outbox, timedelta(hours=26), high) == 0  # still held
    step(engine, router, outbox, timedelta(hours=31), high)
    assert [n.alerts[0].event for n in channel.sent] == ["new", "reminder"]


def test_a_notice_still_on_its_way_is_not_overtaken(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine, reminders={"after_hours": {"critical": 1.0}})
    record(sqlite_engine, router, [finding("x", severity="critical")], NOW)
    with session_scope(sqlite_engine) as session:
        # Nothing went out yet (the channel is down): nothing to remind of.
        assert queue_reminders(session, router, NOW + timedelta(hours=2)) == 0
    outbox.deliver(NOW + timedelta(hours=2))
    with session_scope(sqlite_engine) as session:
        assert queue_reminders(session, router, NOW + timedelta(hours=3)) == 1
    # The reminder has not gone out yet: another hour later it is not doubled.
    with session_scope(sqlite_engine) as session:
        assert queue_reminders(session, router, NOW + timedelta(hours=4, minutes=1)) == 0
    assert statuses(sqlite_engine) == [("new", "sent"), ("reminder", "pending")]


@pytest.mark.parametrize("hours", [0, -1])
def test_reminder_hours_must_be_positive(hours: float) -> None:
    with pytest.raises(ValueError, match="hours must be above 0"):
        NotifyConfig(reminders={"after_hours": {"high": hours}})  # type: ignore[arg-type]


def test_updates_reply_to_the_first_notice_on_their_topic_within_one_batch(
    sqlite_engine: Engine,
) -> None:
    """A warning and its escalation claimed together: the escalation still replies to the
    warning's message, which went out moments before in the same batch."""
    router, outbox, channel = rig(sqlite_engine, reminders={"after_hours": HOURS})
    record(sqlite_engine, router, [finding("x", severity="warning")], NOW)
    record(sqlite_engine, router, [finding("x", severity="critical")], NOW + timedelta(minutes=1))
    outbox.deliver(NOW + timedelta(minutes=2))
    assert [n.alerts[0].event for n in channel.sent] == ["new", "escalated"]
    assert channel.sent[0].reply_to == "" and channel.sent[1].reply_to == "ref-1"
    step(sqlite_engine, router, outbox, timedelta(hours=5), [finding("x", severity="critical")])
    assert channel.sent[2].alerts[0].event == "reminder" and channel.sent[2].reply_to == "ref-1"
