"""NLP: tags messages with explainable signals. The rest of commwatch calls `tag`."""

from __future__ import annotations

from collections.abc import Sequence

from nlp.pipeline import ALL_TAGS, Evidence, LexiconError, Tagger, Tagging, default_tagger


def tag(texts: Sequence[str], directions: Sequence[str] | None = None) -> list[Tagging]:
    """Tag texts with the shipped pipeline."""
    return default_tagger().tag(texts, directions)


__all__ = ["ALL_TAGS", "Evidence", "LexiconError", "Tagger", "Tagging", "default_tagger", "tag"]
