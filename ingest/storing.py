"""What a batch writes to the store: messages (upserted by natural key, given a customer
and a thread), the item ledger, quarantined items and the source's cursors.

ingest.runner calls these inside the one transaction it opens per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col

from commwatch.store import (
    Message,
    MessageRevision,
    QuarantineItem,
    SourceItem,
    SyncState,
    insert_ignore,
    utcnow,
)
from ingest.base import ParsedMessage, RawItem
from ingest.crosschannel import conversation_customers
from ingest.customers import CustomerResolver, Match
from ingest.rows import SqliteRows
from ingest.threads import NewMessage, assign_threads


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


def load_cursors(session: Session, source: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(SyncState).where(col(SyncState.source) == source))
    return {row.partition: dict(row.cursor) for row in rows}


def save_cursor(session: Session, source: str, partition: str, cursor: dict[str, Any]) -> None:
    row = session.scalars(
        select(SyncState).where(
            col(SyncState.source) == source, col(SyncState.partition) == partition
        )
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
            col(QuarantineItem.source) == source, col(QuarantineItem.item_key) == item.key
        )
    ).one()
    existing.attempts += 1
    existing.reason = reason
    existing.updated_at = now
    session.add(existing)
    return existing.id or 0


Stored = Literal["new", "duplicate", "revised"]


def store_messages(
    session: Session,
    source: str,
    entries: list[tuple[ParsedMessage, str]],
    directions: Directions,
    resolver: CustomerResolver,
) -> list[tuple[int, Stored]]:
    """Upsert messages by natural key and thread the new ones, a batch at a time.

    Returns (message id, "new", "duplicate" or "revised") per entry, in order. Two messages
    of one batch with the same natural key are one message; a key another process stores at
    the same moment is skipped by ON CONFLICT and counted as a duplicate. A known message met
    again with other text is an edit (see `_revise`), and so is an edited text in the slot
    of a known message (`edit_key`, see `_counterparts`): two versions of one slot in one
    batch (two exports of a chat read together) are stored one after the other.
    """
    rounds = _rounds(entries)
    result: list[tuple[int, Stored]] = [(0, "duplicate")] * len(entries)
    for n in sorted(set(rounds)):  # almost always one round: the whole batch
        at = [i for i, r in enumerate(rounds) if r == n]
        stored = _store(session, source, [entries[i] for i in at], directions, resolver)
        for i, outcome in zip(at, stored, strict=True):
            result[i] = outcome
    return result


def _rounds(entries: list[tuple[ParsedMessage, str]]) -> list[int]:
    """Per entry, the round it is stored in: the n-th distinct text met in one slot goes
    in round n, so each version finds the one before it stored."""
    texts: dict[str, list[str]] = {}
    rounds = []
    for parsed, _ref in entries:
        if parsed.edit_key is None:
            rounds.append(0)
            continue
        seen = texts.setdefault(parsed.edit_key, [])
        if parsed.natural_key not in seen:
            seen.append(parsed.natural_key)
        rounds.append(seen.index(parsed.natural_key))
    return rounds


def _store(
    session: Session,
    source: str,
    entries: list[tuple[ParsedMessage, str]],
    directions: Directions,
    resolver: CustomerResolver,
) -> list[tuple[int, Stored]]:
    now = utcnow()
    kinds = [p.direction or directions.of(p.sender, p.recipients) for p, _ref in entries]
    matches = resolver.resolve_many(
        [
            (
                [p.sender] if kind == "inbound"
                else [r for r in p.recipients if not directions.is_ours(r)],
                f"{p.subject}\n{p.new_text}",
            )
            for (p, _ref), kind in zip(entries, kinds, strict=True)
        ]
    )
    if any(p.conversation is not None for p, _ref in entries):
        matches = conversation_customers(session, [p for p, _ref in entries], matches)
    keys = list({p.natural_key for p, _ref in entries})
    ids: dict[str, int] = {
        key: message_id
        for key, message_id in session.execute(
            select(col(Message.natural_key), col(Message.id)).where(
                col(Message.natural_key).in_(keys)
            )
        )
    }
    counterparts = _counterparts(session, entries, ids)
    ids.update((key, message.id or 0) for key, message in counterparts.items())
    known = set(ids)
    pending: dict[str, tuple[ParsedMessage, str, Match]] = {}
    rows = []
    for (parsed, ref), kind, match in zip(entries, kinds, matches, strict=True):
        if parsed.natural_key in ids or parsed.natural_key in pending:
            continue
        pending[parsed.natural_key] = (parsed, kind, match)
        rows.append(_message_row(source, parsed, ref, kind, match, now))
    if rows:
        # One statement for the batch; a key another process stored since the look-up
        # above is skipped by ON CONFLICT and counted as a duplicate.
        dialect = session.get_bind().dialect
        inserted: Sequence[Sequence[Any]]
        if dialect.name == "sqlite":
            inserted = _sqlite_messages(dialect).insert(session, rows)
        else:
            inserted = session.execute(
                _insert_messages(dialect.name),
                [dict(zip(_MESSAGE_COLUMNS, row, strict=True)) for row in rows]).all()
        ids.update((key, new_id) for new_id, key in inserted)
    fresh: list[NewMessage] = []
    for key, (parsed, kind, match) in pending.items():
        if key in ids:
            fresh.append(NewMessage(ids[key], parsed, kind, match.customer_id))
        else:
            known.add(key)
            ids[key] = session.execute(
                select(col(Message.id)).where(col(Message.natural_key) == key)
            ).scalar_one()
    if fresh:
        assign_threads(session, fresh)
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql(
                "UPDATE messages SET thread_id = ? WHERE id = ?",
                [(m.thread_id, m.id) for m in fresh])
        else:
            session.execute(
                _set_thread(), [{"b_id": m.id, "b_thread": m.thread_id} for m in fresh])
    first_seen: set[str] = set()
    again: list[tuple[ParsedMessage, str]] = []
    news: list[bool] = []
    for parsed, ref in entries:
        new = parsed.natural_key not in known and parsed.natural_key not in first_seen
        first_seen.add(parsed.natural_key)
        news.append(new)
        if not new:
            again.append((parsed, ref))
    revised = _revise(session, again, counterparts) if again else set()
    return [
        (ids[p.natural_key],
         "new" if new else "revised" if p.natural_key in revised else "duplicate")
        for (p, _ref), new in zip(entries, news, strict=True)
    ]


def _text_hash(body_text: str, new_text: str) -> str:
    return hashlib.sha256(f"{body_text}\x1f{new_text}".encode()).hexdigest()


def _counterparts(
    session: Session, entries: list[tuple[ParsedMessage, str]], ids: dict[str, int]
) -> dict[str, Message]:
    """For new natural keys in a known message's slot, that message, when one side or the
    other is marked as edited: an edit changed the text the key is made of. Two unmarked
    texts in one slot stay two messages (a line deleted from the phone shifts the slots
    after it), so a message is never merged into another on the slot alone."""
    slots = {p.edit_key for p, _ref in entries
             if p.edit_key is not None and p.natural_key not in ids}
    if not slots:
        return {}
    by_slot: dict[str, list[Message]] = {}
    for message in session.scalars(select(Message).where(
            col(Message.edit_key).in_(list(slots))).order_by(col(Message.id))):
        by_slot.setdefault(message.edit_key or "", []).append(message)
    found: dict[str, Message] = {}
    for parsed, _ref in entries:
        candidates = by_slot.get(parsed.edit_key or "", [])
        if parsed.natural_key in ids or not candidates:
            continue
        edited = [m for m in candidates if m.edited]
        if parsed.edited or edited:
            found[parsed.natural_key] = candidates[0] if parsed.edited else edited[0]
    return found


def _revise(
    session: Session, entries: list[tuple[ParsedMessage, str]],
    counterparts: dict[str, Message] | None = None,
) -> set[str]:
    """Edits: messages met again with another text. Returns the keys whose text changed.

    Only messages with an edit time at the source (Slack, Teams, imports with an `edited_at`
    column) take part, on either side, and messages met in their slot with another text
    (WhatsApp, see `_counterparts`): an e-mail met twice is the same e-mail. The latest
    edit is the message's text; every other version is kept in `message_revisions`, whatever
    order the exports come in. Without edit times, an edited text is newer than an unmarked
    one, and of two edited texts the one read last wins. A changed text is tagged again (its
    signals replaced, its promise updated) by the next tagging run.
    """
    counterparts = counterparts or {}
    keys = list({p.natural_key for p, _ref in entries})
    edited = [p.natural_key for p, _ref in entries if p.edited_at is not None]
    # Only messages with an edit time on one side or the other are read back.
    stored = {
        m.natural_key: m
        for m in session.scalars(select(Message).where(
            col(Message.natural_key).in_(keys),
            col(Message.edited_at).is_not(None) | col(Message.natural_key).in_(edited),
        ))
    }
    changed: set[str] = set()
    # The oldest version first, so a batch holding several edits ends on the newest.
    for parsed, ref in sorted(entries, key=lambda e: _edit_order(e[0].edited_at)):
        slotted = counterparts.get(parsed.natural_key)
        message = slotted or stored.get(parsed.natural_key)
        if message is None or (
                slotted is None and parsed.edited_at is None and message.edited_at is None):
            continue
        if slotted is not None:
            newer = parsed.edited
        else:
            newer = _edit_order(parsed.edited_at) > _edit_order(message.edited_at)
        if (parsed.body_text, parsed.new_text) == (message.body_text, message.new_text):
            if newer:  # edited back to the same words (or first seen edited): no new text
                message.edited_at, message.edited = parsed.edited_at, True
                session.add(message)
            continue
        if newer:
            _keep_revision(session, message.id or 0, message.body_text, message.new_text,
                           message.edited_at, message.edited, message.raw_ref)
            message.body_text, message.new_text = parsed.body_text, parsed.new_text
            message.edited_at, message.raw_ref = parsed.edited_at, ref[:1024]
            message.edited = True
            message.tagged_version = None
            session.add(message)
            changed.add(parsed.natural_key)
        else:  # an older version, read after a newer one: kept, not shown as current
            _keep_revision(session, message.id or 0, parsed.body_text, parsed.new_text,
                           parsed.edited_at, parsed.edited or parsed.edited_at is not None,
                           ref)
    session.flush()
    return changed


def _edit_order(edited_at: datetime | None) -> float:
    """The text as first written (no edit time) comes before any edit."""
    return float("-inf") if edited_at is None else edited_at.timestamp()


def _keep_revision(
    session: Session, message_id: int, body_text: str, new_text: str,
    edited_at: datetime | None, edited: bool, ref: str,
) -> None:
    insert_ignore(
        session,
        MessageRevision,
        {"message_id": message_id, "body_text": body_text, "new_text": new_text,
         "edited_at": edited_at, "edited": edited, "text_hash": _text_hash(body_text, new_text),
         "raw_ref": ref[:1024], "recorded_at": utcnow()},
        ["message_id", "text_hash"],
    )


@lru_cache(maxsize=2)
def _insert_messages(dialect: str) -> Any:
    table = Message.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["natural_key"])
        .returning(table.c.id, table.c.natural_key)
    )


@lru_cache(maxsize=1)
def _set_thread() -> Any:
    table = Message.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(thread_id=bindparam("b_thread"))
    )


def _offset_minutes(when: datetime) -> int | None:
    offset = when.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


_MESSAGE_COLUMNS = (
    "natural_key", "source", "channel", "direction", "sender", "sender_name", "recipients",
    "sent_at", "sent_utc_offset", "subject", "body_text", "new_text", "header_message_id",
    "in_reply_to", "references", "attachments", "automatic", "raw_ref", "customer_id",
    "customer_match", "edited_at", "edited", "edit_key", "ingested_at",
)


@lru_cache(maxsize=4)
def _sqlite_messages(dialect: Dialect) -> SqliteRows:
    return SqliteRows(
        Message.__table__,  # type: ignore[attr-defined]
        _MESSAGE_COLUMNS,
        dialect,
        conflict=["natural_key"],
        returning=["id", "natural_key"],
    )


def _message_row(
    source: str, parsed: ParsedMessage, ref: str, direction: str, match: Match, now: datetime
) -> tuple[Any, ...]:
    """The message's values in the order of _MESSAGE_COLUMNS."""
    return (
        parsed.natural_key,
        source,
        parsed.channel,
        direction,
        parsed.sender[:320],
        parsed.sender_name[:200],
        parsed.recipients,
        parsed.sent_at,
        _offset_minutes(parsed.sent_at),
        parsed.subject,
        parsed.body_text,
        parsed.new_text,
        parsed.header_message_id or None,
        parsed.in_reply_to,
        parsed.references,
        parsed.attachments,
        parsed.automatic,
        ref[:1024],
        match.customer_id,
        match.how,
        parsed.edited_at,
        parsed.edited or parsed.edited_at is not None,
        parsed.edit_key,
        now,
    )


def record_items(
    session: Session, source: str, items: list[tuple[str, int | None, int | None]]
) -> None:
    """Ledger rows (key, message id, quarantine id) in one statement."""
    if not items:
        return
    now = utcnow()
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        _sqlite_ledger(dialect).insert(
            session,
            [(source, key, message_id, quarantine_id, now)
             for key, message_id, quarantine_id in items],
        )
        return
    session.execute(
        _insert_ledger(dialect.name),
        [
            {"source": source, "item_key": key, "message_id": message_id,
             "quarantine_id": quarantine_id, "seen_at": now}
            for key, message_id, quarantine_id in items
        ],
    )


@lru_cache(maxsize=4)
def _sqlite_ledger(dialect: Dialect) -> SqliteRows:
    return SqliteRows(
        SourceItem.__table__,  # type: ignore[attr-defined]
        ("source", "item_key", "message_id", "quarantine_id", "seen_at"),
        dialect,
        conflict=["source", "item_key"],
    )


@lru_cache(maxsize=2)
def _insert_ledger(dialect: str) -> Any:
    table = SourceItem.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=["source", "item_key"])
