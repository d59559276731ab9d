"""Building alerts the way the monitor does, for notifier tests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from commwatch.store import CreditSnapshot, Customer, Message, Signal, Thread, session_scope
from monitor import Finding, record_findings
from monitor.runner import AlertSink


def customer(engine: Engine, external_id: str, owner_email: str | None, **extra: Any) -> int:
    with session_scope(engine) as session:
        row = Customer(external_id=external_id, name=extra.pop("name", f"Customer {external_id}"),
                       owner=extra.pop("owner", None), owner_email=owner_email,
                       credit_limit=extra.pop("credit_limit", Decimal("50000")), **extra)
        session.add(row)
        session.flush()
        return row.id or 0


def snapshot(engine: Engine, customer_id: int, on: date, **figures: Any) -> None:
    with session_scope(engine) as session:
        session.add(CreditSnapshot(customer_id=customer_id, taken_on=on, **figures))


def message(engine: Engine, customer_id: int | None, text: str, sent_at: datetime,
            spans: list[tuple[str, str]] = (), subject: str = "Invoice query",  # type: ignore[assignment]
            key: str | None = None) -> tuple[int, int]:
    """A tagged inbound message in its own thread; `spans` are (tag, words in the text)."""
    with session_scope(engine) as session:
        thread = Thread(channel="email", customer_id=customer_id, subject=subject,
                        state="awaiting_us")
        session.add(thread)
        session.flush()
        row = Message(natural_key=key or f"m-{thread.id}", source="test", channel="email",
                      direction="inbound", sender="ap@customer.example",
                      sender_name="Jan Novak", sent_at=sent_at, subject=subject, body_text=text,
                      new_text=text, thread_id=thread.id, customer_id=customer_id)
        session.add(row)
        session.flush()
        for tag, words in spans:
            start = text.index(words)
            session.add(Signal(message_id=row.id or 0, tag=tag, start=start,
                               end=start + len(words), evidence_text=words,
                               evidence=[{"start": start, "end": start + len(words),
                                          "rule": "lexicon:" + tag}],
                               confidence=0.93, pipeline_version="test"))
        return thread.id or 0, row.id or 0


def finding(subject: str, customer_id: int | None = None, severity: str = "warning",
            rule: str = "unanswered", thread_id: int | None = None,
            message_id: int | None = None, **details: Any) -> Finding:
    return Finding(rule=rule, subject=subject, severity=severity,
                   title=f"Unanswered for 9h: Customer — {subject}",
                   summary=f"Jan Novak wrote about {subject} and nobody has replied.",
                   customer_id=customer_id, thread_id=thread_id, message_id=message_id,
                   details={"excerpt": f"about {subject}", **details})


def record(engine: Engine, sink: AlertSink, findings: list[Finding], now: datetime,
           rule: str = "unanswered") -> dict[str, int]:
    with session_scope(engine) as session:
        return record_findings(session, rule, findings, sink, now)
