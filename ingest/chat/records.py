"""What every chat and transcript reader produces: records, rejected lines, and the small
helpers they share (agents, customers mapped in config, keys, times).

A reader turns one export file into `ChatRecord`s (one per message or call turn) and
`Rejected` entries (a line or object it cannot read, with its position). The folder
connector hands records to the runner as self-contained JSON, so `parse` needs nothing but
the bytes, and rejected entries with their original bytes, so quarantine keeps exactly what
was in the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingest.base import BadRecord, Conversation, ParsedMessage, RawItem

ENVELOPE = b'{"commwatch_chat":1,'

# Bidirectional marks and other invisible characters WhatsApp and Teams put around names.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                                    "\u2068\u2069\ufeff\u200b"), None)


def clean(text: str) -> str:
    """Text without invisible direction marks; no-break spaces become plain spaces."""
    return text.translate(_INVISIBLE).replace("\u202f", " ").replace("\xa0", " ")


def name_key(value: str) -> str:
    """How a name, id or phone number is compared: case-, space- and mark-insensitive; a
    phone number by its digits alone (+44 7700 900461 = 0044 7700-900461 = 447700900461)."""
    value = unicodedata.normalize("NFKC", clean(value)).strip().lower()
    digits = re.sub(r"[\s().\-/]", "", value)
    if re.fullmatch(r"\+?\d{6,}", digits):
        return "tel:" + digits.lstrip("+").removeprefix("00")
    return " ".join(value.split())


def short_hash(*parts: str | bytes, length: int = 16) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x1f")
    return digest.hexdigest()[:length]


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parse_iso(value: str, default_zone: ZoneInfo) -> datetime:
    """An ISO 8601 time; one without an offset is read in `default_zone`. Raises ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Graph writes 7 fractional digits (2026-11-05T14:03:22.1234567Z); Python reads up to 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=default_zone)
    return when


@dataclass(frozen=True)
class People:
    """Who is ours (agents: names, ids, phone numbers, speaker or channel labels) and which
    customer a chat, channel, file or participant is mapped to in config."""

    agents: frozenset[str]
    customers: Mapping[str, str]

    @classmethod
    def of(cls, agents: Iterable[str], customers: Mapping[str, str]) -> People:
        return cls(frozenset(name_key(a) for a in agents),
                   {name_key(k): v for k, v in customers.items()})

    def is_agent(self, *names: str | None) -> bool:
        return any(n and name_key(n) in self.agents for n in names)

    def customer_for(self, *names: str | None) -> str | None:
        for n in names:
            if n:
                found = self.customers.get(name_key(n))
                if found:
                    return found
        return None


@dataclass
class ChatRecord:
    """One chat message or call turn, ready to become a ParsedMessage."""

    natural_key: str
    position: str
    channel: str
    sender: str
    sender_name: str
    sent_at: datetime
    text: str
    message_id: str
    conversation: Conversation
    new_text: str | None = None
    recipients: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    previous: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    automatic: str | None = None
    direction: str | None = None
    edited_at: datetime | None = None
    # Sources without an edit time (WhatsApp): whether the text is marked as edited, and the
    # message's slot, which stays the same when its text (and so its natural key) changes.
    edited: bool = False
    edit_key: str | None = None

    @property
    def item_key(self) -> str:
        """The ledger key: an edit is a new item of the same message, so a later export
        holding it is read (and the message's text brought up to date) rather than skipped."""
        if self.edited_at is None:
            return self.natural_key
        return f"{self.natural_key}@edited:{self.edited_at.isoformat()}"

    def envelope(self) -> bytes:
        body = {
            "natural_key": self.natural_key, "position": self.position,
            "channel": self.channel, "sender": self.sender, "sender_name": self.sender_name,
            "sent_at": self.sent_at.isoformat(), "text": self.text, "new_text": self.new_text,
            "message_id": self.message_id, "recipients": self.recipients,
            "in_reply_to": self.in_reply_to, "previous": self.previous,
            "attachments": self.attachments, "automatic": self.automatic,
            "direction": self.direction,
            "edited_at": self.edited_at.isoformat() if self.edited_at else None,
            "edited": self.edited, "edit_key": self.edit_key,
            "conversation": {
                **self.conversation.__dict__,
                "ends_at": self.conversation.ends_at.isoformat()
                if self.conversation.ends_at else None,
                "refs": list(self.conversation.refs),
            },
        }
        return ENVELOPE + json.dumps(body, ensure_ascii=False).encode()[1:]


@dataclass
class Rejected:
    """A line or object that cannot be read: its original bytes and why, with position."""

    key: str
    position: str
    reason: str
    raw: bytes


@dataclass(frozen=True)
class RejectedItem(RawItem):
    """An item the reader already knows is bad; parsing it raises its reason."""

    reason: str = ""


def message_from_envelope(data: bytes) -> ParsedMessage:
    """The ParsedMessage a ChatRecord envelope describes; BadRecord for anything else."""
    if not data.startswith(ENVELOPE):
        raise BadRecord(
            "not a record commwatch wrote: the line could not be read when its file was "
            "ingested; correct the export and drop it into the folder again"
        )
    try:
        body = json.loads(b"{" + data[len(ENVELOPE):])
        conv = dict(body["conversation"])
        conv["ends_at"] = datetime.fromisoformat(conv["ends_at"]) if conv["ends_at"] else None
        conv["refs"] = tuple(conv["refs"])
        text = body["text"]
        return ParsedMessage(
            natural_key=body["natural_key"],
            channel=body["channel"],
            sender=body["sender"],
            sender_name=body["sender_name"],
            recipients=list(body["recipients"]),
            sent_at=datetime.fromisoformat(body["sent_at"]),
            subject=conv["title"],
            body_text=text,
            new_text=text if body["new_text"] is None else body["new_text"],
            header_message_id=body["message_id"],
            in_reply_to=body["in_reply_to"],
            references=[body["previous"]] if body["previous"] else [],
            attachments=list(body["attachments"]),
            automatic=body["automatic"],
            direction=body["direction"],
            conversation=Conversation(**conv),
            edited_at=datetime.fromisoformat(body["edited_at"])
            if body.get("edited_at") else None,
            edited=bool(body.get("edited", False)),
            edit_key=body.get("edit_key"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRecord(f"damaged chat record: {type(exc).__name__}: {exc}") from None


def ordinal_keys(parts: list[tuple[str, ...]]) -> list[str]:
    """A key per entry that survives re-export: a hash of its parts plus its ordinal among
    entries with identical parts ("ok" twice in one minute by one person is two messages)."""
    seen: dict[str, int] = {}
    keys = []
    for entry in parts:
        base = short_hash(*entry, length=20)
        n = seen.get(base, 0)
        seen[base] = n + 1
        keys.append(f"{base}.{n}")
    return keys
