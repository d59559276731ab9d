"""`commwatch ingest`, `sources test`, `quarantine …`, source-health alerts, and IMAP IDLE
driving `commwatch run` from a new message to an alert."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from commwatch.cli import app
from commwatch.config import load_config
from commwatch.service import Service
from commwatch.store import Alert, Message, QuarantineItem, create_store_engine
from tests.dovecot import DovecotServer, dovecot  # noqa: F401
from tests.factories import email_bytes, write_maildir

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BASE = (
    '[database]\nurl = "sqlite:///store.db"\n'
    '[organisation]\nname = "Halden"\nown_domains = ["halden-supply.example"]\n'
    'timezone = "America/New_York"\n'
    '[rules.unanswered]\ntype = "unanswered_inbound"\nhours = 1\n'
    '[channels.file]\ntype = "jsonl"\npath = "alerts.jsonl"\n'
)


def workdir(tmp_path: Path, sources: str) -> Path:
    (tmp_path / "config.toml").write_text(BASE + sources)
    return tmp_path / "config.toml"


def cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    return result.exit_code, result.output


def maildir_source(tmp_path: Path) -> Path:
    mails = [email_bytes(sent=T0 + timedelta(days=i), message_id=f"<d{i}@b.example>")
             for i in range(4)]
    write_maildir(tmp_path / "mail", [*mails, b""])
    return workdir(tmp_path, '[sources.mail]\ntype = "maildir"\npath = "mail"\n')


def stored(tmp_path: Path) -> list[Message]:
    with Session(create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")) as session:
        return list(session.scalars(select(Message)))


def test_ingest_since_skips_older_messages_for_good(tmp_path: Path) -> None:
    config = maildir_source(tmp_path)
    code, output = cli(config, "ingest", "--since", "2026-11-04")
    assert code == 0, output
    assert "stored=2" in output and "skipped_before_since=2" in output
    assert sorted(m.header_message_id for m in stored(tmp_path)) == [
        "<d2@b.example>", "<d3@b.example>",
    ]
    code, output = cli(config, "ingest")
    assert "stored=0" in output  # the skipped ones are not read again


def test_ingest_unknown_source_and_bad_date(tmp_path: Path) -> None:
    config = maildir_source(tmp_path)
    assert cli(config, "ingest", "--source", "nope") == (
        2, "no source named 'nope' in " + str(config) + " (configured: mail)\n"
    )
    code, output = cli(config, "ingest", "--since", "last week")
    assert code == 2 and "is not a date" in output


def test_quarantine_list_show_retry(tmp_path: Path) -> None:
    config = maildir_source(tmp_path)
    cli(config, "ingest")
    code, output = cli(config, "quarantine", "list")
    assert code == 0 and "empty message" in output
    with Session(create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")) as session:
        item = session.scalars(select(QuarantineItem)).one()
    code, output = cli(
        config, "quarantine", "show", str(item.id), "--raw", str(tmp_path / "raw.eml")
    )
    assert code == 0 and "reason: empty message" in output
    assert (tmp_path / "raw.eml").read_bytes() == b""
    code, output = cli(config, "quarantine", "retry")
    assert "released 0, still unparseable 1" in output
    code, output = cli(config, "quarantine", "show", "999")
    assert code == 1 and "no quarantined item #999" in output


def test_quarantine_retry_releases_what_now_parses(tmp_path: Path) -> None:
    config = maildir_source(tmp_path)
    cli(config, "ingest")
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with Session(engine) as session:  # as if the item had been fixed by a newer parser
        item = session.scalars(select(QuarantineItem)).one()
        item.raw = email_bytes(sent=T0, message_id="<fixed@b.example>")
        session.add(item)
        session.commit()
    code, output = cli(config, "quarantine", "retry")
    assert "released 1, still unparseable 0" in output
    assert "<fixed@b.example>" in {m.header_message_id for m in stored(tmp_path)}
    code, output = cli(config, "quarantine", "list")
    assert "quarantine (0)" in output


def test_sources_test_says_what_failed(tmp_path: Path) -> None:
    config = maildir_source(tmp_path)
    code, output = cli(config, "sources", "test", "mail")
    assert code == 0 and "Maildir with 5 new and 0 read messages" in output
    config = workdir(tmp_path, '[sources.gone]\ntype = "maildir"\npath = "missing"\n')
    code, output = cli(config, "sources", "test", "gone")
    assert code == 1 and "is not a Maildir" in output


def test_sources_test_imap(tmp_path: Path, dovecot: DovecotServer) -> None:  # noqa: F811
    user = dovecot.add_user()
    os.environ["CW_TEST_IMAP_PW"] = user.password
    source = (
        f'[sources.box]\ntype = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.imaps_port}\n'
        f'username = "{user.name}"\npassword = {{ env = "CW_TEST_IMAP_PW" }}\n'
        f'ca_file = "{dovecot.ca_path}"\n'
    )
    code, output = cli(workdir(tmp_path, source), "sources", "test", "box")
    assert code == 0, output
    assert "INBOX" in output and user.password not in output
    os.environ["CW_TEST_IMAP_PW"] = "wrong-" + user.password
    code, output = cli(workdir(tmp_path, source), "sources", "test", "box")
    assert code == 1 and "login refused" in output and user.password not in output


def test_failing_source_raises_one_ops_alert_until_it_recovers(tmp_path: Path) -> None:
    config_path = workdir(tmp_path, '[sources.mail]\ntype = "maildir"\npath = "mail"\n')
    service = Service(load_config(config_path))
    service.prepare()
    ingest = next(j for j in service.jobs() if j.name == "ingest:mail")
    assert service.run_job(ingest).outcome == "error"
    assert service.run_job(ingest).outcome == "error"
    with Session(service.engine) as session:
        [alert] = session.scalars(select(Alert)).all()
        assert alert.title == "Source mail cannot be read" and alert.state == "open"
        assert "is not a Maildir" in alert.summary
    write_maildir(tmp_path / "mail", [])
    assert service.run_job(ingest).outcome == "ok"
    with Session(service.engine) as session:
        assert session.scalars(select(Alert)).one().state == "resolved"


def test_idle_turns_a_new_message_into_an_alert_while_running(
    tmp_path: Path, dovecot: DovecotServer  # noqa: F811
) -> None:
    user = dovecot.add_user()
    config = workdir(
        tmp_path,
        f'[sources.box]\ntype = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.imaps_port}\n'
        f'username = "{user.name}"\npassword = {{ env = "CW_TEST_IMAP_PW" }}\n'
        f'ca_file = "{dovecot.ca_path}"\n'
        # Intervals far longer than the test: only IDLE can bring the message in.
        "[scheduler]\ningest_seconds = 3600\ntag_seconds = 3600\nmonitor_seconds = 3600\n"
        "notify_seconds = 3600\n",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "commwatch.cli", "--config", str(config), "run"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CW_TEST_IMAP_PW": user.password},
    )
    alerts = tmp_path / "alerts.jsonl"
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "store.db").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the first passes of every job have run; the watcher is idling
        old = datetime.now(UTC) - timedelta(hours=3)
        dovecot.append(user, "INBOX", email_bytes(sent=old, message_id="<idle@b.example>",
                                                  subject="Short shipment on INV-10023",
                                                  body="We only received 40 of 50 units."))
        appended = time.monotonic()
        while (not (alerts.exists() and alerts.read_text().strip())
               and time.monotonic() < appended + 30):
            time.sleep(0.1)
        assert alerts.exists(), "no alert arrived within 30 s of the APPEND"
        [line] = [json.loads(x) for x in alerts.read_text().splitlines()]
        assert line["details"]["subject"] == "Short shipment on INV-10023"
        assert line["details"]["tags"] == ["dispute"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _out, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, stderr
    assert user.password not in stderr
