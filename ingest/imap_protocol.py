"""IMAP on the wire: mailbox names in modified UTF-7, FETCH responses and UID sets, and
_Session, one connected client whose every refusal becomes a SourceError.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import imaplib2

from ingest.base import SourceError

log = logging.getLogger("ingest.imap")  # the connector's logger, as in imap_transport

FETCH_ITEMS = "(UID INTERNALDATE RFC822.SIZE BODY.PEEK[])"
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)"'
)
_UID = re.compile(rb"\bUID (\d+)")
_NEW_RESPONSE = re.compile(rb"^\d+ \(")
_LIST = re.compile(rb'^\((?P<flags>[^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (?P<name>.*)$')


def encode_mailbox(name: str) -> str:
    """A folder name as IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted for a command."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + raw.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_mailbox(name: str) -> str:
    def one(match: re.Match[str]) -> str:
        chunk = match.group(1).replace(",", "/")
        if not chunk:
            return "&"
        try:
            return base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):  # not modified UTF-7 after all: keep as sent
            return match.group(0)

    return re.sub(r"&([^-]*)-", one, name)


def _text(value: Any) -> str:
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else type(value).__name__
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _internaldate(meta: bytes) -> datetime | None:
    m = _INTERNALDATE.search(meta)
    if m is None or m.group(2).decode().title() not in _MONTHS:
        return None
    day, mon, year, hh, mm, ss, sign, zh, zm = (g.decode() for g in m.groups())
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(int(year), _MONTHS[mon.title()], int(day), int(hh), int(mm), int(ss),
                         tzinfo=timezone(offset))
    except ValueError:  # e.g. 31-Feb: fall back to the Date header
        return None
    return local.astimezone(UTC)


def _fetch_records(data: list[Any]) -> dict[int, tuple[datetime | None, bytes]]:
    """UID -> (INTERNALDATE, body) from imaplib2's FETCH data: a (head, literal) tuple per
    message, possibly followed by the rest of its line (items after the literal)."""
    found: dict[int, tuple[datetime | None, bytes]] = {}
    records: list[list[bytes]] = []
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            records.append([part[0], part[1]])
        elif isinstance(part, bytes) and records and not _NEW_RESPONSE.match(part):
            records[-1][0] += part
    for meta, body in records:
        uid = _UID.search(meta)
        if uid is not None:
            found[int(uid.group(1))] = (_internaldate(meta), body)
    return found


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _uid_set(uids: list[int]) -> str:
    """Sorted UIDs as a compact IMAP set: 1:5,7,9:10."""
    ranges: list[list[int]] = []
    for uid in sorted(uids):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(f"{a}:{b}" if a != b else str(a) for a, b in ranges)


def _is_news(exists: list[Any], recent: list[Any]) -> bool:
    return any(e is not None for e in exists) or any(r not in (None, b"0") for r in recent)


class _Session:
    """One connected IMAP client; every server refusal becomes a SourceError naming `where`."""

    def __init__(self, conn: Any, where: str) -> None:
        self.conn = conn
        self.where = where
        self.capabilities: set[str] = set(getattr(conn, "capabilities", ()))

    def run(self, what: str, call: Callable[..., tuple[str, list[Any]]], *args: Any,
            allow_no: bool = False) -> tuple[str, list[Any]]:
        try:
            typ, data = call(*args)
        except imaplib2.IMAP4.abort as exc:
            raise SourceError(f"{self.where}: connection lost during {what}: {_text(exc)}") from exc
        except imaplib2.IMAP4.error as exc:
            raise SourceError(f"{self.where}: {what} failed: {_text(exc)}") from exc
        except OSError as exc:
            raise SourceError(f"{self.where}: connection lost during {what}: {exc}") from exc
        if typ != "OK" and not (allow_no and typ == "NO"):
            raise SourceError(f"{self.where}: {what} refused: {_text(data[-1] if data else typ)}")
        return typ, data

    def refresh_capabilities(self) -> None:
        _typ, data = self.run("CAPABILITY", self.conn.capability)
        self.capabilities = set(_text(data[-1]).upper().split()) if data and data[-1] else set()

    def select(self, folder: str, readonly: bool) -> tuple[int, int]:
        """Open a folder (EXAMINE when read-only); returns (UIDVALIDITY, message count)."""
        verb = "EXAMINE" if readonly else "SELECT"
        try:
            typ, data = self.conn.select(encode_mailbox(folder), readonly=readonly)
        except imaplib2.IMAP4.readonly:
            raise SourceError(f"{self.where}: folder {folder!r} is read-only on the server; "
                              "after_ingest needs write access") from None
        except (imaplib2.IMAP4.error, OSError) as exc:
            raise SourceError(f"{self.where}: {verb} {folder!r} failed: {_text(exc)}") from exc
        if typ != "OK":
            raise SourceError(f"{self.where}: folder {folder!r} not found or not accessible: "
                              f"{_text(data[-1])}")
        _code, validity = self.conn.response("UIDVALIDITY")
        if not validity or validity[-1] is None:
            raise SourceError(f"{self.where}: the server sent no UIDVALIDITY for {folder!r}")
        self.pop_new()  # the EXISTS/RECENT of the SELECT itself are not news
        return int(validity[-1]), int(data[-1] or 0)

    def uids_after(self, last_uid: int) -> list[int]:
        _typ, data = self.run("UID SEARCH", self.conn.uid, "SEARCH", f"UID {last_uid + 1}:*")
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        # `n:*` with n past the highest UID still matches the highest: filter it out.
        return sorted(u for u in (int(x) for x in found) if u > last_uid)

    def folders(self) -> list[str]:
        _typ, data = self.run("LIST", self.conn.list, '""', "*")
        names = []
        for entry in data:
            if isinstance(entry, tuple):  # a name sent as a literal
                names.append(_text(entry[1]))
                continue
            m = _LIST.match(entry or b"")
            if m:
                name = _text(m.group("name"))
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(decode_mailbox(name))
        return names

    def pop_new(self) -> bool:
        """Whether the server announced new mail (EXISTS / non-zero RECENT) since last asked."""
        _c, exists = self.conn.response("EXISTS")
        _c, recent = self.conn.response("RECENT")
        return _is_news(exists, recent)

    def has_new(self) -> bool:
        """`pop_new` without taking the announcements: they stay for `pop_new`."""
        waiting: dict[str, list[Any]] = {"EXISTS": [], "RECENT": []}
        for typ, data in list(self.conn.untagged_responses):
            if typ in waiting:
                waiting[typ] += data
        return _is_news(waiting["EXISTS"], waiting["RECENT"])

    def close(self) -> None:
        try:
            self.conn.logout()
        except (imaplib2.IMAP4.error, OSError) as exc:
            log.debug("%s: logout: %s", self.where, exc)

