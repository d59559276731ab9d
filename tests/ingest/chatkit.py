"""Helpers for the chat and transcript tests: fixture copies, settled files, store reads."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import (
    Customer,
    Invoice,
    Message,
    MessageRevision,
    QuarantineItem,
    Thread,
    session_scope,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "chat"


def settle(path: Path, age: float = 600) -> None:
    """Make a file (or every file under a folder) look untouched for `age` seconds."""
    when = time.time() - age
    for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(item, (when, when))


def drop(folder: Path, *names: str, settled: bool = True) -> list[Path]:
    """Copy fixture files (paths below fixtures/chat) into a watched folder."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        source = FIXTURES / name
        target = folder / source.name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
        if settled:
            settle(target)
        out.append(target)
    return out


def zip_folder(source: Path, target: Path, prefix: str = "", extra: dict[str, bytes] | None = None
               ) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(source).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(prefix + name, data)
    return target


def messages(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.scalars(select(Message).order_by(Message.sent_at, Message.id)))


def quarantined(engine: Engine) -> list[QuarantineItem]:
    with Session(engine) as session:
        return list(session.scalars(select(QuarantineItem).order_by(QuarantineItem.id)))


def revisions(engine: Engine) -> list[MessageRevision]:
    with Session(engine) as session:
        return list(session.scalars(select(MessageRevision).order_by(MessageRevision.id)))


def threads(engine: Engine) -> dict[int, Thread]:
    with Session(engine) as session:
        return {t.id or 0: t for t in session.scalars(select(Thread))}


def by_text(engine: Engine, fragment: str) -> Message:
    found = [m for m in messages(engine) if fragment in m.body_text]
    assert len(found) == 1, (fragment, [m.body_text for m in found])
    return found[0]


def add_customers(engine: Engine, *rows: dict[str, Any], invoices: dict[str, str] | None = None
                  ) -> dict[str, int]:
    """Customers (external id -> store id) and invoices (number -> external customer id)."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for row in rows:
            customer = Customer(**row)
            session.add(customer)
            session.flush()
            ids[row["external_id"]] = customer.id or 0
        for number, external in (invoices or {}).items():
            session.add(Invoice(customer_id=ids[external], number=number))
    return ids
