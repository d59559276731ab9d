"""Date words of other languages (`data/dates.json`), read and checked.

Customers write English with words of their own language in it: "mañana i pay", "kal 50,000
bhej dunga", "Rp 2jt tgl 25". The file lists such words by language; `nlp.dates` turns them
into rules beside its English ones. All languages are merged, since one message may mix two;
a word listed twice must mean the same thing both times, so the merge never has to choose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.language import spellings

DATE_WORDS = Path(__file__).parent / "data" / "dates.json"

UNITS = ("day", "week", "month")
_SECTIONS = {
    "about", "weekdays", "days", "either_way", "past_markers", "future_markers", "past",
    "month_end", "day_of_month", "day_of_next_month", "within", "units", "counts",
    "not_after", "not_before", "vague", "past_verbs", "next_month_end", "named_month_end",
    "week_end", "next_week_end", "vague_month", "week_number",
}
_SLOTS = re.compile(r"\{(\w+)\}")


class DateWordsError(ValueError):
    """The date-word file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Within:
    """The `within` patterns of one language, with that language's units and counts."""

    patterns: tuple[str, ...]
    units: dict[str, str]
    counts: dict[str, int]


@dataclass
class DateWords:
    weekdays: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    either_way: set[str] = field(default_factory=set)
    past_markers: set[str] = field(default_factory=set)
    future_markers: set[str] = field(default_factory=set)
    past: set[str] = field(default_factory=set)
    past_verbs: set[str] = field(default_factory=set)  # "pagué", "ho pagato": already paid
    vague: set[str] = field(default_factory=set)
    month_end: set[str] = field(default_factory=set)
    next_month_end: set[str] = field(default_factory=set)  # "fin du mois prochain"
    named_month_end: set[str] = field(default_factory=set)  # "fin {month}": that month's end
    week_end: set[str] = field(default_factory=set)  # "en fin de semaine": this week's Friday
    next_week_end: set[str] = field(default_factory=set)  # "Ende nächster Woche"
    vague_month: set[str] = field(default_factory=set)  # "mi-{month}": a when, no date
    week_number: set[str] = field(default_factory=set)  # "KW {week}": a when, no date
    day_of_month: set[str] = field(default_factory=set)
    day_of_next_month: set[str] = field(default_factory=set)  # "il 15 p.v.": next month's 15th
    within: list[Within] = field(default_factory=list)
    not_after: dict[str, set[str]] = field(default_factory=dict)
    not_before: dict[str, set[str]] = field(default_factory=dict)


def normal(phrase: str) -> str:
    """A phrase as matched: lower case, single spaces."""
    return " ".join(phrase.lower().split())


def read_date_words(path: Path = DATE_WORDS) -> DateWords:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DateWordsError(f"{path}: cannot read date words: {exc}") from exc
    languages = raw.get("languages") if isinstance(raw, dict) else None
    if not isinstance(languages, dict):
        raise DateWordsError(f"{path}: 'languages' must be an object of languages")
    words = DateWords()
    for lang, sections in languages.items():
        where = f"{path}: languages.{lang}"
        if not isinstance(sections, dict):
            raise DateWordsError(f"{where}: must be an object of sections")
        unknown = set(sections) - _SECTIONS
        if unknown:
            raise DateWordsError(f"{where}: unknown section(s) {sorted(unknown)}; "
                                 f"known: {sorted(_SECTIONS - {'about'})}")
        _merge_language(words, sections, where)
    for word in words.either_way:
        if word not in words.days:
            raise DateWordsError(f"{path}: either_way word {word!r} is not in any 'days'")
    return words


def _merge_language(words: DateWords, sections: dict[str, Any], where: str) -> None:
    _merge_map(words.weekdays, sections.get("weekdays", {}), f"{where}.weekdays",
               lambda v: isinstance(v, int) and 0 <= v <= 6, "a weekday 0 (Monday) to 6")
    _merge_map(words.days, sections.get("days", {}), f"{where}.days",
               lambda v: isinstance(v, int) and 0 <= v <= 31, "a number of days 0 to 31")
    units: dict[str, str] = {}
    counts: dict[str, int] = {}
    _merge_map(units, sections.get("units", {}), f"{where}.units",
               lambda v: v in UNITS, f"one of {list(UNITS)}")
    _merge_map(counts, sections.get("counts", {}), f"{where}.counts",
               lambda v: isinstance(v, int) and 0 < v < 1000, "a number 1 to 999")
    for name in ("either_way", "past_markers", "future_markers", "past", "vague", "month_end",
                 "next_month_end", "week_end", "next_week_end"):
        getattr(words, name).update(_phrases(sections.get(name, []), f"{where}.{name}"))
    # As written only: without its accent "pagó" is "pago" (a payment, or "I pay").
    words.past_verbs.update(_phrases(sections.get("past_verbs", []), f"{where}.past_verbs",
                                     accents_dropped=False))
    for name in ("day_of_month", "day_of_next_month"):
        getattr(words, name).update(_templates(sections, name, {"day"}, where))
    for name in ("named_month_end", "vague_month"):
        getattr(words, name).update(_templates(sections, name, {"month"}, where))
    words.week_number.update(_templates(sections, "week_number", {"week"}, where))
    within = _templates(sections, "within", {"count", "unit"}, where)
    if within and not units:
        raise DateWordsError(f"{where}.within: the language has no 'units' for {{unit}}")
    if within:
        words.within.append(Within(tuple(within), units, counts))
    for name in ("not_after", "not_before"):
        table = sections.get(name, {})
        if not isinstance(table, dict):
            raise DateWordsError(f"{where}.{name}: must map a word to a list of words")
        for word, others in table.items():
            getattr(words, name).setdefault(normal(word), set()).update(
                _phrases(others, f"{where}.{name}.{word}"))


def _templates(sections: dict[str, Any], name: str, slots: set[str], where: str) -> list[str]:
    out = []
    for pattern in _phrases(sections.get(name, []), f"{where}.{name}"):
        found = _SLOTS.findall(pattern)
        if set(found) != slots or len(found) != len(slots):
            wanted = " and ".join("{" + s + "}" for s in sorted(slots))
            raise DateWordsError(
                f"{where}.{name}: {pattern!r} must hold {wanted} once each, and no other slot")
        out.append(pattern)
    return out


def _phrases(value: Any, where: str, accents_dropped: bool = True) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DateWordsError(f"{where}: must be a list of non-empty strings")
    if not accents_dropped:
        return sorted({normal(v) for v in value})
    # Each also as typed without its accents ("mañana", "manana").
    return sorted({form for v in value for form in spellings(normal(v))})


def _merge_map(into: dict[str, Any], table: Any, where: str, ok: Any, wanted: str) -> None:
    if not isinstance(table, dict):
        raise DateWordsError(f"{where}: must map words to {wanted}")
    for word, value in table.items():
        if not ok(value):
            raise DateWordsError(f"{where}.{word}: {value!r} is not {wanted}")
        key = normal(word)
        if not key:
            raise DateWordsError(f"{where}: an empty word")
        if into.get(key, value) != value:
            raise DateWordsError(
                f"{where}.{word}: {value!r}, but another language gives it {into[key]!r}")
        into[key] = value
        for form in spellings(key) - {key}:
            into.setdefault(form, value)  # as typed without accents, unless a word itself
