"""Transcript file formats to timed speaker segments: WebVTT, SRT, speech-to-text JSON (AWS
Transcribe, Whisper-style segments, a plain list of {speaker, start, end, text}) and plain
text with speaker labels. Each reader returns the segments, the pieces it could not read
(with their position) and the call's start time when the file states it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Segment:
    speaker: str | None
    start: float
    end: float
    text: str
    position: str
    channel: str | None = None


@dataclass
class Problem:
    position: str
    reason: str
    raw: bytes


@dataclass
class Transcript:
    segments: list[Segment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    started_at: str | None = None
    header: list[str] = field(default_factory=list)  # title lines before the first turn


_CLOCK = r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?"
TIMING = re.compile(rf"^\s*{_CLOCK}\s+-->\s+{_CLOCK}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>", re.I)
_PREFIX = re.compile(r"^\s*(?:-\s*)?(?:\[([^\]\n]{1,48})\]:?|([^\s:\[\]][^:\n]{0,46}?)):\s*(.*)$",
                     re.S)
_BRACKET = re.compile(r"^\s*\[([^\]\n]{1,48})\]\s+(.*)$", re.S)
_STARTED = re.compile(
    r"^(?:NOTE\s+)?(?:call\s+)?(?:started(?:_at)?|start(?:ed)?\s+at|date|recorded|call date)"
    r"\s*[:=]?\s*(\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)",
    re.I)
_PLAIN_TIME = re.compile(
    r"^\s*[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?\s+(.*)$", re.S)


def seconds(value: Any) -> float:
    """Seconds from 12.5, "12.5", "00:01:02.500", "01:02,5"; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(",", ".")
    if ":" not in text:
        return float(text)
    parts = text.split(":")
    if len(parts) > 3 or not all(parts):
        raise ValueError(f"not a time offset: {value!r}")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _clock(groups: tuple[str | None, ...]) -> float:
    hours, minutes, secs, millis = groups
    if int(minutes or 0) > 59 or int(secs or 0) > 59:
        raise ValueError("minutes or seconds above 59")
    return (int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
            + int((millis or "0").ljust(3, "0")) / 1000)


def split_speaker(text: str) -> tuple[str | None, str]:
    """("Tom Becker", "Good morning") from "Tom Becker: Good morning" or "[Tom] Good…"."""
    match = _PREFIX.match(text)
    if match and (match.group(1) or match.group(2)):
        name = (match.group(1) or match.group(2)).strip()
        # "Note: …" or a sentence with a colon is not a speaker: a name has few words.
        if len(name.split()) <= 4 and not name.endswith((".", "?", "!")):
            return name, match.group(3).strip()
    bracket = _BRACKET.match(text)
    if bracket:
        return bracket.group(1).strip(), bracket.group(2).strip()
    return None, text.strip()


def _cue_segments(lines: list[str], start: float, end: float, position: str) -> list[Segment]:
    text = "\n".join(lines)
    voices = _VOICE.findall(text)
    if voices:
        return [
            Segment(name.strip(), start, end, _plain(body), position)
            for name, body in voices if _plain(body)
        ]
    segments: list[Segment] = []
    speaker: str | None = None
    for line in lines:
        who, said = split_speaker(_plain(line))
        if who is not None or not segments:
            speaker = who if who is not None else speaker
            segments.append(Segment(speaker, start, end, said, position))
        else:
            segments[-1].text = f"{segments[-1].text} {said}".strip()
    return [s for s in segments if s.text]


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def read_cues(text: str, label: str, raw_lines: list[bytes]) -> Transcript:
    """WebVTT or SRT: blocks separated by blank lines, each with a timing line."""
    out = Transcript()
    lines = text.split("\n")
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip("\r"))
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    for first, block in blocks:
        last = first + len(block) - 1
        position = f"{label} line {first}" if last == first else f"{label} lines {first}-{last}"
        head = block[0].strip()
        if head.startswith("WEBVTT") or head.startswith(("STYLE", "REGION")):
            continue
        if head.startswith("NOTE"):
            found = _STARTED.match(" ".join(b.strip() for b in block))
            if found:
                out.started_at = found.group(1)
            continue
        timing_at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        timing = TIMING.match(block[timing_at]) if timing_at is not None else None
        raw = b"\n".join(raw_lines[first - 1 : last])
        if timing is None:
            out.problems.append(Problem(position, "a cue without a readable "
                                        "'00:00:01.000 --> 00:00:04.000' timing line", raw))
            continue
        try:
            start, end = _clock(timing.groups()[:4]), _clock(timing.groups()[4:8])
        except ValueError as exc:
            out.problems.append(Problem(position, f"bad cue timing: {exc}", raw))
            continue
        assert timing_at is not None
        out.segments.extend(_cue_segments(block[timing_at + 1 :], start, end, position))
    return out


def read_plain(text: str, label: str, raw_lines: list[bytes]) -> Transcript:
    """Plain text: "Speaker: words" lines, optionally after a [00:01:02] time; a line without
    a speaker continues the turn above (before the first turn it is a title line);
    `Date: 2026-11-03 14:15` states the start."""
    out = Transcript()
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped:
            continue
        started = _STARTED.match(stripped)
        if started:
            out.started_at = started.group(1)
            continue
        offset = out.segments[-1].end if out.segments else 0.0
        timed = _PLAIN_TIME.match(stripped)
        if timed:
            try:
                offset = seconds(timed.group(1))
            except ValueError:
                out.problems.append(Problem(f"{label} line {number}", "unreadable time",
                                            raw_lines[number - 1]))
                continue
            stripped = timed.group(2)
        speaker, said = split_speaker(stripped)
        if speaker is None:
            if not out.segments:
                out.header.append(stripped)  # a title line ("Call with …, +1 312 …")
            else:
                out.segments[-1].text = f"{out.segments[-1].text} {said}".strip()
            continue
        out.segments.append(Segment(speaker, offset, offset, said, f"{label} line {number}"))
    return out


def read_json(doc: Any, label: str) -> Transcript:
    """AWS Transcribe output, Whisper-style `segments`, or a list of speaker segments."""
    out = Transcript()
    if isinstance(doc, dict):
        for key in ("started_at", "start_time", "recorded_at", "call_started"):
            if isinstance(doc.get(key), str):
                out.started_at = doc[key]
        if isinstance(doc.get("results"), dict):
            _aws(doc["results"], label, out)
            return out
        items = doc.get("segments") or doc.get("turns") or doc.get("utterances")
    else:
        items = doc
    if not isinstance(items, list):
        raise ValueError("expected AWS Transcribe `results`, Whisper-style `segments`, or a "
                         "list of {speaker, start, end, text}")
    for index, entry in enumerate(items):
        position = f"{label} segments[{index}]"
        try:
            if not isinstance(entry, dict):
                raise ValueError("not an object")
            text = str(entry.get("text", entry.get("transcript", ""))).strip()
            start = seconds(entry.get("start", entry.get("start_time")))
            end = seconds(entry.get("end", entry.get("end_time", start)))
        except (ValueError, TypeError) as exc:
            import json

            out.problems.append(Problem(position, f"unreadable segment: {exc}",
                                        json.dumps(entry, ensure_ascii=False).encode()))
            continue
        speaker = entry.get("speaker") or entry.get("speaker_label") or entry.get("speaker_name")
        if text:
            out.segments.append(Segment(str(speaker) if speaker else None, start, end, text,
                                        position, entry.get("channel")))
    return out


def _aws(results: dict[str, Any], label: str, out: Transcript) -> None:
    segments = results.get("audio_segments")
    if isinstance(segments, list) and segments:
        for index, seg in enumerate(segments):
            out.segments.append(Segment(
                seg.get("speaker_label"), seconds(seg.get("start_time", 0)),
                seconds(seg.get("end_time", 0)), str(seg.get("transcript", "")).strip(),
                f"{label} audio_segments[{index}]", seg.get("channel_label")))
        return
    items = [i for i in results.get("items") or [] if isinstance(i, dict)]
    speakers: dict[str, str] = {}
    for seg in (results.get("speaker_labels") or {}).get("segments") or []:
        for item in seg.get("items") or []:
            speakers[str(item.get("start_time"))] = item.get("speaker_label") or seg.get(
                "speaker_label")
    channels: dict[str, str] = {}
    for channel in (results.get("channel_labels") or {}).get("channels") or []:
        for item in channel.get("items") or []:
            channels[str(item.get("start_time"))] = channel.get("channel_label")
            if item.get("type") == "pronunciation" and item not in items:
                items.append(item)
    if not items:
        text = " ".join(t.get("transcript", "") for t in results.get("transcripts") or [])
        if text.strip():
            out.segments.append(Segment(None, 0.0, 0.0, text.strip(), f"{label} transcripts"))
        return
    timed = [i for i in items if i.get("start_time") is not None]
    timed.sort(key=lambda i: float(i["start_time"]))
    ordered = timed if len(timed) == len(items) else items
    for index, item in enumerate(ordered):
        word = str(((item.get("alternatives") or [{}])[0]).get("content", ""))
        if item.get("type") == "punctuation":
            if out.segments:
                out.segments[-1].text += word
            continue
        key = str(item.get("start_time"))
        speaker = item.get("speaker_label") or speakers.get(key)
        channel = item.get("channel_label") or channels.get(key)
        start = seconds(item.get("start_time", 0))
        end = seconds(item.get("end_time", start))
        last = out.segments[-1] if out.segments else None
        if last is not None and (last.speaker, last.channel) == (speaker, channel):
            last.text += " " + word
            last.end = end
        else:
            out.segments.append(Segment(speaker, start, end, word, f"{label} items[{index}]",
                                        channel))
