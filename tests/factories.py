"""Small builders for test data: raw emails, Maildirs, stored messages."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from ingest import Directions

OWN = Directions(["halden-supply.example"], ["ar@halden-supply.example"])


def email_bytes(
    *,
    sender: str = "Jan Novak <jan@brightline.example>",
    to: str = "ar@halden-supply.example",
    subject: str = "Invoice INV-10023",
    body: str = "Hello",
    sent: datetime,
    message_id: str | None = "<m1@brightline.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def write_maildir(root: Path, messages: list[bytes], start: int = 0) -> list[Path]:
    """Deliver messages into a Maildir's new/ folder the way an MTA does."""
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(messages, start=start):
        tmp = root / "tmp" / f"17000{i:05d}.M{i}P1.test"
        tmp.write_bytes(data)
        final = root / "new" / tmp.name
        tmp.rename(final)
        paths.append(final)
    return paths
