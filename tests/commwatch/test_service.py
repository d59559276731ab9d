"""`commwatch run` as a process: jobs recorded, clean shutdown on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from commwatch.store import JobRun, Message, create_store_engine
from tests.factories import email_bytes, write_maildir


def service_config(tmp_path: Path) -> Path:
    write_maildir(tmp_path / "mail", [
        email_bytes(sent=datetime(2026, 11, 2, 9, tzinfo=UTC), message_id=f"<s{i}@b.example>",
                    body="We were charged twice.")
        for i in range(3)
    ])
    config = tmp_path / "config.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///store.db"\n'
        '[organisation]\nname = "Halden"\nown_domains = ["halden-supply.example"]\n'
        '[sources.mail]\ntype = "maildir"\npath = "mail"\n'
        '[rules.unanswered]\ntype = "unanswered_inbound"\nhours = 1\n'
        '[channels.file]\ntype = "jsonl"\npath = "alerts.jsonl"\n'
        '[scheduler]\ningest_seconds = 1\ntag_seconds = 1\nmonitor_seconds = 1\n'
        'notify_seconds = 1\n'
    )
    return config


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    config = service_config(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "commwatch.cli", "--config", str(config), "run"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")

    def every_job_ran_twice() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"commwatch run exited early: {process.communicate()}")
        if not (tmp_path / "store.db").exists():
            return False
        try:
            with Session(engine) as session:
                done = session.execute(
                    select(JobRun.job, func.count()).where(JobRun.outcome == "ok")
                    .group_by(JobRun.job)).all()
        except Exception:  # noqa: BLE001 - the schema may not exist yet
            return False
        alerts = tmp_path / "alerts.jsonl"
        delivered = alerts.exists() and len(alerts.read_text().splitlines()) == 3
        return delivered and len(done) == 4 and all(n >= 2 for _job, n in done)

    try:
        wait_for(every_job_ran_twice)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "stopped cleanly" in stderr
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 3
        unfinished = session.scalars(select(JobRun).where(JobRun.finished_at.is_(None))).all()  # type: ignore[union-attr]
        assert unfinished == []
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 3
    engine.dispose()


def test_monitor_redoes_ledger_and_credit_only_when_their_inputs_change(
    demo_copy: Path,
) -> None:
    from decimal import Decimal

    from commwatch.config import load_config
    from commwatch.service import Service
    from commwatch.store import CreditSnapshot, Payment, Proposal, session_scope

    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    service = Service(load_config(demo_copy / "config.toml"), clock=lambda: now)
    service.prepare()
    service.run_once()
    with Session(service.engine) as session:
        assert session.execute(select(func.count()).select_from(Proposal)).scalar_one() >= 1
        snapshots = session.execute(select(func.count()).select_from(CreditSnapshot)).scalar_one()
    assert snapshots == 9  # one per demo customer, today

    quiet = service._monitor()  # noqa: SLF001  (the job as the scheduler runs it)
    assert not any(key.startswith("promises_") for key in quiet)  # ledger skipped
    assert service._credit(now) == {}  # noqa: SLF001  credit skipped: nothing changed
    with session_scope(service.engine) as session:
        session.add(Payment(customer_id=7, reference="LATE-1", amount=Decimal("4500"),
                            currency="EUR", received_on=now.date(), invoice_number="INV-10039"))
    busy = service._monitor()  # noqa: SLF001
    assert "promises_changed" in busy  # a new payment: the ledger runs again
    with session_scope(service.engine) as session:
        session.add(Payment(customer_id=7, reference="LATE-2", amount=Decimal("10"),
                            currency="EUR", received_on=now.date(), invoice_number="INV-10058"))
    assert "credit-review" in service._credit(now)  # noqa: SLF001  and credit is redone


def test_notify_job_sends_reminders_of_alerts_nobody_acknowledged(demo_copy: Path) -> None:
    from datetime import timedelta

    from commwatch.config import load_config
    from commwatch.service import Service
    from commwatch.store import Delivery

    config = demo_copy / "config.toml"
    config.write_text(config.read_text()
                      + '\n[notify.reminders]\nafter_hours = { critical = 4 }\n')
    clock = [datetime(2026, 11, 23, 12, tzinfo=UTC)]
    service = Service(load_config(config), clock=lambda: clock[0])
    service.prepare()
    service.run_once()
    assert service._notify()["reminders_queued"] == 0  # noqa: SLF001  nothing is due yet
    clock[0] += timedelta(hours=5)
    counts = service._notify()  # noqa: SLF001  (the job as the scheduler runs it)
    assert counts["reminders_queued"] > 0
    with Session(service.engine) as session:
        reminders = session.scalars(select(Delivery).where(Delivery.event == "reminder")).all()
    assert reminders and all(d.status == "sent" for d in reminders)
