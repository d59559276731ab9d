"""The daily digest: once a day, at the owner's chosen local time, one e-mail listing the
open alerts on their customers and the promises to pay due that day.

A digest is stored as an alert (rule `digest`, already resolved) with one delivery, so it
goes through the same outbox, retries and `alerts` commands as every other notice, and its
key (recipient + local date) means a day's digest is queued once however often this runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import Alert, Customer, Delivery, PromiseRecord, insert_ignore
from notifier.config import SEVERITY_RANK, NotifyConfig, parse_hhmm
from notifier.notice import Notice

DIGEST_RULE = "digest"


def queue_digests(
    session: Session,
    now: datetime,
    notify: NotifyConfig,
    fallback: Iterable[str],
    timezone: str,
) -> int:
    """Queue today's digest for every owner (and the fallback team for customers without
    one) whose digest time has passed in their zone; returns how many were queued."""
    config = notify.digest
    if not config.enabled:
        return 0
    at = parse_hhmm(config.at)
    owners = [o.lower() for o in session.scalars(
        select(col(Customer.owner_email)).where(col(Customer.owner_email).is_not(None)).distinct()
    ) if o]
    fallback = [f.lower() for f in fallback]
    queued = 0
    for recipient in dict.fromkeys(owners + fallback):
        prefs = notify.recipients.get(recipient)
        if prefs is not None and not prefs.digest:
            continue
        local = now.astimezone(ZoneInfo((prefs.timezone if prefs else None) or timezone))
        if local.time() < at:
            continue
        key = f"digest:{recipient}:{local.date().isoformat()}"
        if session.scalar(select(col(Alert.id)).where(col(Alert.dedupe_key) == key)) is not None:
            continue
        unowned = recipient in fallback and recipient not in owners
        content = _content(session, recipient, unowned, local, now)
        if not content["alert_ids"] and not content["promises"]:
            continue
        alert_id = insert_ignore(session, Alert, {
            "rule": DIGEST_RULE, "dedupe_key": key, "severity": content["severity"],
            "state": "resolved", "title": content["subject"], "summary": content["heading"],
            "details": content, "created_at": now, "last_seen_at": now, "resolved_at": now,
            "notified_count": 1,
        }, ["dedupe_key"])
        if alert_id is None:
            continue
        insert_ignore(session, Delivery, {
            "alert_id": alert_id, "channel": config.channel, "recipient": recipient,
            "idempotency_key": f"{key}:{config.channel}", "status": "pending",
            "event": "digest", "seq": 0, "customer_id": None, "topic": "", "attempts": 0,
            "next_attempt_at": now,
            "created_at": now, "external_ref": "", "duplicate_risk": False, "detail": "",
        }, ["idempotency_key"])
        queued += 1
    return queued


def _content(
    session: Session, recipient: str, unowned: bool, local: datetime, now: datetime
) -> dict[str, Any]:
    owner_match = (col(Customer.owner_email).is_(None) if unowned
                   else col(Customer.owner_email).ilike(recipient))
    customers = dict(session.execute(
        select(col(Customer.id), col(Customer.name)).where(owner_match)).all())
    alerts = list(session.scalars(
        select(Alert).where(col(Alert.state) == "open", col(Alert.rule) != DIGEST_RULE,
                            col(Alert.customer_id).in_(customers))
    )) if customers else []
    alerts.sort(key=lambda a: (-SEVERITY_RANK.get(a.severity, 0), a.created_at))
    promises = list(session.scalars(
        select(PromiseRecord).where(col(PromiseRecord.status) == "open",
                                    col(PromiseRecord.due_on) == local.date(),
                                    col(PromiseRecord.customer_id).in_(customers))
        .order_by(col(PromiseRecord.id))
    )) if customers else []
    severity = alerts[0].severity if alerts else "info"
    high = sum(1 for a in alerts if SEVERITY_RANK.get(a.severity, 0) >= 2)
    date = local.date().isoformat()
    return {
        "recipient": recipient,
        "date": date,
        "severity": severity,
        "subject": f"Daily digest {date}: {len(alerts)} open alert(s)"
                   + (f", {high} high or critical" if high else "")
                   + (f", {len(promises)} promise(s) due today" if promises else ""),
        "heading": f"{len(alerts)} open alert(s) on {len(customers)} customer(s) as of "
                   f"{local:%Y-%m-%d %H:%M %Z}",
        "alert_ids": [a.id for a in alerts],
        "new_ids": [a.id for a in alerts if a.created_at >= now - timedelta(days=1)],
        "promises": [
            {"customer": customers.get(p.customer_id or 0, ""),
             "amount": f"{p.currency or ''} {p.amount:,.2f}".strip() if p.amount is not None
             else "an unstated amount",
             "due_date": p.due_on.isoformat() if p.due_on else "", "invoices": list(p.invoices)}
            for p in promises
        ],
    }


def load_digest(session: Session, key: str, delivery: Delivery, review_url: str) -> Notice:
    alert = session.get(Alert, delivery.alert_id)
    assert alert is not None
    details = dict(alert.details or {})
    ids = details.get("alert_ids") or []
    rows = {a.id: a for a in session.scalars(
        select(Alert).where(col(Alert.id).in_(ids)))} if ids else {}
    new = set(details.get("new_ids") or [])
    groups: dict[str, list[dict[str, Any]]] = {}
    for alert_id in ids:
        row = rows.get(alert_id)
        if row is None:
            continue
        groups.setdefault(row.severity, []).append({
            "title": row.title, "url": f"{review_url}/alerts/{alert_id}", "new": alert_id in new,
        })
    ordered = sorted(groups.items(), key=lambda kv: -SEVERITY_RANK.get(kv[0], 0))
    digest = {
        "subject": alert.title, "heading": alert.summary,
        "groups": [{"severity": s, "alerts": a} for s, a in ordered],
        "promises_due": details.get("promises") or [],
    }
    return Notice(key=key, channel=delivery.channel, recipient=delivery.recipient,
                  kind="digest", alerts=(), digest=digest)
