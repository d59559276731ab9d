"""The new text of a reply: what its sender wrote, without quoted history or signature.

Two stages, as mailgun/talon splits the problem: `reply_text` cuts the quoted earlier
messages, `signature_start` finds a trailing signature, and `new_text_of` does both.
mail-parser-reply's table of reply headers ("On … wrote:", "Am … schrieb …:", Outlook
"From:/Sent:" blocks in a dozen languages) finds most quotations; the rules below add what it
misses. The result is made of the body's own lines, never rewritten, so character offsets
into it (evidence spans) point at text the reader sees.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR, MAIL_LANGUAGES

# "david" in the library's table is a test entry, not a language.
_LANGUAGES = [table for name, table in MAIL_LANGUAGES.items() if name != "david"]

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
    wrote = [t["wrote_header"] for t in _LANGUAGES if t.get("wrote_header")]
    froms = [t["from_header"] for t in _LANGUAGES if t.get("from_header")]
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


# --- signatures -------------------------------------------------------------------------
# A signature is only ever taken from the end, and only in one of these shapes; a closing
# word alone never is one ("thank you, we are not disputing…" is content).

# Rule: RFC 3676's "-- " delimiter, then at most ten short lines ("--" without the space
# only above name/title/contact lines: typed by hand it may separate content).
_SIG_DASHES = re.compile(r"^--\s?$")
# Rule: a device or client tagline as the last line ("Sent from my iPhone", "Von meinem
# iPhone gesendet"): the library's phrases and more, then only a product's name.
_TAGLINE = re.compile(
    "|".join(f"(?:{t['sent_from']})" for t in _LANGUAGES if t.get("sent_from"))
    + r"|sent (?:from|with)|envoyé (?:de|depuis)|enviado (?:de|do)|von meinem|"
    r"verzonden met|отправлено с|надіслано з",
    re.IGNORECASE,
)
_PRODUCT_WORDS = {"my", "on", "for", "mon", "mi", "meu", "mijn", "min", "gesendet", "phone",
                  "smartphone", "tablet", "mobile", "device", "app", "mail"}
# Rule: a closing ("Thanks,", "Kind regards", "Mit freundlichen Grüßen", the library's list
# and more) on a line of its own, or followed by a capitalised name ("Thanks, Sarah"), then
# only short name/title/contact lines to the end.
_MORE_CLOSINGS = [
    r"thanks?(?: you)?(?: (?:again|so much|very much|a lot|in advance))?", r"many thanks",
    r"thanks (?:and|&) (?:best |kind )?regards", r"(?:(?:very )?(?:best|kind|kindest|warm|"
    r"warmest|warm) )?regards", r"with (?:best |kind )?regards", r"rgds", r"br", r"kr",
    r"best(?: wishes)?", r"cheers", r"(?:yours )?(?:sincerely|faithfully|truly)(?: yours)?",
    r"respectfully", r"(?:freundliche|beste|liebe|viele) grüße", r"mfg", r"danke(?: schön)?",
    r"bien (?:à vous|cordialement)", r"merci(?: beaucoup)?", r"salutations(?: distinguées)?",
    r"(?:un )?saludos?(?: cordiales)?", r"atentamente", r"(?:muchas )?gracias",
    r"distinti saluti", r"saluti", r"grazie(?: mille)?", r"(?:met )?vriendelijke groet(?:en)?",
    r"groet(?:en)?", r"с уважением", r"спасибо", r"atenciosamente", r"obrigad[oa]",
    r"cumprimentos",
]
_CLOSINGS = [
    re.sub(r"[,，.]$", "", p) for t in _LANGUAGES for p in t.get("signatures", [])
] + _MORE_CLOSINGS
# "Cordialement / Best regards," too.
_CLOSING_WORDS = f"(?:{'|'.join(_CLOSINGS)})"
_CAP_WORD = r"[^\W\d_a-zà-öø-ÿа-я][\w.'’-]*"
_CLOSING = re.compile(
    rf"^(?:(?i:{_CLOSING_WORDS}(?:[ \t]*/[ \t]*{_CLOSING_WORDS})?)[ \t,.!:;，。]*"
    rf"(?:[ \t]*{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})?"
    rf"|[-–—][ \t]?{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})[ \t]*$"
)
_CONTACT = re.compile(
    r"@|https?://|www\.|\+?\(?\d[\d ().-]{6,}\d|"
    r"^(?:tel|phone|mob|mobile|cell|fax|direct|office|skype)\b\.?\s*[:.]|^[tmfp]\.?:?\s*\+?\(?\d",
    re.IGNORECASE,
)
_CONNECTIVES = {"of", "and", "&", "de", "du", "la", "van", "von", "der", "for", "und", "y", "e"}
_ENDS_ABBREVIATION = re.compile(r"(?:\b[A-Z][a-z]{0,3}\.|\b[A-Z]\.)$")
# Rule: a confidentiality notice as the last paragraph: a notice's opening and its words.
_DISCLAIMER = re.compile(
    r"^(?:\**(?:disclaimer|confidential(?:ity)?(?: notice)?|(?:legal |important )?notice)\**"
    r"\s*:|this (?:e-?mail|message|communication)\b|the information (?:contained )?in this)",
    re.IGNORECASE,
)
_DISCLAIMER_WORDS = re.compile(
    r"confidential|privileged|intended (?:solely )?(?:for|recipient)|unauthori[sz]ed|disclos",
    re.IGNORECASE,
)


def _is_signature_line(line: str, *, strict: bool) -> bool:
    """A name, title, company or contact line; `strict` for the name right under a closing."""
    text = line.strip()
    if not text:
        return True
    if len(text) > 100:
        return False
    if _CONTACT.search(text) and not strict:
        return True
    words = text.split()
    if len(text) > 60 or len(words) > 8 or (strict and len(words) > 4):
        return False
    if text[-1] in ".?!:;," and not _ENDS_ABBREVIATION.search(text):
        return False
    lower = [w for w in words if w[:1].islower() and w.lower() not in _CONNECTIVES]
    first = text[0]
    return len(lower) <= (0 if strict else 1) and not first.islower() and (
        first.isalpha() or first.isdigit() or first in "+(|/-–—"
    )


def _closing_at(lines: list[str], end: int) -> int | None:
    """The closing line that starts a sign-off block running to `end`, if there is one."""
    for i in range(end - 1, max(-1, end - 9), -1):
        if _CLOSING.match(lines[i].strip()):
            rest = [line for line in lines[i + 1 : end] if line.strip()]
            named = len(lines[i].strip().rstrip(",.!").split()) > 1 and "," in lines[i]
            if not rest and not named and not lines[i].lstrip().startswith(("-", "–", "—")):
                return None  # "Thanks," with nothing under it is a closing, not a signature
            if len(rest) <= 6 and all(
                _is_signature_line(line, strict=n == 0) for n, line in enumerate(rest)
            ):
                return i
            return None
        if not _is_signature_line(lines[i], strict=False):
            return None
    return None


def _sender_tokens(sender_name: str, sender: str) -> set[str]:
    """Words that open a signature's name line: the display name's ("Jo", "Whitfield") and
    the address's longer ones ("dana.whitfield@…", not "ap@…")."""
    names = {n for n in re.split(r"[\s,\"'()]+", sender_name.lower()) if len(n) >= 2}
    local = sender.split("@")[0].lower() if "@" in sender else ""
    return names | {n for n in re.split(r"[._+-]+", local) if len(n) >= 3}


def _signed_at(lines: list[str], end: int, sender_name: str, tokens: set[str]) -> int | None:
    """Rule: without a closing, short name/title/contact lines at the end of which the first
    names the sender ("Kevin Osei\nBranch Operations Manager\n(704) 555-0163")."""
    for i in range(end - 1, max(-1, end - 9), -1):
        if not _is_signature_line(lines[i], strict=False):
            return None
        words = lines[i].lower().lstrip(" -–—").split()
        if words and (
            words[0].strip(",.") in tokens
            or (sender_name and sender_name.lower() in lines[i].lower())
        ):
            return i
    return None


def _is_tagline(line: str) -> bool:
    text = line.strip().rstrip(".")
    tagline = _TAGLINE.match(text)
    if tagline is None or len(text.split()) > 8:
        return False
    # "Sent from our Chennai warehouse on 2 Nov" is news, not a tagline.
    return all(
        not word[:1].islower() or word[1:2].isupper() or word.lower() in _PRODUCT_WORDS
        for word in text[tagline.end() :].split()
    )


def _signature_line(lines: list[str], sender_name: str, sender: str) -> int:
    """Index of the first signature line (len(lines) when there is none)."""
    end = first = len(lines)
    tokens = _sender_tokens(sender_name, sender)
    # A signature has few layers (sign-off, "-- " block, tagline, notice): four cuts at most,
    # so a body made of many "-- "-separated parts is never eaten from the end.
    for _layer in range(4):
        while end and not lines[end - 1].strip():
            end -= 1
        cut = end
        paragraph = end
        while paragraph and lines[paragraph - 1].strip():
            paragraph -= 1
        dashes = [
            i for i in range(max(0, end - 11), end) if _SIG_DASHES.match(lines[i]) and (
                lines[i].endswith(" ")
                or all(_is_signature_line(line, strict=False) for line in lines[i + 1 : end])
            )
        ]
        notice = " ".join(lines[paragraph:end])
        if paragraph and _DISCLAIMER.match(notice.strip()) and _DISCLAIMER_WORDS.search(notice):
            cut = paragraph
        elif end and _is_tagline(lines[end - 1]):
            cut = end - 1
        elif dashes and all(len(line) <= 120 for line in lines[dashes[0] : end]):
            cut = dashes[0]
        elif (closing := _closing_at(lines, end)) is not None:
            cut = closing
        elif tokens and (signed := _signed_at(lines, end, sender_name, tokens)) is not None:
            cut = signed
        if cut == end or not any(line.strip() for line in lines[:cut]):
            break  # no (further) signature, or cutting it would leave nothing
        end = first = cut
    return first


def signature_start(text: str, *, sender_name: str = "", sender: str = "") -> int:
    """Offset in `text` where its trailing signature begins (len(text) when none); the
    sender's display name and address, when given, also find a signature with no closing."""
    lines = text.split("\n")
    first = _signature_line(lines, sender_name, sender)
    if first >= len(lines):
        return len(text)
    return len("\n".join(lines[:first])) + (1 if first else 0)


def new_text_of(body: str, *, sender_name: str = "", sender: str = "") -> str:
    """The part of `body` its sender wrote in this message, without their signature."""
    reply = reply_text(body)
    return reply[: signature_start(reply, sender_name=sender_name, sender=sender)].rstrip()


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


def new_text_span(body: str, *, sender_name: str = "", sender: str = "") -> int:
    """End offset of the new text in `body`: before quoted history and the signature."""
    end = quote_start(body)
    head = body[:end]
    return len(head[: signature_start(head, sender_name=sender_name, sender=sender)].rstrip())
