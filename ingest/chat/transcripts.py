"""Call transcripts: each speaker turn becomes a message on the call's thread.

Consecutive segments of one speaker are merged into one turn. A turn by an agent (a name,
speaker label or channel label listed in `agents`) is outbound, every other turn inbound
and tagged like any customer message. The call is one conversation: its turns stay in one
thread, placed by the invoice and PO numbers said anywhere in the call, and because it is
live, an agent who spoke answers everything the customer said in it (the response clock
stops at the end of the call). Natural key: the file's hash and the turn's index.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from ingest.base import Conversation
from ingest.chat.config import TranscriptSourceConfig
from ingest.chat.folder import ExportConnector, ExportError, ExportFile, rejected
from ingest.chat.records import ChatRecord, Rejected, parse_iso
from ingest.chat.transcript_formats import Segment, Transcript, read_cues, read_json, read_plain
from ingest.crosschannel import thread_refs

_NAME_TIME = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})[ T_-]?(\d{2})[-:.h]?(\d{2})(?:[-:.]?(\d{2}))?"
    r"(Z|[+-]\d{2}:?\d{2})?(?!\d)")
_PHONE = re.compile(r"\+?\d[\d \-]{7,}\d")


def started_from_name(path: Path) -> str | None:
    """`2026-11-03 14-15`, `20261103T141500Z`, `call_2026-11-03_1415` in a file name."""
    match = _NAME_TIME.search(path.stem)
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"
    if offset:
        text += "+00:00" if offset == "Z" else offset
    return text


class TranscriptConnector(ExportConnector):
    channel = "call"
    suffixes = (".vtt", ".srt", ".json", ".txt")

    def __init__(self, name: str, config: TranscriptSourceConfig) -> None:
        super().__init__(name, config)

    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        data = export.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        transcript = _read(export, data)
        started_text = transcript.started_at or started_from_name(export.path)
        if started_text is None:
            raise ExportError(
                "no call start time: name the file with it (e.g. '2026-11-03 14-15 "
                "Pennine.vtt'), or state it in the file ('NOTE started 2026-11-03 14:15', "
                "'Date: 2026-11-03 14:15', or a `started_at` key)")
        try:
            started = parse_iso(started_text.replace(" ", "T", 1).replace(" ", ""), self.zone)
        except ValueError as exc:
            raise ExportError(f"call start time {started_text!r} is not a date: {exc}") from None
        key = f"call:{digest}"
        for problem in transcript.problems:
            yield rejected(key, problem.position, problem.reason, problem.raw)
        turns = _turns(transcript.segments)
        if not turns:
            return
        customers = sorted({t.speaker or "Unknown speaker" for t in turns
                            if not self._agent(t)})
        phones = _PHONE.findall(" ".join([export.path.stem, *transcript.header]))
        ends_at = started + timedelta(seconds=max(t.end for t in turns))
        conversation = Conversation(
            key=key,
            title=f"Call: {export.path.stem}",
            customer_ref=self.people.customer_for(export.path.stem, *phones, *customers),
            live=True,
            ends_at=ends_at,
            refs=tuple(sorted(set().union(*(thread_refs(t.text) for t in turns)))),
            reference_window_days=self.config.reference_window_days,
            recent_window_days=self.config.recent_window_days,
            session_gap_hours=self.config.session_gap_hours,
        )
        previous: str | None = None
        for index, turn in enumerate(turns):
            agent = self._agent(turn)
            speaker = turn.speaker or "Unknown speaker"
            message_id = f"{key}:{index}"
            yield ChatRecord(
                natural_key=message_id,
                position=turn.position,
                channel="call",
                sender=speaker,
                sender_name=speaker,
                sent_at=started + timedelta(seconds=turn.start),
                text=turn.text,
                message_id=message_id,
                conversation=conversation,
                recipients=customers if agent else [],
                previous=previous,
                direction="outbound" if agent else "inbound",
            )
            previous = message_id

    def _agent(self, turn: Segment) -> bool:
        return self.people.is_agent(turn.speaker, turn.channel)


def _read(export: ExportFile, data: bytes) -> Transcript:
    label = export.label
    suffix = export.path.suffix.lower()
    if suffix == ".json":
        try:
            return read_json(json.loads(data), label)
        except (ValueError, UnicodeDecodeError, TypeError, AttributeError) as exc:
            raise ExportError(f"not a transcript JSON: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raw_lines = data.split(b"\n")
    text = text.replace("\r\n", "\n")
    if suffix in (".vtt", ".srt") or text.lstrip().startswith("WEBVTT"):
        return read_cues(text, label, raw_lines)
    return read_plain(text, label, raw_lines)


def _turns(segments: list[Segment]) -> list[Segment]:
    """Consecutive segments of one speaker as one turn, in time order."""
    turns: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start):
        last = turns[-1] if turns else None
        if last is not None and (last.speaker, last.channel) == (seg.speaker, seg.channel):
            last.text = f"{last.text} {seg.text}".strip()
            last.end = max(last.end, seg.end)
            last.position = _span(last.position, seg.position)
        else:
            turns.append(Segment(seg.speaker, seg.start, seg.end, seg.text, seg.position,
                                 seg.channel))
    return turns


def _span(first: str, last: str) -> str:
    """"f.vtt lines 3-5" + "f.vtt lines 7-9" -> "f.vtt lines 3-9"."""
    head = re.match(r"^(.*) (?:line|lines) (\d+)(?:-\d+)?$", first)
    tail = re.match(r"^.* (?:line|lines) (?:\d+-)?(\d+)$", last)
    if head and tail:
        return f"{head.group(1)} lines {head.group(2)}-{tail.group(1)}"
    return first if first == last else f"{first} to {last.rsplit(' ', 1)[-1]}"


__all__ = ["TranscriptConnector", "started_from_name"]
