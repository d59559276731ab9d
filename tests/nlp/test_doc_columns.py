"""The token columns and sentence starts kept on a doc (`nlp.components`) are what the doc's
own arrays and `doc.sents` say."""

from __future__ import annotations

import numpy as np
import pytest
from spacy.attrs import IDX, NORM, ORTH, SENT_START
from spacy.tokens import Doc

from nlp import Tagger
from nlp.components import sentence_chars, sentence_starts, token_columns
from nlp.dataset import DEV_FILE, read_examples

EXTRA_TEXTS = ["", " ", "\n\nHi.", "no stop at all", "One. Two!\n\n  Three?\" Four", "...\n"]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


@pytest.fixture(scope="module")
def docs(tagger: Tagger) -> list[Doc]:
    texts = [e.text for e in read_examples(DEV_FILE)] + EXTRA_TEXTS
    only = ["commwatch_sentences"]
    return list(tagger.nlp.pipe(texts, disable=[n for n in tagger.nlp.pipe_names if n not in only]))


def test_kept_columns_and_starts_are_the_docs_own(docs: list[Doc]) -> None:
    for doc in docs:
        norms, orths, idx, _lowers = token_columns(doc)
        assert norms == doc.to_array(NORM).tolist()
        assert orths == doc.to_array(ORTH).tolist()
        assert idx == doc.to_array(IDX).tolist()
        read = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist() or [0]
        assert sentence_starts(doc) == read
        assert sentence_starts(doc) == ([s.start for s in doc.sents] if len(doc) else [0])
        assert sentence_chars(doc) == [(s.start_char, s.end_char) for s in doc.sents]


def test_a_doc_with_other_tokens_reads_them_again(tagger: Tagger) -> None:
    doc = tagger.nlp("Pay on Friday. Thanks")
    assert token_columns(doc).norms[:2] == doc.to_array(NORM).tolist()[:2]
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[0:3])
    assert token_columns(doc).orths == doc.to_array(ORTH).tolist()
    assert sentence_starts(doc) == np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # a Swiss sum with no cents ("Fr. 2'480.–") does not end its sentence
        ("Die Rechnung über Fr. 2'480.– zahlen wir Freitag. Danke.",
         ["Die Rechnung über Fr. 2'480.– zahlen wir Freitag.", "Danke."]),
        ("Wir können am Freitag CHF 3'000.- überweisen.",
         ["Wir können am Freitag CHF 3'000.- überweisen."]),
        # a stop with a space before the dash still ends one
        ("We paid 300. - next item", ["We paid 300.", "- next item"]),
        ("Total 45. Thanks", ["Total 45.", "Thanks"]),
    ],
)
def test_sentence_ends(tagger: Tagger, text: str, sentences: list[str]) -> None:
    assert [s.text for s in tagger.nlp(text).sents] == sentences
