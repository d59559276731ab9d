"""Where a customer writes from, read as the currency they count in (`data/places.json`).

"Kisumu Auto Centre", "the bank here in Tulsa", "Kensington Market Bistro, Toronto",
"Dartmouth, NS", "Pte Ltd", "+61 2 9555 0101" and "(780) 555-0133" each say which money a
"$" or a bare "the 40k" is in. `currencies_in` finds every such cue in a text and returns
the currencies they name; `nlp.currency` uses them when the message names no currency
itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.dates import trie

PLACES = Path(__file__).parent / "data" / "places.json"
_SECTIONS = ("places", "regions", "company_forms", "phone_codes", "postcodes", "word_codes",
             "area_codes", "local_words")
# A name right after a greeting is a person's ("Hi Sydney", "Dear Adelaide"); a place
# someone goes to is not where they write from ("he is travelling to Dubai").
_NOT_HERE = re.compile(
    r"(?i)(?:\b(?:hi|hello|hey|dear|thanks|thank\s+you|cheers|morning|ms|mrs|mr|miss)"
    r"\.?,?|\b(?:to|into|towards|visiting))\s*$"
    # A family name: "Mishari Al-Sabah" is no one from Sabah.
    r"|\b(?:al|el|bin|ibn|abu|bint)[-\s]$")


class PlaceError(Exception):
    """`places.json` cannot be used; says which file and key."""


@dataclass(frozen=True)
class PlaceFinder:
    names: re.Pattern[str] | None  # places and company forms
    by_name: dict[str, str]
    regions: re.Pattern[str] | None
    by_region: dict[str, str]
    word_codes: frozenset[str]  # counted only before a postcode
    phones: dict[str, str]
    postcodes: tuple[tuple[re.Pattern[str], str], ...]
    area_codes: dict[str, str]  # North American area code -> currency
    local: re.Pattern[str] | None = None  # local_words, each its own group
    by_local: tuple[str, ...] = ()  # the currency of each group of `local`

    def currencies_in(self, text: str) -> set[str]:
        """The currencies the places, company forms, phone numbers and postcodes in `text`
        are counted in."""
        found: set[str] = set()
        if self.names is not None:
            for m in self.names.finditer(text):
                if not _NOT_HERE.search(text, max(0, m.start() - 12), m.start()):
                    found.add(self.by_name[m.group(0)])
        if self.regions is not None:
            for m in self.regions.finditer(text):
                code = m.group("code")
                if code in self.word_codes and not m.group("post"):
                    continue
                found.add(self.by_region[code])
        for m in _PHONE.finditer(text):
            digits = re.sub(r"\D", "", m.group(1))
            if len(digits) < 8:
                continue
            # Calling codes are prefix-free: at most one of these is a code.
            code = next((digits[:k] for k in (4, 3, 2, 1) if digits[:k] in self.phones), None)
            if code is not None:
                found.add(self.phones[code])
        for pattern, currency in self.postcodes:
            if pattern.search(text):
                found.add(currency)
        if self.local is not None:
            for m in self.local.finditer(text):
                found.add(self.by_local[(m.lastindex or 1) - 1])
        if self.area_codes:
            for m in _NORTH_AMERICAN.finditer(text):
                area = self.area_codes.get(m.group("a") or m.group("b"))
                if area is not None:
                    found.add(area)
        return found


# "+61 2 9555 0101", "+1 (876) 555-0142", "+44-20-7946-0958": a "+" that starts a number.
_PHONE = re.compile(r"(?<![\w+])\+[ ]?(\d[\d ()\-.]{6,20}\d)")


# "(780) 555-0133", "514-555-0144", "604.555.0199", "1-876-555-0142": ten digits in the
# North American groups, the area code in brackets or set off like the rest. Digits run
# together ("7805550133") could be any number and are not read.
_NORTH_AMERICAN = re.compile(
    r"(?<![\w+.\-/])(?:1[ .\-])?(?:\((?P<a>[2-9]\d\d)\)[ ]?|(?P<b>[2-9]\d\d)(?P<sep>[ .\-]))"
    r"[2-9]\d\d(?(sep)(?P=sep)|[ .\-])\d{4}(?![\w\-]|[.,]\d)"
)


def _strings(raw: dict[str, Any], key: str) -> dict[str, list[str]]:
    section = raw.get(key, {})
    if not isinstance(section, dict) or not all(
        isinstance(v, list) and all(isinstance(s, str) and s.strip() for s in v)
        for v in section.values()
    ):
        raise PlaceError(f"{PLACES}: '{key}' must map each currency to a list of names")
    return section


def load(path: Path = PLACES) -> PlaceFinder:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlaceError(f"{path}: {exc}") from exc
    unknown = set(raw) - {"about", *_SECTIONS}
    if unknown:
        raise PlaceError(f"{path}: unknown key(s) {sorted(unknown)}")
    by_name: dict[str, str] = {}
    for key in ("places", "company_forms"):
        for currency, listed in _strings(raw, key).items():
            for name in listed:
                if by_name.setdefault(name, currency) != currency:
                    raise PlaceError(f"{path}: '{name}' is listed for {by_name[name]} and "
                                     f"{currency} ('{key}')")
    names: re.Pattern[str] | None = None
    if by_name:
        names = re.compile(rf"(?<![\w.])(?:{trie(set(by_name))})(?![\w])")
    # A region code two countries share (WA, NT) says nothing.
    seen: dict[str, set[str]] = {}
    for currency, codes in _strings(raw, "regions").items():
        for code in codes:
            seen.setdefault(code, set()).add(currency)
    by_region = {code: next(iter(cs)) for code, cs in seen.items() if len(cs) == 1}
    regions = None
    if by_region:
        regions = re.compile(
            r"(?<![\w])[A-Z][a-z]+(?:[ '-][A-Z][a-z]+){0,3},?[ \t]+"
            rf"(?P<code>{trie(set(by_region))})"
            r"(?:[ \t]+(?P<post>\d{4,5}(?:-\d{4})?|[A-Z]\d[A-Z][ ]?\d[A-Z]\d))?"
            r"(?=[ \t]*(?:$|[\n)|;]))",
            re.MULTILINE,
        )
    phones = raw.get("phone_codes", {})
    if not isinstance(phones, dict) or not all(
        k.isdigit() and isinstance(v, str) for k, v in phones.items()
    ):
        raise PlaceError(f"{path}: 'phone_codes' must map calling-code digits to a currency")
    words = raw.get("word_codes", [])
    postcodes: list[tuple[re.Pattern[str], str]] = []
    for currency, pattern in raw.get("postcodes", {}).items():
        try:
            postcodes.append((re.compile(rf"(?<![\w])(?:{pattern})(?![\w])"), currency))
        except re.error as exc:
            raise PlaceError(f"{path}: 'postcodes' {currency}: {exc}") from exc
    area_codes: dict[str, str] = {}
    for currency, listed in _strings(raw, "area_codes").items():
        for code in listed:
            if not (len(code) == 3 and code.isdigit()):
                raise PlaceError(f"{path}: 'area_codes' {currency}: '{code}' is not an area code")
            if area_codes.setdefault(code, currency) != currency:
                raise PlaceError(f"{path}: area code '{code}' is listed for "
                                 f"{area_codes[code]} and {currency}")
    local, by_local = _local_words(path, _strings(raw, "local_words"))
    return PlaceFinder(names, by_name, regions, by_region, frozenset(words), dict(phones),
                       tuple(postcodes), area_codes, local, by_local)


def _local_words(path: Path, section: dict[str, list[str]]) -> tuple[
        re.Pattern[str] | None, tuple[str, ...]]:
    """One pattern for every currency's local words, a group each: whole words, any case,
    but an entry all in capitals ("ACH") as written."""
    seen: dict[str, str] = {}
    groups, currencies = [], []
    for currency, listed in section.items():
        for word in listed:
            if seen.setdefault(word.lower(), currency) != currency:
                raise PlaceError(f"{path}: 'local_words' lists '{word}' for "
                                 f"{seen[word.lower()]} and {currency}")
        capitals = [_said(w) for w in listed if w.isupper()]
        others = [_said(w) for w in listed if not w.isupper()]
        alternatives = [f"(?i:{'|'.join(others)})"] if others else []
        alternatives += capitals
        groups.append(f"({'|'.join(alternatives)})")
        currencies.append(currency)
    if not groups:
        return None, ()
    return re.compile(r"(?<![\w/])(?:" + "|".join(groups) + r")(?![\w/])"), tuple(currencies)


def _said(word: str) -> str:
    return re.escape(word).replace(r"\ ", r"\s+")


@lru_cache(maxsize=1)
def finder() -> PlaceFinder:
    return load()


__all__ = ["PLACES", "PlaceError", "PlaceFinder", "finder", "load"]
