"""Chat source config: typed by `type`, local times default to the calendar's zone, and a
wrong key or value stops start-up naming its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from commwatch.config import ConfigError, parse_config

BASE = {"organisation": {"name": "Halden", "own_domains": ["halden-supply.example"]},
        "calendar": {"timezone": "Europe/London"}}


def test_timezone_defaults_to_the_calendar(tmp_path: Path) -> None:
    config = parse_config({**BASE, "sources": {
        "wa": {"type": "whatsapp_export", "path": "exports/wa", "agents": ["Maria Lopez"]},
        "calls": {"type": "call_transcripts", "path": "calls", "timezone": "America/Chicago"},
    }}, tmp_path / "config.toml")
    assert config.sources["wa"].timezone == "Europe/London"  # type: ignore[union-attr]
    assert config.sources["calls"].timezone == "America/Chicago"  # type: ignore[union-attr]
    assert config.sources["wa"].path == (tmp_path / "exports" / "wa").resolve()


@pytest.mark.parametrize(("source", "problem"), [
    ({"type": "whatsapp_export", "path": "x", "date_order": "dm"},
     "sources.wa.date_order: Input should be 'auto', 'dmy', 'mdy' or 'ymd'"),
    ({"type": "slack_export", "path": "x", "timezone": "Mars/Olympus"},
     "sources.wa.timezone: unknown time zone 'Mars/Olympus'; expected an IANA name"),
    ({"type": "chat_import", "path": "x", "columns": {"when": "ts"}},
     "sources.wa.columns.when: unknown key"),
    ({"type": "call_transcripts", "path": "x", "settle_seconds": -1},
     "sources.wa.settle_seconds: Input should be greater than or equal to 0"),
])
def test_bad_values_name_their_key(tmp_path: Path, source: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "sources": {"wa": source}}, tmp_path / "config.toml")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
