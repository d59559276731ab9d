"""Reply stripping against talon's standard replies: matches/total and pass/fail per file.

    python bench/quotes_talon.py [--corpus ../shared/corpora/email/talon/standard_replies]

Each `standard_replies/X.eml` goes through `ingest.mime.parse_email` and its `new_text` is
compared with talon's expected reply: `X_reply_text` where the fixture has one, else "Hello",
the default talon's own test (`test_standard_replies`) gives every other fixture.

Comparison, on both sides: CRLF as LF, trailing spaces of each line dropped, runs of blank
lines as one, leading and trailing blank lines dropped. Nothing else: words, line breaks
and punctuation must match. talon's expected replies keep the signature (its test covers
quotation removal only) while commwatch's new text also drops it, so the expected side
loses a trailing signature in the two standard shapes only: an RFC 3676 "-- " block, or a
last "Sent from …"/"Sent with …" line. The figure without that step, and the figure of the
quotation stage alone (`reply_text`, which keeps signatures, against the raw expectation),
are printed too.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.mime import parse_email
from ingest.quotes import reply_text

DEFAULT_CORPUS = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "email" / "talon"
    / "standard_replies"
)
# outlook.eml has no Date header; parse_email then needs the arrival time a source gives.
ARRIVED = datetime(2012, 4, 3, tzinfo=UTC)


def normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def without_signature(text: str) -> str:
    """`text` less a trailing "-- " signature block or a last "Sent from/with …" line."""
    lines = normalise(text).split("\n")
    for i, line in enumerate(lines):
        if line in ("--", "-- "):
            return normalise("\n".join(lines[:i]))
    if len(lines) > 1 and re.match(r"(?i)sent (?:from|with) ", lines[-1]):
        return normalise("\n".join(lines[:-1]))
    return normalise(text)


@dataclass(frozen=True)
class Result:
    name: str
    expected: str
    new_text: str
    reply: str

    @property
    def passed(self) -> bool:
        return normalise(self.new_text) == without_signature(self.expected)

    @property
    def passed_raw(self) -> bool:
        return normalise(self.new_text) == normalise(self.expected)

    @property
    def reply_passed(self) -> bool:
        return normalise(self.reply) == normalise(self.expected)


def measure(corpus: Path = DEFAULT_CORPUS) -> list[Result]:
    results = []
    for eml in sorted(corpus.glob("*.eml")):
        expected_file = eml.with_name(f"{eml.stem}_reply_text")
        expected = expected_file.read_text(encoding="utf-8") if expected_file.exists() else "Hello"
        parsed = parse_email(eml.read_bytes(), received_at=ARRIVED)
        results.append(Result(eml.name, expected, parsed.new_text, reply_text(parsed.body_text)))
    return results


def figure(results: list[Result], attribute: str = "passed") -> str:
    matches = sum(getattr(r, attribute) for r in results)
    share = matches / len(results) if results else 0.0
    return f"{matches}/{len(results)} ({share:.1%})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"{args.corpus} is not a folder: the talon fixtures live in ../shared/corpora")
        return 2
    results = measure(args.corpus)
    for r in results:
        print(f"{'pass' if r.passed else 'FAIL'}  {r.name:22} new_text={r.new_text[:60]!r}")
        if not r.passed:
            print(f"      expected {without_signature(r.expected)!r}")
    print(f"\nnew_text vs expected (signature shapes dropped):  {figure(results)}")
    print(f"new_text vs expected, verbatim:                   {figure(results, 'passed_raw')}")
    print(f"reply_text (quotation stage) vs expected:          {figure(results, 'reply_passed')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
