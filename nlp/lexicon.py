"""Lexicon evidence: phrase and token patterns from data files, with negation and hypotheticals.

Each line of a `*.jsonl` lexicon file is `{"label": tag, "pattern": "phrase" | [token
pattern], "id": "tag.group", "weight": 0.99}`. Phrases are matched on spaCy's NORM (lower
case, "won't" = "will not", "we'll" = "we will"), token patterns with spaCy's `Matcher`.
`weight` says how much a match alone is worth (see `nlp.signals`). The `commwatch_lexicon`
component keeps every match on `doc._.cw_hits`, marked asserted or not: a match preceded by
a negation in its clause ("we are not disputing") or inside a hypothetical ("if we had been
charged twice") is kept as counter-evidence, not as evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.attrs import NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from nlp.labels import ALL_TAGS

DATA = Path(__file__).resolve().parent / "data"
LEXICONS = DATA / "lexicons"
CUES = DATA / "cues.json"
DEFAULT_WEIGHT = 0.99

if not Doc.has_extension("cw_hits"):
    Doc.set_extension("cw_hits", default=None)


class LexiconError(Exception):
    """A lexicon file cannot be used; says which file and line."""


@dataclass(frozen=True, slots=True)
class Hit:
    label: str
    rule: str
    start: int  # token offsets
    end: int
    start_char: int
    end_char: int
    weight: float
    asserted: bool
    blocked_by: str = ""  # "negation" or "hypothetical" when not asserted


def read_lexicon_folder(folder: Path) -> list[dict[str, Any]]:
    """Every pattern in the folder's *.jsonl files, checked line by line."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LexiconError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            if not isinstance(entry, dict) or "label" not in entry or "pattern" not in entry:
                raise LexiconError(f'{path}:{number}: expected {{"label": …, "pattern": …}}')
            if entry["label"] not in ALL_TAGS:
                raise LexiconError(
                    f"{path}:{number}: unknown label {entry['label']!r}; "
                    f"expected one of {', '.join(ALL_TAGS)}"
                )
            pattern = entry["pattern"]
            if not (isinstance(pattern, str) and pattern.strip()) and not (
                isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)
            ):
                raise LexiconError(
                    f"{path}:{number}: pattern must be a phrase or a list of token patterns"
                )
            weight = entry.get("weight", DEFAULT_WEIGHT)
            if not isinstance(weight, int | float) or not 0 < weight < 1:
                raise LexiconError(f"{path}:{number}: weight must be a number between 0 and 1")
            entry.setdefault("id", f"{entry['label']}.{path.stem}")
            entry["_where"] = f"{path.name}:{number}"
            patterns.append(entry)
    return patterns


def read_lexicons(extra_folders: Iterable[Path | str] = ()) -> list[dict[str, Any]]:
    patterns = read_lexicon_folder(LEXICONS)
    for folder in extra_folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise LexiconError(f"{folder}: lexicon folder not found")
        patterns += read_lexicon_folder(folder)
    return patterns


@dataclass(frozen=True, slots=True)
class _Words:
    norms: list[str]
    texts: list[str]


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


class Cues:
    """Negation and hypothetical cue words from `cues.json`, as NORM token sequences."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.negation = {c.lower() for c in raw.get("negation", [])}
        self.window = int(raw.get("negation_window", 4))
        self.conditional = CueSet(raw.get("conditional", []))
        self.counterfactual = CueSet(raw.get("counterfactual", []))
        self.breakers = {c.lower() for c in raw.get("scope_breakers", [])}
        self.conditional_exempt = set(raw.get("conditional_exempt_labels", []))
        # "We'll pay once the dispute is resolved": a condition after the match, with no
        # time anywhere in the sentence, makes a promise no promise (a time makes it one).
        self.conditional_after = CueSet(raw.get("conditional_after", []))
        self.conditional_after_labels = set(raw.get("conditional_after_labels", []))
        self.time_words = {c.lower() for c in raw.get("time_words", [])}
        # "We would be grateful if you could reissue…" is a request, not a condition.
        self.polite_if = CueSet(raw.get("polite_if", []))
        self.future_markers = CueSet(raw.get("future_markers", []))
        self.future_labels = set(raw.get("future_labels", []))


def _sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    if not doc.has_annotation("SENT_START"):
        return [(0, len(doc))]
    starts = [i for i, v in enumerate(doc.to_array(SENT_START).tolist()) if v == 1] or [0]
    return list(zip(starts, [*starts[1:], len(doc)], strict=True))


def _anchors(pattern: list[dict[str, Any]]) -> list[frozenset[str]]:
    """For each required token of a pattern that names its words (NORM, LOWER or TEXT,
    equal to or IN a list), those words: the pattern needs one of each in the doc."""
    anchors = []
    for spec in pattern:
        if spec.get("OP") not in (None, "+", "!") or spec.get("OP") == "!":
            continue
        for attr in ("NORM", "LOWER", "TEXT", "ORTH"):
            value = spec.get(attr)
            if isinstance(value, str):
                anchors.append(frozenset({value, value.lower()}))
            elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                anchors.append(frozenset(v for w in value["IN"] for v in (w, w.lower())))
    return anchors


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


@Language.factory(
    "commwatch_lexicon",
    default_config={"extra_folders": [], "attr": "NORM"},
)
def make_lexicon(
    nlp: Language, name: str, extra_folders: list[str], attr: str
) -> LexiconMatcher:
    return LexiconMatcher(nlp, read_lexicons(extra_folders), attr)


class LexiconMatcher:
    """Finds lexicon matches and decides which are asserted."""

    def __init__(self, nlp: Language, patterns: list[dict[str, Any]], attr: str = "NORM") -> None:
        self.patterns = patterns
        self.cues = Cues(json.loads(CUES.read_text(encoding="utf-8")))
        self.phrases = PhraseMatcher(nlp.vocab, attr=attr)
        self.info: dict[int, tuple[str, str, float]] = {}
        self.own_negation: dict[int, bool] = {}
        strings = nlp.vocab.strings
        phrase_docs: dict[str, list[Doc]] = {}
        token_patterns: dict[str, list[list[dict[str, Any]]]] = {}
        for entry in patterns:
            key = f"{entry['label']}|{entry['id']}|{entry.get('weight', DEFAULT_WEIGHT)}"
            self.info[strings.add(key)] = (
                entry["label"], entry["id"], float(entry.get("weight", DEFAULT_WEIGHT))
            )
            if isinstance(entry["pattern"], str):
                phrase_docs.setdefault(key, []).append(nlp.make_doc(entry["pattern"]))
            else:
                token_patterns.setdefault(key, []).append(entry["pattern"])
        for key, docs in phrase_docs.items():
            self.phrases.add(key, docs)
        # One Matcher per token pattern, with the word sets it cannot match without: a
        # Matcher call costs tens of microseconds even when nothing can match.
        self.token_matchers: list[tuple[list[frozenset[str]], Matcher]] = []
        for key, pats in token_patterns.items():
            for pattern in pats:
                matcher = Matcher(nlp.vocab, validate=True)
                try:
                    matcher.add(key, [pattern])
                except ValueError as exc:  # spaCy's pattern validation names the problem
                    raise LexiconError(
                        f"token pattern for {key.split('|')[1]}: {exc}"
                    ) from None
                self.token_matchers.append((_anchors(pattern), matcher))

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        # Read each token once: token patterns are tried only where their words occur, and
        # the cue checks look at the words around every match.
        words = _Words(
            [strings[h] for h in doc.to_array(NORM).tolist()],
            [strings[h] for h in doc.to_array(ORTH).tolist()],
        )
        matches = self.phrases(doc)
        if self.token_matchers:
            matches += self._token_matches(doc, words)
        if not matches:
            doc._.cw_hits = []
            return doc
        hits = []
        for match_id, start, end in sorted(set(matches), key=lambda m: (m[1], -m[2])):
            label, rule, weight = self.info[match_id]
            blocked = self._blocked(doc, words, start, end, label)
            span = doc[start:end]
            hits.append(
                Hit(label, rule, start, end, span.start_char, span.end_char, weight,
                    not blocked, blocked)
            )
        doc._.cw_hits = hits
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def _token_matches(self, doc: Doc, words: _Words) -> list[tuple[int, int, int]]:
        """Token patterns, run only on the sentences holding their anchor words (a Matcher
        pass costs in proportion to the tokens it reads)."""
        present = set(words.norms) | {w.lower() for w in words.texts} | set(words.texts)
        wanted = [
            (anchors, matcher) for anchors, matcher in self.token_matchers
            if all(not anchor.isdisjoint(present) for anchor in anchors)
        ]
        if not wanted:
            return []
        found: list[tuple[int, int, int]] = []
        bounds = _sentence_bounds(doc)
        for start, end in bounds:
            here = set(words.norms[start:end]) | {w.lower() for w in words.texts[start:end]}
            here.update(words.texts[start:end])
            for anchors, matcher in wanted:
                if all(not anchor.isdisjoint(here) for anchor in anchors):
                    found += [(key, start + s, start + e) for key, s, e in matcher(doc[start:end])]
        return found

    def _clause(self, words: _Words, start: int) -> tuple[list[str], int]:
        """NORMs from the start of the match's sentence up to the match, and the clause start."""
        out: list[str] = []
        clause_start = -1
        i = start - 1
        while i >= 0 and start - i <= 40:
            text = words.texts[i]
            if text in {".", "!", "?"} or "\n" in text:
                break
            norm = words.norms[i]
            if clause_start < 0 and norm in self.cues.breakers:
                clause_start = len(out)
            out.append(norm)
            i -= 1
        out.reverse()
        return out, (len(out) - clause_start if clause_start >= 0 else 0)

    def _blocked(self, doc: Doc, tokens: _Words, start: int, end: int, label: str) -> str:
        cues = self.cues
        words, clause_start = self._clause(tokens, start)
        clause = cues.polite_if.blank_out(words[clause_start:])
        if cues.negation.isdisjoint(tokens.norms[start:end]):
            # The phrase carries no negation of its own: look back a few words in its clause.
            if not cues.negation.isdisjoint(clause[-cues.window :]):
                return "negation"
        if label in cues.future_labels and cues.future_markers.found_in(clause[-3:]):
            return "future"  # "funds will be transferred": a promise, not a payment made
        if cues.counterfactual.found_in(words):
            return "hypothetical"
        if label not in cues.conditional_exempt and cues.conditional.found_in(clause):
            return "hypothetical"
        if label in cues.conditional_after_labels and self._condition_follows(tokens, end):
            return "hypothetical"
        return ""

    def _condition_follows(self, tokens: _Words, end: int) -> bool:
        """A condition cue in the next few words of the sentence, and no time in it."""
        after: list[str] = []
        for norm, text in zip(tokens.norms[end : end + 12], tokens.texts[end : end + 12]):
            if text in {".", "!", "?"} or "\n" in text:
                break
            after.append(norm)
        if not self.cues.conditional_after.found_in(after[:6]):
            return False
        around = range(max(0, end - 20), min(len(tokens.norms), end + 12))
        return not any(
            tokens.norms[i] in self.cues.time_words or any(c.isdigit() for c in tokens.texts[i])
            for i in around
        )
