"""Bulk fetching from a real Dovecot: literal framing in the reader, the next batch fetched
while the runner stores the current one, and what a failure in between leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from ingest.imap import ImapConnector
from tests.dovecot import DovecotServer, MailUser, dovecot  # noqa: F401
from tests.factories import email_bytes
from tests.ingest.imapkit import (  # noqa: F401 - fixtures
    IMAPLIB2_WARNINGS,
    T0,
    make,
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
