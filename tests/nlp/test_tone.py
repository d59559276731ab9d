"""Tone must be TextBlob's polarity: checked against TextBlob itself, on the corpus and by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from nlp.tone import ToneLexicon, doc_polarity, textblob_polarity, tone_of

CORPUS = Path(__file__).resolve().parents[2] / "nlp" / "data" / "corpus"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.blank("en")


@pytest.fixture(scope="module")
def lexicon(nlp: Language) -> ToneLexicon:
    return ToneLexicon(nlp.vocab.strings)


def _corpus_sample() -> list[str]:
    texts = []
    for split in ("train", "dev"):
        lines = (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        texts += [json.loads(line)["text"] for line in lines[::3]]
    return texts


def test_corpus_sample_matches_textblob(nlp: Language, lexicon: ToneLexicon) -> None:
    texts = _corpus_sample()
    differ = [
        (text[:80], ours, theirs)
        for text, doc in zip(texts, nlp.pipe(texts), strict=True)
        if abs((ours := doc_polarity(doc, lexicon)) - (theirs := textblob_polarity(text))) > 1e-12
    ]
    assert len(texts) > 900
    assert differ == []
    # Quoted replies ("wrote:" then "> …") take the whole-text path; make sure some were here.
    assert sum("wrote:\n>" in t for t in texts) > 20


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("good", 0.7),
        ("not good", -0.35),  # negation: -0.5 x
        ("very good", 0.91),  # modifier: x intensity 1.3
        ("very good!", 1.0),  # "!" x 1.25, capped at 1
        ("not very good", -0.26923),  # negated modifier: intensity inverted
        ("not a good idea", -0.35),  # negation survives a one-letter word
        ("not that good", 0.7),  # but not a longer one
        ("really not good", -0.35),
        ("terrible!!", -1.0),
        ("This is absolutely terrible, you are useless.", -0.75),
        ("isn't good", 0.7),  # pattern splits "n't" apart, so TextBlob misses this negation
        ("Thanks :)", 0.35),
        ("Thanks!\n\nBest", 0.625),
        ("-----Original Message-----", 0.375),  # dashes stripped: "original" is scored
        ("wrote:\n> hello", 0.5),  # ":" and ">" are glued into the smiley ":>"
        ("Date: 3 Nov", 0.5),  # ":3"
        ("( ! ) fine", 0.20833),  # irony mark "(!)" scores 0 and counts in the average
        ("Please pay invoice INV-10023 by Friday.", 0.0),
        ("", 0.0),
    ],
)
def test_hand_cases(nlp: Language, lexicon: ToneLexicon, text: str, polarity: float) -> None:
    ours = doc_polarity(nlp(text), lexicon)
    assert ours == textblob_polarity(text)
    assert ours == pytest.approx(polarity, abs=1e-5)


def test_tone_of_shares_one_lexicon_and_takes_spans(nlp: Language) -> None:
    doc = nlp("Not good at all. Very good!")
    assert tone_of(doc) == textblob_polarity(doc.text)
    assert tone_of(doc[:4]) == textblob_polarity("Not good at all.")
    other = spacy.blank("en")
    assert tone_of(other(doc.text)) == tone_of(doc)


def test_component_sets_doc_tone() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("commwatch_tone")
    doc = nlp("You are useless, this is terrible.")
    assert doc._.tone == textblob_polarity(doc.text) < 0


def test_inert_chunks_skipped_only_when_nothing_is_pending(lexicon: ToneLexicon) -> None:
    """`polarity` skips chunks of inert words; word by word (`score`) and TextBlob agree on
    texts built to put negations, modifiers, "!" and faces right before and after them."""
    import random

    rng = random.Random(3)
    vocabulary = ["not", "never", "very", "really", "good", "bad", "invoice", "a", "I", "!",
                  "(!)", ":)", ":-(", "pay,", "Friday.", "INV-10023", "that", "no", "quite",
                  "terrible!!", "ok", "'", "won't", "isn't", "xx", "the", "-----"]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12)))
             for _ in range(400)]
    for text in texts:
        words = lexicon.words(text)
        assert lexicon.polarity(text) == lexicon.score(words) == textblob_polarity(text), text
