"""A message's MIME tree as `email.parser` (compat32) builds it, with less work for mail that
is well formed.

The standard parser reads every body line by line in Python, testing each line against the
boundaries of every enclosing multipart: most of the cost of a message with a long body or
an attachment. Here each header block still goes through the standard parser (headers and
their defects are its own), but the bodies are cut out whole: a single-part body becomes the
payload in one piece, and a multipart body is split at its boundary lines, found with
`str.find`, each part parsed the same way. The rules the parser applies at the cut are
applied here too: the line break before a boundary belongs to the boundary, the preamble and
epilogue are kept as it keeps them.

Anything outside the common, well-formed case gives None, and the caller parses the message
with the standard parser as before: message/* parts, multipart/digest, a missing or
repeated boundary, no closing boundary, a header block not ended by a blank line, a
multipart with a transfer encoding. tests/ingest/test_multipart.py holds the two parsers to
the same tree on crafted cases, the bench's mail and the corpora.
"""

from __future__ import annotations

import re
from email import feedparser, policy
from email.message import Message
from email.parser import Parser
from io import StringIO

from ingest.boundaries import boundary_tail

# The parser's own patterns for a header line and a line break (not in typeshed's stubs).
_HEADER_LINE: re.Pattern[str] = feedparser.headerRE  # type: ignore[attr-defined]
_LINE_BREAK: re.Pattern[str] = feedparser.NLCRE  # type: ignore[attr-defined]
_BREAK = re.compile(r"[\r\n]")
_PLAIN_ENCODINGS = ("7bit", "8bit", "binary")


def header_end(text: str) -> int | None:
    """Where the body starts, after the blank line that ends the header block, as
    `email.feedparser` finds it (its line breaks, its header-line pattern); None if a line
    that is neither header nor blank ends the block, or the text ends within it."""
    lines = StringIO(text, newline="")  # splits as the parser's buffer does
    end = 0
    while line := lines.readline():
        end += len(line)
        if not _HEADER_LINE.match(line):
            return end if _LINE_BREAK.match(line) else None
    return None


def _line_end(text: str, start: int) -> int:
    found = _BREAK.search(text, start)
    if found is None:
        return len(text)
    end = found.end()
    return end + 1 if text.startswith("\r\n", found.start()) else end


def _boundary_lines(body: str, separator: str) -> list[tuple[int, int, bool]] | None:
    """(start, end, closing) of each line of `body` that is a boundary line for
    `separator`, up to the closing one; None unless the body is well formed: at least one
    part, each boundary line with text between it and the next, and a closing line."""
    lines: list[tuple[int, int, bool]] = []
    after = len(separator)
    pos = body.find(separator)
    while pos != -1:
        if pos == 0 or body[pos - 1] in "\r\n":
            end = _line_end(body, pos)
            found = boundary_tail(body[pos:end], after)
            if found is not None:
                closing = bool(found.group("end"))
                if lines and lines[-1][1] == pos:
                    return None  # two boundary lines in a row: the parser's special case
                lines.append((pos, end, closing))
                if closing:
                    return lines if len(lines) > 1 else None
                pos = body.find(separator, end)
                continue
        pos = body.find(separator, pos + 1)
    return None  # no closing boundary


def _strip_break(text: str) -> str:
    """`text` without the one CRLF, CR or LF at its end, as the parser strips it."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\r", "\n")) else text


# Parts nested deeper than this are left to the standard parser (real mail nests two or
# three levels; a crafted message must not run this recursion out of stack).
MAX_DEPTH = 32


def parse(text: str, depth: int = 0) -> Message | None:
    """The message `text` as `Parser(policy=compat32).parsestr(text)` gives it, or None
    where that takes the standard parser (see the module's docstring)."""
    if depth > MAX_DEPTH:
        return None
    end = header_end(text)
    if end is None:
        return None
    msg = Parser(policy=policy.compat32).parsestr(text[:end], headersonly=True)
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    body = text[end:]
    if maintype != "multipart":
        msg.set_payload(body)
        return msg
    boundary = msg.get_boundary()
    if (boundary is None or msg.get_content_type() == "multipart/digest"
            or str(msg.get("content-transfer-encoding", "8bit")).lower()
            not in _PLAIN_ENCODINGS):
        return None
    lines = _boundary_lines(body, "--" + boundary)
    if lines is None:
        return None
    parts: list[Message | str] = []
    for (_start, part_start, _closing), (part_end, _end, _next) in zip(
            lines, lines[1:], strict=False):
        part = parse(body[part_start:part_end], depth + 1)
        if part is None:
            return None
        if part.is_multipart():
            # Set below for every multipart this returns: a string, never None.
            part.epilogue = _strip_break(part.epilogue) if part.epilogue else None
        elif isinstance(part._payload, str):  # type: ignore[attr-defined]
            part.set_payload(_strip_break(part._payload))  # type: ignore[attr-defined]
        parts.append(part)
    first = lines[0][0]
    if first:
        msg.preamble = _strip_break(body[:first])
    msg.set_payload(parts)
    msg.epilogue = body[lines[-1][1]:]
    return msg
