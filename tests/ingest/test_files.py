"""Local sources: Maildir and .eml folders (see test_runner) and mbox files."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Message
from ingest import SourceError, run_source
from ingest.config import MboxSourceConfig
from ingest.files import MboxConnector
from tests.factories import OWN, email_bytes

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def mbox_entry(i: int, body: str = "Hello") -> bytes:
    data = email_bytes(sent=T0 + timedelta(hours=i), message_id=f"<mb{i}@b.example>", body=body)
    escaped = b"\n".join(
        b">" + line if line.lstrip(b">").startswith(b"From ") else line
        for line in data.replace(b"\r\n", b"\n").split(b"\n")
    )
    head = b"From jan@brightline.example Mon Nov  2 09:00:00 2026\n"
    return head + escaped.rstrip(b"\n") + b"\n\n"


def settle(path: Path) -> None:
    old = time.time() - 60
    os.utime(path, (old, old))


def connector(path: Path) -> MboxConnector:
    return MboxConnector("archive", MboxSourceConfig(type="mbox", path=path))


def messages(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.scalars(select(Message).order_by(Message.sent_at)))


def test_mbox_read_then_appended(engine: Engine, tmp_path: Path) -> None:
    box = tmp_path / "archive.mbox"
    box.write_bytes(b"".join(mbox_entry(i) for i in range(3)))
    settle(box)
    assert run_source(engine, connector(box), OWN).stored == 3
    with box.open("ab") as handle:
        handle.write(mbox_entry(3, body="From the warehouse: goods short.\nFrom now on, write."))
    settle(box)
    report = run_source(engine, connector(box), OWN)
    assert (report.seen, report.stored) == (1, 1)  # only the appended message was read
    last = messages(engine)[-1]
    assert last.body_text.startswith("From the warehouse: goods short.\nFrom now on")
    assert run_source(engine, connector(box), OWN).seen == 0


def test_mbox_being_written_waits_for_the_last_message(engine: Engine, tmp_path: Path) -> None:
    box = tmp_path / "live.mbox"
    box.write_bytes(mbox_entry(0) + mbox_entry(1))
    # Just written: the second message may still be growing, so only the first is read.
    assert run_source(engine, connector(box), OWN).stored == 1
    settle(box)
    assert run_source(engine, connector(box), OWN).stored == 1
    assert len(messages(engine)) == 2


def test_mbox_replaced_by_another_file_is_reread_without_duplicates(
    engine: Engine, tmp_path: Path
) -> None:
    box = tmp_path / "a.mbox"
    box.write_bytes(mbox_entry(0) + mbox_entry(1))
    settle(box)
    run_source(engine, connector(box), OWN)
    box.write_bytes(mbox_entry(5) + mbox_entry(0) + mbox_entry(1))  # re-exported, new first
    settle(box)
    report = run_source(engine, connector(box), OWN)
    assert (report.stored, report.duplicates) == (1, 2)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 3


def test_folder_of_mbox_files_and_missing_path(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "x.mbox").write_bytes(mbox_entry(0))
    (tmp_path / "y.mbox").write_bytes(mbox_entry(1))
    for p in tmp_path.glob("*.mbox"):
        settle(p)
    assert run_source(engine, connector(tmp_path), OWN).stored == 2
    assert len(connector(tmp_path).check()) == 2
    with pytest.raises(SourceError, match="no such mbox file or folder"):
        run_source(engine, connector(tmp_path / "nope"), OWN)
