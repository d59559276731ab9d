"""The tagging pipeline: a spaCy pipeline built from a config, and the `Tagger` around it.

The pipeline (`CONFIG`), on `spacy.blank("en")`'s tokenizer:

1. `commwatch_sentences` — sentences at terminal punctuation and line breaks;
2. `commwatch_lexicon` — phrase and token patterns from `nlp/data/lexicons/*.jsonl` (plus
   any configured folders), each match marked asserted, negated or hypothetical;
3. `textcat_multilabel` — a trained bag-of-n-grams classifier (`commwatch train`), for
   what the lexicons do not word;
4. `commwatch_tone` — TextBlob polarity;
5. `commwatch_signals` — the tags, scores and evidence (`nlp.signals`).

The trained pipeline ships in `nlp/model/` (spaCy's own format: `config.cfg` and weights),
so a fresh install tags without training. Lexicons are read when the pipeline loads, so a
user's lexicon edit takes effect without retraining; the pipeline version recorded on every
signal covers the weights, the lexicons, the cues and this code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Config

import nlp.components  # noqa: F401  (registers commwatch_sentences and the architecture)
import nlp.lexicon  # noqa: F401  (registers commwatch_lexicon)
import nlp.signals  # noqa: F401  (registers commwatch_signals)
import nlp.tone  # noqa: F401  (registers commwatch_tone)
from commwatch.collector import collection_deferred
from ingest.quotes import new_text_span
from nlp.components import sentence_chars, text_of
from nlp.dates import SCANNER
from nlp.datewords import DATE_WORDS
from nlp.labels import ALL_TAGS, CLASSIFIER_TAGS, INBOUND_TAGS, OUTBOUND_TAGS
from nlp.language import LANGUAGES
from nlp.lexicon import CUES, LexiconError, read_lexicons
from nlp.places import PLACES
from nlp.signals import Evidence

MODEL_DIR = Path(__file__).resolve().parent / "model"
CLASSIFIER_NAME = "textcat_multilabel"
# Bumped when component code changes in a way that changes results.
CODE_VERSION = "16"

CONFIG = """
[nlp]
lang = "en"
pipeline = ["commwatch_sentences", "commwatch_lexicon", "textcat_multilabel",
    "commwatch_tone", "commwatch_signals"]
batch_size = 256

[components]

[components.commwatch_sentences]
factory = "commwatch_sentences"

[components.commwatch_lexicon]
factory = "commwatch_lexicon"
extra_folders = []
attr = "NORM"

[components.textcat_multilabel]
factory = "textcat_multilabel"
threshold = 0.5

[components.textcat_multilabel.model]
@architectures = "commwatch.TextCatNormBOW.v1"
exclusive_classes = false
ngram_size = 2
no_output_layer = false
length = 65536

[components.commwatch_tone]
factory = "commwatch_tone"

[components.commwatch_signals]
factory = "commwatch_signals"
threshold = 0.6
counter_threshold = 0.9
veto = 0.0
corroborate = 0.3

[components.commwatch_signals.thresholds]
abusive_language = 0.7
payment_confirmation = 0.7
"""

for _name in ("sent_at", "currency"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class ModelError(Exception):
    """The shipped or configured model cannot be loaded; says where and what to do."""


def build_untrained(extra_lexicons: Iterable[Path | str] = ()) -> Language:
    """The pipeline from `CONFIG`, classifier untrained (what `commwatch train` starts from)."""
    config = Config().from_str(CONFIG)
    config["components"]["commwatch_lexicon"]["extra_folders"] = [str(p) for p in extra_lexicons]
    return spacy.util.load_model_from_config(config, auto_fill=True, validate=True)


def load_pipeline(
    model_dir: Path = MODEL_DIR, extra_lexicons: Iterable[Path | str] = ()
) -> Language:
    if not (model_dir / "config.cfg").is_file():
        raise ModelError(
            f"{model_dir}: no trained model here; run `commwatch train` to build one"
        )
    overrides = {"components.commwatch_lexicon.extra_folders": [str(p) for p in extra_lexicons]}
    try:
        return spacy.load(model_dir, config=overrides)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{model_dir}: cannot load the model: {exc}") from exc


def pipeline_version(nlp_: Language, model_dir: Path) -> str:
    """A short hash of everything that decides the tags."""
    digest = hashlib.sha256(CODE_VERSION.encode())
    weights = model_dir / CLASSIFIER_NAME / "model"
    if weights.is_file():
        digest.update(weights.read_bytes())
    digest.update(json.dumps(nlp_.config.to_str()).encode())
    lexicon = nlp_.get_pipe("commwatch_lexicon")
    digest.update(json.dumps(lexicon.patterns, sort_keys=True, default=str).encode())  # type: ignore[attr-defined]
    digest.update(CUES.read_bytes())
    digest.update(DATE_WORDS.read_bytes())
    digest.update(LANGUAGES.read_bytes())
    digest.update(PLACES.read_bytes())
    digest.update(json.dumps(lexicon.spellings, sort_keys=True).encode())  # type: ignore[attr-defined]
    return f"nlp-{digest.hexdigest()[:12]}"


@dataclass
class Tagging:
    """What the NLP stage says about one text (TAXONOMY.md prediction format via `as_json`)."""

    labels: list[str]
    scores: dict[str, float]
    evidence: list[Evidence]
    version: str
    promise: dict[str, Any] | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    tone: float = 0.0
    new_text_end: int = 0
    languages: tuple[str, ...] = ()  # besides English, the languages it was read in

    def as_json(self, id_: str) -> dict[str, Any]:
        return {
            "id": id_,
            "labels": self.labels,
            "scores": self.scores,
            "evidence": [e.as_json() for e in self.evidence],
            "promise": self.promise,
        }


class Tagger:
    """Tags texts with one loaded pipeline; the rest of commwatch calls `tag`."""

    def __init__(
        self, extra_lexicons: Iterable[Path | str] = (), model_dir: Path = MODEL_DIR
    ) -> None:
        self.nlp = load_pipeline(model_dir, extra_lexicons)
        self._lexicon: Any = self.nlp.get_pipe("commwatch_lexicon")
        self.version = pipeline_version(self.nlp, model_dir)
        # Extraction's rules join the shared scanner when nlp.extract is imported, and the
        # scanner works out where each rule may start before its first scan (about a second
        # and a half, and tens of megabytes of parse trees to collect): both are done here,
        # at load, not inside the first batch, where the collector is paused.
        import nlp.extract  # noqa: F401

        SCANNER.starts("")

    def tag(
        self,
        texts: Sequence[str],
        directions: Sequence[str | None] | None = None,
        sent_ats: Sequence[datetime | None] | None = None,
        batch_size: int = 256,
        trim: bool = True,
        channels: Sequence[str | None] | None = None,
        currencies: Sequence[str | None] | None = None,
        threads: Sequence[str] | None = None,
    ) -> list[Tagging]:
        """Tag each text. `trim` cuts quoted history and a signature off the end first (a
        stored message's `new_text` has none; an eval file's text may). `currencies` are the
        customers' account currencies where known, and `threads` what follows a stored
        message's new text (its quoted history): what a promise's "$" or bare "two grand"
        means when the message itself does not say (nlp.currency). Tags never come from
        the thread."""
        results: list[Tagging] = []
        for first in range(0, len(texts), batch_size):
            # A batch allocates several hundred thousand short-lived objects and frees
            # nearly all of them by reference counting; the cyclic collector would walk the
            # loaded pipeline's few hundred thousand objects again and again meanwhile
            # (about a tenth of tagging time). It resumes between batches instead.
            with collection_deferred():
                results += self._tag_batch(range(first, min(first + batch_size, len(texts))),
                                           texts, directions, sent_ats, trim, channels,
                                           currencies, threads)
        return results

    def _tag_batch(
        self,
        which: range,
        texts: Sequence[str],
        directions: Sequence[str | None] | None,
        sent_ats: Sequence[datetime | None] | None,
        trim: bool,
        channels: Sequence[str | None] | None,
        currencies: Sequence[str | None] | None,
        threads: Sequence[str] | None,
    ) -> list[Tagging]:
        docs = []
        for i in which:
            text = texts[i]
            end = new_text_span(text) if trim else len(text)
            doc = self.nlp.make_doc(text[:end])
            doc.user_data["cw_text"] = text[:end]
            doc.user_data["cw_thread"] = threads[i] if threads else text[end:]
            ext = doc._  # each `doc._` makes a new accessor: one for the four
            ext.direction = directions[i] if directions else "inbound"
            ext.sent_at = sent_ats[i] if sent_ats else None
            ext.channel = channels[i] if channels else None
            ext.currency = currencies[i] if currencies else None
            docs.append(doc)
        # A batch holding an empty doc trips the n-gram classifier (thinc's ngrams on a
        # zero-length array), so an empty text (an attachment-only chat message) runs alone.
        tagged = iter(self.nlp.pipe([d for d in docs if len(d)], batch_size=len(docs)))
        return [self._result(next(tagged) if len(doc) else self.nlp(doc)) for doc in docs]

    def tag_one(
        self, text: str, direction: str | None = "inbound", sent_at: datetime | None = None
    ) -> Tagging:
        return self.tag([text], [direction], [sent_at])[0]

    def _result(self, doc: Doc) -> Tagging:
        decision = doc._.cw_signals
        result = Tagging(
            labels=decision.labels,
            scores=decision.scores,
            evidence=decision.evidence,
            version=self.version,
            tone=float(doc._.tone or 0.0),
            new_text_end=len(text_of(doc)),
        )
        result.languages = self._lexicon.languages_of(doc)
        if {"promise_to_pay", "dispute"} & set(decision.labels):
            _extract(doc, result, result.languages)
        return result


def _extract(doc: Doc, result: Tagging, languages: tuple[str, ...] = ()) -> None:
    """Promise amount/currency/date, invoice references and dispute reason."""
    from nlp.extract import dispute_reason, extract_promise, invoice_refs
    from nlp.numberwords import language_for_numbers, with_digits

    text = text_of(doc)
    refs = [r.text for r in invoice_refs(text)]

    bounds: list[tuple[int, int]] | None = None

    def focus(label: str) -> list[tuple[int, int]]:
        nonlocal bounds
        spans = [(e.start, e.end) for e in result.evidence if e.label == label]
        if bounds is None:
            bounds = sentence_chars(doc)
        sentences = []
        for s, e in bounds:
            if any(s <= a < e for a, _b in spans):
                sentences.append((s, e))
        return sentences or spans

    if "promise_to_pay" in result.labels:
        where = focus("promise_to_pay")
        said = text
        numbers = language_for_numbers(languages)
        if numbers is not None:  # "cinco mil el quince": the values read as "5000 el 15"
            edges = [*(bounds or sentence_chars(doc)), *where]
            said, moved = with_digits(text, edges, numbers)
            where = moved[len(edges) - len(where):]
        promise = extract_promise(said, doc._.sent_at, where, doc._.currency,
                                  doc.user_data.get("cw_thread", ""), languages)
        result.promise = promise.to_json() if promise else {
            "amount": None, "currency": None, "date": None
        }
        result.values["promise_to_pay"] = {**result.promise, "invoices": refs}
    if "dispute" in result.labels:
        result.values["dispute"] = {
            "reason": dispute_reason(text, focus("dispute")),
            "invoices": refs,
        }


@lru_cache(maxsize=4)
def default_tagger(extra_lexicons: tuple[Path, ...] = ()) -> Tagger:
    return Tagger(extra_lexicons)


__all__ = [
    "ALL_TAGS",
    "CLASSIFIER_TAGS",
    "INBOUND_TAGS",
    "OUTBOUND_TAGS",
    "Evidence",
    "LexiconError",
    "ModelError",
    "Tagger",
    "Tagging",
    "build_untrained",
    "default_tagger",
    "load_pipeline",
    "read_lexicons",
]
