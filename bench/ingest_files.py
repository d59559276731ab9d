"""Benchmark: ingest of a local Maildir (fetch + parse + store on SQLite), beside a reference.

The reference is the standard library alone reading the same Maildir with `mailbox.Maildir`
and parsing each message with `email` (policy.default) down to its text body: the floor any
Python ingest pays. Each side runs in its own process so peak RSS is its own.

    python bench/ingest_files.py --messages 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

PHRASES = [
    "We were charged twice for {inv}, please issue a credit note.",
    "Payment for {inv} is in our payment run on the 15th.",
    "Could you send a copy of {inv} and your bank details?",
    "The goods on {inv} arrived damaged; we only received 40 of 50 units.",
    "Thanks, noted. We will revert next week about the delivery schedule.",
    "Remittance advice attached: {inv} was paid yesterday by wire.",
]


def make_maildir(root: Path, count: int) -> None:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 10, 1, 8, tzinfo=UTC)
    for i in range(count):
        msg = EmailMessage()
        customer = i % 500
        msg["From"] = f"AP Clerk {customer} <ap{customer}@customer{customer}.example>"
        msg["To"] = "ar@halden-supply.example"
        msg["Subject"] = f"Re: Invoice INV-{10000 + i % 3000}"
        msg["Date"] = format_datetime(start + timedelta(minutes=7 * i))
        msg["Message-ID"] = f"<bench{i}@customer{customer}.example>"
        inv = f"INV-{10000 + i % 3000}"
        body = " ".join(PHRASES[(i + k) % len(PHRASES)].format(inv=inv) for k in range(4))
        quoted = "\n".join(
            f"> {line}" for line in PHRASES[i % len(PHRASES)].format(inv=inv).split()
        )
        msg.set_content(
            f"Hello team,\n\n{body}\n\nBest regards,\nAP Clerk {customer}\n\n"
            f"On Mon, 2 Nov 2026 at 09:00, AR <ar@halden-supply.example> wrote:\n{quoted}\n"
        )
        (root / "new" / f"{1700000000 + i}.M{i}P1.bench").write_bytes(bytes(msg))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reference(root: Path) -> dict[str, float]:
    import mailbox
    from email import message_from_bytes, policy

    started = time.perf_counter()
    count = 0
    box = mailbox.Maildir(root, factory=None, create=False)
    for key in box.iterkeys():
        msg = message_from_bytes(box.get_bytes(key), policy=policy.default)
        body = msg.get_body(("plain", "html"))
        if body is not None:
            body.get_content()
        count += 1
    elapsed = time.perf_counter() - started
    return {"messages": count, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def run_commwatch(root: Path, db: Path) -> dict[str, float]:
    from commwatch.store import create_store_engine, ensure_schema
    from ingest import Directions, run_source
    from ingest.config import MaildirSourceConfig
    from ingest.files import MaildirConnector

    engine = create_store_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    connector = MaildirConnector("bench", MaildirSourceConfig(type="maildir", path=root))
    started = time.perf_counter()
    report = run_source(engine, connector, Directions(["halden-supply.example"]))
    elapsed = time.perf_counter() - started
    return {"messages": report.stored, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--side", choices=["reference", "commwatch"], help=argparse.SUPPRESS)
    parser.add_argument("--maildir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        if args.side == "reference":
            result = run_reference(args.maildir)
        else:
            result = run_commwatch(args.maildir, args.maildir.parent / "bench.db")
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "maildir"
        make_maildir(root, args.messages)
        rows = []
        for side in ("reference", "commwatch"):
            out = subprocess.run(
                [sys.executable, __file__, "--side", side, "--maildir", str(root)],
                check=True, capture_output=True, text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            rows.append((side, result))
    print(f"{'':38}{'messages':>9}{'seconds':>9}{'msgs/s':>9}{'peak RSS MB':>13}")
    labels = {
        "reference": "stdlib mailbox + email parse (floor)",
        "commwatch": "commwatch ingest (parse+thread+store)",
    }
    for side, r in rows:
        rate = r["messages"] / r["seconds"] if r["seconds"] else 0.0
        print(f"{labels[side]:38}{r['messages']:>9.0f}{r['seconds']:>9.2f}{rate:>9.0f}"
              f"{r['peak_rss_mb']:>13.0f}")


if __name__ == "__main__":
    main()
