"""Turns rule findings into alerts: dedupe by key, outbox rows per channel, auto-resolve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Alert, insert_ignore, session_scope
from monitor.rules import RULES, Finding
from monitor.view import MonitorContext, StoreView


def dedupe_key(finding: Finding) -> str:
    return f"{finding.rule}:{finding.subject}"


class AlertSink(Protocol):
    """Where alert events go: the notifier's router writes the outbox rows for them."""

    def queue(self, session: Session, alert_id: int, event: str, now: datetime) -> int: ...


Sink = AlertSink | Iterable[str]
_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}


def _sink(sink: Sink) -> AlertSink:
    if hasattr(sink, "queue"):
        return sink  # type: ignore[return-value]
    from notifier.route import Router  # every alert to these channels, as in dry runs

    return Router.plain(list(sink))


def record_findings(
    session: Session, rule: str, findings: list[Finding], sink: Sink, now: datetime
) -> dict[str, int]:
    """Store one rule's findings; alerts no longer found are resolved.

    Set-based, because a sweep re-finds most of its findings every time: one query for the
    rule's open alerts, an insert only for what is new, one UPDATE per 5,000 for those
    resolved, then one UPDATE for all those still open (seen again). Each alert event (new,
    back after it resolved, severity up, resolved) goes to the sink in the same
    transaction."""
    router = _sink(sink)
    counts = {"findings": len(findings), "new_alerts": 0, "resolved": 0, "queued": 0}
    by_key = {dedupe_key(f): f for f in findings}
    table = Alert.__table__  # type: ignore[attr-defined]
    open_rows = session.execute(
        select(table.c.dedupe_key, table.c.id, table.c.severity)
        .where(table.c.rule == rule, table.c.state == "open")
    ).all()
    open_ids: dict[str, int] = {key: alert_id for key, alert_id, _ in open_rows}
    open_severity = {key: severity for key, _, severity in open_rows}
    seen = [open_ids[k] for k in by_key if k in open_ids]
    for key, finding in by_key.items():
        if key in open_ids:
            if _RANK.get(finding.severity, 0) > _RANK.get(open_severity[key], 0):
                session.execute(
                    update(table).where(table.c.id == open_ids[key]).values(
                        severity=finding.severity, title=finding.title,
                        summary=finding.summary, details=finding.details)
                )
                counts["queued"] += router.queue(session, open_ids[key], "escalated", now)
            continue
        new_id = insert_ignore(session, Alert, _alert_row(finding, key, now), ["dedupe_key"])
        if new_id is not None:
            counts["new_alerts"] += 1
            counts["queued"] += router.queue(session, new_id, "new", now)
        else:  # found again after it was resolved: open again; the router throttles re-alerts
            session.execute(
                update(table).where(table.c.dedupe_key == key)
                .values(state="open", resolved_at=None, last_seen_at=now)
            )
            # The row exists: insert_ignore returned None because its dedupe key conflicted.
            alert_id = cast(int, session.scalar(
                select(table.c.id).where(table.c.dedupe_key == key)))
            counts["queued"] += router.queue(session, alert_id, "reopened", now)
    gone = [alert_id for key, alert_id in open_ids.items() if key not in by_key]
    for chunk in _chunks(gone):
        session.execute(
            update(table).where(table.c.id.in_(chunk)).values(state="resolved", resolved_at=now)
        )
    if seen:
        # What is still open is what was found again, plus what was inserted or reopened
        # just now (already seen `now`): one statement, not the ids of all of them.
        session.execute(
            update(table).where(table.c.rule == rule, table.c.state == "open")
            .values(last_seen_at=now)
        )
    if gone and getattr(router, "wants_resolved", True):
        for alert_id in gone:
            counts["queued"] += router.queue(session, alert_id, "resolved", now)
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
    sink: Sink,
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
            results[name] = record_findings(session, name, findings, sink, now)
        if findings_out is not None:
            findings_out[name] = findings
    return results


def evaluate(
    engine: Engine, name: str, config: Any, now: datetime, context: MonitorContext | None = None
) -> list[Finding]:
    """What a rule would find at `now`, without recording anything (dry run)."""
    with Session(engine) as session:
        return RULES[config.type](name, config, StoreView(session, context), now)
