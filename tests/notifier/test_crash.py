"""A delivery process killed (SIGKILL) in the middle of a backlog, then started again: every
alert arrives; the Slack bot, which can look back, posts none twice; SMTP, which cannot,
may deliver one twice, and then that delivery is flagged as a possible duplicate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.config import load_config
from commwatch.store import Delivery, JobRun, create_store_engine, ensure_schema
from notifier import Router
from notifier.email import message_id
from tests.conftest import ROOT
from tests.notifier.helpers import customer, finding, record
from tests.notifier.slack_receiver import SlackReceiver
from tests.notifier.smtp_receiver import smtp_server

BACKLOG = 40
KILL_AT = 12
TOKEN_ENV = "CW_TEST_CRASH_BOT_TOKEN"  # noqa: S105 - a variable name


def write_config(tmp_path: Path, channel: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""\
[database]
url = "sqlite:///store.db"

[organisation]
name = "Halden Industrial Supply Ltd"
own_domains = ["halden-supply.example"]

{channel}
""")
    return path


def backlog(config_path: Path) -> None:
    """The config's store with BACKLOG alerts for as many customers, queued as the monitor
    queues them (a minute ago, so that all are due)."""
    config = load_config(config_path)
    engine = create_store_engine(config.database_url())
    ensure_schema(engine)
    router = Router(config.channels, config.notify)
    ids = [customer(engine, f"C{i:03d}", None) for i in range(BACKLOG)]
    record(engine, router, [finding(f"t{i:03d}", ids[i]) for i in range(BACKLOG)],
           datetime.now(UTC) - timedelta(minutes=1))
    engine.dispose()


def killed_then_rerun(
    config_path: Path, env: dict[str, str], arm: Callable[[int], None]
) -> tuple[dict[str, int], list[Delivery]]:
    """Run the notify job in a process that `arm(pid)` kills, then in a new process to the
    end; returns the second run's counts and the deliveries."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.notifier.notify_worker", str(config_path), "2"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    first = worker.stdout.readline()
    assert first.startswith("pid "), first
    arm(int(first.split()[1]))
    out, err = worker.communicate(timeout=60)
    lines = out.strip().splitlines()
    assert worker.returncode == 0, out + err
    assert lines[0] == f"killed {signal.SIGKILL.value}", "the first run was not killed: " + out
    assert lines[1].startswith("pid ") and lines[1] != first.strip()
    counts = json.loads(lines[-1])["counts"]
    engine = create_store_engine(load_config(config_path).database_url())
    with Session(engine) as session:
        rows = list(session.scalars(select(Delivery).order_by(col(Delivery.id))))
        runs = list(session.scalars(select(JobRun).where(col(JobRun.job) == "notify")))
    engine.dispose()
    # The killed run is left "running" in job_runs; the second run recorded its counts.
    assert [r.outcome for r in runs] == ["running", "ok"]
    return counts, rows


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def test_slack_bot_killed_mid_batch_posts_every_alert_exactly_once(
    tmp_path: Path, slack: SlackReceiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_path = write_config(tmp_path, f"""\
[channels.slack]
type = "slack"
bot_token = {{ env = "{TOKEN_ENV}" }}
api_url = "{slack.api_url}"
channel = "#ar-alerts"
timeout_seconds = 5
""")
    env = {TOKEN_ENV: slack.token}
    monkeypatch.setenv(TOKEN_ENV, slack.token)
    backlog(config_path)
    slack.delay = 0.02
    posts_seen = {"n": 0}

    def arm(pid: int) -> None:
        def on_request(endpoint: str) -> None:
            # Killed while Slack handles the KILL_AT-th post: Slack posts it, the
            # worker never hears back and never records it.
            if endpoint == "chat.postMessage":
                posts_seen["n"] += 1
                if posts_seen["n"] == KILL_AT:
                    kill(pid)
        slack.on_request = on_request

    counts, rows = killed_then_rerun(config_path, env, arm)
    slack.on_request = None
    keys = Counter(p.key for p in slack.posted)
    assert len(slack.posted) == BACKLOG
    assert all(n == 1 for n in keys.values()), keys.most_common(3)
    assert {r.status for r in rows} == {"sent"}
    assert {r.group_key for r in rows} == set(keys)
    assert not any(r.duplicate_risk for r in rows)
    # The second run found the first's claims and asked Slack which had gone out: the
    # KILL_AT-th had (posted, then the process died), the rest had not.
    assert counts["recovered"] == BACKLOG - (KILL_AT - 1)
    assert counts["sent"] == BACKLOG - KILL_AT
    confirmed = [r for r in rows if r.detail == "confirmed sent after an interrupted attempt"]
    assert len(confirmed) == 1 and confirmed[0].external_ref == ""
    # In the order they were queued, across the crash.
    assert [p.text.rsplit("— ", 1)[1] for p in slack.posted] == \
        [f"t{i:03d}" for i in range(BACKLOG)]


def test_smtp_killed_mid_batch_delivers_every_alert_and_flags_the_possible_duplicate(
    tmp_path: Path,
) -> None:
    with smtp_server() as (controller, inbox):
        config_path = write_config(tmp_path, f"""\
[channels.email]
type = "email"
host = "127.0.0.1"
port = {controller.port}
security = "plain"
from_address = "commwatch@halden-supply.example"
to = ["ar-team@halden-supply.example"]
timeout_seconds = 5
""")
        backlog(config_path)
        inbox.delay = 0.02

        def arm(pid: int) -> None:
            def on_message(count: int) -> None:
                if count == KILL_AT:  # accepted, but the 250 never reaches the worker
                    kill(pid)
            inbox.on_message = on_message

        counts, rows = killed_then_rerun(config_path, {}, arm)
        received = Counter(inbox.message_ids())
        expected = {message_id(r.group_key or "", "commwatch@halden-supply.example")
                    for r in rows}
        assert len(expected) == BACKLOG
        assert set(received) == expected  # every alert's Message-ID arrived
        assert {r.status for r in rows} == {"sent"}
        by_id = {message_id(r.group_key or "", "commwatch@halden-supply.example"): r
                 for r in rows}
        duplicated = {mid for mid, n in received.items() if n > 1}
        assert duplicated  # the one in flight at the kill: accepted, then resent
        for mid in duplicated:
            assert by_id[mid].duplicate_risk, mid  # …and reported, not hidden
            assert "a duplicate is possible" in by_id[mid].detail or by_id[mid].attempts
        # Only the send in flight at the kill is flagged: the rest of the claimed batch was
        # never tried and goes out without a flag.
        assert counts["possible_duplicates"] == len(duplicated) == 1
        assert sum(r.duplicate_risk for r in rows) == 1
        # What went out before the crash was recorded and not resent.
        assert sum(received.values()) == BACKLOG + len(duplicated)
