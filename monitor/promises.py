"""The promise ledger: every promise to pay, and whether the payments kept it.

A promise_to_pay signal becomes one promise per instalment (amount, currency, due date,
invoices, the message it was made in). Payments imported from AR files settle promises:

- payments are matched to a customer's promises oldest due date first, each payment used
  once, so one transfer never keeps two promises; a payment that names an invoice goes to a
  promise on that invoice first;
- only payments received on or after the day the promise was made count (money that left
  before the promise cannot keep it), in the promise's currency;
- **kept**: the full amount arrived by the due date; **kept_late**: in full after the due
  date but within the grace period; **partial**: the grace period ended with part of it
  paid; **broken**: it ended with nothing paid; **open**: not due yet, or within grace.
  A promise without an amount is kept by any payment in its window; one without a date
  stays open (there is nothing to break) and shows as undated.

A customer who repeats a promise (a follow-up email, WhatsApp, a call) makes one promise,
not two, and one who revises it ("can't do Friday, will pay Tuesday") replaces it: each
statement stays on the ledger for the record, as `restated` (pointing at the promise it
repeats) or `superseded` (pointing at its revision), and only the promises themselves are
settled (see `monitor.restatements`).

`settle` is a pure function of the promises, the payments and `today`: the job stores its
result, and rules read the stored statuses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from commwatch.store import Message, Payment, PromiseRecord, Signal
from monitor.restatements import RESTATED, SUPERSEDED, Statement, group

OPEN, KEPT, KEPT_LATE, PARTIAL, BROKEN, CANCELLED = (
    "open", "kept", "kept_late", "partial", "broken", "cancelled"
)
SETTLED = frozenset({KEPT, KEPT_LATE, PARTIAL, BROKEN})
# Statements of a promise that are not promises of their own: never settled, never alerted.
FOLDED = frozenset({RESTATED, SUPERSEDED})
RESTATE_WINDOW_DAYS = 30  # statements further apart are never one promise
SAME_DATE_DAYS = 2  # "Friday" resolved on either side of a time zone, "end of month" vs the 30th


@dataclass(frozen=True)
class PromiseTerms:
    id: int
    customer_id: int | None
    made_on: date
    amount: Decimal | None
    currency: str | None
    due_on: date | None
    invoices: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaymentSeen:
    id: int
    customer_id: int
    amount: Decimal
    currency: str
    received_on: date
    invoice_number: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: str
    paid: Decimal
    settled_on: date | None  # the day the last payment counted towards it arrived
    payments: tuple[int, ...] = ()


def settle(
    promises: Sequence[PromiseTerms],
    payments: Sequence[PaymentSeen],
    today: date,
    grace_days: int = 3,
) -> dict[int, Outcome]:
    """Each promise's outcome on `today`, from the customer's payments."""
    by_customer: dict[int | None, list[PromiseTerms]] = defaultdict(list)
    for promise in promises:
        by_customer[promise.customer_id].append(promise)
    paid_by: dict[int | None, list[PaymentSeen]] = defaultdict(list)
    for payment in payments:
        if payment.received_on <= today:
            paid_by[payment.customer_id].append(payment)
    outcomes: dict[int, Outcome] = {}
    for customer_id, theirs in by_customer.items():
        pool = sorted(paid_by.get(customer_id, []), key=lambda p: (p.received_on, p.id))
        remaining = {p.id: p.amount for p in pool}
        order = sorted(theirs, key=lambda p: (p.due_on or date.max, p.made_on, p.id))
        for promise in order:
            outcomes[promise.id] = _settle_one(
                promise, pool, remaining, today, grace_days, customer_id is not None
            )
    return outcomes


def _settle_one(
    promise: PromiseTerms,
    pool: list[PaymentSeen],
    remaining: dict[int, Decimal],
    today: date,
    grace_days: int,
    known_customer: bool,
) -> Outcome:
    deadline = promise.due_on + timedelta(days=grace_days) if promise.due_on else None
    window_end = min(today, deadline) if deadline else today
    wanted = set(promise.invoices)

    def eligible(p: PaymentSeen) -> bool:
        return (
            known_customer
            and remaining.get(p.id, Decimal(0)) > 0
            and promise.made_on <= p.received_on <= window_end
            and (promise.currency is None or p.currency == promise.currency)
            and (not p.invoice_number or not wanted or p.invoice_number in wanted)
        )

    # Payments naming one of the promise's invoices first, then the rest, oldest first.
    candidates = sorted(
        (p for p in pool if eligible(p)),
        key=lambda p: (0 if p.invoice_number and p.invoice_number in wanted else 1,
                       p.received_on, p.id),
    )
    paid = Decimal(0)
    used: list[int] = []
    settled_on: date | None = None
    for payment in candidates:
        if promise.amount is None:
            # "We'll pay on Friday": any payment in the window keeps it. It takes nothing
            # from the payment, which may still be what keeps a promise with an amount.
            paid, used, settled_on = remaining[payment.id], [payment.id], payment.received_on
            break
        if paid >= promise.amount:
            break
        take = min(remaining[payment.id], promise.amount - paid)
        remaining[payment.id] -= take
        paid += take
        used.append(payment.id)
        settled_on = payment.received_on
    full = paid > 0 if promise.amount is None else paid >= promise.amount
    if full:
        late = promise.due_on is not None and settled_on is not None and settled_on > promise.due_on
        return Outcome(KEPT_LATE if late else KEPT, paid, settled_on, tuple(used))
    if deadline is None or today <= deadline:
        # Not due (or within grace): what it has so far stays allocated to it, since it is
        # the earlier obligation.
        return Outcome(OPEN, paid, settled_on, tuple(used))
    return Outcome(PARTIAL if paid > 0 else BROKEN, paid, settled_on, tuple(used))


# --- the job ------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def sync_promises(session: Session) -> dict[str, int]:
    """A ledger row for every promise_to_pay statement (one per instalment): created when new,
    updated when a re-tag changed the signal's values (while not settled), cancelled when the
    signal went away. Which rows are one promise is decided afterwards, in `update_ledger`."""
    counts = {"created": 0, "updated": 0, "cancelled": 0}
    rows = session.execute(
        select(Signal, Message).join(Message, col(Message.id) == col(Signal.message_id))
        .where(col(Signal.tag) == "promise_to_pay")
    ).all()
    records = list(session.scalars(select(PromiseRecord)))
    existing: dict[tuple[int, int], PromiseRecord] = {
        (p.signal_id, p.instalment): p for p in records if p.signal_id is not None
    }
    seen: set[tuple[int, int]] = set()
    unsettled = (OPEN, *FOLDED)
    for signal, message in rows:
        values = signal.values or {}
        parts = values.get("instalments") or [values]
        for index, part in enumerate(parts):
            key = (signal.id or 0, index)
            seen.add(key)
            fields = {
                "amount": _decimal(part.get("amount")),
                "currency": part.get("currency"),
                "due_on": _date(part.get("date")),
                "invoices": list(values.get("invoices") or []),
                "customer_id": message.customer_id,
            }
            promise = existing.get(key)
            if promise is None:
                session.add(PromiseRecord(
                    signal_id=signal.id, message_id=message.id or 0, instalment=index,
                    status=OPEN, **fields,
                ))
                counts["created"] += 1
            elif promise.status in unsettled and any(
                getattr(promise, k) != v for k, v in fields.items()
            ):
                for k, v in fields.items():
                    setattr(promise, k, v)
                session.add(promise)
                counts["updated"] += 1
    for promise in records:
        key = (promise.signal_id or 0, promise.instalment)
        if (promise.signal_id is None or key not in seen) and promise.status in unsettled:
            # A restatement whose signal a re-tag removed says nothing any more; the promise
            # it restated stands on its other statements.
            promise.status = CANCELLED
            session.add(promise)
            counts["cancelled"] += 1
    return counts


def ledger_fingerprint(session: Session, today: date) -> tuple[Any, ...]:
    """What the ledger's outcome depends on: promise signals, promises, payments and the day.
    Equal fingerprints mean an update would change nothing, so a sweep can skip it."""
    def stats(model: Any, *where: Any) -> tuple[Any, ...]:
        return tuple(session.execute(
            select(func.count(), func.max(model.id)).select_from(model).where(*where)
        ).one())

    return (
        today,
        stats(Signal, Signal.tag == "promise_to_pay"),
        session.execute(select(func.max(Signal.id))).scalar(),  # a re-tag adds or removes
        stats(PromiseRecord),
        stats(Payment),
        session.execute(select(func.sum(Payment.amount))).scalar(),
    )


def credit_fingerprint(session: Session, today: date) -> tuple[Any, ...]:
    """What credit figures depend on: the ledger's inputs, promise outcomes, invoices and
    customers (limits), and every signal."""
    from commwatch.store import Customer, Invoice, Proposal

    return (
        ledger_fingerprint(session, today),
        tuple(session.execute(select(col(PromiseRecord.status), func.count()).group_by(
            col(PromiseRecord.status)).order_by(col(PromiseRecord.status))).all()),
        tuple(session.execute(select(func.count(), func.max(Invoice.id),
                                     func.sum(Invoice.open_amount))).one()),
        tuple(session.execute(select(func.count(), func.sum(Customer.credit_limit))).one()),
        tuple(session.execute(select(func.count(), func.max(Signal.id))).one()),
        tuple(session.execute(select(func.count(), func.max(Proposal.decided_at))).one()),
    )


def update_ledger(session: Session, now: datetime, grace_days: int = 3) -> dict[str, int]:
    """Create/cancel statements from signals, decide which are one promise, then settle every
    promise against the payments. Returns counts, including how many changed status."""
    counts = sync_promises(session)
    session.flush()
    table = PromiseRecord.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(table.c.id, table.c.customer_id, table.c.message_id, table.c.amount,
               table.c.currency, table.c.due_on, table.c.invoices, table.c.status,
               table.c.paid_amount, table.c.settled_on, table.c.restates_id,
               table.c.superseded_by_id, col(Message.sent_at), col(Message.sent_utc_offset))
        .join(Message, col(Message.id) == table.c.message_id)
        .where(table.c.status != CANCELLED)
    ).all()
    statements = [
        Statement(r.id, r.customer_id, r.message_id, r.sent_at,
                  _local_day(r.sent_at, r.sent_utc_offset), r.amount, r.currency, r.due_on,
                  tuple(r.invoices or ()))
        for r in rows
    ]
    pay = Payment.__table__  # type: ignore[attr-defined]
    payments = [
        PaymentSeen(r.id, r.customer_id, r.amount or Decimal(0), r.currency, r.received_on,
                    r.invoice_number)
        for r in session.execute(select(pay.c.id, pay.c.customer_id, pay.c.amount,
                                        pay.c.currency, pay.c.received_on,
                                        pay.c.invoice_number))
    ]
    paid_by: dict[int | None, list[PaymentSeen]] = defaultdict(list)
    for payment in payments:
        paid_by[payment.customer_id].append(payment)

    def live_on(promises: Sequence[Statement], day: date) -> set[int]:
        outcomes = settle([_terms(p) for p in promises],
                          paid_by.get(promises[0].customer_id, []), day, grace_days)
        return {pid for pid, outcome in outcomes.items() if outcome.status == OPEN}

    roles = group(statements, live_on, RESTATE_WINDOW_DAYS, SAME_DATE_DAYS)
    outcomes = settle([_terms(s) for s in statements if roles[s.id].kind == OPEN], payments,
                      now.date(), grace_days)
    changed = 0
    for r in rows:
        role = roles[r.id]
        new: tuple[Any, ...]
        if role.kind == OPEN:
            o = outcomes[r.id]
            new = (o.status, o.paid, o.settled_on, None, None)
        else:
            new = (role.kind, None, None, role.target if role.kind == RESTATED else None,
                   role.target if role.kind == SUPERSEDED else None)
        if new != (r.status, r.paid_amount, r.settled_on, r.restates_id, r.superseded_by_id):
            changed += r.status != new[0]
            session.execute(
                update(table).where(table.c.id == r.id).values(
                    status=new[0], paid_amount=new[1], settled_on=new[2], restates_id=new[3],
                    superseded_by_id=new[4],
                )
            )
    counts["changed"] = changed
    counts["open"] = sum(o.status == OPEN for o in outcomes.values())
    counts["restated"] = sum(role.kind == RESTATED for role in roles.values())
    counts["superseded"] = sum(role.kind == SUPERSEDED for role in roles.values())
    return counts


def _terms(s: Statement) -> PromiseTerms:
    return PromiseTerms(s.id, s.customer_id, s.made_on, s.amount, s.currency, s.due_on,
                        s.invoices)


def _local_day(sent_at: datetime, offset: int | None) -> date:
    if offset is None:
        return sent_at.date()
    return sent_at.astimezone(timezone(timedelta(minutes=offset))).date()


def kept_rate(statuses: Iterable[str]) -> float | None:
    """Share of a customer's settled promises that were kept (late counts as kept)."""
    settled = [s for s in statuses if s in SETTLED]
    if not settled:
        return None
    return sum(s in (KEPT, KEPT_LATE) for s in settled) / len(settled)


__all__ = [
    "BROKEN", "CANCELLED", "FOLDED", "KEPT", "KEPT_LATE", "OPEN", "PARTIAL", "RESTATED",
    "SUPERSEDED", "Outcome", "PaymentSeen", "PromiseTerms", "kept_rate", "settle",
    "sync_promises", "update_ledger",
]
