"""Slack exports, unpacked and zipped: people, channels, threads, edits, deletions, bots,
files, rich text, direction, bad messages and overlapping re-exports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ingest import run_source
from ingest.chat.config import SlackExportSourceConfig
from ingest.chat.slack_export import SlackExportConnector
from tests.factories import OWN
from tests.ingest.chatkit import (
    FIXTURES,
    add_customers,
    by_text,
    messages,
    quarantined,
    settle,
    zip_folder,
)


def connector(path: Path, **kw: object) -> SlackExportConnector:
    return SlackExportConnector("slack", SlackExportSourceConfig(
        type="slack_export", path=path, timezone="Europe/London", **kw))  # type: ignore[arg-type]


@pytest.fixture(params=["folder", "zip"])
def export(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The same export unpacked in the watched folder, or as the ZIP Slack hands out (its
    files one folder down, as when someone zips the unpacked folder)."""
    watched = tmp_path / "exports"
    watched.mkdir()
    if request.param == "folder":
        shutil.copytree(FIXTURES / "slack", watched / "halden-slack-2026-11-05")
    else:
        zip_folder(FIXTURES / "slack", watched / "Halden Slack export Nov 3 2026 - Nov 5 2026.zip",
                   prefix="Halden Slack export/")
    settle(watched)
    return watched


def test_messages_people_threads_and_direction(engine: Engine, export: Path) -> None:
    add_customers(engine, {"external_id": "C002", "name": "Northgate Electrical Distributors",
                           "domains": ["northgate-elec.example", "ngdist.example"]})
    report = run_source(engine, connector(export), OWN)
    # 10 entries in the shared channel: a join and a tombstone are events; one has no ts.
    assert (report.stored, report.quarantined) == (9, 1)
    stored = messages(engine)
    first = by_text(engine, "still short by 12 cable drums")
    assert first.sent_at == datetime(2026, 11, 3, 9, 15, 0, 200, tzinfo=UTC)
    assert first.sender == "kevin.osei@northgate-elec.example"
    assert first.sender_name == "Kevin Osei" and first.direction == "inbound"
    assert first.new_text.startswith("Morning @Tom Becker - INV-10035")  # mention by name
    assert first.natural_key == "slack:C05NGAR01:1793697300.000200"
    assert first.customer_match == "domain"
    reply = by_text(engine, "checking the proof of delivery")
    assert reply.direction == "outbound" and reply.sender == "tom.becker@halden-supply.example"
    assert reply.in_reply_to == first.header_message_id and reply.thread_id == first.thread_id
    edited = by_text(engine, "12 drums crossed out")  # the edited text, as exported
    assert edited.attachments == [{"filename": "DN-448120-signed.pdf",
                                   "content_type": "application/pdf", "size": 184233}]
    bot = by_text(engine, "reissued with PO 8120-B")
    assert bot.automatic == "bot" and bot.sender_name == "Halden Invoices"
    assert not any("was deleted" in m.body_text or "has joined" in m.body_text for m in stored)
    # A channel of our own people only is internal: no customer clock runs on it.
    internal = [m for m in stored if m.subject == "Slack #halden-ar-internal"]
    assert [m.direction for m in internal] == ["internal", "internal"]
    # Rich text: the quote is part of the text, not of the new text; lists and links read.
    answer = by_text(engine, "Payment plan for the rest")
    assert answer.body_text.startswith("> is the remittance for INV-10027 showing")
    assert answer.new_text == ("Aisha, yes - we received USD 6,212.40 against INV-10027. "
                               "Payment plan for the rest:\n- credit note for the 12 drums on "
                               "INV-10035\n- payment portal")
    promise = by_text(engine, "we'll pay the balance")
    assert promise.new_text.endswith("by Friday \N{THUMBS UP SIGN}")
    # Next morning's messages name the invoices of yesterday's thread: they join it.
    assert promise.thread_id == first.thread_id == answer.thread_id


def test_bad_message_is_quarantined_with_its_file(engine: Engine, export: Path) -> None:
    run_source(engine, connector(export), OWN)
    [held] = quarantined(engine)
    assert held.reason.endswith("ext-northgate-ar/2026-11-03.json message ts=None: no valid "
                                "`ts` ('')")
    assert json.loads(bytes(held.raw))["text"] == "this one lost its timestamp in the export"


def test_channel_filter_and_customer_mapping(engine: Engine, export: Path) -> None:
    add_customers(engine, {"external_id": "C002", "name": "Northgate Electrical Distributors"})
    run_source(engine, connector(export, channels=["#ext-northgate-ar"],
                                 customers={"ext-northgate-ar": "C002"}), OWN)
    stored = messages(engine)
    assert {m.subject for m in stored} == {"Slack #ext-northgate-ar"}
    assert {m.customer_match for m in stored} == {"config"}


def test_reingest_and_overlapping_export_add_nothing(engine: Engine, tmp_path: Path) -> None:
    watched = tmp_path / "exports"
    watched.mkdir()
    zip_folder(FIXTURES / "slack", watched / "export-1.zip")
    settle(watched)
    assert run_source(engine, connector(watched), OWN).stored == 9
    assert run_source(engine, connector(watched), OWN).seen == 0
    # The next export covers 3-5 November again plus one new day.
    later = tmp_path / "later"
    shutil.copytree(FIXTURES / "slack", later)
    (later / "ext-northgate-ar" / "2026-11-05.json").write_text(json.dumps([
        {"type": "message", "ts": "1793869200.000100", "user": "U07KO5S1E",
         "text": "Credit note CN-2231 received, payment of INV-10035 released."}]))
    zip_folder(later, watched / "export-2.zip")
    settle(watched)
    report = run_source(engine, connector(watched), OWN)
    # The 9 known messages and the known bad one are recognised by key before any parsing.
    assert (report.stored, report.skipped_known, report.quarantined) == (1, 10, 0)
    assert len(messages(engine)) == 10 and len(quarantined(engine)) == 1
