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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class Cues:
    """Negation and hypothetical cue words from `cues.json`, as NORM token sequences."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.negation = {c.lower() for c in raw.get("negation", [])}
        self.window = int(raw.get("negation_window", 4))
        self.conditional = [tuple(c.lower().split()) for c in raw.get("conditional", [])]
        self.counterfactual = [tuple(c.lower().split()) for c in raw.get("counterfactual", [])]
        self.breakers = {c.lower() for c in raw.get("scope_breakers", [])}
        self.conditional_exempt = set(raw.get("conditional_exempt_labels", []))
        # "We'll pay once the dispute is resolved": a condition after the match, with no
        # time anywhere in the sentence, makes a promise no promise (a time makes it one).
        self.conditional_after = [tuple(c.lower().split()) for c in raw.get("conditional_after", [])]
        self.conditional_after_labels = set(raw.get("conditional_after_labels", []))
        self.time_words = {c.lower() for c in raw.get("time_words", [])}
        # "We would be grateful if you could reissue…" is a request, not a condition.
        self.polite_if = [tuple(c.lower().split()) for c in raw.get("polite_if", [])]
        self.future_markers = [tuple(c.lower().split()) for c in raw.get("future_markers", [])]
        self.future_labels = set(raw.get("future_labels", []))


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


def _contains(words: Sequence[str], cue: tuple[str, ...]) -> bool:
    n = len(cue)
    return any(tuple(words[i : i + n]) == cue for i in range(len(words) - n + 1))


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
        self.tokens = Matcher(nlp.vocab, validate=True)
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
        for key, pats in token_patterns.items():
            try:
                self.tokens.add(key, pats)
            except ValueError as exc:  # spaCy's pattern validation names the problem
                raise LexiconError(f"token pattern for {key.split('|')[1]}: {exc}") from None

    def __call__(self, doc: Doc) -> Doc:
        matches = self.phrases(doc)
        if len(self.tokens):
            matches += self.tokens(doc)
        if not matches:
            doc._.cw_hits = []
            return doc
        hits = []
        for match_id, start, end in sorted(set(matches), key=lambda m: (m[1], -m[2])):
            label, rule, weight = self.info[match_id]
            blocked = self._blocked(doc, start, end, label)
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

    def _clause(self, doc: Doc, start: int) -> tuple[list[str], int]:
        """NORMs from the start of the match's sentence up to the match, and the clause start."""
        words: list[str] = []
        clause_start = -1
        i = start - 1
        while i >= 0 and start - i <= 40:
            token = doc[i]
            text = token.text
            if text in {".", "!", "?"} or "\n" in text:
                break
            if clause_start < 0 and (token.norm_ in self.cues.breakers):
                clause_start = len(words)
            words.append(token.norm_)
            i -= 1
        words.reverse()
        return words, (len(words) - clause_start if clause_start >= 0 else 0)

    def _blocked(self, doc: Doc, start: int, end: int, label: str) -> str:
        cues = self.cues
        words, clause_start = self._clause(doc, start)
        clause = _without(words[clause_start:], cues.polite_if)
        own = {t.norm_ for t in doc[start:end]}
        if not own & cues.negation:
            # The phrase carries no negation of its own: look back a few words in its clause.
            for word in reversed(clause[-cues.window :]):
                if word in cues.negation:
                    return "negation"
        if label in cues.future_labels and any(
            _contains(clause[-3:], cue) for cue in cues.future_markers
        ):
            return "future"  # "funds will be transferred": a promise, not a payment made
        if any(_contains(words, cue) for cue in cues.counterfactual):
            return "hypothetical"
        if label not in cues.conditional_exempt and any(
            _contains(clause, cue) for cue in cues.conditional
        ):
            return "hypothetical"
        if label in cues.conditional_after_labels and self._condition_follows(doc, end):
            return "hypothetical"
        return ""

    def _condition_follows(self, doc: Doc, end: int) -> bool:
        """A condition cue in the next few words of the sentence, and no time in it."""
        after: list[str] = []
        for token in doc[end : end + 12]:
            if token.text in {".", "!", "?"} or "\n" in token.text:
                break
            after.append(token.norm_)
        if not any(_contains(after[:6], cue) for cue in self.cues.conditional_after):
            return False
        sentence = [t for t in doc[max(0, end - 20) : end + 12]]
        return not any(t.norm_ in self.cues.time_words or t.like_num for t in sentence)
