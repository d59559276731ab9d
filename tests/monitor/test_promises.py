"""The promise ledger: kept in full, in part, late, broken; payments used once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Customer, Message, Payment, PromiseRecord, Signal, session_scope
from ingest.mime import parse_email
from monitor.promises import (
    BROKEN,
    CANCELLED,
    KEPT,
    KEPT_LATE,
    OPEN,
    PARTIAL,
    PaymentSeen,
    PromiseTerms,
    kept_rate,
    settle,
    update_ledger,
)
from nlp import Tagger
from nlp.jobs import retag, tag_pending

D = Decimal
MADE = date(2026, 11, 2)
DUE = date(2026, 11, 13)  # a Friday


def promise(id_: int = 1, amount: str | None = "1000", due: date | None = DUE,
            invoices: tuple[str, ...] = (), currency: str | None = "USD") -> PromiseTerms:
    return PromiseTerms(id_, 7, MADE, D(amount) if amount else None, currency, due, invoices)


def paid(id_: int, amount: str, on: date, invoice: str | None = None,
         currency: str = "USD") -> PaymentSeen:
    return PaymentSeen(id_, 7, D(amount), currency, on, invoice)


@pytest.mark.parametrize(
    ("payments", "today", "status", "amount"),
    [
        ([paid(1, "1000", date(2026, 11, 12))], date(2026, 11, 12), KEPT, "1000"),
        ([paid(1, "600", date(2026, 11, 10)), paid(2, "400", date(2026, 11, 13))],
         date(2026, 11, 20), KEPT, "1000"),
        ([paid(1, "1000", date(2026, 11, 15))], date(2026, 11, 20), KEPT_LATE, "1000"),
        ([paid(1, "400", date(2026, 11, 12))], date(2026, 11, 17), PARTIAL, "400"),
        ([], date(2026, 11, 17), BROKEN, "0"),
        # Within the grace period nothing is broken yet.
        ([], date(2026, 11, 16), OPEN, "0"),
        ([paid(1, "400", date(2026, 11, 12))], date(2026, 11, 14), OPEN, "400"),
        # Money that left before the promise was made does not keep it.
        ([paid(1, "1000", date(2026, 11, 1))], date(2026, 11, 17), BROKEN, "0"),
        # Another currency does not count; a payment after the grace period is too late.
        ([paid(1, "1000", date(2026, 11, 12), currency="EUR")], date(2026, 11, 17), BROKEN, "0"),
        ([paid(1, "1000", date(2026, 11, 18))], date(2026, 11, 20), BROKEN, "0"),
    ],
)
def test_one_promise(payments: list[PaymentSeen], today: date, status: str, amount: str) -> None:
    outcome = settle([promise()], payments, today, grace_days=3)[1]
    assert (outcome.status, outcome.paid) == (status, D(amount))


def test_a_payment_keeps_only_one_promise() -> None:
    first, second = promise(1, "1000", date(2026, 11, 10)), promise(2, "1000", DUE)
    outcomes = settle([second, first], [paid(1, "1500", date(2026, 11, 9))],
                      date(2026, 11, 20), grace_days=3)
    assert outcomes[1].status == KEPT
    assert (outcomes[2].status, outcomes[2].paid) == (PARTIAL, D("500"))


def test_a_payment_naming_an_invoice_goes_to_the_promise_on_it() -> None:
    on_a = promise(1, "500", DUE, invoices=("INV-1",))
    on_b = promise(2, "500", DUE, invoices=("INV-2",))
    outcomes = settle([on_a, on_b], [paid(1, "500", date(2026, 11, 12), invoice="INV-2")],
                      date(2026, 11, 20), grace_days=3)
    assert outcomes[1].status == BROKEN
    assert outcomes[2].status == KEPT


def test_promises_without_amount_or_date() -> None:
    friday = promise(1, None, DUE)
    undated = promise(2, "1000", None)
    outcomes = settle([friday, undated], [paid(1, "250", date(2026, 11, 13))],
                      date(2026, 12, 31), grace_days=3)
    assert outcomes[1].status == KEPT  # "we'll pay Friday", and a payment came on Friday
    assert (outcomes[2].status, outcomes[2].paid) == (OPEN, D("250"))  # nothing to break


def test_kept_rate() -> None:
    assert kept_rate([KEPT, KEPT_LATE, BROKEN, PARTIAL, OPEN]) == 0.5
    assert kept_rate([OPEN, CANCELLED]) is None


def _customer_message(engine: Engine, text: str, sent: datetime, currency: str = "USD",
                      body: str = "") -> None:
    with session_scope(engine) as session:
        customer = Customer(external_id="C7", name="Brightline", domains=["b.example"],
                            currency=currency)
        session.add(customer)
        session.flush()
        session.add(Message(natural_key="m1", source="s", channel="email", direction="inbound",
                            sent_at=sent, sent_utc_offset=0, new_text=text,
                            body_text=body or text, customer_id=customer.id))


def test_ledger_from_signal_to_kept(engine: Engine) -> None:
    _customer_message(engine, "We'll pay $4,500 on INV-10023 by Friday, and $500 on the 30th.",
                      datetime(2026, 11, 9, 10, tzinfo=UTC))
    tagger = Tagger()
    tag_pending(engine, tagger)
    with session_scope(engine) as session:
        counts = update_ledger(session, datetime(2026, 11, 10, tzinfo=UTC))
    assert counts["created"] == 2
    with session_scope(engine) as session:
        session.add(Payment(customer_id=1, reference="PAY-1", amount=D("4500"), currency="USD",
                            received_on=date(2026, 11, 12), invoice_number="INV-10023"))
    with session_scope(engine) as session:
        counts = update_ledger(session, datetime(2026, 12, 10, tzinfo=UTC))
    assert counts["created"] == 0 and counts["changed"] == 2
    with Session(engine) as session:
        rows = list(session.scalars(select(PromiseRecord).order_by(PromiseRecord.instalment)))
        assert [(r.amount, r.due_on, r.status) for r in rows] == [
            (D("4500"), date(2026, 11, 13), KEPT), (D("500"), date(2026, 11, 30), BROKEN)
        ]
        assert rows[0].settled_on == date(2026, 11, 12)
        assert rows[0].invoices == ["INV-10023"]


def _paid_and_settled(engine: Engine, amount: str, currency: str,
                      received: date) -> tuple[Decimal | None, str | None, date | None, str]:
    """Tag the pending message, record a payment, update the ledger: the one promise's amount,
    currency, due date and status."""
    tag_pending(engine, Tagger())
    with session_scope(engine) as session:
        session.add(Payment(customer_id=1, reference="PAY-1", amount=D(amount),
                            currency=currency, received_on=received))
    with session_scope(engine) as session:
        update_ledger(session, datetime(2026, 11, 20, tzinfo=UTC))
    with Session(engine) as session:
        (row,) = session.scalars(select(PromiseRecord))
        return row.amount, row.currency, row.due_on, row.status


def test_an_account_in_another_dollar_keeps_its_promise(engine: Engine) -> None:
    """An Australian customer's "$" is AUD: its AUD payment keeps the promise (read as USD,
    the payment would not count and the collector would be told the promise was broken)."""
    _customer_message(engine, "Sorry it's late. I'll transfer the $2,150 on Friday.",
                      datetime(2026, 11, 9, 10, tzinfo=UTC), currency="AUD")
    assert _paid_and_settled(engine, "2150", "AUD", date(2026, 11, 13)) == (
        D("2150"), "AUD", date(2026, 11, 13), KEPT)


def test_the_thread_a_reply_quotes_says_which_dollar(engine: Engine) -> None:
    """A reply's "$" takes the currency of the reminder it quotes, which the stored body keeps
    below the new text: a Jamaican customer's "$185,000" is J$, not US$ (read as USD, the
    JMD payment would not keep it). The message is stored as e-mail ingest parses it."""
    parsed = parse_email(
        b"From: Andrea <andrea@montego.example>\r\nTo: ar@supplier.example\r\n"
        b"Subject: Re: JM-4471\r\nDate: Thu, 12 Nov 2026 10:20:00 -0500\r\n"
        b"Message-ID: <a1@montego.example>\r\n\r\nGood morning Marcia,\r\n\r\n"
        b"Please be advised that we will pay the $185,000 into your account on Monday 16th "
        b"November in settlement of invoice JM-4471.\r\n\r\nRegards,\r\nAndrea\r\n\r\n"
        b"On Tue, 10 Nov 2026, Marcia <marcia@supplier.example> wrote:\r\n"
        b"> Invoice JM-4471 for J$185,000.00 is now 45 days overdue.\r\n")
    _customer_message(engine, parsed.new_text, datetime(2026, 11, 12, 15, tzinfo=UTC),
                      body=parsed.body_text)
    assert _paid_and_settled(engine, "185000", "JMD", date(2026, 11, 16)) == (
        D("185000"), "JMD", date(2026, 11, 16), KEPT)


def test_retag_that_drops_a_promise_cancels_it(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _customer_message(engine, "We will pay the balance by Friday.",
                      datetime(2026, 11, 9, 10, tzinfo=UTC))
    tag_pending(engine, Tagger())
    with session_scope(engine) as session:
        update_ledger(session, datetime(2026, 11, 10, tzinfo=UTC))
    # A house lexicon folder that cannot change this message's promise: forced re-tag
    # keeps the signal, and the promise, as they are.
    (tmp_path / "house.jsonl").write_text(
        '{"label": "hardship", "pattern": "zzz never matches", "id": "h.x"}\n'
    )
    retag(engine, Tagger([tmp_path]), force=True)
    with session_scope(engine) as session:
        assert update_ledger(session, datetime(2026, 11, 10, tzinfo=UTC))["cancelled"] == 0
    with session_scope(engine) as session:
        session.execute(Signal.__table__.update().values(tag="dispute"))  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        assert update_ledger(session, datetime(2026, 11, 10, tzinfo=UTC))["cancelled"] == 1
    with Session(engine) as session:
        assert [p.status for p in session.scalars(select(PromiseRecord))] == [CANCELLED]
