"""Who hears about an alert, on which channel, and when: routing, silences, re-alert
throttling, quiet hours and the grouping window, applied as the outbox rows are written.

The monitor calls `Router.queue` in the transaction that stores the alert, so an alert is
never committed without its deliveries (or the recorded reason it has none).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from commwatch.store import Alert, Customer, Delivery, Silence, insert_ignore
from notifier.config import (
    ChannelConfig,
    ConsoleChannelConfig,
    EmailChannelConfig,
    NotifyConfig,
    SlackChannelConfig,
)
from notifier.silences import active_silences, matching_silence
from notifier.timing import quiet_until

EVENTS = ("new", "reopened", "escalated", "resolved", "reminder")


def topic_of(alert: Alert) -> str:
    """Notices on one topic reply in one Slack thread / e-mail thread: a rule's alerts about
    one conversation (an SLA warning, then its breach) belong together."""
    if alert.thread_id is not None:
        return f"{alert.rule}:thread:{alert.thread_id}"
    return alert.dedupe_key


class Router:
    """Turns an alert event into outbox rows, one per channel and recipient."""

    def __init__(
        self,
        channels: Mapping[str, ChannelConfig],
        notify: NotifyConfig | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.channels = {n: c for n, c in channels.items() if c.enabled}
        self.notify = notify or NotifyConfig()
        self.timezone = timezone
        self._silence_cache: weakref.WeakKeyDictionary[Session, tuple[datetime, list[Silence]]] = (
            weakref.WeakKeyDictionary())

    def _silences(self, session: Session, now: datetime) -> list[Silence]:
        """Silences in force, read once per session and instant: a sweep that records
        thousands of new alerts asks the same question thousands of times."""
        cached = self._silence_cache.get(session)
        if cached is None or cached[0] != now:
            cached = (now, active_silences(session, now))
            self._silence_cache[session] = cached
        return cached[1]

    @property
    def wants_resolved(self) -> bool:
        return any(c.send_resolved for c in self.channels.values())

    @classmethod
    def plain(cls, names: Iterable[str]) -> Router:
        """Every alert to every named console channel: for tests and dry runs."""
        return cls({n: ConsoleChannelConfig(type="console") for n in names})

    # -- the one entry point ----------------------------------------------------------------

    def queue(self, session: Session, alert_id: int, event: str, now: datetime) -> int:
        """Write the outbox rows for one alert event; returns how many were queued."""
        assert event in EVENTS, event
        alert = session.get(Alert, alert_id)
        if alert is None:
            return 0
        if event == "resolved":
            return self._queue_resolved(session, alert, now)
        if event == "reopened" and alert.next_notify_at is not None and now < alert.next_notify_at:
            return 0  # throttled: it notified recently and came back within the back-off
        customer = session.get(Customer, alert.customer_id) if alert.customer_id else None
        silence = matching_silence(self._silences(session, now), alert.rule, alert.customer_id,
                                   invoices_of(alert.details))
        seq = alert.notified_count
        queued = 0
        for name, config in self.channels.items():
            tier = customer.tier if customer else None
            if not config.takes(alert.rule, alert.severity, tier):
                continue
            for recipient in self.recipients(config, alert, customer):
                queued += self._add(session, alert, name, config, recipient, event, seq, now,
                                    silence)
        if queued:
            alert.notified_count = seq + 1
            backoff = timedelta(minutes=self.notify.realert_minutes) * (2 ** seq)
            alert.next_notify_at = now + min(
                backoff, timedelta(hours=self.notify.realert_max_hours)
            )
            session.add(alert)
        return queued

    # -- routing ----------------------------------------------------------------------------

    def recipients(
        self, config: ChannelConfig, alert: Alert, customer: Customer | None
    ) -> list[str]:
        if isinstance(config, EmailChannelConfig):
            if config.to != "owner":
                return [str(a).lower() for a in config.to]
            # A rule may name who must hear (an SLA escalation adds the owner's manager).
            named = [str(a).lower() for a in (alert.details or {}).get("route_to") or [] if a]
            owner = (customer.owner_email or "").lower() if customer else ""
            found = named or ([owner] if owner else [])
            return list(dict.fromkeys(found)) or [str(a).lower() for a in config.fallback]
        if isinstance(config, SlackChannelConfig):
            if config.webhook_url is not None:
                return [""]
            external = customer.external_id if customer else None
            tier = customer.tier if customer else None
            for route in config.routes:
                if route.takes(alert.rule, alert.severity, tier) and (
                    not route.customers or external in route.customers
                ):
                    return [route.channel]
            return [config.channel] if config.channel else []
        return [""]

    # -- one row ----------------------------------------------------------------------------

    def _add(
        self,
        session: Session,
        alert: Alert,
        channel: str,
        config: ChannelConfig,
        recipient: str,
        event: str,
        seq: int,
        now: datetime,
        silence: Silence | None,
    ) -> int:
        due, status, detail = now, "pending", ""
        digest = self.notify.digest
        if silence is not None:
            status = "silenced"
            due = silence.expires_at
            detail = held_by(silence)
        elif (digest.enabled and isinstance(config, EmailChannelConfig)
              and alert.severity in digest.only_severities and event != "resolved"):
            status = "digest"
            detail = "goes into the daily digest only"
        elif event != "resolved":
            held = self._quiet(recipient, alert.severity, now)
            if held is not None:
                due = held
                detail = f"held for the recipient's quiet hours until {held:%Y-%m-%d %H:%M} UTC"
            if self.notify.group_window_seconds and event == "new":
                due = max(due, now + timedelta(seconds=self.notify.group_window_seconds))
        key = f"alert:{alert.id}:{event}:{seq}:{channel}:{recipient}"
        new_id = insert_ignore(session, Delivery, {
            "alert_id": alert.id,
            "channel": channel,
            "recipient": recipient,
            "idempotency_key": key,
            "status": status,
            "event": event,
            "seq": seq,
            "customer_id": alert.customer_id,
            "topic": topic_of(alert),
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": now,
            "external_ref": "",
            "duplicate_risk": False,
            "detail": detail,
        }, ["idempotency_key"])
        return 1 if new_id is not None and status == "pending" else 0

    def _quiet(self, recipient: str, severity: str, now: datetime) -> datetime | None:
        prefs = self.notify.recipients.get(recipient.lower())
        window = prefs.quiet_window() if prefs is not None else None
        if prefs is None or window is None or severity in prefs.quiet_except:
            return None
        return quiet_until(now, window, ZoneInfo(prefs.timezone or self.timezone))

    def _queue_resolved(self, session: Session, alert: Alert, now: datetime) -> int:
        """Tell the channels that want it, on the same recipients that heard of the alert."""
        wanting = {n for n, c in self.channels.items() if c.send_resolved}
        if not wanting:
            return 0
        heard = session.execute(
            select(col(Delivery.channel), col(Delivery.recipient))
            .where(col(Delivery.alert_id) == alert.id, col(Delivery.status) == "sent",
                   col(Delivery.channel).in_(wanting))
            .distinct()
        ).all()
        queued = 0
        resolved_before = session.scalar(
            select(func.count()).select_from(Delivery)
            .where(col(Delivery.alert_id) == alert.id, col(Delivery.event) == "resolved")
        ) or 0
        for channel, recipient in heard:
            queued += self._add(session, alert, channel, self.channels[channel], recipient,
                                "resolved", int(resolved_before), now, None)
        return queued


def held_by(silence: Silence) -> str:
    return (f"silenced by #{silence.id} until {silence.expires_at:%Y-%m-%d %H:%M} UTC: "
            f"{silence.reason}")


def invoices_of(details: dict[str, Any] | None) -> list[str]:
    """The invoice numbers an alert is about, as rules put them in its details."""
    details = details or {}
    found = [str(i) for i in details.get("invoices") or []]
    if details.get("invoice"):
        found.append(str(details["invoice"]))
    return found


def release_silenced(session: Session, now: datetime) -> dict[str, int]:
    """Silenced rows whose silence is over: sent after all if the alert is still open,
    dropped with the reason if it resolved meanwhile."""
    counts = {"released": 0, "dropped": 0}
    rows = session.execute(
        select(col(Delivery.id), col(Alert.rule), col(Alert.customer_id), col(Alert.details),
               col(Alert.state))
        .join(Alert, col(Alert.id) == col(Delivery.alert_id))
        .where(col(Delivery.status) == "silenced", col(Delivery.next_attempt_at) <= now)
    ).all()
    silences = active_silences(session, now) if rows else []
    for delivery_id, rule, customer_id, details, state in rows:
        silence = matching_silence(silences, rule, customer_id, invoices_of(details))
        values: dict[str, Any]
        if silence is not None:  # another silence still covers it
            values = {"next_attempt_at": silence.expires_at, "detail": held_by(silence)}
        elif state == "open":
            values = {"status": "pending", "next_attempt_at": now,
                      "detail": "silence ended while the alert was still open"}
            counts["released"] += 1
        else:
            values = {"status": "dropped", "detail": "alert resolved while silenced"}
            counts["dropped"] += 1
        session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))
    return counts
