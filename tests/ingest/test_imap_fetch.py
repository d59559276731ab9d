"""Bulk fetching from a real Dovecot: literal framing in the reader, the next batch fetched
while the runner stores the current one, and what a failure in between leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Message, SourceItem
from ingest.imap import ImapConnector
from ingest.runner import run_source
from tests.dovecot import DovecotServer, MailUser, dovecot  # noqa: F401
from tests.factories import OWN, email_bytes
from tests.ingest.imapkit import (  # noqa: F401 - fixtures
    IMAPLIB2_WARNINGS,
    T0,
    count,
    cursors,
    mails,
    make,
    recording,
    user,
)

pytestmark = IMAPLIB2_WARNINGS

# Lines that look like the server's own framing: an untagged response announcing a
# literal, a bare literal marker, a tagged completion. Inside a message they are data.
LOOKALIKES = [
    "* 7 FETCH (UID 7 BODY[] {12}",
    "{5}",
    "a tail that ends in a marker {0}",
    "A001 OK UID FETCH completed",
    ")",
]


def tricky(i: int) -> bytes:
    body = "\n".join([f"Message {i}", *LOOKALIKES, "x" * (i * 997 % 20000)])
    return email_bytes(sent=T0 + timedelta(minutes=i), subject=f"Framing {i}",
                       message_id=f"<frame-{i}@brightline.example>", body=body)


@pytest.mark.parametrize("batch_size", [1, 4, 50])
def test_fetched_bodies_are_byte_identical_whatever_they_contain(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    batch_size: int,
) -> None:
    """The reader hands literals to imaplib2 in network-sized pieces and must find exactly
    where each ends, even when the message holds lines shaped like IMAP responses."""
    sent = [tricky(i) for i in range(12)]
    dovecot.append(user, "INBOX", sent)
    batches = list(make(batch_size=batch_size).fetch({}))
    got = [item.read() for batch in batches for item in batch.items]
    # Dovecot stores what it was given; on the wire (and so in the literal) lines end in CRLF.
    assert got == [data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for data in sent]
    assert [len(b.items) for b in batches] == [
        min(batch_size, 12 - start) for start in range(0, 12, batch_size)]


# -- the next batch fetched while this one is stored ------------------------------------------


def test_batches_fetched_ahead_are_stored_in_uid_order_with_their_cursor(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("ahead", 65))
    connector = make(batch_size=20)  # 20 a batch: parsed in worker processes
    batches = recording(connector)
    report = run_source(sqlite_engine, connector, OWN)
    assert (report.seen, report.stored, report.quarantined) == (65, 65, 0)
    assert [(len(b.items), b.cursor["last_uid"]) for b in batches] == [
        (20, 20), (20, 40), (20, 60), (5, 65)]
    with Session(sqlite_engine) as session:
        stored = session.scalars(select(Message.header_message_id).order_by(Message.id)).all()
        ledger = session.scalars(select(SourceItem.item_key).order_by(SourceItem.id)).all()
    assert stored == [f"<ahead-{i}@brightline.example>" for i in range(65)]
    assert [int(key.rsplit("/", 1)[1]) for key in ledger] == list(range(1, 66))
    assert cursors(sqlite_engine)["INBOX"]["last_uid"] == 65


@pytest.mark.parametrize("after_ingest", ["move:Processed", "flag"])
def test_after_ingest_touches_each_stored_batch_once_while_the_next_is_fetched(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine, after_ingest: str,
) -> None:
    dovecot.create_folder(user, "Processed")
    dovecot.append(user, "INBOX", mails("touch", 50))
    connector = make(after_ingest=after_ingest, batch_size=20)
    report = run_source(sqlite_engine, connector, OWN)
    assert (report.stored, report.duplicates) == (50, 0)
    assert count(sqlite_engine, Message) == 50
    if after_ingest == "flag":
        assert dovecot.flags(user) == {uid: {"$CommwatchSeen"} for uid in range(1, 51)}
    else:
        assert dovecot.uids(user) == []
        assert len(dovecot.uids(user, "Processed")) == 50
    assert run_source(sqlite_engine, connector, OWN).stored == 0
