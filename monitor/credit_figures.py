"""Credit figures: each customer's payment behaviour, exposure, disputes, escalations and
promises as figures and a 0–100 risk score, computed from the sums a CreditView reads
(`monitor.credit_view`); the credit rules (`monitor.credit_rules`) act on them.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from monitor.promises import OPEN, kept_rate

WINDOW_DAYS = 90
ESCALATION_TAGS = ("legal_escalation", "cease_contact", "hardship")
DEFAULT_TERMS_DAYS = 30
RISK_WEIGHTS = {"lateness": 20, "trend": 15, "utilisation": 20, "overdue": 10,
                "disputes": 10, "escalation": 15, "promises": 10}


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


def _amount(value: Decimal | None) -> str | None:
    """Money in figures and proposals: a string with cents, exact and JSON-safe."""
    return None if value is None else f"{value:.2f}"


__all__ = [
    "CreditMetrics", "CustomerInputs", "PaidInvoice", "PaymentTiming", "Windows",
    "average_days_to_pay", "change_pct", "credit_metrics", "escalation_rate", "payment_timing",
    "risk_score", "utilisation",
]
