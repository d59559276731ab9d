"""Delivers the outbox: pending deliveries are sent, every attempt and result recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from commwatch.store import Alert, Delivery, session_scope
from notifier.channels import Channel, OutgoingAlert

MAX_ATTEMPTS = 12
BATCH = 100


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def deliver(engine: Engine, channels: Mapping[str, Channel], now: datetime) -> dict[str, int]:
    """Send every due delivery once; returns counts of sent, retrying and failed."""
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    last_id = 0
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Delivery, Alert)
                .join(Alert, Alert.id == Delivery.alert_id)  # type: ignore[arg-type]
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)  # type: ignore[operator]
                .where(Delivery.id > last_id)  # type: ignore[operator]
                .order_by(Delivery.id)  # type: ignore[arg-type]
                .limit(BATCH)
                .with_for_update(skip_locked=True, of=Delivery)  # type: ignore[arg-type]
            ).all()
            if not rows:
                break
            for delivery, alert in rows:
                last_id = delivery.id or last_id
                delivery.attempts += 1
                delivery.last_attempt_at = now
                channel = channels.get(delivery.channel)
                if channel is None:
                    delivery.status = "failed"
                    delivery.detail = f"channel {delivery.channel!r} is not configured"
                    counts["failed"] += 1
                    session.add(delivery)
                    continue
                result = channel.send(
                    OutgoingAlert(
                        alert_id=alert.id or 0,
                        idempotency_key=delivery.idempotency_key,
                        rule=alert.rule,
                        severity=alert.severity,
                        title=alert.title,
                        summary=alert.summary,
                        created_at=alert.created_at,
                        recipient=delivery.recipient,
                        customer_id=alert.customer_id,
                        thread_id=alert.thread_id,
                        message_id=alert.message_id,
                        details=alert.details,
                    )
                )
                delivery.detail = result.detail
                if result.ok:
                    delivery.status = "sent"
                    delivery.sent_at = now
                    counts["sent"] += 1
                elif delivery.attempts >= MAX_ATTEMPTS:
                    delivery.status = "failed"
                    delivery.detail = f"gave up after {delivery.attempts} attempts: {result.detail}"
                    counts["failed"] += 1
                else:
                    wait = (
                        timedelta(seconds=result.retry_after)
                        if result.retry_after
                        else backoff(delivery.attempts)
                    )
                    delivery.next_attempt_at = now + wait
                    counts["retrying"] += 1
                session.add(delivery)
    return counts
