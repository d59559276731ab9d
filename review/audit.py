"""The audit log: append-only, hash-chained, verifiable and exportable.

Each entry's hash is SHA-256 over the canonical JSON of its fields (id included) and the
previous entry's hash. Ids are assigned here, one more than the last, under a lock, so a
rolled-back transaction leaves no gap and any gap means a deletion.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from commwatch.store import AuditEntry, utcnow

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "commwatch audit" in a 63-bit number, fixed forever.
_PG_LOCK_KEY = 0x636F6D6D61756469
EXPORT_FIELDS = ("id", "at", "actor", "action", "target_type", "target_id", "details",
                 "prev_hash", "entry_hash")


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes for the same data everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _stamp(when: datetime) -> str:
    # Microseconds are what both backends keep; more would not survive the round trip.
    return when.isoformat(timespec="microseconds")


def entry_hash(entry_id: int, at: datetime, actor: str, action: str, target_type: str,
               target_id: str, details: str, prev_hash: str) -> str:
    body = canonical({"id": entry_id, "at": _stamp(at), "actor": actor, "action": action,
                      "target_type": target_type, "target_id": target_id,
                      "details": details, "prev": prev_hash})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock(session: Session) -> None:
    """Serialise appenders until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # SQLite has one writer at a time; a write statement takes that lock now, before
        # the last entry is read, so no other appender can read the same one.
        session.execute(update(AuditEntry).where(col(AuditEntry.id) == -1).values(actor=""))


def append(
    session: Session,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction: it commits with the change it records."""
    _lock(session)
    last = session.execute(
        select(col(AuditEntry.id), col(AuditEntry.entry_hash))
        .order_by(col(AuditEntry.id).desc()).limit(1)
    ).first()
    entry_id = 1 if last is None else int(last[0]) + 1
    prev = GENESIS if last is None else str(last[1])
    when = (at or utcnow()).astimezone(UTC)
    body = canonical(details or {})
    row = AuditEntry(
        id=entry_id, at=when, actor=actor, action=action, target_type=target_type,
        target_id=str(target_id), details=body, prev_hash=prev,
        entry_hash=entry_hash(entry_id, when, actor, action, target_type, str(target_id),
                              body, prev),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    head: str
    problem: str = ""
    bad_id: int | None = None


def _entries(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = list(session.scalars(
            select(AuditEntry).where(col(AuditEntry.id) > after)
            .order_by(col(AuditEntry.id)).limit(batch)
        ))
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def verify(session: Session, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain. The first entry that was edited, is missing, or is out of place is
    reported. `anchor` (id, hash), noted earlier, also catches entries cut from the end."""
    prev, expected_id, count = GENESIS, 1, 0
    anchored = anchor is None
    for row in _entries(session):
        if row.id != expected_id:
            return Verdict(False, count, prev, f"entry {expected_id} is missing (next is "
                           f"{row.id}): deleted", expected_id)
        if row.prev_hash != prev:
            return Verdict(False, count, prev, f"entry {row.id} does not follow entry "
                           f"{row.id - 1}: the chain was rewritten or reordered", row.id)
        digest = entry_hash(row.id, row.at, row.actor, row.action, row.target_type,
                            row.target_id, row.details, row.prev_hash)
        if digest != row.entry_hash:
            return Verdict(False, count, prev, f"entry {row.id} was edited: its content does "
                           "not match its hash", row.id)
        if anchor is not None and row.id == anchor[0]:
            if row.entry_hash != anchor[1]:
                return Verdict(False, count, prev, f"entry {row.id} is not the entry anchored "
                               "earlier: the log was rebuilt", row.id)
            anchored = True
        prev, expected_id, count = row.entry_hash, expected_id + 1, count + 1
    if not anchored:
        assert anchor is not None
        return Verdict(False, count, prev, f"anchored entry {anchor[0]} is gone: entries were "
                       "cut from the end", anchor[0])
    return Verdict(True, count, prev)


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    for row in _entries(session):
        yield {"id": row.id, "at": _stamp(row.at), "actor": row.actor, "action": row.action,
               "target_type": row.target_type, "target_id": row.target_id,
               "details": row.details, "prev_hash": row.prev_hash,
               "entry_hash": row.entry_hash}


def to_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow({k: (f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v)
                         for k, v in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def to_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one entry a line, streamed."""
    yield "["
    for i, row in enumerate(rows):
        yield ("\n" if i == 0 else ",\n") + canonical(row)
    yield "\n]\n"
