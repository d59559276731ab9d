"""Rules: pure functions of a store view and `now` that return findings.

A rule never reads the clock, sleeps or sends anything; the runner turns findings into
alerts and owns dedupe and delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.acknowledge import UnacknowledgedInvoiceRuleConfig, unacknowledged_invoice
from monitor.config import BrokenPromiseRuleConfig, UnansweredInboundRuleConfig
from monitor.contact_frequency import ContactFrequencyRuleConfig, contact_frequency
from monitor.contact_pause import ContactPauseRuleConfig, contact_pause
from monitor.credit_rules import (
    CreditReviewRuleConfig,
    HoldOrdersRuleConfig,
    ReduceLimitRuleConfig,
    ResumeRuleConfig,
    credit_review,
    hold_orders,
    reduce_limit,
    resume,
)
from monitor.quiet_hours import QuietHoursRuleConfig, quiet_hours
from monitor.signals import NewSignalRuleConfig, new_signal
from monitor.sla import ResponseSlaRuleConfig, response_sla
from monitor.view import StoreView


@dataclass(frozen=True)
class Finding:
    """Something a rule found; `subject` identifies it so the same finding alerts once."""

    rule: str
    subject: str
    severity: str
    title: str
    summary: str
    customer_id: int | None = None
    thread_id: int | None = None
    message_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _waited(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if days else f"{hours}h"


def unanswered_inbound(
    name: str, config: UnansweredInboundRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """A customer's message has waited longer than the configured hours for our reply."""
    limit = timedelta(hours=config.hours)
    findings: list[Finding] = []
    for waiting in view.threads_awaiting_us(received_before=now - limit):
        waited = now - waiting.received_at
        who = waiting.customer_name or f"unmatched sender {waiting.sender}"
        tags = f" [{', '.join(waiting.tags)}]" if waiting.tags else ""
        findings.append(
            Finding(
                rule=name,
                subject=f"thread:{waiting.thread_id}:message:{waiting.message_id}",
                severity=config.severity,
                title=(f"Unanswered for {_waited(waited)}: {who} — "
                       f"{waiting.subject or '(no subject)'}"),
                summary=(
                    f"{waiting.sender_name or waiting.sender} wrote on "
                    f"{waiting.received_at:%Y-%m-%d %H:%M} UTC{tags} and nobody has replied "
                    f"(limit {config.hours:g} h). Reply, or hand it to "
                    f"{waiting.owner or 'the AR team'}."
                ),
                customer_id=waiting.customer_id,
                thread_id=waiting.thread_id,
                message_id=waiting.message_id,
                details={
                    "customer": waiting.customer_name,
                    "owner": waiting.owner,
                    "owner_email": waiting.owner_email,
                    "sender": waiting.sender,
                    "subject": waiting.subject,
                    "channel": waiting.channel,
                    "received_at": waiting.received_at.isoformat(),
                    "waited_hours": round(waited.total_seconds() / 3600, 1),
                    "limit_hours": config.hours,
                    "tags": list(waiting.tags),
                    "excerpt": waiting.excerpt,
                },
            )
        )
    return findings


def _money(amount: object, currency: str | None) -> str:
    if amount is None:
        return "an unstated amount"
    return f"{currency or ''} {float(amount):,.2f}".strip()  # type: ignore[arg-type]


def broken_promise(
    name: str, config: BrokenPromiseRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """A promise to pay passed its due date and grace period unpaid (or part-paid)."""
    statuses = ("broken", "partial") if config.partial else ("broken",)
    findings = []
    for p in view.settled_promises(statuses, (now - timedelta(days=config.lookback_days)).date()):
        who = p.customer_name or "an unmatched customer"
        invoices = f" on {', '.join(p.invoices)}" if p.invoices else ""
        owed = _money(p.amount, p.currency)
        got = "nothing" if not p.paid else _money(p.paid, p.currency)
        findings.append(
            Finding(
                rule=name,
                subject=f"promise:{p.promise_id}",
                severity=config.severity,
                title=f"Promise {'broken' if p.status == 'broken' else 'part-paid'}: {who} "
                f"promised {owed}{invoices} by {p.due_on}",
                summary=(
                    f"{who} promised {owed}{invoices} by {p.due_on}; {got} arrived by the end "
                    f"of the grace period. Call {who} today and record a new commitment; "
                    f"owner: {p.owner or 'the AR team'}."
                ),
                customer_id=p.customer_id,
                thread_id=p.thread_id,
                message_id=p.message_id,
                details={
                    "customer": p.customer_name, "owner": p.owner, "owner_email": p.owner_email,
                    "status": p.status, "amount": None if p.amount is None else str(p.amount),
                    "paid": None if p.paid is None else str(p.paid), "currency": p.currency,
                    "due_on": str(p.due_on), "invoices": list(p.invoices),
                    "excerpt": p.excerpt,
                },
            )
        )
    return findings


RuleFunction = Callable[[str, Any, StoreView, datetime], list[Finding]]

RULES: dict[str, RuleFunction] = {
    "unanswered_inbound": unanswered_inbound,
    "broken_promise": broken_promise,
    "response_sla": response_sla,
    "credit_review": credit_review,
    "hold_orders": hold_orders,
    "reduce_limit": reduce_limit,
    "resume": resume,
    "unacknowledged_invoice": unacknowledged_invoice,
    "contact_pause": contact_pause,
    "contact_frequency": contact_frequency,
    "quiet_hours": quiet_hours,
    "new_signal": new_signal,
}

# Every rule type's config, told apart by `type` in `[rules.NAME]` tables.
RuleConfig = (
    UnansweredInboundRuleConfig
    | BrokenPromiseRuleConfig
    | ResponseSlaRuleConfig
    | CreditReviewRuleConfig
    | HoldOrdersRuleConfig
    | ReduceLimitRuleConfig
    | ResumeRuleConfig
    | UnacknowledgedInvoiceRuleConfig
    | ContactPauseRuleConfig
    | ContactFrequencyRuleConfig
    | QuietHoursRuleConfig
    | NewSignalRuleConfig
)
