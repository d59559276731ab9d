"""NLP: tags messages with explainable signals. The rest of commwatch calls `tag`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from nlp.labels import ALL_TAGS
from nlp.lexicon import LexiconError
from nlp.pipeline import ModelError, Tagger, Tagging, default_tagger
from nlp.signals import Evidence


def tag(
    texts: Sequence[str],
    directions: Sequence[str | None] | None = None,
    sent_ats: Sequence[datetime | None] | None = None,
) -> list[Tagging]:
    """Tag texts with the shipped pipeline."""
    return default_tagger().tag(texts, directions, sent_ats)


__all__ = [
    "ALL_TAGS", "Evidence", "LexiconError", "ModelError", "Tagger", "Tagging", "default_tagger",
    "tag",
]
