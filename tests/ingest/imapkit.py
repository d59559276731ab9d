"""Shared pieces of the IMAP tests: a connector factory for a Dovecot user, test mail, and
store reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import SyncState
from ingest.base import Batch
from ingest.imap import ImapConnector, WatchTiming
from ingest.imap_config import ImapSourceConfig
from tests.dovecot import DovecotServer, MailUser, dovecot  # noqa: F401
from tests.factories import email_bytes

# imaplib2 3.6 still calls Thread.setDaemon/setName and threading.currentThread.
IMAPLIB2_WARNINGS = pytest.mark.filterwarnings(
    r"ignore:(setDaemon|setName|currentThread)\(\) is deprecated:DeprecationWarning"
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FAST = WatchTiming(reidle_seconds=60, poll_seconds=0.3, backoff_first=0.1, backoff_max=0.4,
                   stop_check_seconds=0.05)


def mails(tag: str, count: int, start: int = 0) -> list[bytes]:
    return [
        email_bytes(sent=T0 + timedelta(minutes=i), subject=f"Invoice INV-{i:05d}",
                    message_id=f"<{tag}-{i}@brightline.example>", body=f"Message {i} of {tag}")
        for i in range(start, start + count)
    ]


@pytest.fixture
def user(dovecot: DovecotServer) -> MailUser:  # noqa: F811
    dovecot.start()  # a no-op unless an earlier test left it stopped
    return dovecot.add_user()


@pytest.fixture
def make(dovecot: DovecotServer, user: MailUser,  # noqa: F811
         monkeypatch: pytest.MonkeyPatch) -> Callable[..., ImapConnector]:
    """An ImapConnector for `user` over IMAPS with the test CA; keyword arguments override."""
    monkeypatch.setenv("CW_TEST_IMAP_PASSWORD", user.password)
    monkeypatch.setenv("CW_TEST_IMAP_TOKEN", user.token)

    def build(name: str = "mail", timing: WatchTiming | None = None,
              **overrides: Any) -> ImapConnector:
        raw: dict[str, Any] = {
            "type": "imap", "host": dovecot.host, "port": dovecot.imaps_port, "security": "tls",
            "username": user.name, "password": {"env": "CW_TEST_IMAP_PASSWORD"},
            "ca_file": str(dovecot.ca_path), "timeout_seconds": 10,
        }
        raw.update(overrides)
        raw = {k: v for k, v in raw.items() if v is not None}
        return ImapConnector(name, ImapSourceConfig.model_validate(raw), timing=timing or FAST)

    return build


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def cursors(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        return {row.partition: dict(row.cursor) for row in session.scalars(select(SyncState))}


def recording(connector: ImapConnector) -> list[Batch]:
    """Wrap `fetch` so the test sees every batch handed to the runner."""
    seen: list[Batch] = []
    original = connector.fetch

    def fetch(cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        for batch in original(cursors):
            seen.append(batch)
            yield batch

    connector.fetch = fetch  # type: ignore[method-assign]
    return seen
