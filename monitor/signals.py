"""The `new_signal` rule: alert as soon as a customer's message says something that needs a
person now (a dispute, a request to stop contact, a legal threat, hardship), while nobody
has answered it yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from commwatch.configbase import StrictModel
from monitor.config import Severity
from monitor.view import StoreView, TaggedInbound

if TYPE_CHECKING:
    from monitor.rules import Finding

DEFAULT_TAGS = ["dispute", "cease_contact", "legal_escalation", "hardship"]

# What the reader should do, per tag; the alert says it in its summary.
ACTIONS = {
    "dispute": "Check the invoice and reply with what you will do about it; the invoice is "
               "disputed until then",
    "cease_contact": "Stop chasing this customer by phone and email until compliance has "
                     "reviewed the request",
    "legal_escalation": "Hand it to the head of credit before anyone replies",
    "hardship": "Offer the hardship process (a payment plan) and pause reminders",
    "promise_to_pay": "Record the promise and check the payment on its date",
    "billing_query": "Answer the billing question",
}
WORDS = {"cease_contact": "asked us to stop contacting them",
         "legal_escalation": "threatened legal action", "dispute": "disputed an invoice",
         "hardship": "said they are in financial hardship"}


class NewSignalRuleConfig(StrictModel):
    """Alert once per message and tag when an inbound message carries one of `tags` and its
    thread still awaits our reply; the alert resolves when we answer."""

    type: Literal["new_signal"]
    tags: list[str] = Field(default_factory=lambda: list(DEFAULT_TAGS), min_length=1)
    lookback_hours: float = Field(
        default=72, gt=0, description="messages older than this have been seen already")
    severity: Severity | dict[str, Severity] = Field(
        default="high", description="one severity, or one per tag (others: high)")
    enabled: bool = True

    def severity_of(self, tag: str) -> str:
        if isinstance(self.severity, str):
            return self.severity
        return self.severity.get(tag, "high")


def new_signal(
    name: str, config: NewSignalRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """Each tagged inbound message within the lookback that nobody has answered yet."""
    from monitor.rules import Finding

    since = now - timedelta(hours=config.lookback_hours)
    return [
        Finding(
            rule=name,
            subject=f"message:{m.message_id}:tag:{m.tag}",
            severity=config.severity_of(m.tag),
            title=_title(m),
            summary=_summary(m),
            customer_id=m.customer_id,
            thread_id=m.thread_id,
            message_id=m.message_id,
            details={
                "tag": m.tag, "tags": [m.tag], "customer": m.customer_name, "owner": m.owner,
                "owner_email": m.owner_email, "sender": m.sender, "subject": m.subject,
                "channel": m.channel, "received_at": m.received_at.isoformat(),
                "evidence": m.evidence, "confidence": round(m.confidence, 3),
                "excerpt": m.excerpt, "invoices": list(m.values.get("invoices") or []),
                **({"reason": m.values["reason"]} if m.values.get("reason") else {}),
            },
        )
        for m in view.unanswered_tagged_inbound(config.tags, since)
    ]


def _who(m: TaggedInbound) -> str:
    return m.customer_name or f"unmatched sender {m.sender}"


def _title(m: TaggedInbound) -> str:
    label = m.tag.replace("_", " ").capitalize()
    return f"{label}: {_who(m)} — {m.subject or '(no subject)'}"


def _summary(m: TaggedInbound) -> str:
    invoices = m.values.get("invoices") or []
    about = f" ({', '.join(invoices)})" if invoices else ""
    said = WORDS.get(m.tag, f"wrote a {m.tag.replace('_', ' ')} message")
    action = ACTIONS.get(m.tag, "Read it and reply")
    owner = m.owner or "the AR team"
    return (f"{m.sender_name or m.sender} of {_who(m)} {said}{about} on "
            f"{m.received_at:%Y-%m-%d %H:%M} UTC: \u201c{m.evidence}\u201d. {action}. "
            f"Owner: {owner}.")
