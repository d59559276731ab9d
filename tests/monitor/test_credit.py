"""Credit linkage: figures, risk score, snapshots, rules and proposals, at an explicit `now`."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import (
    CreditSnapshot,
    Customer,
    Invoice,
    Message,
    Payment,
    PromiseRecord,
    Proposal,
    Signal,
    session_scope,
)
from monitor.credit_figures import (
    CustomerInputs,
    PaidInvoice,
    PaymentTiming,
    Windows,
    average_days_to_pay,
    change_pct,
    credit_metrics,
    escalation_rate,
    payment_timing,
    risk_score,
    utilisation,
)
from monitor.credit_proposals import ProposalError, decide, record_proposals
from monitor.credit_rules import (
    CreditReviewRuleConfig,
    HoldOrdersRuleConfig,
    ReduceLimitRuleConfig,
    ResumeRuleConfig,
    credit_review,
    evaluate_credit_rules,
    hold_orders,
    reduce_limit,
    resume,
)
from monitor.credit_view import CreditView, take_snapshots
from monitor.view import StoreView

D = Decimal
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
REVIEW = CreditReviewRuleConfig(type="credit_review")
HOLD = HoldOrdersRuleConfig(type="hold_orders")
REDUCE = ReduceLimitRuleConfig(type="reduce_limit")
RESUME = ResumeRuleConfig(type="resume")
_keys = itertools.count(1)


class Book:
    """One customer's invoices, payments, messages and promises, written into a session."""

    def __init__(self, session: Session, name: str = "Brightline", limit: str | None = "100000",
                 terms: int | None = 30) -> None:
        self.session = session
        customer = Customer(external_id=f"C{next(_keys)}", name=name, domains=[],
                            credit_limit=None if limit is None else D(limit), terms_days=terms,
                            owner="Maria Lopez")
        session.add(customer)
        session.flush()
        assert customer.id is not None
        self.id = customer.id

    def invoice(self, amount: str, open_amount: str | None = None, status: str = "open",
                due_in: int = 30, issued_on: date | None = None) -> str:
        number = f"INV-{next(_keys)}"
        self.session.add(Invoice(
            customer_id=self.id, number=number, amount=D(amount),
            open_amount=None if open_amount is None else D(open_amount),
            issued_on=issued_on or TODAY - timedelta(days=30),
            due_on=TODAY + timedelta(days=due_in), status=status,
        ))
        return number

    def paid(self, received_days_ago: int, days_to_pay: int) -> PaidInvoice:
        """An invoice paid in full `days_to_pay` days after it was issued."""
        received = TODAY - timedelta(days=received_days_ago)
        issued = received - timedelta(days=days_to_pay)
        number = self.invoice("1000", "0", "paid", issued_on=issued)
        self.session.add(Payment(customer_id=self.id, reference=f"PAY-{next(_keys)}",
                                 amount=D("1000"), received_on=received, invoice_number=number))
        return PaidInvoice(issued, received)

    def said(self, days_ago: float, *tags: str, direction: str = "inbound",
             automatic: str | None = None) -> int:
        message = Message(natural_key=f"m{next(_keys)}", source="test", channel="email",
                          direction=direction, sent_at=NOW - timedelta(days=days_ago),
                          customer_id=self.id, automatic=automatic, new_text="...")
        self.session.add(message)
        self.session.flush()
        assert message.id is not None
        for tag in tags:
            self.session.add(Signal(message_id=message.id, tag=tag, start=0, end=3,
                                    confidence=0.9, pipeline_version="test"))
        return message.id

    def promise(self, status: str, due_days_ago: int) -> PromiseRecord:
        record = PromiseRecord(message_id=self.said(due_days_ago + 7), customer_id=self.id,
                               amount=D("500"), currency="USD", status=status,
                               due_on=TODAY - timedelta(days=due_days_ago))
        self.session.add(record)
        return record


def metrics_of(session: Session, customer_id: int, now: datetime = NOW) -> Any:
    return next(m for m in CreditView(session).metrics(now) if m.customer_id == customer_id)


# --- the seed scenario ----------------------------------------------------------------------


def seed(session: Session) -> tuple[Book, list[PaidInvoice]]:
    """Paid in ~28 days the 90 days before, ~67 in the last 90; disputes up from 5 to 7."""
    book = Book(session)
    paid = [book.paid(ago, dtp) for ago, dtp in [(170, 26), (140, 28), (100, 30)]]
    paid += [book.paid(ago, dtp) for ago, dtp in [(80, 65), (50, 67), (10, 69)]]
    for ago in (95, 110, 125, 150, 170):
        book.said(ago, "dispute")
    for ago in (5, 15, 25, 35, 45, 60, 85):
        book.said(ago, "dispute")
    return book, paid


def test_seed_scenario_proposes_a_credit_review_with_its_figures(engine: Engine) -> None:
    with session_scope(engine) as session:
        book, paid = seed(session)
        calm = Book(session, "Calm Co")
        for ago in (20, 120):
            calm.paid(ago, 30)
    with Session(engine) as session:
        findings = credit_review("review", REVIEW, StoreView(session), NOW)
        timing = CreditView(session).payment_timing(Windows.ending(NOW))
    assert [f.customer_id for f in findings] == [book.id]
    finding = findings[0]
    assert finding.subject == f"customer:{book.id}:credit_review"
    assert finding.details["reasons"] == [
        "Average days to pay rose from 28 to 67 over 90 days",
        "Disputes up 40%: 7 in the last 90 days against 5 before",
    ]
    assert finding.details["proposal"] == {"customer_id": book.id, "action": "credit_review"}
    details = finding.details
    assert (details["avg_days_to_pay_before"], details["avg_days_to_pay"]) == (28.0, 67.0)
    assert (details["disputes_before"], details["disputes_90d"]) == (5, 7)
    assert details["dispute_change_pct"] == 40.0
    assert details["triggers"] == ["days_to_pay", "disputes"]
    # Explainable score: (67-30)/60 of 20 for lateness, +39 days caps the trend's 15,
    # 7 of 10 disputes gives 7; nothing open, no escalation, no promises.
    assert details["risk_components"] == {"lateness": 12.3, "trend": 15.0, "utilisation": 0.0,
                                          "overdue": 0.0, "disputes": 7.0, "escalation": 0.0,
                                          "promises": 0.0}
    assert details["risk_score"] == 34.3
    json.dumps(details)  # alert details and proposals are JSON
    # The GROUP BY agrees with the per-payment definition.
    recent, before = payment_timing(paid, TODAY)
    assert (timing[(book.id, True)], timing[(book.id, False)]) == (recent, before)

    with session_scope(engine) as session:
        assert record_proposals(session, "review", findings, NOW)["proposed"] == 1
    with session_scope(engine) as session:
        assert record_proposals(session, "review", findings, NOW)["unchanged"] == 1
    with session_scope(engine) as session:  # a day later the figures moved: refreshed
        later = credit_review("review", REVIEW, CreditView(session), NOW + timedelta(days=1))
        assert record_proposals(session, "review", later, NOW)["refreshed"] == 1
    with Session(engine) as session:
        [proposal] = session.scalars(select(Proposal)).all()
        assert proposal.dedupe_key == f"review:{book.id}:credit_review"
        assert (proposal.state, proposal.action, proposal.rule) == ("proposed", "credit_review",
                                                                    "review")
        assert proposal.reasons == finding.details["reasons"]
        assert proposal.figures["avg_days_to_pay"] == 67.0


# --- pure figures ---------------------------------------------------------------------------


def test_figures_without_data_divide_by_nothing() -> None:
    assert average_days_to_pay(PaymentTiming()) is None
    assert change_pct(None, 30) is None and change_pct(0, 5) is None
    assert change_pct(28, 67) == pytest.approx(139.2857, abs=1e-3)
    assert utilisation(D("500"), None) is None and utilisation(D("500"), D("0")) is None
    assert utilisation(D("-50"), D("1000")) == 0.0
    assert escalation_rate(0, 0) is None
    quiet = credit_metrics(CustomerInputs(customer_id=1, name="Quiet"), TODAY)
    assert (quiet.avg_days_to_pay, quiet.utilisation, quiet.promise_kept_rate) == (None,) * 3
    assert quiet.risk_score == 0.0
    json.dumps(quiet.figures())


def test_risk_score_bounds() -> None:
    assert risk_score(avg_days=None, avg_days_before=None, terms_days=None, utilisation=None,
                      overdue_share=None, disputes=0, escalation_rate=None,
                      kept_rate=None) == (0.0, dict.fromkeys(
                          ("lateness", "trend", "utilisation", "overdue", "disputes",
                           "escalation", "promises"), 0.0))
    score, points = risk_score(avg_days=200, avg_days_before=10, terms_days=30, utilisation=3,
                               overdue_share=1, disputes=50, escalation_rate=1, kept_rate=0)
    assert score == 100.0 and sum(points.values()) == 100


@pytest.mark.parametrize(("received_days_ago", "bucket"), [
    (0, "recent"), (89, "recent"), (90, "before"), (179, "before"), (180, None), (-1, None),
])
def test_payment_windows(received_days_ago: int, bucket: str | None) -> None:
    received = TODAY - timedelta(days=received_days_ago)
    recent, before = payment_timing([PaidInvoice(received - timedelta(days=10), received)],
                                    TODAY)
    assert (recent.payments, before.payments) == {
        "recent": (1, 0), "before": (0, 1), None: (0, 0)}[bucket]


def test_payment_windows_in_the_store_match(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        paid = [book.paid(ago, dtp) for ago, dtp in
                [(0, 11), (89, 13), (90, 17), (179, 19), (180, 23), (-1, 29)]]
    with Session(engine) as session:
        timing = CreditView(session).payment_timing(Windows.ending(NOW))
    recent, before = payment_timing(paid, TODAY)
    assert (recent, before) == (PaymentTiming(2, 24.0), PaymentTiming(2, 36.0))
    assert (timing[(book.id, True)], timing[(book.id, False)]) == (recent, before)


# --- rules over fixed figures ---------------------------------------------------------------


class FixedView:
    """Figures given outright, so thresholds can be tested exactly."""

    def __init__(self, *inputs: CustomerInputs, refs: dict[int, tuple[date, float]] | None = None,
                 holds: dict[int, datetime] | None = None) -> None:
        self._metrics = [credit_metrics(i, TODAY) for i in inputs]
        self.refs, self.holds = refs or {}, holds or {}
        self.asked: date | None = None

    def metrics(self, now: datetime) -> list[Any]:
        return self._metrics

    def reference_scores(self, on_or_before: date) -> dict[int, tuple[date, float]]:
        self.asked = on_or_before
        return self.refs

    def holds_in_effect(self) -> dict[int, datetime]:
        return self.holds


def paying(days: float, payments: int = 2) -> PaymentTiming:
    return PaymentTiming(payments, days * payments)


def customer(**kwargs: Any) -> CustomerInputs:
    kwargs.setdefault("credit_limit", D("100000"))
    return CustomerInputs(customer_id=1, name="Brightline", **kwargs)


@pytest.mark.parametrize(("figures", "triggers"), [
    ({"paid_before": paying(40), "paid_recent": paying(54)}, ["days_to_pay"]),  # +14 days
    ({"paid_before": paying(40), "paid_recent": paying(53)}, []),  # +13 days, +32%
    ({"paid_before": paying(20), "paid_recent": paying(30)}, ["days_to_pay"]),  # +50%
    ({"paid_before": paying(20), "paid_recent": paying(29)}, []),  # +45%
    ({"paid_before": paying(20, 1), "paid_recent": paying(60, 1)}, []),  # too few payments
    ({"paid_before": paying(60), "paid_recent": paying(30)}, []),  # faster
    ({"paid_recent": paying(90)}, []),  # nothing to compare with
    ({"tags_before": {"dispute": 5}, "tags_recent": {"dispute": 7}}, ["disputes"]),  # +40%
    ({"tags_before": {"dispute": 5}, "tags_recent": {"dispute": 6}}, []),
    ({"tags_before": {"dispute": 10}, "tags_recent": {"dispute": 13}}, []),  # +30%
    ({"tags_recent": {"dispute": 3}}, ["disputes"]),
    ({"tags_recent": {"dispute": 2}}, []),  # fewer than min_disputes
    ({"tags_before": {"dispute": 2}, "tags_recent": {"dispute": 3}}, ["disputes"]),
    ({"exposure": D("90000")}, ["utilisation"]),  # exactly 90%
    ({"exposure": D("89990")}, []),
    ({"exposure": D("500000"), "credit_limit": None}, []),  # no limit, no utilisation
    ({"exposure": D("500000"), "credit_limit": D("0")}, []),
])
def test_credit_review_thresholds(figures: dict[str, Any], triggers: list[str]) -> None:
    findings = credit_review("review", REVIEW, FixedView(customer(**figures)), NOW)
    assert [f.details["triggers"] for f in findings] == ([triggers] if triggers else [])


def test_credit_review_reasons_for_new_disputes_and_utilisation() -> None:
    view = FixedView(customer(tags_recent={"dispute": 3}, exposure=D("93000")))
    [finding] = credit_review("review", REVIEW, view, NOW)
    assert finding.details["reasons"] == [
        "Disputes up from none to 3 in the last 90 days",
        "Credit limit 93% used (USD 93,000.00 open against a USD 100,000.00 limit)",
    ]


@pytest.mark.parametrize(("config", "figures", "triggers"), [
    (HOLD, {"exposure": D("100000")}, []),  # at the limit is not over it
    (HOLD, {"exposure": D("100010")}, ["over_limit"]),
    (HOLD, {"broken_90d": 2}, ["broken_promises"]),
    (HOLD, {"broken_90d": 1, "partial_90d": 1}, []),
    (HOLD.model_copy(update={"count_partial": True}), {"broken_90d": 1, "partial_90d": 1},
     ["broken_promises"]),
    (HOLD, {"exposure": D("120000"), "broken_90d": 3}, ["over_limit", "broken_promises"]),
])
def test_hold_orders_thresholds(config: HoldOrdersRuleConfig, figures: dict[str, Any],
                                triggers: list[str]) -> None:
    findings = hold_orders("hold", config, FixedView(customer(**figures)), NOW)
    assert [f.details["triggers"] for f in findings] == ([triggers] if triggers else [])
    for finding in findings:
        assert finding.details["proposal"]["action"] == "hold_orders"


RISKY = {  # lateness 20, trend 15, utilisation 20, overdue 10, disputes 10: 75
    "paid_before": paying(55), "paid_recent": paying(95), "exposure": D("130000"),
    "overdue": D("130000"), "tags_recent": {"dispute": 10},
}
STEADY = {  # as bad, but no worse than the 90 days before: 75 without the trend
    "paid_before": paying(95), "paid_recent": paying(95), "exposure": D("130000"),
    "overdue": D("130000"), "tags_before": {"dispute": 10}, "tags_recent": {"dispute": 10},
    "tagged_messages": 20, "escalation_messages": 10,
}


@pytest.mark.parametrize(("figures", "ref", "proposed"), [
    (RISKY, 55.0, True),
    (RISKY, 71.0, False),  # up 4 points, under min_rise
    (RISKY, None, True),  # no snapshot: paying slower counts as worsening
    (STEADY, None, False),
    (STEADY, 60.0, True),
    ({**RISKY, "overdue": D("0"), "tags_recent": {}}, 20.0, False),  # 55: under 70
])
def test_reduce_limit(figures: dict[str, Any], ref: float | None, proposed: bool) -> None:
    refs = {} if ref is None else {1: (TODAY - timedelta(days=31), ref)}
    view = FixedView(customer(**figures), refs=refs)
    findings = reduce_limit("reduce", REDUCE, view, NOW)
    assert view.asked == TODAY - timedelta(days=30)
    assert bool(findings) is proposed
    if findings:
        details = findings[0].details
        assert details["risk_score"] == 75.0
        assert details["proposal"] == {"customer_id": 1, "action": "reduce_limit",
                                       "current_limit": "100000.00", "suggested_limit": "75000.00"}
        if ref is not None:
            assert details["reasons"][0] == f"Risk score 75 of 100, up from {ref:.0f} on 2026-10-31"
        assert details["reasons"][1].startswith("Score made of: ")


@pytest.mark.parametrize(("figures", "on_hold", "proposed"), [
    ({}, True, True),
    ({}, False, False),
    ({"broken_30d": 1}, True, False),
    ({"exposure": D("120000"), "overdue": D("120000")}, True, True),  # 30 points
    ({"exposure": D("120000"), "overdue": D("120000"),
      "promise_statuses": {"broken": 1}}, True, False),  # exactly 40 is not under 40
])
def test_resume(figures: dict[str, Any], on_hold: bool, proposed: bool) -> None:
    holds = {1: datetime(2026, 10, 1, tzinfo=UTC)} if on_hold else {}
    findings = resume("resume", RESUME, FixedView(customer(**figures), holds=holds), NOW)
    assert bool(findings) is proposed


# --- figures from the store -----------------------------------------------------------------


def test_no_payments_and_no_credit_limit(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session, limit=None, terms=None)
        book.invoice("5000", due_in=-10)
    with Session(engine) as session:
        m = metrics_of(session, book.id)
        view = StoreView(session)
        assert credit_review("r", REVIEW, view, NOW) == []
        assert hold_orders("r", HOLD, view, NOW) == []
        assert reduce_limit("r", REDUCE, view, NOW) == []
        assert resume("r", RESUME, view, NOW) == []
    assert (m.avg_days_to_pay, m.avg_days_to_pay_before, m.utilisation) == (None, None, None)
    assert (m.exposure, m.overdue, m.open_invoices) == (D("5000"), D("5000"), 1)
    assert m.risk_components["overdue"] == 10.0 and m.risk_score == 10.0


def test_exposure_counts_invoices_not_closed(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session, limit="2000")
        book.invoice("1000", "400", due_in=-5)  # part-paid and late: 400
        book.invoice("600", due_in=10)  # open amount unknown: the amount
        book.invoice("100", status="overdue", due_in=-1)
        book.invoice("700", "0", status="paid", due_in=-5)
        book.invoice("900", status="cancelled", due_in=-5)
    with Session(engine) as session:
        m = metrics_of(session, book.id)
    assert (m.exposure, m.overdue, m.open_invoices) == (D("1100"), D("500"), 3)
    assert m.utilisation == pytest.approx(0.55)


def test_disputes_and_escalations_count_the_customers_own_messages(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.said(1, "legal_escalation", "hardship")
        book.said(2, "billing_query")
        book.said(3, "cease_contact")
        book.said(4, "dispute")
        book.said(5, "auto_reply")  # not a tagged message of the customer's
        book.said(6, "dispute", automatic="auto_reply")
        book.said(7, "dispute", direction="outbound")
        book.said(200, "dispute")  # older than both windows
        book.said(100, "hardship")  # the 90 days before
    with Session(engine) as session:
        m = metrics_of(session, book.id)
    assert (m.disputes_90d, m.disputes_before) == (1, 0)
    assert m.escalations_90d == 3  # signals
    assert m.escalation_rate == 0.5  # 2 of the 4 tagged messages


def test_promises_feed_kept_rate_and_broken_counts(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.promise("kept", 100)
        book.promise("kept_late", 60)
        book.promise("broken", 50)
        book.promise("broken", 10)
        book.promise("partial", 20)
        book.promise("open", -5)
        book.promise("cancelled", 15)
    with Session(engine) as session:
        m = metrics_of(session, book.id)
    assert (m.open_promises, m.promise_kept_rate) == (1, 0.4)
    assert (m.broken_promises_90d, m.partial_promises_90d, m.broken_promises_30d) == (2, 1, 1)


def test_queries_do_not_grow_with_customers(engine: Engine) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))

    def count_for(customers: int) -> int:
        with session_scope(engine) as session:
            for _ in range(customers):
                seed(session)
        statements.clear()
        with Session(engine) as session:
            CreditView(session).metrics(NOW)
        return len(statements)

    # One query per kind of figure, whatever the number of customers.
    assert count_for(2) == count_for(20) <= 7

    # The credit rules run together compute the figures once.
    rules = {"review": REVIEW, "hold": HOLD, "reduce": REDUCE, "resume": RESUME,
             "off": HOLD.model_copy(update={"enabled": False})}
    statements.clear()
    with Session(engine) as session:
        found = evaluate_credit_rules(StoreView(session), rules, NOW)
    assert len(statements) <= 9
    assert sorted(found) == ["hold", "reduce", "resume", "review"]
    assert len(found["review"]) == 22  # every seeded customer


# --- snapshots ------------------------------------------------------------------------------


def test_snapshots_are_one_per_customer_per_day(engine: Engine) -> None:
    with session_scope(engine) as session:
        book, _ = seed(session)
        Book(session, "Calm Co")
    with session_scope(engine) as session:
        assert take_snapshots(session, TODAY, now=NOW) == {"customers": 2, "created": 2,
                                                            "updated": 0}
    with session_scope(engine) as session:
        book.session = session
        book.said(0.1, "dispute")  # same day, later: the day's snapshot is updated
        assert take_snapshots(session, TODAY, now=NOW) == {"customers": 2, "created": 0,
                                                            "updated": 2}
    with session_scope(engine) as session:
        assert take_snapshots(session, TODAY + timedelta(days=1), now=NOW)["created"] == 2
    with Session(engine) as session:
        rows = session.scalars(select(CreditSnapshot).where(
            col(CreditSnapshot.customer_id) == book.id).order_by(col(CreditSnapshot.taken_on))
        ).all()
        assert [(r.taken_on, r.disputes_90d, r.disputes_before) for r in rows] == [
            (TODAY, 8, 5), (TODAY + timedelta(days=1), 8, 5)]
        assert rows[0].avg_days_to_pay == 67.0 and rows[0].avg_days_to_pay_before == 28.0
        assert rows[0].figures["risk_components"]["disputes"] == 8.0
        assert rows[0].risk_score == rows[0].figures["risk_score"]
        refs = CreditView(session).reference_scores(TODAY)
        assert refs[book.id] == (TODAY, rows[0].risk_score)
        assert CreditView(session).reference_scores(TODAY - timedelta(days=1)) == {}


def test_reduce_limit_compares_with_the_snapshot_a_month_ago(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        for ago, dtp in [(100, 55), (120, 55), (10, 95), (20, 95)]:
            book.paid(ago, dtp)
        book.invoice("130000", due_in=-20)
        for ago in range(1, 11):
            book.said(ago, "dispute")
        session.add(CreditSnapshot(customer_id=book.id, taken_on=TODAY - timedelta(days=32),
                                   risk_score=55.0))
        session.add(CreditSnapshot(customer_id=book.id, taken_on=TODAY - timedelta(days=5),
                                   risk_score=74.0))  # too recent to compare with
    with Session(engine) as session:
        [finding] = reduce_limit("reduce", REDUCE, StoreView(session), NOW)
    assert finding.details["reasons"][0] == "Risk score 75 of 100, up from 55 on 2026-10-30"
    assert finding.details["proposal"]["suggested_limit"] == "75000.00"


# --- proposals and decisions ----------------------------------------------------------------


def test_decisions_are_recorded_and_not_re_proposed_for_the_same_reasons(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.invoice("95000")

    def record(now: datetime) -> dict[str, int]:
        with session_scope(engine) as session:
            findings = credit_review("review", REVIEW, StoreView(session), now)
            return record_proposals(session, "review", findings, now)

    def proposal() -> Proposal:
        with Session(engine) as session:
            [row] = session.scalars(select(Proposal)).all()
            return row

    assert record(NOW)["proposed"] == 1
    with session_scope(engine) as session:
        decided = decide(session, proposal().id or 0, True, "maria", "limit reviewed", NOW)
        assert decided.state == "approved"
    row = proposal()
    assert (row.state, row.decided_by, row.decided_at, row.decision_note) == (
        "approved", "maria", NOW, "limit reviewed")
    with session_scope(engine) as session, pytest.raises(ProposalError, match="already approved"):
        decide(session, row.id or 0, False, "li", "", NOW)
    with session_scope(engine) as session, pytest.raises(ProposalError, match="does not exist"):
        decide(session, 999, True, "li", "", NOW)
    with session_scope(engine) as session, pytest.raises(ProposalError, match="name"):
        decide(session, row.id or 0, True, " ", "", NOW)

    later = NOW + timedelta(days=1)
    assert record(later)["unchanged"] == 1  # same reason: stays decided
    assert proposal().state == "approved"

    with session_scope(engine) as session:  # a new reason: disputes
        book.session = session
        for ago in (1, 2, 3):
            book.said(ago, "dispute")
    assert record(later)["re_proposed"] == 1
    row = proposal()
    assert (row.state, row.decided_by, row.decided_at) == ("proposed", None, None)
    assert row.reasons[0].startswith("Disputes up from none to 3")
    with session_scope(engine) as session:
        decide(session, row.id or 0, False, "li", "known dispute, credit note issued", later)
    row = proposal()
    assert row.state == "overridden"
    assert [(h["state"], h["by"]) for h in row.figures["history"]] == [
        ("approved", "maria"), ("overridden", "li")]

    with session_scope(engine) as session:  # conditions clear: kept, marked, not deleted
        assert record_proposals(session, "review", [], later)["cleared"] == 1
    assert proposal().state == "overridden" and proposal().figures["cleared_at"]
    assert record(later + timedelta(days=1))["re_proposed"] == 1  # and came back
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_hold_then_resume(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        number = book.invoice("120000", due_in=-10)
        book.promise("broken", 40)
        book.promise("broken", 50)

    def run(rule: Any, config: Any, name: str) -> list[Any]:
        with session_scope(engine) as session:
            findings = rule(name, config, StoreView(session), NOW)
            record_proposals(session, name, findings, NOW)
            return findings

    [held] = run(hold_orders, HOLD, "hold")
    assert held.details["reasons"] == [
        "Credit limit exceeded: 120% used (USD 120,000.00 open against a USD 100,000.00 limit)",
        "2 promises to pay broken in the last 90 days",
    ]
    assert run(resume, RESUME, "resume") == []  # no hold approved yet
    with session_scope(engine) as session:
        hold_id = session.scalars(select(Proposal)).one().id or 0
        decide(session, hold_id, True, "maria", "orders held", NOW)
        assert CreditView(session).holds_in_effect() == {book.id: NOW}
    # Utilisation 20 + overdue 10 + promises 10 = 40: not yet under 40.
    assert run(resume, RESUME, "resume") == []

    with session_scope(engine) as session:  # paid in full
        invoice = session.scalars(select(Invoice).where(col(Invoice.number) == number)).one()
        invoice.status, invoice.open_amount = "paid", D("0")
        session.add(invoice)
        book.session = session
        late = book.promise("broken", 10)
    assert run(resume, RESUME, "resume") == []  # a promise broken in the last 30 days
    with session_scope(engine) as session:
        late.status = "kept"
        session.add(late)
    [resumed] = run(resume, RESUME, "resume")
    assert resumed.details["reasons"] == [
        "Orders on hold since 2026-12-01; risk score back to 7, under 40",
        "No promise to pay broken in the last 30 days",
    ]
    with session_scope(engine) as session:
        resume_id = session.scalars(
            select(Proposal).where(col(Proposal.action) == "resume")).one().id or 0
        decide(session, resume_id, True, "maria", "paid up", NOW + timedelta(hours=1))
        assert CreditView(session).holds_in_effect() == {}
    assert run(resume, RESUME, "resume") == []
