"""Credit linkage: each customer's payment behaviour, exposure, disputes, escalations and
promises as figures and a 0–100 risk score, kept as daily snapshots, and rules that propose
credit actions (review, hold orders, reduce limit, resume) for a person to decide.

Figures on a day ("the last 90 days" is (today − 90, today]; "before" is the 90 days before
that; messages count by their sent time against `now`, automatic ones not at all):

- **average days to pay**: mean of received_on − issued_on over payments matched to an
  invoice by number and received in the window; the trend compares it with the window before;
- **exposure**: open_amount (amount when that is unknown) of the invoices not closed (paid,
  cancelled, void, written off, credited); **utilisation** = exposure / credit limit, none
  without a positive limit; **overdue**: the part of the exposure past its due date;
- **disputes**: disputes the customer raised on its inbound messages, last 90 days against
  the 90 before, and the % change (none when there were none before). A dispute repeated on
  another channel or in a follow-up counts once, in the window it was first raised
  (`monitor.issues`); so do escalations;
- **escalation rate**: inbound messages that raised a legal_escalation, cease_contact or
  hardship / inbound messages with any signal but auto_reply, last 90 days (a message that
  only repeats an escalation already raised is left out of both);
- **promises**: open ones, the kept rate of settled ones (`monitor.promises.kept_rate`), and
  broken ones due in the last 90 and 30 days.

Risk score: the sum of seven components, each a straight line from 0 points (at "low") to
its weight (at "full"), clamped. A figure that is unknown (no payments, no limit, no settled
promise) scores 0: the score says what is known to be wrong, never guesses.

| component   | weight | figure                                         | low      | full      |
| ----------- | -----: | ---------------------------------------------- | -------- | --------- |
| lateness    |     20 | avg days to pay beyond terms (30 when unknown) | 0 days   | 60 days   |
| trend       |     15 | rise in avg days to pay against the 90 before  | 0 days   | +30 days  |
| utilisation |     20 | exposure / credit limit                        | 50 %     | 120 %     |
| overdue     |     10 | overdue share of the exposure                  | 0 %      | 100 %     |
| disputes    |     10 | disputes raised in the last 90 days            | 0        | 10        |
| escalation  |     15 | escalation rate                                | 0 %      | 50 %      |
| promises    |     10 | 1 − promise kept rate                          | all kept | none kept |

Rules (`credit_review`, `hold_orders`, `reduce_limit`, `resume`) are pure functions of a view
(the runner's StoreView, read through a CreditView over its session) and `now`;
`evaluate_credit_rules` runs several over one CreditView so the figures are computed once.
Each finding carries the figures, `reasons` (sentences a person can check) and a `proposal`;
`record_proposals` stores them as proposals and `decide` records a person's approval or
override. A decided proposal is proposed again only when a reason appears that the person
did not decide on, or when its conditions cleared and came back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import (
    CreditSnapshot,
    Customer,
    Invoice,
    Message,
    Payment,
    PromiseRecord,
    Proposal,
    Signal,
    utcnow,
)
from monitor.config import Severity
from monitor.issues import LINK_DAYS, IssueStatement, first_raised
from monitor.promises import BROKEN, OPEN, PARTIAL, kept_rate

WINDOW_DAYS = 90
CLOSED_INVOICE = ("paid", "cancelled", "canceled", "void", "voided", "written_off",
                  "written off", "credited", "closed")
ESCALATION_TAGS = ("legal_escalation", "cease_contact", "hardship")
ISSUE_TAGS = ("dispute", *ESCALATION_TAGS)
PROPOSED, APPROVED, OVERRIDDEN = "proposed", "approved", "overridden"
DEFAULT_TERMS_DAYS = 30
RISK_WEIGHTS = {"lateness": 20, "trend": 15, "utilisation": 20, "overdue": 10,
                "disputes": 10, "escalation": 15, "promises": 10}
_CENT = Decimal("0.0001")
_EPS = 1e-9  # figures exactly at a threshold meet it despite float rounding


# --- config ---------------------------------------------------------------------------------


class CreditReviewRuleConfig(StrictModel):
    """Propose a credit review when a customer pays slower, disputes more, or nears its limit."""

    type: Literal["credit_review"]
    days_to_pay_rise_days: float = Field(default=14, gt=0)
    days_to_pay_rise_pct: float = Field(default=50, gt=0)
    min_payments: int = Field(default=2, ge=1, description="payments needed in each window")
    dispute_rise_pct: float = Field(default=40, gt=0)
    min_disputes: int = Field(default=3, ge=1, description="disputes needed in the last 90 days")
    utilisation: float = Field(default=0.9, gt=0)
    severity: Severity = "warning"
    enabled: bool = True


class HoldOrdersRuleConfig(StrictModel):
    """Propose holding orders when the limit is exceeded or promises keep being broken."""

    type: Literal["hold_orders"]
    utilisation_over: float = Field(default=1.0, gt=0)
    broken_promises: int = Field(default=2, ge=1, description="broken in the last 90 days")
    count_partial: bool = Field(default=False, description="part-paid promises count as broken")
    severity: Severity = "high"
    enabled: bool = True


class ReduceLimitRuleConfig(StrictModel):
    """Propose a lower credit limit when the risk score is high and rising."""

    type: Literal["reduce_limit"]
    min_risk: float = Field(default=70, ge=0, le=100)
    lookback_days: int = Field(default=30, ge=1, le=90, description="compare with a snapshot")
    min_rise: float = Field(default=5, ge=0, description="risk points over the snapshot's")
    reduce_by: float = Field(default=0.25, gt=0, lt=1, description="share of the limit to cut")
    severity: Severity = "high"
    enabled: bool = True


class ResumeRuleConfig(StrictModel):
    """Propose resuming orders for a customer on an approved hold whose risk has come down."""

    type: Literal["resume"]
    max_risk: float = Field(default=40, ge=0, le=100)
    severity: Severity = "info"
    enabled: bool = True


# --- pure figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """The last 90 days and the 90 before, ending at `now` (messages) and its day (payments)."""

    now: datetime
    today: date
    recent_after: date  # payments received after this day and up to today are "recent"
    before_after: date
    recent_since: datetime  # messages sent from this instant up to now are "recent"
    before_since: datetime

    @classmethod
    def ending(cls, now: datetime, days: int = WINDOW_DAYS) -> Windows:
        today = now.astimezone(UTC).date()
        span = timedelta(days=days)
        return cls(now, today, today - span, today - 2 * span, now - span, now - 2 * span)


@dataclass(frozen=True)
class PaymentTiming:
    """Payments matched to invoices in one window: how many, and their days to pay summed."""

    payments: int = 0
    total_days: float = 0.0


@dataclass(frozen=True)
class PaidInvoice:
    issued_on: date
    received_on: date


def payment_timing(
    paid: Iterable[PaidInvoice], today: date
) -> tuple[PaymentTiming, PaymentTiming]:
    """(last 90 days, the 90 before) from single payments; CreditView sums the same in SQL."""
    sums = {True: [0, 0.0], False: [0, 0.0]}
    for p in paid:
        age = (today - p.received_on).days
        if 0 <= age < 2 * WINDOW_DAYS:
            bucket = sums[age < WINDOW_DAYS]
            bucket[0] += 1
            bucket[1] += (p.received_on - p.issued_on).days
    return (PaymentTiming(int(sums[True][0]), sums[True][1]),
            PaymentTiming(int(sums[False][0]), sums[False][1]))


def average_days_to_pay(timing: PaymentTiming) -> float | None:
    return timing.total_days / timing.payments if timing.payments else None


def change_pct(before: float | None, recent: float | None) -> float | None:
    """% change from `before` to `recent`; none when there is no base to compare with."""
    if before is None or recent is None or before <= 0:
        return None
    return (recent - before) * 100 / before


def utilisation(exposure: Decimal, credit_limit: Decimal | None) -> float | None:
    if credit_limit is None or credit_limit <= 0:
        return None
    return float(max(exposure, Decimal(0)) / credit_limit)


def escalation_rate(escalating: int, tagged: int) -> float | None:
    return escalating / tagged if tagged else None


def _ramp(value: float | None, low: float, full: float) -> float:
    if value is None:
        return 0.0
    return min(1.0, max(0.0, (value - low) / (full - low)))


def risk_score(
    *, avg_days: float | None, avg_days_before: float | None, terms_days: int | None,
    utilisation: float | None, overdue_share: float | None, disputes: int,
    escalation_rate: float | None, kept_rate: float | None,
) -> tuple[float, dict[str, float]]:
    """The 0–100 score and the points each component gave (the table in the docstring)."""
    terms = terms_days if terms_days is not None else DEFAULT_TERMS_DAYS
    late = None if avg_days is None else avg_days - terms
    rise = None if avg_days is None or avg_days_before is None else avg_days - avg_days_before
    shares = {
        "lateness": _ramp(late, 0, 60),
        "trend": _ramp(rise, 0, 30),
        "utilisation": _ramp(utilisation, 0.5, 1.2),
        "overdue": _ramp(overdue_share, 0, 1),
        "disputes": _ramp(disputes, 0, 10),
        "escalation": _ramp(escalation_rate, 0, 0.5),
        "promises": 0.0 if kept_rate is None else 1.0 - kept_rate,
    }
    points = {name: round(RISK_WEIGHTS[name] * share, 1) for name, share in shares.items()}
    return round(min(100.0, sum(points.values())), 1), points


@dataclass(frozen=True)
class CustomerInputs:
    """What the store says about one customer, already summed per window (see CreditView)."""

    customer_id: int
    name: str
    owner: str | None = None
    owner_email: str | None = None
    currency: str = "USD"
    credit_limit: Decimal | None = None
    terms_days: int | None = None
    paid_recent: PaymentTiming = PaymentTiming()
    paid_before: PaymentTiming = PaymentTiming()
    exposure: Decimal = Decimal(0)
    overdue: Decimal = Decimal(0)
    open_invoices: int = 0
    tags_recent: Mapping[str, int] = field(default_factory=dict)
    tags_before: Mapping[str, int] = field(default_factory=dict)
    tagged_messages: int = 0  # last 90 days
    escalation_messages: int = 0
    promise_statuses: Mapping[str, int] = field(default_factory=dict)  # all time
    broken_90d: int = 0
    partial_90d: int = 0
    broken_30d: int = 0


@dataclass(frozen=True)
class CreditMetrics:
    customer_id: int
    name: str
    owner: str | None
    owner_email: str | None
    currency: str
    as_of: date
    credit_limit: Decimal | None
    terms_days: int | None
    avg_days_to_pay: float | None
    avg_days_to_pay_before: float | None
    payments_90d: int
    payments_before: int
    days_to_pay_change: float | None
    days_to_pay_change_pct: float | None
    exposure: Decimal
    overdue: Decimal
    open_invoices: int
    utilisation: float | None
    disputes_90d: int
    disputes_before: int
    dispute_change_pct: float | None
    escalations_90d: int
    escalation_rate: float | None
    open_promises: int
    promise_kept_rate: float | None
    broken_promises_90d: int
    partial_promises_90d: int
    broken_promises_30d: int
    risk_score: float
    risk_components: dict[str, float]

    def figures(self) -> dict[str, Any]:
        """The figures as JSON values, for alert details, proposals and snapshots."""
        def r(x: float | None, places: int = 2) -> float | None:
            return None if x is None else round(x, places)

        return {
            "customer_id": self.customer_id, "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "credit_limit": _amount(self.credit_limit),
            "terms_days": self.terms_days,
            "avg_days_to_pay": r(self.avg_days_to_pay, 1),
            "avg_days_to_pay_before": r(self.avg_days_to_pay_before, 1),
            "payments_90d": self.payments_90d, "payments_before": self.payments_before,
            "days_to_pay_change": r(self.days_to_pay_change, 1),
            "days_to_pay_change_pct": r(self.days_to_pay_change_pct, 1),
            "exposure": _amount(self.exposure), "overdue": _amount(self.overdue),
            "open_invoices": self.open_invoices, "utilisation": r(self.utilisation, 4),
            "disputes_90d": self.disputes_90d, "disputes_before": self.disputes_before,
            "dispute_change_pct": r(self.dispute_change_pct, 1),
            "escalations_90d": self.escalations_90d,
            "escalation_rate": r(self.escalation_rate, 4),
            "open_promises": self.open_promises,
            "promise_kept_rate": r(self.promise_kept_rate, 4),
            "broken_promises_90d": self.broken_promises_90d,
            "partial_promises_90d": self.partial_promises_90d,
            "broken_promises_30d": self.broken_promises_30d,
            "risk_score": self.risk_score, "risk_components": dict(self.risk_components),
        }


def credit_metrics(inputs: CustomerInputs, today: date) -> CreditMetrics:
    """One customer's figures and risk score on `today`, from its summed inputs."""
    recent = average_days_to_pay(inputs.paid_recent)
    before = average_days_to_pay(inputs.paid_before)
    used = utilisation(inputs.exposure, inputs.credit_limit)
    disputes, disputes_before = (inputs.tags_recent.get("dispute", 0),
                                 inputs.tags_before.get("dispute", 0))
    rate = escalation_rate(inputs.escalation_messages, inputs.tagged_messages)
    statuses = [s for s, n in inputs.promise_statuses.items() for _ in range(n)]
    kept = kept_rate(statuses)
    overdue_share = (float(inputs.overdue / inputs.exposure) if inputs.exposure > 0 else None)
    score, points = risk_score(
        avg_days=recent, avg_days_before=before, terms_days=inputs.terms_days,
        utilisation=used, overdue_share=overdue_share, disputes=disputes,
        escalation_rate=rate, kept_rate=kept,
    )
    return CreditMetrics(
        customer_id=inputs.customer_id, name=inputs.name, owner=inputs.owner,
        owner_email=inputs.owner_email, currency=inputs.currency, as_of=today,
        credit_limit=inputs.credit_limit, terms_days=inputs.terms_days,
        avg_days_to_pay=recent, avg_days_to_pay_before=before,
        payments_90d=inputs.paid_recent.payments, payments_before=inputs.paid_before.payments,
        days_to_pay_change=None if recent is None or before is None else recent - before,
        days_to_pay_change_pct=change_pct(before, recent),
        exposure=inputs.exposure, overdue=inputs.overdue, open_invoices=inputs.open_invoices,
        utilisation=used, disputes_90d=disputes, disputes_before=disputes_before,
        dispute_change_pct=change_pct(disputes_before, disputes),
        escalations_90d=sum(inputs.tags_recent.get(t, 0) for t in ESCALATION_TAGS),
        escalation_rate=rate, open_promises=inputs.promise_statuses.get(OPEN, 0),
        promise_kept_rate=kept, broken_promises_90d=inputs.broken_90d,
        partial_promises_90d=inputs.partial_90d, broken_promises_30d=inputs.broken_30d,
        risk_score=score, risk_components=points,
    )


# --- the view -------------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str | None:
    """Money in figures and proposals: a string with cents, exact and JSON-safe."""
    return None if value is None else f"{value:.2f}"


def _decimal(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value)).quantize(_CENT)


class CreditView:
    """The bounded queries the credit rules need: one GROUP BY per kind of figure over all
    customers, never one query per customer. `metrics(now)` is computed once per view."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._metrics: dict[datetime, list[CreditMetrics]] = {}

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def payment_timing(self, w: Windows) -> dict[tuple[int, bool], PaymentTiming]:
        """Per (customer, in the last 90 days?): payments matched to invoices by number."""
        received, issued = col(Payment.received_on), col(Invoice.issued_on)
        if self._dialect() == "sqlite":
            days: Any = func.julianday(received) - func.julianday(issued)
        else:
            days = received - issued
        inner = (
            select(col(Invoice.customer_id).label("cid"),
                   (received > w.recent_after).label("recent"), days.label("days"))
            .join(Invoice, col(Invoice.number) == col(Payment.invoice_number))
            .where(received > w.before_after, received <= w.today, issued.is_not(None))
            .subquery()
        )
        rows = self.session.execute(
            select(inner.c.cid, inner.c.recent, func.count(), func.sum(inner.c.days))
            .group_by(inner.c.cid, inner.c.recent)
        )
        return {(cid, bool(recent)): PaymentTiming(n, float(total or 0))
                for cid, recent, n, total in rows}

    def open_invoices(self, w: Windows) -> dict[int, tuple[Decimal, Decimal, int]]:
        """Per customer: (exposure, overdue part, open invoices) of invoices not closed."""
        owed = func.coalesce(col(Invoice.open_amount), col(Invoice.amount), 0)
        rows = self.session.execute(
            select(col(Invoice.customer_id), func.sum(owed),
                   func.sum(case((col(Invoice.due_on) < w.today, owed), else_=0)),
                   func.sum(case((owed > 0, 1), else_=0)))
            .where(func.lower(col(Invoice.status)).not_in(CLOSED_INVOICE))
            .group_by(col(Invoice.customer_id))
        )
        return {cid: (_decimal(total), _decimal(late), int(n or 0))
                for cid, total, late, n in rows}

    def _inbound(self, since: datetime, until: datetime) -> tuple[Any, ...]:
        return (col(Message.direction) == "inbound", col(Message.customer_id).is_not(None),
                col(Message.automatic).is_(None),
                col(Message.sent_at) >= since, col(Message.sent_at) <= until)

    def signal_counts(self, w: Windows) -> dict[tuple[int, bool], dict[str, int]]:
        """Per (customer, in the last 90 days?): signals on its inbound messages by tag."""
        inner = (
            select(col(Message.customer_id).label("cid"),
                   (col(Message.sent_at) >= w.recent_since).label("recent"),
                   col(Signal.tag).label("tag"))
            .join(Message, col(Message.id) == col(Signal.message_id))
            .where(*self._inbound(w.before_since, w.now))
            .subquery()
        )
        out: dict[tuple[int, bool], dict[str, int]] = defaultdict(dict)
        for cid, recent, tag, n in self.session.execute(
            select(inner.c.cid, inner.c.recent, inner.c.tag, func.count())
            .group_by(inner.c.cid, inner.c.recent, inner.c.tag)
        ):
            out[(cid, bool(recent))][tag] = n
        return out

    def message_counts(self, w: Windows) -> dict[int, tuple[int, int]]:
        """Per customer, last 90 days: (tagged inbound messages, those with an escalation)."""
        escalating = case((col(Signal.tag).in_(ESCALATION_TAGS), col(Message.id)))
        rows = self.session.execute(
            select(col(Message.customer_id), func.count(distinct(col(Message.id))),
                   func.count(distinct(escalating)))
            .join(Signal, col(Signal.message_id) == col(Message.id))
            .where(*self._inbound(w.recent_since, w.now), col(Signal.tag) != "auto_reply")
            .group_by(col(Message.customer_id))
        )
        return {cid: (tagged, esc) for cid, tagged, esc in rows}

    def issue_counts(
        self, w: Windows
    ) -> tuple[dict[tuple[int, bool], dict[str, int]], dict[int, int]]:
        """Per (customer, in the last 90 days?): disputes and escalations raised, each counted
        once however often it was repeated; and per customer, the messages of the last 90
        days whose escalations all repeat one raised before."""
        rows = self.session.execute(
            select(col(Message.customer_id), col(Signal.tag), col(Message.id),
                   col(Message.thread_id), col(Message.sent_at), col(Signal.values))
            .join(Signal, col(Signal.message_id) == col(Message.id))
            # From a link's length earlier, so that a repeat is never taken for a new issue.
            .where(*self._inbound(w.before_since - timedelta(days=LINK_DAYS), w.now),
                   col(Signal.tag).in_(ISSUE_TAGS))
        ).all()
        statements = [
            IssueStatement(cid, tag, mid, thread_id, sent_at,
                           frozenset(((values or {}).get("dispute") or {}).get("invoices") or ()))
            for cid, tag, mid, thread_id, sent_at, values in rows
        ]
        new = first_raised(statements)
        counts: dict[tuple[int, bool], dict[str, int]] = defaultdict(dict)
        escalating: dict[int, dict[int, bool]] = defaultdict(dict)  # cid -> message -> raised?
        for s in statements:
            if s.sent_at < w.before_since:
                continue
            recent = s.sent_at >= w.recent_since
            raised = (s.message_id, s.tag) in new
            tally = counts[(s.customer_id, recent)]
            tally[s.tag] = tally.get(s.tag, 0) + raised
            if recent and s.tag in ESCALATION_TAGS:
                mine = escalating[s.customer_id]
                mine[s.message_id] = mine.get(s.message_id, False) or raised
        repeats = {cid: sum(not raised for raised in mine.values())
                   for cid, mine in escalating.items()}
        return counts, repeats

    def promise_counts(self, w: Windows) -> dict[int, tuple[dict[str, int], dict[str, int],
                                                          dict[str, int]]]:
        """Per customer: promises by status (all), and by status due in the last 90 / 30 days."""
        due = col(PromiseRecord.due_on)
        in_90 = case((and_(due > w.recent_after, due <= w.today), 1), else_=0)
        in_30 = case((and_(due > w.today - timedelta(days=30), due <= w.today), 1), else_=0)
        out: dict[int, tuple[dict[str, int], dict[str, int], dict[str, int]]] = {}
        for cid, status, n, n90, n30 in self.session.execute(
            select(col(PromiseRecord.customer_id), col(PromiseRecord.status), func.count(),
                   func.sum(in_90), func.sum(in_30))
            .where(col(PromiseRecord.customer_id).is_not(None))
            .group_by(col(PromiseRecord.customer_id), col(PromiseRecord.status))
        ):
            entry = out.setdefault(cid, ({}, {}, {}))
            entry[0][status], entry[1][status], entry[2][status] = n, int(n90 or 0), int(n30 or 0)
        return out

    def inputs(self, now: datetime) -> list[CustomerInputs]:
        w = Windows.ending(now)
        timing = self.payment_timing(w)
        invoices = self.open_invoices(w)
        tags = self.signal_counts(w)
        issues, repeats = self.issue_counts(w)
        for key, raised in issues.items():
            tags[key] = {**tags.get(key, {}), **raised}
        messages = self.message_counts(w)
        promises = self.promise_counts(w)
        out = []
        for c in self.session.execute(
            select(col(Customer.id), col(Customer.name), col(Customer.owner),
                   col(Customer.owner_email), col(Customer.currency),
                   col(Customer.credit_limit), col(Customer.terms_days))
            .order_by(col(Customer.id))
        ):
            cid = c.id
            exposure, overdue, open_n = invoices.get(cid, (Decimal(0), Decimal(0), 0))
            tagged, escalating = messages.get(cid, (0, 0))
            tagged, escalating = tagged - repeats.get(cid, 0), escalating - repeats.get(cid, 0)
            statuses, due_90, due_30 = promises.get(cid, ({}, {}, {}))
            out.append(CustomerInputs(
                customer_id=cid, name=c.name, owner=c.owner, owner_email=c.owner_email,
                currency=c.currency,
                credit_limit=None if c.credit_limit is None else _decimal(c.credit_limit),
                terms_days=c.terms_days,
                paid_recent=timing.get((cid, True), PaymentTiming()),
                paid_before=timing.get((cid, False), PaymentTiming()),
                exposure=exposure, overdue=overdue, open_invoices=open_n,
                tags_recent=tags.get((cid, True), {}), tags_before=tags.get((cid, False), {}),
                tagged_messages=tagged, escalation_messages=escalating,
                promise_statuses=statuses, broken_90d=due_90.get(BROKEN, 0),
                partial_90d=due_90.get(PARTIAL, 0), broken_30d=due_30.get(BROKEN, 0),
            ))
        return out

    def metrics(self, now: datetime) -> list[CreditMetrics]:
        """Every customer's figures at `now` (computed once per view and `now`)."""
        if now not in self._metrics:
            today = Windows.ending(now).today
            self._metrics[now] = [credit_metrics(i, today) for i in self.inputs(now)]
        return self._metrics[now]

    def reference_scores(self, on_or_before: date) -> dict[int, tuple[date, float]]:
        """Per customer, the latest snapshot's risk score taken on or before the day (within
        the 90 days up to it)."""
        cid, taken_on = col(CreditSnapshot.customer_id), col(CreditSnapshot.taken_on)
        latest = (
            select(cid.label("cid"), func.max(taken_on).label("day"))
            .where(taken_on <= on_or_before,
                   taken_on > on_or_before - timedelta(days=WINDOW_DAYS),
                   col(CreditSnapshot.risk_score).is_not(None))
            .group_by(cid).subquery()
        )
        rows = self.session.execute(
            select(cid, taken_on, col(CreditSnapshot.risk_score))
            .join(latest, and_(cid == latest.c.cid, taken_on == latest.c.day))
        )
        return {customer: (day, score) for customer, day, score in rows}

    def holds_in_effect(self) -> dict[int, datetime]:
        """Customers whose latest approved hold_orders came after their latest approved
        resume: when the hold was approved."""
        held: dict[int, datetime] = {}
        resumed: dict[int, datetime] = {}
        for cid, action, state, decided_at, figures in self.session.execute(
            select(col(Proposal.customer_id), col(Proposal.action), col(Proposal.state),
                   col(Proposal.decided_at), col(Proposal.figures))
            .where(col(Proposal.action).in_(("hold_orders", "resume")))
        ):
            into = held if action == "hold_orders" else resumed
            approvals = [datetime.fromisoformat(entry["at"])
                         for entry in (figures or {}).get("history", [])
                         if entry.get("state") == APPROVED]
            if state == APPROVED and decided_at is not None:
                approvals.append(decided_at)
            for at in approvals:
                if cid not in into or at > into[cid]:
                    into[cid] = at
        return {cid: at for cid, at in held.items() if cid not in resumed or at > resumed[cid]}


def credit_view(view: Any) -> Any:
    """The rules take the runner's StoreView and read through a CreditView over its session;
    anything with CreditView's `metrics`/`reference_scores`/`holds_in_effect` will do."""
    return view if hasattr(view, "metrics") else CreditView(view.session)


# --- rules ----------------------------------------------------------------------------------


def _at_least(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold - _EPS


def _days(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _money(amount: Decimal | None, currency: str) -> str:
    return "no" if amount is None else f"{currency} {amount:,.2f}"


def _limit_used(m: CreditMetrics) -> str:
    return (f"{(m.utilisation or 0) * 100:.0f}% used ({_money(m.exposure, m.currency)} open "
            f"against a {_money(m.credit_limit, m.currency)} limit)")


ACTION_TITLES = {"credit_review": "Credit review proposed", "hold_orders": "Hold orders proposed",
                 "reduce_limit": "Lower credit limit proposed", "resume": "Resume orders proposed"}


def _finding(name: str, severity: str, m: CreditMetrics, triggers: list[str],
             reasons: list[str], proposal: dict[str, Any]) -> Any:
    from monitor.rules import Finding  # monitor.rules registers these rules

    action = proposal["action"]
    return Finding(
        rule=name, subject=f"customer:{m.customer_id}:{action}", severity=severity,
        title=f"{ACTION_TITLES[action]}: {m.name}",
        summary=(f"{'. '.join(reasons)}. Risk score {m.risk_score:.0f}/100. A person approves "
                 f"or overrides this; owner: {m.owner or 'the AR team'}."),
        customer_id=m.customer_id,
        details={**m.figures(), "customer": m.name, "owner": m.owner,
                 "owner_email": m.owner_email, "triggers": triggers, "reasons": reasons,
                 "proposal": {"customer_id": m.customer_id, **proposal}},
    )


def credit_review(
    name: str, config: CreditReviewRuleConfig, view: Any, now: datetime
) -> list[Any]:
    """Propose a review when days to pay worsened, disputes rose, or the limit is nearly used."""
    findings = []
    for m in credit_view(view).metrics(now):
        triggers: list[str] = []
        reasons: list[str] = []
        enough = min(m.payments_90d, m.payments_before) >= config.min_payments
        if enough and m.days_to_pay_change is not None and m.days_to_pay_change > 0 and (
            _at_least(m.days_to_pay_change, config.days_to_pay_rise_days)
            or _at_least(m.days_to_pay_change_pct, config.days_to_pay_rise_pct)
        ):
            triggers.append("days_to_pay")
            reasons.append(f"Average days to pay rose from {_days(m.avg_days_to_pay_before or 0)}"
                           f" to {_days(m.avg_days_to_pay or 0)} over 90 days")
        if m.disputes_90d >= config.min_disputes and m.disputes_90d > m.disputes_before and (
            m.disputes_before == 0 or _at_least(m.dispute_change_pct, config.dispute_rise_pct)
        ):
            triggers.append("disputes")
            reasons.append(
                f"Disputes up from none to {m.disputes_90d} in the last 90 days"
                if m.disputes_before == 0 else
                f"Disputes up {m.dispute_change_pct or 0:.0f}%: {m.disputes_90d} in the last "
                f"90 days against {m.disputes_before} before"
            )
        if _at_least(m.utilisation, config.utilisation):
            triggers.append("utilisation")
            reasons.append(f"Credit limit {_limit_used(m)}")
        if triggers:
            findings.append(_finding(name, config.severity, m, triggers, reasons,
                                     {"action": "credit_review"}))
    return findings


def hold_orders(name: str, config: HoldOrdersRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose holding orders when the limit is exceeded or promises were broken."""
    findings = []
    for m in credit_view(view).metrics(now):
        triggers: list[str] = []
        reasons: list[str] = []
        if m.utilisation is not None and m.utilisation > config.utilisation_over + _EPS:
            triggers.append("over_limit")
            reasons.append(f"Credit limit exceeded: {_limit_used(m)}")
        broken = m.broken_promises_90d + (m.partial_promises_90d if config.count_partial else 0)
        if broken >= config.broken_promises:
            triggers.append("broken_promises")
            kinds = "broken or part-paid" if config.count_partial else "broken"
            reasons.append(f"{broken} promises to pay {kinds} in the last 90 days")
        if triggers:
            findings.append(_finding(name, config.severity, m, triggers, reasons,
                                     {"action": "hold_orders"}))
    return findings


def _score_parts(m: CreditMetrics) -> str:
    parts = sorted(((p, n) for n, p in m.risk_components.items() if p > 0), reverse=True)
    return ", ".join(f"{n} {p:g}" for p, n in parts) or "nothing"


def reduce_limit(name: str, config: ReduceLimitRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose a lower limit when the risk score is at least `min_risk` and worsening: up by
    `min_rise` on the snapshot of `lookback_days` ago or, with no snapshot, paying slower or
    disputing more than in the 90 days before."""
    cv = credit_view(view)
    metrics = cv.metrics(now)
    refs = cv.reference_scores(Windows.ending(now).today - timedelta(days=config.lookback_days))
    findings = []
    for m in metrics:
        if not _at_least(m.risk_score, config.min_risk):
            continue
        ref = refs.get(m.customer_id)
        if ref is not None:
            rise = m.risk_score - ref[1]
            if rise <= 0 or not _at_least(rise, config.min_rise):
                continue
            why = f"Risk score {m.risk_score:.0f} of 100, up from {ref[1]:.0f} on {ref[0]}"
        elif (m.days_to_pay_change or 0) > 0 or m.disputes_90d > m.disputes_before:
            why = f"Risk score {m.risk_score:.0f} of 100 and worsening"
        else:
            continue
        reasons = [why, f"Score made of: {_score_parts(m)}"]
        suggested = (None if m.credit_limit is None
                     else (m.credit_limit * Decimal(str(1 - config.reduce_by))).quantize(
                         Decimal(1)))
        findings.append(_finding(name, config.severity, m, ["risk"], reasons, {
            "action": "reduce_limit", "current_limit": _amount(m.credit_limit),
            "suggested_limit": _amount(suggested),
        }))
    return findings


def resume(name: str, config: ResumeRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose resuming orders for a customer on an approved hold whose risk score is under
    `max_risk` with no promise to pay broken in the last 30 days."""
    cv = credit_view(view)
    holds = cv.holds_in_effect()
    findings = []
    for m in cv.metrics(now):
        since = holds.get(m.customer_id)
        if since is None or m.broken_promises_30d or m.risk_score >= config.max_risk:
            continue
        reasons = [f"Orders on hold since {since:%Y-%m-%d}; risk score back to "
                   f"{m.risk_score:.0f}, under {config.max_risk:g}",
                   "No promise to pay broken in the last 30 days"]
        findings.append(_finding(name, config.severity, m, ["recovered"], reasons, {
            "action": "resume", "hold_approved_at": since.isoformat(),
        }))
    return findings


CREDIT_RULES: dict[str, Callable[[str, Any, Any, datetime], list[Any]]] = {
    "credit_review": credit_review, "hold_orders": hold_orders,
    "reduce_limit": reduce_limit, "resume": resume,
}


def evaluate_credit_rules(
    view: Any, rules: Mapping[str, Any], now: datetime
) -> dict[str, list[Any]]:
    """The findings of every enabled credit rule in `rules` (other types are skipped) over one
    CreditView, so the figures are computed once for all of them."""
    shared = credit_view(view)
    return {name: CREDIT_RULES[config.type](name, config, shared, now)
            for name, config in rules.items()
            if config.enabled and config.type in CREDIT_RULES}


# --- jobs: snapshots, proposals, decisions --------------------------------------------------


def _insert_statement(session: Session, model: Any) -> Any:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model.__table__)


_SNAPSHOT_COLUMNS = ("avg_days_to_pay", "avg_days_to_pay_before", "exposure", "utilisation",
                     "disputes_90d", "disputes_before", "escalations_90d", "open_promises",
                     "promise_kept_rate", "risk_score", "figures", "created_at")


def take_snapshots(session: Session, today: date, *, now: datetime | None = None
                   ) -> dict[str, int]:
    """One CreditSnapshot per customer for `today`, upserted: a second run the same day
    updates that day's rows. Figures count messages up to the end of `today` (UTC)."""
    end_of_day = datetime.combine(today, time.max, tzinfo=UTC)
    stamped = now or utcnow()
    rows = [
        {"customer_id": m.customer_id, "taken_on": today, "avg_days_to_pay": m.avg_days_to_pay,
         "avg_days_to_pay_before": m.avg_days_to_pay_before, "exposure": m.exposure,
         "utilisation": m.utilisation, "disputes_90d": m.disputes_90d,
         "disputes_before": m.disputes_before, "escalations_90d": m.escalations_90d,
         "open_promises": m.open_promises, "promise_kept_rate": m.promise_kept_rate,
         "risk_score": m.risk_score, "figures": m.figures(), "created_at": stamped}
        for m in CreditView(session).metrics(end_of_day)
    ]

    def on_day() -> int:
        return int(session.scalar(select(func.count()).select_from(CreditSnapshot)
                                  .where(col(CreditSnapshot.taken_on) == today)) or 0)

    before = on_day()
    stmt = _insert_statement(session, CreditSnapshot)
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id", "taken_on"],
        set_={c: stmt.excluded[c] for c in _SNAPSHOT_COLUMNS},
    )
    for start in range(0, len(rows), 2000):
        session.execute(stmt, rows[start : start + 2000])
    created = on_day() - before
    return {"customers": len(rows), "created": created, "updated": len(rows) - created}


class ProposalError(Exception):
    """A proposal cannot be decided: unknown, or already decided."""


def _proposal_figures(details: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("reasons",)}


_META = ("proposed_at", "history", "cleared_at")


def record_proposals(
    session: Session, rule: str, findings: list[Any], now: datetime
) -> dict[str, int]:
    """Store a credit rule's findings as proposals (key `rule:customer:action`).

    New: inserted as proposed. Still proposed: its reasons and figures are refreshed. Decided:
    left as decided unless a reason appears that the person did not decide on, or its
    conditions had cleared since; then it is proposed again, the earlier decision kept in
    its history. Proposals whose conditions no longer hold are marked `cleared_at` (never
    deleted, never decided by the machine). The rule's proposals are locked while this runs
    (PostgreSQL), so a decision made meanwhile waits rather than being overwritten."""
    counts = {"proposed": 0, "refreshed": 0, "re_proposed": 0, "unchanged": 0, "cleared": 0}
    existing = {p.dedupe_key: p for p in session.scalars(
        select(Proposal).where(col(Proposal.rule) == rule).with_for_update())}
    current: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    for finding in findings:
        proposal = finding.details.get("proposal") or {}
        if finding.customer_id is None or "action" not in proposal:
            continue
        key = f"{rule}:{finding.customer_id}:{proposal['action']}"
        if key in current:
            continue
        current.add(key)
        figures = _proposal_figures(finding.details)
        reasons = list(finding.details.get("reasons", []))
        row = existing.get(key)
        if row is None:
            new_rows.append({
                "dedupe_key": key, "customer_id": finding.customer_id,
                "action": proposal["action"], "state": PROPOSED, "reasons": reasons,
                "figures": {**figures, "proposed_at": now.isoformat(), "history": []},
                "rule": rule, "decision_note": "", "created_at": now,
            })
            continue
        old = dict(row.figures or {})
        history = list(old.get("history", []))
        if row.state == PROPOSED:
            if row.reasons == reasons and not old.get("cleared_at") and figures == {
                k: v for k, v in old.items() if k not in _META
            }:
                counts["unchanged"] += 1
                continue
            row.reasons = reasons
            row.figures = {**figures, "proposed_at": old.get("proposed_at"), "history": history}
            counts["refreshed"] += 1
        elif old.get("cleared_at") or set(figures.get("triggers", [])) - set(
            old.get("triggers", [])
        ):
            row.state, row.reasons = PROPOSED, reasons
            row.decided_by, row.decided_at, row.decision_note = None, None, ""
            row.figures = {**figures, "proposed_at": now.isoformat(), "history": history}
            counts["re_proposed"] += 1
        else:
            counts["unchanged"] += 1
            continue
        session.add(row)
    if new_rows:
        # Another process may have proposed the same key meanwhile: its row stands.
        stmt = _insert_statement(session, Proposal).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
        for start in range(0, len(new_rows), 1000):
            session.execute(stmt, new_rows[start : start + 1000])
        counts["proposed"] = len(new_rows)
    for key, row in existing.items():
        if key not in current and not (row.figures or {}).get("cleared_at"):
            row.figures = {**(row.figures or {}), "cleared_at": now.isoformat()}
            session.add(row)
            counts["cleared"] += 1
    return counts


def decide(
    session: Session, proposal_id: int, approve: bool, who: str, note: str, now: datetime
) -> Proposal:
    """Record a person's decision on a proposal: approved, or overridden (not acted on)."""
    if not who.strip():
        raise ProposalError("a decision needs the name of the person who made it")
    row = session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ProposalError(f"proposal {proposal_id} does not exist")
    if row.state != PROPOSED:
        when = f" at {row.decided_at:%Y-%m-%d %H:%M} UTC" if row.decided_at else ""
        raise ProposalError(f"proposal {proposal_id} was already {row.state} by "
                            f"{row.decided_by}{when}")
    state = APPROVED if approve else OVERRIDDEN
    figures = dict(row.figures or {})
    figures["history"] = [*figures.get("history", []),
                          {"state": state, "by": who, "at": now.isoformat(), "note": note,
                           "reasons": list(row.reasons)}]
    row.state, row.decided_by, row.decided_at, row.decision_note = state, who, now, note
    row.figures = figures
    session.add(row)
    session.flush()
    return row


__all__ = [
    "CREDIT_RULES", "CreditMetrics", "CreditReviewRuleConfig", "CreditView", "CustomerInputs",
    "HoldOrdersRuleConfig", "PaidInvoice", "PaymentTiming", "ProposalError",
    "ReduceLimitRuleConfig", "ResumeRuleConfig", "Windows", "average_days_to_pay",
    "change_pct", "credit_metrics", "credit_review", "credit_view", "decide", "escalation_rate",
    "evaluate_credit_rules",
    "hold_orders", "payment_timing", "record_proposals", "reduce_limit", "resume", "risk_score",
    "take_snapshots", "utilisation",
]
