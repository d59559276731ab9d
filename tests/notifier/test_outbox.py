"""The outbox: every alert delivered once per channel and recipient, in order, retried with
back-off, a whole-channel failure holding the queue in order, and crashes recovered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import ChannelState, Delivery, DeliveryAttempt, session_scope
from notifier import ConsoleChannel, DeliveryResult, JsonlChannel, Notice, Outbox, Router
from notifier.config import ConsoleChannelConfig, JsonlChannelConfig, NotifyConfig
from tests.notifier.helpers import customer, finding, record

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Recorder:
    """A channel that can fail on demand, whole-channel or per message."""

    name = "rec"

    def __init__(self, fail: list[DeliveryResult] | None = None, can_confirm: bool | None = None):
        self.fail = list(fail or [])
        self.sent: list[Notice] = []
        self.can_confirm = can_confirm

    def send(self, notice: Notice) -> DeliveryResult:
        if self.fail:
            return self.fail.pop(0)
        self.sent.append(notice)
        return DeliveryResult(True, "ok", external_ref=f"ref-{len(self.sent)}")

    def confirm(self, notice: Notice) -> bool | None:
        if self.can_confirm is None:
            return None
        return any(n.key == notice.key for n in self.sent)

    def titles(self) -> list[str]:
        return [a.title for n in self.sent for a in n.alerts]


def queue(engine: Engine, n: int, channels: list[str], now: datetime = NOW,
          customers: bool = False) -> None:
    ids = [customer(engine, f"C{i}", None) for i in range(n)] if customers else [None] * n
    record(engine, Router.plain(channels),
           [finding(f"t{i}", customer_id=ids[i]) for i in range(n)], now)


def jsonl(tmp_path: Path) -> JsonlChannel:
    return JsonlChannel("file", JsonlChannelConfig(type="jsonl", path=tmp_path / "alerts.jsonl"))


def test_each_alert_written_once_in_order(engine: Engine, tmp_path: Path) -> None:
    queue(engine, 3, ["file"])
    outbox = Outbox(engine, {"file": jsonl(tmp_path)})
    assert outbox.deliver(NOW)["sent"] == 3
    assert outbox.deliver(NOW)["sent"] == 0
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [x["title"].rsplit("— ", 1)[1] for x in lines] == ["t0", "t1", "t2"]
    with Session(engine) as session:
        attempts = session.scalars(select(DeliveryAttempt)).all()
        assert len(attempts) == 3 and all(a.ok for a in attempts)


def test_crash_between_write_and_record_does_not_duplicate(engine: Engine, tmp_path: Path) -> None:
    """The line reached the file, then the process died before the delivery was recorded:
    the claim is recovered, the channel confirms the line is there, nothing is rewritten."""
    queue(engine, 1, ["file"])
    channel = jsonl(tmp_path)
    dead = Outbox(engine, {"file": channel}, worker="elsewhere:1:dead")
    [group] = dead._claim("file", NOW)
    with Session(engine) as session:
        channel.send(dead._notice(session, group.key, group.rows))
    later = NOW + timedelta(minutes=10)  # past the claim timeout
    counts = Outbox(engine, {"file": jsonl(tmp_path)}).deliver(later)
    assert counts["recovered"] == 1 and counts["sent"] == 0
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1
    with Session(engine) as session:
        row = session.scalars(select(Delivery)).one()
        assert (row.status, row.duplicate_risk) == ("sent", False)
        assert row.detail == "confirmed sent after an interrupted attempt"


def test_interrupted_send_on_a_channel_that_cannot_tell_is_resent_and_flagged(
    sqlite_engine: Engine,
) -> None:
    queue(sqlite_engine, 2, ["rec"])
    channel = Recorder()
    dead = Outbox(sqlite_engine, {"rec": channel}, worker="elsewhere:1:dead")
    groups = dead._claim("rec", NOW)
    assert len(groups) == 2
    counts = Outbox(sqlite_engine, {"rec": channel}).deliver(NOW + timedelta(minutes=10))
    assert counts["possible_duplicates"] == 1 and counts["sent"] == 2
    with Session(sqlite_engine) as session:
        rows = session.scalars(select(Delivery).order_by(col(Delivery.id))).all()
        # Groups go one at a time, oldest first: only the first can have been in flight.
        assert [r.duplicate_risk for r in rows] == [True, False]
        # Same notice key as the interrupted send: Message-IDs match, mail systems dedupe.
        assert [n.key for n in channel.sent] == [g.key for g in groups]


def test_a_fresh_claim_of_a_live_worker_is_left_alone(sqlite_engine: Engine) -> None:
    queue(sqlite_engine, 1, ["rec"])
    busy = Outbox(sqlite_engine, {"rec": Recorder()}, worker="elsewhere:1:busy")
    busy._claim("rec", NOW)
    counts = Outbox(sqlite_engine, {"rec": Recorder()}).deliver(NOW + timedelta(seconds=30))
    assert counts["recovered"] == 0 and counts["sent"] == 0


def test_message_failure_backs_off_then_succeeds(sqlite_engine: Engine) -> None:
    queue(sqlite_engine, 1, ["rec"])
    channel = Recorder([DeliveryResult(False, "mailbox busy")] * 2)
    outbox = Outbox(sqlite_engine, {"rec": channel})
    assert outbox.deliver(NOW)["retrying"] == 1
    assert outbox.deliver(NOW + timedelta(seconds=4))["retrying"] == 0  # not due yet
    assert outbox.deliver(NOW + timedelta(seconds=10))["retrying"] == 1
    assert outbox.deliver(NOW + timedelta(seconds=31))["sent"] == 1
    with Session(sqlite_engine) as session:
        delivery = session.scalars(select(Delivery)).one()
        assert (delivery.status, delivery.attempts) == ("sent", 3)
        attempts = session.scalars(select(DeliveryAttempt).order_by(col(DeliveryAttempt.id))).all()
        assert [(a.number, a.ok, a.detail) for a in attempts] == [
            (1, False, "mailbox busy"), (2, False, "mailbox busy"), (3, True, "ok")]


def test_channel_failure_holds_the_queue_in_order(sqlite_engine: Engine) -> None:
    """Server down: one attempt, the channel waits, and later all go out oldest first."""
    queue(sqlite_engine, 4, ["rec"])
    down = DeliveryResult(False, "connection refused", scope="channel")
    channel = Recorder([down, down])
    outbox = Outbox(sqlite_engine, {"rec": channel})
    first = outbox.deliver(NOW)
    assert first["sent"] == 0
    with Session(sqlite_engine) as session:
        state = session.scalars(select(ChannelState)).one()
        assert state.failures == 1 and state.blocked_until is not None
        assert state.last_error == "connection refused"
        # Only the first delivery was tried; the other three kept their place.
        assert [d.attempts for d in session.scalars(select(Delivery).order_by(col(Delivery.id)))] \
            == [1, 0, 0, 0]
    assert outbox.deliver(NOW + timedelta(seconds=1))["sent"] == 0  # still blocked
    outbox.deliver(NOW + timedelta(seconds=11))  # down again: blocked longer
    assert outbox.deliver(NOW + timedelta(minutes=5))["sent"] == 4
    assert [t.rsplit("— ", 1)[1] for t in channel.titles()] == ["t0", "t1", "t2", "t3"]


def test_gives_up_after_the_configured_time_with_the_reason(sqlite_engine: Engine) -> None:
    queue(sqlite_engine, 1, ["rec"])
    channel = Recorder([DeliveryResult(False, "550 mailbox unavailable")] * 100)
    outbox = Outbox(sqlite_engine, {"rec": channel}, NotifyConfig(give_up_after_hours=2))
    when = NOW
    while when < NOW + timedelta(hours=3):
        outbox.deliver(when)
        when += timedelta(minutes=20)
    with Session(sqlite_engine) as session:
        delivery = session.scalars(select(Delivery)).one()
        assert delivery.status == "failed"
        assert delivery.detail.startswith("gave up after ")
        assert delivery.detail.endswith("attempt(s): 550 mailbox unavailable")


def test_a_permanent_refusal_fails_at_once(sqlite_engine: Engine) -> None:
    queue(sqlite_engine, 1, ["rec"])
    channel = Recorder([DeliveryResult(False, "channel_not_found", permanent=True)])
    assert Outbox(sqlite_engine, {"rec": channel}).deliver(NOW)["failed"] == 1


def test_unconfigured_channel_fails_visibly(sqlite_engine: Engine) -> None:
    queue(sqlite_engine, 1, ["gone"])
    assert Outbox(sqlite_engine, {}).deliver(NOW)["failed"] == 1
    with Session(sqlite_engine) as session:
        assert session.scalars(select(Delivery)).one().detail == "channel 'gone' is not configured"


def test_first_notices_for_one_customer_go_as_one_message(engine: Engine) -> None:
    cid = customer(engine, "C9", None)
    other = customer(engine, "C10", None)
    record(engine, Router.plain(["rec"]),
           [finding("a", cid), finding("b", cid), finding("c", other), finding("d", cid)], NOW)
    channel = Recorder()
    counts = Outbox(engine, {"rec": channel}).deliver(NOW)
    assert counts["sent"] == 4 and counts["grouped"] == 3
    assert [len(n.alerts) for n in channel.sent] == [3, 1]
    assert channel.sent[0].kind == "group"
    assert channel.sent[0].subject.startswith("[WARNING] 3 alerts for Customer C9")


def test_group_window_collects_alerts_arriving_within_it(sqlite_engine: Engine) -> None:
    cid = customer(sqlite_engine, "C1", None)
    router = Router({"rec": ConsoleChannelConfig(type="console")},
                    NotifyConfig(group_window_seconds=60))
    record(sqlite_engine, router, [finding("a", cid)], NOW)
    channel = Recorder()
    outbox = Outbox(sqlite_engine, {"rec": channel})
    assert outbox.deliver(NOW + timedelta(seconds=30))["sent"] == 0
    record(sqlite_engine, router, [finding("a", cid), finding("b", cid)],
           NOW + timedelta(seconds=30))
    assert outbox.deliver(NOW + timedelta(seconds=60))["sent"] == 1  # a is due, b is not
    assert outbox.deliver(NOW + timedelta(seconds=90))["sent"] == 1
    # Both were due at their own time; a window is a wait, never a loss.
    assert [len(n.alerts) for n in channel.sent] == [1, 1]


def test_two_workers_never_send_the_same_delivery(engine: Engine) -> None:
    queue(engine, 6, ["rec"])
    one, two = Recorder(), Recorder()
    a = Outbox(engine, {"rec": one}, NotifyConfig(batch_size=2))
    b = Outbox(engine, {"rec": two}, NotifyConfig(batch_size=2))
    claimed_a = a._claim("rec", NOW)
    claimed_b = b._claim("rec", NOW)
    keys_a = {r.idempotency_key for g in claimed_a for r in g.rows}
    keys_b = {r.idempotency_key for g in claimed_b for r in g.rows}
    assert keys_a and keys_b and not keys_a & keys_b


def test_console_channel_prints_title_excerpt_and_credit(sqlite_engine: Engine) -> None:
    cid = customer(sqlite_engine, "C7", None, name="Brightline")
    record(sqlite_engine, Router.plain(["console"]),
           [finding("price is wrong", cid, severity="high")], NOW)
    console = Console(record=True, width=140)
    channel = ConsoleChannel("console", ConsoleChannelConfig(type="console"), console)
    assert Outbox(sqlite_engine, {"console": channel}).deliver(NOW)["sent"] == 1
    text = console.export_text()
    assert "HIGH Unanswered for 9h: Customer — price is wrong" in text
    assert "about price is wrong" in text and "alert #1" in text
    assert "Credit limit: USD 50,000.00" in text


def test_old_style_pending_rows_are_still_delivered(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Rows written before this schema (no group, no give-up time) go out as before."""
    queue(sqlite_engine, 1, ["file"])
    with session_scope(sqlite_engine) as session:
        session.execute(update(Delivery).values(topic="", customer_id=None))
    assert Outbox(sqlite_engine, {"file": jsonl(tmp_path)}).deliver(NOW)["sent"] == 1
