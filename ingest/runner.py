"""Runs one source: items to messages, quarantine, ledger and cursor in one transaction.

Here is the driving: which items are new, parsing (a batch ahead, in the workers, for
read-ahead sources), one transaction per batch, the report; and quarantined items parsed
again. What a batch writes to the store is ingest.storing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import QuarantineItem, SourceItem, session_scope, utcnow
from ingest.base import Batch, Connector, ParsedMessage, RawItem
from ingest.customers import CustomerResolver
from ingest.parsepool import BatchParser, parse_or_reason, read_ahead_tuning
from ingest.storing import (
    Directions,
    load_cursors,
    quarantine,
    record_items,
    save_cursor,
    store_messages,
)

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    source: str
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    revised: int = 0
    quarantined: int = 0
    skipped_known: int = 0
    skipped_old: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "stored": self.stored,
            "duplicates": self.duplicates,
            **({"edited": self.revised} if self.revised else {}),
            "quarantined": self.quarantined,
            **({"skipped_before_since": self.skipped_old} if self.skipped_old else {}),
        }


@dataclass
class _Parsing:
    """A batch whose unseen items are being parsed (in a helper thread, by the workers)."""

    batch: Batch
    todo: list[tuple[RawItem, bytes]]
    outcomes: Future[list[ParsedMessage | str]]


def _unseen(
    engine: Engine, source: str, batch: Batch, report: IngestReport, also_seen: set[str]
) -> list[tuple[RawItem, bytes]]:
    """The batch's items not in the ledger (nor in `also_seen`), with their bytes."""
    keys = [item.key for item in batch.items]
    with Session(engine) as session:
        known = set(
            session.scalars(
                select(col(SourceItem.item_key)).where(
                    col(SourceItem.source) == source,
                    col(SourceItem.item_key).in_(keys),
                )
            )
        )
    known |= also_seen
    todo: list[tuple[RawItem, bytes]] = []
    for item in batch.items:
        report.seen += 1
        if item.key in known:
            report.skipped_known += 1
            continue
        known.add(item.key)
        todo.append((item, item.read()))
    return todo


def _store_batch(
    session: Session,
    source: str,
    parsing: _Parsing,
    directions: Directions,
    report: IngestReport,
    since: datetime | None = None,
) -> None:
    todo, batch = parsing.todo, parsing.batch
    resolver = CustomerResolver(session)
    ledger: dict[str, tuple[int | None, int | None]] = {}  # key -> (message, quarantine)
    to_store: list[tuple[RawItem, ParsedMessage]] = []
    for (item, data), parsed in zip(todo, parsing.outcomes.result(), strict=True):
        if isinstance(parsed, str):
            ledger[item.key] = (None, quarantine(session, source, item, data, parsed))
            report.quarantined += 1
        elif since is not None and parsed.sent_at < since:
            # A backfill from --since: older items are recorded as seen, never stored.
            report.skipped_old += 1
            ledger[item.key] = (None, None)
        else:
            to_store.append((item, parsed))
    stored = store_messages(
        session, source, [(p, item.ref) for item, p in to_store], directions, resolver
    )
    for (item, _parsed), (message_id, status) in zip(to_store, stored, strict=True):
        if status == "new":
            report.stored += 1
        elif status == "revised":
            report.revised += 1
        else:
            report.duplicates += 1
        ledger[item.key] = (message_id, None)
    record_items(session, source, [(item.key, *ledger[item.key]) for item, _data in todo])
    save_cursor(session, source, batch.partition, batch.cursor)



def run_source(
    engine: Engine,
    connector: Connector,
    directions: Directions,
    progress: Callable[[int], None] | None = None,
    since: datetime | None = None,
    parse_workers: int | None = None,
) -> IngestReport:
    """Fetch everything new from one source and store it; one transaction per batch.

    With `since`, items sent before it are marked seen without being stored (a backfill that
    starts at a date). Large batches are parsed in `parse_workers` processes (default: one
    per core, none on a single core) when the connector offers parse jobs."""
    report = IngestReport(connector.name)
    with Session(engine) as session:
        cursors = load_cursors(session, connector.name)
    source = connector.name
    read_ahead = bool(getattr(connector, "read_ahead", False))

    def commit(parsing: _Parsing) -> None:
        with session_scope(engine) as session:
            _store_batch(session, source, parsing, directions, report, since)
        if progress is not None:
            progress(len(parsing.batch.items))

    # closing(): a failed batch ends the fetch at once (an IMAP session is logged out). The
    # parse thread is shut down (waiting for a parse under way) before the workers stop.
    with (
        BatchParser(connector, parse_workers) as parser,
        closing(connector.fetch(cursors)) as batches,  # type: ignore[type-var]
        ThreadPoolExecutor(1, thread_name_prefix=f"parse {source}") as parse_thread,
        ExitStack() as threads,
    ):
        # With `read_ahead`, batch k+1 is taken and parsed while batch k is stored: the
        # workers parse as the main process stores. Otherwise each batch is committed
        # before the next is asked for (the connector may act on it then), and so is a
        # batch parsed here, which has nothing to overlap with (the IDLE path: asking for
        # the next batch may mean logging out, and the new message waits for that).
        pending: _Parsing | None = None
        tuned = False  # switch interval and collector (see parsepool.read_ahead_tuning)
        iterator = iter(batches)
        while True:
            try:
                batch = next(iterator)
            except StopIteration:
                break
            except Exception:
                if pending is not None:  # the source failed: keep what is already in hand
                    commit(pending)
                raise
            in_hand = {item.key for item, _data in pending.todo} if pending else set()
            todo = _unseen(engine, source, batch, report, in_hand)
            if read_ahead and parser.offloads(len(todo)):
                if not tuned:
                    threads.enter_context(read_ahead_tuning.applied())
                    tuned = True
                parsing = _Parsing(batch, todo, parse_thread.submit(parser.parse, todo))
                if pending is not None:
                    commit(pending)
                pending = parsing
                continue
            if pending is not None:
                commit(pending)
                pending = None
            parsed: Future[list[ParsedMessage | str]] = Future()
            parsed.set_result(parser.parse(todo))
            commit(_Parsing(batch, todo, parsed))
        if pending is not None:
            commit(pending)
    return report


def _returns(raw: bytes) -> Callable[[], bytes]:
    return lambda: raw


@dataclass
class RetryReport:
    released: int = 0
    still_bad: int = 0
    skipped: list[str] = field(default_factory=list)


def retry_quarantined(
    engine: Engine,
    connectors: dict[str, Connector],
    directions: Directions,
    ids: list[int] | None = None,
) -> RetryReport:
    """Parse held items again (after a parser fix); those that now parse are stored."""
    report = RetryReport()
    with session_scope(engine) as session:
        query = select(QuarantineItem).where(col(QuarantineItem.status) == "held")
        if ids:
            query = query.where(col(QuarantineItem.id).in_(ids))
        held = list(session.scalars(query.order_by(col(QuarantineItem.id))))
        resolver = CustomerResolver(session)
        for row in held:
            connector = connectors.get(row.source)
            if connector is None:
                report.skipped.append(f"#{row.id}: source {row.source!r} is not configured")
                continue
            raw = bytes(row.raw)
            item = RawItem(key=row.item_key, ref=f"quarantine #{row.id}", read=_returns(raw))
            parsed = parse_or_reason(connector, item, raw)
            if isinstance(parsed, str):
                row.attempts += 1
                row.reason = parsed
                row.updated_at = utcnow()
                session.add(row)
                report.still_bad += 1
                continue
            [(message_id, _new)] = store_messages(
                session, row.source, [(parsed, item.ref)], directions, resolver
            )
            row.status = "released"
            row.updated_at = utcnow()
            ledger = session.scalars(
                select(SourceItem).where(
                    col(SourceItem.source) == row.source,
                    col(SourceItem.item_key) == row.item_key,
                )
            ).first()
            if ledger is not None:
                ledger.message_id = message_id
                session.add(ledger)
            session.add(row)
            report.released += 1
    return report
