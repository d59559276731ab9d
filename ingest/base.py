"""The connector contract: what a source hands to the ingest runner.

A connector lists items in batches, each with the cursor to store once the batch is stored;
the runner, not the connector, writes items, ledger and cursor in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class BadRecord(Exception):
    """One item cannot be turned into a message; it is quarantined with this reason."""


class SourceError(Exception):
    """The source as a whole cannot be read (missing folder, refused login…)."""


@dataclass(frozen=True)
class RawItem:
    """One item as the source holds it. `key` is stable for the life of the item."""

    key: str
    ref: str
    read: Callable[[], bytes]
    received_at: datetime | None = None


@dataclass
class Batch:
    partition: str
    items: list[RawItem]
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    """Where a chat message or call turn belongs; email has none (it threads by headers).

    `key` names the chat, channel or call. `customer_ref` is the customer id that config
    maps the conversation to. A `live` conversation (a call) answers everything said in it
    up to `ends_at` once one of our people speaks. `refs` are the invoice/PO numbers of the
    whole unit, so a call is placed as one piece. The windows say how far back a message may
    join another channel's thread (see ingest.crosschannel)."""

    key: str
    title: str
    customer_ref: str | None = None
    live: bool = False
    ends_at: datetime | None = None
    refs: tuple[str, ...] = ()
    reference_window_days: float = 60.0
    recent_window_days: float = 7.0
    session_gap_hours: float = 12.0


@dataclass
class ParsedMessage:
    """A message in channel-neutral form, before direction, customer and thread are known."""

    natural_key: str
    channel: str
    sender: str
    sender_name: str
    recipients: list[str]
    sent_at: datetime
    subject: str
    body_text: str
    new_text: str
    header_message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    automatic: str | None = None
    # Set by chat and call connectors: the direction from their agent mapping (None: told by
    # address as for email), and the conversation the message belongs to.
    direction: str | None = None
    conversation: Conversation | None = None
    # When the text was last edited at the source (Slack, Teams); None if never or unknown.
    edited_at: datetime | None = None
    # Marked as edited by a source that gives no edit time (WhatsApp), and the message's
    # slot there: what stays the same when an edit changes the text and so the natural key.
    edited: bool = False
    edit_key: str | None = None


class Connector(Protocol):
    name: str
    channel: str

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        """Yield batches of items newer than the stored cursors (keyed by partition)."""
        ...

    def parse(self, item: RawItem, data: bytes) -> ParsedMessage:
        """Turn one item's bytes into a message, or raise BadRecord."""
        ...

    def check(self) -> list[str]:
        """Reach the source and say what is there; raise SourceError saying what failed."""
        ...


class ReadsAhead(Connector, Protocol):
    """A connector whose `fetch` does nothing to a batch when asked for the next one (it does
    not flag, move or delete what it handed out) sets `read_ahead`: the runner then takes the
    next batch and has it parsed while it stores the current one. Without it the runner asks
    for the next batch only once the current one is committed."""

    read_ahead: bool


class OffloadsParsing(Connector, Protocol):
    """A connector whose parse can run in a worker process: `parse_job` makes in-process
    checks (raising BadRecord) and returns the rest as a picklable call, a module-level
    function with its arguments. The runner uses it for large batches."""

    def parse_job(self, item: RawItem, data: bytes) -> Callable[[], ParsedMessage]:
        ...
