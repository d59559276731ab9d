"""HTML mail bodies to readable plain text (never rendered, only read)."""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
    "pre", "hr", "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_CELL_GAP = re.compile(r"[ \t]*\t[ \t]*")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(_collapse_spaces(data))


def _collapse_spaces(text: str) -> str:
    r"""Each run of whitespace as one space, as re.sub(r"\s+", " ", text) has it (str.split
    and the pattern's \s mean the same characters), without a regex step per character."""
    words = text.split()
    if not words:
        return " " if text else ""
    joined = " ".join(words)
    if text[0].isspace():
        joined = " " + joined
    if text[-1].isspace():
        joined += " "
    return joined


# The tidy HTML that mail clients write, token by token in C: start tags with plain
# attributes, end tags, comments and a doctype. On such input html.parser makes exactly
# these calls (one data call per run of text, unescaped; script and style content raw up to
# their end tag), so the extractor is fed them directly; anything else (a stray "<", an
# unterminated tag or comment, unusual attribute syntax) goes through html.parser itself.
_WS = r"[ \t\n\r\f]"
_NAME = r"[a-zA-Z][-.a-zA-Z0-9:_]*"
_TOKEN = re.compile(
    rf"<(?:({_NAME})(?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{_WS}*={_WS}*"
    rf"""(?:"[^"<>]*"|'[^'<>]*'|[-a-zA-Z0-9_.:/#%]+))?)*{_WS}*(/?)>"""
    rf"|/({_NAME}){_WS}*>|(!--)|![dD][oO][cC][tT][yY][pP][eE][^<>]*>)"
)
_COMMENT_END = re.compile(r"--\s*>")  # as html.parser (via _markupbase) finds it
_RAW_TEXT = ("script", "style")  # html.parser's CDATA_CONTENT_ELEMENTS


# The references mail clients write, for text whose every "&" starts one of them: replaced
# in turn ("&amp;" last, so "&amp;lt;" stays "&lt;"), as html.unescape reads them.
_COMMON_REFERENCES = (("&gt;", ">"), ("&lt;", "<"), ("&quot;", '"'), ("&#39;", "'"),
                      ("&nbsp;", "\xa0"), ("&amp;", "&"))


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    count = text.count
    if count("&") != (count("&gt;") + count("&lt;") + count("&quot;") + count("&#39;")
                      + count("&nbsp;") + count("&amp;")):
        return unescape(text)
    for ref, char in _COMMON_REFERENCES:
        text = text.replace(ref, char)
    return text


@lru_cache(maxsize=4)
def _raw_text_end(tag: str) -> re.Pattern[str]:
    # As html.parser's set_cdata_mode finds the end of a script or style element.
    return re.compile(rf"</\s*{tag}\s*>", re.IGNORECASE)


def _feed_tidy(parser: _TextExtractor, html: str) -> bool:
    """Feed `html` to the parser's handlers if it is tidy HTML; False (and nothing sure
    about what was fed) if it is not."""
    on_start, on_end, on_data = parser.handle_starttag, parser.handle_endtag, parser.handle_data
    find, match = html.find, _TOKEN.match
    no_attrs: list[tuple[str, str | None]] = []
    pos, size = 0, len(html)
    while pos < size:
        start = find("<", pos)
        if start < 0:
            on_data(_unescape(html[pos:]))
            return True
        if start > pos:
            on_data(_unescape(html[pos:start]))
        token = match(html, start)
        if token is None:
            return False
        pos = token.end()
        name, closed, end_name, comment = token.groups()
        if name:
            tag = name.lower()
            on_start(tag, no_attrs)
            if closed:
                on_end(tag)
            elif tag in _RAW_TEXT:
                end = _raw_text_end(tag).search(html, pos)
                if end is None:
                    return False
                if end.start() > pos:
                    on_data(html[pos : end.start()])
                on_end(tag)
                pos = end.end()
        elif end_name:
            on_end(end_name.lower())
        elif comment:
            end = _COMMENT_END.search(html, pos)
            if end is None:
                return False
            pos = end.end()
    return True


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: blocks on their own lines, table cells tab-separated."""
    parser = _TextExtractor()
    if not _feed_tidy(parser, html):
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    if "\t" in text:
        text = _CELL_GAP.sub("\t", text)  # it never spans lines: as if line by line
    lines = [line.strip(" \t") for line in text.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()
