"""Microsoft Teams messages as Graph exports them: HTML bodies, replies, quotes, system
events, deleted messages, bad objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from ingest import run_source
from ingest.chat.config import TeamsExportSourceConfig
from ingest.chat.teams import TeamsExportConnector
from tests.factories import OWN
from tests.ingest.chatkit import by_text, drop, messages, quarantined, revisions, settle


def connector(path: Path) -> TeamsExportConnector:
    return TeamsExportConnector("teams", TeamsExportSourceConfig(
        type="teams_export", path=path, timezone="Europe/London",
        own_tenant_ids=["5f1a-halden-tenant"]))


def test_chat_page_html_quotes_events_and_deletions(engine: Engine, tmp_path: Path) -> None:
    drop(tmp_path / "in", "teams/northgate-ar-chat.json")
    report = run_source(engine, connector(tmp_path / "in"), OWN)
    # 5 objects: a system event and a deleted message are not messages; one has a bad date.
    assert (report.stored, report.quarantined) == (2, 1)
    dispute, answer = messages(engine)
    assert dispute.sender_name == "Kevin Osei" and dispute.direction == "inbound"
    assert dispute.sent_at == datetime(2026, 11, 4, 10, 25, tzinfo=UTC)
    assert dispute.new_text == ("Hi Tom,\n\nLegal have asked me to put it in writing: we "
                                "dispute INV-10035 until the 12 missing drums are credited.")
    assert dispute.natural_key == "teams:19:d1f0c3a2e7b84c4f9b2a@thread.v2:1793790300000"
    assert answer.direction == "outbound"  # our tenant
    assert answer.sent_at == datetime(2026, 11, 4, 10, 50, 0, 123000, tzinfo=UTC)
    # The quoted message stays out of the new text; entities are decoded.
    assert answer.new_text == ("Understood Kevin & thanks. I've raised credit note CN-2231 for "
                               "the 12 drums; it will be on your statement tomorrow.")
    assert "we dispute INV-10035" in answer.body_text
    assert answer.attachments == [{"filename": "CN-2231.pdf", "content_type": "reference",
                                   "size": 0}]
    assert answer.thread_id == dispute.thread_id
    [held] = quarantined(engine)
    assert held.reason == ("northgate-ar-chat.json value[4]: no readable `createdDateTime` "
                           "(Invalid isoformat string: 'not a date')")
    assert b"we'll release payment once CN-2231 arrives" in bytes(held.raw)


def test_channel_message_with_nested_replies(engine: Engine, tmp_path: Path) -> None:
    drop(tmp_path / "in", "teams/ar-channel-replies.json")
    run_source(engine, connector(tmp_path / "in"), OWN)
    root = by_text(engine, "we can pay USD 14,225.00")
    reply = by_text(engine, "noted for the 27th")
    assert root.new_text == ("Greg here from Summit Ridge \N{EN DASH} we can pay USD 14,225.00 "
                             "for INV-10061 on 27 November.")
    assert reply.in_reply_to == root.header_message_id == (
        "teams:19:summit-ar@thread.tacv2:1794045600000")
    assert reply.thread_id == root.thread_id and reply.direction == "outbound"
    assert run_source(engine, connector(tmp_path / "in"), OWN).seen == 0


def test_a_file_that_is_not_json_is_held_whole(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "chat.json"
    bad.write_bytes(b'{"value": [{"id": "1", "body": ')
    drop(folder)  # nothing to copy; settle below
    from tests.ingest.chatkit import settle

    settle(bad)
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.quarantined) == (0, 1)
    [held] = quarantined(engine)
    assert held.reason.startswith("chat.json: not valid JSON: Expecting value: line 1 column 32")
    assert bytes(held.raw) == b'{"value": [{"id": "1", "body": '


def test_edited_message_in_a_later_export(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    [first] = drop(folder, "teams/ar-channel-replies.json")
    run_source(engine, connector(folder), OWN)
    pages = json.loads(first.read_text())
    pages[0]["body"]["content"] = (
        "<div>Greg here from Summit Ridge &ndash; we can pay USD 14,225.00 for INV-10061 on "
        "30 November, not the 27th.</div>")
    pages[0]["lastEditedDateTime"] = "2026-11-07T11:02:00Z"
    (folder / "ar-channel-replies-later.json").write_text(json.dumps(pages))
    settle(folder)
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.revised, report.skipped_known) == (0, 1, 1)
    root = by_text(engine, "on 30 November, not the 27th")
    assert root.edited_at == datetime(2026, 11, 7, 11, 2, tzinfo=UTC)
    assert [r.new_text for r in revisions(engine)] == [
        "Greg here from Summit Ridge \N{EN DASH} we can pay USD 14,225.00 for INV-10061 on "
        "27 November."]
    # A bad edit time is the message's problem, named, not the file's.
    pages[0]["lastEditedDateTime"] = "yesterday"
    (folder / "ar-channel-replies-bad.json").write_text(json.dumps(pages))
    settle(folder)
    assert run_source(engine, connector(folder), OWN).quarantined == 1
    assert "value[0]: no readable `lastEditedDateTime`" in quarantined(engine)[0].reason
