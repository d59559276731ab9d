"""A tagger with a house lexicon folder of a few entries, as a user adds one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nlp import Tagger


def house_tagger(tmp_path: Path, *entries: dict[str, Any], file: str = "extra.jsonl") -> Tagger:
    """A Tagger reading `entries` from `tmp_path/house/<file>` beside the shipped lexicons."""
    house = tmp_path / "house"
    house.mkdir()
    (house / file).write_text(
        "".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    return Tagger(extra_lexicons=[house])
