"""End to end: a dispute e-mailed to the AR mailbox (APPEND to a real Dovecot) becomes a Slack
post while `commwatch run` runs, through IMAP IDLE, tagging, the new_signal rule and the
outbox, each stage waking the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from commwatch.store import Alert, Delivery, JobRun, create_store_engine
from tests.conftest import ROOT
from tests.dovecot import DovecotServer, dovecot  # noqa: F401
from tests.factories import email_bytes
from tests.notifier.slack_receiver import SlackReceiver

pytestmark = pytest.mark.filterwarnings(
    r"ignore:(setDaemon|setName|currentThread)\(\) is deprecated:DeprecationWarning"
)

# Every interval is long: an alert within seconds can only come from the wake-up chain.
CONFIG = """\
[database]
url = "sqlite:///store.db"

[organisation]
name = "Halden Industrial Supply Ltd"
own_domains = ["halden-supply.example"]
team_addresses = ["ar@halden-supply.example"]

[sources.ar-mailbox]
type = "imap"
host = "127.0.0.1"
port = {port}
security = "tls"
username = "{user}"
password = {{ env = "CW_E2E_IMAP_PASSWORD" }}
ca_file = "{ca}"
idle = true

[rules.said]
type = "new_signal"

[channels.slack]
type = "slack"
bot_token = {{ env = "CW_E2E_SLACK_TOKEN" }}
api_url = "{api_url}"
channel = "#ar-alerts"

[notify]
review_url = "https://review.halden.example"

[scheduler]
ingest_seconds = 300
tag_seconds = 300
monitor_seconds = 300
notify_seconds = 300
"""


class Output:
    """Collects a process's stderr in the background, so a test can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.text = ""
        self.lock = threading.Condition()
        assert process.stderr is not None
        self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self.lock:
                self.text += line
                self.lock.notify_all()

    def wait_for(self, words: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while words not in self.text:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True


def test_appended_dispute_reaches_slack_while_the_service_runs(
    tmp_path: Path, dovecot: DovecotServer, slack: SlackReceiver,  # noqa: F811
) -> None:
    dovecot.start()
    user = dovecot.add_user()
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(port=dovecot.imaps_port, user=user.name,
                                    ca=dovecot.ca_path, api_url=slack.api_url))
    env = {**os.environ, "CW_E2E_IMAP_PASSWORD": user.password,
           "CW_E2E_SLACK_TOKEN": slack.token, "COLUMNS": "250"}
    process = subprocess.Popen(
        [sys.executable, "-m", "commwatch.cli", "--verbose", "--config", str(config), "run"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    output = Output(process)
    try:
        assert output.wait_for("(IDLE)", 60), output.text
        assert _wait(lambda: _ran(tmp_path, "notify"), 60), output.text  # started up
        mail = email_bytes(
            sent=datetime.now(UTC), subject="INV-10023 price",
            message_id="<e2e-dispute@brightline.example>",
            body="Hello,\n\nWe dispute invoice INV-10023: the price is not what we agreed.\n"
                 "Please send a corrected invoice.\n\nJan Novak\nBrightline Builders")
        appended = time.monotonic()
        dovecot.append(user, "INBOX", mail)
        # Generous bounds for a loaded machine (the first tag job loads the model): the point
        # is that the wake-up chain carries it, not the five-minute job intervals.
        assert slack.wait_for(lambda: any("Dispute" in p.text for p in slack.posted), 120), \
            output.text
        latency = slack.posted[0].received_at - appended
        assert latency < 120, latency  # seconds; the intervals would take 300
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output.text
    [post] = slack.posted
    assert post.text.startswith("[HIGH] Dispute: unmatched sender ")
    assert "*We dispute*" in "".join(str(b) for b in post.blocks)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with Session(engine) as session:
        alert = session.scalars(select(Alert)).one()
        delivery = session.scalars(select(Delivery)).one()
    engine.dispose()
    assert alert.rule == "said" and alert.details["tag"] == "dispute"
    assert alert.details["invoices"] == ["INV-10023"]
    assert delivery.status == "sent" and delivery.external_ref == f"{post.channel}:{post.ts}"
    assert post.key == delivery.group_key


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _ran(tmp_path: Path, job: str) -> bool:
    """Whether the service has finished a run of `job` (the schema may not exist yet)."""
    if not (tmp_path / "store.db").exists():
        return False
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with Session(engine) as session:
            return session.scalars(select(JobRun).where(col(JobRun.job) == job,
                                                        col(JobRun.outcome) == "ok")).first() \
                is not None
    except OperationalError:
        return False
    finally:
        engine.dispose()
