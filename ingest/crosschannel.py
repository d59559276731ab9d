"""Threads across channels: where a chat message or a call turn joins the conversation.

Email threads by its headers (ingest.threads). A chat message or call turn has none that
email shares, yet it belongs with the email about the same invoice: a collector's call is
the reply the customer's dispute email is waiting for. So for a message with a
`Conversation` the first rule that applies places it:

1. **explicit reply** – it answers a known message (a Slack thread reply, a Teams reply):
   that message's thread;
2. **same call** – an earlier turn of the same call: the call stays in one thread;
3. **shared reference** – its customer has a thread with a message, sent within
   `reference_window_days` before it, naming one of the same invoice or PO numbers (for a
   call: any number said in the call): the most recently active such thread;
4. **same chat session** – the previous message of the same chat came within
   `session_gap_hours`: that message's thread;
5. **the customer's current thread** – the customer's thread with the latest message
   within `recent_window_days` before it, on any channel;
6. otherwise a new thread of its own, named after the chat or call.

Only messages sent before the one being placed count, so the order files arrive in does
not change where a message lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from commwatch.store import Customer, Message, Thread
from ingest.base import ParsedMessage
from ingest.customers import INVOICE_REF, Match

_PO_REF = re.compile(
    r"(?i)\b(?:PO|P\.O\.|purchase order)\s*(?:no\.?|number|#)?\s*[:#]?\s*(\d{3,})\b")


def thread_refs(text: str) -> set[str]:
    """Invoice and PO numbers in a text, normalised ("INV-10025" and "inv 10025" alike)."""
    refs = {re.sub(r"[^A-Z0-9]", "", m.group(1).upper()) for m in INVOICE_REF.finditer(text)}
    refs |= {"PO" + m.group(1) for m in _PO_REF.finditer(text)}
    return {r for r in refs if any(c.isdigit() for c in r)}


def _digits(ref: str) -> str:
    return re.sub(r"\D", "", ref)


@dataclass
class _Placed:
    thread: Thread
    sent_at: datetime
    customer_id: int | None
    refs: frozenset[str]


class CrossChannelAssigner:
    """Places the chat and call messages of one batch (see the module's rules)."""

    def __init__(self, session: Session, batch: list) -> None:  # type: ignore[type-arg]
        self.session = session
        self.placed: list[_Placed] = []
        self.by_id: dict[str, tuple[Thread, datetime]] = {}
        self.calls: dict[str, Thread] = {}
        self._threads: dict[int, Thread] = {}
        wanted = {r for m in batch for r in [m.parsed.in_reply_to, *m.parsed.references] if r}
        if wanted:
            for header, thread_id, sent_at in session.execute(
                select(
                    col(Message.header_message_id), col(Message.thread_id), col(Message.sent_at)
                ).where(
                    col(Message.header_message_id).in_(sorted(wanted)),
                    col(Message.thread_id).is_not(None),
                )
            ):
                self.by_id[header] = (self._thread(thread_id), sent_at)

    def _thread(self, thread_id: int) -> Thread:
        if thread_id not in self._threads:
            thread = self.session.get(Thread, thread_id)
            assert thread is not None
            self._threads[thread_id] = thread
        return self._threads[thread_id]

    def find(self, message) -> Thread | None:  # type: ignore[no-untyped-def]
        # The look-ups read stored messages only; flushing this batch's threads before each
        # one would cost more than the look-up itself.
        with self.session.no_autoflush:
            return self._find(message)

    def _find(self, message) -> Thread | None:  # type: ignore[no-untyped-def]
        parsed = message.parsed
        conv = parsed.conversation
        if parsed.in_reply_to and parsed.in_reply_to in self.by_id:
            return self.by_id[parsed.in_reply_to][0]
        if conv.live:
            if conv.key in self.calls:
                return self.calls[conv.key]
            for ref in parsed.references:
                if ref in self.by_id:
                    return self.by_id[ref][0]
        refs = set(conv.refs) if conv.live else thread_refs(f"{parsed.subject}\n{parsed.new_text}")
        cid = message.customer_id
        sent = parsed.sent_at
        if cid is not None and refs:
            found = self._by_reference(cid, refs, sent - timedelta(days=conv.reference_window_days),
                                       sent)
            if found is not None:
                return found
        gap = timedelta(hours=conv.session_gap_hours)
        for ref in reversed(parsed.references):
            if ref in self.by_id:
                thread, at = self.by_id[ref]
                if sent - at <= gap:
                    return thread
        if cid is not None and conv.recent_window_days > 0:
            return self._recent(cid, sent - timedelta(days=conv.recent_window_days), sent)
        return None

    def _by_reference(
        self, cid: int, refs: set[str], since: datetime, until: datetime
    ) -> Thread | None:
        best: tuple[datetime, Thread] | None = None
        for p in self.placed:
            if p.customer_id == cid and since <= p.sent_at <= until and p.refs & refs:
                if best is None or p.sent_at >= best[0]:
                    best = (p.sent_at, p.thread)
        digits = sorted({_digits(r) for r in refs})
        text_has = [or_(Message.subject.contains(d), Message.new_text.contains(d))  # type: ignore[attr-defined]
                    for d in digits]
        # Newest first: the first message that really names one of the numbers (not just
        # its digits) is the one; a short page keeps this cheap on a long history.
        rows = self.session.execute(
            select(
                col(Message.thread_id), col(Message.sent_at), col(Message.subject),
                col(Message.new_text),
            ).where(
                col(Message.customer_id) == cid,
                col(Message.thread_id).is_not(None),
                col(Message.sent_at) >= since,
                col(Message.sent_at) <= until,
                or_(*text_has),
            ).order_by(col(Message.sent_at).desc()).limit(50)
        )
        for thread_id, sent_at, subject, text in rows:
            if thread_refs(f"{subject}\n{text}") & refs:
                if best is None or sent_at > best[0]:
                    best = (sent_at, self._thread(thread_id))
                break
        return best[1] if best else None

    def _recent(self, cid: int, since: datetime, until: datetime) -> Thread | None:
        best: tuple[datetime, Thread] | None = None
        for p in self.placed:
            if p.customer_id == cid and since <= p.sent_at <= until:
                if best is None or p.sent_at > best[0]:
                    best = (p.sent_at, p.thread)
        row = self.session.execute(
            select(col(Message.thread_id), func.max(Message.sent_at).label("latest"))
            .where(
                col(Message.customer_id) == cid,
                col(Message.thread_id).is_not(None),
                col(Message.sent_at) >= since,
                col(Message.sent_at) <= until,
            )
            .group_by(col(Message.thread_id))
            .order_by(func.max(Message.sent_at).desc())
            .limit(1)
        ).first()
        if row is not None:
            latest = row[1]
            if best is None or latest > best[0]:
                best = (latest, self._thread(row[0]))
        return best[1] if best else None

    def placed_on(self, message, thread: Thread) -> None:  # type: ignore[no-untyped-def]
        parsed = message.parsed
        conv = parsed.conversation
        if parsed.header_message_id:
            self.by_id[parsed.header_message_id] = (thread, parsed.sent_at)
        if conv.live:
            self.calls.setdefault(conv.key, thread)
        refs = set(conv.refs) if conv.live else thread_refs(f"{parsed.subject}\n{parsed.new_text}")
        self.placed.append(_Placed(thread, parsed.sent_at, message.customer_id, frozenset(refs)))


def conversation_customers(
    session: Session, messages: list[ParsedMessage], matches: list[Match]
) -> list[Match]:
    """The customer of each chat message and call turn: the one config maps its
    conversation to; else its own match (address, domain, reference); else the one found
    for its conversation (another message of the same chat or call in this batch, or the
    message it answers or follows, stored earlier)."""
    refs = {m.conversation.customer_ref for m in messages
            if m.conversation is not None and m.conversation.customer_ref}
    by_ref: dict[str, int] = {}
    if refs:
        by_ref = {
            external: cid for external, cid in session.execute(
                select(col(Customer.external_id), col(Customer.id)).where(
                    col(Customer.external_id).in_(sorted(refs))
                )
            ) if cid is not None
        }
    result = list(matches)
    for i, message in enumerate(messages):
        conv = message.conversation
        if conv is not None and conv.customer_ref in by_ref:
            result[i] = Match(by_ref[conv.customer_ref or ""], "config")
    found: dict[str, Match] = {}
    for i in sorted(range(len(messages)), key=lambda i: messages[i].sent_at):
        conv = messages[i].conversation
        if conv is not None and result[i].customer_id is not None:
            found.setdefault(conv.key, result[i])
    parents = {
        r for m, match in zip(messages, result, strict=True)
        if m.conversation is not None and match.customer_id is None
        for r in [m.in_reply_to, *m.references] if r
    }
    stored: dict[str, int] = {}
    if parents:
        stored = {
            header: cid for header, cid in session.execute(
                select(col(Message.header_message_id), col(Message.customer_id)).where(
                    col(Message.header_message_id).in_(sorted(parents)),
                    col(Message.customer_id).is_not(None),
                )
            )
        }
    for i, message in enumerate(messages):
        conv = message.conversation
        if conv is None or result[i].customer_id is not None:
            continue
        if conv.key in found:
            result[i] = Match(found[conv.key].customer_id, "conversation")
            continue
        for parent in [message.in_reply_to, *message.references]:
            if parent in stored:
                result[i] = Match(stored[parent], "conversation")
                found[conv.key] = result[i]
                break
    return result
