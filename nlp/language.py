"""Which languages a message is written in, from its function words (`data/languages.json`).

Customers write to collectors in their own language: "Le confirmo que el pago se realizará el
viernes", "Wir werden die Rechnung nächste Woche überweisen". The lexicons hold phrases of
several languages side by side and match whatever the message's language, but the cue words
that decide whether a match counts (a negation before it, "si"/"wenn" making it a
hypothetical, "nicht" after a German verb) are read per language: "si" is a condition in
Spanish and French and nothing in English, "no" means "in the" in Portuguese.

`LanguageGuesser.guess` counts, among a doc's words, those of each language's list (a word
several languages share counts for each): its function words, and the words customers use most
when they write about paying (`paying_words`: days, paying verbs, means of payment), so a chat
line with no function word in it ("jutro blikiem zapłacę 540 zł") is read in its language.
A language other than English is taken when at least `min_words` of the words are its own, no
fewer than the English ones, and at least three quarters as many as the best language's (so
Spanish and Portuguese, which share many words, are both taken when the words do not tell
them apart). English is always read.

`fold` gives a word without its accents ("transferência" -> "transferencia", "zapłacę" ->
"zaplace"): people typing on phones drop them, so a word counts in either form here and a
lexicon phrase matches in either form (`nlp.lexicon`).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = Path(__file__).resolve().parent / "data" / "languages.json"
ENGLISH = "en"
_CACHE_LIMIT = 200_000
# Letters NFKD does not take apart.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                       "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "’": "'"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


class LanguageError(Exception):
    """`languages.json` cannot be used; says what is wrong."""


def fold(word: str) -> str:
    """`word` without accents or other marks on its letters."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spellings(word: str, umlauts_dropped: bool = True) -> set[str]:
    """The ways a word is typed: as written, without accents, and (German) with its umlauts
    written out ("überweisen", "uberweisen", "ueberweisen"). With `umlauts_dropped` False, a
    word with an umlaut is not also read with its dots dropped: "wäre" so is "Ware"."""
    umlauts = any(c in word for c in "äöüÄÖÜ")
    forms = {word}
    if not umlauts or umlauts_dropped:
        forms.add(fold(word))
    if umlauts:
        forms.add(fold(word.translate(_UMLAUTS)))
    return forms


@lru_cache(maxsize=4)
def read_languages(path: Path = LANGUAGES) -> tuple[dict[str, frozenset[str]], int]:
    """Each language's words (in all their spellings) and `min_words`, read once a path (the
    lexicon and the guesser of every pipeline ask for them)."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LanguageError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    languages = raw.get("languages") if isinstance(raw, dict) else None
    if not isinstance(languages, dict) or ENGLISH not in languages:
        raise LanguageError(f'{path}: expected "languages" with at least "{ENGLISH}"')
    paying = raw.get("paying_words", {})
    if not isinstance(paying, dict):
        raise LanguageError(f"{path}: paying_words: expected an object of word lists")
    if unknown := sorted(set(paying) - set(languages)):
        raise LanguageError(f"{path}: paying_words: {', '.join(unknown)} not in languages")
    words: dict[str, frozenset[str]] = {}
    for key, table in (("languages", languages), ("paying_words", paying)):
        for code, listed in table.items():
            if not isinstance(listed, list) or not all(isinstance(w, str) for w in listed):
                raise LanguageError(f"{path}: {key}.{code}: expected a list of words")
            words[code] = words.get(code, frozenset()) | frozenset(
                s for w in listed for s in spellings(w.lower().strip()))
    for code, listed in paying.items():
        if english := sorted({w.lower().strip() for w in listed} & words[ENGLISH]):
            raise LanguageError(f"{path}: paying_words.{code}: {', '.join(english)} also English")
    minimum = raw.get("min_words", 2)
    if not isinstance(minimum, int) or minimum < 1:
        raise LanguageError(f"{path}: min_words: expected a whole number of at least 1")
    return words, minimum


class _Bits(dict[int, int]):
    """NORM hash -> a bit for each language whose word it is, worked out on first sight."""

    def __init__(self, strings: Any, words: list[frozenset[str]]) -> None:
        super().__init__()
        self.strings, self.words = strings, words

    def __missing__(self, key: int) -> int:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        word = self.strings[key]
        folded = fold(word)
        bits = 0
        for i, listed in enumerate(self.words):
            if word in listed or folded in listed:
                bits |= 1 << i
        self[key] = bits
        return bits


class LanguageGuesser:
    """Guesses a doc's languages from its NORM hashes; one per vocab."""

    def __init__(self, strings: Any, path: Path = LANGUAGES) -> None:
        words, self.min_words = read_languages(path)
        self.codes = [ENGLISH, *sorted(c for c in words if c != ENGLISH)]
        self._bits = _Bits(strings, [words[c] for c in self.codes])

    def guess(self, norms: Iterable[int]) -> tuple[str, ...]:
        """The languages other than English the words are written in, the likeliest first;
        () for English (or too few words to tell)."""
        bits = self._bits
        counts = [0] * len(self.codes)
        # Few words belong to any list, and those to few combinations of lists.
        for combination, n in Counter([bits[key] for key in norms]).items():
            i = 0
            while combination:
                if combination & 1:
                    counts[i] += n
                combination >>= 1
                i += 1
        english = counts[0]
        best = max(counts[1:], default=0)
        if best < self.min_words or best < english:
            return ()
        found = [(n, c) for n, c in zip(counts[1:], self.codes[1:], strict=True)
                 if n >= self.min_words and n >= english and 4 * n >= 3 * best]
        return tuple(c for _n, c in sorted(found, key=lambda f: -f[0]))
