"""Numbers said in words in other languages, as digits, before a promise's values are read.

"le abono cinco mil el quince", "os oito mil e quatrocentos reais dia trinta", "dreitausend
Euro am dreißigsten": customers (and call transcripts) say sums and days in words. English
number words are read by `nlp.amounts` and `nlp.dates` themselves; for Spanish, Portuguese,
French, Italian, German and Dutch, text2num's `alpha2digit` writes them as digits ("le abono
5000 el 15"), and the promise is then read from that text. Polish numerals are not covered
by text2num; `polish_digits` reads those.

Only the values of a promise are read from the converted text: evidence spans always point
into the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text_to_num import alpha2digit

from nlp.dates import MONTHS
from nlp.language import fold

Span = tuple[int, int]
# Languages text2num reads (nlp.language codes), and Polish, read here.
LANGUAGES = ("es", "pt", "fr", "it", "de", "nl", "pl")
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
    if language == "pl":
        return polish_digits(piece)
    converted = alpha2digit(piece, language)
    if converted == piece or not converted.strip():
        return piece
    # alpha2digit trims the outer whitespace: keep it as written.
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return lead + converted.strip() + trail


# Polish, which text2num does not read: cardinals up to the millions ("cztery tysiące
# osiemset" -> 4800) and the day ordinals ("do trzydziestego" -> "do 30-go", "dziesiątego
# lutego" -> "10 lutego"), as `nlp.dates` reads Polish days.
_PL_UNITS = {
    "zero": 0, "jeden": 1, "jedna": 1, "jedno": 1, "dwa": 2, "dwie": 2, "trzy": 3, "cztery": 4,
    "pięć": 5, "sześć": 6, "siedem": 7, "osiem": 8, "dziewięć": 9, "dziesięć": 10,
    "jedenaście": 11, "dwanaście": 12, "trzynaście": 13, "czternaście": 14, "piętnaście": 15,
    "szesnaście": 16, "siedemnaście": 17, "osiemnaście": 18, "dziewiętnaście": 19,
    "dwadzieścia": 20, "trzydzieści": 30, "czterdzieści": 40, "pięćdziesiąt": 50,
    "sześćdziesiąt": 60, "siedemdziesiąt": 70, "osiemdziesiąt": 80, "dziewięćdziesiąt": 90,
    "sto": 100, "dwieście": 200, "trzysta": 300, "czterysta": 400, "pięćset": 500,
    "sześćset": 600, "siedemset": 700, "osiemset": 800, "dziewięćset": 900,
}
_PL_SCALES = {"tysiąc": 1000, "tysiące": 1000, "tysięcy": 1000, "milion": 1_000_000,
              "miliony": 1_000_000, "milionów": 1_000_000}
_PL_ORDINALS = {
    "pierwszego": 1, "drugiego": 2, "trzeciego": 3, "czwartego": 4, "piątego": 5,
    "szóstego": 6, "siódmego": 7, "ósmego": 8, "dziewiątego": 9, "dziesiątego": 10,
    "jedenastego": 11, "dwunastego": 12, "trzynastego": 13, "czternastego": 14,
    "piętnastego": 15, "szesnastego": 16, "siedemnastego": 17, "osiemnastego": 18,
    "dziewiętnastego": 19, "dwudziestego": 20, "trzydziestego": 30,
}


def _folded_table(table: dict[str, int]) -> dict[str, int]:
    return {**table, **{fold(word): value for word, value in table.items()}}


_PL_UNIT = _folded_table(_PL_UNITS)
_PL_SCALE = _folded_table(_PL_SCALES)
_PL_ORDINAL = _folded_table(_PL_ORDINALS)
_PL_WORD = re.compile(r"\w+", re.UNICODE)


def polish_digits(piece: str) -> str:
    """Polish number words in `piece` as digits."""
    words = [m.group(0).lower() for m in _PL_WORD.finditer(piece)]
    spans = [m.span() for m in _PL_WORD.finditer(piece)]
    out: list[str] = []
    at = i = 0
    while i < len(words):
        written: str | None
        if words[i] in _PL_ORDINAL:
            end, written = _pl_day(words, i)
        elif words[i] in _PL_UNIT or words[i] in _PL_SCALE:
            end, written = _pl_number(words, i)
        else:
            end, written = i + 1, None
        if written is not None:
            out += [piece[at : spans[i][0]], written]
            at = spans[end - 1][1]
        i = end
    out.append(piece[at:])
    return "".join(out)


def _pl_day(words: list[str], i: int) -> tuple[int, str]:
    """A day ordinal at `i` ("dwudziestego piątego"): where it ends, and how it is written for
    `nlp.dates` ("25 lutego" before a month's name, "25-go" otherwise)."""
    day, end = _PL_ORDINAL[words[i]], i + 1
    if day in (20, 30) and end < len(words) and _PL_ORDINAL.get(words[end], 10) < 10:
        day += _PL_ORDINAL[words[end]]
        end += 1
    following = words[end] if end < len(words) else ""
    return end, f"{day}" if following in MONTHS else f"{day}-go"


def _pl_number(words: list[str], i: int) -> tuple[int, str | None]:
    """A cardinal at `i`: where it ends, and its digits (None for a lone small word: "dwa
    razy", "jeden z nich" are no sums)."""
    total = current = 0
    end = i
    while end < len(words):
        word = words[end]
        if word in _PL_UNIT:
            number = _PL_UNIT[word]
            if 100 <= number <= 900 and 1 <= current <= 9 and not total:
                current *= 1000  # "cztery dwieście": four (thousand) two hundred
            current += number
        elif word in _PL_SCALE:
            total += max(current, 1) * _PL_SCALE[word]
            current = 0
        else:
            break
        end += 1
    value = total + current
    if end - i > 1 or value >= 100 or words[i] in _PL_SCALE:
        return end, str(value)
    return end, None
