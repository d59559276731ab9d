"""The new text of a reply: quoted earlier messages and the signature taken away.

mail-parser-reply does the recognition (reply headers in many languages, Outlook blocks,
`>` quoting, signatures); the full body is always kept beside the new text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES


@lru_cache(maxsize=1)
def _parser() -> EmailReplyParser:
    # "david" in the table is a test entry of the library, not a language.
    return EmailReplyParser(languages=[lang for lang in MAIL_LANGUAGES if lang != "david"])


_QUOTED_LINE = re.compile(r"^\s*>")


def new_text_of(body: str) -> str:
    """The part of `body` its sender wrote in this message."""
    if not body.strip():
        return ""
    try:
        replies = _parser().read(body).replies
    except (re.error, IndexError, ValueError):
        replies = []
    if replies and replies[0].body.strip():
        return replies[0].body.strip()
    # Nothing recognised as a reply: keep what is not `>`-quoted.
    kept = [line for line in body.splitlines() if not _QUOTED_LINE.match(line)]
    return "\n".join(kept).strip()
