"""Benchmark: alert delivery. (a) Latency from a customer's e-mail to the Slack post while
`commwatch run` runs; (b) delivery throughput from a backlog to Slack (webhook) and SMTP.

(a) A private Dovecot (tests/dovecot.py), the loopback Slack receiver
(tests/notifier/slack_receiver.py) and `commwatch run` with an IMAP source (IDLE), the
`new_signal` rule and a Slack bot channel. N disputes are APPENDed one at a time, spaced out;
each is timed from the APPEND's OK to the receiver holding its post, and split into stages
from the store's timestamps (ingested, alert created, delivery sent).

(b) A backlog of alerts in a fresh SQLite store, delivered by the service's notify job in its
own process (so peak RSS is its own), to the Slack webhook receiver and to an aiosmtpd SMTP
server, once with 5 alerts per customer (grouped into one message each) and once with one
alert per customer.

    python bench/notify.py                       # both
    python bench/notify.py --skip-latency --alerts 10000
    python bench/notify.py --skip-throughput --appends 50 --spacing 1.5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

TOKEN_ENV = "CW_BENCH_SLACK_TOKEN"  # noqa: S105 - a variable name
WEBHOOK_ENV = "CW_BENCH_SLACK_WEBHOOK"
PASSWORD_ENV = "CW_BENCH_IMAP_PASSWORD"  # noqa: S105 - a variable name
BASE = """\
[database]
url = "sqlite:///store.db"

[organisation]
name = "Halden Industrial Supply Ltd"
own_domains = ["halden-supply.example"]
team_addresses = ["ar@halden-supply.example"]
"""


# -- (a) latency ---------------------------------------------------------------------------


def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from commwatch.store import Alert, Delivery, JobRun, Message, create_store_engine
    from tests.dovecot import DovecotServer
    from tests.factories import email_bytes
    from tests.notifier.slack_receiver import running_receiver

    shared_tmp = "/tmp" if os.geteuid() == 0 else None  # noqa: S108 - as tests/dovecot.py
    base = Path(tempfile.mkdtemp(prefix="commwatch-bench-notify-", dir=shared_tmp))
    base.chmod(0o755)
    server = DovecotServer(base)
    server.write_files()
    server.start()
    work = base / "service"
    work.mkdir()
    try:
        user = server.add_user()
        with running_receiver() as slack:
            (work / "config.toml").write_text(BASE + f"""
[sources.ar-mailbox]
type = "imap"
host = "127.0.0.1"
port = {server.imaps_port}
username = "{user.name}"
password = {{ env = "{PASSWORD_ENV}" }}
ca_file = "{server.ca_path}"
idle = true

[rules.said]
type = "new_signal"

[rules.unanswered]
type = "unanswered_inbound"
hours = 24

[channels.slack]
type = "slack"
bot_token = {{ env = "{TOKEN_ENV}" }}
api_url = "{slack.api_url}"
channel = "#ar-alerts"
""")
            env = {**os.environ, PASSWORD_ENV: user.password, TOKEN_ENV: slack.token}
            service = subprocess.Popen(
                [sys.executable, "-m", "commwatch.cli", "--config",
                 str(work / "config.toml"), "run"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=open(work / "service.log", "w"),  # noqa: SIM115 - closed with the process
            )
            engine = create_store_engine(f"sqlite:///{work / 'store.db'}")

            def started() -> bool:
                try:
                    with Session(engine) as session:
                        return session.scalars(select(JobRun).where(
                            JobRun.job == "notify", JobRun.outcome == "ok")).first() is not None
                except OperationalError:
                    return False

            deadline = time.monotonic() + 120
            while not ((work / "store.db").exists() and started()):
                if time.monotonic() > deadline or service.poll() is not None:
                    raise SystemExit("commwatch run did not start:\n"
                                     + (work / "service.log").read_text())
                time.sleep(0.2)
            time.sleep(2)  # the IDLE watcher connects after the first jobs
            rows = []
            with server.client(user) as conn:
                for i in range(args.appends):
                    subject = f"Bench {i:03d} INV-{20000 + i}"
                    mail = email_bytes(
                        sent=datetime.now(UTC), subject=subject,
                        message_id=f"<bench-{i}@brightline.example>",
                        body=f"Hello,\n\nWe dispute invoice INV-{20000 + i}: the price is "
                             "not what we agreed.\n\nJan Novak\nBrightline Builders")
                    typ, _ = conn.append("INBOX", None, None, mail)
                    appended, wall = time.monotonic(), datetime.now(UTC)
                    assert typ == "OK"
                    got = slack.wait_for(
                        lambda s=subject: any(s in p.text for p in slack.posted), args.timeout)
                    post = next((p for p in slack.posted if subject in p.text), None)
                    rows.append({"subject": subject, "appended": wall,
                                 "latency": (post.received_at - appended) if got and post
                                 else None})
                    time.sleep(args.spacing)
            service.send_signal(signal.SIGTERM)
            service.wait(60)
            with Session(engine) as session:
                stages = []
                for row in rows:
                    message = session.scalars(select(Message).where(
                        Message.subject == row["subject"])).first()
                    alert = session.scalars(select(Alert).where(
                        Alert.message_id == (message.id if message else -1),
                        Alert.rule == "said")).first()
                    delivery = session.scalars(select(Delivery).where(
                        Delivery.alert_id == (alert.id if alert else -1))).first()
                    if message and alert and delivery and delivery.sent_at:
                        stages.append((
                            (_utc(message.ingested_at) - row["appended"]).total_seconds(),
                            (_utc(alert.created_at) - _utc(message.ingested_at)).total_seconds(),
                            (_utc(delivery.sent_at) - _utc(alert.created_at)).total_seconds(),
                        ))
            engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    latencies = sorted(r["latency"] for r in rows if r["latency"] is not None)
    return {"appended": len(rows), "delivered": len(latencies), "latencies": latencies,
            "stages": stages}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


# -- (b) throughput --------------------------------------------------------------------------


def build_backlog(args: argparse.Namespace) -> dict[str, Any]:
    """In its own process: a store with `alerts` alerts, `per_customer` per customer."""
    from commwatch.config import load_config
    from commwatch.store import Customer, create_store_engine, ensure_schema, session_scope
    from monitor import Finding, record_findings
    from notifier import Router

    config = load_config(args.config)
    engine = create_store_engine(config.database_url())
    ensure_schema(engine)
    customers = args.alerts // args.per_customer
    with session_scope(engine) as session:
        rows = [Customer(external_id=f"C{i:05d}", name=f"Customer {i:05d}",
                         owner_email=f"owner{i % 20}@halden-supply.example")
                for i in range(customers)]
        session.add_all(rows)
        session.flush()
        ids = [r.id for r in rows]
    findings = [
        Finding(rule="bench", subject=f"c{c}:a{a}", severity="warning",
                title=f"Unanswered for 30h: Customer {c:05d} — invoice query {a}",
                summary="Jan Novak wrote on 2026-11-20 09:00 UTC and nobody has replied.",
                customer_id=ids[c], details={"excerpt": "Please send a copy of INV-1001."})
        for c in range(customers) for a in range(args.per_customer)
    ]
    now = datetime.now(UTC) - timedelta(minutes=1)
    with session_scope(engine) as session:
        counts = record_findings(session, "bench", findings,
                                 Router(config.channels, config.notify), now)
    engine.dispose()
    return counts


def deliver_backlog(args: argparse.Namespace) -> dict[str, Any]:
    """In its own process: the service's notify job over the backlog, timed."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from commwatch.config import load_config
    from commwatch.service import Service
    from commwatch.store import Delivery

    service = Service(load_config(args.config))
    [job] = [j for j in service.jobs() if j.name == "notify"]
    started = time.perf_counter()
    run = service.run_job(job)
    seconds = time.perf_counter() - started
    with Session(service.engine) as session:
        sent = session.scalar(select(func.count()).select_from(Delivery)
                              .where(Delivery.status == "sent")) or 0
        notices = session.scalar(select(func.count(func.distinct(Delivery.group_key)))
                                 .where(Delivery.status == "sent")) or 0
    return {"outcome": run.outcome, "error": run.error, "seconds": seconds, "alerts": sent,
            "messages": notices,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _side(side: str, config: Path, args: argparse.Namespace, env: dict[str, str],
          per_customer: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--side", side, "--config", str(config),
         "--alerts", str(args.alerts), "--per-customer", str(per_customer)],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{side} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_throughput(args: argparse.Namespace) -> list[tuple[str, int, dict[str, Any]]]:
    from tests.notifier.slack_receiver import running_receiver
    from tests.notifier.smtp_receiver import smtp_server

    out = []
    with running_receiver() as slack, smtp_server() as (controller, inbox):
        channels = {
            "slack webhook": f"""
[channels.slack]
type = "slack"
webhook_url = {{ env = "{WEBHOOK_ENV}" }}
""",
            "email (SMTP)": f"""
[channels.email]
type = "email"
host = "127.0.0.1"
port = {controller.port}
security = "plain"
from_address = "commwatch@halden-supply.example"
to = ["ar-team@halden-supply.example"]
""",
        }
        env = {WEBHOOK_ENV: slack.webhook_url}
        for name, table in channels.items():
            for per_customer in (5, 1):
                with tempfile.TemporaryDirectory(prefix="commwatch-bench-notify-") as tmp:
                    config = Path(tmp) / "config.toml"
                    config.write_text(BASE + table)
                    _side("build", config, args, env, per_customer)
                    before = (len(slack.webhook_posts), len(inbox.messages))
                    result = _side("deliver", config, args, env, per_customer)
                    after = (len(slack.webhook_posts), len(inbox.messages))
                    result["received"] = (after[0] - before[0]) + (after[1] - before[1])
                    out.append((name, per_customer, result))
                    print(f"  {name}, {per_customer}/customer: {json.dumps(result)}",
                          flush=True)
    return out


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10000)
    parser.add_argument("--appends", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=1.5)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    for hidden in ("--side", "--config", "--per-customer"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        args.per_customer = int(args.per_customer)
        run = {"build": build_backlog, "deliver": deliver_backlog}[args.side]
        print(json.dumps(run(args)))
        return

    if not args.skip_latency:
        print(f"(a) APPEND -> Slack post, {args.appends} disputes {args.spacing} s apart",
              flush=True)
        r = run_latency(args)
        lat = r["latencies"]
        print(f"delivered {r['delivered']}/{r['appended']}")
        if lat:
            print(f"latency: median {statistics.median(lat):.3f} s, p95 {_p95(lat):.3f} s "
                  f"(min {lat[0]:.3f} s, max {lat[-1]:.3f} s)")
        if r["stages"]:
            names = ("APPEND -> stored", "stored -> alert", "alert -> sent")
            for index, label in enumerate(names):
                values = [s[index] for s in r["stages"]]
                print(f"  {label:18} median {statistics.median(values):.3f} s, "
                      f"p95 {_p95(values):.3f} s")
    if not args.skip_throughput:
        print(f"\n(b) delivery of a backlog of {args.alerts} alerts", flush=True)
        rows = run_throughput(args)
        print(f"\n{'':34}{'alerts':>8}{'messages':>10}{'seconds':>9}{'alerts/s':>10}"
              f"{'msgs/s':>9}{'peak RSS MB':>13}")
        for name, per_customer, r in rows:
            label = f"{name}, {per_customer} alert(s)/customer"
            print(f"{label:34}{r['alerts']:>8}{r['messages']:>10}{r['seconds']:>9.2f}"
                  f"{r['alerts'] / r['seconds']:>10.0f}{r['messages'] / r['seconds']:>9.0f}"
                  f"{r['rss_mb']:>13.0f}")


if __name__ == "__main__":
    main()
