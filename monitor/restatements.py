"""Which promise statements are one promise: customers repeat a promise in a follow-up email,
on WhatsApp and on a call, and revise it ("can't do Friday, will pay Tuesday").

Every promise_to_pay statement (one per instalment of a signal) is a row on the ledger; this
module decides, per customer and in the order they were said, what each one is:

- **a promise of its own** (`OPEN` here; the settle step gives it its real status);
- **a restatement** of an earlier promise that was still live when it was said: it states
  nothing that differs (amount equal or unstated, due date within `same_date_days` or
  unstated, currency not conflicting, invoices overlapping or unstated on either side).
  It is folded into that promise, which keeps its own terms and is settled once;
- **a revision**: it is about the same debt (shares an invoice, or its amount does not
  conflict) but moves the date, changes the amount on the same invoice, or adds a date or an
  amount the earlier one lacked. The earlier promise becomes `superseded` by it (never
  broken), and the revision is tracked from the day it was said.

"Live" means the earlier promise was neither kept nor past its grace period on the day before
the statement, judged by `settle` over the payments: a promise restated after it was kept or
broken is a new promise (a broken one stays broken: the customer made a second commitment).
Statements more than `window_days` apart are never linked, and two instalments of one message
never fold into each other or into the same earlier promise.

The grouping is a pure function of the statements and the payments, recomputed on every
ledger update, so a re-tag that removes a statement, or a payment imported late, regroups
the rest consistently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

OPEN, RESTATED, SUPERSEDED = "open", "restated", "superseded"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Statement:
    """One promise statement: a ledger row and the message it was said in."""

    id: int
    customer_id: int | None
    message_id: int
    said_at: datetime
    made_on: date
    amount: Decimal | None
    currency: str | None
    due_on: date | None
    invoices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """What a statement is: its own promise (`OPEN`), `RESTATED` (target: the promise it
    repeats) or `SUPERSEDED` (target: the revision that replaced it)."""

    kind: str
    target: int | None = None


def relation(earlier: Statement, later: Statement, same_date_days: int = 2) -> str | None:
    """RESTATED when `later` repeats `earlier`, SUPERSEDED when it revises it, else None."""
    if earlier.currency and later.currency and earlier.currency != later.currency:
        return None
    mine, theirs = set(earlier.invoices), set(later.invoices)
    if mine and theirs and not mine & theirs:
        return None  # about other invoices: another promise
    same_amount = later.amount is None or (
        earlier.amount is not None and abs(earlier.amount - later.amount) < _CENT
    )
    same_date = later.due_on is None or (
        earlier.due_on is not None
        and abs((earlier.due_on - later.due_on).days) <= same_date_days
    )
    if same_amount and same_date:
        return RESTATED
    amounts_conflict = (earlier.amount is not None and later.amount is not None
                        and not same_amount)
    if (mine & theirs) or not amounts_conflict:
        return SUPERSEDED
    return None  # another amount with nothing to tie it to the earlier one: a new promise


def group(
    statements: Sequence[Statement],
    live_on: Callable[[Sequence[Statement], date], set[int]],
    window_days: int = 30,
    same_date_days: int = 2,
) -> dict[int, Role]:
    """The role of every statement. `live_on(promises, day)` returns the ids of those of
    `promises` still open at the end of `day` (kept or broken ones are not)."""
    by_customer: dict[int | None, list[Statement]] = defaultdict(list)
    for s in statements:
        by_customer[s.customer_id].append(s)
    roles: dict[int, Role] = {}
    for customer_id, theirs in by_customer.items():
        theirs.sort(key=lambda s: (s.said_at, s.message_id, s.id))
        if customer_id is None or len(theirs) == 1:
            # An unknown sender's promises cannot be told apart from another's.
            roles.update((s.id, Role(OPEN)) for s in theirs)
            continue
        roles.update(_group_one(theirs, live_on, window_days, same_date_days))
    return roles


def _group_one(
    theirs: list[Statement],
    live_on: Callable[[Sequence[Statement], date], set[int]],
    window_days: int,
    same_date_days: int,
) -> dict[int, Role]:
    roles: dict[int, Role] = {}
    promises: list[Statement] = []  # the customer's promises so far (not superseded)
    claimed: set[tuple[int, int]] = set()  # (promise, message): one instalment each
    for s in theirs:
        matches = [
            (kind, p) for p in promises
            if p.message_id != s.message_id and (p.id, s.message_id) not in claimed
            and (s.made_on - p.made_on).days <= window_days
            and (kind := relation(p, s, same_date_days)) is not None
        ]
        if matches:
            live = live_on(promises, s.made_on - timedelta(days=1))
            matches = [(kind, p) for kind, p in matches if p.id in live]
        if not matches:
            roles[s.id] = Role(OPEN)
            promises.append(s)
            continue
        kind, target = min(matches, key=lambda m: _preference(m[0], m[1], s))
        claimed.add((target.id, s.message_id))
        if kind == RESTATED:
            roles[s.id] = Role(RESTATED, target.id)
            continue
        # Statements that repeated the old terms stay with it: they said what was superseded.
        roles[target.id] = Role(SUPERSEDED, s.id)
        promises.remove(target)
        roles[s.id] = Role(OPEN)
        promises.append(s)
    return roles


def _preference(kind: str, p: Statement, s: Statement) -> tuple[int, int, int, date, int]:
    """Repeating beats revising; then sharing an invoice, the nearest due date, the earliest
    obligation."""
    shared = bool(set(p.invoices) & set(s.invoices))
    gap = abs((p.due_on - s.due_on).days) if p.due_on and s.due_on else 0
    return (0 if kind == RESTATED else 1, 0 if shared else 1, gap, p.due_on or date.max, p.id)


__all__ = ["OPEN", "RESTATED", "SUPERSEDED", "Role", "Statement", "group", "relation"]
