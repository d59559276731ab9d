"""Invoice acknowledgement at an explicit `now`: the rule, the follow-up it queues, the
template sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jinja2 import TemplateError
from jinja2.sandbox import SecurityError
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import Alert, Contact, Customer, FollowUp, Message, Thread, session_scope
from monitor import StoreView, record_findings
from monitor.acknowledge import (
    UnacknowledgedInvoiceRuleConfig,
    queue_followups,
    unacknowledged_invoice,
)
from monitor.calendar import BusinessCalendar, CalendarConfig
from monitor.followup_template import render_body
from monitor.invoice_evidence import invoice_evidence
from monitor.view import MonitorContext

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RULE = UnacknowledgedInvoiceRuleConfig(type="unacknowledged_invoice")
PDF = {"filename": "INV-10023.pdf", "content_type": "application/pdf", "size": 5120}
TO = ["jan@brightline.example", "ap@brightline.example"]


def send_invoice(
    engine: Engine,
    *,
    sent: datetime = NOW - timedelta(days=3),
    subject: str = "Invoice INV-10023",
    attachments: tuple[dict[str, Any], ...] = (PDF,),
    reply_after: timedelta | None = None,
    automatic: str | None = None,
) -> int:
    """A customer, a thread and our invoice email on it; optionally their reply."""
    with session_scope(engine) as session:
        customer = Customer(external_id="C7", name="Brightline Builders", owner="Maria Lopez")
        session.add(customer)
        session.flush()
        session.add(Contact(customer_id=customer.id or 0, email=TO[0], name="Jan Novak"))
        thread = Thread(channel="email", subject=subject, customer_id=customer.id,
                        created_at=sent)
        session.add(thread)
        session.flush()
        invoice = Message(natural_key="out-1", source="s", channel="email", direction="outbound",
                          sender="maria.lopez@halden-supply.example", sender_name="Maria Lopez",
                          recipients=TO, sent_at=sent, subject=subject,
                          attachments=list(attachments), thread_id=thread.id,
                          customer_id=customer.id, header_message_id="<inv1@halden>")
        session.add(invoice)
        if reply_after is not None:
            session.add(Message(natural_key="in-1", source="s", channel="email",
                                direction="inbound", sender=TO[0], sent_at=sent + reply_after,
                                subject=f"Re: {subject}", new_text="Got it, thanks.",
                                thread_id=thread.id, customer_id=customer.id,
                                automatic=automatic))
        session.flush()
        return invoice.id or 0


def findings_at(engine: Engine, now: datetime = NOW, config: UnacknowledgedInvoiceRuleConfig = RULE,
                context: MonitorContext | None = None) -> list[Any]:
    with Session(engine) as session:
        return unacknowledged_invoice("ack", config, StoreView(session, context), now)


def queue(engine: Engine, config: UnacknowledgedInvoiceRuleConfig = RULE,
          now: datetime = NOW) -> dict[str, int]:
    findings = findings_at(engine, now, config)
    with session_scope(engine) as session:
        return queue_followups(session, findings, config, now)


def followups(engine: Engine) -> list[FollowUp]:
    with Session(engine) as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))  # type: ignore[arg-type]


def test_unanswered_invoice_alerts_and_queues_one_draft(engine: Engine) -> None:
    message_id = send_invoice(engine)
    [finding] = findings_at(engine)
    assert finding.subject == f"message:{message_id}"
    assert finding.title == (
        "Invoice not acknowledged: Brightline Builders — invoice INV-10023 sent 17 November 2026"
    )
    assert "nobody has replied in 3 days" in finding.summary
    assert finding.details["recipients"] == TO
    with session_scope(engine) as session:
        record_findings(session, "ack", [finding], [], NOW)
    with Session(engine) as session:
        keys = [a.dedupe_key for a in session.scalars(select(Alert))]
    assert keys == [f"ack:message:{message_id}"]

    assert queue(engine) == {"queued": 1, "existing": 0, "failed": 0, "withdrawn": 0}
    assert queue(engine, now=NOW + timedelta(hours=1))["existing"] == 1  # a re-run adds nothing
    [followup] = followups(engine)
    assert (followup.kind, followup.state, followup.message_id) == ("invoice_ack", "draft",
                                                                     message_id)
    assert followup.dedupe_key == f"invoice_ack:message:{message_id}"
    assert followup.to == TO
    assert followup.subject == "Re: Invoice INV-10023"
    assert followup.body.startswith("Hello Jan Novak,")
    assert "invoice INV-10023 on 17 November 2026" in followup.body
    assert "confirm that you received it" in followup.body
    assert followup.body.rstrip().endswith("Maria Lopez")
    assert followup.decided_by is None


@pytest.mark.parametrize(
    ("sent_ago", "reply_after", "automatic", "fires"),
    [
        (timedelta(days=3), None, None, True),
        (timedelta(days=2, hours=23), None, None, False),  # not due yet
        (timedelta(days=3), timedelta(days=2), None, False),  # they replied on day 2
        (timedelta(days=5), timedelta(days=4), None, False),  # a late reply still counts
        (timedelta(days=3), timedelta(hours=1), "auto_reply", True),  # out of office
        (timedelta(days=3), timedelta(minutes=1), "bounce", True),
        (timedelta(days=3), timedelta(days=4), None, True),  # a reply after `now` is not seen
        (timedelta(days=31), None, None, False),  # older than max_age_days
    ],
)
def test_reply_window(engine: Engine, sent_ago: timedelta, reply_after: timedelta | None,
                      automatic: str | None, fires: bool) -> None:
    send_invoice(engine, sent=NOW - sent_ago, reply_after=reply_after, automatic=automatic)
    assert bool(findings_at(engine)) is fires


def test_a_non_invoice_email_is_not_chased(engine: Engine) -> None:
    stock = {"filename": "inventory-2026.pdf", "content_type": "application/pdf"}
    send_invoice(engine, subject="Delivery schedule for December", attachments=(stock,))
    assert findings_at(engine) == []
    assert queue(engine)["queued"] == 0
    assert followups(engine) == []


@pytest.mark.parametrize(
    ("subject", "files", "references"),
    [
        ("Invoice INV-10023", [], ("INV-10023",)),
        ("Your October statement", ["INV-10023.pdf"], ("INV-10023",)),
        ("Documents", ["Invoice_10023.pdf"], ("10023",)),
        ("Your invoice for October", ["october.pdf"], ()),
        ("Invoice No. A-1002 and INV-7", [], ("A-1002", "INV-7")),
        ("Hello", ["scan_invoice.PDF"], ()),
        ("Re: price on INV-10023", [], None),  # a reply mentioning an invoice sends none
        ("Stock list", ["inventory.pdf"], None),
        ("Hello", ["INV-10023.docx"], None),  # not a PDF
        ("Delivery note", ["delivery.pdf"], None),
    ],
)
def test_what_counts_as_an_invoice(subject: str, files: list[str],
                                   references: tuple[str, ...] | None) -> None:
    found = invoice_evidence(subject, [{"filename": f, "content_type": ""} for f in files])
    assert (found.references if found else None) == references


def test_template_names_and_approval_off(engine: Engine) -> None:
    send_invoice(engine, subject="October invoices", attachments=(
        PDF, {"filename": "INV-10024.pdf", "content_type": "application/pdf"}))
    config = UnacknowledgedInvoiceRuleConfig(
        type="unacknowledged_invoice", approval=False,
        template="Dear {{ contact_name }} at {{ customer }}: {{ invoice }} "
                 "({{ attachments | join(', ') }}), sent {{ sent_on }}; "
                 "{{ invoice_numbers | length }} invoices. {{ subject | upper }}",
    )
    assert queue(engine, config) == {"queued": 1, "existing": 0, "failed": 0, "withdrawn": 0}
    [followup] = followups(engine)
    assert followup.body == (
        "Dear Jan Novak at Brightline Builders: invoices INV-10023 and INV-10024 "
        "(INV-10023.pdf, INV-10024.pdf), sent 17 November 2026; 2 invoices. OCTOBER INVOICES"
    )
    assert followup.subject == "Re: October invoices"
    assert followup.state == "approved"
    assert followup.decided_by == "rule:ack (approval = false)" and followup.decided_at == NOW


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{{ ''.__class__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ customer.__class__.__mro__ }}", "unsafe"),
        ("{{ customer|attr('__class__') }}", "unsafe"),
        ("{{ '{0.__class__}'.format(customer) }}", "unsafe"),
        ("{{ range(10) }}", "'range' is undefined"),
        ("{{ lipsum() }}", "'lipsum' is undefined"),
        ("{{ config }}", "'config' is undefined"),
        ("{% include '/etc/passwd' %}", "cannot include other templates ('/etc/passwd')"),
        ("{% extends 'base.txt' %}", "cannot include other templates"),
        ("{{ '-' * 1000000 }}", "longer than 20000 characters"),
        ("{% set n = 10 %}{{ customer * (n * n * n * n * n * n * n * n * n) }}",
         "longer than 20000 characters"),
        ("{% for s in attachments %}{{ s * 1000 }}{% endfor %}{{ customer * 1000 }}",
         "the follow-up is longer than 20000 characters"),
        ("{{ 9 ** 9 ** 9 }}", "** operator is not allowed"),
        ("Hello {{ customer ", "unexpected end of template"),
    ],
)
def test_sandbox_refuses_templates_that_reach_outside_their_context(template: str,
                                                                    says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        UnacknowledgedInvoiceRuleConfig(type="unacknowledged_invoice", template=template)
    message = str(caught.value)
    assert "follow-up template cannot be used" in message and says in message
    assert "a template may use only: attachments, contact_name, customer" in message
    with pytest.raises(TemplateError):
        render_body(template, {"customer": "Brightline"})


def test_sandbox_error_type_is_security_error() -> None:
    with pytest.raises(SecurityError, match="__class__"):
        render_body("{{ ''.__class__ }}", {})
    assert render_body("{{ customer | title }}", {"customer": "brightline"}) == "Brightline"


def test_a_reply_withdraws_the_draft_but_never_touches_a_paused_one(engine: Engine) -> None:
    message_id = send_invoice(engine)
    queue(engine)
    with session_scope(engine) as session:
        first = session.get_one(Message, message_id)
        thread_id, customer_id = first.thread_id, first.customer_id
        session.add(Message(natural_key="out-2", source="s", channel="email",
                            direction="outbound", recipients=TO, sent_at=NOW - timedelta(days=4),
                            subject="INV-9 attached", attachments=[{"filename": "INV-9.pdf"}],
                            customer_id=customer_id, header_message_id="<inv9@halden>"))
    assert queue(engine)["queued"] == 1
    with session_scope(engine) as session:
        second = select(FollowUp).where(col(FollowUp.message_id) != message_id)
        paused = session.scalars(second).one()
        paused.state = "paused"
        # Their answers: one on the first invoice's thread, one by In-Reply-To to the second.
        session.add(Message(natural_key="in-1", source="s", channel="email", direction="inbound",
                            sender=TO[0], sent_at=NOW + timedelta(hours=1), thread_id=thread_id,
                            customer_id=customer_id))
        session.add(Message(natural_key="in-2", source="s", channel="email", direction="inbound",
                            sender=TO[0], sent_at=NOW + timedelta(hours=1),
                            customer_id=customer_id, in_reply_to="<inv9@halden>"))
    later = NOW + timedelta(hours=2)
    assert findings_at(engine, later) == []
    assert queue(engine, now=later)["withdrawn"] == 1
    by_message = {f.message_id: f for f in followups(engine)}
    assert by_message[message_id].state == "cancelled"
    assert "customer replied" in by_message[message_id].reason
    assert [f.state for m, f in by_message.items() if m != message_id] == ["paused"]


def test_business_days_skip_the_weekend(engine: Engine) -> None:
    friday = datetime(2026, 11, 13, 10, 0, tzinfo=UTC)
    send_invoice(engine, sent=friday)
    config = UnacknowledgedInvoiceRuleConfig(type="unacknowledged_invoice", business_days=True)
    context = MonitorContext(BusinessCalendar(CalendarConfig()))  # Mon-Fri 09:00-17:30 UTC
    tuesday = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
    assert findings_at(engine, tuesday, RULE)  # four calendar days
    assert findings_at(engine, tuesday, config, context) == []  # two business days
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    [finding] = findings_at(engine, wednesday, config, context)
    assert finding.details["due_at"] == wednesday.isoformat()
    assert "3 business days" in finding.summary
    assert findings_at(engine, wednesday - timedelta(minutes=1), config, context) == []


def test_config_refuses_a_window_that_never_opens() -> None:
    with pytest.raises(ValidationError, match="max_age_days"):
        UnacknowledgedInvoiceRuleConfig(type="unacknowledged_invoice", days=30, max_age_days=10)


def test_invoice_emails_are_read_from_their_partial_index(sqlite_engine: Engine) -> None:
    """The rule's query repeats the condition of `ix_messages_invoice_mail` closely enough
    for SQLite to use it; otherwise a sweep walks every message we sent in the window."""
    from sqlalchemy import event

    send_invoice(sqlite_engine)
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "lower(messages.subject)" in statement:
            statements.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", keep)
    try:
        assert len(findings_at(sqlite_engine)) == 1
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", keep)
    [(statement, parameters)] = statements
    with sqlite_engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    assert any("USING INDEX ix_messages_invoice_mail" in row[-1] for row in plan), plan
