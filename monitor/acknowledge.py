"""Invoice acknowledgement: an invoice we emailed that nobody answered is chased, politely.

`unacknowledged_invoice` is a pure rule: an outbound email that sends an invoice (a PDF named
like one, or a subject naming an invoice reference) with no human reply on its thread after
`days` days (calendar days, or business days on the monitor's calendar) is a finding.
`queue_followups` turns those findings into FollowUp rows: a templated "please confirm you
received it" message, a draft awaiting approval unless `approval = false`. The template runs
in a Jinja2 sandbox that sees only the values listed in `TEMPLATE_FIELDS`.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from pydantic import Field, field_validator, model_validator
from sqlalchemy import Text, and_, cast, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import Contact, Customer, FollowUp, Message, insert_ignore
from monitor.config import Severity
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding

log = logging.getLogger(__name__)

KIND = "invoice_ack"

DEFAULT_TEMPLATE = """\
Hello{% if contact_name %} {{ contact_name }}{% endif %},

We sent you {{ invoice }} on {{ sent_on }} and have not heard back from you yet.
Could you please confirm that you received it and that it has reached the right
person for payment? If anything on it needs correcting, just reply to this email.

Thank you,
{{ sender_name or "Accounts Receivable" }}
"""

# What a template can read; nothing else is in its namespace (no globals, no loader).
TEMPLATE_FIELDS: dict[str, Any] = {
    "customer": "Brightline Builders",
    "contact_name": "Jan Novak",
    "invoice": "invoice INV-10023",
    "invoice_numbers": ["INV-10023"],
    "attachments": ["INV-10023.pdf"],
    "subject": "Invoice INV-10023",
    "sent_on": "16 November 2026",
    "sent_at": "2026-11-16T10:00:00+00:00",
    "days": 3,
    "sender_name": "Maria Lopez",
    "owner": "Maria Lopez",
}

_MAX_TEXT = 20_000  # characters: a follow-up body, or one string a template builds


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


# --- the template sandbox ------------------------------------------------------------------


class _FollowUpSandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no dunder or internal attributes, no unsafe callables), with no
    globals, no other templates, and no operator that can build a huge string or number."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            raise SecurityError("the ** operator is not allowed in follow-up templates")
        for seq, times in ((left, right), (right, left)):
            # Checked before multiplying: `'-' * 10**9` must not allocate a gigabyte first.
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                if len(seq) * times > _MAX_TEXT:
                    raise SecurityError(f"a template value longer than {_MAX_TEXT} characters")
        return operator.mul(left, right)


class _NoFiles(BaseLoader):
    """`include`, `import` and `extends` would read other templates: refused."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, None]:
        raise TemplateNotFound(
            template, f"follow-up templates cannot include other templates ({template!r})"
        )


def _environment() -> SandboxedEnvironment:
    env = _FollowUpSandbox(
        autoescape=False, undefined=StrictUndefined, loader=_NoFiles(), keep_trailing_newline=True
    )
    env.globals.clear()  # range, lipsum, dict, cycler, joiner, namespace
    return env


_ENV = _environment()


def compile_template(source: str) -> Template:
    return _ENV.from_string(source)


def render_body(template: str | Template, context: Mapping[str, Any]) -> str:
    """The follow-up text; raises jinja2.TemplateError (SecurityError for a forbidden
    attribute such as `__class__`, UndefinedError for a name not in the context)."""
    compiled = compile_template(template) if isinstance(template, str) else template
    body = compiled.render(dict(context))
    if len(body) > _MAX_TEXT:
        raise SecurityError(f"the follow-up is longer than {_MAX_TEXT} characters")
    return body


def describe(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)  # syntax errors know their line
    where = f" (line {line})" if line else ""
    names = ", ".join(sorted(TEMPLATE_FIELDS))
    what = (exc.message or type(exc).__name__).rstrip(".")
    return f"{what}{where}; a template may use only: {names}"


# --- what counts as an invoice -----------------------------------------------------------

_REFERENCE = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<code>inv[-_#/ ]?\d[\w/-]*)"
    r"|invoice[\s_:#.-]*(?:(?:no|nr|num|number)\.?[\s_:#.-]*)?(?P<number>[a-z]{0,6}[-/]?\d[\w/-]*)"
    r")",
    re.IGNORECASE,
)
_INVOICE_WORD = re.compile(r"(?<![a-z])(?:invoice|inv(?=[\s_#./-]*\d))", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class InvoiceEvidence:
    references: tuple[str, ...]  # invoice numbers as written, e.g. INV-10023
    attachments: tuple[str, ...]  # the invoice files attached


def invoice_references(text: str) -> list[str]:
    found: list[str] = []
    for match in _REFERENCE.finditer(text):
        ref = (match.group("code") or match.group("number")).rstrip("-/_").upper()
        if ref not in found:
            found.append(ref)
    return found


def invoice_evidence(
    subject: str, attachments: Sequence[Mapping[str, Any]], extensions: Iterable[str] = ("pdf",)
) -> InvoiceEvidence | None:
    """Whether an outbound email sends an invoice, and which.

    An invoice is sent when a document (PDF by default) named like an invoice is attached
    (`INV-10023.pdf`, `Invoice_Oct.pdf`, not `inventory.pdf`); when a document is attached
    to a subject that says "invoice"; or when a new (not "Re:") subject names an invoice
    number. A reply that only mentions an invoice ("Re: price on INV-10023") sends none.
    """
    suffixes = tuple(f".{e}" for e in extensions)
    documents = []
    for item in attachments:
        name = str(item.get("filename") or "")
        ctype = str(item.get("content_type") or "").lower()
        if name.lower().endswith(suffixes) or (
            "pdf" in extensions and ctype == "application/pdf"
        ):
            documents.append(name)
    named = [n for n in documents if _INVOICE_WORD.search(n)]
    references = invoice_references(subject)
    for name in named:
        stem = name.rsplit(".", 1)[0]
        references += [r for r in invoice_references(stem) if r not in references]
    if named:
        return InvoiceEvidence(tuple(references), tuple(named))
    if documents and _INVOICE_WORD.search(subject):
        return InvoiceEvidence(tuple(references), tuple(documents))
    if references and not _REPLY.match(subject):
        return InvoiceEvidence(tuple(references), ())
    return None


# --- the view ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentInvoice:
    message_id: int
    thread_id: int | None
    customer_id: int | None
    customer_name: str | None
    owner: str | None
    owner_email: str | None
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    sent_at: datetime
    subject: str
    attachments: tuple[dict[str, Any], ...]


def _replied(original: Any, now: datetime) -> Any:
    """SQL: a human (not automatic) customer message after `original`, on its thread or
    answering it by In-Reply-To, no later than `now`. Two EXISTS, not one with an OR, so
    each can use its index (thread_id, in_reply_to) instead of scanning by date."""
    def reply_where(link: Any) -> Any:
        return exists().where(
            link,
            col(reply.direction) == "inbound",
            col(reply.automatic).is_(None),
            col(reply.sent_at) > col(original.sent_at),
            col(reply.sent_at) <= now,
        )

    reply = aliased(Message)
    return or_(
        and_(col(original.thread_id).is_not(None),
             reply_where(col(reply.thread_id) == col(original.thread_id))),
        and_(col(original.header_message_id).is_not(None),
             reply_where(col(reply.in_reply_to) == col(original.header_message_id))),
    )


@dataclass
class InvoiceView:
    """Bounded queries for the acknowledgement rule (indexes on messages: the partial
    `ix_messages_invoice_mail` by time, thread_id, in_reply_to)."""

    session: Session

    def unanswered_invoice_emails(
        self, sent_from: datetime, sent_until: datetime, now: datetime
    ) -> list[SentInvoice]:
        """Outbound emails sent in [sent_from, sent_until] that might send an invoice (their
        subject or attachment names say "inv") and that no customer has answered by `now`."""
        # The condition of the partial index `ix_messages_invoice_mail`, term for term, and
        # with the patterns written as literals: SQLite uses a partial index only when it can
        # match its condition in the query, and cannot look inside a bound parameter there.
        inv: Any = literal_column("'%inv%'")
        maybe_invoice = or_(
            func.lower(col(Message.subject)).like(inv),
            func.lower(cast(col(Message.attachments), Text)).like(inv),
        )
        rows = self.session.connection().execute(
            select(col(Message.id), col(Message.thread_id), col(Message.customer_id),
                   col(Message.sender), col(Message.sender_name), col(Message.recipients),
                   col(Message.sent_at), col(Message.subject), col(Message.attachments),
                   col(Customer.name), col(Customer.owner), col(Customer.owner_email))
            .join(Customer, col(Customer.id) == col(Message.customer_id), isouter=True)
            .where(col(Message.direction) == "outbound", col(Message.channel) == "email")
            .where(col(Message.sent_at) >= sent_from, col(Message.sent_at) <= sent_until)
            .where(maybe_invoice, ~_replied(Message, now))
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
        return [
            SentInvoice(
                message_id=r[0], thread_id=r[1], customer_id=r[2], sender=r[3],
                sender_name=r[4], recipients=tuple(r[5] or ()), sent_at=r[6], subject=r[7],
                attachments=tuple(r[8] or ()), customer_name=r[9], owner=r[10],
                owner_email=r[11],
            )
            for r in rows
        ]

    def contact_names(self, emails: Iterable[str]) -> dict[str, str]:
        wanted = sorted({e.lower() for e in emails})
        names: dict[str, str] = {}
        for i in range(0, len(wanted), 1000):
            names.update(
                (email.lower(), name)
                for email, name in self.session.execute(
                    select(col(Contact.email), col(Contact.name)).where(
                        func.lower(col(Contact.email)).in_(wanted[i:i + 1000]),
                        col(Contact.name).is_not(None),
                    )
                )
            )
        return names


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
