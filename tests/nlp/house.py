"""A tagger with a house lexicon folder of a few entries, as a user adds one; a data file
edited as a user edits it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nlp import Tagger


def house_tagger(tmp_path: Path, *entries: dict[str, Any], file: str = "extra.jsonl") -> Tagger:
    """A Tagger reading `entries` from `tmp_path/house/<file>` beside the shipped lexicons."""
    house = tmp_path / "house"
    house.mkdir()
    (house / file).write_text(
        "".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    return Tagger(extra_lexicons=[house])


def version_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                    edit: Callable[[dict[str, Any]], None]) -> bool:
    """Does editing the data file `nlp.pipeline.<name>` (`CUES`, `PLACES`, `DATE_WORDS`)
    change the pipeline version? Stored signals name the pipeline that made them, so
    `commwatch retag` must see the change."""
    import nlp.pipeline as pipeline

    nlp_ = pipeline.load_pipeline()
    before = pipeline.pipeline_version(nlp_, pipeline.MODEL_DIR)
    shipped: Path = getattr(pipeline, name)
    raw = json.loads(shipped.read_text(encoding="utf-8"))
    edit(raw)
    edited = tmp_path / shipped.name
    edited.write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(pipeline, name, edited)
    return pipeline.pipeline_version(nlp_, pipeline.MODEL_DIR) != before
