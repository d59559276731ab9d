"""Registered spaCy parts the pipeline config refers to by name.

- `commwatch_sentences`: sentence starts after `.`, `!`, `?` and at every line break. Mail,
  chat and transcripts put a thought on each line ("Hi Ana,", "INV-10023 is wrong",
  "Regards") far more often than they end it with a full stop, and a clause boundary is what
  negation and hypothetical cues, and classifier evidence, are scoped to. A full stop is no
  boundary when it closes a day number ("am 3. Dezember", "bis 12.11. überweisen wir") or
  one of the abbreviations business mail is full of ("Rechnung Nr. 2026-0413", "Sra. López",
  "ca. 200 EUR"), which spaCy's English tokenizer splits off as a token of its own.
- `commwatch.TextCatNormBOW.v1`: spaCy's bag-of-n-grams text classifier
  (`spacy.TextCatBOW.v3`) over NORM instead of ORTH, so "PAY FRI", "pay fri" and "Pay Fri"
  are one feature and "won't" is "will not": terse chat is often in one case or the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from spacy.attrs import IDX, LOWER, NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.ml.extract_ngrams import extract_ngrams
from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref
from spacy.strings import StringStore
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

from nlp.dates import MONTHS

_ENDERS = frozenset((".", "!", "?", "…", "...", "!!", "!!!", "??", "?!", "!?"))
_CLOSERS = frozenset("\"')]}»”’")


@Language.component("commwatch_sentences")
def split_sentences(doc: Doc) -> Doc:
    """Sentence starts after terminal punctuation tokens (and a closing quote or bracket
    right after one) and after a line break (spaCy makes every line break a token)."""
    n = len(doc)
    if n == 0:
        return doc
    kinds = _kinds(doc.vocab.strings)
    starts = [-1] * n
    starts[0] = 1
    firsts = [0]
    boundary = False
    columns = token_columns(doc)
    marks = [kinds[h] for h in columns.orths]
    for i, kind in enumerate(marks):
        if boundary and not kind & _SOFT:
            starts[i] = 1
            firsts.append(i)
            boundary = False
        if kind & _ENDS:
            boundary = not (kind & _DOT and 0 < i < n - 1 and _closes_abbreviation(
                marks[i - 1], marks[i + 1], columns.idx[i] - columns.idx[i - 1],
                len(kinds.strings[columns.orths[i - 1]]), columns.idx[i + 1] - columns.idx[i]))
    column: Any = np.array(starts, dtype=np.int64).astype(np.uint64)[:, None]
    doc.from_array([SENT_START], column)
    doc.user_data[_SENTENCE_STARTS] = (n, firsts)
    return doc


_COLUMNS, _SENTENCE_STARTS = "cw_columns", "cw_sentence_starts"


class TokenColumns(NamedTuple):
    norms: list[int]
    orths: list[int]
    idx: list[int]
    lowers: list[int]


def token_columns(doc: Doc) -> TokenColumns:
    """NORM, ORTH and LOWER hashes and character offsets of the doc's tokens, read from its arrays
    once and kept on the doc: the sentence splitter, the lexicon and extraction all need
    them, and each `doc.to_array` costs several microseconds. The pipeline never changes a
    doc's tokens after making it (no component retokenizes); the length is checked all the
    same, so a doc retokenized in some other use reads them again."""
    kept = doc.user_data.get(_COLUMNS)
    if kept is not None and len(kept.norms) == len(doc):
        return kept
    array = doc.to_array(_COLUMN_ATTRS).T
    columns = TokenColumns(array[0].tolist(), array[1].tolist(), array[2].tolist(),
                           array[3].tolist())
    doc.user_data[_COLUMNS] = columns
    return columns


_COLUMN_ATTRS = [NORM, ORTH, IDX, LOWER]


def sentence_starts(doc: Doc) -> list[int]:
    """Token offsets of the tokens marked as sentence starts, or [0] when none is: as
    `commwatch_sentences` set them when it ran on this doc (no later component sets sentence
    starts), else read from SENT_START. Not to be modified."""
    kept = doc.user_data.get(_SENTENCE_STARTS)
    if kept is not None and kept[0] == len(doc):
        return kept[1]
    if not doc.has_annotation("SENT_START"):
        return [0]
    return np.flatnonzero(doc.to_array(SENT_START) == 1).tolist() or [0]


_SOFT, _ENDS = 1, 2  # a closer or whitespace (a boundary waits past it); ends a sentence
# A full stop of its own; a day number ("3", "12.11"); an abbreviation ("Nr", "bzw", "Sra");
# a word that carries on a sentence (lower case, a digit, a month name).
_DOT, _DAY, _ABBREVIATION, _GOES_ON = 4, 8, 16, 32
# A sum in figures; a dash after one: "CHF 3'000.–", "Fr. 2'480.-" (no cents, Swiss style).
_NUMBER, _DASH = 64, 128
_DAY_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
# Abbreviations business mail ends with a full stop, in English and the other languages read
# (nlp.language); extraction's own sentence splitter reads them too (nlp.extract).
ABBREVIATIONS = frozenset((
    "nr", "bzw", "ca", "inkl", "zzgl", "evtl", "ggf", "usw", "vgl", "str", "tel", "fa", "hr",
    "fr", "frau", "sp", "lic", "ing", "sr", "sra", "srta", "dr", "dra", "núm", "num", "fact",
    "fatt", "approx", "ref", "mr", "mrs", "ms", "mme", "mlle", "sig", "dott", "ul", "al",
))


def _closes_abbreviation(before: int, after: int, gap: int, length: int, next_gap: int) -> bool:
    """Whether a full stop, `gap` characters after the start of the token before it (of
    `length` characters) and `next_gap` before the token after it, ends that token (a day
    number, an abbreviation, a Swiss sum) rather than the sentence."""
    if gap != length:
        return False  # "pay 15 . Then": a stop of its own
    if before & _NUMBER and after & _DASH and next_gap == 1:
        return True  # "CHF 3'000.– überweisen"; "We paid 300. - Then" ends
    if before & _DAY:
        return bool(after & _GOES_ON)
    return bool(before & _ABBREVIATION) and not after & _ENDS


class _Kinds(dict[int, int]):
    """ORTH hash -> _SOFT | _ENDS bits, worked out on first sight of a hash."""

    def __init__(self, strings: StringStore) -> None:
        super().__init__()
        self.strings = strings

    def __missing__(self, orth: int) -> int:
        if len(self) >= 200_000:
            self.clear()
        text = self.strings[orth]
        lower = text.lower()
        kind = (_SOFT * (text in _CLOSERS or text.isspace())
                | _ENDS * (text in _ENDERS or "\n" in text)
                | _DOT * (text == ".")
                | _DAY * bool(_DAY_NUMBER.fullmatch(text))
                | _ABBREVIATION * (lower in ABBREVIATIONS)
                | _GOES_ON * (text[:1].islower() or text[:1].isdigit() or lower in MONTHS)
                | _NUMBER * text[-1:].isdigit()
                | _DASH * (text in ("–", "-", "—")))
        self[orth] = kind
        return kind


_KINDS: dict[int, _Kinds] = {}  # by id of the StringStore


def _kinds(strings: StringStore) -> _Kinds:
    kinds = _KINDS.get(id(strings))
    if kinds is None or kinds.strings is not strings:
        if len(_KINDS) >= 8:
            _KINDS.clear()  # pipelines come and go in tests; one or two live in a process
        kinds = _KINDS[id(strings)] = _Kinds(strings)
    return kinds


@registry.architectures("commwatch.TextCatNormBOW.v1")
def build_norm_bow_classifier(
    exclusive_classes: bool,
    ngram_size: int,
    no_output_layer: bool,
    length: int = 65536,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """spaCy's TextCatBOW.v3 (hashed n-grams into a sparse linear layer, sigmoid per label
    when not exclusive) with n-grams of NORM."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill_defaults = {"b": 0, "W": 0}
    with Model.define_operators({">>": chain}):
        output_layer = None
        if not no_output_layer:
            fill_defaults["b"] = NEG_VALUE
            output_layer = Logistic()
        resizable_layer: Model[Any, Any] = resizable(
            sparse_linear,
            resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults),
        )
        model = extract_ngrams(ngram_size, attr=NORM) >> resizable_layer
        model = with_cpu(model, model.ops)
        if output_layer is not None:
            model = model >> with_cpu(output_layer, output_layer.ops)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


def sentence_spans(doc: Doc) -> Iterable[tuple[int, int]]:
    """(start_char, end_char) of each sentence, trailing whitespace trimmed."""
    for sent in doc.sents:
        tokens = [t for t in sent if not t.is_space]
        if tokens:
            yield tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def sentence_chars(doc: Doc) -> list[tuple[int, int]]:
    """(start_char, end_char) of each of `doc.sents`, trailing whitespace included, read from
    the doc's arrays rather than through Span objects."""
    n = len(doc)
    if n == 0:
        return []
    starts = sentence_starts(doc)
    if starts[0] != 0:  # tokens before the first marked start: a sentence of their own
        starts = [0, *starts]
    _norms, orths, idx, _lowers = token_columns(doc)
    strings = doc.vocab.strings
    ends = [*starts[1:], n]
    return [(idx[s], idx[e - 1] + len(strings[orths[e - 1]]))
            for s, e in zip(starts, ends, strict=True)]


def text_of(doc: Doc) -> str:
    """`doc.text`, computed once: spaCy rebuilds it from every token on each access."""
    text = doc.user_data.get("cw_text")
    if text is None:
        text = doc.user_data["cw_text"] = doc.text
    return text
