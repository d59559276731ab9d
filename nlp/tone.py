"""Tone: TextBlob's sentiment polarity, the same number, at a fraction of the cost.

The TAXONOMY defines tone as TextBlob's polarity, so rules written against TextBlob scores
("negative and escalating") must see exactly TextBlob's numbers. `TextBlob(text).sentiment`
is slow because pattern's tokenizer runs a dozen regular expressions over the whole text
for every message. This module reproduces it exactly and cheaply:

- Tokens are TextBlob's own, not spaCy's. The two tokenizers disagree in ways that move the
  score: pattern splits "isn't" into `is n ' t`, so TextBlob never sees the negation "n't"
  (spaCy's `n't` would negate); pattern strips the dashes off `-----Original` and scores
  "original"; spaCy emits whitespace tokens that would break TextBlob's "not a good" rule.
  Pattern's tokenizer splits only *inside* whitespace-separated chunks, so each distinct
  chunk is tokenized once, by pattern itself, and cached; a message is then a string split
  plus dictionary lookups. The one thing pattern does across chunks is glue emoticons back
  together ("wrote:" + "> …" becomes the smiley ":>"); a text where that can happen (about
  one in twenty, mostly quoted replies) is tokenized whole, by pattern, instead.
- Scoring follows `textblob._text.Sentiment.assessments` rule for rule: modifiers ("very
  good" multiplies by the modifier's intensity), negation ("not good" is -0.5 x), negation
  kept across one-letter words ("not a good"), "really not good", "!" boosts the previous
  score by 1.25, "(!)" adds a neutral irony score, emoticons score on their own. The result
  is the plain average, summed in the same order, so it is bit-identical to TextBlob's.

TextBlob's quirks are kept on purpose, since the number must be TextBlob's: "isn't good"
scores +0.7 like "good", and "Date: 3 Nov" contains the smiley ":3".
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import text_of

if TYPE_CHECKING:
    from spacy.strings import StringStore

if not Doc.has_extension("tone"):
    Doc.set_extension("tone", default=None)

__all__ = ["ToneLexicon", "ToneScorer", "doc_polarity", "textblob_polarity", "tone_of"]

_CHUNK_CACHE_LIMIT = 100_000  # distinct chunks kept; the cache restarts when full
# A tokenized chunk: its words lower-cased, the endings of the previous chunk with which
# pattern would join its first word (as written) into one emoticon, if any, and whether the
# chunk is inert (see `ToneLexicon._inert`).
_Chunk = tuple[tuple[str, ...], tuple[str, ...] | None, bool]


def _joins() -> dict[str, tuple[str, ...]]:
    """For each word that can continue an emoticon begun in the previous chunk, the endings
    of that chunk's last word that would begin it.

    Pattern's emoticon pattern allows a space between any two characters of a face and has
    no left boundary, so "wrote:" + ">" becomes ":>" and "really>" + ":D" becomes ">:D";
    "( ! )" becomes the irony mark "(!)". The face must end where a word ends.
    """
    from textblob._text import EMOTICONS

    faces = {face for group in EMOTICONS.values() for face in group} | {"(!)"}
    joins: dict[str, set[str]] = {}
    for face in faces:
        for cut in range(1, len(face)):
            rest = face[cut:]
            for end in range(1, len(rest) + 1):
                joins.setdefault(rest[:end], set()).add(face[:cut])
    return {head: tuple(sorted(tails)) for head, tails in joins.items()}


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


class ToneLexicon:
    """TextBlob's English sentiment lexicon plus a cache of tokenized chunks.

    `strings` (a spaCy `StringStore`) is accepted so a lexicon can be built next to a
    pipeline, but nothing here depends on it: words are looked up exactly as TextBlob's
    tokenizer writes them, so one lexicon serves every pipeline (see `tone_of`).
    """

    def __init__(self, strings: StringStore | None = None) -> None:
        from textblob._text import EMOTICONS, PUNCTUATION
        from textblob.en import sentiment  # the lexicon XML is parsed on first use

        len(sentiment)  # load it once, the same way TextBlob does (lazily, idempotently)
        self.entries: dict[str, tuple[float, float, bool]] = {}
        for word, by_pos in dict.items(sentiment):
            polarity, _subjectivity, intensity = by_pos[None]
            is_modifier = any(pos in by_pos for pos in sentiment.modifiers)
            self.entries[word] = (float(polarity), float(intensity), is_modifier)
        self.negations = frozenset(sentiment.negations)
        self.punctuation = PUNCTUATION
        # First matching face wins, in EMOTICONS order, compared lower-cased: as TextBlob does.
        self.emoticons: dict[str, float] = {}
        for (_mood, score), faces in EMOTICONS.items():
            for face in faces:
                self.emoticons.setdefault(face.lower(), float(score))
        self._tokenize = sentiment.tokenizer
        self._chunks: dict[str, _Chunk] = {}
        self._joins = _joins()

    def words(self, text: str) -> list[str]:
        """The lower-cased words TextBlob scores for `text`, in order."""
        parts = self._chunks_of(text)
        if parts is None:
            return self._whole(text)
        return [w for lowered, _tails, _inert in parts for w in lowered]

    def _chunks_of(self, text: str) -> list[_Chunk] | None:
        """The cached tokenized chunks of `text`, or None when pattern would join an emoticon
        across two of them (the text must then be tokenized whole)."""
        chunks = self._chunks
        out: list[_Chunk] = []
        last = ""
        for chunk in text.split():
            cached = chunks.get(chunk)
            if cached is None:
                cached = self._chunk(chunk)
            tails = cached[1]
            if tails is not None and last.endswith(tails):
                # Pattern joins a face across the space. This is rare but not exotic: every
                # quoted reply has "wrote:" then "> …".
                return None
            last = chunk  # pattern only adds spaces inside a chunk, so its end is the text's
            out.append(cached)
        return out

    def _whole(self, text: str) -> list[str]:
        """The words of `text` tokenized whole, by pattern, as TextBlob does."""
        return " ".join(self._tokenize(text)).lower().split()

    def _chunk(self, chunk: str) -> _Chunk:
        if chunk.isalpha():  # pattern leaves a chunk of letters as it is
            words: list[str] = [chunk]
        else:
            words = " ".join(self._tokenize(chunk)).split()
        lowered = tuple(w.lower() for w in words)
        cached = (lowered, self._joins.get(words[0]) if words else None,
                  all(self._inert(w) for w in lowered))
        if len(self._chunks) >= _CHUNK_CACHE_LIMIT:
            self._chunks.clear()
        self._chunks[chunk] = cached
        return cached

    def _inert(self, w: str) -> bool:
        """Whether `score` passes over the word without effect when no negation or modifier
        is pending (and leaves none pending): an unknown word, not a negation, not "!" or
        "(!)", and not a face. Most chunks of a message are made of such words only."""
        if w in self.entries or w in self.negations:
            return False
        if w.isalpha():
            return True
        if w in ("!", "(!)"):
            return False
        return len(w) > 5 or w in self.punctuation or w not in self.emoticons

    def polarity(self, text: str) -> float:
        """`TextBlob(text).sentiment.polarity`, computed from the cached tokens."""
        parts = self._chunks_of(text)
        if parts is None:
            return self.score(self._whole(text))
        return self._score(parts)

    def score(self, words: list[str]) -> float:
        """TextBlob's `Sentiment.assessments` + average, polarity only, over lower-cased words."""
        return self._score([(tuple(words), None, False)])

    def _score(self, parts: list[_Chunk]) -> float:
        """`score` of the chunks' words in order. An inert chunk met with nothing pending is
        skipped whole: word by word, it would change nothing."""
        entries, negations, emoticons = self.entries, self.negations, self.emoticons
        scores: list[list[float]] = []  # [polarity, intensity, negated (1.0 / -1.0)]
        modifier: str | None = None  # the previous known word, if it can modify the next one
        negated = False  # a negation is pending
        for words, _tails, inert in parts:
            if inert and not negated and modifier is None:
                continue
            for w in words:
                entry = entries.get(w)
                if entry is not None:
                    p, intensity, is_modifier = entry
                    if modifier is None:
                        scores.append([p, intensity, 1.0])
                    else:  # "very good": the modifier's own score is replaced
                        last = scores[-1]
                        last[0] = max(-1.0, min(p * last[1], 1.0))
                        last[1] = intensity
                    if negated:  # "not good", "not very good"
                        last = scores[-1]
                        last[1] = 1.0 / last[1]
                        last[2] = -1.0
                    modifier = w if is_modifier else None
                    negated = w in negations
                    continue
                if w in negations:
                    negated = True
                elif not negated and modifier is None and w.isalpha():
                    continue  # nothing below can apply to a plain unknown word
                elif negated and len(w.strip("'")) > 1:  # "not a good" keeps it, "not that" not
                    negated = False
                if negated and modifier is not None and modifier.endswith("ly"):
                    scores[-1][2] = -1.0  # "really not good"
                    negated = False
                elif modifier is not None and len(w) > 2:
                    modifier = None
                if w == "!" and scores:
                    scores[-1][0] = max(-1.0, min(scores[-1][0] * 1.25, 1.0))
                if w == "(!)":
                    scores.append([0.0, 1.0, 1.0])
                if not w.isalpha() and len(w) <= 5 and w not in self.punctuation:
                    face = emoticons.get(w)
                    if face is not None:
                        scores.append([face, 1.0, 1.0])
        if not scores:
            return 0.0
        total = 0.0
        for p, _intensity, sign in scores:
            total += p * -0.5 if sign < 0 else p
        return total / float(len(scores))


def doc_polarity(doc: _HasText, lex: ToneLexicon) -> float:
    """TextBlob polarity in [-1, 1] of a spaCy `Doc` or `Span`.

    Scored on the text as written: TextBlob's tokenization, not the doc's, decides the score.
    """
    return lex.polarity(doc.text)


@lru_cache(maxsize=1)
def _shared_lexicon() -> ToneLexicon:
    return ToneLexicon()


def tone_of(doc: _HasText) -> float:
    """TextBlob polarity of a `Doc` or `Span`, with one lexicon (and chunk cache) shared by
    every pipeline and vocabulary, since neither depends on the vocabulary."""
    return _shared_lexicon().polarity(doc.text)


@Language.factory("commwatch_tone")
def make_tone(nlp: Language, name: str) -> ToneScorer:
    return ToneScorer()


class ToneScorer:
    """Pipeline component: sets `doc._.tone` to the TextBlob polarity of the doc."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.tone = _shared_lexicon().polarity(text_of(doc))
        return doc


def textblob_polarity(text: str) -> float:
    """TextBlob's own polarity (slow); the reference this module is tested against."""
    from textblob import TextBlob

    return float(TextBlob(text).sentiment.polarity)
