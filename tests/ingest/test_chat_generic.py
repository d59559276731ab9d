"""The generic JSONL/CSV import: column mapping, times, direction, bad rows, appends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from ingest import run_source
from ingest.chat.config import ChatImportColumns, ChatImportSourceConfig
from ingest.chat.generic import ChatImportConnector
from tests.factories import OWN
from tests.ingest.chatkit import drop, messages, quarantined, settle

SMS = ChatImportColumns(id="message_id", conversation="thread", sent_at="timestamp",
                        sender="from_number", sender_name="from_name", text="body",
                        direction="dir")
PORTAL = ChatImportColumns(id="id", conversation="chat", sent_at="at", sender="author.id",
                           sender_name="author.name", text="message", direction="role")


def connector(path: Path, columns: ChatImportColumns, **kw: object) -> ChatImportConnector:
    return ChatImportConnector("import", ChatImportSourceConfig(
        type="chat_import", path=path, timezone="Europe/London", columns=columns, **kw))  # type: ignore[arg-type]


def test_csv_with_mapped_columns_and_bad_rows(engine: Engine, tmp_path: Path) -> None:
    drop(tmp_path / "in", "generic/sms-log.csv")
    report = run_source(engine, connector(tmp_path / "in", SMS, channel="sms"), OWN)
    assert (report.stored, report.quarantined) == (3, 2)
    stored = messages(engine)
    assert [(m.sender_name, m.direction, m.channel) for m in stored] == [
        ("Priya Nair", "outbound", "sms"), ("Lucia Reyes", "inbound", "sms"),
        ("Lucia Reyes", "inbound", "sms")]
    assert stored[0].sent_at == datetime(2026, 11, 18, 16, 5, tzinfo=UTC)
    assert stored[2].body_text == "also, the amount on\nthe statement is wrong"
    assert stored[2].raw_ref.endswith("sms-log.csv line 4")
    assert stored[0].natural_key == "import:Vasquez & Reyes SMS:sms-881"
    held = {q.reason for q in quarantined(engine)}
    assert held == {
        "sms-log.csv line 6: `timestamp`: time 'yesterday' is not ISO 8601 or epoch seconds "
        "(set `date_format`)",
        "sms-log.csv line 7: 5 columns where the header has 7",
    }


def test_jsonl_nested_keys_epoch_times_and_appends(engine: Engine, tmp_path: Path) -> None:
    [log] = drop(tmp_path / "in", "generic/portal-chat.jsonl")
    report = run_source(engine, connector(tmp_path / "in", PORTAL), OWN)
    assert (report.stored, report.quarantined) == (3, 2)
    stored = messages(engine)
    assert [(m.sender, m.direction) for m in stored] == [
        ("nancy.cho@summitridge-mfg.example", "inbound"),
        ("tom.becker@halden-supply.example", "outbound"),
        ("nancy.cho@summitridge-mfg.example", "inbound")]
    assert stored[0].sent_at == datetime(2026, 11, 11, 20, 14, tzinfo=UTC)
    assert stored[2].sent_at == datetime(2026, 11, 12, 9, 30, tzinfo=UTC)  # epoch seconds
    assert {q.reason for q in quarantined(engine)} == {
        "portal-chat.jsonl line 4: not a JSON object: Expecting value: line 1 column 1 (char 0)",
        "portal-chat.jsonl line 5: no `at` value",
    }
    # The portal appends to its log: only the new line is read.
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "pc-6", "chat": "portal-C008",
                                 "at": "2026-11-23T13:00:00Z",
                                 "author": {"id": "tom.becker@halden-supply.example"},
                                 "message": "You're welcome.", "role": "agent"}) + "\n")
    settle(log)
    again = run_source(engine, connector(tmp_path / "in", PORTAL), OWN)
    assert (again.seen, again.stored, again.quarantined) == (1, 1, 0)
    assert run_source(engine, connector(tmp_path / "in", PORTAL), OWN).seen == 0


def test_a_row_with_an_edit_time_revises_its_message(engine: Engine, tmp_path: Path) -> None:
    columns = PORTAL.model_copy(update={"edited_at": "edited"})
    [log] = drop(tmp_path / "in", "generic/portal-chat.jsonl")
    run_source(engine, connector(tmp_path / "in", columns), OWN)
    # The portal logs an edit as the message again, with its id and the edit time.
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "pc-3", "chat": "portal-C008", "at": 1794475800,
                                 "edited": "2026-11-12T09:41:00Z",
                                 "author": {"id": "nancy.cho@summitridge-mfg.example"},
                                 "message": "Got it, thanks. Paying it on Friday.",
                                 "role": "customer"}) + "\n")
        handle.write(json.dumps({"id": "pc-7", "chat": "portal-C008", "at": 1794475900,
                                 "edited": "soon", "author": {"id": "x@y.example"},
                                 "message": "?", "role": "customer"}) + "\n")
    settle(log)
    report = run_source(engine, connector(tmp_path / "in", columns), OWN)
    assert (report.stored, report.revised, report.quarantined) == (0, 1, 1)
    assert [m.new_text for m in messages(engine)][-1] == "Got it, thanks. Paying it on Friday."
    assert len(messages(engine)) == 3
    assert any(q.reason.startswith("portal-chat.jsonl line 7: `edited`: time 'soon'")
               for q in quarantined(engine))
