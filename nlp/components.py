"""Registered spaCy parts the pipeline config refers to by name.

- `commwatch_sentences`: sentence starts after `.`, `!`, `?` and at every line break. Mail,
  chat and transcripts put a thought on each line ("Hi Ana,", "INV-10023 is wrong",
  "Regards") far more often than they end it with a full stop, and a clause boundary is what
  negation and hypothetical cues, and classifier evidence, are scoped to.
- `commwatch.TextCatNormBOW.v1`: spaCy's bag-of-n-grams text classifier
  (`spacy.TextCatBOW.v3`) over NORM instead of ORTH, so "PAY FRI", "pay fri" and "Pay Fri"
  are one feature and "won't" is "will not": terse chat is often in one case or the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np
from spacy.attrs import NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.ml.extract_ngrams import extract_ngrams
from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

_ENDERS = frozenset((".", "!", "?", "…", "...", "!!", "!!!", "??", "?!", "!?"))
_CLOSERS = frozenset("\"')]}»”’")


@Language.component("commwatch_sentences")
def split_sentences(doc: Doc) -> Doc:
    """Sentence starts after terminal punctuation tokens (and a closing quote or bracket
    right after one) and after a line break (spaCy makes every line break a token)."""
    n = len(doc)
    if n == 0:
        return doc
    strings = doc.vocab.strings
    texts = [strings[h] for h in doc.to_array(ORTH).tolist()]
    starts = [-1] * n
    starts[0] = 1
    boundary = False
    for i, text in enumerate(texts):
        if boundary and not (text in _CLOSERS or text.isspace()):
            starts[i] = 1
            boundary = False
        if text in _ENDERS or "\n" in text:
            boundary = True
    doc.from_array([SENT_START], np.array(starts, dtype=np.int64).astype(np.uint64)[:, None])
    return doc


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
        resizable_layer = resizable(
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


def text_of(doc: Doc) -> str:
    """`doc.text`, computed once: spaCy rebuilds it from every token on each access."""
    text = doc.user_data.get("cw_text")
    if text is None:
        text = doc.user_data["cw_text"] = doc.text
    return text
