"""Time expressions resolved against the local sent date, across month, year and leap days."""

from __future__ import annotations

import importlib
import json
import random
import re
import sys
from datetime import date
from pathlib import Path

import pytest

from nlp import dates
from nlp.dates import (
    FOLD_UNSAFE,
    PAST,
    SCANNER,
    VAGUE,
    Scanner,
    add_months,
    day_of_next_month,
    find_times,
    fold,
    next_occurrence,
    next_weekday,
    times_in,
)

TUE_2026_12_29 = date(2026, 12, 29)
WED_2026_03_04 = date(2026, 3, 4)


def resolve(phrase: str, sent: date | None) -> date | None:
    """The date of the only time expression in `phrase`."""
    [mention] = find_times(phrase, sent)
    return mention.when


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # weekdays: the first one strictly after the sent date, whatever the modifier
        ("we'll pay by Friday", date(2027, 1, 1)),
        ("pay fri", date(2027, 1, 1)),
        ("this Friday", date(2027, 1, 1)),
        ("next Friday", date(2027, 1, 1)),
        ("on coming Friday", date(2027, 1, 1)),
        ("until Friday", date(2027, 1, 1)),
        ("by Tuesday", date(2027, 1, 5)),  # sent on a Tuesday: the following one
        ("next Monday", date(2027, 1, 4)),
        ("Monday week", date(2027, 1, 11)),
        ("a week on Monday", date(2027, 1, 11)),
        ("Monday next week", date(2027, 1, 4)),
        ("COB Thursday", date(2026, 12, 31)),
        ("Thursday EOD", date(2026, 12, 31)),
        ("by close of business on Friday", date(2027, 1, 1)),
        ("Friday the 8th", date(2027, 1, 8)),
        ("Friday 1/1", date(2027, 1, 1)),
        # today, tomorrow
        ("later today", TUE_2026_12_29),
        ("straight away", TUE_2026_12_29),
        ("tomorrow", date(2026, 12, 30)),
        ("first thing tmrw", date(2026, 12, 30)),
        ("by tomorrow afternoon", date(2026, 12, 30)),
        ("the day after tomorrow", date(2026, 12, 31)),
        # counted from the sent date
        ("in a week", date(2027, 1, 5)),
        ("in two weeks", date(2027, 1, 12)),
        ("a fortnight from today", date(2027, 1, 12)),
        ("within 10 days", date(2027, 1, 8)),
        ("in 3 days", date(2027, 1, 1)),
        ("within the next 5 days", date(2027, 1, 3)),
        ("in 5 working days", date(2027, 1, 5)),
        # month and week ends
        ("end of month", date(2026, 12, 31)),
        ("eom", date(2026, 12, 31)),
        ("by month-end", date(2026, 12, 31)),
        ("before the month is out", date(2026, 12, 31)),
        ("before the end of December", date(2026, 12, 31)),
        ("end of next month", date(2027, 1, 31)),
        ("end of next week", date(2027, 1, 8)),
        ("end of the year", date(2026, 12, 31)),
        # days of the month and named dates
        ("the 15th", date(2027, 1, 15)),
        ("on the fifteenth", date(2027, 1, 15)),
        ("by the 3rd", date(2027, 1, 3)),
        ("till 3rd", date(2027, 1, 3)),
        ("the 15th of next month", date(2027, 1, 15)),
        ("on 4 January", date(2027, 1, 4)),
        ("on the seventh of January", date(2027, 1, 7)),
        ("by Jan 4", date(2027, 1, 4)),
        ("no later than 4 Jan", date(2027, 1, 4)),
        ("January twenty-first", date(2027, 1, 21)),
        ("Jan 5th, 2027", date(2027, 1, 5)),
        ("le 3 mars", date(2027, 3, 3)),
        ("on 15.01.", date(2027, 1, 15)),
        # numbers
        ("13/1", date(2027, 1, 13)),
        ("by 13/01", date(2027, 1, 13)),
        ("1/13", date(2027, 1, 13)),
        ("12/15/2027", date(2027, 12, 15)),
        ("15/12/2027", date(2027, 12, 15)),
        ("15.12.2027", date(2027, 12, 15)),
        ("2027-01-08", date(2027, 1, 8)),
    ],
)
def test_resolves_against_sent_date_across_year_end(phrase: str, expected: date) -> None:
    assert resolve(phrase, TUE_2026_12_29) == expected


@pytest.mark.parametrize(
    ("phrase", "sent", "expected"),
    [
        ("end of month", date(2026, 1, 31), date(2026, 1, 31)),  # sent on the last day
        ("end of next month", date(2026, 1, 31), date(2026, 2, 28)),
        ("end of month", date(2028, 2, 10), date(2028, 2, 29)),  # leap year
        ("end of month", date(2026, 2, 10), date(2026, 2, 28)),
        ("tomorrow", date(2028, 2, 28), date(2028, 2, 29)),
        ("tomorrow", date(2026, 2, 28), date(2026, 3, 1)),
        ("on the 29th", date(2026, 2, 5), date(2026, 3, 29)),  # no 29 Feb in 2026
        ("on the 29th", date(2028, 2, 5), date(2028, 2, 29)),
        ("on the 31st", date(2026, 4, 2), date(2026, 5, 31)),
        ("by Friday", date(2026, 2, 27), date(2026, 3, 6)),  # sent on a Friday
        ("next Tuesday", date(2026, 3, 2), date(2026, 3, 3)),  # sent on Monday
        ("end of this week", date(2026, 3, 4), date(2026, 3, 6)),
        ("in a month", date(2026, 1, 31), date(2026, 2, 28)),
        ("30 November", date(2026, 11, 10), date(2026, 11, 30)),
        ("Nov 30", date(2026, 11, 30), date(2026, 11, 30)),  # the day itself still counts
        ("end of Q1", date(2026, 2, 10), date(2026, 3, 31)),
        ("last working day of the month", date(2026, 5, 4), date(2026, 5, 29)),
    ],
)
def test_month_ends_and_leap_years(phrase: str, sent: date, expected: date) -> None:
    assert resolve(phrase, sent) == expected


@pytest.mark.parametrize(
    "phrase",
    ["next week", "sometime next week", "early next month", "later this month",
     "first week of March", "mid-January", "in January", "asap", "by the weekend",
     "in a few days"],
)
def test_vague_times_are_found_without_a_date(phrase: str) -> None:
    [mention] = find_times(phrase, WED_2026_03_04)
    assert (mention.kind, mention.when) == (VAGUE, None)


@pytest.mark.parametrize(
    "phrase",
    ["paid yesterday", "sent ystrday", "last Friday", "earlier today", "three days ago",
     "last week"],
)
def test_past_references_are_marked_past(phrase: str) -> None:
    assert [m.kind for m in find_times(phrase, WED_2026_03_04)] == [PAST]


@pytest.mark.parametrize(
    "text",
    ["a 3rd party", "the first instalment", "the 5th floor", "24/7 support", "pay 1/2 now",
     "Invoice 2025/0113", "ref INV/26/305", "call 555-0193", "items 1 and 2 may be late",
     "we sat down", "open Mon-Fri", "Monday to Friday", "Happy Friday!", "15.04 hours"],
)
def test_not_dates(text: str) -> None:
    assert [m for m in find_times(text, WED_2026_03_04) if m.kind != "now"] == []


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # spoken days: a spelled ordinal from the tenth on needs no "on" or "by"
        ("so the thirtieth, sixty four hundred", date(2026, 3, 30)),
        ("the twenty-third at the latest", date(2026, 3, 23)),
        ("I can do it the thirty first", date(2026, 3, 31)),
        ("thirty two hundred on the the fifteenth", date(2026, 3, 15)),  # a stammer
        ("the fifteenth of next month", date(2026, 4, 15)),
        # month ends said short, days asked for, the evening of the day
        ("KES 120k will be cleared by end month", date(2026, 3, 31)),
        ("balance end-month", date(2026, 3, 31)),
        ("give me two weeks", date(2026, 3, 18)),
        ("allow us a further 10 days", date(2026, 3, 14)),
        ("through mpesa by evening", WED_2026_03_04),
        ("will pay it this arvo", WED_2026_03_04),
        # weekdays as they are often typed; a dotted day and month right after "paid"
        ("finanse will transfer 45,800 sar on wensday", date(2026, 3, 11)),
        ("the balance thrusday", date(2026, 3, 5)),
        ("Kr 86.400,- will be paid 15.10.", date(2026, 10, 15)),
    ],
)
def test_spoken_and_short_forms(phrase: str, expected: date) -> None:
    assert resolve(phrase, WED_2026_03_04) == expected


@pytest.mark.parametrize(
    "text",
    ["for the first lot", "the second shipment", "the eleventh hour", "the third cheque",
     "the tenth time", "the twelfth container", "the first"],
)
def test_ordinals_that_are_not_days(text: str) -> None:
    assert find_times(text, WED_2026_03_04) == []


def test_spans_point_at_the_phrase() -> None:
    text = "We can pay $500 on 13/1 and the rest by end of next month."
    found = find_times(text, TUE_2026_12_29)
    assert [text[m.start : m.end] for m in found] == ["13/1", "end of next month"]


def test_without_sent_date_only_dated_years_resolve() -> None:
    found = find_times("by Friday, or at the latest 15 January 2027, not 16 Jan", None)
    assert [m.when for m in found] == [None, date(2027, 1, 15), None]


def test_recent_day_and_month_is_read_as_past_not_next_year() -> None:
    assert next_occurrence(date(2027, 1, 5), 12, 28) == date(2026, 12, 28)
    assert next_occurrence(date(2026, 12, 29), 1, 4) == date(2027, 1, 4)


def test_calendar_helpers() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 30), 2) == date(2028, 2, 29)
    assert next_weekday(date(2026, 3, 6), 4) == date(2026, 3, 13)


# --- scanning: the same matches as re, from fewer attempts ---------------------------------


def test_fold_unsafe_characters_follow_this_pythons_unicode_tables() -> None:
    """Characters where IGNORECASE matching and str.lower() part ways (the scanner falls back
    to plain `re` for texts holding one): a simple lower case that `re` also equates with
    another letter (ſ ~ s, µ ~ μ), or a full lower case unlike the simple one (İ)."""
    import _sre
    from re import _casefix

    tolower = _sre.unicode_tolower
    found = {chr(c) for c in range(0x80, sys.maxunicode + 1)
             if tolower(c) in _casefix._EXTRA_CASES or chr(c).lower() != chr(tolower(c))}
    assert found == FOLD_UNSAFE


def test_lower_case_keeps_the_classes_re_matches() -> None:
    """\\w, \\d, \\s and \\b look the same on the folded text as on the original."""
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        low = ch.lower()
        if low == ch or ch in FOLD_UNSAFE:
            continue
        assert len(low) == 1, ch
        assert (ch.isalnum() or ch == "_") == (low.isalnum() or low == "_"), ch
        assert ch.isdecimal() == low.isdecimal() and ch.isspace() == low.isspace(), ch


def test_fold() -> None:
    assert fold("Pay BY Friday €5") == "pay by friday €5"
    assert fold("Straße İstanbul") is None  # İ lower-cases to two characters


_PATTERNS = [
    r"\b(?:on|by)\s+(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\b",
    r"(?<![\d/.-])20\d\d[-/.]\d\d",
    r"(?<![\w.,])(?:\$|£|usd\s?)\d+(?:[.,]\d\d)?",
    r"(?:\b|(?<=\w))(?:pay|will|'ll)\b",
    r"\b(?:an?|the)\s+(?-i:SO)\s*\d",  # a case-sensitive part: no lower-case twin
    r"\b(?:friday|fri)(?P<dot>\.)?(?!\w)|\bx+y?",
    r"(?<=\s)#\d+|\bno\.\s*\d+",
    # After a non-word character: a word boundary before a letter, none before a symbol.
    r"(?:(?<=[,;])|(?<=[,;]\s))(?:los|las|\$)\s*\d+",
    r"(?<=[x_\d])(?:pay|so)",  # after a word character: inside words only
    r"y*",  # matches "": left to re
    r"(?P<a>[a-z])(?P=a)",  # starts with a class: left to re
]
_PIECES = ["on", "by", "the", "the ", " ", "  ", "\n", "1", "12", "2025", "-", "/", ".", ",",
           "$", "£", "usd", "USD", "pay", "repay", "Will", "we'll", "SO", "so", "An", "a",
           "Friday", "FRI", "fri.", "x", "xxy", "#", "no.", "st", "ſ", "İ", "K", "é", "٣", "_",
           ";", "los", "las", ", "]


def _spans(matches: list[re.Match[str]]) -> list[tuple[object, ...]]:
    return [(m.span(), m.groups(), m.lastgroup) for m in matches]


def test_scanner_finds_exactly_what_finditer_finds() -> None:
    rng = random.Random(5)
    scanner = Scanner()
    scans = [scanner.add(re.compile(p, re.IGNORECASE)) for p in _PATTERNS]
    for _ in range(1500):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 14)))
        pos = rng.randrange(len(text) + 1)
        end = rng.randrange(pos, len(text) + 1)
        for scan in scans:
            pattern = scan.pattern
            assert _spans(scan.matches(text)) == _spans(list(pattern.finditer(text))), text
            assert _spans(scan.matches(text, pos, end)) == _spans(
                list(pattern.finditer(text, pos, end))), (text, pos, end)
            assert _spans(scan.matches(text, pos, end, sliced=True)) == _spans(
                list(pattern.finditer(text[pos:end]))), (text, pos, end)
            # on the folded text: the same spans, group positions and last group
            assert [(m.regs, m.lastgroup) for m in scan.matches(
                text, original=False, limit=2)] == [
                (m.regs, m.lastgroup) for m in list(pattern.finditer(text))[:2]]
            found = pattern.search(text, pos, end)
            got = scan.search(text, pos, end)
            assert (got and got.span()) == (found and found.span())
    assert all(scan.prefixes is not None for scan in scans[:9])  # narrowed down, not plain
    # "los" after "(?<=[,;])" is found by the word-boundary finder alone
    assert {where for prefix, where in scans[7].prefixes or () if prefix.startswith("l")} == {"b"}
    assert {where for prefix, where in scans[8].prefixes or ()} == {""}


def test_a_pattern_added_after_a_scan_is_found_in_the_same_text() -> None:
    """Modules register their patterns when they are imported (extraction's on the first
    message tagged a promise); a scan remembered from before must not hide them. It did: a
    promise's amount went missing on the first batch after start-up and came back on the
    second."""
    scanner = Scanner()
    dates = scanner.add(re.compile(r"\bfriday\b", re.IGNORECASE))
    text = "We will pay USD 860 on Friday."
    assert [m.group() for m in dates.matches(text)] == ["Friday"]
    money = scanner.add(re.compile(r"\bUSD \d+"))
    assert [m.group() for m in money.matches(text)] == ["USD 860"]
    assert [m.group() for m in dates.matches(text)] == ["Friday"]


def test_scanned_rules_match_as_re_does_on_the_corpus() -> None:
    corpus = Path(__file__).resolve().parents[2] / "nlp" / "data" / "corpus" / "dev.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    for text in texts[:300]:
        for scan in SCANNER.patterns:
            assert _spans(scan.matches(text)) == _spans(list(scan.pattern.finditer(text)))


def test_every_rule_is_narrowed_down() -> None:
    """A pattern whose starts cannot be read off its parse tree is tried everywhere: correct,
    but slow. Rewrite it (or accept the cost knowingly) if this fails."""
    SCANNER.starts("")  # the patterns are analysed before the first scan
    assert [s.pattern.pattern for s in SCANNER.patterns if s.prefixes is None] == []


def test_no_rule_is_tried_at_every_word() -> None:
    """A rule whose prefixes were cut to one letter (too many to keep whole: the amount rule's
    currency codes were) is a candidate at most words of a message, and tried there."""
    importlib.import_module("nlp.amounts")  # every module that registers rules
    importlib.import_module("nlp.extract")
    SCANNER.starts("")
    assert [s.pattern.pattern[:60] for s in SCANNER.patterns
            if any(len(p) == 1 and p.isalpha() for p, _where in s.prefixes or ())] == []


@pytest.mark.parametrize(
    ("phrase", "sent", "expected"),
    [
        ("the Monday after Christmas", date(2026, 12, 15), date(2026, 12, 28)),
        ("the Friday before Christmas", date(2026, 12, 9), date(2026, 12, 18)),
        ("the Monday after Thanksgiving", date(2026, 11, 19), date(2026, 11, 30)),
        ("the Friday before Thanksgiving", date(2027, 11, 1), date(2027, 11, 19)),
        ("on Halloween", date(2026, 10, 26), date(2026, 10, 31)),
        ("by Christmas", date(2026, 12, 1), date(2026, 12, 24)),
        ("the day after Boxing Day", date(2026, 12, 1), date(2026, 12, 27)),
        ("on New Year's Day", date(2026, 12, 20), date(2027, 1, 1)),
        ("the Tuesday after Easter", date(2026, 3, 1), date(2026, 4, 7)),
        ("the Monday after Good Friday", date(2027, 3, 1), date(2027, 3, 29)),
        # Said after this year's has passed: next year's.
        ("the Monday after Christmas", date(2026, 12, 29), date(2027, 12, 27)),
    ],
)
def test_days_named_by_a_holiday(phrase: str, sent: date, expected: date) -> None:
    [mention] = times_in(phrase, sent)
    assert mention.when == expected


@pytest.mark.parametrize(
    ("phrase", "sent", "expected"),
    [
        # The Tuesday after the coming weekend: long weekends mostly end on a Monday holiday.
        ("We'll pay the $5,600 after the long weekend.", date(2026, 10, 2), date(2026, 10, 6)),
        ("after the bank holiday", date(2026, 8, 27), date(2026, 9, 1)),
        # Sent during the weekend: this one.
        ("after the long weekend", date(2026, 10, 10), date(2026, 10, 13)),
        ("after the long weekend", date(2026, 10, 12), date(2026, 10, 13)),
        # "the day after" a date is the day after it, whatever names the date.
        ("the day after the 25th", date(2026, 10, 19), date(2026, 10, 26)),
        ("the day after Friday", date(2026, 10, 19), date(2026, 10, 24)),
        ("the day after 30 November", date(2026, 10, 19), date(2026, 12, 1)),
    ],
)
def test_days_after_a_weekend_or_a_date(phrase: str, sent: date, expected: date) -> None:
    [mention] = times_in(phrase, sent)
    assert mention.when == expected


def test_greetings_and_a_weekday_said_again_are_no_dates() -> None:
    assert times_in("Merry Christmas to the team!", date(2026, 12, 15)) == ()
    text = "sent on the first of December. That's a Tuesday, aye."
    assert [m.when for m in times_in(text, date(2026, 11, 19))] == [date(2026, 12, 1)]


@pytest.mark.parametrize(
    ("sent", "day", "expected"),
    [
        (date(2026, 1, 20), 31, date(2026, 2, 28)),  # February has no 31st: its last day
        (date(2028, 1, 5), 30, date(2028, 2, 29)),  # a leap year
        (date(2026, 12, 15), 10, date(2027, 1, 10)),  # across the year end
        (date(2026, 3, 4), 15, date(2026, 4, 15)),
    ],
)
def test_day_of_next_month(sent: date, day: int, expected: date) -> None:
    assert day_of_next_month(sent, day) == expected


def test_a_section_no_language_fills_registers_no_rule() -> None:
    """An empty section of data/dates.json must not become a pattern that matches nothing
    everywhere (the empty string)."""
    assert dates.words_pattern("empty", []) == ""
    before = len(dates._RULES)
    dates._rule("empty", dates.words_pattern("empty", []))(lambda m, sent: None)
    assert len(dates._RULES) == before


@pytest.mark.parametrize(
    "phrase",
    ["el viernes pasado ya os pagamos", "pagámos na sexta passada", "payé vendredi dernier",
     "pagato venerdì scorso", "letzten Freitag überwiesen", "zapłaciliśmy w zeszły piątek"],
)
def test_a_weekday_said_as_past_is_no_promise_date(phrase: str) -> None:
    [mention] = times_in(phrase, date(2026, 11, 24))
    assert mention.is_past


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("inserita nel pagamento fornitori del giorno 5", date(2026, 12, 5)),
     ("te mando un echeq a 30 días", date(2026, 12, 24)),
     ("je vous fais un virement interac de 350 $ à soir", date(2026, 11, 24))],
)
def test_days_said_in_other_languages(phrase: str, expected: date) -> None:
    [mention] = times_in(phrase, date(2026, 11, 24))
    assert mention.when == expected


def test_next_week_typed_short_is_vague() -> None:
    [mention] = times_in("pago semana q vem sem falta", date(2026, 11, 24))
    assert mention.is_vague


@pytest.mark.parametrize(
    ("text", "said", "expected"),
    [
        ("ödeme 15 Şubat'ta yapılacak", "15 Şubat", date(2027, 2, 15)),  # a Turkish month
        ("kalan ödeme 3 mart", "3 mart", date(2027, 3, 3)),
        ("Nitatuma 25k kwa Mpesa Jumamosi", "Jumamosi", date(2027, 2, 13)),  # Swahili Saturday
    ],
)
def test_month_and_weekday_names_in_more_languages(text: str, said: str, expected: date) -> None:
    [found] = dates.find_times(text, date(2027, 2, 11))
    assert (text[found.start : found.end], found.when) == (said, expected)
