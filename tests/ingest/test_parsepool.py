"""Parsing in worker processes: outcomes in order, and a job that kills or hangs its worker
costs that one item (quarantined with the reason, raw bytes kept), on both stores."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Message, QuarantineItem, SourceItem, SyncState, Thread
from ingest import parsepool, run_source
from ingest.base import ParsedMessage, RawItem
from ingest.config import MaildirSourceConfig
from ingest.files import MaildirConnector
from ingest.mime import parse_email
from ingest.parsepool import BatchParser, ParseFailure, ParsePool
from tests.factories import OWN, email_bytes, write_maildir

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def mail(i: int, body: str | None = None) -> bytes:
    return email_bytes(sent=T0 + timedelta(minutes=i), subject=f"Invoice INV-{i:05d}",
                       message_id=f"<pool-{i}@brightline.example>", body=body or f"Message {i}")


# Jobs that misbehave in the worker, built only from picklable standard functions.
CRASH = partial(os._exit, 9)
HANG = partial(time.sleep, 30)


def test_outcomes_come_back_in_order_and_failures_stay_with_their_job() -> None:
    jobs: list[Callable[[], ParsedMessage]] = [partial(parse_email, mail(i)) for i in range(40)]
    jobs[3] = partial(parse_email, b"")  # a bad record
    jobs[17] = partial(int, "not a number")  # a parser bug
    with ParsePool(2, chunk=4) as pool:
        outcomes = pool.run(jobs)
        again = pool.run(jobs[:5])  # the same workers serve the next batch
    assert isinstance(outcomes[3], ParseFailure) and "empty message" in outcomes[3].reason
    assert isinstance(outcomes[17], ParseFailure)
    assert outcomes[17].reason.startswith("parser failed: ValueError")
    assert "Traceback" in outcomes[17].detail
    subjects = [o.subject for o in outcomes if isinstance(o, ParsedMessage)]
    assert subjects == [f"Invoice INV-{i:05d}" for i in range(40) if i not in (3, 17)]
    assert [getattr(o, "subject", None) for o in again] == [
        getattr(o, "subject", None) for o in outcomes[:5]]


def test_workers_collect_garbage_less_often_than_the_default() -> None:
    """tune_gc ran in the worker: the imports' objects are frozen out of the collector."""
    with ParsePool(1) as pool:
        frozen = pool.run([gc.get_freeze_count] * 16)  # type: ignore[list-item]
    assert all(isinstance(n, int) and n > 1000 for n in frozen), frozen[:1]
    assert gc.get_freeze_count() == 0  # the calling process is left as it was


@pytest.mark.parametrize(("job", "reason"), [
    (CRASH, "the parser's worker process died (exit code 9)"),
    (HANG, "parsing took longer than 1 s; the parser's worker process was stopped"),
])
def test_a_job_that_kills_or_hangs_its_worker_fails_alone(
    job: Callable[[], ParsedMessage], reason: str
) -> None:
    jobs: list[Callable[[], ParsedMessage]] = [partial(parse_email, mail(i)) for i in range(12)]
    jobs[5] = job
    with ParsePool(2, timeout_seconds=1, chunk=4) as pool:
        outcomes = pool.run(jobs)
        after = pool.run(jobs[:2])  # a replacement worker takes over
    assert outcomes[5] == ParseFailure(reason)
    assert all(isinstance(o, ParsedMessage) for i, o in enumerate(outcomes) if i != 5)
    assert all(isinstance(o, ParsedMessage) for o in after)


def test_workers_that_cannot_start_leave_parsing_to_the_calling_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(parsepool, "_WORKER", tmp_path / "missing.py")
    connector = maildir(tmp_path)
    items = [(RawItem(key=str(i), ref=str(i), read=bytes), mail(i)) for i in range(20)]
    with BatchParser(connector, workers=2) as parser:
        parsed = parser.parse(items)
        assert parser.workers == 0  # and it does not try again for the next batch
    assert [p.subject for p in parsed if isinstance(p, ParsedMessage)] == [
        f"Invoice INV-{i:05d}" for i in range(20)]
    assert "parsing in this process from now on" in caplog.text


# -- through the runner, on both stores ------------------------------------------------------


class PoisonedMaildir(MaildirConnector):
    """A Maildir whose parse jobs crash or hang their worker for marked messages."""

    def parse_job(self, item: RawItem, data: bytes) -> Callable[[], ParsedMessage]:
        if b"POISON-CRASH" in data:
            return CRASH
        if b"POISON-HANG" in data:
            return HANG
        return super().parse_job(item, data)


def maildir(tmp_path: Path, kind: type[MaildirConnector] = MaildirConnector) -> MaildirConnector:
    return kind("mail", MaildirSourceConfig.model_validate(
        {"type": "maildir", "path": tmp_path / "mail"}))


def test_worker_failures_are_quarantined_and_the_batch_is_stored_in_order(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsepool, "PARSE_TIMEOUT_SECONDS", 1.0)
    messages = [mail(i) for i in range(40)]
    messages[7] = mail(7, body="POISON-CRASH")
    messages[30] = mail(30, body="POISON-HANG")
    messages[12] = mail(3)  # the same Message-ID as an earlier one: a duplicate
    # A reply to a message of the same batch joins its thread.
    messages[20] = email_bytes(sent=T0 + timedelta(minutes=20), subject="Re: Invoice INV-00019",
                               message_id="<pool-20@brightline.example>",
                               in_reply_to="<pool-19@brightline.example>", body="Answered")
    paths = write_maildir(tmp_path / "mail", messages)
    report = run_source(engine, maildir(tmp_path, PoisonedMaildir), OWN, parse_workers=2)

    assert (report.seen, report.stored, report.duplicates, report.quarantined) == (40, 37, 1, 2)
    with Session(engine) as session:
        held = {q.raw: q.reason for q in session.scalars(select(QuarantineItem))}
        assert held == {
            messages[7]: "the parser's worker process died (exit code 9)",
            messages[30]: "parsing took longer than 1 s; the parser's worker process was stopped",
        }
        stored = session.execute(
            select(Message.header_message_id, Message.thread_id).order_by(Message.id)).all()
        # Stored in the order the source listed them, ids ascending.
        wanted = [f"<pool-{i}@brightline.example>" for i in range(40) if i not in (7, 12, 30)]
        assert [m for m, _t in stored] == wanted
        threads = dict(stored)
        assert threads["<pool-20@brightline.example>"] == threads["<pool-19@brightline.example>"]
        assert session.execute(select(func.count()).select_from(Thread)).scalar_one() == 36
        ledger = session.execute(select(SourceItem.item_key, SourceItem.message_id,
                                        SourceItem.quarantine_id)).all()
        assert len(ledger) == 40
        assert sum(1 for _k, m, q in ledger if q is not None and m is None) == 2
        assert sum(1 for _k, m, q in ledger if m is not None) == 38
        cursor = session.scalars(select(SyncState)).one().cursor
    assert cursor["last_key"] == max(p.name.split(":")[0] for p in paths)
    again = run_source(engine, maildir(tmp_path, PoisonedMaildir), OWN, parse_workers=2)
    assert (again.skipped_known, again.stored, again.quarantined) == (40, 0, 0)
