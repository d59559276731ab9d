"""The new text of a reply: what its sender wrote, without quoted history or signature.

Two stages, as mailgun/talon splits the problem: `reply_text` cuts the quoted earlier
messages (ingest.quotation), `signature_start` finds a trailing signature (ingest.signatures),
and `new_text_of` does both. mail-parser-reply's table of reply headers ("On … wrote:",
"Am … schrieb …:", Outlook "From:/Sent:" blocks in a dozen languages) finds most quotations;
ingest.quotation's rules add what it misses. The result is made of the body's own lines, never
rewritten, so character offsets into it (evidence spans) point at text the reader sees.
"""

from __future__ import annotations

from ingest.quotation import quote_start, reply_text
from ingest.signatures import signature_start

__all__ = ["new_text_of", "new_text_span", "quote_start", "reply_text", "signature_start"]


def new_text_of(body: str, *, sender_name: str = "", sender: str = "") -> str:
    """The part of `body` its sender wrote in this message, without their signature."""
    reply = reply_text(body)
    return reply[: signature_start(reply, sender_name=sender_name, sender=sender)].rstrip()


def new_text_span(body: str, *, sender_name: str = "", sender: str = "") -> int:
    """End offset of the new text in `body`: before quoted history and the signature."""
    end = quote_start(body)
    head = body[:end]
    return len(head[: signature_start(head, sender_name=sender_name, sender=sender)].rstrip())
