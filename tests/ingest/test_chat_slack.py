"""Slack exports, unpacked and zipped: people, channels, threads, edits, deletions, bots,
files, rich text, direction, bad messages and overlapping re-exports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import PromiseRecord, Signal, session_scope
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
    revisions,
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


def _export_with(folder: Path, target: Path, changes: dict[str, dict[str, object] | None]) -> None:
    """The fixture export zipped to `target`, with messages of 3 November changed by ts
    (None: the key `edited` removed, as before any edit)."""
    shutil.copytree(FIXTURES / "slack", folder)
    day = folder / "ext-northgate-ar" / "2026-11-03.json"
    rows = json.loads(day.read_text())
    for row in rows:
        change = changes.get(row.get("ts", ""), {})
        if change is None:
            row.pop("edited", None)
        else:
            row.update(change)
    day.write_text(json.dumps(rows))
    zip_folder(folder, target)


def test_edit_in_a_later_export_updates_the_text_and_keeps_the_earlier_one(
    engine: Engine, tmp_path: Path
) -> None:
    watched = tmp_path / "exports"
    watched.mkdir()
    question = "1793705000.000700"  # "quick one - is the remittance for INV-10027 showing…"
    _export_with(tmp_path / "e1", watched / "export-1.zip", {})
    settle(watched)
    assert run_source(engine, connector(watched), OWN).stored == 9
    before = by_text(engine, "quick one - is the remittance")
    assert before.edited_at is None
    # The customer edited the question into a promise; the next export has the edit.
    _export_with(tmp_path / "e2", watched / "export-2.zip", {question: {
        "text": "we'll pay INV-10027 in full on Friday",
        "edited": {"user": "U07PAY9NG", "ts": "1793707000.000000"}}})
    settle(watched)
    report = run_source(engine, connector(watched), OWN)
    assert (report.stored, report.revised, report.duplicates) == (0, 1, 0)
    assert report.as_counts()["edited"] == 1
    after = by_text(engine, "we'll pay INV-10027 in full on Friday")
    assert after.id == before.id and len(messages(engine)) == 9
    assert after.new_text == "we'll pay INV-10027 in full on Friday"
    assert after.edited_at == datetime(2026, 11, 3, 11, 56, 40, tzinfo=UTC)
    assert after.tagged_version is None  # tagged again by the next tagging run
    assert [(r.new_text, r.edited_at) for r in revisions(engine)] == [
        ("quick one - is the remittance for INV-10027 showing on your side?", None)]
    # The same edit again adds nothing; the same export is not even read again.
    assert run_source(engine, connector(watched), OWN).seen == 0


def test_older_export_read_after_a_newer_one_leaves_the_newest_text(
    engine: Engine, tmp_path: Path
) -> None:
    watched = tmp_path / "exports"
    watched.mkdir()
    drums = "1793702700.000400"  # edited at 1793702760 in the fixture
    _export_with(tmp_path / "new", watched / "newer.zip", {drums: {
        "text": "Here's the signed delivery note, 12 drums crossed out by your driver.",
        "edited": {"user": "U07KO5S1E", "ts": "1793706000.000000"}}})
    settle(watched)
    run_source(engine, connector(watched), OWN)
    # An export made before both edits turns up later, then one made between them.
    _export_with(tmp_path / "old", watched / "older.zip", {drums: None})
    _export_with(tmp_path / "mid", watched / "middle.zip", {})
    settle(watched)
    report = run_source(engine, connector(watched), OWN)
    assert (report.stored, report.revised) == (0, 0)
    current = by_text(engine, "12 drums crossed out")
    assert current.new_text == (
        "Here's the signed delivery note, 12 drums crossed out by your driver.")
    assert current.edited_at == datetime(2026, 11, 3, 11, 40, tzinfo=UTC)
    # The earlier words are one revision, however many exports carried them.
    assert [r.new_text for r in revisions(engine)] == [
        "Here's the delivery note we signed, 12 drums crossed out."]


def test_an_edited_promise_is_tagged_again_and_its_ledger_row_follows(
    engine: Engine, tmp_path: Path
) -> None:
    from monitor.promises import update_ledger
    from nlp import Tagger
    from nlp.jobs import tag_pending

    tagger = Tagger()
    watched = tmp_path / "exports"
    watched.mkdir()
    question = "1793705000.000700"  # sent Tuesday 3 November 2026
    edits = [("we'll pay INV-10027 in full on Friday", "1793707000.000000"),
             ("we'll pay INV-10027 in full on Monday, sorry", "1793708000.000000")]
    for n, (text, ts) in enumerate(edits):
        _export_with(tmp_path / f"e{n}", watched / f"export-{n}.zip", {question: {
            "text": text, "edited": {"user": "U07PAY9NG", "ts": ts}}})
        settle(watched)
        run_source(engine, connector(watched), OWN)
        tag_pending(engine, tagger)
        with session_scope(engine) as session:
            update_ledger(session, datetime(2026, 11, 4, tzinfo=UTC))
    edited = by_text(engine, "in full on Monday")
    with Session(engine) as session:
        promises = list(session.scalars(
            select(PromiseRecord).where(PromiseRecord.message_id == edited.id)))
        signals = list(session.scalars(select(Signal).where(
            Signal.tag == "promise_to_pay", Signal.message_id == edited.id)))
    # One message, one signal, one promise: due on the Monday the last edit names.
    assert len(signals) == 1 and signals[0].evidence_text in edits[1][0]
    assert [(p.due_on, p.status) for p in promises] == [(date(2026, 11, 9), "open")]


def test_an_edit_time_first_seen_on_the_same_words_is_recorded_without_a_revision(
    engine: Engine, tmp_path: Path
) -> None:
    """A store that read a message before edit times were kept, or an edit back to the same
    words: the edit time is recorded, the text and its tags are left as they are."""
    watched = tmp_path / "exports"
    watched.mkdir()
    drums = "1793702700.000400"  # edited at 1793702760 in the fixture
    _export_with(tmp_path / "old", watched / "older.zip", {drums: None})
    settle(watched)
    run_source(engine, connector(watched), OWN)
    assert by_text(engine, "12 drums crossed out").edited_at is None
    _export_with(tmp_path / "new", watched / "newer.zip", {})
    settle(watched)
    report = run_source(engine, connector(watched), OWN)
    assert (report.stored, report.revised, report.duplicates) == (0, 0, 1)
    message = by_text(engine, "12 drums crossed out")
    assert message.edited_at == datetime(2026, 11, 3, 10, 46, tzinfo=UTC)
    assert revisions(engine) == []
