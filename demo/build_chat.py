"""The demo's chat exports and call transcripts (imported by build_demo.py).

A Slack export of the shared channel with Northgate, a WhatsApp chat with Coastal
Fabrication exported from Maria Lopez's phone (where Rick repeats the payment plan he promised
by email), and two recorded calls (WebVTT and SRT). Each
continues an email thread of the Maildir: the calls answer Pennine's and Summit Ridge's
emails, the Slack reply answers Northgate's dispute, and Coastal's last WhatsApp question is
left waiting. Standard library only, deterministic.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

USERS = [
    {"id": "U01TB8K2M", "team_id": "T01HALDEN", "name": "tom.becker", "real_name": "Tom Becker",
     "is_bot": False, "profile": {"real_name": "Tom Becker", "display_name": "Tom",
                                  "email": "tom.becker@halden-supply.example"}},
    {"id": "U01ML4Q7Z", "team_id": "T01HALDEN", "name": "maria.lopez", "real_name": "Maria Lopez",
     "is_bot": False, "profile": {"real_name": "Maria Lopez", "display_name": "Maria",
                                  "email": "maria.lopez@halden-supply.example"}},
    {"id": "U07KO5S1E", "team_id": "T09NGATE", "name": "kevin.osei", "real_name": "Kevin Osei",
     "is_bot": False, "is_stranger": True,
     "profile": {"real_name": "Kevin Osei", "display_name": "Kevin (Northgate AP)",
                 "email": "kevin.osei@northgate-elec.example"}},
]
CHANNELS = [
    {"id": "C05NGAR01", "name": "ext-northgate-ar", "created": 1792400000, "creator": "U01TB8K2M",
     "members": ["U01TB8K2M", "U01ML4Q7Z", "U07KO5S1E"],
     "topic": {"value": "Halden <> Northgate: invoices and payments"},
     "purpose": {"value": "Shared channel for AR questions"}},
    {"id": "C03INTAR9", "name": "ar-team", "created": 1790000000, "creator": "U01TB8K2M",
     "members": ["U01TB8K2M", "U01ML4Q7Z"], "topic": {"value": ""},
     "purpose": {"value": "Halden AR team"}},
]


def ts(when: str) -> str:
    """A Slack ts for a UTC time."""
    return f"{int(datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp())}.000100"


# (channel, UTC time, user, text, thread parent time or None, tags, extra fields)
SLACK = [
    ("ext-northgate-ar", "2026-11-05T08:10:00", "U07KO5S1E", "<@U07KO5S1E> has joined the channel",
     None, None, {"subtype": "channel_join"}),
    ("ext-northgate-ar", "2026-11-05T09:00:00", "U07KO5S1E",
     "<@U01TB8K2M> any news on the credit note for the 12 drums on INV-10035? We can't "
     "release payment without it.", None, ["dispute"], {}),
    ("ar-team", "2026-11-05T09:05:00", "U01TB8K2M",
     "Maria, can you approve CN-2231 for Northgate? POD confirms 12 drums short.", None, [], {}),
    ("ar-team", "2026-11-05T09:20:00", "U01ML4Q7Z", "Approved.", None, [], {}),
    ("ext-northgate-ar", "2026-11-05T09:40:00", "U01TB8K2M",
     "Kevin, credit note CN-2231 for the 12 drums (USD 1,440.00) is approved and goes out "
     "today. Sorry it took this long.", "2026-11-05T09:00:00", [],
     {"files": [{"id": "F07CN2231", "name": "CN-2231.pdf", "title": "CN-2231.pdf",
                 "mimetype": "application/pdf", "filetype": "pdf", "size": 48211}]}),
]

# WhatsApp, exported from Maria's phone (Europe/London): (local time, author, text)
WHATSAPP = [
    ("13/11/2026, 14:58", None, "Messages and calls are end-to-end encrypted. No one outside "
     "of this chat, not even WhatsApp, can read or listen to them. Tap to learn more."),
    # Rick repeats the plan agreed by email: the same two promises, not two more.
    ("12/11/2026, 17:05", "Rick Alvarez", "Hi Maria, as agreed we will pay the $5,000 on "
     "INV-10033 tomorrow and the remaining $4,300 on 11 December."),
    ("13/11/2026, 15:00", "Rick Alvarez", "Hi Maria, Rick here. Remittance attached for the "
     "$5,000 on INV-10033, paid this morning."),
    ("13/11/2026, 15:02", "Rick Alvarez", "<Media omitted>"),
    ("13/11/2026, 15:20", "Maria Lopez", "Thanks Rick, I can see it on our account."),
    ("19/11/2026, 16:45", "Rick Alvarez", "Maria, can you send me a copy of INV-10047? Our AP "
     "team can't find it in the system.\nThey need it before the December run."),
]
WHATSAPP_TAGS = [None, ["promise_to_pay"], ["payment_confirmation"], [], [], ["billing_query"]]

VTT_START = datetime(2026, 11, 3, 14, 15, tzinfo=LONDON)
VTT = [  # (start s, end s, speaker, text, tags)
    (1.2, 6.8, "Tom Becker", "Hello, is that Sarah? It's Tom Becker from Halden Industrial "
     "Supply, calling about INV-10025 and your email.", []),
    (7.1, 9.0, "Sarah Hargreaves", "Hi Tom, yes, thanks for calling back.", None),
    (9.0, 16.4, "Sarah Hargreaves", "As I said in my email, we are disputing the £150 late "
     "fee on INV-10025, we never agreed to it.", ["dispute"]),
    (16.9, 24.0, "Tom Becker", "You're right, the £3,000 arrived on the 30th. I'll waive the "
     "fee and send you a credit note for £150 today.", []),
    (24.5, 27.25, "Sarah Hargreaves", "Brilliant, that's sorted then. Thanks Tom, bye.", []),
]
SRT_START = datetime(2026, 11, 11, 10, 30, tzinfo=LONDON)
SRT = [
    (0.5, 5.9, "Tom Becker", "Good morning Greg, Tom from Halden. I'm calling about "
     "INV-10061, USD 14,225, which is now two weeks overdue.", []),
    (6.3, 12.0, "Greg Lindqvist", "Morning Tom. Yes, sorry, it got stuck in approvals while "
     "Nancy was out.", None),
    (12.0, 17.5, "Greg Lindqvist", "It's approved now. We will pay the full USD 14,225 on "
     "27 November.", ["promise_to_pay"]),
    (18.0, 22.0, "Tom Becker", "Thank you Greg, I'll note the 27th. Have a good day.", []),
]
SLACK_THREAD = {"ext-northgate-ar": "northgate-short-ship", "ar-team": None}


def _clock(seconds: float, comma: bool) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"
    return text.replace(".", ",") if comma else text


def _stamp(path: Path, when: datetime) -> None:
    epoch = int(when.timestamp())
    os.utime(path, (epoch, epoch))


def write_chat(root: Path) -> list[dict]:
    """Write demo/chat and return the expected chat messages (merged call turns)."""
    shutil.rmtree(root, ignore_errors=True)
    expected: list[dict] = []
    slack = root / "slack"
    slack.mkdir(parents=True)
    (slack / "users.json").write_text(json.dumps(USERS, indent=1) + "\n")
    (slack / "channels.json").write_text(json.dumps(CHANNELS, indent=1) + "\n")
    names = {u["id"]: u["real_name"] for u in USERS}
    days: dict[tuple[str, str], list[dict]] = {}
    for channel, when, user, text, parent, tags, extra in SLACK:
        message = {"type": "message", "ts": ts(when), "user": user, "text": text, **extra}
        if parent:
            message["thread_ts"] = ts(parent)
        days.setdefault((channel, when[:10]), []).append(message)
        if tags is None:
            continue
        ours = user in ("U01TB8K2M", "U01ML4Q7Z")
        internal = channel == "ar-team"
        expected.append({
            "file": f"chat/slack/{channel}/{when[:10]}.json", "channel": "chat",
            "sender": names[user],
            "direction": "internal" if internal else "outbound" if ours else "inbound",
            "date": datetime.fromtimestamp(float(ts(when)), UTC).isoformat(),
            "text": text.replace("<@U01TB8K2M>", "@Tom Becker")[:40],
            "thread": SLACK_THREAD[channel], "customer_id": None if internal else "C002",
            "tags": tags,
        })
    for (channel, day), messages in days.items():
        folder = slack / channel
        folder.mkdir(exist_ok=True)
        (folder / f"{day}.json").write_text(json.dumps(messages, indent=1) + "\n")
    whatsapp = root / "whatsapp"
    whatsapp.mkdir()
    lines = []
    for (when, author, text), tags in zip(WHATSAPP, WHATSAPP_TAGS, strict=True):
        lines.append(f"{when} - {author + ': ' if author else ''}{text}")
        if tags is None:
            continue
        local = datetime.strptime(when, "%d/%m/%Y, %H:%M").replace(tzinfo=LONDON)
        expected.append({
            "file": "chat/whatsapp/WhatsApp Chat with Rick Alvarez.txt", "channel": "chat",
            "sender": author, "direction": "outbound" if author == "Maria Lopez" else "inbound",
            "date": local.isoformat(), "text": "" if text.startswith("<") else text[:40],
            "thread": "coastal-payment-plan", "customer_id": "C004", "tags": tags,
        })
    (whatsapp / "WhatsApp Chat with Rick Alvarez.txt").write_text("\n".join(lines) + "\n")
    calls = root / "calls"
    calls.mkdir()
    vtt = ["WEBVTT", "", "NOTE", "Recorded by Halden telephony, extension 157 (Tom Becker).", ""]
    for i, (start, end, speaker, text, _tags) in enumerate(VTT, 1):
        vtt += [str(i), f"{_clock(start, False)} --> {_clock(end, False)}",
                f"<v {speaker}>{text}</v>", ""]
    srt = []
    for i, (start, end, speaker, text, _tags) in enumerate(SRT, 1):
        srt += [str(i), f"{_clock(start, True)} --> {_clock(end, True)}", f"{speaker}: {text}", ""]
    for name, body, cues, started, slug, cid in (
        ("2026-11-03 14-15 Pennine Plant Hire.vtt", vtt, VTT, VTT_START, "pennine-overdue", "C005"),
        ("2026-11-11 10-30 Summit Ridge.srt", srt, SRT, SRT_START, "summit-overdue-10061", "C008"),
    ):
        path = calls / name
        path.write_text("\n".join(body))
        _stamp(path, started + timedelta(minutes=5))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        turn = -1
        previous = None
        for start, _end, speaker, text, tags in cues:
            if speaker != previous:
                turn += 1
                expected.append({
                    "file": f"chat/calls/{name}", "channel": "call", "sender": speaker,
                    "direction": "outbound" if speaker == "Tom Becker" else "inbound",
                    "date": (started + timedelta(seconds=start)).isoformat(),
                    "text": text[:40], "key": f"call:{digest}:{turn}", "thread": slug,
                    "customer_id": cid, "tags": list(tags or []),
                })
            elif tags:
                expected[-1]["tags"] = sorted(set(expected[-1]["tags"]) | set(tags))
            previous = speaker
    for path in [*root.rglob("*.json"), whatsapp / "WhatsApp Chat with Rick Alvarez.txt"]:
        _stamp(path, datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
    return expected
