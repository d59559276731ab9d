"""The IMAP connector against a real private Dovecot: sync, cursors, TLS, auth, IDLE."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Message, QuarantineItem, SourceItem
from ingest.base import Batch, SourceError
from ingest.imap import ImapConnector
from ingest.imap_config import ImapSourceConfig
from ingest.imap_protocol import _fetch_records, _uid_set, decode_mailbox, encode_mailbox
from ingest.imap_watch import WatchTiming, backoff_delays
from ingest.runner import run_source
from tests.dovecot import DovecotServer, MailUser, dovecot  # noqa: F401
from tests.factories import OWN
from tests.ingest.imapkit import (  # noqa: F401 - fixtures
    FAST,
    IMAPLIB2_WARNINGS,
    T0,
    count,
    cursors,
    mails,
    make,
    recording,
    user,
)

pytestmark = IMAPLIB2_WARNINGS

# -- sync ------------------------------------------------------------------------------------


def test_sync_in_batches_then_only_new_mail_then_nothing(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("in", 25))
    dovecot.append(user, "Customers", mails("cu", 12))
    connector = make(folders=["INBOX", "Customers"], batch_size=10)
    batches = recording(connector)
    report = run_source(sqlite_engine, connector, OWN)
    assert (report.seen, report.stored, report.duplicates, report.quarantined) == (37, 37, 0, 0)
    assert [(b.partition, len(b.items), b.cursor["last_uid"]) for b in batches] == [
        ("INBOX", 10, 10), ("INBOX", 10, 20), ("INBOX", 5, 25),
        ("Customers", 10, 10), ("Customers", 2, 12),
    ]
    validity = {f: dovecot.uidvalidity(user, f) for f in ("INBOX", "Customers")}
    assert cursors(sqlite_engine) == {
        "INBOX": {"uidvalidity": validity["INBOX"], "last_uid": 25},
        "Customers": {"uidvalidity": validity["Customers"], "last_uid": 12},
    }
    first = batches[0].items[0]
    assert first.key == f"INBOX/{validity['INBOX']}/1"
    assert first.ref == f"imap://{user.name}@127.0.0.1/INBOX;UIDVALIDITY={validity['INBOX']}/;UID=1"
    with Session(sqlite_engine) as session:
        refs = {m.header_message_id: m.raw_ref for m in session.scalars(select(Message))}
    assert refs["<cu-11@brightline.example>"].endswith(
        f"/Customers;UIDVALIDITY={validity['Customers']}/;UID=12")

    dovecot.append(user, "INBOX", mails("in", 3, start=25))
    dovecot.append(user, "Customers", mails("cu", 1, start=12))
    batches.clear()
    again = run_source(sqlite_engine, connector, OWN)
    assert (again.seen, again.stored, again.duplicates) == (4, 4, 0)
    assert [(b.partition, [i.key.rsplit("/", 1)[1] for i in b.items]) for b in batches] == [
        ("INBOX", ["26", "27", "28"]), ("Customers", ["13"])]

    batches.clear()
    idle = run_source(sqlite_engine, connector, OWN)
    assert (idle.seen, idle.stored) == (0, 0)
    assert batches == []
    assert count(sqlite_engine, Message) == 41
    assert count(sqlite_engine, SourceItem) == 41


def test_received_at_is_internaldate_in_utc_and_folder_names_are_encoded(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
) -> None:
    folder = "Rückstände & Co"
    assert decode_mailbox(encode_mailbox(folder)[1:-1]) == folder
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC).astimezone()
    dovecot.append(user, encode_mailbox(folder)[1:-1], mails("r", 1), when=when)
    batches = list(make(folders=[folder]).fetch({}))
    assert len(batches) == 1 and batches[0].partition == folder
    item = batches[0].items[0]
    assert item.received_at == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert item.received_at.tzinfo is UTC
    assert b"Message 0 of r" in item.read()
    assert "R%C3%BCckst%C3%A4nde%20%26%20Co;UIDVALIDITY=" in item.ref


def test_empty_folder_records_its_uidvalidity(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.create_folder(user, "Empty")
    report = run_source(sqlite_engine, make(folders=["Empty"]), OWN)
    assert report.seen == 0
    assert cursors(sqlite_engine) == {
        "Empty": {"uidvalidity": dovecot.uidvalidity(user, "Empty"), "last_uid": 0}}


def test_uidvalidity_change_rescans_without_duplicate_messages(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot.append(user, "INBOX", mails("v", 6))
    connector = make(batch_size=4)
    assert run_source(sqlite_engine, connector, OWN).stored == 6
    new_validity = dovecot.change_uidvalidity(user, "INBOX")
    with caplog.at_level(logging.WARNING, logger="ingest.imap"):
        report = run_source(sqlite_engine, connector, OWN)
    assert (report.seen, report.stored, report.duplicates, report.skipped_known) == (6, 0, 6, 0)
    assert "UIDVALIDITY changed" in caplog.text
    assert count(sqlite_engine, Message) == 6
    assert cursors(sqlite_engine) == {"INBOX": {"uidvalidity": new_validity, "last_uid": 6}}
    assert run_source(sqlite_engine, connector, OWN).seen == 0


def test_server_stopping_mid_sync_loses_and_repeats_nothing(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("crash", 25))
    connector = make(batch_size=10)
    original = connector.fetch

    def stop_after_first_batch(cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        batches = original(cursors)
        yield next(batches)
        dovecot.stop()  # the runner has stored batch 1 when it asks for batch 2
        yield from batches

    connector.fetch = stop_after_first_batch  # type: ignore[method-assign]
    try:
        lost = rf"imap://{user.name}@127.0.0.1:\d+: connection lost"
        with pytest.raises(SourceError, match=lost):
            run_source(sqlite_engine, connector, OWN)
    finally:
        dovecot.start()
    # Batch 2 may have been fetched, while batch 1 was stored, before the server went: then
    # it is stored too. Either way the cursor says exactly what the store holds.
    stored = count(sqlite_engine, Message)
    assert stored in (10, 20)
    assert cursors(sqlite_engine)["INBOX"]["last_uid"] == stored

    connector.fetch = original  # type: ignore[method-assign]
    report = run_source(sqlite_engine, connector, OWN)
    assert (report.seen, report.stored, report.duplicates) == (25 - stored, 25 - stored, 0)
    assert count(sqlite_engine, Message) == 25
    assert count(sqlite_engine, SourceItem) == 25


# -- read-only and after_ingest --------------------------------------------------------------


def test_ingest_is_read_only_by_default(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("ro", 3))
    dovecot.append(user, "INBOX", mails("ro", 2, start=3), flags="\\Seen \\Flagged")
    dovecot.append(user, "INBOX", mails("ro", 1, start=5), flags="$Important")
    before = dovecot.flags(user)
    assert sum(1 for f in before.values() if "\\Seen" in f) == 2
    assert run_source(sqlite_engine, make(batch_size=4), OWN).stored == 6
    assert dovecot.flags(user) == before
    assert count(sqlite_engine, QuarantineItem) == 0


def test_after_ingest_flag_marks_stored_messages_only_with_the_keyword(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("fl", 7))
    connector = make(after_ingest="flag", batch_size=3)
    assert run_source(sqlite_engine, connector, OWN).stored == 7
    assert dovecot.flags(user) == {uid: {"$CommwatchSeen"} for uid in range(1, 8)}
    dovecot.append(user, "INBOX", mails("fl", 1, start=7))
    assert run_source(sqlite_engine, connector, OWN).stored == 1
    assert dovecot.flags(user)[8] == {"$CommwatchSeen"}


def test_after_ingest_move_empties_the_folder_into_the_target(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("mv", 12))
    connector = make(after_ingest="move:Processed", batch_size=5)
    with pytest.raises(SourceError, match="target folder 'Processed' does not exist"):
        run_source(sqlite_engine, connector, OWN)
    assert count(sqlite_engine, Message) == 0 and len(dovecot.uids(user)) == 12

    dovecot.create_folder(user, "Processed")
    report = run_source(sqlite_engine, connector, OWN)
    assert report.stored == 12
    assert dovecot.uids(user) == []
    assert len(dovecot.uids(user, "Processed")) == 12
    assert all("\\Seen" not in f for f in dovecot.flags(user, "Processed").values())
    assert run_source(sqlite_engine, connector, OWN).seen == 0


# -- connecting: TLS, STARTTLS, login --------------------------------------------------------


@pytest.mark.parametrize(("security", "host", "port_attr"), [
    ("tls", "127.0.0.1", "imaps_port"),
    ("tls", "localhost", "imaps_port"),
    ("starttls", "127.0.0.1", "imap_port"),
    ("plain", "127.0.0.1", "imap_port"),
])
def test_transports_check_and_sync(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine, security: str, host: str, port_attr: str,
) -> None:
    dovecot.append(user, "INBOX", mails("t", 2))
    connector = make(security=security, host=host, port=getattr(dovecot, port_attr))
    lines = connector.check()
    assert lines[0].startswith(f"connected to {host}:{getattr(dovecot, port_attr)} ({security}")
    if security != "plain":
        assert "TLSv1." in lines[0] and "certificate verified" in lines[0]
    assert "folder INBOX: 2 message(s)" in "\n".join(lines)
    assert "new mail is pushed (IDLE)" in lines
    assert run_source(sqlite_engine, connector, OWN).stored == 2


def test_xoauth2_login(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    sqlite_engine: Engine,
) -> None:
    dovecot.append(user, "INBOX", mails("oa", 1))
    connector = make(password=None, oauth2_token={"env": "CW_TEST_IMAP_TOKEN"})
    assert f"logged in as {user.name} with OAuth2 token (XOAUTH2)" in connector.check()
    assert run_source(sqlite_engine, connector, OWN).stored == 1


@pytest.mark.parametrize("credential", ["password", "oauth2_token"])
def test_refused_login_names_the_account_and_hides_the_secret(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, credential: str,
) -> None:
    wrong = "Wr0ng-s3cret-" + credential
    monkeypatch.setenv("CW_TEST_WRONG", wrong)
    overrides: dict[str, Any] = {"password": None, credential: {"env": "CW_TEST_WRONG"}}
    connector = make(**overrides)
    caplog.set_level(logging.DEBUG)
    for attempt in (connector.check, lambda: list(connector.fetch({}))):
        with pytest.raises(SourceError) as caught:
            attempt()
        message = str(caught.value)
        where = f"imap://{user.name}@127.0.0.1:{dovecot.imaps_port}"
        assert message.startswith(f"{where}: login refused: ")
        assert "AUTHENTICATIONFAILED" in message
        assert wrong not in message and wrong not in repr(caught.value.__cause__)
    assert wrong not in caplog.text


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize(("case", "expected"), [
    ("system trust only", "certificate verify failed"),
    ("unrelated CA", "certificate verify failed"),
    ("host not in certificate", "host name mismatch"),
])
def test_certificate_is_verified(
    dovecot: DovecotServer, make: Callable[..., ImapConnector],  # noqa: F811
    security: str, case: str, expected: str,
) -> None:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    overrides: dict[str, Any] = {"security": security, "port": port}
    if case == "system trust only":
        overrides["ca_file"] = None
    elif case == "unrelated CA":
        overrides["ca_file"] = str(dovecot.other_ca_path)
    else:
        overrides["host"] = dovecot.other_host
    connector = make(**overrides)
    with pytest.raises(SourceError) as caught:
        connector.check()
    message = str(caught.value)
    assert f"@{overrides.get('host', '127.0.0.1')}:{port}: TLS failed: {expected}" in message
    if case == "system trust only":
        assert "set ca_file" in message


def test_check_names_the_failing_step(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
) -> None:
    with pytest.raises(SourceError, match=r"folder 'Nope' not found or not accessible"):
        make(folders=["INBOX", "Nope"]).check()
    with pytest.raises(SourceError, match=r"cannot resolve host 'imap\.nowhere\.invalid' \(DNS\)"):
        make(host="imap.nowhere.invalid").check()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(SourceError, match=rf":{closed}: cannot connect: Connection refused"):
        make(port=closed).check()
    with pytest.raises(SourceError, match=r'TLS handshake failed: .*use security = "starttls"'):
        make(security="tls", port=dovecot.imap_port).check()


# -- watching --------------------------------------------------------------------------------


class Watcher:
    """Runs `connector.watch` in a thread and counts wake-ups and (re)connections."""

    def __init__(self, connector: ImapConnector, caplog: pytest.LogCaptureFixture) -> None:
        self.connector = connector
        self.caplog = caplog
        self.calls = 0
        self.woken = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=connector.watch, args=(self.on_new, self.stop),
                                       daemon=True)

    def on_new(self) -> None:
        self.calls += 1
        self.woken.set()

    def connections(self) -> int:
        return sum(1 for r in self.caplog.records if r.getMessage().startswith(
            f"{self.connector.name}: watching"))

    def wait_connections(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connections() < n:
            made = self.connections()
            assert time.monotonic() < deadline, f"watcher made {made} of {n} connections"
            time.sleep(0.02)

    def __enter__(self) -> Watcher:
        self.caplog.set_level(logging.INFO, logger="ingest.imap")
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        started = time.monotonic()
        self.thread.join(5)
        assert not self.thread.is_alive(), "watch() did not return after stop was set"
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_watch_wakes_up_on_new_mail(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    caplog: pytest.LogCaptureFixture, idle: bool,
) -> None:
    dovecot.create_folder(user, "Customers")
    connector = make(folders=["INBOX", "Customers"], idle=idle)
    with Watcher(connector, caplog) as watcher:
        watcher.wait_connections(2)
        time.sleep(0.2)
        assert watcher.calls == 0
        dovecot.append(user, "Customers", mails("w", 1))
        assert watcher.woken.wait(3), dovecot.log_tail()
        mode = "IDLE" if idle else "polling"
        assert any(mode in r.getMessage() for r in caplog.records if "watching" in r.getMessage())


def test_mail_arriving_as_the_idle_starts_wakes_the_watcher(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mail that lands after the folder is opened and before IDLE begins: Dovecot reports it
    right behind its "+ idling", before imaplib2 counts the IDLE as started, so imaplib2 does
    not end the IDLE for it. The watcher must still wake up, not wait for the next mail."""
    from ingest import imap_protocol

    real_select = imap_protocol._Session.select

    def select_then_mail_arrives(session: Any, folder: str, readonly: bool) -> Any:
        opened = real_select(session, folder, readonly)
        dovecot.append(user, folder, mails("race", 1))
        return opened

    monkeypatch.setattr(imap_protocol._Session, "select", select_then_mail_arrives)
    with Watcher(make(idle=True), caplog) as watcher:
        watcher.wait_connections(1)
        assert watcher.woken.wait(5), dovecot.log_tail()


def test_watch_reconnects_after_a_server_restart(
    dovecot: DovecotServer, user: MailUser, make: Callable[..., ImapConnector],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Watcher(make(), caplog) as watcher:
        watcher.wait_connections(1)
        dovecot.restart()
        watcher.wait_connections(2)
        # After a reconnect the caller is told to look, since mail may have come meanwhile.
        assert watcher.woken.wait(3)
        watcher.woken.clear()
        dovecot.append(user, "INBOX", mails("rc", 1))
        assert watcher.woken.wait(3), dovecot.log_tail()
    assert "reconnecting to" in caplog.text


# -- pure parts ------------------------------------------------------------------------------


def test_backoff_doubles_to_the_cap_with_jitter() -> None:
    timing = WatchTiming(backoff_first=1, backoff_max=60)
    full = backoff_delays(timing, rand=lambda: 1.0)
    assert [next(full) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    half = backoff_delays(timing, rand=lambda: 0.0)
    assert [next(half) for _ in range(3)] == [0.5, 1, 2]


def test_fetch_responses_are_read_wherever_the_server_puts_uid_and_date() -> None:
    data = [
        (b'1 (UID 7 INTERNALDATE " 3-Nov-2026 10:00:00 +0100" RFC822.SIZE 5 BODY[] {5}',
         b"Hello"),
        b")",
        (b'2 (INTERNALDATE "04-Nov-2026 10:00:00 -0000" BODY[] {3}', b"Bye"),
        b" UID 9)",
        b"3 (UID 11 FLAGS (\\Seen))",  # an unsolicited flag update is no message
        (b"4 (UID 12 BODY[] {2}", b"Hi"),
        b" INTERNALDATE \"bad\")",
    ]
    assert _fetch_records(data) == {
        7: (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), b"Hello"),
        9: (datetime(2026, 11, 4, 10, 0, tzinfo=UTC), b"Bye"),
        12: (None, b"Hi"),
    }
    assert _uid_set([9, 1, 2, 3, 5, 7, 8]) == "1:3,5,7:9"


BASE = {"type": "imap", "host": "imap.example.com", "username": "ar@example.com",
        "password": {"env": "CW_TEST_CONFIG_SECRET"}}


@pytest.mark.parametrize(("changes", "expected"), [
    ({"security": "plain"}, 'security = "plain" sends the password unencrypted'),
    ({"password": None}, "set exactly one of `password` or `oauth2_token`"),
    ({"oauth2_token": {"env": "CW_TEST_CONFIG_SECRET"}}, "set exactly one of"),
    ({"after_ingest": "delete"}, 'expected "none", "flag", "flag:$Keyword" or "move:FOLDER"'),
    ({"after_ingest": "move:"}, "move:FOLDER"),
    ({"batch_size": 0}, "greater than or equal to 1"),
    ({"batch_size": 5001}, "less than or equal to 5000"),
    ({"folders": []}, "at least 1 item"),
    ({"folders": ["INBOX", "INBOX"]}, "listed twice"),
    ({"ca_file": "/nonexistent/ca.pem"}, "no such file"),
    ({"idel": False}, "Extra inputs are not permitted"),
])
def test_config_is_validated(monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any],
                             expected: str) -> None:
    monkeypatch.setenv("CW_TEST_CONFIG_SECRET", "s3cret")
    raw = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        ImapSourceConfig.model_validate(raw)
    assert expected in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(("changes", "port", "action"), [
    ({}, 993, ("none", "")),
    ({"security": "starttls"}, 143, ("none", "")),
    ({"security": "plain", "host": "127.0.0.1", "port": 1143}, 1143, ("none", "")),
    ({"security": "plain", "host": "localhost", "after_ingest": "flag"}, 143,
     ("flag", "$CommwatchSeen")),
    ({"after_ingest": "flag:$Done"}, 993, ("flag", "$Done")),
    ({"after_ingest": "move:Archive/2026"}, 993, ("move", "Archive/2026")),
])
def test_config_defaults(monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any], port: int,
                         action: tuple[str, str]) -> None:
    monkeypatch.setenv("CW_TEST_CONFIG_SECRET", "s3cret")
    config = ImapSourceConfig.model_validate({**BASE, **changes})
    assert (config.port, config.after_action, config.folders) == (port, action, ["INBOX"])
    assert "s3cret" not in repr(config)
