"""Conversation threads: by Message-ID / In-Reply-To / References, then by subject."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from commwatch.store import Message, Thread
from ingest.base import ParsedMessage

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


def find_thread(session: Session, parsed: ParsedMessage, customer_id: int | None) -> int | None:
    """The thread an incoming message belongs to, or None when it starts a new one."""
    refs = [r for r in [parsed.in_reply_to, *reversed(parsed.references)] if r]
    if refs:
        row = session.execute(
            select(Message.thread_id)
            .where(Message.header_message_id.in_(refs))  # type: ignore[union-attr]
            .where(Message.thread_id.is_not(None))  # type: ignore[union-attr]
            .limit(1)
        ).first()
        if row is not None:
            return int(row[0])
    if parsed.header_message_id:
        # A reply that arrived before the message it answers already holds the thread.
        row = session.execute(
            select(Message.thread_id)
            .where(Message.in_reply_to == parsed.header_message_id)
            .where(Message.thread_id.is_not(None))  # type: ignore[union-attr]
            .limit(1)
        ).first()
        if row is not None:
            return int(row[0])
    key = subject_key(parsed.subject)
    if key and (refs or is_reply_subject(parsed.subject)):
        query = (
            select(Thread.id)
            .where(Thread.subject_key == key, Thread.channel == parsed.channel)
            .where(Thread.last_message_at >= parsed.sent_at - SUBJECT_WINDOW)  # type: ignore[operator]
            .order_by(Thread.last_message_at.desc())  # type: ignore[union-attr]
            .limit(1)
        )
        if customer_id is not None:
            query = query.where(Thread.customer_id == customer_id)
        row = session.execute(query).first()
        if row is not None:
            return int(row[0])
    return None


def attach_to_thread(
    session: Session, message: Message, parsed: ParsedMessage, customer_id: int | None
) -> Thread:
    """Put a stored message on its thread (found or new) and update the thread's clock."""
    thread_id = find_thread(session, parsed, customer_id)
    thread = session.get(Thread, thread_id) if thread_id is not None else None
    if thread is None:
        thread = Thread(
            channel=message.channel,
            customer_id=customer_id,
            subject=parsed.subject,
            subject_key=subject_key(parsed.subject),
            state="awaiting_us" if message.direction == "inbound" else "awaiting_customer",
            created_at=message.sent_at,
        )
        session.add(thread)
        session.flush()
    elif thread.customer_id is None and customer_id is not None:
        thread.customer_id = customer_id
    message.thread_id = thread.id
    update_thread_clock(thread, message)
    session.add(thread)
    session.add(message)
    return thread


def update_thread_clock(thread: Thread, message: Message) -> None:
    """Whose turn it is: the latest message that a person wrote decides."""
    if thread.last_message_at is None or message.sent_at >= thread.last_message_at:
        thread.last_message_at = message.sent_at
    if message.automatic or message.direction == "internal":
        return
    if message.direction == "inbound":
        if thread.last_inbound_at is None or message.sent_at >= thread.last_inbound_at:
            thread.last_inbound_at = message.sent_at
            thread.last_inbound_message_id = message.id
    elif thread.last_outbound_at is None or message.sent_at >= thread.last_outbound_at:
        thread.last_outbound_at = message.sent_at
    inbound, outbound = thread.last_inbound_at, thread.last_outbound_at
    if inbound is not None and (outbound is None or inbound > outbound):
        thread.state = "awaiting_us"
    else:
        thread.state = "awaiting_customer"
