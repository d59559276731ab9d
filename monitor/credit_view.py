"""The store queries behind the credit figures (CreditView: one GROUP BY per kind of figure
over all customers) and the daily CreditSnapshot rows kept from them (`take_snapshots`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
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
    utcnow,
)
from monitor.credit_figures import (
    ESCALATION_TAGS,
    WINDOW_DAYS,
    CreditMetrics,
    CustomerInputs,
    PaymentTiming,
    Windows,
    credit_metrics,
)
from monitor.credit_proposals import APPROVED, _insert_statement
from monitor.issues import LINK_DAYS, IssueStatement, first_raised
from monitor.promises import BROKEN, PARTIAL

CLOSED_INVOICE = ("paid", "cancelled", "canceled", "void", "voided", "written_off",
                  "written off", "credited", "closed")
ISSUE_TAGS = ("dispute", *ESCALATION_TAGS)
_CENT = Decimal("0.0001")


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


# --- snapshots ------------------------------------------------------------------------------


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


__all__ = ["CreditView", "credit_view", "take_snapshots"]
