"""The multipart boundary matcher given to email.feedparser (ingest.boundaries) parses every
message into the same tree as the regex the parser compiles itself: crafted boundary edge
cases, the bench's generated mail and every file of the email corpora."""

from __future__ import annotations

import re
import sys
from email import feedparser, message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from ingest import boundaries
from tests.conftest import SHARED_CORPORA

ROOT = Path(__file__).resolve().parents[2]


def tree(msg: Message) -> list[object]:
    """Everything the parser decides about a message: each part's headers, payload,
    preamble, epilogue and defects, in walk order."""
    shape: list[object] = []
    for part in msg.walk():
        payload = None if part.is_multipart() else part.get_payload()
        shape.append((part.items(), payload, part.preamble, part.epilogue,
                      [type(d).__name__ for d in part.defects]))
    return shape


def both(data: bytes) -> tuple[list[object], list[object]]:
    boundaries.install()
    fast = tree(message_from_bytes(data, policy=policy.compat32))
    saved = feedparser.re  # type: ignore[attr-defined]
    feedparser.re = re  # type: ignore[attr-defined]
    try:
        slow = tree(message_from_bytes(data, policy=policy.compat32))
    finally:
        feedparser.re = saved  # type: ignore[attr-defined]
    return fast, slow


def multipart(boundary: str, body: str, eol: str = "\n") -> bytes:
    head = (f'From: a@example.com{eol}Subject: t{eol}MIME-Version: 1.0{eol}'
            f'Content-Type: multipart/mixed; boundary="{boundary}"{eol}{eol}')
    return (head + body.replace("\n", eol)).encode()


PART = "Content-Type: text/plain\n\nhello\n"
CASES = {
    "plain": multipart("b1", f"pre\n--b1\n{PART}--b1\n{PART}--b1--\nepilogue\n"),
    "crlf": multipart("b1", f"--b1\n{PART}--b1--\n", eol="\r\n"),
    "bare cr": multipart("b1", f"--b1\n{PART}--b1--\n", eol="\r"),
    "regex characters": multipart("a.b*c+(d)?[e]|$^\\x{2}",
                                  f"--a.b*c+(d)?[e]|$^\\x{{2}}\n{PART}"
                                  f"--a.b*c+(d)?[e]|$^\\x{{2}}--\n"),
    "looks like the pattern": multipart(
        ")(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$",
        f"--)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$\n{PART}"
        f"--)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$--\n"),
    "dot does not match any character": multipart("a.b", f"--axb\n{PART}--a.b\n{PART}--a.b--\n"),
    "trailing blanks": multipart("b1", f"--b1 \t \n{PART}--b1--  \n"),
    "text after the boundary": multipart("b1", f"--b1x\n{PART}--b1\n{PART}--b1--\n"),
    "text after the close": multipart("b1", f"--b1\n{PART}--b1--x\n--b1--\n"),
    "no close boundary": multipart("b1", f"--b1\n{PART}--b1\n{PART}"),
    "no boundary at all": multipart("b1", "just text\n"),
    "double boundary lines": multipart("b1", f"--b1\n--b1\n{PART}--b1--\n"),
    "prefix boundaries nested": multipart(
        "b", "--b\nContent-Type: multipart/alternative; boundary=\"b2\"\n\n"
        f"--b2\n{PART}--b2--\n--b\n{PART}--b--\n"),
    "no final line break": multipart("b1", f"--b1\n{PART}--b1--"),
    "unicode boundary": multipart("bö", f"--bö\n{PART}--bö--\n"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_crafted_boundaries_parse_as_with_the_compiled_pattern(name: str) -> None:
    fast, slow = both(CASES[name])
    assert fast == slow


def test_the_matcher_is_what_the_parser_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails if the parser's pattern no longer has the form the matcher stands in for, so
    the speed-up would be silently lost (the parse itself stays right either way)."""
    made: list[str] = []

    class Counted(boundaries.BoundaryLine):
        def __init__(self, separator: str) -> None:
            made.append(separator)
            super().__init__(separator)

    monkeypatch.setattr(boundaries, "BoundaryLine", Counted)
    boundaries.install()
    message_from_bytes(CASES["prefix boundaries nested"], policy=policy.compat32)
    assert made == ["--b", "--b2"]
    pattern = boundaries.BoundaryLine("--a.b")
    match = pattern.match("--a.b-- \r\n")
    assert match is not None and match.group("end") == "--" and match.group("linesep") == "\r\n"
    assert pattern.match("--axb\n") is None and pattern.match("x--a.b\n") is None


def test_the_standard_parser_gets_the_matcher_when_a_message_needs_it(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.mime import _message

    monkeypatch.setattr(feedparser, "re", re)
    _message(CASES["text after the boundary"].replace(b"--b1--", b"--b1"))  # no close: stdlib
    assert isinstance(feedparser.re, boundaries._ReForFeedparser)  # type: ignore[attr-defined]


def test_generated_bench_mail_parses_as_with_the_compiled_pattern() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.ingest_imap import make_message

    for i in range(300):
        fast, slow = both(make_message(i))
        assert fast == slow, i


@pytest.mark.skipif(not (SHARED_CORPORA / "email").is_dir(), reason="email corpora not found")
def test_corpora_parse_as_with_the_compiled_pattern() -> None:
    files = [p for p in sorted((SHARED_CORPORA / "email").rglob("*")) if p.is_file()]
    assert len(files) > 100
    for path in files:
        fast, slow = both(path.read_bytes())
        assert fast == slow, path
