"""RFC 5322 / MIME messages to ParsedMessage, with the standard library's `email` package.

Lenient on what real mail gets wrong (bad charsets, broken headers, missing dates), strict
only where nothing useful can be recovered: those items are quarantined with the reason.

The MIME tree is parsed with the `compat32` policy and only the headers we use are decoded
(RFC 2047 encoded words, RFC 6532 raw UTF-8): the `default` policy's header registry parses
every header it is asked for into objects and cost most of the ingest time.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache

from ingest import boundaries, multipart
from ingest.base import BadRecord, ParsedMessage
from ingest.html import html_to_text
from ingest.quotes import new_text_of

_MSGID = re.compile(r"<[^<>\s]+>")
_SPACES = re.compile(r"\s+")
_AUTO_SUBJECT = re.compile(
    r"(?i)^(automatic reply|auto(matic)?[- ]?reply|out of (the )?office)\b")

# The first value of each header by lower-case name, as Message.get gives it (compat32's
# header_fetch_parse), read in one pass: Message.get scans every header at each call.
Headers = dict[str, object]


def _first_headers(msg: Message) -> Headers:
    found: Headers = {}
    for name, value in msg.items():
        found.setdefault(name.lower(), value)
    return found


def _unescape_8bit(text: str) -> str:
    """Raw 8-bit header bytes (RFC 6532) arrive as surrogate escapes: read them as UTF-8."""
    if text.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("ascii", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header_text(value: object) -> str:
    """The raw text of a header. compat32 wraps a value holding raw 8-bit bytes in a Header
    of charset `unknown-8bit`, whose str() replaces those bytes: recover them instead."""
    if not isinstance(value, Header):
        return _unescape_8bit(str(value))
    parts: list[str] = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        try:
            parts.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(chunk.decode(charset if charset not in (None, "unknown-8bit")
                                      else "latin-1", errors="replace"))
    return "".join(parts)


def decode_header_value(value: object) -> str:
    """A header value as text: RFC 2047 words decoded, raw 8-bit bytes read as UTF-8."""
    text = _header_text(value)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            pass  # an undecodable encoded word stays as written
    return _SPACES.sub(" ", text).strip()


def _header(heads: Headers, name: str) -> str:
    value = heads.get(name)
    return "" if value is None else decode_header_value(value)


def _address_field(heads: Headers, name: str) -> str:
    # Split addresses before decoding display names: a decoded name may hold a comma.
    value = heads.get(name)
    return "" if value is None else _header_text(value)


# The same senders and recipients come back in message after message, and the address
# parser (with its validation since Python 3.11.x) is a large part of reading the headers.
@lru_cache(maxsize=4096)
def _split_addresses(value: str) -> tuple[tuple[str, str], ...]:
    return tuple(getaddresses([value]))


@lru_cache(maxsize=4096)
def _parse_address(value: str) -> tuple[str, str]:
    return parseaddr(value)


def _addresses(heads: Headers, *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        for _display, address in _split_addresses(_address_field(heads, name)):
            address = address.strip().lower()
            if "@" in address and address not in found:
                found.append(address)
    return found


def _sender(heads: Headers) -> tuple[str, str]:
    for name in ("from", "sender", "reply-to", "return-path"):
        value = _address_field(heads, name)
        if not value:
            continue
        display, address = _parse_address(value)
        if "@" in address:
            return address.strip().lower(), decode_header_value(display)
    return "", ""


def _message_ids(value: str) -> list[str]:
    return _MSGID.findall(value)


def _sent_at(msg: Message, heads: Headers, fallback: datetime | None) -> datetime:
    candidates = [_header(heads, "date")]
    for received in msg.get_all("Received", failobj=[]) or []:
        candidates.append(str(received).rsplit(";", 1)[-1])
    for value in candidates:
        if not value.strip():
            continue
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is None:  # "-0000" means UTC with unknown local zone (RFC 5322 3.3)
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    if fallback is not None:
        return fallback.astimezone(UTC)
    raise BadRecord("no usable Date or Received header, and the source gave no arrival time")


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: most such mail is UTF-8 or ASCII
        return payload.decode("utf-8", errors="replace")


def _is_attachment(part: Message, ctype: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (
        part.get_filename() is not None and ctype.split("/")[0] != "text"
    )


def _walk(msg: Message) -> tuple[list[str], list[str], list[dict[str, object]]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[dict[str, object]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()  # parsed from the header at each call: once a part
        if _is_attachment(part, ctype) or ctype.startswith(
            ("image/", "application/", "audio/", "video/")
        ):
            payload = part.get_payload(decode=True)
            try:
                filename = part.get_filename()
            except (ValueError, LookupError):
                filename = None
            if filename:
                filename = decode_header_value(filename)
            attachments.append(
                {
                    "filename": filename or "",
                    "content_type": ctype,
                    "size": len(payload) if isinstance(payload, bytes) else 0,
                }
            )
        elif ctype == "text/plain":
            plain.append(_decode_part(part))
        elif ctype == "text/html":
            html.append(_decode_part(part))
        elif ctype in ("message/delivery-status", "text/rfc822-headers"):
            continue
        elif ctype.split("/")[0] == "text":
            plain.append(_decode_part(part))
    return plain, html, attachments


def _automatic(msg: Message, heads: Headers, sender: str, subject: str) -> str | None:
    """Bounces and auto-replies, from the headers that RFC 3834 and practice define."""
    if msg.get_content_type() == "multipart/report" or sender.split("@")[0] in (
        "mailer-daemon",
        "postmaster",
    ):
        return "bounce"
    auto = _header(heads, "auto-submitted").lower()
    if auto and auto != "no":
        return "auto_reply"
    if _header(heads, "x-autoreply") or _header(heads, "x-autorespond"):
        return "auto_reply"
    if _header(heads, "precedence").lower() in ("auto_reply", "bulk", "junk"):
        return "auto_reply"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return None


def natural_key(msg_id: str | None, data: bytes) -> str:
    if msg_id:
        return f"email:{msg_id}"
    return f"email-sha256:{hashlib.sha256(data).hexdigest()}"


def _message(data: bytes) -> Message:
    """`message_from_bytes(data, policy=compat32)`: by ingest.multipart where the message
    is well formed, by the standard parser where it is not."""
    msg = multipart.parse(data.decode("ascii", "surrogateescape"))  # as parsebytes decodes
    if msg is not None:
        return msg
    boundaries.install()  # once: the standard parser without a regex compiled per boundary
    return message_from_bytes(data, policy=policy.compat32)


def parse_email(data: bytes, received_at: datetime | None = None) -> ParsedMessage:
    """Parse raw message bytes; raises BadRecord when nothing usable is there."""
    if not data.strip():
        raise BadRecord("empty message (0 bytes or only whitespace)")
    msg = _message(data)
    if not msg.keys():
        raise BadRecord("no RFC 5322 header block: the data does not start with headers")
    heads = _first_headers(msg)
    if not any(_header(heads, h) for h in ("from", "sender", "date", "message-id", "subject")):
        raise BadRecord("none of From, Sender, Date, Message-ID or Subject could be read")

    sender, sender_name = _sender(heads)
    subject = _header(heads, "subject")
    ids = _message_ids(_header(heads, "message-id"))
    header_id = ids[0] if ids else None
    plain, html, attachments = _walk(msg)
    body = "\n\n".join(p.strip() for p in plain if p.strip())
    if not body and html:
        body = "\n\n".join(html_to_text(h) for h in html)
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    reply_ids = _message_ids(_header(heads, "in-reply-to"))
    return ParsedMessage(
        natural_key=natural_key(header_id, data),
        channel="email",
        sender=sender,
        sender_name=sender_name,
        recipients=_addresses(heads, "to", "cc"),
        sent_at=_sent_at(msg, heads, received_at),
        subject=subject,
        body_text=body,
        new_text=new_text_of(body),
        header_message_id=header_id,
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=_message_ids(_header(heads, "references")),
        attachments=attachments,
        automatic=_automatic(msg, heads, sender, subject),
    )

