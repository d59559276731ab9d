"""Reminders of alerts nobody has acted on: an open alert that no one acknowledged hears
again after the configured hours since its last notice, on the same routes, until it is
acknowledged, resolved, silenced or reminded of `max_reminders` times."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, select
from sqlmodel import Session, col

from commwatch.store import Alert, AlertAck, Delivery
from notifier.config import NotifyConfig
from notifier.route import Router

# Rows still on their way: a reminder waits until the alert's last notice went out.
WAITING = ("pending", "sending", "silenced")


def due_reminders(session: Session, notify: NotifyConfig, now: datetime) -> list[int]:
    """Ids of the alerts a reminder is due for at `now`, oldest first."""
    config = notify.reminders
    after = dict(config.after_hours)
    if notify.digest.enabled:  # digest-only severities are reminded of by the digest
        for severity in notify.digest.only_severities:
            after.pop(severity, None)
    if not after:
        return []
    earliest = now - timedelta(hours=min(after.values()))
    reminders = func.count(func.distinct(
        case((col(Delivery.event) == "reminder", col(Delivery.seq)))))
    waiting = func.sum(case((col(Delivery.status).in_(WAITING), 1), else_=0))
    rows = session.execute(
        select(col(Alert.id), col(Alert.severity), func.max(col(Delivery.sent_at)),
               reminders, waiting)
        .join(Delivery, col(Delivery.alert_id) == col(Alert.id))
        .where(col(Alert.state) == "open", col(Alert.severity).in_(list(after)),
               col(Alert.created_at) <= earliest,
               ~exists().where(col(AlertAck.alert_id) == col(Alert.id)))
        .group_by(col(Alert.id), col(Alert.severity))
        .order_by(col(Alert.id))
    ).all()
    due = []
    for alert_id, severity, last_sent, sent_reminders, in_flight in rows:
        if in_flight or last_sent is None or sent_reminders >= config.max_reminders:
            continue
        if now - last_sent >= timedelta(hours=after[severity]):
            due.append(int(alert_id))
    return due


def queue_reminders(session: Session, router: Router, now: datetime) -> int:
    """Queue the reminders due at `now`; returns how many deliveries were queued."""
    return sum(router.queue(session, alert_id, "reminder", now)
               for alert_id in due_reminders(session, router.notify, now))
