"""Benchmark: one full sweep of the monitor over a large store on SQLite.

    python bench/monitor_sweep.py [--customers 50000 --threads 200000 --messages 1000000]
                                  [--sweeps N] [--profile] [--findings FILE]

Builds a SQLite store (once per size, cached under /tmp) with N customers, threads and
messages: five messages a thread on average alternating customer/us, 8% of threads waiting
for our reply (their last customer message spread over the last ten days), our messages
written in office hours and 3% of them sending an invoice, a fifth of customer messages
tagged (disputes, promises with amounts and dates, billing questions,
legal escalations…), a promise record per promise signal, invoices and payments. Then times
the monitor job as the service runs it — the promise ledger update and every rule in the
demo `config.toml` (`[rules]`, `[calendar]`, `[team]`), findings recorded as alerts — three
times at the same `now`: the first sweep records every alert, the next ones are the steady
state ("warm"). The cached store is never written to: each run sweeps a fresh copy of it, so
every run starts from the same state. Peak RSS is the sweeping process's (the store is built
in a child process). Each sweep's line is followed by where its time went, rule by rule.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TAGS = [("dispute", 0.05), ("promise_to_pay", 0.05), ("billing_query", 0.07),
        ("payment_confirmation", 0.02), ("legal_escalation", 0.005), ("hardship", 0.005)]


def build(path: Path, customers: int, threads: int, messages: int, seed: int = 11) -> None:
    from sqlalchemy import insert

    from commwatch.store import (
        Customer,
        Invoice,
        Message,
        Payment,
        PromiseRecord,
        Signal,
        Thread,
        create_store_engine,
        ensure_schema,
    )

    rng = random.Random(seed)
    engine = create_store_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    tiers = ["strategic", "standard", "standard", "small"]
    with engine.begin() as conn:
        conn.execute(insert(Customer.__table__), [  # type: ignore[attr-defined]
            {"external_id": f"C{i}", "name": f"Customer {i}", "domains": [f"c{i}.example"],
             "credit_limit": Decimal(50000), "currency": "USD", "terms_days": 30,
             "owner": f"Owner {i % 40}", "owner_email": f"owner{i % 40}@us.example",
             "tier": tiers[i % 4], "updated_at": NOW}
            for i in range(1, customers + 1)
        ])
        thread_rows, message_rows, signal_rows, promise_rows = [], [], [], []
        per_thread = max(1, messages // threads)
        message_id = 0
        for t in range(1, threads + 1):
            customer = rng.randint(1, customers)
            waiting = rng.random() < 0.08
            count = per_thread + (1 if rng.random() < (messages / threads - per_thread) else 0)
            end = NOW - (timedelta(hours=rng.uniform(1, 240)) if waiting
                         else timedelta(days=rng.uniform(1, 120)))
            times = sorted(end - timedelta(hours=rng.uniform(0, 400)) for _ in range(count - 1))
            times.append(end)
            # Our side writes in office hours (08:00-18:00 UTC); customers whenever they like.
            last_in = last_out = None
            last_in_id = None
            for k, when in enumerate(times):
                message_id += 1
                inbound = (count - 1 - k) % 2 == 0 if waiting else (count - 1 - k) % 2 == 1
                if not inbound:
                    when = when.replace(hour=rng.randint(8, 17))
                invoice_mail = not inbound and rng.random() < 0.03
                message_rows.append({
                    "id": message_id, "natural_key": f"m{message_id}", "source": "bench",
                    "channel": "email", "direction": "inbound" if inbound else "outbound",
                    "sender": "", "sender_name": "", "recipients": [], "sent_at": when,
                    "subject": f"Invoice INV-{t}" if invoice_mail else f"Re: order {t}",
                    "body_text": "", "references": [],
                    "attachments": [{"filename": f"INV-{t}.pdf",
                                     "content_type": "application/pdf", "size": 20480}]
                    if invoice_mail else [],
                    "new_text": "Please find our invoice attached." if invoice_mail
                    else "Thanks, we will check the delivery and come back to you.",
                    "raw_ref": "", "thread_id": t, "customer_id": customer,
                    "customer_match": "domain", "tagged_version": "bench", "ingested_at": when,
                })
                if inbound:
                    last_in, last_in_id = when, message_id
                    roll = rng.random()
                    for tag, share in TAGS:
                        if roll < share:
                            signal_rows.append({
                                "id": len(signal_rows) + 1, "message_id": message_id,
                                "tag": tag, "start": 0, "end": 10, "evidence_text": "x",
                                "evidence": [], "confidence": 0.9, "pipeline_version": "bench",
                                "created_at": when,
                                "values": {"amount": 1000.0, "currency": "USD",
                                           "date": (when + timedelta(days=7)).date().isoformat()}
                                if tag == "promise_to_pay" else {},
                            })
                            if tag == "promise_to_pay":
                                promise_rows.append({
                                    "signal_id": len(signal_rows), "message_id": message_id,
                                    "customer_id": customer, "instalment": 0,
                                    "amount": Decimal(1000), "currency": "USD",
                                    "due_on": (when + timedelta(days=7)).date(),
                                    "invoices": [], "status": "open", "created_at": when,
                                })
                            break
                        roll -= share
                else:
                    last_out = when
            thread_rows.append({
                "id": t, "channel": "email", "customer_id": customer, "subject": f"order {t}",
                "subject_key": f"inv-{t}", "created_at": times[0], "last_message_at": end,
                "state": "awaiting_us" if waiting else "awaiting_customer",
                "last_inbound_at": last_in, "last_inbound_message_id": last_in_id,
                "last_outbound_at": last_out,
            })
        conn.execute(insert(Thread.__table__), thread_rows)  # type: ignore[attr-defined]
        for start in range(0, len(message_rows), 50000):
            conn.execute(insert(Message.__table__), message_rows[start : start + 50000])  # type: ignore[attr-defined]
        conn.execute(insert(Signal.__table__), signal_rows)  # type: ignore[attr-defined]
        conn.execute(insert(PromiseRecord.__table__), promise_rows)  # type: ignore[attr-defined]
        conn.execute(insert(Invoice.__table__), [  # type: ignore[attr-defined]
            {"customer_id": rng.randint(1, customers), "number": f"INV-{i}",
             "amount": Decimal(1000), "open_amount": Decimal(1000), "currency": "USD",
             "issued_on": date(2026, 8, 1) + timedelta(days=i % 100), "status": "open",
             "disputed": False}
            for i in range(1, threads + 1)
        ])
        conn.execute(insert(Payment.__table__), [  # type: ignore[attr-defined]
            {"customer_id": rng.randint(1, customers), "reference": f"PAY-{i}",
             "amount": Decimal(1000), "currency": "USD",
             "received_on": date(2026, 8, 1) + timedelta(days=i % 110),
             "invoice_number": f"INV-{i}"}
            for i in range(1, threads // 2 + 1)
        ])
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed_rules(seconds: dict[str, float], recorded: list[Any] | None = None) -> None:
    """Add each rule's evaluation time, and the time spent recording findings, to `seconds`
    (keyed by rule name, and "record findings"); append every finding recorded to
    `recorded` when given."""
    import commwatch.service
    import monitor.runner
    from monitor.rules import RULES

    def timed(label: Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label(*args)] += time.perf_counter() - start
        return wrapper

    for kind, rule in list(RULES.items()):
        RULES[kind] = timed(lambda name, *_: name, rule)
    record_findings = monitor.runner.record_findings

    def record_and_keep(session: Any, rule: str, findings: list[Any], *rest: Any) -> Any:
        if recorded is not None:
            recorded.extend(findings)
        return record_findings(session, rule, findings, *rest)

    record = timed(lambda *_: "record findings", record_and_keep)
    monitor.runner.record_findings = record  # type: ignore[assignment]
    commwatch.service.record_findings = record  # type: ignore[attr-defined]


def write_findings(path: Path, findings: list[Any]) -> None:
    """Every field of every finding, one sorted JSON line each: two runs found the same
    things exactly when the files are equal."""
    import dataclasses
    import json

    lines = sorted(json.dumps(dataclasses.asdict(f), sort_keys=True, default=str)
                   for f in findings)
    path.write_text("".join(line + "\n" for line in lines))
    print(f"{len(lines)} findings written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=200_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--findings", type=Path, metavar="FILE",
                        help="write the last sweep's findings there, one JSON line each, sorted "
                        "(to check that a change leaves them identical: compare two such files)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = f"{args.customers}-{args.threads}-{args.messages}"
    # A fixed path on purpose: the generated store is a cache reused by later runs.
    path = Path(f"/tmp/commwatch-bench-monitor-v3-{size}.db")  # noqa: S108
    if args.build_only:
        build(path.with_suffix(".tmp"), args.customers, args.threads, args.messages)
        return
    if not path.exists():
        start = time.perf_counter()
        # In a child process, so the building does not count in this process's peak RSS.
        subprocess.run([sys.executable, __file__, "--build-only", "--customers",
                        str(args.customers), "--threads", str(args.threads),
                        "--messages", str(args.messages)], check=True)
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(path.with_suffix(".tmp")) + suffix)
            if source.exists():
                source.rename(str(path) + suffix)
        print(f"built {path} in {time.perf_counter() - start:.0f} s")
    work = path.with_name(f"commwatch-bench-monitor-run-{size}.db")  # the run's copy, beside it
    for suffix in ("-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(path, work)

    from commwatch.config import load_config
    from commwatch.service import Service
    from commwatch.store import create_store_engine, upgrade_schema

    # The cache may predate a migration: bring the copy to the current schema (not timed).
    upgrade_schema(create_store_engine(f"sqlite:///{work}"))

    seconds: dict[str, float] = defaultdict(float)
    warm: list[tuple[float, float]] = []
    recorded: list[Any] = []
    timed_rules(seconds, recorded)
    config = load_config(ROOT / "config.toml")
    service = Service(config, clock=lambda: NOW, engine=create_store_engine(f"sqlite:///{work}"))
    print(f"{args.customers} customers, {args.threads} threads, {args.messages} messages; "
          f"rules: {', '.join(config.rules)}")
    for sweep in range(1, args.sweeps + 1):
        profiler = None
        if args.profile and sweep == args.sweeps:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        seconds.clear()
        recorded.clear()
        start, cpu = time.perf_counter(), time.process_time()
        counts = service._monitor()  # noqa: SLF001  (the monitor job, as the scheduler runs it)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        if sweep > 1:
            warm.append((total, cpu))
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        label = "cold (records every alert)" if sweep == 1 else "warm"
        print(f"sweep {sweep} {label:28} {total:6.2f} s (CPU {cpu:5.2f} s)   findings "
              f"{counts.get('findings')}, new alerts {counts.get('new_alerts')}")
        rest = total - sum(seconds.values())
        print("    " + ", ".join(f"{name} {s:.2f}" for name, s in seconds.items())
              + f", other (ledger, credit, follow-ups) {rest:.2f}")
    if args.findings:
        write_findings(args.findings, recorded)
    if warm:
        # On a shared machine the fastest warm sweep is the least disturbed one.
        print(f"warm sweeps: fastest {min(warm)[0]:.2f} s (CPU {min(warm)[1]:.2f} s), "
              f"median {sorted(warm)[len(warm) // 2][0]:.2f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB (target: warm sweep under 2 s)")


if __name__ == "__main__":
    main()
