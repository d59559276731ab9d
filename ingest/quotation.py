"""Quoted earlier messages in a reply body: where they start, and the reply without them.

Reply headers ("On … wrote:", Outlook From-blocks, "-----Original Message-----") and `>`
markers mark each line; `reply_text` keeps the sender's lines, `quote_start` gives the offset
where quotation begins. mail-parser-reply's table of reply headers in a dozen languages finds
most of them; the rules below add what it misses. The signature stage is ingest.signatures,
and ingest.quotes puts the two together.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR, MAIL_LANGUAGES

# "david" in the library's table is a test entry, not a language.
LANGUAGES = [table for name, table in MAIL_LANGUAGES.items() if name != "david"]

_QUOTED = re.compile(r"^\s*>")
# "From:", "*Sent:*", "Объект :" — the key of a header line in any language.
_KEY_LINE = re.compile(r"^[>* ]*[^\W\d_][^:\n]{0,30}?\s?:")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\d{4}年|"
    r"(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{1,4}\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


# How the library's patterns start: a "wrote" line at a line start, a From-block line at a
# line start or at the newline before it.
_WROTE_HEAD = "^"
_FROM_HEAD = "((?:(?:^|\\n|\\n(?:> ?)*)[* ]*"


def _either(patterns: list[str], head: str, at_head: str) -> str:
    """The patterns as one alternation, in their order, with each run of those that start
    with `head` behind the assertion `at_head`. The assertion holds wherever they can start
    to match, so the matches are the same; it fails at once everywhere else, where the
    engine would otherwise try each alternative in turn at every character."""
    branches: list[str] = []
    run: list[str] = []
    for pattern in [*patterns, None]:
        if pattern is not None and pattern.startswith(head):
            run.append(f"(?:{pattern})")
            continue
        if run:
            branches.append(f"{at_head}(?:{'|'.join(run)})")
            run = []
        if pattern is not None:
            branches.append(f"(?:{pattern})")
    return "|".join(branches)


@lru_cache(maxsize=1)
def _library_headers() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """mail-parser-reply's "wrote" lines and From-blocks, each as one pattern over all
    languages (compiled once: building them is most of the library's cost per message)."""
    flags = re.MULTILINE | re.IGNORECASE
    wrote = [t["wrote_header"] for t in LANGUAGES if t.get("wrote_header")]
    froms = [t["from_header"] for t in LANGUAGES if t.get("from_header")]
    return (
        re.compile(_either([*wrote, GENERIC_MAIL_SEPARATOR], _WROTE_HEAD, "^"), flags),
        re.compile(_either(froms, _FROM_HEAD, "(?:^|(?=\\n))"), flags),
    )


# Rule: an attribution line the library has no language for, or wrapped over up to three
# lines: the Russian Android "02.04.2012 14:20 пользователь "x" <\nx@y> написал:", Samsung's
# "Sent from Samsung Mobile<name> <x@y> wrote:", yandex' "26.06.2014, 14:41, "X" <x@y>:".
# It ends with a colon and either ends in a "wrote" verb and names a date, time or address,
# or names all three (date, time and address) — prose seldom does either.
_WROTE_END = re.compile(
    r"(?:wrote|writes|schrieb|geschrieben|geschreven|a écrit|escribió|escreveu|ha scritto|"
    r"schreef|skrev|napisał(?:\(a\)|a)?|napsal(?:\(a\)|a)?|написал(?:\(а\)|а)?|пишет|написав|kirjoitti|írta|"
    r"yazdı|έγραψε|写道|寫道|書きました)\s*[:：]$",
    re.IGNORECASE,
)
# A header wrapped over several lines starts like one: a date, a digit, or an "On" word.
_HEADER_HEAD = re.compile(
    r"^(?:\d|(?:on|am|le|el|il|op|em|den|dne|dnia|w dniu|på|в|(?:mon|tue|wed|thu|fri|sat|sun|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\b)",
    re.IGNORECASE,
)


def _is_attribution(text: str) -> bool:
    # "------On 12/29/1987 17:32 PM, X wrote-----": the dashes stand for the colon.
    decorated = re.fullmatch(r"[-=_*]{3,}\s*(.+?)\s*[-=_*]{3,}", text)
    if decorated:
        text = decorated.group(1).rstrip(":：") + ":"
    if len(text) > 300 or not text.endswith((":", "：")):
        return False
    if _WROTE_END.search(text):
        return bool(_EMAIL.search(text) or _DATE.search(text) or _TIME.search(text))
    return bool(_EMAIL.search(text) and _DATE.search(text) and _TIME.search(text))


# Rule: Outlook's From-block in languages missing from the library's table (Russian and
# Ukrainian Outlook/Windows Mail, Portuguese): two or more header lines, one of them "From".
_EXTRA_KEY = re.compile(
    r"^\*?(от|отправлено|кому|тема|дата|копия|від|надіслано|de|enviad[oa](?: em)?|para|"
    r"assunto|data|cc)\*?\s?:",
    re.IGNORECASE,
)
_EXTRA_FROM_KEYS = {"от", "від", "de"}

# Rule: "-----Original Message-----" and its kin in other languages, forwarded-message
# markers, and Outlook's "________________________________" rule above a header line.
_SEPARATOR = re.compile(
    r"^[-_=* ]{3,}(?:original message|reply message|forwarded message|ursprüngliche nachricht|"
    r"originalnachricht|weitergeleitete nachricht|message d'origine|message transféré|"
    r"mensaje original|mensaje reenviado|messaggio originale|messaggio inoltrato|"
    r"oorspronkelijk bericht|doorgestuurd bericht|oprindelig meddelelse|ursprungligt meddelande|"
    r"opprinnelig melding|alkuperäinen viesti|wiadomość oryginalna|původní zpráva|"
    r"исходное сообщение|пересылаемое сообщение|mensagem original|mensagem encaminhada)"
    r"[-_=* ]{3,}$|^begin forwarded message:$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^_{10,}$")


# Where an attribution begins after text on the same line ("reply On Wed, … wrote:"), as
# some clients' HTML-to-text conversion leaves it.
_INNER_HEAD = re.compile(
    r"(?:^|[\s-])((?:On|Am|Le|El|Il|Op|Em|Den|Dne|Dnia|W dniu|På)\s+(?:\d|(?i:(?:mon|tue|wed|"
    r"thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)))"
)

_MAX_HEADER_LINE = 300

# A splitter: first and last line of a reply header, and the column it starts at.
_Span = tuple[int, int, int]


def _unquoted_lines(stripped: list[str]) -> list[int]:
    """Indexes of the lines (stripped of indentation) that do not start with `>`: quoted
    lines, most of a long history, can hold no reply header and are never looked at."""
    return [i for i, line in enumerate(stripped) if line[:1] != ">"]


def _ends_header(line: str) -> bool:
    return len(line) <= _MAX_HEADER_LINE and line.endswith((":", "："))


def _library_spans(stripped: list[str], unquoted: list[int]) -> list[_Span]:
    """mail-parser-reply's table, run over the lines without indentation as it does itself;
    `unquoted` are the lines not marked with `>`."""
    # Its "On … wrote:" patterns backtrack quadratically on a long line; no reply header is
    # that long, so such lines are left out. So is every line that cannot be part of what a
    # pattern looks for: a "wrote" header ends its line with a colon (after a wrapped line at
    # most), a From-block is lines that start with a key and a colon, and a separator is a
    # "-----" rule. A `>` line is quotation whatever it says. A run of lines left out becomes
    # one empty line, which breaks a header block just as the lines it stands for did. Most
    # of a long quoted history goes, and with it most of the time the patterns take.
    final = len(stripped) - 1
    near_ends = [
        i for i in unquoted
        if len(stripped[i]) <= _MAX_HEADER_LINE and (
            _ends_header(stripped[i]) or (i < final and _ends_header(stripped[i + 1]))
            or "-----" in stripped[i]
        )
    ]
    wrote, froms = _library_headers()
    spans: list[_Span] = []
    for first, last in _matched_lines(wrote, stripped, near_ends):
        spans.append((first, last, 0))
    keyed = [
        i for i in unquoted
        if len(stripped[i]) <= _MAX_HEADER_LINE
        and (_KEY_LINE.match(stripped[i]) or "-----" in stripped[i])
    ]
    for first, last in _matched_lines(froms, stripped, keyed):
        keys = [i for i in range(first, last + 1) if _KEY_LINE.match(stripped[i])]
        # The library means "two or more header lines" (its Polish entry accepts one, which
        # would cut at any line starting "Data:").
        if len(keys) >= 2:
            spans.append((_from_block_top(stripped, keys[0]), keys[-1], 0))
    return spans


def _matched_lines(
    pattern: re.Pattern[str], stripped: list[str], wanted: list[int]
) -> list[tuple[int, int]]:
    """First and last line of each match of `pattern` over the wanted lines, in order (each
    run of other lines as one empty line)."""
    kept: list[str] = []
    origin: list[int] = []  # kept line -> line of `stripped` (a run: its first line)
    previous = -1
    for i in wanted:
        if i > previous + 1:
            kept.append("")
            origin.append(previous + 1)
        kept.append(stripped[i])
        origin.append(i)
        previous = i
    if not any(kept):
        return []
    if previous + 1 < len(stripped):
        kept.append("")
        origin.append(previous + 1)
    text = "\n".join(kept)
    starts = [0]
    for line in kept:
        starts.append(starts[-1] + len(line) + 1)
    found = []
    for match in pattern.finditer(text):
        first = match.start() + len(match.group()) - len(match.group().lstrip("\n"))
        last = max(first, match.end() - 1)
        found.append(
            (origin[bisect_right(starts, first) - 1], origin[bisect_right(starts, last) - 1])
        )
    return found


def _from_block_top(stripped: list[str], first: int) -> int:
    """Rule: a From-block whose first value wrapped ("*From:* bob [mailto:\\n bob@x]") starts
    at that first key line, one or two lines above where the library saw the block start."""
    for back in (1, 2):
        top = first - back
        if top >= 0 and all(stripped[top:first]) and _KEY_LINE.match(stripped[top]):
            return top
    return first


def _attribution_span(stripped: list[str], last: int) -> _Span | None:
    """The widest span ending at `last` that reads as an attribution (a wrapped one must
    start like a header), with the column where it starts after text on its first line."""
    line = stripped[last]
    if not line.endswith((":", "：", "---")):
        return None
    for size in (3, 2, 1):
        first = last - size + 1
        chunk = stripped[first : last + 1] if first >= 0 else []
        if not chunk or not all(chunk) or any(_QUOTED.match(c) for c in chunk):
            continue
        if size > 1 and not _HEADER_HEAD.match(chunk[0]):
            continue
        if _is_attribution(" ".join(chunk)):
            inner = _INNER_HEAD.search(chunk[0], 1) if size == 1 else None
            return first, last, inner.start(1) if inner else 0
    return None


def _followed_by_quote(stripped: list[str], i: int) -> bool:
    following = next((s for s in stripped[i + 1 : i + 4] if s), "")
    return bool(_QUOTED.match(following))


def _extra_from_block(stripped: list[str], first: int) -> _Span | None:
    if not _EXTRA_KEY.match(stripped[first]) or (first and _EXTRA_KEY.match(stripped[first - 1])):
        return None
    last = first
    while last + 1 < len(stripped) and _EXTRA_KEY.match(stripped[last + 1]):
        last += 1
    names = {m.group(1).lower() for s in stripped[first : last + 1] if (m := _EXTRA_KEY.match(s))}
    return (first, last, 0) if last > first and names & _EXTRA_FROM_KEYS else None


def _splitters(stripped: list[str], unquoted: list[int]) -> list[_Span]:
    """Spans of lines that introduce quoted earlier messages; `unquoted` are the lines not
    marked with `>`, the only ones that can start one."""
    spans = _library_spans(stripped, unquoted)
    for i in unquoted:
        line = stripped[i]
        if not line:
            continue
        if span := _attribution_span(stripped, i):
            spans.append(span)
        elif (
            # Rule: a line naming an address and a date right above a `>` quote
            # ("2011/4/7 Nathan <support@example.com>") is its attribution.
            len(line) <= 200 and _EMAIL.search(line) and _DATE.search(line)
            and _followed_by_quote(stripped, i)
        ):
            spans.append((i, i, 0))
        if _SEPARATOR.match(line):
            spans.append((i, i, 0))
        elif _RULE.match(line):
            following = [s for s in stripped[i + 1 : i + 6] if s][:3]
            if any(_KEY_LINE.match(s) for s in following):
                spans.append((i, i, 0))
        if span := _extra_from_block(stripped, i):
            spans.append(span)
    return spans


def _marks(lines: list[str]) -> tuple[str, dict[int, int]]:
    """One letter a line — e(mpty), m(arked with >), s(plitter: a reply header), t(ext) —
    and the column of splitters that start after text on their line."""
    stripped = [line.strip() for line in lines]
    unquoted = _unquoted_lines(stripped)
    marks = ["m"] * len(lines)
    for i in unquoted:
        marks[i] = "t" if stripped[i] else "e"
    columns: dict[int, int] = {}
    for first, last, column in _splitters(stripped, unquoted):
        if column and marks[first] == "t":
            columns[first] = column + len(lines[first]) - len(lines[first].lstrip())
        for i in range(first, last + 1):
            if marks[i] == "t":
                marks[i] = "s"
    joined = "".join(marks)
    if "s" not in joined and joined.count("m") == 1 and "t" in joined[joined.index("m") :]:
        # One `>` line amid text, with no reply header, is text (">>> see link <<<").
        joined = joined.replace("m", "t")
    return joined, columns


# A splitter followed by plain text: an Outlook-style quotation, history to the end.
_UNMARKED_QUOTE = re.compile(r"s[se]*t")
_QUOTE_START = re.compile(r"[sm]")
_SENDERS_LINES = re.compile(r"[te]+")


def _reply_lines(lines: list[str]) -> list[str]:
    marks, columns = _marks(lines)
    start = _QUOTE_START.search(marks)
    if start is None:
        return lines
    q = start.start()
    kept = lines[:q]
    if q in columns:
        kept.append(lines[q][: columns[q]].rstrip(" -"))
    # After a `>`-quoted block, plain lines are the sender's again: a reply written under
    # the quote, inline answers, a sign-off; until an unmarked quotation starts.
    unmarked = _UNMARKED_QUOTE.search(marks, q)
    end = unmarked.start() if unmarked else len(lines)
    for run in _SENDERS_LINES.finditer(marks, q, end):
        kept += lines[run.start() : run.end()]
    if not any(line.strip() for line in kept):
        # Nothing but quotation (a forward without comment, or a body that is a header
        # block): its unmarked text is all the message says.
        first_text = marks.find("t")
        kept = [lines[i] for i in range(max(first_text, 0), len(lines)) if marks[i] in "te"]
    return kept


def _join(lines: list[str]) -> str:
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", "\n".join(lines)).strip()


def reply_text(body: str) -> str:
    """`body` without the quoted earlier messages; a signature is kept (talon's "reply")."""
    if not body.strip():
        return ""
    return _join(_reply_lines(body.replace("\r\n", "\n").replace("\r", "\n").split("\n")))


def quote_start(body: str) -> int:
    """Offset in `body` where the first quoted earlier message starts (len(body) if none).

    Unlike `reply_text` this never rewrites: text is only cut from the end, so an offset
    into the kept part is an offset into `body` (evidence spans of pasted chains)."""
    lines = body.split("\n")
    marks, columns = _marks(lines)
    found = re.search(r"[sm]", marks)
    if found is None:
        return len(body)
    q = found.start()
    offset = sum(len(line) + 1 for line in lines[:q]) + columns.get(q, 0)
    if not body[:offset].strip():
        return len(body)  # all quotation: keep it whole, as `reply_text` does
    return len(body[:offset].rstrip())

