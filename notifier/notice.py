"""What one outgoing message says: the alerts it carries, with the customer's credit picture
and the evidence that triggered them, read from the store at send time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from commwatch.store import Alert, CreditSnapshot, Customer, Message, Signal

EXCERPT_CONTEXT = 140  # characters either side of the evidence span


@dataclass(frozen=True)
class Evidence:
    """One tag's evidence: the span and the text around it, as the reader of the mail saw it."""

    tag: str
    confidence: float
    before: str
    span: str
    after: str
    rule: str = ""

    @property
    def excerpt(self) -> str:
        return f"{self.before}{self.span}{self.after}"

    def masked(self, mask: Any) -> Evidence:
        # mask_pii keeps lengths, so the whole excerpt is masked once and cut again; a
        # number that straddles the span's edge is still recognised.
        whole = mask(self.excerpt)
        a, b = len(self.before), len(self.before) + len(self.span)
        return Evidence(self.tag, self.confidence, whole[:a], whole[a:b], whole[b:], self.rule)


@dataclass(frozen=True)
class CreditView:
    taken_on: str
    currency: str
    credit_limit: Decimal | None
    exposure: Decimal | None
    utilisation: float | None
    avg_days_to_pay: float | None
    avg_days_to_pay_before: float | None
    risk_score: float | None
    open_promises: int
    promise_kept_rate: float | None

    def lines(self) -> list[str]:
        """The snapshot as short "label: value" lines, for every channel alike."""
        out = []
        used = f" ({self.utilisation:.0%} used)" if self.utilisation is not None else ""
        if self.credit_limit is not None and self.exposure is not None:
            exposure = _money(self.exposure, self.currency)
            out.append(f"Credit: {exposure} open of {_money(self.credit_limit, self.currency)}"
                       f"{used}")
        elif self.credit_limit is not None:
            out.append(f"Credit limit: {_money(self.credit_limit, self.currency)}{used}")
        elif self.exposure is not None:
            out.append(f"Open invoices: {_money(self.exposure, self.currency)}")
        if self.avg_days_to_pay is not None:
            before = (f" (was {self.avg_days_to_pay_before:.0f})"
                      if self.avg_days_to_pay_before is not None else "")
            out.append(f"Days to pay: {self.avg_days_to_pay:.0f}{before}")
        if self.risk_score is not None:
            out.append(f"Risk score: {self.risk_score:.0f}/100")
        if self.open_promises or self.promise_kept_rate is not None:
            kept = (f", {self.promise_kept_rate:.0%} of promises kept"
                    if self.promise_kept_rate is not None else "")
            out.append(f"Open promises: {self.open_promises}{kept}")
        return out


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{currency} {value:,.2f}"


@dataclass(frozen=True)
class AlertView:
    alert_id: int
    delivery_key: str
    rule: str
    severity: str
    state: str
    title: str
    summary: str
    event: str
    created_at: datetime
    customer_id: int | None
    thread_id: int | None
    message_id: int | None
    alert_url: str
    message_url: str | None
    message_subject: str = ""
    message_sender: str = ""
    message_sent_at: datetime | None = None
    message_channel: str = ""
    evidence: tuple[Evidence, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def excerpt(self) -> str:
        """The evidence excerpt, or the rule's own excerpt when no span is stored."""
        if self.evidence:
            return self.evidence[0].excerpt
        return str(self.details.get("excerpt") or "")


@dataclass(frozen=True)
class CustomerView:
    customer_id: int
    external_id: str
    name: str
    tier: str | None
    owner: str | None
    url: str


@dataclass(frozen=True)
class Notice:
    """One message on one channel to one recipient. `key` is the same on every retry of it,
    so a channel that can check ("did I already post this?") never posts it twice."""

    key: str
    channel: str
    recipient: str
    kind: str  # alert | group | update | digest
    alerts: tuple[AlertView, ...]
    customer: CustomerView | None = None
    credit: CreditView | None = None
    reply_to: str = ""  # the channel's reference of the first notice on this topic
    digest: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        order = {"info": 0, "warning": 1, "high": 2, "critical": 3}
        return max((a.severity for a in self.alerts), key=lambda s: order.get(s, 0),
                   default="info")

    @property
    def subject(self) -> str:
        """A subject a person can triage from the inbox list."""
        tag = f"[{self.severity.upper()}]"
        if self.kind == "digest":
            return str(self.digest.get("subject", "Daily digest"))
        first = self.alerts[0]
        if self.kind == "update":
            return f"{tag} {_event_word(first)}: {first.title}"
        if len(self.alerts) == 1:
            return f"{tag} {first.title}"
        who = self.customer.name if self.customer else "one customer"
        return f"{tag} {len(self.alerts)} alerts for {who}: " + "; ".join(
            a.title.split(":")[0] for a in self.alerts[:3]
        ) + ("…" if len(self.alerts) > 3 else "")


def _event_word(alert: AlertView) -> str:
    return {"reopened": "Back again", "escalated": "Now " + alert.severity,
            "resolved": "Resolved", "reminder": "Still open"}.get(alert.event, "Update")


@dataclass
class NoticeData:
    """The rows the notices of one claimed batch show, read in a few queries for the batch
    rather than a few per notice."""

    alerts: dict[int, Alert] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    signals: dict[int, list[Signal]] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    snapshots: dict[int, CreditSnapshot] = field(default_factory=dict)


def preload(session: Session, alert_ids: Sequence[int]) -> NoticeData:
    """Read the alerts, their messages and signals, their customers and each customer's
    latest credit snapshot, for every notice of a batch at once."""
    data = NoticeData()
    ids = sorted(set(alert_ids))
    for chunk in _chunks(ids):
        data.alerts.update((a.id or 0, a) for a in session.scalars(
            select(Alert).where(col(Alert.id).in_(chunk))))
    message_ids = sorted({a.message_id for a in data.alerts.values() if a.message_id})
    for chunk in _chunks(message_ids):
        data.messages.update((m.id or 0, m) for m in session.scalars(
            select(Message).where(col(Message.id).in_(chunk))))
        for s in session.scalars(select(Signal).where(col(Signal.message_id).in_(chunk))
                                 .order_by(col(Signal.message_id), col(Signal.start))):
            data.signals.setdefault(s.message_id, []).append(s)
    customer_ids = sorted({a.customer_id for a in data.alerts.values() if a.customer_id})
    for chunk in _chunks(customer_ids):
        data.customers.update((c.id or 0, c) for c in session.scalars(
            select(Customer).where(col(Customer.id).in_(chunk))))
        latest = (select(col(CreditSnapshot.customer_id),
                         func.max(col(CreditSnapshot.taken_on)).label("taken_on"))
                  .where(col(CreditSnapshot.customer_id).in_(chunk))
                  .group_by(col(CreditSnapshot.customer_id)).subquery())
        for snap in session.scalars(select(CreditSnapshot).join(
                latest, (col(CreditSnapshot.customer_id) == latest.c.customer_id)
                & (col(CreditSnapshot.taken_on) == latest.c.taken_on))
                .order_by(col(CreditSnapshot.id))):
            data.snapshots[snap.customer_id] = snap  # the last of a day, as by id
    return data


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def load_notice(
    session: Session,
    *,
    key: str,
    channel: str,
    recipient: str,
    kind: str,
    members: Sequence[tuple[str, int, str]],
    review_url: str,
    reply_to: str = "",
    data: NoticeData | None = None,
) -> Notice:
    """Read everything a notice shows. `members` are (delivery key, alert id, event); `data`
    is what `preload` read for the batch (read here when not given)."""
    if data is None:
        data = preload(session, [alert_id for _, alert_id, _ in members])
    views = []
    for delivery_key, alert_id, event in members:
        alert = data.alerts[alert_id]
        message = data.messages.get(alert.message_id) if alert.message_id else None
        evidence = tuple(
            _evidence(message.new_text, s) for s in data.signals.get(message.id or 0, [])
        ) if message is not None else ()
        views.append(AlertView(
            alert_id=alert_id, delivery_key=delivery_key, rule=alert.rule,
            severity=alert.severity, state=alert.state, title=alert.title,
            summary=alert.summary, event=event, created_at=alert.created_at,
            customer_id=alert.customer_id, thread_id=alert.thread_id,
            message_id=alert.message_id, alert_url=f"{review_url}/alerts/{alert_id}",
            message_url=f"{review_url}/messages/{alert.message_id}" if alert.message_id else None,
            message_subject=message.subject if message else "",
            message_sender=(message.sender_name or message.sender) if message else "",
            message_sent_at=message.sent_at if message else None,
            message_channel=message.channel if message else "",
            evidence=evidence, details=dict(alert.details or {}),
        ))
    customer_ids = {v.customer_id for v in views if v.customer_id}
    customer = credit = None
    if len(customer_ids) == 1:
        customer_id = customer_ids.pop()
        row = data.customers.get(customer_id)
        if row is not None:
            customer = CustomerView(customer_id, row.external_id, row.name, row.tier,
                                    row.owner, f"{review_url}/customers/{customer_id}")
            credit = _credit(row, data.snapshots.get(customer_id))
    return Notice(key=key, channel=channel, recipient=recipient, kind=kind,
                  alerts=tuple(views), customer=customer, credit=credit, reply_to=reply_to)


def _evidence(text: str, signal: Signal) -> Evidence:
    start, end = max(0, signal.start), min(len(text), signal.end)
    if start >= end:  # offsets from another text version: show what the tagger saw
        return Evidence(signal.tag, signal.confidence, "", signal.evidence_text, "")
    lo = max(0, start - EXCERPT_CONTEXT)
    hi = min(len(text), end + EXCERPT_CONTEXT)
    # Cut at whitespace so the excerpt does not start or end mid-word.
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = ("…" if lo > 0 else "") + " ".join(text[lo:start].split()) + (
        " " if text[lo:start][-1:].isspace() else "")
    after = (" " if text[end:hi][:1].isspace() else "") + " ".join(text[end:hi].split()) + (
        "…" if hi < len(text) else "")
    rule = str((signal.evidence or [{}])[0].get("rule", ""))
    return Evidence(signal.tag, signal.confidence, before, " ".join(text[start:end].split()),
                    after, rule)


def _credit(customer: Customer, snap: CreditSnapshot | None) -> CreditView | None:
    if snap is None and customer.credit_limit is None:
        return None
    return CreditView(
        taken_on=snap.taken_on.isoformat() if snap else "",
        currency=customer.currency,
        credit_limit=customer.credit_limit,
        exposure=snap.exposure if snap else None,
        utilisation=snap.utilisation if snap else None,
        avg_days_to_pay=snap.avg_days_to_pay if snap else None,
        avg_days_to_pay_before=snap.avg_days_to_pay_before if snap else None,
        risk_score=snap.risk_score if snap else customer.risk_score,
        open_promises=snap.open_promises if snap else 0,
        promise_kept_rate=snap.promise_kept_rate if snap else None,
    )
