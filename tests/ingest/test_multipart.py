"""ingest.multipart builds the MIME tree the standard parser builds (compat32), or declines:
crafted well-formed and broken multiparts, the bench's generated mail and every file of the
email corpora, compared part by part."""

from __future__ import annotations

import sys
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from ingest import multipart
from ingest.mime import _message
from tests.conftest import SHARED_CORPORA

ROOT = Path(__file__).resolve().parents[2]


def shape(msg: Message) -> list[object]:
    """Everything the parser decides, part by part in walk order."""
    return [
        (part.get_content_type(), part.items(), [type(d).__name__ for d in part.defects],
         None if part.is_multipart() else part._payload,  # type: ignore[attr-defined]
         part.get_unixfrom(), part.preamble, part.epilogue, part.get_default_type(),
         sorted(vars(part)))
        for part in msg.walk()
    ]


def as_string(msg: Message) -> str:
    """The message written out again, or the error writing it raises (the same on both)."""
    try:
        return msg.as_string()
    except (UnicodeError, LookupError) as exc:
        return f"{type(exc).__name__}: {exc}"


def assert_same(raw: bytes) -> Message | None:
    """`_message` equals the standard parser's tree; returns the fast parse (None if it
    declined)."""
    expected = message_from_bytes(raw, policy=policy.compat32)
    got = _message(raw)
    assert shape(got) == shape(expected)
    assert as_string(got) == as_string(expected)
    return multipart.parse(raw.decode("ascii", "surrogateescape"))


def mime(content_type: str, body: str, eol: str = "\n", extra: str = "") -> bytes:
    head = (f"From: a@example.com{eol}Subject: t{eol}MIME-Version: 1.0{eol}{extra}"
            f"Content-Type: {content_type}{eol}{eol}")
    return (head + body.replace("\n", eol)).encode("utf-8", "surrogateescape")


TEXT = "Content-Type: text/plain; charset=utf-8\n\nhello\nworld\n"
HTML = "Content-Type: text/html\n\n<p>hello</p>\n"
ALT = 'Content-Type: multipart/alternative; boundary="alt"\n\n' \
      f"--alt\n{TEXT}--alt\n{HTML}--alt--\n"
PDF = ('Content-Type: application/pdf; name="a.pdf"\nContent-Transfer-Encoding: base64\n'
       'Content-Disposition: attachment; filename="a.pdf"\n\nJVBERi0xLjQK\nJSVFT0YK\n')
MIXED = 'multipart/mixed; boundary="mix"'

# Well formed: the fast parse must take these.
TAKEN = {
    "alternative": mime('multipart/alternative; boundary="b"', f"--b\n{TEXT}--b\n{HTML}--b--\n"),
    "nested": mime(MIXED, f"--mix\n{ALT}--mix\n{PDF}--mix--\n"),
    "preamble and epilogue": mime(MIXED, f"This is MIME.\n\n--mix\n{TEXT}--mix--\nbye\nnow\n"),
    "crlf": mime(MIXED, f"--mix\n{ALT}--mix\n{PDF}--mix--\n", eol="\r\n"),
    "bare cr": mime(MIXED, f"pre\n--mix\n{TEXT}--mix--\n", eol="\r"),
    "no line break at the end": mime(MIXED, f"--mix\n{TEXT}--mix--"),
    "blanks after boundaries": mime(MIXED, f"--mix  \n{TEXT}--mix\t\n{HTML}--mix-- \n"),
    "part without headers": mime(MIXED, "--mix\n\njust text\n--mix--\n"),
    "part with an empty body": mime(MIXED, f"--mix\nContent-Type: text/plain\n\n--mix\n{TEXT}"
                                           "--mix--\n"),
    "boundary-like text in a part": mime(MIXED, "--mix\n\n--mixed feelings\n --mix\n"
                                                "x--mix\n--mix--\n"),
    "regex characters in the boundary": mime('multipart/mixed; boundary="a.b*(c)?"',
                                             f"--a.b*(c)?\n{TEXT}--a.b*(c)?--\n"),
    "inner boundary extends the outer": mime(
        'multipart/mixed; boundary="b"',
        '--b\nContent-Type: multipart/alternative; boundary="b2"\n\n'
        f"--b2\n{TEXT}--b2--\ninner epilogue\n--b\n{HTML}--b--\n"),
    "empty inner epilogue": mime(MIXED, f"--mix\n{ALT}\n--mix--\n"),
    "eight-bit bytes": mime(MIXED, "--mix\nContent-Type: text/plain; charset=latin-1\n\n"
                                   "caf\udce9\n--mix--\n"),
    "unix from line in a part": mime(MIXED, "--mix\nFrom someone\nSubject: x\n\nbody\n--mix--\n"),
    "header defects kept": mime(MIXED, f"--mix\n  a continuation first\n{TEXT}--mix--\n"),
    "quoted-printable part": mime(MIXED, "--mix\nContent-Transfer-Encoding: quoted-printable\n"
                                         "\ncaf=C3=A9 =\nnext\n--mix--\n"),
}

# Not the common case: the fast parse declines and the standard parser reads them.
DECLINED = {
    "no closing boundary": mime(MIXED, f"--mix\n{TEXT}--mix\n{HTML}"),
    "no boundary line at all": mime(MIXED, "just text\n"),
    "closing boundary only": mime(MIXED, "text\n--mix--\n"),
    "two boundary lines in a row": mime(MIXED, f"--mix\n--mix\n{TEXT}--mix--\n"),
    "no boundary parameter": mime("multipart/mixed", f"--mix\n{TEXT}--mix--\n"),
    "transfer-encoded multipart": mime(MIXED, f"--mix\n{TEXT}--mix--\n",
                                       extra="Content-Transfer-Encoding: base64\n"),
    "digest": mime('multipart/digest; boundary="d"', "--d\n\nSubject: x\n\nhi\n--d--\n"),
    "message part": mime(MIXED, "--mix\nContent-Type: message/rfc822\n\nSubject: in\n\nhi\n"
                                "--mix--\n"),
    "part headers without a blank line": mime(MIXED, "--mix\nContent-Type: text/plain\n--mix--\n"),
    "inner closing boundary missing": mime(
        MIXED, '--mix\nContent-Type: multipart/alternative; boundary="alt"\n\n'
               f"--alt\n{TEXT}--mix\n{HTML}--mix--\n"),
    "same boundary nested": mime(
        MIXED, '--mix\nContent-Type: multipart/alternative; boundary="mix"\n\n'
               f"--mix\n{TEXT}--mix--\n--mix--\n"),
    "a header line the parser cannot read": mime(MIXED, f"--mix\n{TEXT}--mix--\n",
                                                 extra="Subject : spaced\n"),
    "top header block not ended": b"Subject: a\nContent-Type: multipart/mixed; boundary=b",
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_well_formed_multipart_is_parsed_as_the_standard_parser_does(name: str) -> None:
    assert assert_same(TAKEN[name]) is not None


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_other_multipart_is_left_to_the_standard_parser(name: str) -> None:
    assert assert_same(DECLINED[name]) is None


def test_deep_nesting_is_left_to_the_standard_parser() -> None:
    def nested(depth: int) -> str:
        body = TEXT
        for n in range(depth):
            body = (f'Content-Type: multipart/mixed; boundary="n{n}"\n\n'
                    f"--n{n}\n{body}--n{n}--\n")
        return body

    assert assert_same(("From: a@example.com\n" + nested(3)).encode()) is not None
    deep = ("From: a@example.com\n" + nested(multipart.MAX_DEPTH + 2)).encode()
    assert assert_same(deep) is None


def test_generated_bench_mail_is_parsed_as_the_standard_parser_does() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.ingest_imap import make_message

    kinds = set()
    for i in range(400):
        fast = assert_same(make_message(i))
        assert fast is not None, i  # the bench's mail is all well formed
        kinds.add(fast.get_content_type())
    assert {"text/plain", "multipart/alternative", "multipart/mixed", "text/html"} <= kinds


@pytest.mark.skipif(not (SHARED_CORPORA / "email").is_dir(), reason="email corpora not found")
def test_corpora_are_parsed_as_the_standard_parser_does() -> None:
    files = [p for p in sorted((SHARED_CORPORA / "email").rglob("*")) if p.is_file()]
    taken = 0
    for path in files:
        try:
            taken += assert_same(path.read_bytes()) is not None
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from exc
    assert taken > len(files) // 2
