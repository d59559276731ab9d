"""Invoice acknowledgement: an invoice we emailed that nobody answered is chased, politely.

`unacknowledged_invoice` is a pure rule: an outbound email that sends an invoice (a PDF named
like one, or a subject naming an invoice reference) with no human reply on its thread after
`days` days (calendar days, or business days on the monitor's calendar) is a finding.
`queue_followups` turns those findings into FollowUp rows: a templated "please confirm you
received it" message, a draft awaiting approval unless `approval = false`. The template runs
in a Jinja2 sandbox that sees only the values listed in `TEMPLATE_FIELDS`.
The template is in monitor.followup_template, what counts as an invoice in
monitor.invoice_evidence, and the rule's store queries in monitor.invoice_view.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import TemplateError
from pydantic import Field, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import FollowUp, Message, insert_ignore
from monitor.config import Severity
from monitor.followup_template import (
    DEFAULT_TEMPLATE,
    TEMPLATE_FIELDS,
    compile_template,
    describe,
    render_body,
)
from monitor.invoice_evidence import _REPLY, InvoiceEvidence, invoice_evidence
from monitor.invoice_view import InvoiceView, SentInvoice, _replied
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding

log = logging.getLogger(__name__)

KIND = "invoice_ack"


class UnacknowledgedInvoiceRuleConfig(StrictModel):
    """Chase an invoice email nobody replied to within `days` days with a templated
    follow-up asking the customer to confirm receipt."""

    type: Literal["unacknowledged_invoice"]
    days: float = Field(default=3, gt=0, description="days to wait for any reply")
    business_days: bool = Field(
        default=False, description="count `days` as business days on the [calendar]"
    )
    max_age_days: float = Field(
        default=30, gt=0, description="invoices sent longer ago than this are not chased"
    )
    approval: bool = Field(
        default=True, description="follow-ups wait as drafts for a person to approve them"
    )
    template: str = Field(default=DEFAULT_TEMPLATE, min_length=1)
    attachment_extensions: list[str] = Field(default_factory=lambda: ["pdf"], min_length=1)
    severity: Severity = "warning"
    enabled: bool = True

    @field_validator("template")
    @classmethod
    def _template_renders(cls, value: str) -> str:
        # A broken or unsafe template stops start-up here, not in the job at 3 a.m.
        try:
            render_body(value, TEMPLATE_FIELDS)
        except TemplateError as exc:
            raise ValueError(f"follow-up template cannot be used: {describe(exc)}") from None
        return value

    @field_validator("attachment_extensions")
    @classmethod
    def _extensions(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip(".") for v in values]

    @model_validator(mode="after")
    def _window(self) -> UnacknowledgedInvoiceRuleConfig:
        if self.max_age_days <= self.days:
            raise ValueError(
                f"max_age_days ({self.max_age_days:g}) must be more than days ({self.days:g}), "
                "or no invoice would ever be chased"
            )
        return self


# --- the rule ------------------------------------------------------------------------------


def _invoice_phrase(references: Sequence[str], attachments: Sequence[str]) -> str:
    if len(references) == 1:
        return f"invoice {references[0]}"
    if references:
        return f"invoices {', '.join(references[:-1])} and {references[-1]}"
    if attachments:
        return f"our invoice ({', '.join(attachments)})"
    return "our invoice"


def _sent_on(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def unacknowledged_invoice(
    name: str, config: UnacknowledgedInvoiceRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """An invoice we emailed has had no reply on its thread for `days` (business) days."""
    from monitor.rules import Finding

    calendar = view.context.calendar
    if config.business_days:
        opens = datetime.combine(now.date(), calendar.config.opens)
        closes = datetime.combine(now.date(), calendar.config.closes)
        wait = (closes - opens) * config.days  # `days` office days of open time
    else:
        wait = timedelta(days=config.days)
    invoice_view = InvoiceView(view.session)
    # Business days are never shorter than their open time, so `now - wait` bounds both.
    candidates = invoice_view.unanswered_invoice_emails(
        now - timedelta(days=config.max_age_days), now - wait, now
    )
    due: list[tuple[SentInvoice, InvoiceEvidence, datetime]] = []
    for sent in candidates:
        evidence = invoice_evidence(sent.subject, sent.attachments, config.attachment_extensions)
        if evidence is None:
            continue
        deadline = calendar.add(sent.sent_at, wait) if config.business_days else sent.sent_at + wait
        if deadline <= now:
            due.append((sent, evidence, deadline))
    names = invoice_view.contact_names(r for sent, _e, _d in due for r in sent.recipients)
    unit = "business days" if config.business_days else "days"
    findings = []
    for sent, evidence, deadline in due:
        who = sent.customer_name or ", ".join(sent.recipients) or "an unmatched customer"
        invoice = _invoice_phrase(evidence.references, evidence.attachments)
        contact = next((names[r.lower()] for r in sent.recipients if r.lower() in names), None)
        waited = (now - sent.sent_at).total_seconds() / 86400
        context = {
            "customer": sent.customer_name or "", "contact_name": contact or "",
            "invoice": invoice, "invoice_numbers": list(evidence.references),
            "attachments": list(evidence.attachments), "subject": sent.subject,
            "sent_on": _sent_on(sent.sent_at), "sent_at": sent.sent_at.isoformat(),
            "days": config.days, "sender_name": sent.sender_name, "owner": sent.owner or "",
        }
        findings.append(Finding(
            rule=name,
            subject=f"message:{sent.message_id}",
            severity=config.severity,
            title=f"Invoice not acknowledged: {who} — {invoice} sent {_sent_on(sent.sent_at)}",
            summary=(
                f"{invoice[0].upper()}{invoice[1:]} went to {', '.join(sent.recipients) or '?'} "
                f"on {sent.sent_at:%Y-%m-%d %H:%M} UTC (“{sent.subject or '(no subject)'}”) and "
                f"nobody has replied in {config.days:g} {unit}. A follow-up asking them to "
                f"confirm receipt is queued{' for approval' if config.approval else ''}. "
                f"Owner: {sent.owner or 'the AR team'}."
            ),
            customer_id=sent.customer_id,
            thread_id=sent.thread_id,
            message_id=sent.message_id,
            details={
                "customer": sent.customer_name, "owner": sent.owner,
                "owner_email": sent.owner_email, "recipients": list(sent.recipients),
                "subject": sent.subject, "sent_at": sent.sent_at.isoformat(),
                "due_at": deadline.isoformat(), "waited_days": round(waited, 1),
                "limit": f"{config.days:g} {unit}", "invoices": list(evidence.references),
                "attachments": list(evidence.attachments), "template_context": context,
            },
        ))
    return findings


# --- the job: findings -> follow-ups ------------------------------------------------------


def followup_subject(subject: str) -> str:
    subject = subject.strip() or "Your invoice"
    return subject if _REPLY.match(subject) else f"Re: {subject}"


def queue_followups(
    session: Session,
    findings: Iterable[Finding],
    config: UnacknowledgedInvoiceRuleConfig,
    now: datetime,
) -> dict[str, int]:
    """One follow-up per unacknowledged invoice (idempotent on its dedupe key), and drafts
    whose invoice has since been answered withdrawn (state `cancelled`).

    Run `contact_pause.pause_followups` after this in the same transaction, so a follow-up to a
    customer who asked not to be contacted is never committed unpaused. Rows that are
    paused, sent or cancelled are never changed here.
    """
    template = compile_template(config.template)
    state = "draft" if config.approval else "approved"
    counts = {"queued": 0, "existing": 0, "failed": 0, "withdrawn": 0}
    wanted = {
        f"{KIND}:message:{f.message_id}": f
        for f in findings
        if f.message_id is not None and "template_context" in f.details
    }
    # The job runs every minute over every open finding: only new ones are rendered.
    keys = sorted(wanted)
    existing: set[str] = set()
    for i in range(0, len(keys), 1000):
        existing.update(session.scalars(
            select(col(FollowUp.dedupe_key)).where(col(FollowUp.dedupe_key).in_(keys[i:i + 1000]))
        ))
    counts["existing"] = len(existing)
    for key, finding in wanted.items():
        if key in existing:
            continue
        details = finding.details
        try:
            body = render_body(template, details["template_context"])
        except TemplateError as exc:
            log.warning("follow-up for message %s not queued: %s", finding.message_id,
                        describe(exc))
            counts["failed"] += 1
            continue
        new_id = insert_ignore(session, FollowUp, {
            "dedupe_key": key, "customer_id": finding.customer_id,
            "thread_id": finding.thread_id, "message_id": finding.message_id, "kind": KIND,
            "state": state, "to": list(details.get("recipients") or []),
            "subject": followup_subject(str(details.get("subject") or "")), "body": body,
            "reason": f"{finding.rule}: {finding.title}",
            "decided_by": None if config.approval else f"rule:{finding.rule} (approval = false)",
            "decided_at": None if config.approval else now, "created_at": now,
        }, ["dedupe_key"])
        counts["queued" if new_id is not None else "existing"] += 1
    original = aliased(Message)
    answered = (
        select(col(original.id))
        .where(col(original.id) == col(FollowUp.message_id), _replied(original, now))
        .exists()
    )
    withdrawn: Any = session.execute(
        update(FollowUp)
        .where(col(FollowUp.kind) == KIND, col(FollowUp.state).in_(("draft", "approved")))
        .where(answered)
        .values(state="cancelled", reason="withdrawn: the customer replied on the thread",
                decided_by="commwatch", decided_at=now)
        .execution_options(synchronize_session=False)
    )
    counts["withdrawn"] = withdrawn.rowcount
    return counts
