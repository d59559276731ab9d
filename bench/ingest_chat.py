"""Benchmark: ingest of chat exports and call transcripts from files (read + parse + thread +
store on SQLite), in messages per second, one format at a time.

Builds synthetic exports of AR conversations: a Slack export (unpacked, 20 channels, one file
per day), WhatsApp .txt chats (Android, d/m/y, some multi-line messages), WebVTT call
transcripts (40 cues a call, merged into speaker turns) and a JSONL import. Each format is
ingested into a fresh SQLite store with 500 customers whose invoices the messages name, so
customer resolution and cross-channel threading do their real work.

    python bench/ingest_chat.py --messages 20000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PHRASES = [
    "We were charged twice for {inv}, please issue a credit note.",
    "Payment for {inv} is in our payment run on the 15th.",
    "Could you send a copy of {inv}?",
    "The goods on {inv} arrived damaged, we only received 40 of 50 units.",
    "Thanks, noted. We will revert next week.",
    "Remittance for {inv} attached, paid yesterday by wire.",
]
START = datetime(2026, 10, 1, 8, tzinfo=UTC)


def text(i: int) -> str:
    inv = f"INV-{20000 + i % 3000}"
    return " ".join(PHRASES[(i + k) % len(PHRASES)].format(inv=inv) for k in range(2))


def make_slack(root: Path, count: int) -> None:
    users = [{"id": f"U{c:05d}", "name": f"ap{c}", "profile": {
        "real_name": f"AP Clerk {c}", "email": f"ap{c}@customer{c}.example"}} for c in range(500)]
    users.append({"id": "UAGENT", "name": "agent", "profile": {
        "real_name": "Tom Becker", "email": "tom.becker@halden-supply.example"}})
    channels = [{"id": f"C{n:04d}", "name": f"ext-customer-{n}",
                 "members": ["UAGENT", *(f"U{c:05d}" for c in range(n, 500, 20))]}
                for n in range(20)]
    (root / "users.json").write_text(json.dumps(users))
    (root / "channels.json").write_text(json.dumps(channels))
    days: dict[tuple[str, str], list[dict[str, object]]] = {}
    for i in range(count):
        n = i % 20
        when = START + timedelta(minutes=11 * i)
        user = "UAGENT" if i % 3 == 2 else f"U{n + 20 * (i % 25):05d}"
        days.setdefault((f"ext-customer-{n}", f"{when:%Y-%m-%d}"), []).append(
            {"type": "message", "ts": f"{when.timestamp():.6f}", "user": user, "text": text(i)})
    for (channel, day), messages in days.items():
        (root / channel).mkdir(exist_ok=True)
        (root / channel / f"{day}.json").write_text(json.dumps(messages))


def make_whatsapp(root: Path, count: int) -> None:
    per_chat = 500
    for chat in range(0, count, per_chat):
        lines = []
        for i in range(chat, min(chat + per_chat, count)):
            when = START + timedelta(minutes=13 * i)
            who = "Maria Lopez" if i % 3 == 2 else f"Customer {chat // per_chat}"
            body = text(i).replace(". ", ".\n", 1) if i % 4 == 0 else text(i)
            lines.append(f"{when:%d/%m/%Y, %H:%M} - {who}: {body}")
        (root / f"WhatsApp Chat with Customer {chat // per_chat}.txt").write_text(
            "\n".join(lines) + "\n")


def make_calls(root: Path, count: int) -> None:
    per_call = 40  # cues; two cues a turn
    for call in range(0, count * 2, per_call):
        started = START + timedelta(hours=call // per_call)
        cues = ["WEBVTT", ""]
        for k in range(per_call):
            who = "Tom Becker" if (k // 2) % 2 else f"Customer {call // per_call % 500}"
            minute, second = k // 10, k % 10 * 6
            cues += [f"00:{minute:02d}:{second:02d}.000 --> 00:{minute:02d}:{second + 5:02d}.000",
                     f"<v {who}>{text(call + k)}</v>", ""]
        (root / f"{started:%Y-%m-%d %H-%M} call {call // per_call}.vtt").write_text("\n".join(cues))


def make_jsonl(root: Path, count: int) -> None:
    with (root / "portal.jsonl").open("w") as handle:
        for i in range(count):
            handle.write(json.dumps({
                "chat": f"portal-{i % 500}",
                "sent_at": (START + timedelta(minutes=7 * i)).isoformat(),
                "sender": f"ap{i % 500}@customer{i % 500}.example", "text": text(i)}) + "\n")


def age(root: Path) -> None:
    old = time.time() - 3600
    for path in [root, *root.rglob("*")]:
        os.utime(path, (old, old))


def run(kind: str, root: Path, db: Path) -> tuple[int, float]:
    from commwatch.store import Customer, Invoice, create_store_engine, ensure_schema, session_scope
    from ingest import Directions, build_connector, run_source
    from ingest.chat import config as cfg

    engine = create_store_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    with session_scope(engine) as session:
        for c in range(500):
            session.add(Customer(external_id=f"B{c:04d}", name=f"Customer {c}",
                                 domains=[f"customer{c}.example"]))
        session.flush()
    with session_scope(engine) as session:
        for n in range(3000):
            session.add(Invoice(customer_id=1 + n % 500, number=f"INV-{20000 + n}"))
    agents = ["Tom Becker", "Maria Lopez"]
    config = {
        "slack": cfg.SlackExportSourceConfig(type="slack_export", path=root),
        "whatsapp": cfg.WhatsAppSourceConfig(type="whatsapp_export", path=root, agents=agents),
        "calls": cfg.TranscriptSourceConfig(type="call_transcripts", path=root, agents=agents),
        "jsonl": cfg.ChatImportSourceConfig(type="chat_import", path=root),
    }[kind]
    connector = build_connector("bench", config)
    started = time.perf_counter()
    report = run_source(engine, connector, Directions(["halden-supply.example"]))
    return report.stored, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    builders = {"slack": make_slack, "whatsapp": make_whatsapp, "calls": make_calls,
                "jsonl": make_jsonl}
    labels = {"slack": "Slack export (unpacked, per-day JSON)",
              "whatsapp": "WhatsApp .txt (Android, multi-line)",
              "calls": "WebVTT call transcripts (turns)", "jsonl": "JSONL import"}
    print(f"{'':40}{'messages':>9}{'seconds':>9}{'msgs/s':>9}")
    for kind, build in builders.items():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / kind
            root.mkdir()
            build(root, args.messages)
            age(root)
            stored, seconds = run(kind, root, Path(tmp) / "bench.db")
        print(f"{labels[kind]:40}{stored:>9}{seconds:>9.2f}{stored / seconds:>9.0f}")


if __name__ == "__main__":
    main()
