"""Runs one source: items to messages, quarantine, ledger and cursor in one transaction."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import (
    Message,
    QuarantineItem,
    SourceItem,
    SyncState,
    insert_ignore,
    session_scope,
    utcnow,
)
from ingest.base import BadRecord, Batch, Connector, ParsedMessage, RawItem
from ingest.customers import CustomerResolver
from ingest.threads import attach_to_thread

log = logging.getLogger(__name__)


@dataclass
class Directions:
    """Tells our own people from customers."""

    own_domains: list[str]
    team_addresses: list[str] = field(default_factory=list)

    def is_ours(self, address: str) -> bool:
        address = address.lower()
        if address in self.team_addresses:
            return True
        domain = address.rsplit("@", 1)[-1]
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains)

    def of(self, sender: str, recipients: list[str]) -> str:
        if not self.is_ours(sender):
            return "inbound"
        if recipients and all(self.is_ours(r) for r in recipients):
            return "internal"
        return "outbound"


@dataclass
class IngestReport:
    source: str
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped_known: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


def _cursors(session: Session, source: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(SyncState).where(SyncState.source == source))
    return {row.partition: dict(row.cursor) for row in rows}


def _save_cursor(session: Session, source: str, partition: str, cursor: dict[str, Any]) -> None:
    row = session.scalars(
        select(SyncState).where(SyncState.source == source, SyncState.partition == partition)
    ).first()
    if row is None:
        insert_ignore(
            session,
            SyncState,
            {"source": source, "partition": partition, "cursor": cursor, "updated_at": utcnow()},
            ["source", "partition"],
        )
    else:
        row.cursor = cursor
        row.updated_at = utcnow()
        session.add(row)


def quarantine(session: Session, source: str, item: RawItem, data: bytes, reason: str) -> int:
    """Keep an unparseable item with its raw bytes and reason; returns the quarantine id."""
    now = utcnow()
    new_id = insert_ignore(
        session,
        QuarantineItem,
        {
            "source": source,
            "item_key": item.key,
            "reason": reason,
            "raw": data,
            "status": "held",
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
        },
        ["source", "item_key"],
    )
    if new_id is not None:
        return new_id
    existing = session.scalars(
        select(QuarantineItem).where(
            QuarantineItem.source == source, QuarantineItem.item_key == item.key
        )
    ).one()
    existing.attempts += 1
    existing.reason = reason
    existing.updated_at = now
    session.add(existing)
    return existing.id or 0


def store_message(
    session: Session,
    source: str,
    parsed: ParsedMessage,
    ref: str,
    directions: Directions,
    resolver: CustomerResolver,
) -> tuple[int, bool]:
    """Upsert one message by natural key; returns (message id, whether it was new)."""
    direction = directions.of(parsed.sender, parsed.recipients)
    counterparties = (
        [parsed.sender]
        if direction == "inbound"
        else [r for r in parsed.recipients if not directions.is_ours(r)]
    )
    match = resolver.resolve(counterparties, f"{parsed.subject}\n{parsed.new_text}")
    values = {
        "natural_key": parsed.natural_key,
        "source": source,
        "channel": parsed.channel,
        "direction": direction,
        "sender": parsed.sender[:320],
        "sender_name": parsed.sender_name[:200],
        "recipients": parsed.recipients,
        "sent_at": parsed.sent_at,
        "subject": parsed.subject,
        "body_text": parsed.body_text,
        "new_text": parsed.new_text,
        "header_message_id": (parsed.header_message_id or None),
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "attachments": parsed.attachments,
        "automatic": parsed.automatic,
        "raw_ref": ref[:1024],
        "customer_id": match.customer_id,
        "customer_match": match.how,
        "ingested_at": utcnow(),
    }
    new_id = insert_ignore(session, Message, values, ["natural_key"])
    if new_id is None:
        existing = session.execute(
            select(Message.id).where(Message.natural_key == parsed.natural_key)
        ).scalar_one()
        return int(existing), False
    message = session.get(Message, new_id)
    assert message is not None
    attach_to_thread(session, message, parsed, match.customer_id)
    return new_id, True


def _store_batch(
    session: Session,
    connector: Connector,
    batch: Batch,
    directions: Directions,
    report: IngestReport,
) -> None:
    source = connector.name
    keys = [item.key for item in batch.items]
    known = set(
        session.scalars(
            select(SourceItem.item_key).where(
                SourceItem.source == source,
                SourceItem.item_key.in_(keys),  # type: ignore[attr-defined]
            )
        )
    )
    resolver = CustomerResolver(session)
    for item in batch.items:
        report.seen += 1
        if item.key in known:
            report.skipped_known += 1
            continue
        known.add(item.key)
        message_id = quarantine_id = None
        data = item.read()
        try:
            parsed = connector.parse(item, data)
        except BadRecord as exc:
            quarantine_id = quarantine(session, source, item, data, str(exc))
            report.quarantined += 1
            log.warning("quarantined %s item %s: %s", source, item.ref, exc)
        except Exception as exc:  # noqa: BLE001 - a parser bug must cost one item, not the source
            reason = f"parser failed: {type(exc).__name__}: {exc}"
            quarantine_id = quarantine(session, source, item, data, reason)
            report.quarantined += 1
            log.error("quarantined %s item %s: %s\n%s", source, item.ref, reason,
                      traceback.format_exc(limit=3))
        else:
            message_id, new = store_message(
                session, source, parsed, item.ref, directions, resolver
            )
            if new:
                report.stored += 1
            else:
                report.duplicates += 1
        insert_ignore(
            session,
            SourceItem,
            {
                "source": source,
                "item_key": item.key,
                "message_id": message_id,
                "quarantine_id": quarantine_id,
                "seen_at": utcnow(),
            },
            ["source", "item_key"],
        )
    _save_cursor(session, source, batch.partition, batch.cursor)


def run_source(
    engine: Engine,
    connector: Connector,
    directions: Directions,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Fetch everything new from one source and store it; one transaction per batch."""
    report = IngestReport(connector.name)
    with Session(engine) as session:
        cursors = _cursors(session, connector.name)
    # closing(): a failed batch ends the fetch at once (an IMAP session is logged out).
    with closing(connector.fetch(cursors)) as batches:  # type: ignore[type-var]
        for batch in batches:
            with session_scope(engine) as session:
                _store_batch(session, connector, batch, directions, report)
            if progress is not None:
                progress(len(batch.items))
    return report
