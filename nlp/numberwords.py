"""Numbers said in words in other languages, as digits, before a promise's values are read.

"le abono cinco mil el quince", "os oito mil e quatrocentos reais dia trinta", "dreitausend
Euro am dreißigsten": customers (and call transcripts) say sums and days in words. English
number words are read by `nlp.amounts` and `nlp.dates` themselves; for Spanish, Portuguese,
French, Italian, German and Dutch, text2num's `alpha2digit` writes them as digits ("le abono
5000 el 15"), and the promise is then read from that text. Polish numerals are not covered
by text2num; a Polish promise keeps its words.

Only the values of a promise are read from the converted text: evidence spans always point
into the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text_to_num import alpha2digit

Span = tuple[int, int]
# Languages text2num reads (nlp.language codes).
LANGUAGES = ("es", "pt", "fr", "it", "de", "nl")
# Left as written: Portuguese weekdays are ordinals ("na sexta" is Friday, not "na 6ª"), and
# "6 mil" is already a sum (`nlp.amounts`), which text2num would make "6 1000".
_KEEP = re.compile(
    r"(?<!\w)(?:segunda|ter[cç]a|quarta|quinta|sexta)(?:[\s-]feira)?(?!\w)|\d\s?mil(?!\w)",
    re.IGNORECASE,
)


def language_for_numbers(languages: Sequence[str]) -> str | None:
    """The first of a doc's languages whose number words can be read, if any."""
    return next((code for code in languages if code in LANGUAGES), None)


def with_digits(text: str, spans: Sequence[Span], language: str) -> tuple[str, list[Span]]:
    """`text` with number words written as digits, piece by piece between the edges of
    `spans` (the sentences a promise was found in), and `spans` moved to where those
    pieces now are."""
    cuts = sorted({0, len(text), *(p for span in spans for p in span if 0 <= p <= len(text))})
    moved: dict[int, int] = {0: 0}
    out: list[str] = []
    length = 0
    for start, end in zip(cuts, cuts[1:], strict=False):
        converted = _convert(text[start:end], language)
        out.append(converted)
        length += len(converted)
        moved[end] = length
    return "".join(out), [(moved[s], moved[e]) for s, e in spans]


def _convert(piece: str, language: str) -> str:
    """`piece` with its number words as digits, the `_KEEP` words as written."""
    out, at = [], 0
    for m in _KEEP.finditer(piece):
        out += [_digits(piece[at : m.start()], language), m.group(0)]
        at = m.end()
    out.append(_digits(piece[at:], language))
    return "".join(out)


def _digits(piece: str, language: str) -> str:
    if not any(c.isalpha() for c in piece):
        return piece
    converted = alpha2digit(piece, language)
    if converted == piece or not converted.strip():
        return piece
    # alpha2digit trims the outer whitespace: keep it as written.
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return lead + converted.strip() + trail
