"""The lexicon's array paths agree with their references: cue decisions on hash columns with
`LexiconMatcher._blocked` (word lists), compiled token patterns with spaCy's `Matcher`, and
the token-pattern search (first words, anchor words, the word after the first) with every
pattern tried everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from spacy.attrs import IS_DIGIT, IS_PUNCT, IS_SPACE, LIKE_NUM, LOWER, NORM, ORTH, SHAPE
from spacy.matcher import Matcher

from nlp import Tagger
from nlp.components import token_columns
from nlp.cues import DocCues
from nlp.dataset import DEV_FILE, read_examples
from nlp.lexicon import ENGLISH, OTHER_LANGUAGE, _sentence_bounds, _Words
from nlp.tokenpatterns import compile_pattern
from tests.nlp.house import house_tagger

EXTRA_TEXTS = [
    "We would be grateful if you could resend the invoice, we will not pay until then.",
    "If you could not send the invoice we'll pay Friday.",
    "Payment will be transferred once the credit note is issued",
    "We'll pay as soon as possible, hopefully by the 30th.",
    "Had we been charged twice we would have complained.  Odd  spacing\there.",
    "STOP!!\nStop . \n stop",
    "Before we can release payment we need your W-9; before they can pay you, it must be on file.",
    # Other languages' cues (nlp.language), "nicht" after the verb among them.
    "Wir bestreiten die Rechnung nicht, aber die Gutschrift fehlt. Wir werden am Freitag zahlen.",
    "No estamos disputando la factura y vamos a pagar el viernes si nos mandan la copia.",
    "Nous ne contestons pas la facture, le virement sera effectué dès réception de l'avoir.",
    "Não recebemos a mercadoria, mas vamos pagar a nota quando chegar. Nao foi pago ainda",
    "Nie kwestionujemy faktury, zapłacimy do piątku jeśli dostaniemy korektę.",
    "Non contestiamo la fattura, pagheremo entro fine mese se possibile.",
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


@pytest.fixture(scope="module")
def docs(tagger: Tagger) -> list[Any]:
    texts = [e.text for e in read_examples(DEV_FILE)] + EXTRA_TEXTS
    only = ["commwatch_sentences"]
    return list(tagger.nlp.pipe(texts, disable=[n for n in tagger.nlp.pipe_names if n not in only]))


def test_cue_decisions_match_the_word_list_reference(tagger: Tagger, docs: list[Any]) -> None:
    lexicon = tagger.nlp.get_pipe("commwatch_lexicon")
    labels = ["dispute", "promise_to_pay", "payment_confirmation", "hardship"]
    checked = 0
    for doc in docs:
        strings = doc.vocab.strings
        norms, orths = doc.to_array(NORM).tolist(), doc.to_array(ORTH).tolist()
        words = _Words([strings[h] for h in norms], [strings[h] for h in orths])
        index = lexicon.cue_index_for(lexicon.languages_of(doc))
        cues = DocCues(index, norms, orths)
        for start in range(len(doc)):
            for end in range(start + 1, min(len(doc), start + 2) + 1):
                for label in labels:
                    got = cues.blocked(start, end, label) if cues.exact else None
                    if got is not None:
                        checked += 1
                        assert got == lexicon._blocked(index.cues, words, start, end, label), (
                            doc[start:end].text, doc.text, label)
    assert checked > 10_000


PATTERNS: list[list[dict[str, Any]]] = [
    [{"LOWER": "pay"}, {"OP": "{0,4}"}, {"NORM": {"IN": ["on", "by", "friday"]}}],
    [{"NORM": {"IN": ["will", "shall"]}}, {"NORM": "be", "OP": "?"},
     {"IS_PUNCT": False, "OP": "+"}],
    [{"TEXT": {"IN": ["STOP", "Stop", "stop"]}}, {"IS_PUNCT": True, "OP": "*"},
     {"IS_SPACE": True, "OP": "*"}],
    [{"ORTH": "we"}, {"OP": "{2}"}, {"LOWER": "the", "OP": "{1,}"}],
    [{"IS_PUNCT": False, "OP": "{,2}"}, {"LOWER": "invoice"}],
    [{"NORM": "not"}, {"OP": "*"}, {"NORM": {"IN": ["pay", "paid"]}}],
    # shapes, number flags and words a token must not be
    [{"LOWER": {"IN": ["pay", "paid", "sent"]}}, {"SHAPE": {"IN": ["d", "dd", "ddd", "d,ddd"]}}],
    [{"LIKE_NUM": True}, {"LOWER": {"NOT_IN": ["days", "units", "the"]}}],
    [{"IS_DIGIT": True}, {"IS_PUNCT": True, "OP": "?"}],
    [{"NORM": {"NOT_IN": ["the", "a", ",", "."]}}, {"LOWER": "invoice"}],
    # every token exactly one: one end at most
    [{"LOWER": "will"}, {"LOWER": "pay"}],
    [{"NORM": {"IN": ["we", "i"]}}, {"LOWER": "will", "IS_PUNCT": False}, {},
     {"LOWER": {"NOT_IN": ["not", "the"]}}],
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: str(p)[:60])
def test_compiled_token_patterns_match_spacy(
    tagger: Tagger, docs: list[Any], pattern: list[dict[str, Any]]
) -> None:
    vocab = tagger.nlp.vocab
    compiled = compile_pattern(pattern, vocab.strings.add)
    assert compiled is not None
    matcher = Matcher(vocab)
    matcher.add("p", [pattern])
    found = 0
    for doc in docs:
        attrs = [NORM, LOWER, ORTH, IS_PUNCT, IS_SPACE, SHAPE, LIKE_NUM, IS_DIGIT]
        columns = [a.tolist() for a in doc.to_array(attrs).T]
        for sent in doc.sents:
            expected = {(sent.start + s, sent.start + e) for _k, s, e in matcher(sent)}
            assert set(compiled.matches(columns, sent.start, sent.end)) == expected
            found += len(expected)
    assert found > 0


@pytest.mark.parametrize("pattern", [
    [{"LEMMA": "pay"}],
    [{"LOWER": {"REGEX": "^pay"}}],
    [{"LOWER": "pay", "OP": "!"}],
    [{"LOWER": {"NOT_IN": ["pay"], "IN": ["paid"]}}],
    [{"OP": "?"}],
])
def test_other_token_patterns_stay_with_spacy(
    tagger: Tagger, pattern: list[dict[str, Any]]
) -> None:
    assert compile_pattern(pattern, tagger.nlp.vocab.strings.add) is None


def test_token_pattern_search_finds_what_every_pattern_tried_everywhere_finds(
    tagger: Tagger, docs: list[Any]
) -> None:
    """`LexiconMatcher._token_matches` tries a pattern only where its first word is, when the
    word after that fits and the doc holds all its anchor words: it must find every match
    that trying each pattern the doc reads at every token of every sentence finds."""
    lexicon = tagger.nlp.get_pipe("commwatch_lexicon")
    compared = 0
    for doc in docs:
        norms, orths, _starts, lowers = token_columns(doc)
        languages = lexicon.languages_of(doc)
        got = sorted(lexicon._token_matches(doc, languages))
        table = lexicon._table(doc, norms, orths, lowers)
        skip = ENGLISH if languages else OTHER_LANGUAGE
        expected = []
        for tm in lexicon.token_matchers:
            if tm.reads == skip or (tm.language is not None and tm.language not in languages):
                continue
            for lo, hi in _sentence_bounds(doc):
                found = tm.fast.matches(table, lo, hi)
                expected += [(tm.key, start, end) for start, end in found]
        assert got == sorted(expected), doc.text
        compared += len(expected)
    assert compared > 100


def test_every_shipped_token_pattern_is_compiled(tagger: Tagger) -> None:
    """A shipped pattern left to spaCy's Matcher costs a quarter of tagging throughput
    (bench/README.md): every one must compile."""
    lexicon = next(tagger.nlp.get_pipe(name) for name in tagger.nlp.pipe_names
                   if "lexicon" in name)
    assert lexicon.token_matchers
    assert all(tm.fast is not None for tm in lexicon.token_matchers)


def test_a_house_pattern_beyond_the_compiled_subset_runs_on_spacys_matcher(
        tmp_path: Path) -> None:
    """spaCy's Matcher is kept only for the patterns `nlp.tokenpatterns` cannot compile; a
    house lexicon may hold one, and it must still match."""
    tagger = house_tagger(tmp_path, {"label": "dispute",
                                     "pattern": [{"LOWER": {"REGEX": "^overbill"}}],
                                     "id": "dispute.house_regex"})
    lexicon = next(tagger.nlp.get_pipe(name) for name in tagger.nlp.pipe_names
                   if "lexicon" in name)
    fallback = [tm for tm in lexicon.token_matchers if tm.fast is None]
    assert len(fallback) == 1 and fallback[0].matcher is not None
    assert all(tm.matcher is None for tm in lexicon.token_matchers if tm.fast is not None)
    result = tagger.tag_one("Your team overbilled us again on INV-4410, fix it.")
    assert any(e.rule == "lexicon:dispute.house_regex" for e in result.evidence)
