"""The embedded default end to end: the shipped config on the bundled demo data.

Runs the real `commwatch` command on a private copy of config.toml and demo/, checks the
alerts against demo/expected.json, and that a second run adds nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from commwatch.store import (
    Alert,
    Customer,
    Message,
    PromiseRecord,
    Signal,
    Thread,
    create_store_engine,
)
from tests.conftest import DEMO

EXPECTED = json.loads((DEMO / "expected.json").read_text())


def commwatch(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    result = subprocess.run(
        [sys.executable, "-m", "commwatch.cli", "--config", str(workdir / "config.toml"), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def use_database(workdir: Path, url: str) -> dict[str, str]:
    """Point the copied config at `url` through an env secret, as a user would."""
    config = workdir / "config.toml"
    text = config.read_text().replace(
        'url = "sqlite:///var/commwatch.db"', 'url = { env = "COMMWATCH_TEST_DEMO_DB" }'
    )
    config.write_text(text)
    return {"COMMWATCH_TEST_DEMO_DB": url}


def alerts_file(workdir: Path) -> list[dict[str, Any]]:
    lines = (workdir / "var" / "alerts.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def store_counts(url: str) -> dict[str, int]:
    engine = create_store_engine(url)
    with Session(engine) as session:
        counts = {
            name: int(session.execute(select(func.count()).select_from(model)).scalar_one())
            for name, model in (("messages", Message), ("signals", Signal), ("alerts", Alert),
                                ("threads", Thread))
        }
    engine.dispose()
    return counts


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_run(request: pytest.FixtureRequest, demo_copy: Path) -> tuple[Path, str, dict[str, str]]:
    if request.param == "sqlite":
        url, env = f"sqlite:///{demo_copy / 'var' / 'commwatch.db'}", {}
    else:
        url = request.getfixturevalue("pg_url")
        env = use_database(demo_copy, url)
    return demo_copy, url, env


def test_demo_run_alerts_on_unanswered_threads_only(
    demo_run: tuple[Path, str, dict[str, str]],
) -> None:
    workdir, url, env = demo_run
    result = commwatch(workdir, "run", "--once", env=env)
    assert "created the database schema" in result.stderr
    every_alert = alerts_file(workdir)
    alerts = [a for a in every_alert if a["rule"] == "unanswered"]
    messages = [m for m in EXPECTED["messages"] if not m.get("broken")]
    by_thread: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        by_thread.setdefault(m["thread"], []).append(m)

    engine = create_store_engine(url)
    with Session(engine) as session:
        thread_of_msgid = {
            m.header_message_id: m.thread_id for m in session.scalars(select(Message))
        }
    engine.dispose()
    alerted_threads = {a["thread_id"] for a in alerts}
    for slug in EXPECTED["unanswered_threads"]:
        thread_ids = {thread_of_msgid[m["message_id"]] for m in by_thread[slug]}
        assert len(thread_ids) == 1, f"thread {slug} was split into {thread_ids}"
        thread_id = thread_ids.pop()
        [alert] = [a for a in alerts if a["thread_id"] == thread_id]
        last = max(by_thread[slug], key=lambda m: m["file"])  # files are named in time order
        assert alert["rule"] == "unanswered"
        assert alert["title"].startswith("Unanswered for ")
        if last["customer_id"] is not None:
            assert alert["details"]["customer"], alert
            assert alert["details"]["customer"] in alert["title"]
        senders = [m_sender(m) for m in by_thread[slug]] + [
            c["sender"] for c in EXPECTED["chat_messages"] if c["thread"] == slug]
        assert alert["details"]["sender"] in senders
    for slug in EXPECTED["answered_threads"] + EXPECTED.get("no_reply_outbound_threads", []):
        thread_id = thread_of_msgid[by_thread[slug][0]["message_id"]]
        assert thread_id not in alerted_threads, f"answered thread {slug} was alerted"
    assert len(alerts) == len(EXPECTED["unanswered_threads"])

    status = json.loads(commwatch(workdir, "status", "--json", env=env).stdout)
    assert status["counts"]["messages"] == len(messages) + len(EXPECTED["chat_messages"])
    assert status["counts"]["signals"] > 0
    assert status["counts"]["alerts"] == len(every_alert)
    # The other alerts: SLA clocks on threads waiting for us, and promises whose date and
    # grace period passed unpaid.
    for alert in every_alert:
        if alert["rule"] == "response-sla":
            assert alert["thread_id"] in alerted_threads
            assert alert["details"]["level"] in ("warning", "breached", "escalated")
        elif alert["rule"] == "broken-promises":
            assert alert["details"]["status"] in ("broken", "partial")
        elif alert["rule"] == "new-signals":
            # Said at once: a dispute, stop-contact, legal threat or hardship nobody answered.
            assert alert["details"]["tag"] in ("dispute", "cease_contact", "legal_escalation",
                                               "hardship")
            assert alert["details"]["evidence"] in " ".join(e["excerpt"] for e in
                                                            alert["evidence"])
        elif alert["rule"] in ("credit-review", "hold-orders", "reduce-limit", "resume"):
            assert alert["details"]["reasons"]  # a proposal shows the figures behind it
        else:
            assert alert["rule"] in ("unanswered", "invoice-ack", "contact-pause",
                                     "contact-frequency", "quiet-hours"), alert["rule"]
    said = {a["details"]["tag"] for a in every_alert if a["rule"] == "new-signals"}
    assert {"dispute", "cease_contact"} <= said
    # Northgate's legal threat was answered in Slack (a credit note), so it raises no
    # new-signal alert: the chat reply counts on the email thread.
    assert "legal_escalation" not in said
    broken = sum(1 for m in EXPECTED["messages"] if m.get("broken"))
    assert status["counts"]["quarantined"] == broken
    assert {r["outcome"] for r in status["last_runs"].values()} == {"ok"}


def test_chat_and_calls_land_in_the_email_threads_and_clocks(
    demo_run: tuple[Path, str, dict[str, str]]
) -> None:
    """The Slack export, the WhatsApp chat and the two calls join the customer threads of the
    email they continue, with their direction, customer and tags; the calls answered
    Pennine's and Summit Ridge's emails and the Slack reply Northgate's, so none of those
    threads is alerted, while Coastal's WhatsApp question waits on its email thread."""
    workdir, url, env = demo_run
    commwatch(workdir, "run", "--once", env=env)
    engine = create_store_engine(url)
    with Session(engine) as session:
        stored = list(session.scalars(select(Message)))
        tags: dict[int, set[str]] = {}
        for message_id, tag in session.execute(select(Signal.message_id, Signal.tag)):
            tags.setdefault(message_id, set()).add(tag)
        customers = dict(session.execute(select(Customer.id, Customer.external_id)).all())
        states = dict(session.execute(select(Thread.id, Thread.state)).all())
    engine.dispose()
    thread_of_slug = {
        e["thread"]: m.thread_id for e in EXPECTED["messages"] if e.get("message_id")
        for m in stored if m.header_message_id == e["message_id"]
    }
    chat = [m for m in stored if m.channel != "email"]
    assert len(chat) == len(EXPECTED["chat_messages"])
    for want in EXPECTED["chat_messages"]:
        [got] = [m for m in chat if m.channel == want["channel"]
                 and m.sender_name == want["sender"] and m.new_text.startswith(want["text"])
                 and m.sent_at == datetime.fromisoformat(want["date"])]
        assert got.direction == want["direction"], want
        assert customers.get(got.customer_id) == want["customer_id"], want
        assert set(want["tags"]) == tags.get(got.id or 0, set()), (want, tags.get(got.id or 0))
        if want["thread"] is None:  # our own channel: a thread of its own, no customer
            assert got.thread_id not in thread_of_slug.values()
        else:
            assert got.thread_id == thread_of_slug[want["thread"]], want
        if "key" in want:
            assert got.natural_key == want["key"]
    for slug in ("pennine-overdue", "summit-overdue-10061", "northgate-short-ship"):
        assert states[thread_of_slug[slug]] == "awaiting_customer", slug
    assert states[thread_of_slug["coastal-payment-plan"]] == "awaiting_us"


def test_a_promise_repeated_on_whatsapp_is_one_promise(
    demo_run: tuple[Path, str, dict[str, str]]
) -> None:
    """Rick repeats Coastal's emailed payment plan on WhatsApp the day before the first
    instalment: still one promise per instalment, the first kept by the one payment, and no
    broken-promise alert for the repetition."""
    workdir, url, env = demo_run
    commwatch(workdir, "run", "--once", env=env)
    engine = create_store_engine(url)
    with Session(engine) as session:
        [coastal] = session.scalars(select(Customer.id).where(Customer.external_id == "C004"))
        rows = session.execute(
            select(PromiseRecord.id, PromiseRecord.amount, PromiseRecord.due_on,
                   PromiseRecord.status, PromiseRecord.restates_id, Message.channel)
            .join(Message, Message.id == PromiseRecord.message_id)  # type: ignore[arg-type]
            .where(PromiseRecord.customer_id == coastal).order_by(PromiseRecord.id)
        ).all()
    engine.dispose()
    promises = {r.id: r for r in rows if r.restates_id is None}
    assert sorted((p.amount, p.due_on.isoformat(), p.status, p.channel)
                  for p in promises.values()) == [
        (4300, "2026-12-11", "open", "email"), (5000, "2026-11-13", "kept", "email")]
    restated = [r for r in rows if r.restates_id is not None]
    assert sorted((r.channel, r.status, promises[r.restates_id].amount) for r in restated) == [
        ("chat", "restated", 4300), ("chat", "restated", 5000)]
    broken = [a for a in alerts_file(workdir) if a["rule"] == "broken-promises"]
    assert broken and not [a for a in broken if "Coastal" in a["title"]]


def m_sender(message: dict[str, Any]) -> str:
    return message.get("sender", "")


def test_second_run_adds_nothing(demo_run: tuple[Path, str, dict[str, str]]) -> None:
    workdir, url, env = demo_run
    commwatch(workdir, "run", "--once", env=env)
    before, lines = store_counts(url), alerts_file(workdir)
    commwatch(workdir, "run", "--once", env=env)
    assert store_counts(url) == before
    assert alerts_file(workdir) == lines
