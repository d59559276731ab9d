"""The `email` parser's multipart boundary test, without compiling a regex per message.

For every multipart part it meets, `email.feedparser` compiles the pattern
`(?P<sep>--BOUNDARY)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$` and calls its
`match` on each line. Boundaries are unique per message, so `re`'s cache never helps and the
compile (~200 µs) was about a quarter of the cost of parsing a multipart message.

`install()` gives the feedparser module a view of `re` whose `compile` recognises that one
pattern and returns an equivalent matcher: the literal separator tested with `startswith`,
then one precompiled pattern for the rest of the line, matched from the separator's end. The
match object has the same `end`, `ws` and `linesep` groups the parser reads. Any other
pattern, or this one in another form (another Python version), compiles as before.
"""

from __future__ import annotations

import re
from email import feedparser
from typing import Any

_HEAD = "(?P<sep>"
_TAIL_SOURCE = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_TAIL = re.compile(r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)  # the inverse of re.escape


def boundary_tail(line: str, after: int) -> re.Match[str] | None:
    """The rest of a line that starts with a boundary's separator (`after` characters), if
    it makes the line a boundary line: `--` for the closing one, blanks, the line break."""
    return _TAIL.match(line, after)


class BoundaryLine:
    """`re.compile("(?P<sep>" + re.escape(separator) + _TAIL_SOURCE)`, as far as the
    parser uses it: `match(line)`."""

    __slots__ = ("separator", "_after")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self._after = len(separator)

    def match(self, line: str) -> re.Match[str] | None:
        if line.startswith(self.separator):
            return _TAIL.match(line, self._after)
        return None


class _ReForFeedparser:
    """The `re` module as email.feedparser sees it once installed."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        if (flags == 0 and isinstance(pattern, str) and pattern.startswith(_HEAD)
                and pattern.endswith(_TAIL_SOURCE)):
            escaped = pattern[len(_HEAD):-len(_TAIL_SOURCE)]
            return BoundaryLine(_ESCAPED.sub(r"\1", escaped))
        return re.compile(pattern, flags)


def install() -> None:
    """Give email.feedparser the boundary matcher (idempotent; process-wide)."""
    if not isinstance(feedparser.re, _ReForFeedparser):  # type: ignore[attr-defined]
        feedparser.re = _ReForFeedparser()  # type: ignore[attr-defined]
