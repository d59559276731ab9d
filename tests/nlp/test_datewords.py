"""Date words of other languages (nlp/data/dates.json): how they resolve, and a bad file."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from nlp.dates import PAST, find_times
from nlp.datewords import DATE_WORDS, DateWordsError, read_date_words
from nlp.extract import extract_promise
from tests.nlp.house import version_changes

WED_2026_03_04 = date(2026, 3, 4)
SAT_2026_10_31 = date(2026, 10, 31)


def resolve(phrase: str, sent: date) -> date | None:
    """The date of the only time expression in `phrase`."""
    [mention] = find_times(phrase, sent)
    return mention.when


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # Spanish, Portuguese: tomorrow, weekdays, the day of the month, the month's end
        ("mañana i pay u the 2.300 pesos", date(2026, 3, 5)),
        ("le deposito el viernes sin falta", date(2026, 3, 6)),
        ("te pago el 15", date(2026, 3, 15)),
        ("pago a fin de mes", date(2026, 3, 31)),
        ("can i pay R$ 3.000 na sexta?", date(2026, 3, 6)),
        ("pago na segunda-feira", date(2026, 3, 9)),
        ("pago os R$ 650 dia 10 quando cair o salário", date(2026, 3, 10)),
        ("pagamos em 2 semanas", date(2026, 3, 18)),
        # French, German, Italian, Dutch
        ("virement demain", date(2026, 3, 5)),
        ("paiement dans huit jours", date(2026, 3, 11)),
        ("wir zahlen am 20.", date(2026, 3, 20)),
        ("Zahlung zum Monatsende", date(2026, 3, 31)),
        ("wir überweisen in 3 Tagen", date(2026, 3, 7)),
        ("pagheremo giovedì", date(2026, 3, 5)),
        ("betaling volgt binnen twee weken", date(2026, 3, 18)),
        # South Asian languages typed in Latin letters
        ("kal 50,000 bhej dunga", date(2026, 3, 5)),
        ("30 tareekh ko 50,000", date(2026, 3, 30)),
        ("15 din baad karunga", date(2026, 3, 19)),
        ("1 week mein cash arrange karke de dunga", date(2026, 3, 11)),
        ("bholi Rs 40,000 pathaunchu", date(2026, 3, 5)),
        ("baki ta mash sesh e", date(2026, 3, 31)),
        # South-East Asia, Arabic, Swahili
        ("sy transfer Rp 2jt tgl 25 ya", date(2026, 3, 25)),
        ("bayar besok pagi", date(2026, 3, 5)),
        ("2k sa 15 tas", date(2026, 3, 15)),
        ("el flous gaya el khamis inshallah", date(2026, 3, 5)),
        ("nitalipa kesho", date(2026, 3, 5)),
    ],
)
def test_words_of_other_languages_resolve_against_the_sent_date(phrase: str,
                                                                 expected: date) -> None:
    assert resolve(phrase, WED_2026_03_04) == expected


def test_a_day_of_the_month_rolls_over_the_month_and_year_end() -> None:
    assert resolve("tgl 5 ya", SAT_2026_10_31) == date(2026, 11, 5)
    assert resolve("pago dia 2", date(2026, 12, 20)) == date(2027, 1, 2)
    assert resolve("mañana", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    "phrase",
    [
        "kal payment kar diya",  # "kal" is yesterday too: the verb says which
        "Sir kal aapke shop pe aaya tha",
        "maine 10 tareekh ko online transfer kiya tha",
        "ajke Tk 20,000 bank e deposit korechi",  # paid today, not a promise for today
        "ayer hice la transferencia",
        "udah sy bayar kemarin",
    ],
)
def test_past_is_past(phrase: str) -> None:
    assert [m.kind for m in find_times(phrase, WED_2026_03_04)] == [PAST]


@pytest.mark.parametrize(
    ("phrase", "sent", "expected"),
    [
        # the end of a named month: this year's while it lasts, then next year's
        ("nous réglerons la facture fin janvier", WED_2026_03_04, date(2027, 1, 31)),
        ("Zahlung bis Ende März", WED_2026_03_04, date(2026, 3, 31)),
        ("pagheremo a fine febbraio", WED_2026_03_04, date(2027, 2, 28)),
        ("a finales de abril", WED_2026_03_04, date(2026, 4, 30)),
        ("até o final de janeiro 2028", WED_2026_03_04, date(2028, 1, 31)),
        ("zapłacimy do końca kwietnia", WED_2026_03_04, date(2026, 4, 30)),
        ("uiterlijk eind mei", WED_2026_03_04, date(2026, 5, 31)),
        # the end of next month
        ("fin du mois prochain", WED_2026_03_04, date(2026, 4, 30)),
        ("Ende nächsten Monats", date(2026, 12, 10), date(2027, 1, 31)),
        # the end of this week and the next: a Friday; on a weekend, the next Friday
        ("virement en fin de semaine", WED_2026_03_04, date(2026, 3, 6)),
        ("bis Ende Woche", SAT_2026_10_31, date(2026, 11, 6)),
        ("entro fine settimana", WED_2026_03_04, date(2026, 3, 6)),
        ("Ende nächster Woche", WED_2026_03_04, date(2026, 3, 13)),
        ("a finales de la semana que viene", WED_2026_03_04, date(2026, 3, 13)),
    ],
)
def test_ends_of_named_months_and_weeks(phrase: str, sent: date, expected: date) -> None:
    assert resolve(phrase, sent) == expected


@pytest.mark.parametrize(
    "phrase",
    ["mi-janvier", "a partir de diciembre", "Mitte Dezember", "ai primi di gennaio",
     "em meados de março", "w połowie grudnia", "in KW 51", "Kalenderwoche 3", "semaine 12",
     "we pay in week 51"],
)
def test_a_named_month_or_calendar_week_is_a_time_without_a_day(phrase: str) -> None:
    [mention] = find_times(phrase, WED_2026_03_04)
    assert (mention.kind, mention.when) == ("vague", None)


def test_a_day_after_a_month_name_is_not_swallowed_by_a_vague_month() -> None:
    """A month followed by a day is a date, not a time somewhere in the month: "in dec 15"
    is the 15th even though Dutch "in {month}" would read "in dec" as all December."""
    sent = date(2026, 11, 24)
    assert [m.when for m in find_times("we pay in dec 1 and in dec 15", sent)] == [
        date(2026, 12, 1), date(2026, 12, 15)]
    assert [m.when for m in find_times("Zahlung im Dezember 2027", sent)] == [None]


def test_a_past_verb_in_another_clause_does_not_count() -> None:
    [kal] = find_times("kal 20k bhej dunga, pichla wala mila?", WED_2026_03_04)
    assert kal.when == date(2026, 3, 5)


@pytest.mark.parametrize(
    "text",
    [
        "Guten Morgen Frau Weber",  # morning, not tomorrow
        "por la mañana",
        "segunda via do boleto",  # a duplicate bill, not Monday
        "Jumma Mubarak sir",
        "el 2.300 pesos",  # an amount, not the 2nd
        "sa 15k",
        "I am 15 minutes late",  # "am 15." is German only with its dot
    ],
)
def test_words_that_are_not_dates_here(text: str) -> None:
    assert find_times(text, WED_2026_03_04) == []


def test_the_time_before_a_final_future_verb_is_the_promise() -> None:
    """Hindi puts the verb last: in "aaj court mein busy hai isliye cheque kal dega" the
    cheque comes tomorrow, and "cheque" before "kal" does not make it a past payment."""
    sent = datetime.fromisoformat("2026-11-24T13:10:00+05:30")
    text = "Sir mere brother advocate hai, aaj court mein busy hai isliye cheque kal dega."
    promise = extract_promise(text, sent)
    assert promise is not None and promise.date == date(2026, 11, 25)
    text = "Sir pehle wala cheque mat lagana. Naya cheque Thursday ko dunga 64,000 ka."
    promise = extract_promise(text, datetime.fromisoformat("2026-07-14T17:15:00+05:30"))
    assert promise is not None and promise.date == date(2026, 7, 16)


def test_the_shipped_file_reads() -> None:
    words = read_date_words()
    assert words.weekdays["sexta"] == 4
    assert words.days["kal"] == 1 and "kal" in words.either_way
    assert "tgl {day}" in words.day_of_month


def _broken(tmp_path: Path, change: dict[str, object]) -> Path:
    raw = json.loads(DATE_WORDS.read_text(encoding="utf-8"))
    raw["languages"]["xx"] = change
    path = tmp_path / "dates.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"weekdays": {"viernes": 5}}, r"languages\.xx\.weekdays\.viernes: 5, but another "
                                       r"language gives it 4"),
        ({"weekdays": {"foo": 9}}, r"languages\.xx\.weekdays\.foo: 9 is not a weekday"),
        ({"day_of_month": ["on {dya}"]}, r"languages\.xx\.day_of_month: 'on \{dya\}' must hold"),
        ({"within": ["in {count} {unit}"]}, r"languages\.xx\.within: the language has no 'units'"),
        ({"units": {"dag": "fortnight"}}, r"languages\.xx\.units\.dag: 'fortnight' is not one of"),
        ({"either_way": ["zzz"]}, r"either_way word 'zzz' is not in any 'days'"),
        ({"weekday": {"x": 1}}, r"languages\.xx: unknown section\(s\) \['weekday'\]"),
        ({"past": "ayer"}, r"languages\.xx\.past: must be a list"),
        ({"named_month_end": ["fin {day}"]},
         r"languages\.xx\.named_month_end: 'fin \{day\}' must hold \{month\} once"),
        ({"week_number": ["KW"]}, r"languages\.xx\.week_number: 'kw' must hold \{week\}"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, section: dict[str, object],
                                               message: str) -> None:
    path = _broken(tmp_path, section)
    with pytest.raises(DateWordsError, match=message) as caught:
        read_date_words(path)
    assert str(caught.value).startswith(str(path))


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dates.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(DateWordsError, match="cannot read date words"):
        read_date_words(path)


def test_editing_the_file_changes_the_pipeline_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["languages"]["sw"]["days"]["keshokutwa"] = 2

    assert version_changes(tmp_path, monkeypatch, "DATE_WORDS", edit)
