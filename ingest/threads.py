"""Conversation threads: by Message-ID / In-Reply-To / References, then by subject."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from operator import attrgetter

from sqlalchemy import insert, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col

from commwatch.store import Message, Thread
from ingest.base import ParsedMessage
from ingest.crosschannel import CrossChannelAssigner
from ingest.rows import SqliteRows

SUBJECT_WINDOW = timedelta(days=60)
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rif|r|antw|odp|res|enc)\s*(?:\[\d+\])?\s*[:：]\s*"
    r"|\[(?:external|ext|extern|spam)\]\s*)+",
    re.IGNORECASE,
)


def subject_key(subject: str) -> str:
    """A subject without reply/forward prefixes and tags, for matching replies to threads."""
    stripped = _PREFIX.sub("", subject or "")
    return re.sub(r"\s+", " ", stripped).strip().lower()[:200]


def is_reply_subject(subject: str) -> bool:
    return bool(_PREFIX.match(subject or ""))


@dataclass
class NewMessage:
    """What threading needs of a message just stored."""

    id: int
    parsed: ParsedMessage
    direction: str
    customer_id: int | None
    thread_id: int | None = None


@dataclass(eq=False)
class DraftThread:
    """A thread this batch opens. Drafts are inserted together in one statement: building
    a Thread ORM object per new thread cost more than all the rest of threading."""

    channel: str
    customer_id: int | None
    subject: str
    subject_key: str
    state: str
    created_at: datetime
    last_message_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_inbound_message_id: int | None = None
    last_outbound_at: datetime | None = None
    id: int | None = None


AnyThread = Thread | DraftThread
_DRAFT_COLUMNS = [f.name for f in fields(DraftThread) if f.name != "id"]
_draft_values = attrgetter(*_DRAFT_COLUMNS)


@lru_cache(maxsize=4)
def _sqlite_drafts(dialect: Dialect) -> SqliteRows:
    return SqliteRows(
        Thread.__table__,  # type: ignore[attr-defined]
        _DRAFT_COLUMNS,
        dialect,
        returning=["id"],
    )


def insert_drafts(session: Session, drafts: list[DraftThread]) -> None:
    """Insert new threads in one statement (in order) and give each its id."""
    if not drafts:
        return
    table = Thread.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        # SQLAlchemy can keep RETURNING in parameter order on SQLite only a row at a time.
        # It need not: SQLite inserts VALUES rows in order, each taking the next rowid, and
        # this transaction already holds the write lock, so the ids ascend in draft order.
        values = [_draft_values(d) for d in drafts]
        new_ids = sorted(new_id for (new_id,) in _sqlite_drafts(dialect).insert(session, values))
    else:
        rows = [{name: getattr(d, name) for name in _DRAFT_COLUMNS} for d in drafts]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        new_ids = list(session.execute(stmt, rows).scalars())
    for draft, new_id in zip(drafts, new_ids, strict=True):
        draft.id = new_id


class ThreadAssigner:
    """Puts a batch of new messages on threads with a handful of queries for the whole batch.

    Order of evidence: the message a reply names (In-Reply-To, then References, newest
    first); a reply stored earlier that names this message; then, for replies only, the
    latest thread with the same normalised subject (and customer) within SUBJECT_WINDOW.
    """

    def __init__(self, session: Session, batch: list[NewMessage]) -> None:
        self.session = session
        refs = {r for m in batch for r in [m.parsed.in_reply_to, *m.parsed.references] if r}
        ids = {m.parsed.header_message_id for m in batch if m.parsed.header_message_id}
        self.by_header: dict[str, AnyThread] = {}
        self.by_parent: dict[str, AnyThread] = {}
        self.by_subject: dict[tuple[str, str], list[AnyThread]] = {}
        self.drafts: list[DraftThread] = []
        if refs:
            for header, thread_id in session.execute(
                select(col(Message.header_message_id), col(Message.thread_id)).where(
                    col(Message.header_message_id).in_(sorted(refs)),
                    col(Message.thread_id).is_not(None),
                )
            ):
                self.by_header[header] = self._thread(thread_id)
        if ids:
            for parent, thread_id in session.execute(
                select(col(Message.in_reply_to), col(Message.thread_id)).where(
                    col(Message.in_reply_to).in_(sorted(ids)),
                    col(Message.thread_id).is_not(None),
                )
            ):
                self.by_parent[parent] = self._thread(thread_id)
        keys = {subject_key(m.parsed.subject) for m in batch if _may_follow_subject(m.parsed)}
        keys.discard("")
        if keys:
            earliest = min(m.parsed.sent_at for m in batch) - SUBJECT_WINDOW
            for thread in session.scalars(
                select(Thread).where(
                    col(Thread.subject_key).in_(sorted(keys)),
                    col(Thread.last_message_at) >= earliest,
                )
            ):
                self.by_subject.setdefault((thread.channel, thread.subject_key), []).append(thread)

    def _thread(self, thread_id: int) -> Thread:
        thread = self.session.get(Thread, thread_id)
        assert thread is not None
        return thread

    def _find(self, message: NewMessage) -> AnyThread | None:
        parsed = message.parsed
        for ref in [parsed.in_reply_to, *reversed(parsed.references)]:
            if ref and ref in self.by_header:
                return self.by_header[ref]
        if parsed.header_message_id and parsed.header_message_id in self.by_parent:
            return self.by_parent[parsed.header_message_id]
        if not _may_follow_subject(parsed):
            return None
        candidates = [
            t
            for t in self.by_subject.get((parsed.channel, subject_key(parsed.subject)), [])
            if (message.customer_id is None or t.customer_id == message.customer_id)
            and t.last_message_at is not None
            and t.last_message_at >= parsed.sent_at - SUBJECT_WINDOW
        ]
        return max(candidates, key=lambda t: t.last_message_at or parsed.sent_at, default=None)

    def assign(self, message: NewMessage) -> AnyThread:
        parsed = message.parsed
        thread = self._find(message)
        if thread is None:
            thread = DraftThread(
                channel=parsed.channel,
                customer_id=message.customer_id,
                subject=parsed.subject,
                subject_key=subject_key(parsed.subject),
                state="awaiting_us" if message.direction == "inbound" else "awaiting_customer",
                created_at=parsed.sent_at,
            )
            self.drafts.append(thread)
            if thread.subject_key:
                self.by_subject.setdefault((thread.channel, thread.subject_key), []).append(thread)
        elif thread.customer_id is None and message.customer_id is not None:
            thread.customer_id = message.customer_id
        if parsed.header_message_id:
            self.by_header[parsed.header_message_id] = thread
        if parsed.in_reply_to and parsed.in_reply_to not in self.by_header:
            self.by_parent.setdefault(parsed.in_reply_to, thread)
        update_thread_clock(thread, message)
        return thread


def _may_follow_subject(parsed: ParsedMessage) -> bool:
    refs = parsed.in_reply_to or parsed.references
    return bool(refs or is_reply_subject(parsed.subject))


def assign_threads(session: Session, batch: list[NewMessage]) -> None:
    """Thread every message of the batch (in time order) and set `thread_id` on each: email
    by its headers, chat messages and call turns by the rules of ingest.crosschannel."""
    mail = [m for m in batch if m.parsed.conversation is None]
    chat = [m for m in batch if m.parsed.conversation is not None]
    placed: list[tuple[NewMessage, AnyThread]] = []
    if mail:
        assigner = ThreadAssigner(session, mail)
        placed += [(m, assigner.assign(m)) for m in sorted(mail, key=lambda m: m.parsed.sent_at)]
        insert_drafts(session, assigner.drafts)
    if chat:
        placed += [(m, t) for m, t in _assign_chat(session, chat)]
    session.flush()  # new chat threads get their ids
    for message, thread in placed:
        message.thread_id = thread.id


def _assign_chat(session: Session, batch: list[NewMessage]) -> list[tuple[NewMessage, Thread]]:
    assigner = CrossChannelAssigner(session, batch)
    placed = []
    for message in sorted(batch, key=lambda m: m.parsed.sent_at):
        parsed = message.parsed
        assert parsed.conversation is not None
        thread = assigner.find(message)
        if thread is None:
            title = parsed.conversation.title
            thread = Thread(
                channel=parsed.channel,
                customer_id=message.customer_id,
                subject=title,
                subject_key=subject_key(title),
                state="awaiting_us" if message.direction == "inbound" else "awaiting_customer",
                created_at=parsed.sent_at,
            )
            session.add(thread)
        elif thread.customer_id is None and message.customer_id is not None:
            thread.customer_id = message.customer_id
        assigner.placed_on(message, thread)
        update_thread_clock(thread, message)
        placed.append((message, thread))
    return placed


def update_thread_clock(thread: AnyThread, message: NewMessage) -> None:
    """Whose turn it is: the latest message that a person wrote decides. On a call, one of
    our people who speaks answers everything said in the call, so their turn counts until
    the call ends."""
    sent_at = message.parsed.sent_at
    if thread.last_message_at is None or sent_at >= thread.last_message_at:
        thread.last_message_at = sent_at
    if message.parsed.automatic or message.direction == "internal":
        return
    if message.direction == "inbound":
        if thread.last_inbound_at is None or sent_at >= thread.last_inbound_at:
            thread.last_inbound_at = sent_at
            thread.last_inbound_message_id = message.id
    else:
        conv = message.parsed.conversation
        if conv is not None and conv.live and conv.ends_at is not None:
            sent_at = max(sent_at, conv.ends_at)
        if thread.last_outbound_at is None or sent_at >= thread.last_outbound_at:
            thread.last_outbound_at = sent_at
    inbound, outbound = thread.last_inbound_at, thread.last_outbound_at
    if inbound is not None and (outbound is None or inbound > outbound):
        thread.state = "awaiting_us"
    else:
        thread.state = "awaiting_customer"
