"""Threads across channels, end to end: a customer's dispute email waits for us; the
collector's call about it lands on the same thread and stops the unanswered and SLA clocks;
a chat message about the same invoice joins the thread; each customer turn is tagged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Contact, Signal, session_scope
from ingest import run_source
from ingest.chat.config import TranscriptSourceConfig, WhatsAppSourceConfig
from ingest.chat.transcripts import TranscriptConnector
from ingest.chat.whatsapp import WhatsAppConnector
from ingest.config import MaildirSourceConfig
from ingest.crosschannel import thread_refs
from ingest.files import MaildirConnector
from monitor import StoreView
from monitor.calendar import BusinessCalendar, CalendarConfig
from monitor.config import UnansweredInboundRuleConfig
from monitor.rules import unanswered_inbound
from monitor.sla import ResponseSlaRuleConfig, SlaPolicy, response_sla
from monitor.view import MonitorContext
from nlp.jobs import tag_pending
from nlp.pipeline import default_tagger
from tests.factories import OWN, email_bytes, write_maildir
from tests.ingest.chatkit import add_customers, by_text, drop, messages, settle, threads

UNANSWERED = UnansweredInboundRuleConfig(type="unanswered_inbound", hours=24, severity="warning")
SLA = ResponseSlaRuleConfig(type="response_sla", policies=[SlaPolicy(tag="*", hours=8)])
CONTEXT = MonitorContext(BusinessCalendar(CalendarConfig(timezone="Europe/London")))
AGENTS = ["Tom Becker", "Maria Lopez"]


def findings(engine: Engine, now: datetime) -> list[str]:
    with Session(engine) as session:
        view = StoreView(session, CONTEXT)
        found = unanswered_inbound("unanswered", UNANSWERED, view, now)
        found += response_sla("response-sla", SLA, view, now)
    return sorted(f"{f.rule}:{f.thread_id}" for f in found)


def pennine_email(engine: Engine, tmp_path: Path) -> int:
    ids = add_customers(engine, {"external_id": "C005", "name": "Pennine Plant Hire Ltd",
                                 "domains": ["pennine-plant.example"], "owner": "Tom Becker",
                                 "owner_email": "tom.becker@halden-supply.example"},
                        invoices={"INV-10025": "C005"})
    with session_scope(engine) as session:
        session.add(Contact(customer_id=ids["C005"], email="s.hargreaves@pennine-plant.example"))
    write_maildir(tmp_path / "mail", [email_bytes(
        sender="Sarah Hargreaves <s.hargreaves@pennine-plant.example>",
        subject="Re: Overdue: INV-10025 - Pennine Plant Hire",
        body="Tom, we do not accept the GBP 150 late payment fee on INV-10025. We paid the "
             "GBP 3,000 on 30 October, before your deadline.",
        sent=datetime(2026, 11, 2, 8, 47, tzinfo=UTC),
        message_id="<20261102084700.017@pennine-plant.example>")])
    assert run_source(engine, MaildirConnector("mail", MaildirSourceConfig(
        type="maildir", path=tmp_path / "mail")), OWN).stored == 1
    return messages(engine)[0].thread_id or 0


def calls(path: Path) -> TranscriptConnector:
    return TranscriptConnector("calls", TranscriptSourceConfig(
        type="call_transcripts", path=path, agents=AGENTS, timezone="Europe/London"))


def test_a_call_answers_the_dispute_email_and_stops_its_clocks(engine: Engine,
                                                              tmp_path: Path) -> None:
    thread_id = pennine_email(engine, tmp_path)
    before = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert findings(engine, before) == [f"response-sla:{thread_id}", f"unanswered:{thread_id}"]
    # Tom calls Sarah at 14:15; she has the last word ("Thanks Tom, bye") but was answered.
    drop(tmp_path / "calls", "transcripts/2026-11-03 14-15 Pennine Plant Hire.vtt")
    assert run_source(engine, calls(tmp_path / "calls"), OWN).stored == 4
    turns = [m for m in messages(engine) if m.channel == "call"]
    assert {m.thread_id for m in turns} == {thread_id}
    assert turns[-1].direction == "inbound" and turns[-1].sender_name == "Sarah Hargreaves"
    assert {m.customer_id for m in turns} == {messages(engine)[0].customer_id}
    thread = threads(engine)[thread_id]
    assert thread.state == "awaiting_customer"
    assert thread.last_outbound_at == datetime(2026, 11, 3, 14, 15, 27, 250000, tzinfo=UTC)
    assert findings(engine, datetime(2026, 11, 3, 15, 0, tzinfo=UTC)) == []
    assert findings(engine, datetime(2026, 11, 9, 9, 0, tzinfo=UTC)) == []


def test_a_voicemail_answers_nothing(engine: Engine, tmp_path: Path) -> None:
    thread_id = pennine_email(engine, tmp_path)
    folder = tmp_path / "calls"
    folder.mkdir()
    voicemail = folder / "2026-11-03 07-50 voicemail.vtt"
    voicemail.write_text("WEBVTT\n\n00:00:00.500 --> 00:00:06.000\n<v Sarah Hargreaves>Tom, "
                         "Sarah at Pennine about INV-10025, please call me back.\n")
    settle(voicemail)
    run_source(engine, calls(folder), OWN)
    assert by_text(engine, "please call me back").thread_id == thread_id
    assert threads(engine)[thread_id].state == "awaiting_us"
    # Unanswered counts from the voicemail (07:50), the SLA clock from the email.
    assert findings(engine, datetime(2026, 11, 4, 9, 0, tzinfo=UTC)) == [
        f"response-sla:{thread_id}", f"unanswered:{thread_id}"]


def test_chat_about_the_same_invoice_joins_the_email_thread(engine: Engine,
                                                           tmp_path: Path) -> None:
    thread_id = pennine_email(engine, tmp_path)
    drop(tmp_path / "wa", "whatsapp/WhatsApp Chat with Sarah Hargreaves.txt")
    run_source(engine, WhatsAppConnector("wa", WhatsAppSourceConfig(
        type="whatsapp_export", path=tmp_path / "wa", agents=AGENTS, timezone="Europe/London",
        customers={"Sarah Hargreaves": "C005"})), OWN)
    chat = [m for m in messages(engine) if m.channel == "chat"]
    assert [m.customer_match for m in chat] == ["config", "config"]
    # The chat message names INV-10025 (shared reference); Tom's answer the next morning
    # follows the customer's current thread. His reply stops the clock.
    assert {m.thread_id for m in chat} == {thread_id}
    assert threads(engine)[thread_id].state == "awaiting_customer"
    assert findings(engine, datetime(2026, 11, 3, 12, 0, tzinfo=UTC)) == []


@pytest.mark.parametrize(("text", "refs"), [
    ("INV-10025 and inv10033", {"INV10025", "INV10033"}),
    ("our PO 7781 / P.O. #8120", {"PO7781", "PO8120"}),
    ("paid on 30 October", set()),
])
def test_references_that_join_threads(text: str, refs: set[str]) -> None:
    assert thread_refs(text) == refs


def test_customer_turns_are_tagged_and_ours_are_not_disputes(sqlite_engine: Engine,
                                                            tmp_path: Path) -> None:
    drop(tmp_path / "calls", "transcripts/2026-11-03 14-15 Pennine Plant Hire.vtt")
    run_source(sqlite_engine, calls(tmp_path / "calls"), OWN)
    tag_pending(sqlite_engine, default_tagger())
    with Session(sqlite_engine) as session:
        tags = {(m, t) for m, t in session.execute(select(Signal.message_id, Signal.tag))}
    dispute = by_text(sqlite_engine, "we are disputing the £150 late fee")
    assert (dispute.id, "dispute") in tags
    ours = [m.id for m in messages(sqlite_engine) if m.direction == "outbound"]
    assert not any((mid, "dispute") in tags for mid in ours)
