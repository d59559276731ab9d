"""Tagging stored messages: new ones as they arrive, and re-tagging with a new pipeline.

A message's signals are replaced as a set in one transaction with its `tagged_version`:
a tag still found keeps its row (and its id, which promises and alerts refer to) with the
new evidence, score and version; a tag no longer found is deleted; a new one is added. So
re-tagging never duplicates a signal, and a crash leaves each message either fully old or
fully new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, delete, select, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from commwatch.store import (
    Customer,
    DisputeRecord,
    Message,
    PromiseRecord,
    Signal,
    session_scope,
    utcnow,
)
from nlp.pipeline import Tagger, Tagging


def local_sent_at(message: Message) -> datetime | None:
    """When the message was sent, in the sender's own offset where it is known."""
    if message.sent_at is None:
        return None
    if message.sent_utc_offset is None:
        return message.sent_at
    return message.sent_at.astimezone(timezone(timedelta(minutes=message.sent_utc_offset)))


def tag_pending(engine: Engine, tagger: Tagger, batch_size: int = 256) -> dict[str, int]:
    """Tag every message not yet tagged; one transaction per batch. Returns counts."""
    return _tag_where(engine, tagger, Message.tagged_version.is_(None), batch_size)  # type: ignore[union-attr]


def retag(
    engine: Engine,
    tagger: Tagger,
    since: datetime | None = None,
    *,
    force: bool = False,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Re-tag messages sent since `since` (all when None) whose signals come from another
    pipeline version (or every one with `force`)."""
    where: ColumnElement[bool] = true()
    if since is not None:
        where = where & (Message.sent_at >= since)  # type: ignore[operator]
    if not force:
        where = where & (
            Message.tagged_version.is_(None)  # type: ignore[union-attr]
            | (Message.tagged_version != tagger.version)
        )
    return _tag_where(engine, tagger, where, batch_size, progress)


def _tag_where(
    engine: Engine,
    tagger: Tagger,
    where: Any,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    counts = {"tagged": 0, "signals": 0, "added": 0, "updated": 0, "removed": 0}
    last_id = 0
    while True:
        with session_scope(engine) as session:
            batch = list(
                session.scalars(
                    select(Message)
                    .where(where, col(Message.id) > last_id)
                    .order_by(col(Message.id))
                    .limit(batch_size)
                )
            )
            if not batch:
                break
            last_id = batch[-1].id or last_id
            results = tagger.tag(
                [m.new_text for m in batch],
                [m.direction for m in batch],
                [local_sent_at(m) for m in batch],
                batch_size,
                channels=[m.channel for m in batch],
                currencies=_account_currencies(session, batch),
                threads=[_thread_of(m) for m in batch],
            )
            _replace_signals(session, batch, results, counts)
            counts["tagged"] += len(batch)
        if progress is not None:
            progress(len(batch))
    return counts


def _thread_of(message: Message) -> str:
    """What follows the new text in the stored body: the quoted history it answers."""
    body, new = message.body_text, message.new_text
    return body[len(new):] if new and body.startswith(new) else ""


def _account_currencies(session: Session, batch: list[Message]) -> list[str | None]:
    """Each message's customer's account currency (None where no customer is known)."""
    ids = {m.customer_id for m in batch if m.customer_id is not None}
    currency: dict[int | None, str] = {}
    if ids:
        rows = session.execute(
            select(col(Customer.id), col(Customer.currency)).where(col(Customer.id).in_(ids)))
        currency = {row[0]: row[1] for row in rows}
    return [currency.get(m.customer_id) if m.customer_id is not None else None for m in batch]


def _replace_signals(
    session: Session, batch: list[Message], results: list[Tagging], counts: dict[str, int]
) -> None:
    ids = [m.id for m in batch]
    existing: dict[tuple[int, str], Signal] = {
        (s.message_id, s.tag): s
        for s in session.scalars(select(Signal).where(col(Signal.message_id).in_(ids)))
    }
    now = utcnow()
    keep: set[int] = set()
    for message, result in zip(batch, results, strict=True):
        for label in result.labels:
            spans = [e for e in result.evidence if e.label == label]
            fields: dict[str, Any] = {
                "start": spans[0].start,
                "end": spans[0].end,
                "evidence_text": spans[0].text,
                "evidence": [{**e.as_json(), "rule": e.rule} for e in spans],
                "confidence": result.scores[label],
                "values": {**result.values.get(label, {}), "tone": result.tone},
                "pipeline_version": result.version,
            }
            signal = existing.get((message.id or 0, label))
            if signal is None:
                signal = Signal(message_id=message.id or 0, tag=label, created_at=now, **fields)
                counts["added"] += 1
            else:
                for key, value in fields.items():
                    setattr(signal, key, value)
                counts["updated"] += 1
                keep.add(signal.id or 0)
            session.add(signal)
            counts["signals"] += 1
        message.tagged_version = result.version
        session.add(message)
    stale = [s.id for s in existing.values() if s.id not in keep]
    if stale:
        # What was built on a signal that no longer holds is kept for the record, unlinked:
        # an open promise is cancelled, a settled one keeps its outcome.
        for model in (PromiseRecord, DisputeRecord):
            session.execute(
                update(model).where(col(model.signal_id).in_(stale), col(model.status) == "open")
                .values(status="cancelled")
            )
            session.execute(
                update(model).where(col(model.signal_id).in_(stale)).values(signal_id=None)
            )
        session.execute(delete(Signal).where(col(Signal.id).in_(stale)))
        counts["removed"] += len(stale)
