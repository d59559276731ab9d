"""Call transcripts: WebVTT, SRT, AWS Transcribe, Whisper-style and plain JSON, plain text;
speaker turns, agents, start times, bad cues."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ingest import run_source
from ingest.chat.config import TranscriptSourceConfig
from ingest.chat.transcripts import TranscriptConnector, started_from_name
from tests.factories import OWN
from tests.ingest.chatkit import drop, messages, quarantined, settle

AGENTS = ["Tom Becker", "Maria Lopez", "spk_1", "SPEAKER_00"]


def connector(path: Path) -> TranscriptConnector:
    return TranscriptConnector("calls", TranscriptSourceConfig(
        type="call_transcripts", path=path, agents=AGENTS, timezone="Europe/London"))


def turns(engine: Engine) -> list[tuple[str, str, str]]:
    return [(m.sender_name, m.direction, m.new_text) for m in messages(engine)]


# file, expected turns (speaker, direction, text start), first turn's UTC time
CASES = [
    ("transcripts/2026-11-03 14-15 Pennine Plant Hire.vtt", [
        ("Tom Becker", "outbound", "Hello, is that Sarah? It's Tom Becker from Halden"),
        ("Sarah Hargreaves", "inbound", "Hi Tom, yes, thanks for calling back. As I said"),
        ("Tom Becker", "outbound", "You're right, I've checked"),
        ("Sarah Hargreaves", "inbound", "Brilliant, that's sorted then."),
    ], datetime(2026, 11, 3, 14, 15, 1, 200000, tzinfo=UTC)),
    ("transcripts/2026-11-10 1030 Summit Ridge.srt", [
        ("Tom Becker", "outbound", "Good morning Greg, Tom from Halden."),
        ("Greg Lindqvist", "inbound", "Morning Tom. Yes, sorry, it got stuck in approvals while "
                                      "Nancy was out. It's approved now. We will pay"),
        ("Tom Becker", "outbound", "Thank you Greg, I'll note the 27th."),
    ], datetime(2026, 11, 10, 10, 30, 0, 500000, tzinfo=UTC)),
    ("transcripts/call-20261104T161000Z-northgate.json", [
        ("spk_0", "inbound", "Northgate accounts payable, Kevin."),
        ("spk_1", "outbound", "Hi Kevin, it's Tom Halden."),
        ("spk_0", "inbound", "We are not paying INV-10035 until the credit note arrives."),
        ("spk_1", "outbound", "Understood, I've raised it today."),
    ], datetime(2026, 11, 4, 16, 10, 0, 400000, tzinfo=UTC)),
    ("transcripts/2026-11-16 15-00 Sharma whisper.json", [
        ("SPEAKER_00", "outbound", "Hello Rajesh, Maria from Halden about INV-10054."),
        ("SPEAKER_01", "inbound", "We never received that invoice, please send it again."),
        ("SPEAKER_00", "outbound", "Of course, I will send it again this afternoon."),
    ], datetime(2026, 11, 16, 15, 0, tzinfo=UTC)),
    ("transcripts/brightline-callback.json", [
        ("Maria Lopez", "outbound", "Hi Dana, it's Maria returning your call"),
        ("Dana Whitfield", "inbound", "Thanks Maria. Could you email the W-9"),
        ("Maria Lopez", "outbound", "Of course, both will be with you"),
    ], datetime(2026, 11, 9, 20, 30, 1, tzinfo=UTC)),  # started_at 15:30 -05:00
    ("transcripts/2026-11-18 11-20 Coastal Fabrication.txt", [
        ("Maria Lopez", "outbound", "Hi Rick, it's Maria from Halden."),
        ("Rick Alvarez", "inbound", "Good. The second one, $4,300, is still on for 11 December. "
                                    "We might even manage it a few days early."),
        ("Maria Lopez", "outbound", "Perfect, I'll keep an eye out for it."),
        ("Rick Alvarez", "inbound", "Talk soon."),
    ], datetime(2026, 11, 18, 11, 20, 2, tzinfo=UTC)),
]


@pytest.mark.parametrize(("name", "expected", "first_at"), CASES,
                         ids=[c[0].rsplit("/", 1)[-1] for c in CASES])
def test_formats_to_speaker_turns(engine: Engine, tmp_path: Path, name: str,
                                  expected: list[tuple[str, str, str]], first_at: datetime) -> None:
    drop(tmp_path / "in", name)
    run_source(engine, connector(tmp_path / "in"), OWN)
    got = turns(engine)
    assert [(s, d) for s, d, _ in got] == [(s, d) for s, d, _ in expected]
    for (_, _, text), (_, _, start) in zip(got, expected, strict=True):
        assert text.startswith(start), (text, start)
    stored = messages(engine)
    assert stored[0].sent_at == first_at
    assert {m.channel for m in stored} == {"call"}
    assert len({m.thread_id for m in stored}) == 1  # a call is one thread
    assert [m.natural_key.rsplit(":", 1)[1] for m in stored] == [
        str(i) for i in range(len(stored))]
    assert run_source(engine, connector(tmp_path / "in"), OWN).seen == 0


def test_bad_cue_and_bad_segment_are_held_with_their_position(engine: Engine,
                                                             tmp_path: Path) -> None:
    drop(tmp_path / "in", "transcripts/2026-11-10 1030 Summit Ridge.srt",
         "transcripts/2026-11-16 15-00 Sharma whisper.json")
    run_source(engine, connector(tmp_path / "in"), OWN)
    held = {q.reason: bytes(q.raw) for q in quarantined(engine)}
    assert held == {
        "2026-11-10 1030 Summit Ridge.srt lines 13-15: a cue without a readable "
        "'00:00:01.000 --> 00:00:04.000' timing line":
            b"4\n00:00:18,000 --> 00:00:xx,000\nTom Becker: this cue's timing line is damaged",
        "2026-11-16 15-00 Sharma whisper.json segments[4]: unreadable segment: could not "
        "convert string to float: 'oops'":
            b'{"id": 4, "seek": 0, "start": "oops", "end": 9.0, "text": " garbled", '
            b'"speaker": "SPEAKER_00"}',
    }


def test_a_call_without_a_start_time_is_held_whole(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    call = folder / "pennine-call.vtt"
    call.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Sarah>Hello\n")
    settle(call)
    assert run_source(engine, connector(folder), OWN).quarantined == 1
    [held] = quarantined(engine)
    assert held.reason.startswith("pennine-call.vtt: no call start time: name the file with it")


def test_start_time_in_a_note_and_voice_spans(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    call = folder / "teams-meeting.vtt"
    call.write_text(
        "WEBVTT\n\nNOTE started 2026-11-12 16:00 +01:00\n\n"
        "a1b2/7-0\n00:00:03.000 --> 00:00:06.000\n<v Tom Becker>Hi Jonas.</v> "
        "<v Jonas Hoffmann>Guten Tag, INV-10041 ist bezahlt.</v>\n", encoding="utf-8")
    settle(call)
    run_source(engine, connector(folder), OWN)
    assert turns(engine) == [("Tom Becker", "outbound", "Hi Jonas."),
                             ("Jonas Hoffmann", "inbound", "Guten Tag, INV-10041 ist bezahlt.")]
    assert messages(engine)[0].sent_at == datetime(2026, 11, 12, 15, 0, 3, tzinfo=UTC)


@pytest.mark.parametrize(("name", "started"), [
    ("2026-11-03 14-15 Pennine Plant Hire.vtt", "2026-11-03T14:15:00"),
    ("call-20261104T161000Z-northgate.json", "2026-11-04T16:10:00+00:00"),
    ("rec_20261104_0930_+441134960735.srt", "2026-11-04T09:30:00"),
    ("no date here.vtt", None),
])
def test_start_time_from_file_name(name: str, started: str | None) -> None:
    assert started_from_name(Path(name)) == started
