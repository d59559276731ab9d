"""Turns rule findings into alerts: dedupe by key, outbox rows per channel, auto-resolve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Alert, Delivery, insert_ignore, session_scope
from monitor.rules import RULES, Finding
from monitor.view import MonitorContext, StoreView


def dedupe_key(finding: Finding) -> str:
    return f"{finding.rule}:{finding.subject}"


def queue_deliveries(session: Session, alert_id: int, channels: Iterable[str], now: datetime) -> int:
    """Outbox rows for one alert, one per channel; written in the alert's transaction."""
    queued = 0
    for channel in channels:
        key = f"alert:{alert_id}:channel:{channel}:to:"
        if insert_ignore(
            session,
            Delivery,
            {
                "alert_id": alert_id,
                "channel": channel,
                "recipient": "",
                "idempotency_key": key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "detail": "",
            },
            ["idempotency_key"],
        ):
            queued += 1
    return queued


def record_findings(
    session: Session, rule: str, findings: list[Finding], channels: Iterable[str], now: datetime
) -> dict[str, int]:
    """Store one rule's findings; alerts no longer found are resolved.

    Set-based, because a sweep re-finds most of its findings every time: one query for the
    rule's open alerts, one UPDATE per 5,000 for those seen again, an insert only for what
    is new, one UPDATE per 5,000 for those resolved."""
    channels = list(channels)
    counts = {"findings": len(findings), "new_alerts": 0, "resolved": 0, "queued": 0}
    by_key = {dedupe_key(f): f for f in findings}
    table = Alert.__table__  # type: ignore[attr-defined]
    open_ids: dict[str, int] = dict(
        session.execute(
            select(table.c.dedupe_key, table.c.id)
            .where(table.c.rule == rule, table.c.state == "open")
        ).all()
    )
    seen = [open_ids[k] for k in by_key if k in open_ids]
    for key, finding in by_key.items():
        if key in open_ids:
            continue
        new_id = insert_ignore(session, Alert, _alert_row(finding, key, now), ["dedupe_key"])
        if new_id is not None:
            counts["new_alerts"] += 1
            counts["queued"] += queue_deliveries(session, new_id, channels, now)
        else:  # found again after it was resolved: open again, without a second delivery
            session.execute(
                update(table).where(table.c.dedupe_key == key)
                .values(state="open", resolved_at=None, last_seen_at=now)
            )
    for chunk in _chunks(seen):
        session.execute(update(table).where(table.c.id.in_(chunk)).values(last_seen_at=now))
    gone = [alert_id for key, alert_id in open_ids.items() if key not in by_key]
    for chunk in _chunks(gone):
        session.execute(
            update(table).where(table.c.id.in_(chunk)).values(state="resolved", resolved_at=now)
        )
    counts["resolved"] = len(gone)
    return counts


def _alert_row(finding: Finding, key: str, now: datetime) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "dedupe_key": key,
        "severity": finding.severity,
        "state": "open",
        "title": finding.title,
        "summary": finding.summary,
        "details": finding.details,
        "customer_id": finding.customer_id,
        "thread_id": finding.thread_id,
        "message_id": finding.message_id,
        "created_at": now,
        "last_seen_at": now,
    }


def _chunks(ids: list[int], size: int = 5000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def run_rules(
    engine: Engine,
    rules: Mapping[str, Any],
    channels: Iterable[str],
    now: datetime,
    context: MonitorContext | None = None,
    findings_out: dict[str, list[Finding]] | None = None,
) -> dict[str, dict[str, int]]:
    """Evaluate every enabled rule at `now`; one transaction per rule. `findings_out`, when
    given, receives each rule's findings (for work that follows from them, e.g. drafts)."""
    results: dict[str, dict[str, int]] = {}
    for name, config in rules.items():
        if not config.enabled:
            continue
        with session_scope(engine) as session:
            findings = RULES[config.type](name, config, StoreView(session, context), now)
            results[name] = record_findings(session, name, findings, channels, now)
        if findings_out is not None:
            findings_out[name] = findings
    return results


def evaluate(
    engine: Engine, name: str, config: Any, now: datetime, context: MonitorContext | None = None
) -> list[Finding]:
    """What a rule would find at `now`, without recording anything (dry run)."""
    with Session(engine) as session:
        return RULES[config.type](name, config, StoreView(session, context), now)
