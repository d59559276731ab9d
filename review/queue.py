"""The review queue: flagged messages and alerts, most severe and oldest first, filtered by
what the URL says, with near-duplicate messages grouped under one row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session, col

from commwatch.store import Alert, AlertAck, Customer, Message, ReviewCase, Signal

SEVERITY_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}
# How urgent a flagged message is for a reviewer, by its most serious tag.
TAG_SEVERITY = {
    "pii_exposure": "critical", "abusive_language": "high", "legal_escalation": "high",
    "cease_contact": "high", "hardship": "warning", "dispute": "warning",
}
STATES = ("open", "new", "assigned", "escalated", "closed", "acknowledged", "resolved", "all")
KINDS = ("all", "messages", "alerts")
PAGE = 50
SCAN_LIMIT = 2000  # rows of each kind read per page view; older ones need a date filter
SIMILAR = 0.7  # Jaccard similarity of word 3-shingles that makes two messages near-duplicates


@dataclass(frozen=True)
class Filters:
    kind: str = "all"
    tag: str = ""
    channel: str = ""
    customer: int | None = None
    owner: str = ""
    state: str = "open"
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> Filters:
        """From query parameters; anything malformed is ignored rather than an error page."""
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        def number(name: str) -> int | None:
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        kind, state = params.get("kind", "all"), params.get("state", "open")
        return cls(kind=kind if kind in KINDS else "all", tag=params.get("tag", "")[:32],
                   channel=params.get("channel", "")[:32], customer=number("customer"),
                   owner=params.get("owner", "").strip().lower()[:320],
                   state=state if state in STATES else "open", since=day("since"),
                   until=day("until"), page=max(1, number("page") or 1))

    def query(self, **change: Any) -> dict[str, str]:
        """The filters as URL parameters (defaults left out), with `change` applied."""
        values = {**self.__dict__, **change}
        defaults = Filters().__dict__
        return {k: str(v) for k, v in values.items() if v not in (None, "") and v != defaults[k]}


@dataclass
class Item:
    kind: str
    id: int
    severity: str
    at: datetime
    title: str
    state: str
    customer_id: int | None = None
    customer_name: str = ""
    owner_email: str = ""
    channel: str = ""
    tags: list[str] = field(default_factory=list)
    assignee: str = ""
    sender: str = ""
    sender_name: str = ""
    text: str = ""
    similar: list[Item] = field(default_factory=list)

    @property
    def rank(self) -> tuple[int, datetime]:
        return (-SEVERITY_RANK.get(self.severity, 0), self.at)

    @property
    def key(self) -> str:
        return f"{self.kind[0]}:{self.id}"


def _window(query: Any, column: Any, filters: Filters) -> Any:
    if filters.since:
        query = query.where(column >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        query = query.where(column < datetime.combine(filters.until, time(), UTC) + timedelta(1))
    return query


def _customer(query: Any, filters: Filters, owner_only: str | None) -> Any:
    if filters.customer:
        query = query.where(col(Customer.id) == filters.customer)
    owner = owner_only or filters.owner
    if owner:
        query = query.where(col(Customer.owner_email) == owner)
    return query


def _messages(session: Session, filters: Filters, owner_only: str | None) -> list[Item]:
    query = (
        select(Message, Customer, ReviewCase)
        .outerjoin(Customer, col(Customer.id) == col(Message.customer_id))
        .outerjoin(ReviewCase, col(ReviewCase.message_id) == col(Message.id))
        .where(exists().where(col(Signal.message_id) == col(Message.id)))
    )
    if filters.tag:
        query = query.where(exists().where(col(Signal.message_id) == col(Message.id),
                                           col(Signal.tag) == filters.tag))
    if filters.channel:
        query = query.where(col(Message.channel) == filters.channel)
    state = col(ReviewCase.state)
    if filters.state == "new":
        query = query.where(col(ReviewCase.id).is_(None))
    elif filters.state == "open":
        query = query.where(col(ReviewCase.id).is_(None) | (state != "closed"))
    elif filters.state in ("assigned", "escalated", "closed"):
        query = query.where(state == filters.state)
    elif filters.state != "all":
        return []
    query = _customer(_window(query, col(Message.sent_at), filters), filters, owner_only)
    rows = session.execute(query.order_by(col(Message.sent_at)).limit(SCAN_LIMIT)).all()
    tags: dict[int, list[str]] = {}
    ids = [m.id for m, _, _ in rows]
    for i in range(0, len(ids), 500):
        for message_id, tag in session.execute(
            select(col(Signal.message_id), col(Signal.tag))
            .where(col(Signal.message_id).in_(ids[i:i + 500]))
        ):
            tags.setdefault(message_id, []).append(tag)
    items = []
    for message, customer, case in rows:
        found = sorted(tags.get(message.id, []))
        severity = max((TAG_SEVERITY.get(t, "info") for t in found),
                       key=lambda s: SEVERITY_RANK[s], default="info")
        items.append(Item(
            kind="message", id=message.id, severity=severity, at=message.sent_at,
            title=message.subject or "(no subject)", state=case.state if case else "new",
            customer_id=customer.id if customer else None,
            customer_name=customer.name if customer else "",
            owner_email=(customer.owner_email or "") if customer else "",
            channel=message.channel, tags=found, assignee=(case.assignee or "") if case else "",
            sender=message.sender, sender_name=message.sender_name, text=message.new_text,
        ))
    return items


def _alerts(session: Session, filters: Filters, owner_only: str | None) -> list[Item]:
    query = (
        select(Alert, Customer, AlertAck, col(Message.channel))
        .outerjoin(Customer, col(Customer.id) == col(Alert.customer_id))
        .outerjoin(AlertAck, col(AlertAck.alert_id) == col(Alert.id))
        .outerjoin(Message, col(Message.id) == col(Alert.message_id))
    )
    if filters.tag:
        query = query.where(exists().where(col(Signal.message_id) == col(Alert.message_id),
                                           col(Signal.tag) == filters.tag))
    if filters.channel:
        query = query.where(col(Message.channel) == filters.channel)
    if filters.state in ("open", "acknowledged"):
        query = query.where(col(Alert.state) == "open")
        if filters.state == "acknowledged":
            query = query.where(col(AlertAck.id).is_not(None))
    elif filters.state == "new":
        query = query.where(col(Alert.state) == "open", col(AlertAck.id).is_(None))
    elif filters.state == "resolved":
        query = query.where(col(Alert.state) == "resolved")
    elif filters.state != "all":
        return []
    query = _customer(_window(query, col(Alert.created_at), filters), filters, owner_only)
    rows = session.execute(query.order_by(col(Alert.created_at)).limit(SCAN_LIMIT)).all()
    items = []
    for alert, customer, ack, channel in rows:
        state = alert.state if alert.state != "open" else ("acknowledged" if ack else "new")
        items.append(Item(
            kind="alert", id=alert.id, severity=alert.severity, at=alert.created_at,
            title=alert.title, state=state, customer_id=customer.id if customer else None,
            customer_name=customer.name if customer else "",
            owner_email=(customer.owner_email or "") if customer else "",
            channel=channel or "", assignee=ack.owner if ack else "",
        ))
    return items


def _shingles(text: str) -> frozenset[str]:
    words = re.sub(r"\d", "0", text.lower()).split()
    return frozenset(" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2)))


def group_similar(items: list[Item]) -> list[Item]:
    """Fold near-duplicate messages (same tags, nearly the same words) into the first one."""
    kept: list[tuple[Item, frozenset[str]]] = []
    out: list[Item] = []
    for item in items:
        if item.kind != "message":
            out.append(item)
            continue
        mine = _shingles(item.text)
        for head, theirs in kept:
            union = len(mine | theirs)
            if head.tags == item.tags and union and len(mine & theirs) / union >= SIMILAR:
                head.similar.append(item)
                break
        else:
            kept.append((item, mine))
            out.append(item)
    return out


def load_queue(session: Session, filters: Filters, owner_only: str | None = None
               ) -> tuple[list[Item], int]:
    """One page of the queue and the number of rows (groups) in all pages."""
    items: list[Item] = []
    if filters.kind in ("all", "messages"):
        items += _messages(session, filters, owner_only)
    if filters.kind in ("all", "alerts"):
        items += _alerts(session, filters, owner_only)
    items.sort(key=lambda i: i.rank)
    grouped = group_similar(items)
    start = (filters.page - 1) * PAGE
    return grouped[start:start + PAGE], len(grouped)
