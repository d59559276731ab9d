"""Time expressions in a message, resolved to calendar dates against its local sent date.

A promise is only useful to a collector if "by Friday" becomes the Friday the customer meant,
so the rules follow how AR correspondents write (nlp/data/corpus/README.md, "Date
resolution"): a weekday, with or without "by/this/next/coming", is the first such day strictly
after the sent date; "end of month" is that month's last day; "the 15th" is the first 15th
after the sent date; "30 November" / "Nov 30" is its next occurrence; numeric dates keep a
stated year and take whichever day-month order is valid, the nearer upcoming one when both
are. Vague times ("next week", "early next month") are still reported, so a caller knows a
time was given, but carry no date. Past references ("yesterday", "last Friday") are reported as
such, so a payment confirmation's date is never mistaken for a promise.

Everything is plain `re`: every match of every rule, then the longest non-overlapping matches
win, so "Friday the 4th" beats "Friday" and "end of next week" beats "next week". The rules are
only tried where they can start (`Scanner`, also used by nlp.amounts and nlp.extract), which
finds the same matches as `finditer` at a fraction of the cost.
"""

from __future__ import annotations

import calendar
import re
import re._constants as _sre
import re._parser as _sre_parse
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from dateutil.easter import easter

from nlp.datewords import normal, read_date_words

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2,
    "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
    # As they are often typed.
    "wensday": 2, "wednsday": 2, "wedensday": 2, "wendsday": 2, "thrusday": 3, "thursay": 3,
    "tusday": 1, "tuseday": 1, "firday": 4, "saterday": 5,
}
_MONTH_NAMES = {
    1: "january jan januar janvier enero gennaio januari janeiro",
    2: "february feb februar février fevrier febrero febbraio februari fevereiro",
    3: "march mar märz maerz mars marzo maart março",
    4: "april apr avril abril aprile",
    5: "may mai mayo maggio mei maio",
    6: "june jun juni juin junio giugno junho",
    7: "july jul juli juillet julio luglio julho",
    8: "august aug août aout agosto augustus",
    9: "september sept sep septembre septiembre settembre setembro",
    10: "october oct oktober octobre octubre ottobre outubro",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember décembre decembre diciembre dicembre dezembro",
}
# Polish and Austrian names, genitive ("15 listopada") and nominative, with and without
# accents; Turkish ("15 Şubat'ta"), with and without its letters.
_MONTH_NAMES_MORE = {
    1: "jänner jaenner stycznia styczeń styczen", 2: "feber lutego luty", 3: "mär marca marzec",
    4: "kwietnia kwiecień kwiecien", 5: "maja maj", 6: "czerwca czerwiec", 7: "lipca lipiec",
    8: "sierpnia sierpień sierpien", 9: "września wrzesnia wrzesień wrzesien setiembre",
    10: "października pazdziernika październik pazdziernik okt",
    11: "listopada listopad", 12: "grudnia grudzień grudzien dez",
}
_TURKISH_MONTHS = {
    1: "ocak", 2: "şubat subat", 3: "mart", 4: "nisan", 5: "mayıs mayis", 6: "haziran",
    7: "temmuz", 8: "ağustos agustos", 9: "eylül eylul", 10: "ekim", 11: "kasım kasim",
    12: "aralık aralik",
}
for _more in (_MONTH_NAMES_MORE, _TURKISH_MONTHS):
    for _number, _names in _more.items():
        _MONTH_NAMES[_number] += " " + _names
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_ORD_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
ORDINALS = {w: i + 1 for i, w in enumerate(_ORD_WORDS)}
for _i, _w in enumerate(_ORD_WORDS[:9]):
    ORDINALS[f"twenty-{_w}"] = ORDINALS[f"twenty {_w}"] = ORDINALS[f"twenty{_w}"] = 21 + _i
ORDINALS.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31})
COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
          "forty five": 45, "sixty": 60, "ninety": 90}

# Kinds of mention. Only "past" and "vague" carry no usable promise date.
DATE, WEEKDAY, DAY, TODAY, NOW, TOMORROW, RELATIVE = (
    "date", "weekday", "day", "today", "now", "tomorrow", "relative")
MONTH_END, WEEK_END, TIME_OF_DAY, VAGUE, PAST = (
    "month_end", "week_end", "time_of_day", "vague", "past")


@dataclass(frozen=True, slots=True)
class TimeMention:
    start: int
    end: int
    kind: str
    when: date | None  # None: vague, past, or relative with no sent date to resolve against

    @property
    def is_vague(self) -> bool:
        return self.kind == VAGUE

    @property
    def is_past(self) -> bool:
        return self.kind == PAST


# --- calendar arithmetic -------------------------------------------------------------------


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, k: int) -> date:
    """Same day k months later, clamped to that month's last day (Jan 31 + 1 → Feb 28/29)."""
    y, m = divmod(d.month - 1 + k, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_weekday(d: date, weekday: int) -> date:
    """The first date strictly after d that falls on weekday (Monday = 0)."""
    return d + timedelta(days=(weekday - d.weekday() - 1) % 7 + 1)


def next_day_of_month(d: date, day: int, weekday: int | None = None) -> date | None:
    """The first date strictly after d whose day of the month is `day`.

    With a weekday ("Friday the 4th") a later month whose `day` falls on it is preferred,
    if one of the next three such dates does; otherwise the first one stands.
    """
    found: list[date] = []
    for k in range(0, 26):
        month = add_months(d.replace(day=1), k)
        if day <= calendar.monthrange(month.year, month.month)[1] and month.replace(day=day) > d:
            found.append(month.replace(day=day))
            if len(found) == 3:
                break
    if not found:
        return None
    if weekday is not None:
        return next((f for f in found if f.weekday() == weekday), found[0])
    return found[0]


def next_occurrence(d: date, month: int, day: int) -> date | None:
    """A day and month with no year: the next time it comes round, counting d itself.

    A date up to three months back is read as that past date rather than as next year's,
    because a message talking about "28 Dec" on 5 Jan means the one just gone.
    """
    readings = []
    for year in (d.year - 1, d.year, d.year + 1):
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    future = [r for r in readings if r >= d]
    past = [r for r in readings if r < d]
    if past and (d - past[-1]).days <= 92 and (not future or (future[0] - d).days > 270):
        return past[-1]
    return future[0] if future else None


def day_of_next_month(d: date, day: int) -> date:
    """That day of the month after d's, or its last day when it has fewer ("the 31st of next
    month" in February is 31 March; in January, 28 or 29 February)."""
    target = add_months(d.replace(day=1), 1)
    return target.replace(day=min(day, calendar.monthrange(target.year, target.month)[1]))


def end_of_named_month(d: date, month: int) -> date:
    """The last day of `month` this year, or next year's once this year's month is over."""
    return month_end(date(d.year if month >= d.month else d.year + 1, month, 1))


def friday_of_week(d: date, next_week: bool = False) -> date:
    """The end of `d`'s Monday-to-Sunday week, its Friday; sent on the weekend, the next
    Friday. With `next_week`, the Friday of the week after."""
    monday = d - timedelta(days=d.weekday())
    if next_week:
        return monday + timedelta(days=11)
    friday = monday + timedelta(days=4)
    return friday if friday >= d else next_weekday(d, 4)


def last_weekday_of_month(d: date) -> date:
    end = month_end(d)
    while end.weekday() > 4:
        end -= timedelta(days=1)
    return end


def add_business_days(d: date, n: int) -> date:
    day, left = d, n
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


# --- scanning: try a pattern only where it can start ---------------------------------------
#
# `re` tries a pattern at every position of the text, and an IGNORECASE alternation of many
# words costs ~100 ns a position: the 35 date rules alone took ~0.5 ms on a 170-character
# message, although nearly every position is hopeless for nearly every rule. A `Scanner` reads
# from each pattern's parse tree how any match must begin (its first few characters, a run of
# spaces or digits counting as one) and whether it begins at a word boundary, finds where any
# of its patterns may begin in one or two passes over the lower-cased text, and tries each
# pattern only there. A match can only begin at such a place, and trying them left to right
# from where the previous match ended is what `finditer` does: the matches are the same.
#
# Matching runs on `text.lower()`, case-sensitively (the "twin" pattern), which lines up with
# IGNORECASE character for character except for a few letters (dotted İ lower-cases to two
# characters; ſ, ı, µ and some Greek and Cyrillic letters match more than their lower case).
# A text holding one of those is scanned the slow, plain way.

_FOLD_UNSAFE_CODES = (
    0xB5, 0x130, 0x131, 0x17F, 0x345, 0x390, 0x392, 0x395, 0x398, 0x399, 0x39A, 0x39C, 0x3A0,
    0x3A1, 0x3A3, 0x3A6, 0x3B0, 0x3B2, 0x3B5, 0x3B8, 0x3B9, 0x3BA, 0x3BC, 0x3C0, 0x3C1, 0x3C2,
    0x3C3, 0x3C6, 0x3D0, 0x3D1, 0x3D5, 0x3D6, 0x3F0, 0x3F1, 0x3F4, 0x3F5, 0x412, 0x414, 0x41E,
    0x421, 0x422, 0x42A, 0x432, 0x434, 0x43E, 0x441, 0x442, 0x44A, 0x462, 0x463, 0x1C80, 0x1C81,
    0x1C82, 0x1C83, 0x1C84, 0x1C85, 0x1C86, 0x1C87, 0x1C88, 0x1E60, 0x1E61, 0x1E9B, 0x1FBE,
    0x1FD3, 0x1FE3, 0xA64A, 0xA64B, 0xFB05, 0xFB06,
)  # tests/nlp/test_dates.py recomputes these from the running Python's Unicode tables
FOLD_UNSAFE = frozenset(map(chr, _FOLD_UNSAFE_CODES))
_FOLD_UNSAFE_RE = re.compile("[" + "".join(sorted(FOLD_UNSAFE)) + "]")


def fold(text: str) -> str | None:
    """`text.lower()` when IGNORECASE matching on `text` equals plain matching on it."""
    if text.isascii() or _FOLD_UNSAFE_RE.search(text) is None:
        return text.lower()
    return None


_PREFIX_LEN = 5
# Prefixes are lower-case text in which two stand-ins match a run: of whitespace (`\s+`) or of
# digits (`\d+`). Any whitespace or digit in a pattern, literal or class, repeated or not, is
# spelled with them, and two runs of a kind in a row are one: so the next character of a text
# fits one spelling only, and a text is spelled one way (see `_spelling`).
_SPACE, _DIGIT = "\x00", "\x01"
# Where a prefix may start: at a word boundary, after anything but a digit, or anywhere.
_AT_BOUNDARY, _AFTER_NON_DIGIT, _ANYWHERE = "b", "d", ""
_AFTER_NON_WORD = "w"  # pending: a boundary if the first character is a word character
_STRENGTH = {_AT_BOUNDARY: 3, _AFTER_NON_WORD: 2, _AFTER_NON_DIGIT: 1, _ANYWHERE: 0}
_Prefix = tuple[str, str]  # (prefix, where)


def _spelled(ch: str) -> str:
    """How a character is spelled in a prefix (before runs are merged)."""
    return _SPACE if ch.isspace() else _DIGIT if ch.isdecimal() else ch


def _spelling(found: str) -> str:
    """A piece of text as prefixes spell it."""
    out: list[str] = []
    for ch in map(_spelled, found):
        if not (out and ch in (_SPACE, _DIGIT) and out[-1] == ch):
            out.append(ch)
    return "".join(out)


def _join(atom: str, tail: str) -> str:
    return atom + tail[1:] if atom in (_SPACE, _DIGIT) and tail[:1] == atom else atom + tail


def _atom(code: int) -> str | None:
    ch = chr(code).lower()
    if len(ch) != 1 or ch in (_SPACE, _DIGIT) or ch in FOLD_UNSAFE or chr(code) in FOLD_UNSAFE:
        return None  # unspellable: the prefix stops here
    return _spelled(ch)


def _atoms(op: Any, av: Any) -> set[str] | None:
    """The spellings of the one character a LITERAL or a class [...] consumes, if known."""
    if op is _sre.LITERAL:
        atom = _atom(av)
        return None if atom is None else {atom}
    if op is not _sre.IN:
        return None
    out: set[str] = set()
    for o, a in av:
        if o is _sre.LITERAL and (atom := _atom(a)) is not None:
            out.add(atom)
        elif o is _sre.CATEGORY and a in (_sre.CATEGORY_SPACE, _sre.CATEGORY_DIGIT):
            out.add(_SPACE if a is _sre.CATEGORY_SPACE else _DIGIT)
        elif o is _sre.RANGE and 0x30 <= a[0] <= a[1] <= 0x39:
            out.add(_DIGIT)
        else:
            return None
    return out


def _settle(where: str, first: str) -> str:
    """Where a prefix starting with `first` may start, given the assertions before it."""
    if where == _AFTER_NON_WORD:
        word = first == _DIGIT or (first != _SPACE and (first.isalnum() or first == "_"))
        return _AT_BOUNDARY if word else _ANYWHERE
    if where == _AFTER_NON_DIGIT:
        return _AFTER_NON_DIGIT if first == _DIGIT else _ANYWHERE
    return where


def _lookbehind_where(av: Any) -> str:
    """What `(?<![...])` in front of a pattern says about the character before its start."""
    direction, sub = av
    if direction != -1 or len(sub) != 1 or sub[0][0] is not _sre.IN:
        return _ANYWHERE
    items = sub[0][1]
    if (_sre.CATEGORY, _sre.CATEGORY_WORD) in items:
        return _AFTER_NON_WORD
    if (_sre.CATEGORY, _sre.CATEGORY_DIGIT) in items:
        return _AFTER_NON_DIGIT  # not [0-9]: "(?<!\d)" in the finder also refuses other digits
    return _ANYWHERE


def _after_non_word(av: Any) -> bool:
    """Whether `(?<=...)` in front of a pattern says the character before its start is no word
    character: "(?<=[,;])", "(?<=[,;]\\s)"."""
    direction, sub = av
    if direction != -1 or not len(sub):
        return False
    op, arg = sub[-1]
    items = [(op, arg)] if op in (_sre.LITERAL, _sre.CATEGORY) else arg if op is _sre.IN else None
    if not items:
        return False
    for o, a in items:
        if o is _sre.LITERAL:
            ch = chr(a)
            if ch.isalnum() or ch == "_":
                return False
        elif o is not _sre.CATEGORY or a is not _sre.CATEGORY_SPACE:
            return False
    return True


_Firsts = Callable[[tuple[Any, ...], int, str], frozenset[_Prefix]]
# Per pattern; past that, prefixes are cut shorter. The amount rule's currency codes and
# symbols need about 400: at 128 they were cut to one letter, and the rule was tried at most
# words of a message.
_MAX_PREFIXES = 1024


def _firsts(items: tuple[Any, ...], need: int, where: str, firsts: _Firsts) -> set[_Prefix]:
    """Every match of the parsed `items` starts with one of the returned prefixes.

    A prefix is cut short ("") where the pattern goes on with something it cannot spell; an
    empty prefix at the very start means "could start with anything". `firsts` is this
    function, memoised, for the parts.
    """
    if need == 0 or not items:
        return {("", where)}
    (op, av), rest = items[0], items[1:]
    fresh = need == _PREFIX_LEN
    if op is _sre.AT:
        if fresh and av is _sre.AT_BOUNDARY:
            where = _AT_BOUNDARY
        return set(firsts(rest, need, where))
    if op is _sre.ASSERT_NOT:
        if fresh:
            found = _lookbehind_where(av)
            where = max(where, found, key=_STRENGTH.__getitem__)
        return set(firsts(rest, need, where))
    if op is _sre.ASSERT:
        if fresh and _after_non_word(av):
            where = max(where, _AFTER_NON_WORD, key=_STRENGTH.__getitem__)
        return set(firsts(rest, need, where))
    atoms = _atoms(op, av)
    if atoms is not None:
        tails = firsts(rest, need - 1, where)
        return {(_join(atom, tail), _settle(where, atom) if fresh else where)
                for atom in atoms for tail, _ in tails}
    if op is _sre.SUBPATTERN:
        return set(firsts((*av[3], *rest), need, where))
    if op is _sre.ATOMIC_GROUP:
        return set(firsts((*av, *rest), need, where))
    if op is _sre.BRANCH:
        return set().union(*(firsts((*branch, *rest), need, where) for branch in av[1]))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, high, sub = av
        run = _atoms(*sub[0]) if len(sub) == 1 else None
        if run == {_SPACE} or run == {_DIGIT}:  # "\s+", "\d{1,3}", "[0-3]?": part of a run
            atom = _SPACE if run == {_SPACE} else _DIGIT
            once = {(_join(atom, tail), _settle(where, atom) if fresh else where)
                    for tail, _ in firsts(rest, need - 1, where)}
        elif high == 1:
            once = set(firsts((*sub, *rest), need, where))
        else:  # later repetitions may follow the first: its prefix is all that is certain
            once = set(firsts(tuple(sub), need, where))
            if sub.getwidth()[0] == 0:
                once |= firsts(rest, need, where)
        return once | firsts(rest, need, where) if low == 0 else once
    return {("", where)}


def _capped(found: set[_Prefix]) -> frozenset[_Prefix]:
    """At most _MAX_PREFIXES prefixes: shorter ones, when there are too many, still fit."""
    length = max((len(prefix) for prefix, _ in found), default=0)
    while len(found) > _MAX_PREFIXES and length > 1:
        length -= 1
        found = {(prefix[:length], where) for prefix, where in found}
    return frozenset(found)


def _prefixes(pattern: re.Pattern[str]) -> frozenset[_Prefix] | None:
    """How every match of `pattern` starts, or None when that cannot be narrowed down."""
    if pattern.flags & (re.ASCII | re.LOCALE):
        return None  # the finder's \b, \w, \d and \s are Unicode ones
    tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    if tree.getwidth()[0] == 0:
        return None  # matches "" somewhere: leave finditer's empty-match rules to `re`
    if _inline_flags(tree):
        return None
    # The same tail of a pattern comes up behind every branch of an alternation before it:
    # remember what it gives (parse-tree nodes are alive, so their ids are stable here).
    memo: dict[tuple[Any, ...], frozenset[_Prefix]] = {}

    def firsts(items: tuple[Any, ...], need: int, where: str) -> frozenset[_Prefix]:
        key = (*map(id, items), need, where)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _capped(_firsts(items, need, where, firsts))
        return found

    found = firsts(tuple(tree), _PREFIX_LEN, _ANYWHERE)
    if any(prefix == "" for prefix, _ in found):
        return None
    return found


def _inline_flags(items: Any) -> bool:
    r"""Whether a (?a:...) or (?L:...) group anywhere in the parsed `items` changes what
    \b, \w, \d and \s mean. (Case does not matter: prefixes are all lower case.)"""
    for op, av in items:
        if op is _sre.SUBPATTERN and ((av[1] | av[2]) & (re.ASCII | re.LOCALE)
                                      or _inline_flags(av[3])):
            return True
        if op in (_sre.ASSERT, _sre.ASSERT_NOT) and _inline_flags(av[1]):
            return True
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and _inline_flags(
                av[2]):
            return True
        if op is _sre.ATOMIC_GROUP and _inline_flags(av):
            return True
        if op is _sre.BRANCH and any(_inline_flags(branch) for branch in av[1]):
            return True
        if op is _sre.GROUPREF_EXISTS and any(
                _inline_flags(branch) for branch in av[1:] if branch is not None):
            return True
    return False


def _caseless(items: Any) -> bool:
    """Whether IGNORECASE matching of `items` equals plain matching on lower-cased text:
    no upper-case or case-folding-special literal, and no case-sensitive (?-i:...) part."""
    for op, av in items:
        if op in (_sre.LITERAL, _sre.NOT_LITERAL):
            ch = chr(av)
            if ch.lower() != ch or ch in FOLD_UNSAFE:
                return False
        elif op is _sre.RANGE:
            if av[1] - av[0] > 1000 or any(chr(c).lower() != chr(c) or chr(c) in FOLD_UNSAFE
                                           for c in range(av[0], av[1] + 1)):
                return False
        elif op is _sre.IN:
            if not _caseless(av):
                return False
        elif op is _sre.SUBPATTERN:
            if av[1] or av[2] or not _caseless(av[3]):
                return False
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if not _caseless(av[1]):
                return False
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            if not _caseless(av[2]):
                return False
        elif op is _sre.ATOMIC_GROUP:
            if not _caseless(av):
                return False
        elif op is _sre.BRANCH:
            if not all(_caseless(branch) for branch in av[1]):
                return False
        elif op is _sre.GROUPREF_EXISTS:
            if not all(_caseless(branch) for branch in av[1:] if branch is not None):
                return False
        elif op not in (_sre.AT, _sre.ANY, _sre.CATEGORY, _sre.NEGATE, _sre.GROUPREF):
            return False
    return True


def _lower_twin(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    if not pattern.flags & re.IGNORECASE:
        return None
    if not _caseless(_sre_parse.parse(pattern.pattern, pattern.flags)):
        return None
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


_CLASS = {_SPACE: "\\s", _DIGIT: "\\d"}
_RUN = {_SPACE: "\\s+", _DIGIT: "\\d+"}


def _first_class(prefixes: set[str]) -> str:
    return "[" + "".join(sorted({_CLASS.get(p[0], re.escape(p[0])) for p in prefixes})) + "]"


def trie(strings: set[str]) -> str:
    """An alternation of prefixes as a trie: one branch per next character (the spellings
    never overlap) and the longest first, so a lookahead reports the longest one here. `re`
    tries a thousand strings at a position in a few steps this way, not a thousand."""
    tree: dict[str, Any] = {}
    for s in strings:
        node = tree
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [_RUN.get(ch, re.escape(ch)) + emit(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


@dataclass(frozen=True, slots=True)
class _Starts:
    """Where each pattern of a scanner may match in one text, or in text[pos:end]."""

    text: str
    low: str | None  # None: not foldable, every pattern is run the plain way
    at: dict[int, list[int]]  # pattern id -> ascending candidate positions; none if absent
    pos: int = 0
    end: int = -1  # -1: the whole text


@dataclass(frozen=True, slots=True)
class _Finder:
    size: int  # how many patterns it was built for
    boundary: re.Pattern[str] | None  # prefixes at word boundaries
    inside: re.Pattern[str] | None  # prefixes inside words or after punctuation
    by_prefix: dict[str, list[tuple[int, str]]]  # prefix -> (pattern id, where) that need it
    ids: dict[tuple[str, str], tuple[int, ...]]  # (group, found) -> pattern ids, memoised
    at_boundary: dict[str, tuple[int, ...]]  # found as written -> the "b" group's pattern ids


# What the finders found, with its digits and whitespace made plain ("4411" and "2025" are both
# "0000"), names the same patterns: fewer keys to work out.
_PLAIN_RUNS = str.maketrans("123456789\t\n\r\x0b\x0c\xa0", "000000000     " + " ")

_GROUP_ALLOWS = {
    "b": (_AT_BOUNDARY, _AFTER_NON_DIGIT, _ANYWHERE),
    "d": (_AFTER_NON_DIGIT, _ANYWHERE),
    "n": (_ANYWHERE,),
}


class Scanner:
    """Patterns found together: one pass over a text finds where any of them may start."""

    def __init__(self) -> None:
        self._patterns: list[ScanPattern] = []
        self._finder: _Finder | None = None
        self._recent: tuple[_Starts, ...] = ()

    @property
    def patterns(self) -> tuple[ScanPattern, ...]:
        return tuple(self._patterns)

    def add(self, pattern: re.Pattern[str]) -> ScanPattern:
        fast = ScanPattern(self, len(self._patterns), pattern)
        self._patterns.append(fast)
        return fast

    def starts(self, text: str, pos: int = 0, endpos: int | None = None) -> _Starts:
        """Candidate starts of every pattern in `text`, or at least in text[pos:endpos].

        The last few scans are remembered: the dates, amounts, references and reasons of one
        message all come from one scan of it.
        """
        finder = self._finder
        if finder is None or finder.size != len(self._patterns):
            # Patterns were added (a module that registers its own was imported): scans made
            # before know nothing of them, so none of them may be reused.
            finder = self._finder = self._build()
            self._recent = ()
        recent = self._recent
        end = len(text) if endpos is None else endpos
        for starts in recent:
            if (starts.text is text or starts.text == text) and (
                starts.end < 0 or starts.pos <= pos <= end <= starts.end
            ):
                return starts
        low = fold(text)
        if low is None:
            starts = _Starts(text, None, {})
        elif pos == 0 and end == len(text):
            starts = self._scan(finder, text, low, 0, end, -1)
        else:
            starts = self._scan(finder, text, low, pos, end, end)
        self._recent = (starts, *recent[:3])
        return starts

    def _scan(
        self, finder: _Finder, text: str, low: str, pos: int, end: int, until: int
    ) -> _Starts:
        at: defaultdict[int, list[int]] = defaultdict(list)
        ids_of = finder.ids
        if len(ids_of) > 20_000:
            ids_of.clear()  # keyed by text ("00000 ", "the   end"): keep it bounded
        if finder.boundary is not None:
            # Memoised by the text as found first, which saves making the key for the usual
            # case (a word seen before); by its plain form when new.
            at_boundary = finder.at_boundary
            if len(at_boundary) > 20_000:
                at_boundary.clear()
            for m in finder.boundary.finditer(low, pos, end):
                found = m.group(1)
                ids = at_boundary.get(found)
                if ids is None:
                    key = ("b", found.translate(_PLAIN_RUNS))
                    ids = ids_of.get(key)
                    if ids is None:
                        ids = ids_of[key] = self._ids(finder, *key)
                    at_boundary[found] = ids
                start = m.start()
                for i in ids:
                    at[i].append(start)
        if finder.inside is not None:
            touched: set[int] = set()
            for m in finder.inside.finditer(low, pos, end):
                group = m.lastgroup or ""
                key = (group, m.group(group).translate(_PLAIN_RUNS))
                ids = ids_of.get(key)
                if ids is None:
                    ids = ids_of[key] = self._ids(finder, *key)
                start = m.start()
                for i in ids:
                    at[i].append(start)
                touched.update(ids)
            for i in touched:
                at[i].sort()  # merge with the boundary starts
        return _Starts(text, low, at, pos, until)

    def _build(self) -> _Finder:
        patterns = list(self._patterns)
        for fast in patterns[self._finder.size if self._finder else 0 :]:
            fast._analyse()
        by_prefix: dict[str, list[tuple[int, str]]] = {}
        for fast in patterns:
            for prefix, where in fast.prefixes or ():
                by_prefix.setdefault(prefix, []).append((fast.index, where))
        everything = set(by_prefix)
        inside_d = {p for p, uses in by_prefix.items()
                    if any(w in _GROUP_ALLOWS["d"] for _, w in uses)}
        inside_n = {p for p, uses in by_prefix.items() if any(w == _ANYWHERE for _, w in uses)}
        # "[first characters](?<=...)": consuming one of the prefixes' first characters lets `re`
        # skip every other position in C; the lookbehind then checks the boundary (or its
        # absence: `inside` leaves word boundaries to `boundary`) and looks at the prefix from
        # where that character starts. One character consumed, the next search starts right
        # after it, so no start is skipped.
        boundary = inside = None
        if everything:
            boundary = re.compile(
                f"{_first_class(everything)}(?<=\\b(?=({trie(everything)})).)", re.DOTALL
            )
        if inside_d:
            alts = [f"(?<!\\d)(?=(?P<d>{trie(inside_d)}))"]
            if inside_n:
                alts.append(f"(?=(?P<n>{trie(inside_n)}))")
            inside = re.compile(
                f"{_first_class(inside_d)}(?<=\\B(?:{'|'.join(alts)}).)", re.DOTALL
            )
        return _Finder(len(patterns), boundary, inside, by_prefix, {}, {})

    @staticmethod
    def _ids(finder: _Finder, group: str, found: str) -> tuple[int, ...]:
        """The patterns that may start where the finder's `group` found `found` (the longest
        prefix there: every shorter one that also fits is one of its own prefixes)."""
        allowed = _GROUP_ALLOWS[group]
        spelled = _spelling(found)
        heads = [spelled[:k] for k in range(1, len(spelled) + 1)]
        return tuple(sorted({i for head in heads for i, where in finder.by_prefix.get(head, ())
                             if where in allowed}))


class ScanPattern:
    """A compiled pattern with `re`'s results, tried only where its scanner says it may start.

    Calls must pass valid `pos`/`endpos` (0 <= pos <= endpos <= len(text)).
    """

    __slots__ = ("scanner", "index", "pattern", "twin", "prefixes", "head")

    def __init__(self, scanner: Scanner, index: int, pattern: re.Pattern[str]) -> None:
        self.scanner = scanner
        self.index = index
        self.pattern = pattern
        # Worked out by the scanner before its first scan (~2 ms a pattern, not at import):
        self.twin: re.Pattern[str] | None = None  # for matching on the folded text: faster
        self.prefixes: frozenset[_Prefix] | None = None
        self.head: re.Pattern[str] | None = None  # a prefix here, whatever comes before?

    def _analyse(self) -> None:
        self.twin = _lower_twin(self.pattern)
        self.prefixes = _prefixes(self.pattern)
        if self.prefixes is not None:
            self.head = re.compile(trie({p for p, _ in self.prefixes}))

    def could_match(self, starts: _Starts) -> bool:
        """False when the scan of a whole text (`Scanner.starts(text)`) rules out any match."""
        return starts.low is None or self.prefixes is None or self.index in starts.at

    def matches(
        self, text: str, pos: int = 0, endpos: int | None = None, *, sliced: bool = False,
        original: bool = True, limit: int = 0,
    ) -> list[re.Match[str]]:
        """`list(pattern.finditer(text, pos, endpos))`, or with `sliced` the matches in
        `text[pos:endpos]` taken as a string of its own (positions relative to it).

        With `original=False` a match may be on the lower-cased text instead: the same spans,
        group positions and `lastgroup`, lower-cased strings. `limit` > 0 stops after that many.
        """
        end = len(text) if endpos is None else endpos
        return self.matches_in(self.scanner.starts(text, pos, end), text, pos, end,
                               sliced=sliced, original=original, limit=limit)

    def matches_in(
        self, starts: _Starts, text: str, pos: int = 0, endpos: int | None = None, *,
        sliced: bool = False, original: bool = True, limit: int = 0,
    ) -> list[re.Match[str]]:
        """`matches` with the scan of `text` at hand (`Scanner.starts`, covering pos:endpos)."""
        end = len(text) if endpos is None else endpos
        low, head_re = starts.low, self.head
        if low is None or head_re is None:  # no head: no prefixes
            return self._plain(text, low, pos, end, sliced, original, limit)
        at = starts.at.get(self.index, _NONE)
        first = bisect_left(at, pos) if pos else 0
        if sliced:
            # The slice's first position has nothing before it, unlike in `text`: a prefix
            # there is a candidate whatever the boundary rules said.
            head = (first == len(at) or at[first] != pos) and (
                head_re.match(low, pos, end) is not None)
            if not head and (first == len(at) or at[first] >= end):
                return []
            candidates = [pos, *at[first:]] if head else at[first:]
            string, folded, shift, lo, hi = text[pos:end], low[pos:end], pos, 0, end - pos
        else:
            if first == len(at) or at[first] >= end:
                return []
            candidates = at[first:] if first else at
            string, folded, shift, lo, hi = text, low, 0, pos, end
        out: list[re.Match[str]] = []
        twin, pattern, last = self.twin, self.pattern, lo
        for p in candidates:
            p -= shift
            if p < last:
                continue
            if p >= hi:
                break
            if twin is not None:
                m = twin.match(folded, p, hi)
                if m is None:
                    continue
                if original:
                    m = pattern.match(string, p, hi) or _mismatch()
            else:
                m = pattern.match(string, p, hi)
                if m is None:
                    continue
            out.append(m)
            if len(out) == limit:
                break
            last = m.end()
        return out

    def _plain(
        self, text: str, low: str | None, pos: int, end: int, sliced: bool, original: bool,
        limit: int,
    ) -> list[re.Match[str]]:
        """Every position tried, as `re` does: for texts that cannot be folded and patterns
        whose starts cannot be narrowed down."""
        if sliced:
            text, low, pos, end = text[pos:end], low[pos:end] if low else low, 0, end - pos
        if low is None or self.twin is None:
            found = self.pattern.finditer(text, pos, end)
            return list(islice(found, limit) if limit else found)
        out: list[re.Match[str]] = []
        for m in self.twin.finditer(low, pos, end):
            out.append(m if not original else self.pattern.match(text, m.start(), end)
                       or _mismatch())
            if len(out) == limit:
                break
        return out

    def search(
        self, text: str, pos: int = 0, endpos: int | None = None, *, sliced: bool = False,
        original: bool = True,
    ) -> re.Match[str] | None:
        found = self.matches(text, pos, endpos, sliced=sliced, original=original, limit=1)
        return found[0] if found else None


_NONE: list[int] = []


def _mismatch() -> re.Match[str]:
    raise AssertionError("a pattern and its lower-case twin disagree")  # see _caseless


# One scanner for what is read out of a message: dates, amounts, references, dispute reasons,
# promise wording (nlp.extract). One pass over a message serves them all.
SCANNER = Scanner()

# --- patterns ------------------------------------------------------------------------------


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WD = rf"(?P<wd>{_alt(list(WEEKDAYS))})"
_MON = rf"(?P<mon>{_alt(list(MONTHS))})\.?"
_ORDW = rf"(?P<ow>{_alt(list(ORDINALS))})"
_DNUM = r"(?P<d>[0-3]?\d)"
_DORD = rf"(?:{_DNUM}(?:st|nd|rd|th)?|{_ORDW})"
_COUNT = rf"(?P<n>\d{{1,3}}|{_alt(list(COUNTS))})"
_UNIT = (r"(?P<unit>(?:business|working|calendar|bank)\s+days?|days?|weeks?|wks?|months?|"
         r"hours?|hrs?)")
_CUE = (r"(?:on|by|before|until|untill|till|til|from|starting|after|latest|for|due|"
        r"no\s+later\s+than)")
# An ordinal followed by one of these is an adjective ("3rd party", "first instalment").
_NOT_A_DAY = (
    r"(?!\s+(?:floor|time|times|instal?ments?|payments?|invoices?|reminders?|party|parties|"
    r"quarter|week|weeks|day|days|year|years|place|attempt|one|ones|items?|lines?|orders?|"
    r"notices?|letters?|emails?|calls?|round|anniversary|birthday|edition|century|page|row|"
    r"option|person|hours?|minutes?|units?|batch|shipments?|deliver(?:y|ies)|tranche|half|"
    r"thing|part|portion|amount|transfer|chance|step|stage|level|grade|class|choice|lots?|"
    r"loads?|containers?|pallets?|consignments?|cheques?|checks?|bills?|visit|go)\b)"
)
_REL_MONTH = r"(?:\s+of\s+(?P<rel>this|next|the\s+following|the\s+next|the|the\s+current)\s+month)?"


_Resolver = Callable[[re.Match[str], date | None], tuple[str, date | None] | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: ScanPattern
    resolve: _Resolver


_RULES: list[_Rule] = []


def _rule(name: str, *patterns: str) -> Callable[[_Resolver], _Resolver]:
    """Register a resolver for patterns; earlier rules win ties between equally long matches.
    An empty pattern (a section of data/dates.json no language fills) registers nothing."""

    def register(fn: _Resolver) -> _Resolver:
        _RULES.extend(_Rule(name, SCANNER.add(re.compile(p, re.IGNORECASE)), fn)
                      for p in patterns if p)
        return fn

    return register


def _raw(m: re.Match[str], name: str) -> str | None:
    """A named group, or None when this pattern of the rule does not have it."""
    return m.groupdict().get(name)


def _int(m: re.Match[str], name: str) -> int:
    return int(_raw(m, name) or 0)


def _g(m: re.Match[str], name: str) -> str | None:
    value = m.groupdict().get(name)
    return value.lower() if value else None


def _day_of(m: re.Match[str]) -> int:
    if _g(m, "d"):
        return int(_g(m, "d") or 0)
    return ORDINALS.get(" ".join((_g(m, "ow") or "").split()), 0)


def _month_of(m: re.Match[str]) -> int:
    return MONTHS[(_g(m, "mon") or "").rstrip(".")]


def _year_of(raw: str | None) -> int | None:
    if not raw:
        return None
    return int(raw) + (2000 if len(raw) == 2 else 0)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@_rule("iso", r"(?<![\d/.-])(?P<y>20\d\d)[-/.](?P<m>[01]?\d)[-/.](?P<d>[0-3]?\d)(?![\d])")
def _iso(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    when = _safe_date(_int(m, "y"), _int(m, "m"), _int(m, "d"))
    return (DATE, when) if when else None


@_rule(
    "numeric_year",
    r"(?<![\d/.,:#-])(?P<a>[0-3]?\d)(?P<sep>[/.-])(?P<b>[0-3]?\d)(?P=sep)(?P<y>20\d\d|\d\d)"
    r"(?!\d|[.,/-]\d)",
)
def _numeric_year(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    year = _year_of(_raw(m, "y"))
    assert year is not None
    a, b = _int(m, "a"), _int(m, "b")
    orders = [(a, b)] if _raw(m, "sep") == "." else [(a, b), (b, a)]  # dotted dates are day-first
    readings = [r for day, month in orders if (r := _safe_date(year, month, day))]
    return (DATE, _pick_reading(readings, sent)) if readings else None


@_rule("numeric", r"(?<![\d/.,:#\w-])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)(?![\d/]|[.,]\d)")
def _numeric(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    a, b = _int(m, "a"), _int(m, "b")
    fraction = a < b <= 4 and len(m.group(0)) == 3  # "1/2", but "01/02" is a date
    if m.group(0) in ("24/7", "50/50") or (fraction and not _cue_before(m)):
        return None  # "24/7", "1/2 now": not dates
    readings = []
    for day, month in ((a, b), (b, a)):
        if 1 <= month <= 12 and 1 <= day <= 31 and _safe_date(2024, month, day):
            readings.append((month, day))
    if not readings:
        return None
    if sent is None:
        return DATE, None
    found = [r for month, day in readings if (r := next_occurrence(sent, month, day))]
    return (DATE, _pick_reading(found, sent)) if found else None


def _pick_reading(readings: list[date], sent: date | None) -> date:
    """Of the day-month and month-day readings, the nearest one on or after the sent date."""
    if len(readings) == 1 or sent is None:
        return readings[0]
    upcoming = sorted((r for r in readings if r >= sent), key=lambda r: r - sent)
    return upcoming[0] if upcoming else readings[0]


_CUE_BEFORE = re.compile(rf"\b{_CUE}\s+(?:the\s+)?$", re.IGNORECASE)


def _cue_before(m: re.Match[str]) -> bool:
    """ "on 1/2", "by sat": a preposition that makes a short token a date."""
    return _CUE_BEFORE.search(m.string, max(0, m.start() - 20), m.start()) is not None


@_rule(
    "numeric_dotted",
    r"\b(?:on|by|before|until|till|til|from|starting|due|bis|am|le|el|no\s+later\s+than|paid"
    # German, Polish, Portuguese, French, Italian, Spanish: "zum 15.06", "do 15.06",
    # "até 15.06", "au 15.06", "entro il 15.06", "hasta el 15.06"
    r"|zum|vor|do|dnia|na|at[ée]|dia|au|avant|entro|il|al|para|hasta)\s+"
    r"(?:the\s+)?(?P<a>[0-3]?\d)\.(?P<b>[01]\d)\b\.?(?!\d|[.,]\d)",
)
def _numeric_dotted(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    """ "on 15.04": day-first, as everywhere dots separate dates; a bare "15.04" is a number."""
    day, month = _int(m, "a"), _int(m, "b")
    if not 1 <= month <= 12 or _safe_date(2024, month, day) is None:
        return None
    return DATE, next_occurrence(sent, month, day) if sent else None


@_rule(
    "day_month",
    rf"\b(?:{_WD},?\s+)?(?:the\s+)?{_DORD}\.?(?:\s+of|\s+de|\s*-)?\s*{_MON}(?![a-zà-ÿ])"
    r"(?:[\s,-]*(?P<y>20\d\d)(?!\d)|\s*'(?P<y2>\d\d)\b)?",
)
def _day_month(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if _MODAL_MAY.match(m.string, m.start("mon")) and not _raw(m, "y"):
        return None  # "items 1 and 2 may be late"
    return _absolute(m, sent)


_MODAL_MAY = re.compile(
    r"may\s+(?:be|have|not|need|take|get|want|also|still|well|already|pay|come|arrive|"
    r"require|ask|wish|help|i|we|you|they)\b"
)


@_rule(
    "month_day",
    rf"\b(?:{_WD},?\s+)?{_MON}\s*(?:the\s+)?{_DORD}(?![\d:])(?:,?\s*(?P<y>20\d\d)(?!\d))?",
)
def _month_day(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if _g(m, "mon") == "may" and m.group("mon")[0] == "m" and not _g(m, "wd") and (
        _g(m, "d") and not _ORDINAL_SUFFIX.search(m.group(0))
    ):
        return None  # "we may 2 ..." is not a date; "May 2" and "may 2nd" are
    return _absolute(m, sent)


_ORDINAL_SUFFIX = re.compile(r"\d(?:st|nd|rd|th)", re.IGNORECASE)


def _absolute(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    day, month = _day_of(m), _month_of(m)
    if not 1 <= day <= 31:
        return None
    year = _year_of(_g(m, "y") or _g(m, "y2"))
    if year is not None:
        when = _safe_date(year, month, day)
        return (DATE, when) if when else None
    if _safe_date(2024, month, day) is None:
        return None
    return DATE, next_occurrence(sent, month, day) if sent else None


@_rule(
    "day_of_month",
    rf"\b(?:the\s+)?{_DNUM}(?:st|nd|rd|th)\b{_REL_MONTH}{_NOT_A_DAY}",
    rf"\b{_CUE}\s+(?:the\s+){{0,2}}{_ORDW}\b{_REL_MONTH}{_NOT_A_DAY}",
    # From the tenth on, a spelled ordinal after "the" is a day without a cue ("so the
    # thirtieth"); "the first" or "the third" alone is too often something else.
    rf"\bthe\s+(?:the\s+)?(?P<ow>{_alt([w for w, n in ORDINALS.items() if n >= 10])})\b"
    rf"{_REL_MONTH}{_NOT_A_DAY}",
    rf"\bthe\s+{_ORDW}\s+of\s+(?P<rel>this|next|the\s+following|the)\s+month\b",
    rf"\b(?:on|by|before|until|till)\s+the\s+(?P<bare>[0-3]?\d)\b(?![\d/.,:%]){_NOT_A_DAY}",
)
def _day_of_month(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    day = _int(m, "bare") if _g(m, "bare") else _day_of(m)
    if not 1 <= day <= 31:
        return None
    if sent is None:
        return DAY, None
    rel = " ".join((_g(m, "rel") or "").split())
    if rel in ("next", "the following", "the next"):
        return DAY, day_of_next_month(sent, day)
    if rel in ("this", "the current"):
        return DAY, _safe_date(sent.year, sent.month, day) or month_end(sent)
    return DAY, next_day_of_month(sent, day)


@_rule(
    "month_end",
    r"\b(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+|this\s+|current\s+|the\s+current\s+)?"
    r"(?P<next>(?:next|following|coming)\s+)?month\b"
    r"|\b(?:the\s+)?(?:end|close)\s+of\s+the\s+(?P<next2>(?:next|following)\s+)month\b"
    r"|\b(?P<next3>next\s+)?month[\s-]?end\b|\beom\b|\bmonth\s+is\s+out\b"
    r"|\bend[\s-](?:of\s+)?(?:this\s+)?month\b"
    r"|\b(?:the\s+)?last\s+(?P<working>(?:working|business)\s+)?day\s+of\s+"
    r"(?:the\s+|this\s+)?(?P<next4>next\s+)?month\b",
)
def _month_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return MONTH_END, None
    base = sent
    if _raw(m, "next") or _raw(m, "next2") or _raw(m, "next3") or _raw(m, "next4"):
        base = add_months(sent.replace(day=1), 1)
    return MONTH_END, last_weekday_of_month(base) if _raw(m, "working") else month_end(base)


@_rule(
    "named_month_end",
    rf"\b(?:the\s+)?(?:end|close|last\s+day)\s+of\s+{_MON}(?![a-z])(?:\s+(?P<y>20\d\d))?",
)
def _named_month_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    month = _month_of(m)
    if _raw(m, "y"):
        return MONTH_END, month_end(date(_int(m, "y"), month, 1))
    if sent is None:
        return MONTH_END, None
    return MONTH_END, end_of_named_month(sent, month)


@_rule(
    "year_end",
    r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:calendar\s+)?year\b|\byear[\s-]?end\b"
    r"|\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter\b|\bquarter[\s-]?end\b"
    r"|\b(?:the\s+)?end\s+of\s+(?P<q>q[1-4])\b",
)
def _year_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return MONTH_END, None
    text = m.group(0).lower()
    if "quarter" in text or _raw(m, "q"):
        q = _raw(m, "q")
        quarter = int(q[1]) if q else (sent.month - 1) // 3 + 1
        end = month_end(date(sent.year, quarter * 3, 1))
        return MONTH_END, end if end >= sent else month_end(date(sent.year + 1, quarter * 3, 1))
    return MONTH_END, date(sent.year, 12, 31)


@_rule(
    "week_end",
    r"\b(?:the\s+)?end\s+of\s+(?P<which>next|nxt|the\s+following|the\s+next|this|the|this\s+coming)"
    r"\s+(?:week|wk)\b|\beow\b|\bend\s+of\s+(?:the\s+)?week\b|\bend\s+(?P<which2>next)\s+week\b",
)
def _week_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return WEEK_END, None
    which = " ".join((_g(m, "which") or _g(m, "which2") or "").split())
    return WEEK_END, friday_of_week(sent, which in ("next", "nxt", "the following", "the next"))


@_rule(
    "weekday_week",
    rf"\b{_WD}\s+week\b(?!\s*(?:\d|of|on|from|\())",
    rf"\ba\s+week\s+(?:on|from)\s+{_WD}\b",
)
def _weekday_week(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    # "Monday week", "a week on Monday": the Monday after the coming one
    if sent is None:
        return WEEKDAY, None
    return WEEKDAY, next_weekday(sent, WEEKDAYS[_g(m, "wd") or ""]) + timedelta(days=7)


# "Friday after next", "the Friday run after next"
@_rule("weekday_after_next", rf"\b(?:the\s+)?{_WD}(?:'s)?(?:\s+(?:payment\s+|pay\s+|cheque\s+|"
       rf"check\s+|eft\s+|ach\s+)?(?:run|batch|cycle))?\s+after\s+next\b")
def _weekday_after_next(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return _weekday_week(m, sent)


@_rule(
    "weekday_of_week",
    rf"\b(?P<which>next|this|the\s+following)\s+week(?:\s+on|,)?\s+{_WD}\b",
    rf"\b{_WD}\s+(?:of\s+)?(?P<which2>next|this|the\s+following)\s+week\b",
)
def _weekday_of_week(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return WEEKDAY, None
    weekday = WEEKDAYS[_g(m, "wd") or ""]
    monday = sent - timedelta(days=sent.weekday())
    if (_g(m, "which") or _g(m, "which2")) != "this":
        return WEEKDAY, monday + timedelta(days=7 + weekday)
    when = monday + timedelta(days=weekday)
    return WEEKDAY, when if when > sent else next_weekday(sent, weekday)


# Days every customer names a payment by, wherever they are: "the Monday after Christmas",
# "the Friday before Thanksgiving", "the day after Boxing Day". Thanksgiving is the US one
# (the fourth Thursday of November); Canada's falls on a long weekend customers call just
# that.
_HOLIDAY = (
    r"(?P<holiday>christmas\s+eve|christmas(?:\s+day)?|xmas(?:\s+eve)?|boxing\s+day|"
    r"new\s+year'?s?\s+eve|new\s+year'?s?(?:\s+day)?|halloween|thanksgiving|"
    r"good\s+friday|easter(?:\s+(?:sunday|monday))?)"
)


def _holiday_on(name: str, year: int) -> date:
    name = " ".join(name.lower().replace("'", "").split())
    if name.startswith("easter") or name == "good friday":
        sunday = easter(year)
        return sunday + timedelta(days={"good friday": -2, "easter monday": 1}.get(name, 0))
    if name == "thanksgiving":
        first = date(year, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    fixed = {"christmas eve": (12, 24), "xmas eve": (12, 24), "boxing day": (12, 26),
             "new years eve": (12, 31), "new year eve": (12, 31), "halloween": (10, 31),
             "new years": (1, 1), "new year": (1, 1), "new years day": (1, 1),
             "new year day": (1, 1)}
    month, day = fixed.get(name, (12, 25))
    return date(year, month, day)


def next_holiday(name: str, sent: date) -> date:
    """The named day on or after `sent`."""
    when = _holiday_on(name, sent.year)
    return when if when >= sent else _holiday_on(name, sent.year + 1)


@_rule(
    "holiday",
    rf"\b(?:the\s+)?{_WD}\s+(?P<rel>before|after)\s+(?:the\s+)?{_HOLIDAY}\b",
    rf"\b(?:the\s+)?(?P<day>day)\s+(?P<rel2>before|after)\s+(?:the\s+)?{_HOLIDAY}\b",
    rf"\b(?P<lead>on|by|before)\s+{_HOLIDAY}\b",
)
def _holiday(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return DATE, None
    name = _g(m, "holiday") or ""
    day = next_holiday(name, sent)
    rel = _g(m, "rel") or _g(m, "rel2")
    lead = _g(m, "lead")
    if lead is not None:
        # "by Christmas" is the last day before it; "on Halloween" is the day itself.
        return DATE, day if lead.lower() == "on" else day - timedelta(days=1)
    if _g(m, "day") is not None:
        return DATE, day + timedelta(days=1 if rel == "after" else -1)
    weekday = WEEKDAYS[_g(m, "wd") or ""]
    if rel == "after":
        return DATE, next_weekday(day, weekday)
    back = (day.weekday() - weekday) % 7 or 7
    return DATE, day - timedelta(days=back)


@_rule(
    "past_weekday",
    rf"\b(?:last|past|this\s+past|previous|on\s+the\s+previous)\s+{_WD}\b",
    rf"\b{_WD}\s+(?:just\s+gone|last(?:\s+week)?)\b",
)
def _past_weekday(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return PAST, None


_SHORT_AMBIGUOUS = {"mon", "wed", "sat", "sun"}


@_rule(
    "weekday",
    rf"\b(?:(?:this|next|nxt|coming|this\s+coming|on\s+coming|the\s+coming|upcoming|"
    rf"the\s+following|following)\s+)?{_WD}\b",
)
def _weekday(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    word = _g(m, "wd") or ""
    bare = m.group(0).lower() == word
    if _NOT_A_WEEKDAY_BEFORE.search(m.string, max(0, m.start() - 14), m.start()) or (
        _RANGE_AFTER.match(m.string, m.end())
    ):
        return None  # "Happy Friday!", office hours "Mon-Fri"
    if word in _SHORT_AMBIGUOUS and bare and m.group("wd").islower():
        if not (_cue_before(m) or _ends_clause(m)):
            return None  # "sat", "sun", "wed" in running text are ordinary words
    return WEEKDAY, next_weekday(sent, WEEKDAYS[word]) if sent else None


_NOT_A_WEEKDAY_BEFORE = re.compile(
    rf"(?:\bhappy|\benjoy\s+(?:your|the)|\b(?:{_alt(list(WEEKDAYS))})\s?(?:[-–]|to\b)"
    # "the first of December. That's a Tuesday": the date said again, not another one
    r"|\b(?:that'?s|that\s+is|which\s+is|it'?s|falls\s+on)\s+a)\s*$",
    re.IGNORECASE,
)
_RANGE_AFTER = re.compile(rf"\s?(?:[-–]|to)\s?{_WD}\b", re.IGNORECASE)


def _ends_clause(m: re.Match[str]) -> bool:
    rest = m.string[m.end() : m.end() + 3].lstrip(" ")
    return not rest or not rest[0].isalnum()


# "after the long weekend", "after the bank holiday": most long weekends end on a Monday
# holiday (Labour Day, Thanksgiving in Canada, King's Birthday, the UK and Irish bank
# holidays), so the day meant is the Tuesday after the coming weekend, or after this one when
# the message is sent during it.
@_rule("after_long_weekend", r"\bafter\s+(?:the|this|our|your)\s+(?:long\s+weekend|"
       r"(?:bank|public)\s+holiday(?:\s+weekend)?)\b")
def _after_long_weekend(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return DATE, None
    monday = sent + timedelta(days=(7 - sent.weekday()) % 7)  # the sent day if a Monday
    return DATE, monday + timedelta(days=1)


@_rule(
    "tomorrow",
    r"\b(?P<after>(?:the\s+)?day\s+after\s+)?(?:tomorrow|tomorow|tommorow|tommorrow|tomorro|"
    r"tmrw|tmrow|tmw|tmr|2moro|2morrow|2mrw|2mro|tomoro|tmoro|tommoro)\b",
)
def _tomorrow(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return TOMORROW, None
    return TOMORROW, sent + timedelta(days=2 if _raw(m, "after") else 1)


@_rule(
    "today",
    r"\b(?:later\s+(?:on\s+)?)?today\b|\btonight\b|\b2day\b"
    r"|\bthis\s+(?:afternoon|evening|arvo)\b|\b(?:by|before)\s+(?:the\s+)?evening\b"
    r"|\bstraight\s+away\b|\bright\s+away\b|\bsame[\s-]day\b|\btoday'?s\s+(?:run|batch)\b",
)
def _today(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return TODAY, sent


@_rule("now", r"\b(?:right\s+)?now\b|\bimmediately\b|\bas\s+we\s+speak\b")
def _now(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return NOW, sent


@_rule(
    "time_of_day",
    r"\b(?:c\.?o\.?b|e\.?o\.?d|e\.?o\.?b)\b\.?|\bclose\s+of\s+(?:business|play)\b"
    r"|\b(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|working\s+)?day\b"
    r"|\bend\s+of\s+business\b",
)
def _time_of_day(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return TIME_OF_DAY, sent


@_rule(
    "relative",
    rf"\b(?:in|within|inside(?:\s+of)?|over|during)\s+(?:the\s+)?(?:next\s+|coming\s+)?"
    rf"{_COUNT}\s+{_UNIT}\b(?:'?s?\s+time)?",
    rf"\b{_COUNT}\s+{_UNIT}\s+from\s+(?:now|today)\b",
    rf"\b(?:give|allow)\s+(?:me|us)\s+(?:another\s+|a\s+further\s+|an\s+extra\s+)?"
    rf"{_COUNT}\s+{_UNIT}\b",
    r"\b(?P<fortnight>(?:in|within)\s+a\s+fortnight|a\s+fortnight\s+(?:from\s+(?:today|now)|today)"
    r"|in\s+a\s+fortnight'?s?\s+time)\b"
    r"|\b(?P<week>this\s+time\s+next\s+week|a\s+week\s+(?:today|from\s+today|from\s+now))\b"
    r"|\b(?P<week1>a\s+week\s+tomorrow)\b",
)
def _relative(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    if sent is None:
        return RELATIVE, None
    if _raw(m, "fortnight"):
        return RELATIVE, sent + timedelta(days=14)
    if _raw(m, "week") or _raw(m, "week1"):
        return RELATIVE, sent + timedelta(days=8 if _raw(m, "week1") else 7)
    raw = " ".join((_g(m, "n") or "").split())
    n = int(raw) if raw.isdigit() else COUNTS.get(raw, 0)
    unit = " ".join((_g(m, "unit") or "").split())
    if n <= 0:
        return None
    if unit.startswith(("business", "working", "bank")):
        return RELATIVE, add_business_days(sent, n)
    if unit.startswith("h"):
        return RELATIVE, sent + timedelta(days=max(1, n // 24))
    if unit.startswith("w"):
        return RELATIVE, sent + timedelta(days=7 * n)
    if unit.startswith("month"):
        return RELATIVE, add_months(sent, n)
    return RELATIVE, sent + timedelta(days=n)


_VAGUE_MOD = (
    r"(?:sometime|some\s+time|early|earlier|later|late|mid|middle\s+of|beginning\s+of|"
    r"start\s+of|the\s+start\s+of|the\s+beginning\s+of|the\s+middle\s+of|"
    r"first\s+half\s+of|second\s+half\s+of|the\s+first\s+half\s+of|the\s+second\s+half\s+of)"
)


@_rule(
    "vague",
    rf"\b(?:{_VAGUE_MOD}[\s-]+(?:in\s+|of\s+)?)?(?:the\s+)?(?:next|nxt|this|coming|this\s+coming|"
    r"the\s+coming|following|the\s+following)\s+(?:week|wk|month|mth|quarter|year)\b",
    rf"\b(?:in\s+)?{_VAGUE_MOD}[\s-]+(?:of\s+)?(?:{_MON}(?![a-z])|the\s+month|month)",
    rf"\b(?:in\s+)?(?:the\s+)?(?:first|1st|second|2nd|third|3rd|last|final)\s+(?:week|fortnight|"
    rf"half|few\s+days)\s+of\s+(?:{_MON}(?![a-z])|(?:the\s+|this\s+|next\s+)?month)",
    rf"\bin\s+{_MON}(?![a-z])(?!\s*\d)",
    r"\b(?:in|by|during)\s+(?:calendar\s+)?(?:week|wk)\s*(?:no\.?\s*|#\s*)?"
    r"(?:5[0-3]|[1-4]\d|0?[1-9])\b(?![.,/:-]\d)|\bcw\s*(?:5[0-3]|[1-4]\d|0?[1-9])\b",
    r"\b(?:soon|asap|a\.s\.a\.p\.?|shortly|as\s+soon\s+as\s+(?:possible|we\s+can)|"
    r"in\s+due\s+course|in\s+the\s+coming\s+(?:days|weeks)|mid[\s-]?month|"
    r"(?:in|within|over)\s+(?:the\s+next\s+|the\s+coming\s+|a\s+)?(?:few|several|couple\s+of)\s+"
    r"(?:days|weeks)|(?:by|over|at|on|this|next)\s+(?:the\s+)?weekend)\b",
)
def _vague(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return VAGUE, None


@_rule(
    "past",
    r"\b(?:yesterday|yday|yest|ystrday|ystday|yesterdy|the\s+day\s+before\s+yesterday|"
    r"earlier\s+today|earlier\s+this\s+(?:week|month|morning|year)|this\s+morning|"
    r"last\s+(?:night|week|wk|month|year|time|quarter)|the\s+other\s+day|"
    rf"(?:a\s+)?(?:few|couple\s+of|several|{_alt(list(COUNTS))}|\d+)\s+(?:days|weeks|months|years)"
    r"\s+ago|a\s+(?:day|week|month|year)\s+ago)\b",
)
def _past(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return PAST, None


# --- date words of other languages (data/dates.json) ---------------------------------------
# Registered after the English rules, so English wins a tie between equally long matches.

WORDS = read_date_words()


def _phrase_alt(phrases: Iterable[str]) -> str:
    return "|".join(r"\s+".join(re.escape(w) for w in p.split())
                    for p in sorted(phrases, key=len, reverse=True))


def words_pattern(group: str, phrases: Iterable[str]) -> str:
    """A regex finding any of `phrases` as whole words, in a group of that name ("" for
    none)."""
    alt = _phrase_alt(phrases)
    return rf"(?<!\w)(?P<{group}>{alt})(?!\w)" if alt else ""


def _templates_pattern(templates: Iterable[str]) -> str:
    """One alternation of a section's templates ("" for none), keyed by position."""
    return "|".join(f"(?:{_template(p, k)})" for k, p in enumerate(sorted(templates)))


def _template(
    template: str, key: int, units: Iterable[str] = (), counts: Iterable[str] = ()
) -> str:
    """A pattern of the file as a regex: "tgl {day}", "{count} {unit} baad", "fin {month}",
    "KW {week}". A day must not run on into a number or word ("el 2.300", "sa 15k"). The
    groups are named with `key` (fd_3, fn_3, fu_3, fm_3, fw_3), so that all patterns go in one
    alternation."""
    slots = {
        "{day}": rf"(?P<fd_{key}>[0-3]?\d)(?:st|nd|rd|th|º|ª|°|er|e)?",
        "{count}": rf"(?P<fn_{key}>\d{{1,3}}{'|' if counts else ''}{_phrase_alt(counts)})",
        "{unit}": rf"(?P<fu_{key}>{_phrase_alt(units)})",
        "{month}": rf"(?P<fm_{key}>{_alt(list(MONTHS))})\.?",
        "{week}": rf"(?P<fw_{key}>5[0-3]|[1-4]\d|0?[1-9])",
    }
    parts = [p for p in re.split(r"(\{\w+\}|\s+)", template) if p]
    out = "".join(slots.get(p, r"\s+" if p.isspace() else re.escape(p)) for p in parts)
    lead = r"(?<!\w)" if parts[0] in slots or parts[0][0].isalnum() else ""
    if parts[-1] == "{day}":
        tail = r"(?![\w%]|[.,/:-]\d)"
    elif parts[-1] == "{month}":  # "fin janvier 2027"; "en janvier 15" is no month's time
        tail = rf"(?:\s+(?P<fy_{key}>20\d\d))?(?!\w)(?!\s*\d)"
    elif parts[-1][-1].isalnum() or parts[-1] in slots:
        tail = r"(?!\w)"
    else:
        tail = r"(?!\d)"  # "am 15." is a day; "am 15.04." is a date
    return lead + out + tail


def _blocked_by_neighbours(m: re.Match[str], word: str) -> bool:
    """"guten Morgen" is no tomorrow, "segunda via" (a duplicate bill) no Monday."""
    before = WORDS.not_after.get(word)
    if before and (prev := _WORD_BEFORE.search(m.string, max(0, m.start() - 24), m.start())):
        if prev.group(1).lower() in before:
            return True
    after = WORDS.not_before.get(word)
    if after and (nxt := _WORD_AFTER.match(m.string, m.end())):
        return nxt.group(1).lower() in after
    return False


_WORD_BEFORE = re.compile(r"(\w+)[^\w.!?\n]*$")
_WORD_AFTER = re.compile(r"[^\w.!?\n]*(\w+)")
_CLAUSE = re.compile(r"(?:[^,;.!?\n]|(?<=\d)[,.](?=\d)){0,60}")  # "20,000" goes on
_PAST_MARKER = re.compile(words_pattern("marker", WORDS.past_markers), re.IGNORECASE) if (
    WORDS.past_markers) else None


def _told_as_past(m: re.Match[str]) -> bool:
    """A past-tense verb later in the clause: "10 tareekh ko transfer kiya tha" was paid."""
    if _PAST_MARKER is None:
        return False
    clause = _CLAUSE.match(m.string, m.end())
    return clause is not None and _PAST_MARKER.search(clause.group(0)) is not None


@_rule("foreign_weekday", words_pattern("fwd", WORDS.weekdays))
def _foreign_weekday(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    word = normal(m.group("fwd"))
    if _blocked_by_neighbours(m, word):
        return None
    if _told_as_past(m):
        return PAST, None
    return WEEKDAY, next_weekday(sent, WORDS.weekdays[word]) if sent else None


@_rule("foreign_day", words_pattern("fday", WORDS.days))
def _foreign_day(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    word = normal(m.group("fday"))
    if _blocked_by_neighbours(m, word):
        return None
    days = WORDS.days[word]
    if (days == 0 or word in WORDS.either_way) and _told_as_past(m):
        return PAST, None  # "kal payment kar diya": yesterday; "ajke … korechi": done today
    kind = TODAY if days == 0 else TOMORROW if days <= 2 else RELATIVE
    return kind, sent + timedelta(days=days) if sent else None


@_rule("foreign_past", words_pattern("fpast", WORDS.past))
def _foreign_past(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return PAST, None


@_rule("foreign_vague", words_pattern("fvague", WORDS.vague))
def _foreign_vague(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return VAGUE, None


@_rule("foreign_month_end", words_pattern("fend", WORDS.month_end))
def _foreign_month_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    return MONTH_END, month_end(sent) if sent else None


@_rule("foreign_next_month_end", words_pattern("fnend", WORDS.next_month_end))
def _foreign_next_month_end(
    m: re.Match[str], sent: date | None
) -> tuple[str, date | None] | None:
    """ "fin du mois prochain", "Ende nächsten Monats": the last day of the month after."""
    return MONTH_END, month_end(add_months(sent.replace(day=1), 1)) if sent else None


@_rule("foreign_week_end", words_pattern("fwend", WORDS.week_end))
def _foreign_week_end(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    """ "en fin de semaine", "bis Ende Woche": the Friday of the sent week (as "end of the
    week"); sent on a weekend, the next Friday."""
    return WEEK_END, friday_of_week(sent) if sent else None


@_rule("foreign_next_week_end", words_pattern("fnwend", WORDS.next_week_end))
def _foreign_next_week_end(
    m: re.Match[str], sent: date | None
) -> tuple[str, date | None] | None:
    """ "Ende nächster Woche", "fin de la semaine prochaine": the next week's Friday."""
    return WEEK_END, friday_of_week(sent, next_week=True) if sent else None


@_rule("foreign_named_month_end", _templates_pattern(WORDS.named_month_end))
def _foreign_named_month_end(
    m: re.Match[str], sent: date | None
) -> tuple[str, date | None] | None:
    """ "fin janvier", "Ende Januar", "a finales de enero": the last day of that month, this
    year's if it is not over (as "end of January")."""
    key, name = _slot(m, "fm")
    month = MONTHS[name.lower().rstrip(".")]
    if year := m.group(f"fy_{key}"):
        return MONTH_END, month_end(date(int(year), month, 1))
    return MONTH_END, end_of_named_month(sent, month) if sent else None


@_rule("foreign_vague_month", _templates_pattern(WORDS.vague_month),
       _templates_pattern(WORDS.week_number))
def _foreign_vague_month(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    """ "mi-janvier", "a partir de diciembre", "KW 51": a time the customer named, too wide
    for one day (as "mid-January", "next week")."""
    return VAGUE, None


def _slot(m: re.Match[str], name: str) -> tuple[int, str]:
    """The key and text of the one `name` group (fd, fn, fu) of an alternation that matched."""
    for group, value in m.groupdict().items():
        if value is not None and group.startswith(name + "_"):
            return int(group[len(name) + 1 :]), value
    raise AssertionError(f"no {name} group in {m.re.pattern!r}")


# One alternation per rule: the scanner then tries one pattern where any of them may start.
@_rule("foreign_day_of_month", _templates_pattern(WORDS.day_of_month))
def _foreign_day_of_month(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    day = int(_slot(m, "fd")[1])
    if not 1 <= day <= 31:
        return None
    if _told_as_past(m):
        return PAST, None
    return DAY, next_day_of_month(sent, day) if sent else None


@_rule(
    "weekday_dotted",
    rf"(?<!\w)(?:{_alt(list(WEEKDAYS))}|{_phrase_alt(WORDS.weekdays)}),?\s+"
    r"(?P<a>[0-3]?\d)\.(?P<b>[01]\d)\b\.?(?!\d|[.,]\d)",
)
def _weekday_dotted(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    """ "w czwartek 11.06", "Freitag, 12.06.": a weekday makes a dotted day and month a date,
    as a preposition does (`numeric_dotted`)."""
    return _numeric_dotted(m, sent)


@_rule("foreign_day_of_next_month", _templates_pattern(WORDS.day_of_next_month))
def _foreign_day_of_next_month(
    m: re.Match[str], sent: date | None
) -> tuple[str, date | None] | None:
    """ "il 15 p.v.", "am 3. nächsten Monats": that day of the month after the sent one."""
    day = int(_slot(m, "fd")[1])
    if not 1 <= day <= 31:
        return None
    return DAY, day_of_next_month(sent, day) if sent else None


# Each language's "within" patterns with its own units and counts: "in {count} {unit}" is
# German for "in 3 Tagen", and must not read Dutch or Hindi units.
_WITHIN = [(within, pattern) for within in WORDS.within for pattern in within.patterns]


@_rule("foreign_within", "|".join(
    f"(?:{_template(p, k, within.units, within.counts)})" for k, (within, p) in enumerate(_WITHIN)))
def _foreign_within(m: re.Match[str], sent: date | None) -> tuple[str, date | None] | None:
    key, raw = _slot(m, "fn")
    within = _WITHIN[key][0]
    raw = normal(raw)
    n = int(raw) if raw.isdigit() else within.counts[raw]
    if n <= 0:
        return None
    if sent is None:
        return RELATIVE, None
    unit = within.units[normal(_slot(m, "fu")[1])]
    if unit == "month":
        return RELATIVE, add_months(sent, n)
    return RELATIVE, sent + timedelta(days=n * (7 if unit == "week" else 1))


# --- selection -----------------------------------------------------------------------------

_PRIORITY = {rule.name: i for i, rule in enumerate(_RULES)}


def find_times(text: str, sent: date | None) -> list[TimeMention]:
    """Every time expression in `text`, left to right, none overlapping.

    `sent` is the message's local sent date; without it only dates that state a year
    resolve, and everything relative is reported with no date.
    """
    candidates: list[tuple[int, int, int, str, TimeMention]] = []
    starts = SCANNER.starts(text)
    for rule in _RULES:
        if not rule.pattern.could_match(starts):
            continue
        for m in rule.pattern.matches_in(starts, text):
            resolved = rule.resolve(m, sent)
            if resolved is None:
                continue
            kind, when = resolved
            mention = TimeMention(m.start(), m.end(), kind, when)
            candidates.append((m.end() - m.start(), -_PRIORITY[rule.name], m.start(), rule.name,
                               mention))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2]))
    chosen: list[tuple[str, TimeMention]] = []
    for _, _, _, name, mention in candidates:
        if all(mention.end <= c.start or c.end <= mention.start for _, c in chosen):
            chosen.append((name, mention))
    chosen.sort(key=lambda c: c[1].start)
    return _shared_day(text, _day_after(text, _merge_adjacent(text, chosen, sent)))


# ", February and March" after "the 15th of January": the same day in each month listed.
# "and" in the languages read: "15 août, septembre et octobre", "am 15. Mai, Juni und Juli".
MONTH_LIST_AND = r"(?:and|et|und|y|e|i|en)"
# What joins the items of such a list: a comma (with or without "and") or "and" alone.
MONTH_LIST_GAP = rf"\s*(?:,\s*(?:{MONTH_LIST_AND}\s+|&\s*)?|\s(?:{MONTH_LIST_AND}|&)\s+)"
_LISTED_MONTH = re.compile(MONTH_LIST_GAP + r"(?P<month>[^\W\d_]+)\b(?!\s*\d)", re.IGNORECASE)


def _shared_day(text: str, mentions: list[TimeMention]) -> list[TimeMention]:
    """ "$4,000 on the 15th of January, February and March": a date naming its month, then
    a list of months ending in "and": one date a month, on the same day, each after the
    one before (the day kept within a shorter month)."""
    out: list[TimeMention] = []
    skip_to = -1
    for m in mentions:
        if m.start < skip_to:
            continue  # a bare month the list has read
        out.append(m)
        if m.kind != DATE or m.when is None or not _names_month(text[m.start : m.end]):
            continue
        listed: list[tuple[int, int, int]] = []
        at = m.end
        while (more := _LISTED_MONTH.match(text, at)) is not None and (
                more.group("month").lower() in MONTHS) and (
                more.group("month")[0].isupper() or more.group("month").lower() not in _VERBS):
            listed.append((more.start("month"), more.end("month"),
                           MONTHS[more.group("month").lower()]))
            at = more.end()
        said_and = re.search(rf"\b{MONTH_LIST_AND}\b|&", text[m.end : at], re.IGNORECASE)
        if not listed or said_and is None:
            continue
        previous = m.when
        for start, end, month in listed:
            year = previous.year + (month <= previous.month)
            day = min(m.when.day, month_end(date(year, month, 1)).day)
            previous = date(year, month, day)
            out.append(TimeMention(start, end, DATE, previous))
        skip_to = at
    return out


# Month names that are also words ("and may be paid later", "and march on").
_VERBS = frozenset({"may", "march"})


def _names_month(said: str) -> bool:
    return any(word in MONTHS for word in re.findall(r"[^\W\d_]+", said.lower()))


_DAY_AFTER = re.compile(r"\b(?:the\s+)?day\s+after\s+$", re.IGNORECASE)


def _day_after(text: str, mentions: list[TimeMention]) -> list[TimeMention]:
    """ "the day after the 25th", "the day after Friday": the day after the date named."""
    out = []
    for m in mentions:
        lead = _DAY_AFTER.search(text, max(0, m.start - 20), m.start) if m.kind in (
            DATE, DAY, WEEKDAY) else None
        if lead is not None:
            m = TimeMention(lead.start(), m.end, DATE,
                            m.when + timedelta(days=1) if m.when else None)
        out.append(m)
    return out


@lru_cache(maxsize=1024)
def times_in(text: str, sent: date | None) -> tuple[TimeMention, ...]:
    """`find_times`, remembered for the last texts: whether a promise says when (`nlp.signals`)
    and its extraction (`nlp.extract`) read the same message's times, a batch apart."""
    return tuple(find_times(text, sent))


_GAP_WEEKDAY_DATE = re.compile(r"[\s,]*(?:the\s+)?", re.IGNORECASE)
_GAP_TIME_OF_DAY = re.compile(r"[\s,]*(?:(?:on|of)\s+)?(?:the\s+)?", re.IGNORECASE)


def _merge_adjacent(
    text: str, chosen: list[tuple[str, TimeMention]], sent: date | None
) -> list[TimeMention]:
    """Fold "Friday the 4th" into one date, and "COB Thursday" / "Friday EOD" into the day.

    A time of day left on its own ("by COB") means the sent date.
    """
    out: list[tuple[str, TimeMention]] = []
    for name, mention in chosen:
        if out:
            prev_name, prev = out[-1]
            gap = text[prev.end : mention.start]
            if (prev_name in ("weekday", "foreign_weekday") and mention.kind in (DATE, DAY)
                    and _GAP_WEEKDAY_DATE.fullmatch(gap)):
                out[-1] = (name, _weekday_and_date(text, prev, mention, sent))
                continue
            if _GAP_TIME_OF_DAY.fullmatch(gap):
                if prev.kind == TIME_OF_DAY and mention.kind in _TIME_OF_DAY_ON:
                    out[-1] = (name, replace(mention, start=prev.start))
                    continue
                if mention.kind == TIME_OF_DAY and prev.kind in _TIME_OF_DAY_ON:
                    out[-1] = (prev_name, replace(prev, end=mention.end))
                    continue
        out.append((name, mention))
    return [m if m.kind != TIME_OF_DAY else replace(m, kind=TODAY) for _, m in out]


_TIME_OF_DAY_ON = (DATE, DAY, WEEKDAY, TOMORROW, TODAY, RELATIVE, MONTH_END, WEEK_END)
_WEEKDAY_WORD = re.compile(rf"\b{_WD}\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_DAY_SLASH_MONTH = re.compile(r"(\d{1,2})/(\d{1,2})")


def _weekday_and_date(
    text: str, weekday: TimeMention, day: TimeMention, sent: date | None
) -> TimeMention:
    """The stated day wins; the weekday only picks between readings ("Friday 6/3", "Friday
    the 4th" when the next 4th is not a Friday but the one after is)."""
    merged = TimeMention(weekday.start, day.end, day.kind, day.when)
    said = normal(text[weekday.start : weekday.end])
    word = _WEEKDAY_WORD.search(said)
    wanted = WEEKDAYS[word.group(0)] if word else WORDS.weekdays.get(said)
    if sent is None or wanted is None:
        return merged
    phrase = text[day.start : day.end]
    if day.kind == DAY and (number := _NUMBER.search(phrase)):
        return replace(merged, when=next_day_of_month(sent, int(number.group(0)), wanted))
    slash = _DAY_SLASH_MONTH.fullmatch(phrase)
    if day.kind == DATE and slash:
        a, b = int(slash.group(1)), int(slash.group(2))
        readings = [next_occurrence(sent, m, d) for d, m in ((a, b), (b, a))
                    if 1 <= m <= 12 and _safe_date(2024, m, d)]
        matching = [r for r in readings if r is not None and r.weekday() == wanted]
        if matching:
            return replace(merged, when=matching[0])
    return merged
