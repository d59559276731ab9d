"""The ingest runner on both stores: idempotent, quarantines bad items, threads and customers."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import (
    Customer,
    Invoice,
    Message,
    QuarantineItem,
    SourceItem,
    Thread,
    session_scope,
)
from ingest import load_customers, run_source
from ingest.base import Batch, SourceError
from ingest.config import EmlFolderSourceConfig, MaildirSourceConfig
from ingest.files import EmlFolderConnector, MaildirConnector
from ingest.parsepool import GC_YOUNG_THRESHOLD, read_ahead_tuning
from tests.factories import OWN, email_bytes, write_maildir

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CUSTOMERS_CSV = (
    "id,name,domains,contacts,credit_limit,currency,terms_days,owner,owner_email,tier,risk_score\n"
    "C001,Brightline Builders,brightline.example;brightline-group.example,"
    "jan@brightline.example;ap@brightline.example,250000,USD,45,Maria Lopez,"
    "maria.lopez@halden-supply.example,strategic,42\n"
    "C002,Kessler Metals,kessler.example,,80000,EUR,30,Tom Becker,"
    "tom.becker@halden-supply.example,standard,61\n"
)


def maildir(tmp_path: Path, name: str = "mail") -> MaildirConnector:
    return MaildirConnector(
        name, MaildirSourceConfig.model_validate({"type": "maildir", "path": tmp_path / name})
    )


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def with_customers(engine: Engine, tmp_path: Path) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text(CUSTOMERS_CSV)
    with session_scope(engine) as session:
        load_customers(session, csv)


def test_ingest_is_idempotent_and_survives_new_to_cur_moves(engine: Engine, tmp_path: Path) -> None:
    paths = write_maildir(
        tmp_path / "mail",
        [email_bytes(sent=T0 + timedelta(hours=i), message_id=f"<m{i}@b.example>")
         for i in range(5)],
    )
    first = run_source(engine, maildir(tmp_path), OWN)
    assert (first.stored, first.duplicates, first.quarantined) == (5, 0, 0)
    # A mail client reads the messages: they move to cur/ with flags in the name.
    for path in paths:
        path.rename(path.parent.parent / "cur" / f"{path.name}:2,S")
    second = run_source(engine, maildir(tmp_path), OWN)
    assert (second.seen, second.stored, second.skipped_known) == (5, 0, 5)
    assert count(engine, Message) == 5
    assert count(engine, SourceItem) == 5


def test_same_message_in_two_sources_is_stored_once(engine: Engine, tmp_path: Path) -> None:
    data = email_bytes(sent=T0)
    write_maildir(tmp_path / "mail", [data])
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "copy.eml").write_bytes(data)
    run_source(engine, maildir(tmp_path), OWN)
    eml = EmlFolderConnector(
        "export",
        EmlFolderSourceConfig.model_validate({"type": "eml_dir", "path": tmp_path / "export"}),
    )
    report = run_source(engine, eml, OWN)
    assert (report.stored, report.duplicates) == (0, 1)
    assert count(engine, Message) == 1


def test_bad_item_is_quarantined_with_raw_bytes_and_ingest_carries_on(
    engine: Engine, tmp_path: Path
) -> None:
    garbage = b"\x00\x01 not a mail at all"
    write_maildir(tmp_path / "mail", [email_bytes(sent=T0), garbage, b"",
                                      email_bytes(sent=T0, message_id="<m2@b.example>")])
    report = run_source(engine, maildir(tmp_path), OWN)
    assert (report.stored, report.quarantined) == (2, 2)
    with Session(engine) as session:
        held = session.scalars(select(QuarantineItem).order_by(QuarantineItem.item_key)).all()
        assert [q.raw for q in held] == [garbage, b""]
        assert "no RFC 5322 header block" in held[0].reason
        assert "empty message" in held[1].reason
        assert all(q.source == "mail" and q.status == "held" for q in held)
    again = run_source(engine, maildir(tmp_path), OWN)
    assert again.quarantined == 0 and count(engine, QuarantineItem) == 2


def test_threads_direction_and_customers(engine: Engine, tmp_path: Path) -> None:
    with_customers(engine, tmp_path)
    with session_scope(engine) as session:
        kessler = session.scalars(select(Customer).where(Customer.external_id == "C002")).one()
        session.add(Invoice(customer_id=kessler.id or 0, number="INV-20077"))
    mails = [
        email_bytes(sent=T0, message_id="<a1@brightline.example>", subject="Price on INV-10023",
                    body="The price is wrong."),
        email_bytes(sent=T0 + timedelta(hours=2),
                    sender="Maria <maria.lopez@halden-supply.example>",
                    to="jan@brightline.example", subject="Re: Price on INV-10023",
                    message_id="<a2@halden-supply.example>", in_reply_to="<a1@brightline.example>",
                    references="<a1@brightline.example>", body="We will check."),
        # Same subject, a reply with its references stripped by the client: subject fallback.
        email_bytes(sent=T0 + timedelta(hours=5), sender="someone@brightline-group.example",
                    subject="RE: Price on INV-10023", message_id="<a3@brightline-group.example>",
                    body="Any news?"),
        # Unknown sender, but the text names a Kessler invoice.
        email_bytes(sent=T0, sender="newclerk@mail.example", subject="Question",
                    message_id="<b1@mail.example>", body="Can you resend INV-20077?"),
        # Unknown sender, unknown references: kept, unmatched.
        email_bytes(sent=T0, sender="who@else.example", subject="Hello",
                    message_id="<c1@else.example>", body="Hi"),
    ]
    write_maildir(tmp_path / "mail", mails)
    run_source(engine, maildir(tmp_path), OWN)
    with Session(engine) as session:
        by_id = {m.header_message_id: m for m in session.scalars(select(Message))}
        assert by_id["<a1@brightline.example>"].customer_match == "address"
        assert by_id["<a2@halden-supply.example>"].direction == "outbound"
        assert by_id["<a2@halden-supply.example>"].customer_match == "address"
        assert by_id["<a3@brightline-group.example>"].customer_match == "domain"
        assert by_id["<b1@mail.example>"].customer_match == "reference"
        assert by_id["<b1@mail.example>"].customer_id == kessler.id
        assert by_id["<c1@else.example>"].customer_match == "unmatched"
        assert by_id["<c1@else.example>"].customer_id is None
        thread_ids = {by_id[k].thread_id for k in ("<a1@brightline.example>",
                                                   "<a2@halden-supply.example>",
                                                   "<a3@brightline-group.example>")}
        assert len(thread_ids) == 1
        thread = session.get(Thread, thread_ids.pop())
        assert thread is not None
        assert thread.state == "awaiting_us"  # the customer wrote last
        assert thread.last_inbound_message_id == by_id["<a3@brightline-group.example>"].id
        assert session.execute(select(func.count()).select_from(Thread)).scalar_one() == 3


class _CountingPattern:
    """INVOICE_REF with a count of the texts it was asked to scan."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.scanned: list[str] = []

    def finditer(self, text: str) -> Any:
        self.scanned.append(text)
        return self.pattern.finditer(text)


def test_text_is_scanned_for_invoice_numbers_only_when_they_could_match(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import customers

    counting = _CountingPattern(customers.INVOICE_REF)
    monkeypatch.setattr(customers, "INVOICE_REF", counting)
    with_customers(engine, tmp_path)
    messages = [(["jan@brightline.example"], "Price on INV-20077"),
                (["newclerk@mail.example"], "Can you resend INV-20077?")]
    with Session(engine) as session:
        # No invoices in the store: no number could match, so nothing is scanned.
        matches = customers.CustomerResolver(session).resolve_many(messages)
        assert [m.how for m in matches] == ["address", "unmatched"]
        assert counting.scanned == []
        kessler = session.scalars(select(Customer).where(Customer.external_id == "C002")).one()
        session.add(Invoice(customer_id=kessler.id or 0, number="INV-20077"))
        session.flush()
        # With invoices, only the message no address matched is scanned.
        matches = customers.CustomerResolver(session).resolve_many(messages)
        assert [(m.how, m.customer_id) for m in matches] == [
            ("address", matches[0].customer_id), ("reference", kessler.id)]
        assert matches[0].customer_id != kessler.id
        assert counting.scanned == ["Can you resend INV-20077?"]


def test_reference_match_through_the_parse_workers(engine: Engine, tmp_path: Path) -> None:
    with_customers(engine, tmp_path)
    with session_scope(engine) as session:
        kessler = session.scalars(select(Customer).where(Customer.external_id == "C002")).one()
        session.add(Invoice(customer_id=kessler.id or 0, number="INV-20077"))
    mails = [email_bytes(sent=T0 + timedelta(minutes=n), sender=f"clerk{n}@mail.example",
                         subject="Question", message_id=f"<w{n}@mail.example>",
                         body="Can you resend INV-20077?" if n % 2 else "Hello")
             for n in range(40)]  # enough for the batch to go to the workers
    write_maildir(tmp_path / "mail", mails)
    report = run_source(engine, maildir(tmp_path), OWN, parse_workers=2)
    assert report.stored == 40
    with Session(engine) as session:
        got = {(m.customer_match, m.customer_id) for m in session.scalars(select(Message))}
        assert got == {("reference", kessler.id), ("unmatched", None)}


def test_reply_arriving_before_its_parent_joins_one_thread(engine: Engine, tmp_path: Path) -> None:
    reply = email_bytes(sent=T0 + timedelta(hours=1), sender="maria.lopez@halden-supply.example",
                        to="jan@brightline.example", subject="Re: Short shipment",
                        message_id="<r@halden-supply.example>",
                        in_reply_to="<p@brightline.example>")
    parent = email_bytes(sent=T0, subject="Short shipment", message_id="<p@brightline.example>")
    write_maildir(tmp_path / "mail", [reply])
    run_source(engine, maildir(tmp_path), OWN)
    write_maildir(tmp_path / "mail", [parent], start=1)
    run_source(engine, maildir(tmp_path), OWN)
    with Session(engine) as session:
        threads = {m.thread_id for m in session.scalars(select(Message))}
        assert len(threads) == 1
        thread = session.get(Thread, threads.pop())
        assert thread is not None and thread.state == "awaiting_customer"


def test_auto_reply_does_not_make_a_thread_wait_for_us(engine: Engine, tmp_path: Path) -> None:
    outbound = email_bytes(sent=T0, sender="ar@halden-supply.example", to="jan@brightline.example",
                           subject="Statement", message_id="<s@halden-supply.example>")
    ooo = email_bytes(sent=T0 + timedelta(minutes=1), subject="Automatic reply: Statement",
                      message_id="<o@brightline.example>", in_reply_to="<s@halden-supply.example>",
                      headers={"Auto-Submitted": "auto-replied"}, body="I am out of the office.")
    write_maildir(tmp_path / "mail", [outbound, ooo])
    run_source(engine, maildir(tmp_path), OWN)
    with Session(engine) as session:
        thread = session.scalars(select(Thread)).one()
        assert thread.state == "awaiting_customer"
        assert thread.last_inbound_at is None


def test_customer_master_reload_updates_without_duplicates(engine: Engine, tmp_path: Path) -> None:
    with_customers(engine, tmp_path)
    with_customers(engine, tmp_path)
    assert count(engine, Customer) == 2
    with Session(engine) as session:
        brightline = session.scalars(select(Customer).where(Customer.external_id == "C001")).one()
        assert brightline.domains == ["brightline.example", "brightline-group.example"]
        assert brightline.owner_email == "maria.lopez@halden-supply.example"


def test_bad_customer_file_names_file_row_and_column(engine: Engine, tmp_path: Path) -> None:
    import pytest

    from ingest import CustomerFileError

    csv = tmp_path / "customers.csv"
    csv.write_text("id,name\nC1,A\n")
    with pytest.raises(CustomerFileError, match=r"customers.csv: missing column\(s\) domains"):
        with session_scope(engine) as session:
            load_customers(session, csv)
    csv.write_text("id,name,domains,credit_limit\nC1,A,a.example,lots\n")
    with pytest.raises(
        CustomerFileError, match=r"customers.csv:2 credit_limit: 'lots' is not a number"
    ):
        with session_scope(engine) as session:
            load_customers(session, csv)
    assert count(engine, Customer) == 0


# -- reading ahead: the next batch parsed while this one is stored -------------------------


class _Batches(EmlFolderConnector):
    """An .eml folder handed out `size` files a batch, noting how many items were committed
    each time the runner asks for another batch, and failing when asked for batch `fail_at`."""

    def __init__(self, folder: Path, read_ahead: bool, engine: Engine, size: int,
                 fail_at: int | None = None) -> None:
        super().__init__("ahead", EmlFolderSourceConfig.model_validate(
            {"type": "eml_dir", "path": folder}))
        self.read_ahead = read_ahead
        self.engine = engine
        self.fail_at = fail_at
        self.size = size
        self.committed_when_asked: list[int] = []
        self.tuning_when_asked: list[tuple[float, int]] = []

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        items = [item for batch in super().fetch(cursors) for item in batch.items]
        for n, start in enumerate(range(0, len(items), self.size)):
            self.committed_when_asked.append(count(self.engine, SourceItem))
            self.tuning_when_asked.append((sys.getswitchinterval(), gc.get_threshold()[0]))
            if n == self.fail_at:
                raise SourceError("the source went away")
            chunk = items[start:start + self.size]
            yield Batch("", chunk, {"last_key": chunk[-1].key})
        self.committed_when_asked.append(count(self.engine, SourceItem))  # asked: no more


def _eml_folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "eml"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:02d}.eml").write_bytes(
            email_bytes(sent=T0 + timedelta(hours=i), message_id=f"<a{i}@b.example>"))
    return folder


@pytest.mark.parametrize(("read_ahead", "size", "asked"), [
    (False, 16, [0, 16, 32, 48]),  # each batch committed before the next is asked for
    (True, 16, [0, 0, 16, 32]),  # the next batch is taken (and parsed) while this is stored
    (True, 3, [0, 3, 6, 9]),  # batches too small for the parse workers: nothing to overlap
])
def test_next_batch_is_taken_before_this_one_is_committed_only_when_reading_ahead(
    engine: Engine, tmp_path: Path, read_ahead: bool, size: int, asked: list[int]
) -> None:
    n = size * 3
    connector = _Batches(_eml_folder(tmp_path, n), read_ahead, engine, size)
    report = run_source(engine, connector, OWN, parse_workers=2)
    assert (report.seen, report.stored) == (n, n)
    assert connector.committed_when_asked == asked
    with Session(engine) as session:
        ids = session.scalars(
            select(col(Message.header_message_id)).order_by(col(Message.id))).all()
    assert ids == [f"<a{i}@b.example>" for i in range(n)]


def test_switch_interval_and_collector_are_tuned_only_while_reading_ahead(
    engine: Engine, tmp_path: Path
) -> None:
    before = (sys.getswitchinterval(), gc.get_threshold()[0])
    assert before[1] < GC_YOUNG_THRESHOLD
    connector = _Batches(_eml_folder(tmp_path, 48), True, engine, 16)
    run_source(engine, connector, OWN, parse_workers=2)
    # Asked for batch 1 before reading ahead, then for batches 2 and 3 while reading ahead.
    tuned = (read_ahead_tuning.SECONDS, GC_YOUNG_THRESHOLD)
    assert connector.tuning_when_asked == [before, tuned, tuned]
    assert (sys.getswitchinterval(), gc.get_threshold()[0]) == before


@pytest.mark.parametrize("read_ahead", [False, True])
def test_batch_in_hand_is_stored_when_the_source_fails_on_the_next(
    engine: Engine, tmp_path: Path, read_ahead: bool
) -> None:
    connector = _Batches(_eml_folder(tmp_path, 48), read_ahead, engine, 16, fail_at=2)
    with pytest.raises(SourceError, match="went away"):
        run_source(engine, connector, OWN, parse_workers=2)
    assert count(engine, Message) == count(engine, SourceItem) == 32
