"""The spaCy pipeline: lexicon matches, negation/hypothetical filtering, signals per tag.

Built on `spacy.blank("en")`: a sentencizer, spaCy's `span_ruler` fed with the lexicon files
in `nlp/data/lexicons/` (and any configured extra folders), then the `commwatch_signals`
component that drops negated or hypothetical matches and writes the kept evidence to
`doc.spans["signals"]` and a score per tag to `doc._.tag_scores`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

DATA = Path(__file__).resolve().parent / "data"
LEXICONS = DATA / "lexicons"
CUES = DATA / "cues.json"
MATCHES_KEY = "cw_matches"
SIGNALS_KEY = "signals"
RULE_CONFIDENCE = 0.9
# Bumped when component code changes in a way that changes results.
CODE_VERSION = "1"

INBOUND_TAGS = (
    "dispute",
    "promise_to_pay",
    "billing_query",
    "payment_confirmation",
    "hardship",
    "cease_contact",
    "legal_escalation",
    "auto_reply",
)
OUTBOUND_TAGS = ("abusive_language", "pii_exposure")
ALL_TAGS = INBOUND_TAGS + OUTBOUND_TAGS

if not Doc.has_extension("tag_scores"):
    Doc.set_extension("tag_scores", default=None)


class LexiconError(Exception):
    """A lexicon file cannot be used; says which file and line."""


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
            entry.setdefault("id", f"{entry['label']}.{path.stem}")
            patterns.append(entry)
    return patterns


@Language.factory(
    "commwatch_signals",
    default_config={"cues": {}, "confidence": RULE_CONFIDENCE},
)
def make_signals(
    nlp: Language, name: str, cues: dict[str, Any], confidence: float
) -> SignalFilter:
    return SignalFilter(cues, confidence)


class SignalFilter:
    """Keeps lexicon matches that are asserted: not negated, not hypothetical."""

    def __init__(self, cues: dict[str, Any], confidence: float) -> None:
        self.negation = {c.lower() for c in cues.get("negation", [])}
        self.window = int(cues.get("negation_window", 4))
        self.hypothetical = [c.lower().split() for c in cues.get("hypothetical", [])]
        self.breakers = {c.lower() for c in cues.get("scope_breakers", [])}
        self.confidence = confidence

    def _negated(self, span: Span) -> bool:
        if any(t.lower_ in self.negation for t in span):
            return False  # the phrase carries its own negation ("never received")
        doc = span.doc
        sent_start = span.sent.start if doc.has_annotation("SENT_START") else 0
        for i in range(span.start - 1, max(sent_start, span.start - self.window) - 1, -1):
            word = doc[i].lower_
            if word in self.breakers:
                return False
            if word in self.negation:
                return True
        return False

    def _hypothetical(self, span: Span) -> bool:
        doc = span.doc
        sent_start = span.sent.start if doc.has_annotation("SENT_START") else 0
        words = [t.lower_ for t in doc[sent_start : span.start]]
        for cue in self.hypothetical:
            n = len(cue)
            if any(words[i : i + n] == cue for i in range(len(words) - n + 1)):
                return True
        return False

    def __call__(self, doc: Doc) -> Doc:
        asserted = [
            span
            for span in doc.spans.get(MATCHES_KEY, [])
            if not (self._negated(span) or self._hypothetical(span))
        ]
        # Overlapping matches of one tag ("we will pay" / "will pay") are one piece of evidence.
        kept: list[Span] = []
        for tag in {s.label_ for s in asserted}:
            kept += filter_spans([s for s in asserted if s.label_ == tag])
        kept.sort(key=lambda s: (s.start, s.end))
        doc.spans[SIGNALS_KEY] = kept
        doc._.tag_scores = {tag: (self.confidence if any(s.label_ == tag for s in kept) else 0.0)
                            for tag in ALL_TAGS}
        return doc


def _version(patterns: Sequence[dict[str, Any]], cues: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(CODE_VERSION.encode())
    digest.update(json.dumps(list(patterns), sort_keys=True).encode())
    digest.update(json.dumps(cues, sort_keys=True).encode())
    return f"rules-{digest.hexdigest()[:10]}"


def build_pipeline(extra_lexicons: Iterable[Path] = ()) -> Language:
    """A fresh pipeline from the shipped lexicons plus any extra folders."""
    patterns = read_lexicon_folder(LEXICONS)
    for folder in extra_lexicons:
        if not folder.is_dir():
            raise LexiconError(f"{folder}: lexicon folder not found")
        patterns += read_lexicon_folder(folder)
    cues = json.loads(CUES.read_text(encoding="utf-8"))
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe(
        "span_ruler",
        config={"spans_key": MATCHES_KEY, "phrase_matcher_attr": "LOWER", "validate": True},
    )
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.add_pipe("commwatch_signals", config={"cues": cues})
    nlp.meta["version"] = _version(patterns, cues)
    return nlp


@dataclass
class Evidence:
    label: str
    start: int
    end: int
    text: str
    rule: str

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text}


@dataclass
class Tagging:
    """What the NLP stage says about one text."""

    labels: list[str]
    scores: dict[str, float]
    evidence: list[Evidence]
    version: str
    promise: dict[str, Any] | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


class Tagger:
    """Tags texts with one loaded pipeline; `tag` is all the rest of commwatch calls."""

    def __init__(self, extra_lexicons: Iterable[Path] = ()) -> None:
        self.nlp = build_pipeline(extra_lexicons)
        self.version: str = self.nlp.meta["version"]

    def tag(
        self,
        texts: Sequence[str],
        directions: Sequence[str] | None = None,
        batch_size: int = 256,
    ) -> list[Tagging]:
        results: list[Tagging] = []
        for i, doc in enumerate(self.nlp.pipe(texts, batch_size=batch_size)):
            direction = directions[i] if directions else "inbound"
            allowed = OUTBOUND_TAGS if direction == "outbound" else INBOUND_TAGS
            evidence = [
                Evidence(s.label_, s.start_char, s.end_char, s.text, f"lexicon:{s.id_}")
                for s in doc.spans[SIGNALS_KEY]
                if s.label_ in allowed
            ]
            labels = sorted({e.label for e in evidence}, key=ALL_TAGS.index)
            scores = {t: doc._.tag_scores[t] for t in allowed}
            results.append(Tagging(labels, scores, evidence, self.version))
        return results


@lru_cache(maxsize=4)
def default_tagger(extra_lexicons: tuple[Path, ...] = ()) -> Tagger:
    return Tagger(extra_lexicons)
