"""Negation, hypothetical and condition cues (`data/cues.json`) and where they sit in a doc.

`Cues` holds the cue words and phrases. `DocCues` reads one doc's NORM and ORTH hash columns
once: per token a few flag bits (negation word, scope breaker, time word, line or sentence
break, digit), and every occurrence of every cue phrase as a token range. Deciding whether a
lexicon match is negated, hypothetical or conditional is then a few look-ups in those ranges
instead of rebuilding and searching the words around each match.

The decision is the one `nlp.lexicon` spells out on word lists (`LexiconMatcher._blocked`, the
reference): a phrase "is in" a stretch of words exactly when one of its occurrences lies
inside that stretch. The two cases where the word-list version does something a range look-up
cannot — a polite "if you could" blanked out of the clause before the condition check, and a
NORM with a space inside it — are left to the reference (`DocCues.exact` is False).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nlp.language import spellings

# Per-NORM flag bits (FIRST: the first word of a cue phrase).
NEG, BREAKER, TIME, ODD, FIRST = 1, 2, 4, 8, 16
# Per-ORTH flag bits.
STOP, DIGIT = 32, 64
# Cue phrase sets, by index into DocCues.found.
POLITE, FUTURE, COUNTERFACTUAL, CONDITIONAL, CONDITIONAL_AFTER, PAST, PRECONDITION = range(7)
_FLAG_CACHE_LIMIT = 200_000  # distinct hashes kept; the caches restart when full


class CueSet:
    """Cue phrases (NORM words), found in a word sequence with one regex search."""

    def __init__(self, phrases: Iterable[str]) -> None:
        words = sorted({" ".join(p.lower().split()) for p in phrases if p.strip()}, key=len)
        self.phrases = [tuple(p.split()) for p in words]
        self._regex = (
            re.compile("|".join(re.escape(f" {p} ") for p in reversed(words))) if words else None
        )

    def found_in(self, words: Sequence[str]) -> bool:
        return self._regex is not None and bool(self._regex.search(f" {' '.join(words)} "))

    def blank_out(self, words: list[str]) -> list[str]:
        """`words` with every occurrence of a phrase blanked (same length)."""
        if self._regex is None or not self.found_in(words):
            return words
        return _without(words, self.phrases)


def _without(words: list[str], phrases: Sequence[tuple[str, ...]]) -> list[str]:
    """`words` with every occurrence of the phrases blanked out."""
    if not phrases:
        return words
    out = list(words)
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(out) - n + 1):
            if tuple(out[i : i + n]) == phrase:
                out[i : i + n] = [""] * n
    return out


# Keys of `cues.json` that list words or phrases (a language's section adds to them).
LISTS = ("negation", "conditional", "counterfactual", "scope_breakers", "conditional_after",
         "time_words", "polite_if", "future_markers", "promise_when", "query_ask",
         "past_markers", "send_verbs", "sent_not_money", "money_words", "overpaid",
         "charged_words", "settled", "credit_words", "arrived_words", "credit_asked",
         "open_words", "held", "off_stop", "when_able", "no_date", "intent_past", "precondition",
         "paperwork", "insolvency_court", "third_party", "withheld_tax")


class CueError(Exception):
    """`cues.json` cannot be used; says which key."""


def with_languages(raw: dict[str, Any], languages: Sequence[str]) -> dict[str, Any]:
    """`raw` (the whole of `cues.json`) with the listed languages' cue words added to its
    own, every word also without its accents, and `negation_after` the largest of theirs."""
    sections = raw.get("languages", {})
    merged = dict(raw)
    after = int(raw.get("negation_after", 0))
    dropped: dict[str, set[str]] = {}
    for code in languages:
        section = sections.get(code)
        if section is None:
            continue
        for key, value in section.items():
            if key == "negation_after":
                after = max(after, int(value))
            elif key in LISTS:
                merged[key] = [*merged.get(key, []), *value]
            elif key == "not_cues":  # English cue words that are other words here
                for listed, words in value.items():
                    dropped.setdefault(listed, set()).update(words)
    for key in LISTS:
        # A word dropped by one language stays when another of the doc's languages lists it
        # ("no" is "in the" in Portuguese and "not" in Spanish).
        own = {c for code in languages for c in sections.get(code, {}).get(key, [])}
        drop = dropped.get(key, set()) - own
        # A dropped word is not brought back as another's form without its accents: Italian
        # "né" ("nor") typed "ne" is the pronoun "ne" ("of it").
        merged[key] = sorted({form for c in merged.get(key, []) if c not in drop
                              for form in spellings(c, umlauts_dropped=False)
                              if form == c or form not in drop})
    merged["negation_after"] = after
    return merged


def check_cues(raw: Any, where: str) -> None:
    """Raises `CueError` naming the key when `cues.json` is not what `Cues` reads."""
    if not isinstance(raw, dict):
        raise CueError(f"{where}: expected an object of cue lists")
    sections = raw.get("languages", {})
    if not isinstance(sections, dict):
        raise CueError(f"{where}: languages: expected an object of languages")
    places = [("", raw)] + [(f"languages.{code}.", section) for code, section in sections.items()
                            if code != "about"]
    for prefix, section in places:
        if not isinstance(section, dict):
            raise CueError(f"{where}: {prefix.rstrip('.')}: expected an object of cue lists")
        for key in LISTS:
            value = section.get(key, [])
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                raise CueError(f"{where}: {prefix}{key}: expected a list of words or phrases")
        for key in ("negation_window", "negation_after"):
            if key in section and not isinstance(section[key], int):
                raise CueError(f"{where}: {prefix}{key}: expected a whole number")
        dropped = section.get("not_cues", {}) if prefix else {}
        if not isinstance(dropped, dict) or not all(
            key in LISTS and isinstance(words, list) for key, words in dropped.items()
        ):
            raise CueError(f"{where}: {prefix}not_cues: expected cue lists of words to drop")
        unknown = set(section) - {*LISTS, "negation_window", "negation_after", "about",
                                  "not_cues"} - (
            {"languages", "conditional_exempt_labels", "conditional_after_labels",
             "future_labels", "negation_after_labels", "past_labels", "precondition_labels"}
            if not prefix else set())
        if unknown:
            raise CueError(f"{where}: {prefix}{sorted(unknown)[0]}: not a cue key")


class Cues:
    """Negation and hypothetical cue words from `cues.json`, as NORM token sequences: the
    English ones, and those of `languages` (`nlp.language`) with them."""

    def __init__(self, raw: dict[str, Any], languages: Sequence[str] = ()) -> None:
        self.languages = tuple(languages)
        raw = with_languages(raw, languages)
        self.negation = {c.lower() for c in raw.get("negation", [])}
        self.window = int(raw.get("negation_window", 4))
        # "Wir bestreiten die Rechnung nicht": a negation after the match, in its clause,
        # for these tags ("wir können derzeit nicht zahlen" negates no hardship).
        self.after = int(raw.get("negation_after", 0))
        self.after_labels = set(raw.get("negation_after_labels", []))
        self.conditional = CueSet(raw.get("conditional", []))
        self.counterfactual = CueSet(raw.get("counterfactual", []))
        self.breakers = {c.lower() for c in raw.get("scope_breakers", [])}
        self.conditional_exempt = set(raw.get("conditional_exempt_labels", []))
        # "We'll pay once the dispute is resolved": a condition after the match, with no
        # time anywhere in the sentence, makes a promise no promise (a time makes it one).
        self.conditional_after = CueSet(raw.get("conditional_after", []))
        self.conditional_after_labels = set(raw.get("conditional_after_labels", []))
        self.time_words = {c.lower() for c in raw.get("time_words", [])}
        # "Before we can release payment we need an updated W-9", "our finance needs them before
        # they can pay you": what payment waits for, not a promise of it. A `precondition`
        # phrase in the clause before a match of `precondition_labels` makes it hypothetical
        # (a request in the same words still asks).
        self.precondition = CueSet(raw.get("precondition", []))
        self.precondition_labels = set(raw.get("precondition_labels", []))
        # "We would be grateful if you could reissue…" is a request, not a condition.
        self.polite_if = CueSet(raw.get("polite_if", []))
        self.future_markers = CueSet(raw.get("future_markers", []))
        self.future_said = _phrases_regex(raw.get("future_markers", []))
        self.future_labels = set(raw.get("future_labels", []))
        # "I was out of the office all week, the transfer goes out tomorrow": a person saying
        # where they were, not an automatic reply saying where they are.
        self.past_markers = CueSet(raw.get("past_markers", []))
        self.past_labels = set(raw.get("past_labels", []))
        # A promise says when: a date or time, or one of these ("once the client pays us",
        # "in next fortnight's pay run", "in three instalments", "after Diwali"), in its
        # sentence or the one before or after it. See `nlp.signals`.
        self.promise_when = _phrases_regex(raw.get("promise_when", []))
        # "I'll pay as soon as I can" names no time (`when_able`), nor does a sentence that
        # says no date can be given (`no_date`): neither counts as the promise's when.
        self.when_able = _phrases_regex(raw.get("when_able", []))
        self.no_date = _phrases_regex(raw.get("no_date", []))
        # A billing query asks: a question mark or one of these in its sentence or the one
        # before or after it: a request ("please", "can you", "we need", "send", "bhejo") or a
        # discrepancy put to the supplier ("it is still showing as overdue on your
        # statement"). "Thanks for the updated statement" and "Total $18,406.75 incl GST"
        # ask nothing.
        self.query_ask = _phrases_regex(raw.get("query_ask", []))
        # "They will send you a letter of demand next week", "the certificate will send by
        # post", "Details will be sent by the supervisor": what is sent is no payment, and the
        # words are no promise. `send_verbs` whose object or subject is one of
        # `sent_not_money` (with none of `money_words` beside it). See `nlp.signals`.
        self.send_verbs = {c.lower() for c in raw.get("send_verbs", [])}
        self.sent_not_money = CueSet(raw.get("sent_not_money", []))
        self.money_words = {c.lower() for c in raw.get("money_words", [])}
        # "We paid INV-204950 twice, can you refund the duplicate?": the customer's own
        # payment made twice is an overpayment to refund, not a bill contested; "you charged
        # us twice" is. `overpaid` phrases (or a paying word with "twice" a few words on) and
        # none of `charged_words` in the sentence or the one before. See `nlp.signals`.
        self.overpaid = CueSet(raw.get("overpaid", []))
        self.charged_words = {c.lower() for c in raw.get("charged_words", [])}
        # "The credit note for the broken pallets came in this morning, thanks - all good now":
        # a dispute the customer says is settled is no longer contested. A `settled` phrase,
        # or one of `credit_words` with one of `arrived_words`, in the sentence or the one
        # after, and none of `open_words` in the sentence ("the credit came through but the
        # price is still wrong"). See `nlp.signals`.
        self.settled = CueSet(raw.get("settled", []))
        self.credit_words = {c.lower() for c in raw.get("credit_words", [])}
        self.arrived_words = {c.lower() for c in raw.get("arrived_words", [])}
        # A credit word right after one of `credit_asked` is asked for, not come: "arrived
        # damaged, please credit INV-2231", "can you credit the 40 pairs".
        self.credit_asked = {c.lower() for c in raw.get("credit_asked", [])}
        self.open_words = {c.lower() for c in raw.get("open_words", [])}
        # "Our accounts dept has not received the GST invoice copy": paperwork not received
        # is asked for again, not goods contested ("we never received the invoice" is
        # contested, as AR teams code it). See `nlp.signals`.
        self.paperwork = {c.lower() for c in raw.get("paperwork", [])}
        # "We have deducted TDS @ 2% u/s 194C": tax withheld at source by law contests
        # nothing. See `nlp.signals`.
        self.withheld_tax = CueSet(raw.get("withheld_tax", []))
        # "the High Court appointed an interim examiner", "stay of proceedings": the court of
        # the customer's own insolvency, named beside it, is no legal action against us; an
        # insolvency beside `third_party` words ("our linen supplier went into receivership",
        # "Sunbelt Paper filed for bankruptcy, crazy") is someone else's. See `nlp.signals`.
        self.insolvency_court = CueSet(raw.get("insolvency_court", []))
        self.third_party = CueSet(raw.get("third_party", []))
        # Any of those at all, on the text: most messages have none.
        self.settled_said = _phrases_regex([*raw.get("settled", []), *raw.get("credit_words", [])])
        # A tag the classifier alone found is dropped when the sentence it points at says
        # otherwise. "Payment will be held until the POD is received": a payment `held` is
        # no payment promised. "Please take us off stop": lifting a credit stop (`off_stop`)
        # is no request to stop contact. See `nlp.signals`.
        self.held = CueSet(raw.get("held", []))
        self.off_stop = CueSet(raw.get("off_stop", []))
        # A payment meant once and not made: "we were going to pay on the 30th but that's not
        # happening now". A promise match in or right after an `intent_past` phrase is
        # counter-evidence (`nlp.signals`).
        self.intent_past = CueSet(raw.get("intent_past", []))


def _phrases_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word phrases, any whitespace between their words, on lower-cased text."""
    words = sorted({" ".join(p.lower().split()) for p in phrases if p.strip()}, key=len)
    if not words:
        return None
    alternatives = (r"\s+".join(re.escape(w) for w in p.split()) for p in reversed(words))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def is_stop(text: str) -> bool:
    """A token that ends the stretch cues are looked for in: sentence punctuation, a line break."""
    return text in {".", "!", "?"} or "\n" in text


class _Flags(dict[int, int]):
    """Hash -> flag bits, worked out on first sight of a hash."""

    def __init__(self, compute: Callable[[int], int]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: int) -> int:
        if len(self) >= _FLAG_CACHE_LIMIT:
            self.clear()
        value = self[key] = self.compute(key)
        return value


class CueIndex:
    """The cues of one pipeline on hashes: flag tables and phrases by their first word."""

    def __init__(self, cues: Cues, strings: Any) -> None:
        self.cues = cues
        self.strings = strings
        sets = (cues.polite_if, cues.future_markers, cues.counterfactual, cues.conditional,
                cues.conditional_after, cues.past_markers, cues.precondition)
        # First word's hash -> (set index, phrase as hashes, length), for every phrase.
        self.first: dict[int, list[tuple[int, tuple[int, ...], int]]] = {}
        for index, cue_set in enumerate(sets):
            for phrase in cue_set.phrases:
                hashes = tuple(strings.add(w) for w in phrase)
                self.first.setdefault(hashes[0], []).append((index, hashes, len(hashes)))
        self.odd: set[int] = set()  # NORMs with the ODD flag
        self.norm_flags = _Flags(self._norm_flags)
        self.orth_flags = _Flags(self._orth_flags)
        self.orth_length = _Flags(lambda h: len(self.strings[h]))
        # A window of 0 or less reads the clause differently ([-0:] is all of it): left to
        # the reference.
        self.window = cues.window if cues.window > 0 else None

    def _norm_flags(self, key: int) -> int:
        norm = self.strings[key]
        cues = self.cues
        flags = (NEG * (norm in cues.negation) | BREAKER * (norm in cues.breakers)
                 | TIME * (norm in cues.time_words) | FIRST * (key in self.first))
        if not norm or (" " in norm and not norm.isspace()):
            flags |= ODD  # a phrase regex could match across its space: reference only
            self.odd.add(key)
        return flags

    def _orth_flags(self, key: int) -> int:
        text = self.strings[key]
        return STOP * is_stop(text) | DIGIT * any(c.isdigit() for c in text)


class DocCues:
    """The cue flags and cue phrase occurrences of one doc, and the decision for a match."""

    __slots__ = ("index", "flags", "found", "stops", "breakers", "negations", "timed", "exact",
                 "n")

    def __init__(self, index: CueIndex, norms: list[int], orths: list[int]) -> None:
        self.index = index
        self.n = len(norms)
        norm_flags, orth_flags = index.norm_flags, index.orth_flags
        # NORM flags in the low bits, ORTH flags above them; most tokens have none.
        self.flags = flags = [norm_flags[a] | orth_flags[b] for a, b in zip(norms, orths,
                                                                            strict=True)]
        marked = [(i, f) for i, f in enumerate(flags) if f]
        # Ascending positions of the marked tokens, by kind: found by bisection.
        self.stops = [i for i, f in marked if f & STOP]
        self.breakers = [i for i, f in marked if f & BREAKER]
        self.negations = [i for i, f in marked if f & NEG]
        self.timed = [i for i, f in marked if f & (TIME | DIGIT)]
        self.exact = index.window is not None and (not index.odd or index.odd.isdisjoint(norms))
        found: list[list[tuple[int, int]]] = [[], [], [], [], [], [], []]
        first = index.first
        for i, _f in marked:
            phrases = first.get(norms[i])
            if phrases is None:
                continue
            for which, phrase, size in phrases:
                if size == 1 or tuple(norms[i : i + size]) == phrase:
                    found[which].append((i, i + size))
        self.found = found

    def _inside(self, which: int, lo: int, hi: int) -> bool:
        return any(lo <= s and e <= hi for s, e in self.found[which])

    def blocked(self, start: int, end: int, label: str) -> str | None:
        """"negation", "future", "past", "hypothetical" or "" as `LexiconMatcher._blocked` decides,
        or None when only the reference can tell (see the module docstring)."""
        cues = self.index.cues
        # The words looked at: back from the match to a stop, at most 40 of them.
        lo = max(0, start - 40)
        stops = self.stops
        k = bisect_left(stops, start)
        if k:
            lo = max(lo, stops[k - 1] + 1)
        # The clause: after the last scope breaker among them.
        clause = lo
        breakers = self.breakers
        k = bisect_left(breakers, start)
        if k and breakers[k - 1] >= lo:
            clause = breakers[k - 1] + 1
        if self.found[POLITE] and self._inside(POLITE, clause, start):
            return None  # the reference blanks it out of the clause first
        if not _any_in(self.negations, start, end):
            window = self.index.window
            assert window is not None
            if _any_in(self.negations, max(clause, start - window), start):
                return "negation"
            if cues.after and label in cues.after_labels and _any_in(
                self.negations, end, self._clause_end(end, cues.after)
            ):
                return "negation"
        if label in cues.future_labels and self._inside(FUTURE, max(clause, start - 3), start):
            return "future"
        if label in cues.past_labels and self._inside(PAST, max(clause, start - 3), start):
            return "past"
        if self._inside(COUNTERFACTUAL, lo, start):
            return "hypothetical"
        if label not in cues.conditional_exempt and self._inside(CONDITIONAL, clause, start):
            return "hypothetical"
        if label in cues.precondition_labels and self._inside(PRECONDITION, clause, start):
            return "hypothetical"
        if label in cues.conditional_after_labels and self._condition_follows(end):
            return "hypothetical"
        return ""

    def _clause_end(self, end: int, most: int) -> int:
        """Where the clause after a match ends: at most `most` words on, at a sentence
        stop or a scope breaker."""
        hi = min(end + most, self.n)
        for positions in (self.stops, self.breakers):
            k = bisect_left(positions, end)
            if k < len(positions):
                hi = min(hi, positions[k])
        return hi

    def _condition_follows(self, end: int) -> bool:
        hi = min(end + 6, self.n)
        stops = self.stops
        k = bisect_left(stops, end)
        if k < len(stops):
            hi = min(hi, stops[k])
        if not self._inside(CONDITIONAL_AFTER, end, hi):
            return False
        return not _any_in(self.timed, max(0, end - 20), min(self.n, end + 12))


def _any_in(positions: list[int], lo: int, hi: int) -> bool:
    """Whether any of the ascending `positions` is in lo:hi."""
    k = bisect_left(positions, lo)
    return k < len(positions) and positions[k] < hi
