"""A promise or dispute repeated on another channel is one, a revised promise supersedes the
old one, and one payment settles one promise once: on SQLite and PostgreSQL, explicit `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Customer, Message, Payment, PromiseRecord, Signal, Thread, session_scope
from monitor.config import BrokenPromiseRuleConfig
from monitor.credit_view import CreditView
from monitor.promises import BROKEN, KEPT, OPEN, RESTATED, SUPERSEDED, update_ledger
from monitor.restatements import Statement, relation
from monitor.rules import broken_promise
from monitor.view import StoreView
from nlp import Tagger
from nlp.jobs import retag, tag_pending

D = Decimal
_keys = count()


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@dataclass
class Book:
    """A customer, its thread and what it said, with the signal values the tagger would give."""

    session: Session
    customer_id: int = 0
    thread_id: int = 0

    def __post_init__(self) -> None:
        customer = Customer(external_id=f"C{next(_keys)}", name="Coastal Fabrication",
                            domains=["coastal.example"])
        self.session.add(customer)
        self.session.flush()
        thread = Thread(channel="email", customer_id=customer.id, subject="Overdue",
                        state="awaiting_us")
        self.session.add(thread)
        self.session.flush()
        self.customer_id, self.thread_id = customer.id or 0, thread.id or 0

    def said(self, when: datetime, channel: str, tag: str, values: dict[str, Any],
             thread: bool = True) -> int:
        message = Message(natural_key=f"m{next(_keys)}", source="test", channel=channel,
                          direction="inbound", sent_at=when, sent_utc_offset=0,
                          new_text="...", body_text="...", customer_id=self.customer_id,
                          thread_id=self.thread_id if thread else None)
        self.session.add(message)
        self.session.flush()
        self.session.add(Signal(message_id=message.id or 0, tag=tag, start=0, end=3,
                                confidence=0.9, pipeline_version="test", values=values))
        return message.id or 0

    def promise(self, when: datetime, channel: str, amount: float | None, due: str | None,
                invoices: list[str] | None = None) -> int:
        return self.said(when, channel, "promise_to_pay", {
            "amount": amount, "currency": "USD" if amount else None, "date": due,
            "invoices": invoices or []})

    def paid(self, on: date, amount: str, invoice: str | None = None) -> None:
        self.session.add(Payment(customer_id=self.customer_id, reference=f"P{next(_keys)}",
                                 amount=D(amount), currency="USD", received_on=on,
                                 invoice_number=invoice))


def ledger(engine: Engine, now: datetime) -> list[tuple[str, D | None, str, str | None]]:
    """(channel, amount, status, what it points at) per statement, in the order said."""
    with session_scope(engine) as session:
        update_ledger(session, now)
    with Session(engine) as session:
        rows = session.execute(
            select(PromiseRecord, Message.channel)
            .join(Message, Message.id == PromiseRecord.message_id)  # type: ignore[arg-type]
            .order_by(Message.sent_at, PromiseRecord.instalment)  # type: ignore[arg-type]
        ).all()
        channel_of = {p.id: c for p, c in rows}
        return [
            (c, p.amount, p.status,
             channel_of[p.restates_id] if p.restates_id
             else f"-> {channel_of[p.superseded_by_id]}" if p.superseded_by_id else None)
            for p, c in rows
        ]


def broken_alerts(engine: Engine, now: datetime) -> list[str]:
    with Session(engine) as session:
        found = broken_promise("broken-promises", BrokenPromiseRuleConfig(type="broken_promise"),
                               StoreView(session), now)
    return [f.title for f in found]


def test_the_same_promise_by_email_whatsapp_and_call_is_one_kept_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.promise(at(2), "email", 5000, "2026-11-13", ["INV-10033"])
        book.promise(at(5), "chat", 5000, "2026-11-13")  # "the 5k goes out Friday"
        book.promise(at(9), "call", 5000, "2026-11-14", ["INV-10033"])  # a day off: same
        book.paid(date(2026, 11, 13), "5000")
    now = at(25)
    assert ledger(engine, now) == [
        ("email", D(5000), KEPT, None),
        ("chat", D(5000), RESTATED, "email"),
        ("call", D(5000), RESTATED, "email"),
    ]
    assert broken_alerts(engine, now) == []
    with Session(engine) as session:
        [metrics] = CreditView(session).metrics(now)
    assert (metrics.promise_kept_rate, metrics.open_promises) == (1.0, 0)
    assert metrics.risk_components["promises"] == 0.0
    # Nothing changes on the next run: the grouping is a function of what was said and paid.
    assert ledger(engine, now) == ledger(engine, now)


def test_a_revised_date_supersedes_the_promise_and_the_revision_is_tracked(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.promise(at(2), "email", 5000, "2026-11-13", ["INV-10033"])
        book.promise(at(6), "chat", 5000, "2026-11-13")  # repeated first...
        book.promise(at(12), "chat", None, "2026-11-17")  # "can't do Friday, will pay Tuesday"
    assert ledger(engine, at(25)) == [
        ("email", D(5000), SUPERSEDED, "-> chat"),
        ("chat", D(5000), RESTATED, "email"),  # ...it said what was superseded
        ("chat", None, BROKEN, None),  # nothing came by Tuesday + grace
    ]
    [alert] = broken_alerts(engine, at(25))
    assert "by 2026-11-17" in alert
    with session_scope(engine) as session:
        session.add(Payment(customer_id=1, reference="late", amount=D(5000), currency="USD",
                            received_on=date(2026, 11, 17)))
    assert [s for _c, _a, s, _t in ledger(engine, at(25))] == [SUPERSEDED, RESTATED, KEPT]
    assert broken_alerts(engine, at(25)) == []


@pytest.mark.parametrize(
    ("second", "statuses"),
    [
        # Other invoices: another promise; the one payment keeps the first only.
        ((3000, "2026-11-20", ["INV-10047"]), [KEPT, BROKEN]),
        # Another amount with nothing tying it to the first: another promise.
        ((3000, "2026-11-13", []), [KEPT, BROKEN]),
        # The same invoice with a new amount: a revision.
        ((4000, "2026-11-13", ["INV-10033"]), [SUPERSEDED, KEPT]),
    ],
)
def test_different_promises_stay_apart(
    engine: Engine, second: tuple[float, str, list[str]], statuses: list[str]
) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.promise(at(2), "email", 5000, "2026-11-13", ["INV-10033"])
        book.promise(at(4), "chat", *second)
        book.paid(date(2026, 11, 12), "5000")
    assert [s for _c, _a, s, _t in ledger(engine, at(30))] == statuses


def test_a_promise_repeated_after_it_broke_is_a_new_promise(engine: Engine) -> None:
    """The customer missed the date (and the grace period), then promised again: the first
    stays broken (that is the customer's record) and the second is tracked on its own."""
    with session_scope(engine) as session:
        book = Book(session)
        book.promise(at(2), "email", 5000, "2026-11-06")
        book.promise(at(11), "call", 5000, "2026-11-13")  # grace ended on the 9th
        book.paid(date(2026, 11, 13), "5000")
    assert ledger(engine, at(25)) == [("email", D(5000), BROKEN, None),
                                      ("call", D(5000), KEPT, None)]


def test_a_promise_repeated_after_it_was_kept_is_a_new_promise(engine: Engine) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        book.promise(at(2), "email", 5000, "2026-11-13")
        book.paid(date(2026, 11, 4), "5000")
        book.promise(at(6), "chat", 5000, "2026-11-13")  # the next 5k, same day
    assert [s for _c, _a, s, _t in ledger(engine, at(12))] == [KEPT, OPEN]


def test_an_instalment_plan_repeated_is_one_promise_per_instalment(engine: Engine) -> None:
    plan = {"amount": 5000.0, "currency": "USD", "date": "2026-11-13", "invoices": [],
            "instalments": [{"amount": 5000.0, "currency": "USD", "date": "2026-11-13"},
                            {"amount": 4300.0, "currency": "USD", "date": "2026-12-11"}]}
    with session_scope(engine) as session:
        book = Book(session)
        book.said(at(4), "email", "promise_to_pay", plan)
        book.said(at(12), "chat", "promise_to_pay", {**plan, "invoices": ["INV-10033"]})
        book.paid(date(2026, 11, 13), "5000")
    assert ledger(engine, at(23)) == [
        ("email", D(5000), KEPT, None), ("email", D(4300), OPEN, None),
        ("chat", D(5000), RESTATED, "email"), ("chat", D(4300), RESTATED, "email"),
    ]


def test_a_retag_that_drops_the_first_statement_leaves_the_repeat_as_the_promise(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        book = Book(session)
        for key, when, channel, text in (
            ("e", at(9), "email", "We will pay $4,500 on INV-10023 by Friday."),
            ("w", at(10), "chat", "As I said, we will pay the $4,500 on INV-10023 on Friday."),
        ):
            session.add(Message(natural_key=key, source="s", channel=channel,
                                direction="inbound", sent_at=when, sent_utc_offset=0,
                                new_text=text, body_text=text, customer_id=book.customer_id))
    tag_pending(engine, Tagger())
    assert [(c, s) for c, _a, s, _t in ledger(engine, at(11))] == [("email", OPEN),
                                                                   ("chat", RESTATED)]
    with session_scope(engine) as session:
        email = session.scalars(select(Message).where(Message.natural_key == "e")).one()
        email.new_text = "Thanks, we received the statement."
        session.add(email)
    retag(engine, Tagger(), force=True)
    assert [(c, s, t) for c, _a, s, t in ledger(engine, at(11))] == [
        ("email", "cancelled", None), ("chat", OPEN, None)]


@pytest.mark.parametrize(
    ("later", "kind"),
    [
        ({}, RESTATED),
        ({"amount": None, "due_on": None}, RESTATED),
        ({"due_on": date(2026, 11, 15)}, RESTATED),  # within two days
        ({"due_on": date(2026, 11, 17)}, SUPERSEDED),
        ({"amount": D(4000)}, SUPERSEDED),  # same invoice
        ({"amount": D(4000), "invoices": ()}, None),  # nothing ties it to the first
        ({"invoices": ("INV-2",)}, None),
        ({"currency": "EUR"}, None),
    ],
)
def test_relation(later: dict[str, Any], kind: str | None) -> None:
    first = Statement(1, 7, 1, at(2), date(2026, 11, 2), D(5000), "USD", date(2026, 11, 13),
                      ("INV-1",))
    fields = {**first.__dict__, "id": 2, "message_id": 2, **later}
    assert relation(first, Statement(**fields)) == kind


def test_a_dispute_repeated_across_channels_counts_once(engine: Engine) -> None:
    now = at(25)
    with session_scope(engine) as session:
        book = Book(session)
        dispute = {"dispute": {"reason": "price", "invoices": ["INV-1"]}}
        book.said(now - timedelta(days=20), "email", "dispute", dispute)
        book.said(now - timedelta(days=18), "chat", "dispute", dispute, thread=False)
        book.said(now - timedelta(days=15), "call", "dispute", {"dispute": {"invoices": []}})
        book.said(now - timedelta(days=14), "email", "dispute",
                  {"dispute": {"invoices": ["INV-2"]}})  # another invoice: another dispute
        book.said(now - timedelta(days=12), "email", "legal_escalation", {})
        book.said(now - timedelta(days=10), "call", "legal_escalation", {})
    with Session(engine) as session:
        [metrics] = CreditView(session).metrics(now)
    assert (metrics.disputes_90d, metrics.escalations_90d) == (2, 1)
    assert metrics.risk_components["disputes"] == 2.0
    # Five tagged messages that raised something; one legal threat among them.
    assert metrics.escalation_rate == pytest.approx(1 / 5)
