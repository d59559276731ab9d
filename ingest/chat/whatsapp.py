"""WhatsApp "Export chat" files: the .txt, or the .zip with media, from Android or iOS in
any locale.

Android writes `12/03/2026, 14:05 - Name: text` (or `3/12/26, 2:05 PM - …`), iOS
`[12/03/2026, 14:05:33] Name: text`; either may use dots or dashes in dates, 12- or 24-hour
clocks, and a narrow no-break space before AM/PM. A line without that prefix continues the
message above. Day and month order is read from the file (a first number above 12 means
day first, a second one above 12 month first), else from config. Times are local: they are
read in the source's `timezone`.

A message's natural key is the chat, its local time as written, author, a hash of its text
and its ordinal among identical ones, so exporting the chat again later (an overlapping
export) adds only the new messages. System lines (the encryption notice, joins, subject
changes, deleted messages) are not messages; media become attachment metadata.

Edits: WhatsApp marks an edited message with a trailing "<This message was edited>" (in the
phone's language) but gives no edit time, and the edit changes the text the natural key is
made of. So each message also carries its slot, `edit_key`: the chat, its time as written,
its author and its place among that author's lines in that minute (deleted ones included,
since their placeholder stays). The store uses the slot to take an edited text as a new
version of the message it replaces rather than as another message (`ingest.storing`).
"""

from __future__ import annotations

import mimetypes
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.base import Conversation
from ingest.chat.config import WhatsAppSourceConfig
from ingest.chat.folder import ExportConnector, ExportError, ExportFile, rejected
from ingest.chat.records import ChatRecord, Rejected, clean, name_key, ordinal_keys, short_hash

_DATE = r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\.?"
_TIME = r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([aApP])\.?\s*[mM]\.?)?"
IOS_LINE = re.compile(rf"^\[{_DATE},?\s+{_TIME}\]\s(.*)$", re.S)
ANDROID_LINE = re.compile(rf"^{_DATE},?\s+{_TIME}\s[-–]\s(.*)$", re.S)
# Looks like the start of a message (a date and a time) but may not be a well-formed one.
LOOKS_LIKE_START = re.compile(rf"^\[?{_DATE},?\s+\d{{1,2}}[:.]\d{{2}}")
_MEDIA_OMITTED = re.compile(
    r"^<(?:Media omitted|Medien ausgeschlossen|Multimedia omitido|Médias omis|"
    r"Mídia oculta|Media weggelaten|Media omessi)>$|"
    r"^(image|video|audio|sticker|GIF|document|Contact card) omitted$", re.I)
_IOS_ATTACHED = re.compile(r"<attached: ([^>]+)>")
_ANDROID_ATTACHED = re.compile(r"^(\S.*?\.\w{2,5}) \((?:file attached|Datei angehängt|"
                               r"archivo adjunto|fichier joint)\)", re.I)
_DELETED = re.compile(r"^(?:This message was deleted|You deleted this message|"
                      r"Diese Nachricht wurde gelöscht|Se eliminó este mensaje)\.?$", re.I)
# The marker WhatsApp appends to an edited message, in the languages exports are seen in.
_EDITED = re.compile(
    r"\s*<(?:This message was edited|Este mensaje fue editado|Se editó este mensaje\.?|"
    r"Diese Nachricht wurde bearbeitet|Ce message a été modifié|"
    r"Questo messaggio è stato modificato|Esta mensagem foi editada|"
    r"Это сообщение изменено)>$", re.I)
_CHAT_NAME = re.compile(
    r"^(?:WhatsApp[ -]Chat|Chat de WhatsApp|Discussion WhatsApp|Conversa do WhatsApp)"
    r"\s*(?:with|mit|con|avec|com|-|–)?\s*", re.I)


@dataclass
class _Line:
    number: int
    raw: bytes
    date: tuple[int, int, int]
    year_first: bool
    clock: tuple[int, int, int, str | None]
    marked: bool  # iOS: the text after the author starts with a left-to-right mark
    rest: str
    more: list[str] = field(default_factory=list)
    end_line: int = 0


def chat_name(path: Path) -> str:
    name = _CHAT_NAME.sub("", path.stem).strip()
    return name or path.stem


def date_order(lines: list[_Line], configured: str, fallback: str) -> str:
    """`dmy`, `mdy` or `ymd`: as configured, else as the file shows, else `fallback`."""
    if configured != "auto":
        return configured
    if lines and all(line.year_first for line in lines):
        return "ymd"
    day_first = any(line.date[0] > 12 for line in lines if not line.year_first)
    month_first = any(line.date[1] > 12 for line in lines if not line.year_first)
    if day_first and not month_first:
        return "dmy"
    if month_first and not day_first:
        return "mdy"
    return fallback


def local_time(line: _Line, order: str) -> datetime:
    """The line's local date and time (naive); ValueError saying what is wrong."""
    a, b, c = line.date
    if order == "ymd":
        year, month, day = a, b, c
    elif order == "dmy":
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c
    if year < 100:
        year += 2000
    hour, minute, second, half = line.clock
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with AM/PM")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"{exc} (read as {order})") from None


class WhatsAppConnector(ExportConnector):
    suffixes = (".txt", ".zip")

    def __init__(self, name: str, config: WhatsAppSourceConfig) -> None:
        super().__init__(name, config)
        self.order = config.date_order
        self.fallback = config.ambiguous_date_order

    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        text, media = _chat_bytes(export.path)
        name = chat_name(export.path)
        conv_key = f"whatsapp:{short_hash(name_key(name))}"
        starts, broken = self._split(text, export.label, conv_key)
        yield from broken
        order = date_order(starts, self.order, self.fallback)
        parsed: list[tuple[_Line, datetime, str, str, str, bool]] = []
        places: dict[tuple[str, str], int] = {}
        for line in starts:
            position = _position(export.label, line)
            try:
                when = local_time(line, order)
            except ValueError as exc:
                yield rejected(conv_key, position, f"not a date and time: {exc}", line.raw)
                continue
            author, body = _author(line)
            if author is None or _is_system(body, line.marked):
                continue  # encryption notice, joins, subject changes: not messages
            message = "\n".join([body, *(clean(m) for m in line.more)]).strip()
            author = clean(author).strip()
            minute = (when.isoformat(), name_key(author))
            place = places[minute] = places.get(minute, -1) + 1
            visible = clean(message)
            if _DELETED.match(visible):
                continue  # not a message, but it keeps its place in the minute
            marker = _EDITED.search(visible)
            if marker:
                message = visible[: marker.start()].rstrip()
            parsed.append((line, when, author, message, edit_key(conv_key, *minute, place),
                           marker is not None))
        authors = {p[2] for p in parsed}
        customers = [a for a in authors if not self.people.is_agent(a)]
        conversation = Conversation(
            key=conv_key,
            title=f"WhatsApp: {name}",
            customer_ref=self.people.customer_for(name, export.path.stem, *sorted(customers)),
            reference_window_days=self.config.reference_window_days,
            recent_window_days=self.config.recent_window_days,
            session_gap_hours=self.config.session_gap_hours,
        )
        keys = ordinal_keys([(conv_key, w.isoformat(), name_key(a), clean(m))
                             for _, w, a, m, _slot, _edited in parsed])
        previous: str | None = None
        for (line, when, author, message, slot, edited), key in zip(parsed, keys, strict=True):
            caption, attachments = _media(message, media)
            agent = self.people.is_agent(author)
            message_id = f"{conv_key}:{key}"
            yield ChatRecord(
                natural_key=message_id,
                position=_position(export.label, line),
                channel="chat",
                sender=author,
                sender_name=author,
                sent_at=when.replace(tzinfo=self.zone),
                text=caption,
                message_id=message_id,
                conversation=conversation,
                recipients=sorted(customers) if agent else [],
                previous=previous,
                attachments=attachments,
                direction="outbound" if agent else "inbound",
                edit_key=slot,
                edited=edited,
            )
            previous = message_id

    def _split(self, data: bytes, label: str, conv_key: str) -> tuple[list[_Line], list[Rejected]]:
        """Message lines with their continuation lines, and the lines that cannot be read."""
        starts: list[_Line] = []
        broken: list[Rejected] = []
        raw_lines = data.split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        for number, raw in enumerate(raw_lines, 1):
            try:
                line = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError as exc:
                broken.append(rejected(conv_key, f"{label} line {number}",
                                       f"not UTF-8 text ({exc.reason} at byte {exc.start})", raw))
                continue
            if number == 1:
                line = line.lstrip("\ufeff")
            visible = clean(line)
            match = IOS_LINE.match(visible) or ANDROID_LINE.match(visible)
            if match is not None:
                a, b, c, hour, minute, second, half, rest = match.groups()
                starts.append(_Line(
                    number, raw, (int(a), int(b), int(c)), len(a) == 4,
                    (int(hour), int(minute), int(second or 0), half),
                    _marked(line), rest, end_line=number))
            elif LOOKS_LIKE_START.match(visible):
                broken.append(rejected(conv_key, f"{label} line {number}",
                                       "starts like a message but has no readable "
                                       "'date, time - name: text' form", raw))
            elif starts:
                starts[-1].more.append(line)
                starts[-1].end_line = number
            elif visible.strip():
                broken.append(rejected(conv_key, f"{label} line {number}",
                                       "text before the first message line", raw))
        return starts, broken


def edit_key(conv_key: str, local_time: str, author_key: str, place: int) -> str:
    """A message's slot: the same message in every export of the chat, whatever its text."""
    return f"{conv_key}:slot:{short_hash(conv_key, local_time, author_key, length=20)}.{place}"


def _marked(line: str) -> bool:
    """Whether an iOS line's text (after `] author: `) starts with a left-to-right mark, as
    iOS writes system notices and media."""
    close = line.find("]")
    if close < 0:
        return False
    after = line[close + 1:]
    colon = after.find(": ")
    return colon >= 0 and after[colon + 2 : colon + 3] == "\u200e"


def _position(label: str, line: _Line) -> str:
    if line.end_line > line.number:
        return f"{label} lines {line.number}-{line.end_line}"
    return f"{label} line {line.number}"


def _author(line: _Line) -> tuple[str | None, str]:
    rest = line.rest
    if ": " not in rest:
        if rest.endswith(":"):
            return rest[:-1], ""
        return None, rest  # Android system line: no author
    author, _, body = rest.partition(": ")
    if '"' in author or len(author) > 80:
        return None, rest  # a system line quoting something with a colon (a new subject)
    return author, body


def _is_system(body: str, marked: bool) -> bool:
    # iOS writes system notices as a message from the chat with a left-to-right mark first;
    # media lines carry the mark too, so they are told apart first.
    if not marked:
        return False
    text = body.strip()
    return not (_MEDIA_OMITTED.match(text) or _IOS_ATTACHED.search(text))


def _media(message: str, media: dict[str, int]) -> tuple[str, list[dict[str, object]]]:
    text = clean(message).strip()
    attachments: list[dict[str, object]] = []
    omitted = _MEDIA_OMITTED.match(text)
    if omitted:
        kind = (omitted.group(1) or "media").lower()
        return "", [{"filename": "", "content_type": kind, "size": 0, "omitted": True}]
    attached = _IOS_ATTACHED.search(text)
    if attached:
        filename = attached.group(1).strip()
        text = (text[: attached.start()] + text[attached.end():]).strip()
        # iOS puts "name.pdf • 3 pages" before a document's marker.
        text = re.sub(r"^\S+\.\w{2,5}\s•\s\d+\s\w+$", "", text).strip()
    else:
        android = _ANDROID_ATTACHED.match(text)
        if not android:
            return text, attachments
        filename = android.group(1)
        text = text[android.end():].strip()
    attachments.append({
        "filename": filename,
        "content_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
        "size": media.get(filename, 0),
        "omitted": filename not in media,
    })
    return text, attachments


def _chat_bytes(path: Path) -> tuple[bytes, dict[str, int]]:
    """The chat text, and the media files beside it (name -> size) in a ZIP export."""
    if path.suffix.lower() != ".zip":
        return path.read_bytes(), {}
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            texts = [i for i in infos if i.filename.lower().endswith(".txt")]
            chosen = next((i for i in texts if Path(i.filename).name == "_chat.txt"),
                          texts[0] if texts else None)
            if chosen is None:
                raise ExportError("no chat .txt file in the ZIP")
            media = {Path(i.filename).name: i.file_size for i in infos if i is not chosen}
            return archive.read(chosen), media
    except zipfile.BadZipFile as exc:
        raise ExportError(f"not a ZIP archive: {exc}") from None
