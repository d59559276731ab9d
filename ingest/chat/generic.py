"""Any other chat or call log, as JSON Lines or CSV with one message a row.

Columns are mapped in `[sources.NAME.columns]` (our field = their column). A row's natural
key is its `id` column within its conversation when there is one, else a hash of its
conversation, time, sender and text plus its ordinal among identical rows, so a re-export
adds nothing. A row with an `id` and an `edited_at` time is an edit of that message: the
newest edit is its text and earlier ones are kept as revisions (without an `id`, another
text is another message). A file that only grew is read from where the last run stopped. A
row that cannot be read is quarantined with its line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.base import Conversation
from ingest.chat.config import ChatImportSourceConfig
from ingest.chat.folder import ExportConnector, ExportError, ExportFile, rejected
from ingest.chat.records import ChatRecord, Rejected, from_epoch, ordinal_keys, parse_iso

DIRECTIONS = {
    "inbound": "inbound", "in": "inbound", "customer": "inbound", "received": "inbound",
    "outbound": "outbound", "out": "outbound", "agent": "outbound", "sent": "outbound",
    "internal": "internal",
}


class ChatImportConnector(ExportConnector):
    suffixes = (".jsonl", ".ndjson", ".csv")
    appendable = True

    def __init__(self, name: str, config: ChatImportSourceConfig) -> None:
        super().__init__(name, config)
        self.settings = config

    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        data = export.path.read_bytes()
        stem = export.path.stem
        rows = _csv_rows(data, self.settings.delimiter, export.label) if (
            export.path.suffix.lower() == ".csv") else _json_rows(data)
        good: list[tuple[int, int, bytes, dict[str, Any]]] = []
        for line, end, raw, row in rows:
            if end <= start:
                continue  # read by an earlier run, before the file grew
            if isinstance(row, str):
                yield rejected(f"import:{stem}", f"{export.label} line {line}", row, raw)
            else:
                good.append((line, end, raw, row))
        cols = self.settings.columns
        prepared: list[tuple[int, bytes, dict[str, Any], datetime, str, datetime | None]] = []
        for line, _end, raw, row in good:
            position = f"{export.label} line {line}"
            try:
                for required in ("sent_at", "sender", "text"):
                    if _get(row, cols.header(required)) in (None, ""):
                        raise ValueError(f"no `{cols.header(required)}` value")
                when = self._column_time(row, "sent_at")
                edited_at = (self._column_time(row, "edited_at")
                             if _get(row, cols.header("edited_at")) not in (None, "") else None)
                conv = str(_get(row, cols.header("conversation")) or stem)
            except ValueError as exc:
                yield rejected(f"import:{stem}", position, str(exc), raw)
                continue
            prepared.append((line, raw, row, when, conv, edited_at))
        keys = ordinal_keys([
            (conv, when.isoformat(), str(_get(row, cols.header("sender"))),
             str(_get(row, cols.header("text"))))
            for _line, _raw, row, when, conv, _edited in prepared
        ])
        previous: dict[str, str] = {}
        for (line, raw, row, when, conv, edited_at), hashed in zip(prepared, keys, strict=True):
            position = f"{export.label} line {line}"
            sender = str(_get(row, cols.header("sender"))).strip()
            name = str(_get(row, cols.header("sender_name")) or sender).strip()
            given = _get(row, cols.header("direction"))
            direction = DIRECTIONS.get(str(given).strip().lower()) if given else None
            if given and direction is None:
                yield rejected(f"import:{stem}", position,
                               f"direction {given!r} is not inbound/outbound/internal", raw)
                continue
            if direction is None:
                direction = "outbound" if self.people.is_agent(sender, name) else (
                    None if "@" in sender else "inbound")
            row_id = _get(row, cols.header("id"))
            message_id = f"import:{conv}:{row_id}" if row_id else f"import:{conv}:{hashed}"
            reply = _get(row, cols.header("reply_to"))
            customer = _get(row, cols.header("customer"))
            channel = str(_get(row, cols.header("channel")) or self.settings.channel)
            conversation = Conversation(
                key=f"import:{conv}",
                title=conv,
                customer_ref=str(customer) if customer else self.people.customer_for(conv, sender),
                reference_window_days=self.config.reference_window_days,
                recent_window_days=self.config.recent_window_days,
                session_gap_hours=self.config.session_gap_hours,
            )
            yield ChatRecord(
                natural_key=message_id,
                position=position,
                channel=channel if channel in ("chat", "call", "sms") else self.settings.channel,
                sender=sender,
                sender_name=name,
                sent_at=when,
                text=str(_get(row, cols.header("text"))).strip(),
                message_id=message_id,
                conversation=conversation,
                in_reply_to=f"import:{conv}:{reply}" if reply else None,
                previous=None if reply else previous.get(conv),
                direction=direction,
                edited_at=edited_at if row_id else None,
            )
            if not reply:
                previous[conv] = message_id

    def _column_time(self, row: dict[str, Any], field: str) -> datetime:
        column = self.settings.columns.header(field)
        try:
            return self._time(_get(row, column))
        except ValueError as exc:
            raise ValueError(f"`{column}`: {exc}") from None

    def _time(self, value: Any) -> datetime:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return from_epoch(float(value))
        text = str(value).strip()
        if self.settings.date_format:
            try:
                when = datetime.strptime(text, self.settings.date_format)
            except ValueError as exc:
                raise ValueError(f"time {text!r}: {exc}") from None
            return when if when.tzinfo else when.replace(tzinfo=self.zone)
        if text.replace(".", "", 1).isdigit():
            return from_epoch(float(text))
        try:
            return parse_iso(text, self.zone)
        except ValueError:
            raise ValueError(f"time {text!r} is not ISO 8601 or epoch seconds "
                             "(set `date_format`)") from None


def _get(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):  # JSON: a nested key as "from.name"
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _json_rows(data: bytes) -> Iterator[tuple[int, int, bytes, dict[str, Any] | str]]:
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        offset += len(raw) + 1
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield number, offset, raw, f"not a JSON object: {exc}"
            continue
        yield number, offset, raw, row if isinstance(row, dict) else "not a JSON object"


def _csv_rows(
    data: bytes, delimiter: str, label: str
) -> Iterator[tuple[int, int, bytes, dict[str, Any] | str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = text.splitlines(keepends=True)
    if not lines:
        return
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    offset = len(lines[0].encode())
    number = 1
    buffer = ""
    first = 2
    for line in lines[1:]:
        number += 1
        offset += len(line.encode())
        buffer += line
        if buffer.count('"') % 2:
            continue  # a quoted field runs on to the next line
        raw = buffer.encode()
        buffer = ""
        start, first = first, number + 1
        if not raw.strip():
            continue
        values = next(csv.reader(io.StringIO(raw.decode()), delimiter=delimiter), [])
        if len(values) != len(header):
            yield start, offset, raw.rstrip(b"\r\n"), (
                f"{len(values)} columns where the header has {len(header)}")
            continue
        yield start, offset, raw.rstrip(b"\r\n"), dict(zip(header, values, strict=True))
