"""An empty text (a chat message that is only a photo) in a batch is tagged, not a crash."""

from __future__ import annotations

from nlp.pipeline import default_tagger


def test_empty_text_in_a_batch() -> None:
    texts = ["We were charged twice for INV-10023.", "", "Thanks, noted."]
    results = default_tagger().tag(texts, ["inbound"] * 3, [None] * 3, channels=["chat"] * 3)
    assert [r.labels for r in results] == [["dispute"], [], []]
