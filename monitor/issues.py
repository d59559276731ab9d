"""Disputes and escalations counted per issue, not per message: a customer who raises a
dispute by email and repeats it in Slack and on a call has one dispute.

A dispute statement repeats an earlier dispute of the same customer, said at most
`link_days` after that dispute's latest statement, when

- both name invoices and share one (the same invoice is contested), or
- either names none and both are on the same thread (cross-channel threads put the Slack
  reply and the call on the email's thread, so "as I said, we dispute it" lands there).

Two disputes naming different invoices are two, as are two that name none on different
threads (nothing says they are one). An escalation (legal threat, cease contact, hardship)
repeats the customer's earlier one of the same kind said at most `link_days` before: it is
the customer's standing, not a per-invoice matter. An issue counts once, in the window in
which it was first raised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

LINK_DAYS = 30


@dataclass(frozen=True)
class IssueStatement:
    """One dispute or escalation signal on a customer's inbound message."""

    customer_id: int
    tag: str
    message_id: int
    thread_id: int | None
    sent_at: datetime
    invoices: frozenset[str] = frozenset()


@dataclass
class _Issue:
    thread_ids: set[int] = field(default_factory=set)
    invoices: set[str] = field(default_factory=set)
    last: datetime | None = None


def _same_dispute(issue: _Issue, s: IssueStatement) -> bool:
    if issue.invoices and s.invoices:
        return bool(issue.invoices & s.invoices)
    return s.thread_id is not None and s.thread_id in issue.thread_ids


def first_raised(
    statements: Iterable[IssueStatement], link_days: int = LINK_DAYS
) -> set[tuple[int, str]]:
    """The (message id, tag) of every statement that raised a new issue; the others repeat
    one raised before."""
    link = timedelta(days=link_days)
    by_key: dict[tuple[int, str], list[IssueStatement]] = defaultdict(list)
    for s in statements:
        by_key[(s.customer_id, s.tag)].append(s)
    new: set[tuple[int, str]] = set()
    for (_customer, tag), theirs in by_key.items():
        theirs.sort(key=lambda s: (s.sent_at, s.message_id))
        issues: list[_Issue] = []
        for s in theirs:
            recent = [i for i in issues if i.last is not None and s.sent_at - i.last <= link]
            same = next((i for i in recent if tag != "dispute" or _same_dispute(i, s)), None)
            if same is None:
                same = _Issue()
                issues.append(same)
                new.add((s.message_id, tag))
            if s.thread_id is not None:
                same.thread_ids.add(s.thread_id)
            same.invoices |= s.invoices
            same.last = s.sent_at
    return new


__all__ = ["LINK_DAYS", "IssueStatement", "first_raised"]
