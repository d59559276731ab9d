"""The outbox: every alert delivered once per channel, retried with back-off, failures kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Alert, Delivery, session_scope
from monitor.runner import queue_deliveries
from notifier import ConsoleChannel, DeliveryResult, JsonlChannel, OutgoingAlert, deliver
from notifier.config import ConsoleChannelConfig, JsonlChannelConfig
from notifier.outbox import MAX_ATTEMPTS

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def add_alerts(engine: Engine, n: int, channels: list[str]) -> None:
    with session_scope(engine) as session:
        for i in range(n):
            alert = Alert(rule="unanswered", dedupe_key=f"unanswered:{i}", severity="warning",
                          title=f"Alert {i}", summary="s", details={"excerpt": "e"},
                          created_at=NOW, last_seen_at=NOW)
            session.add(alert)
            session.flush()
            queue_deliveries(session, alert.id or 0, channels, NOW)


def jsonl(tmp_path: Path) -> JsonlChannel:
    return JsonlChannel("file", JsonlChannelConfig(type="jsonl", path=tmp_path / "alerts.jsonl"))


def test_each_alert_written_once_in_order(engine: Engine, tmp_path: Path) -> None:
    add_alerts(engine, 3, ["file"])
    assert deliver(engine, {"file": jsonl(tmp_path)}, NOW) == {"sent": 3, "retrying": 0, "failed": 0}
    assert deliver(engine, {"file": jsonl(tmp_path)}, NOW) == {"sent": 0, "retrying": 0, "failed": 0}
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [x["title"] for x in lines] == ["Alert 0", "Alert 1", "Alert 2"]


def test_crash_between_write_and_record_does_not_duplicate(engine: Engine, tmp_path: Path) -> None:
    add_alerts(engine, 1, ["file"])
    channel = jsonl(tmp_path)
    with Session(engine) as session:
        delivery, alert = session.execute(
            select(Delivery, Alert).join(Alert, Alert.id == Delivery.alert_id)).one()
    # The line reached the file, then the process died before the delivery was marked sent.
    channel.send(OutgoingAlert(alert_id=alert.id or 0, idempotency_key=delivery.idempotency_key,
                               rule=alert.rule, severity=alert.severity, title=alert.title,
                               summary=alert.summary, created_at=alert.created_at))
    assert deliver(engine, {"file": jsonl(tmp_path)}, NOW)["sent"] == 1
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1
    with Session(engine) as session:
        assert "already in" in session.scalars(select(Delivery)).one().detail


class FlakyChannel:
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send(self, alert: OutgoingAlert) -> DeliveryResult:
        if self.failures > 0:
            self.failures -= 1
            return DeliveryResult(False, "connection refused")
        self.sent.append(alert.title)
        return DeliveryResult(True, "ok")


def test_failed_delivery_backs_off_then_succeeds(sqlite_engine: Engine) -> None:
    add_alerts(sqlite_engine, 1, ["flaky"])
    channel = FlakyChannel(failures=2)
    assert deliver(sqlite_engine, {"flaky": channel}, NOW)["retrying"] == 1
    assert deliver(sqlite_engine, {"flaky": channel}, NOW + timedelta(seconds=5))["retrying"] == 0
    assert deliver(sqlite_engine, {"flaky": channel}, NOW + timedelta(seconds=10))["retrying"] == 1
    assert deliver(sqlite_engine, {"flaky": channel}, NOW + timedelta(seconds=31))["sent"] == 1
    assert channel.sent == ["Alert 0"]
    with Session(sqlite_engine) as session:
        delivery = session.scalars(select(Delivery)).one()
        assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_gives_up_with_visible_reason(sqlite_engine: Engine) -> None:
    add_alerts(sqlite_engine, 1, ["flaky"])
    channel = FlakyChannel(failures=10**6)
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver(sqlite_engine, {"flaky": channel}, when)
        when += timedelta(hours=2)
    with Session(sqlite_engine) as session:
        delivery = session.scalars(select(Delivery)).one()
        assert delivery.status == "failed"
        assert delivery.detail == f"gave up after {MAX_ATTEMPTS} attempts: connection refused"


def test_unconfigured_channel_fails_visibly(sqlite_engine: Engine) -> None:
    add_alerts(sqlite_engine, 1, ["gone"])
    assert deliver(sqlite_engine, {}, NOW)["failed"] == 1
    with Session(sqlite_engine) as session:
        assert session.scalars(select(Delivery)).one().detail == "channel 'gone' is not configured"


def test_console_channel_prints_title_and_excerpt() -> None:
    console = Console(record=True, width=120)
    channel = ConsoleChannel("console", ConsoleChannelConfig(type="console"), console)
    result = channel.send(OutgoingAlert(alert_id=7, idempotency_key="k", rule="unanswered",
                                        severity="high", title="Unanswered for 2d: Brightline",
                                        summary="Jan wrote", created_at=NOW,
                                        details={"excerpt": "price is wrong"}))
    text = console.export_text()
    assert result.ok
    assert "HIGH Unanswered for 2d: Brightline" in text
    assert "price is wrong" in text and "alert #7" in text
