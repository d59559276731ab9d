"""Token patterns (spaCy `Matcher` syntax) matched on a doc's attribute arrays, without spaCy.

spaCy's `Matcher` builds a `Token` and calls a Python predicate for every `IN` test, so a
lexicon pattern costs tens of microseconds a sentence. The patterns lexicons actually use need
far less: words equal to, in or not in a list (NORM, LOWER, TEXT/ORTH, SHAPE), IS_PUNCT /
IS_SPACE / LIKE_NUM / IS_DIGIT flags, a wildcard `{}`, and the `?`, `*`, `+`, `{n}`,
`{n,m}`, `{n,}`, `{,m}` quantifiers. Such a pattern is compiled here and matched on the
hash columns of `doc.to_array`; any other pattern returns None from `compile_pattern` and
stays with spaCy's `Matcher`.

Matches are what the `Matcher` returns (no `greedy` filter): every (start, end), end > start,
where the tokens in between fit the pattern, none crossing `hi`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

# Column order of the arrays a `TokenColumns` holds (`doc.to_array(COLUMN_ATTRS)`).
COLUMNS = ("NORM", "LOWER", "ORTH", "IS_PUNCT", "IS_SPACE", "SHAPE", "LIKE_NUM", "IS_DIGIT")
_WORD_ATTRS = {"NORM": 0, "LOWER": 1, "TEXT": 2, "ORTH": 2, "SHAPE": 5}
_FLAG_ATTRS = {"IS_PUNCT": 3, "IS_SPACE": 4, "LIKE_NUM": 6, "IS_DIGIT": 7}
_WORD_COLUMNS = frozenset(_WORD_ATTRS.values())
_QUANTIFIER = re.compile(r"^\{\s*(\d*)\s*(,?)\s*(\d*)\s*\}$")

# A compiled token spec: (column, value) tests that must all hold; a set value means "in",
# a `NotIn` "not in".
_Test = tuple[int, Any]
_Element = tuple[tuple[_Test, ...], int, int]  # tests, min repeats, max repeats (-1: any)


def _quantifier(op: str | None) -> tuple[int, int] | None:
    if op is None:
        return 1, 1
    if op == "?":
        return 0, 1
    if op == "*":
        return 0, -1
    if op == "+":
        return 1, -1
    m = _QUANTIFIER.match(op)
    if m is None:
        return None
    low, comma, high = m.groups()
    if not comma:
        return (int(low), int(low)) if low else None
    lo = int(low) if low else 0
    hi = int(high) if high else -1
    return (lo, hi) if hi < 0 or hi >= lo else None


def compile_pattern(
    pattern: Sequence[dict[str, Any]], hash_of: Callable[[str], int]
) -> TokenPattern | None:
    """The pattern on hash columns, or None when it uses anything beyond the subset above."""
    elements: list[_Element] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            return None
        counts = _quantifier(spec.get("OP"))
        if counts is None:
            return None
        tests: list[_Test] = []
        for attr, value in spec.items():
            if attr == "OP":
                continue
            if attr in _WORD_ATTRS:
                column = _WORD_ATTRS[attr]
                if isinstance(value, str):
                    tests.append((column, hash_of(value)))
                elif isinstance(value, dict) and len(value) == 1 and (
                    op := next(iter(value))) in ("IN", "NOT_IN") and isinstance(
                        value[op], list) and all(isinstance(v, str) for v in value[op]):
                    words = frozenset(hash_of(v) for v in value[op])
                    tests.append((column, words if op == "IN" else NotIn(words)))
                else:
                    return None
            elif attr in _FLAG_ATTRS and isinstance(value, bool):
                tests.append((_FLAG_ATTRS[attr], int(value)))
            else:
                return None
        elements.append((tuple(tests), *counts))
    if not elements or all(low == 0 for _tests, low, _high in elements):
        return None  # could match nothing: leave such oddities to spaCy
    return TokenPattern(tuple(elements))


class TokenPattern:
    __slots__ = ("elements", "lead", "second")

    def __init__(self, elements: tuple[_Element, ...]) -> None:
        self.elements = elements
        # When the first token is exactly one and the second is required and one word test
        # (`IN` or equal): that column and its words. Most places a pattern's first word is
        # found are ruled out by the word after it, without trying the whole pattern.
        self.second: tuple[int, frozenset[int]] | None = None
        if len(elements) > 1 and elements[0][1:] == (1, 1) and elements[1][1] > 0:
            tests = elements[1][0]
            if len(tests) == 1 and tests[0][0] in _WORD_COLUMNS and not isinstance(
                    tests[0][1], NotIn):
                column, value = tests[0]
                self.second = (column, value if isinstance(value, frozenset) else frozenset(
                    (value,)))
        # What the first token of a match must fit: one of the elements up to the first
        # required one. None when one of those takes any token.
        lead: list[tuple[_Test, ...]] | None = []
        for tests, low, _high in elements:
            if not tests:
                lead = None
                break
            assert lead is not None
            lead.append(tests)
            if low > 0:
                break
        self.lead = lead

    def matches(self, columns: Sequence[Sequence[int]], lo: int, hi: int) -> list[tuple[int, int]]:
        """Every (start, end) with lo <= start < end <= hi whose tokens fit, by start then end."""
        return [(start, end) for start in self.candidates(columns, lo, hi)
                for end in self.ends_at(columns, start, hi)]

    def candidates(self, columns: Sequence[Sequence[int]], lo: int, hi: int) -> list[int]:
        """Positions in lo:hi where a match may start (a superset of where one does)."""
        lead = self.lead
        if lead is None:
            return list(range(lo, hi))
        if len(lead) == 1 and len(lead[0]) == 1:
            column, value = lead[0][0]
            values = columns[column]
            if isinstance(value, NotIn):
                return [i for i in range(lo, hi) if values[i] not in value]
            if isinstance(value, frozenset):
                return [i for i in range(lo, hi) if values[i] in value]
            return [i for i in range(lo, hi) if values[i] == value]
        return [i for i in range(lo, hi) if any(_fits(tests, columns, i) for tests in lead)]

    def ends_at(self, columns: Sequence[Sequence[int]], start: int, hi: int) -> list[int]:
        """The ends of the matches starting at `start`, ascending, none past `hi`."""
        current = {start}
        for tests, low, high in self.elements:
            reached: set[int] = set()
            for pos in current:
                count = 0
                while True:
                    if count >= low:
                        reached.add(pos)
                    if count == high or pos >= hi or not _fits(tests, columns, pos):
                        break
                    pos += 1
                    count += 1
            if not reached:
                return []
            current = reached
        return sorted(end for end in current if end > start)


class NotIn(frozenset[int]):
    """The words a token must not be."""


def _fits(tests: tuple[_Test, ...], columns: Sequence[Sequence[int]], i: int) -> bool:
    for column, value in tests:
        have = columns[column][i]
        if isinstance(value, NotIn):
            if have in value:
                return False
        elif isinstance(value, frozenset):
            if have not in value:
                return False
        elif have != value:
            return False
    return True
