"""The export folder every chat and transcript source watches: files are read once, only
when complete, and a changed file is read again without duplicates. Run over every chat
connector type, so a new one is covered when it is registered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ingest import CONNECTORS, build_connector, run_source
from ingest.chat.config import (
    ChatImportColumns,
    ChatImportSourceConfig,
    SlackExportSourceConfig,
    TeamsExportSourceConfig,
    TranscriptSourceConfig,
    WhatsAppSourceConfig,
)
from ingest.chat.folder import ExportConnector
from tests.factories import OWN
from tests.ingest.chatkit import FIXTURES, messages, quarantined, settle, zip_folder

# type -> (config for a folder, a fixture to drop, messages it holds)
SOURCES = {
    "slack_export": (lambda p: SlackExportSourceConfig(type="slack_export", path=p,
                                                       settle_seconds=30), "slack.zip", 9),
    "teams_export": (lambda p: TeamsExportSourceConfig(type="teams_export", path=p,
                                                       settle_seconds=30),
                     "teams/ar-channel-replies.json", 2),
    "whatsapp_export": (lambda p: WhatsAppSourceConfig(type="whatsapp_export", path=p,
                                                       settle_seconds=30),
                        "whatsapp/WhatsApp Chat with Dana Whitfield.txt", 3),
    "call_transcripts": (lambda p: TranscriptSourceConfig(type="call_transcripts", path=p,
                                                          settle_seconds=30),
                         "transcripts/2026-11-03 14-15 Pennine Plant Hire.vtt", 4),
    "chat_import": (lambda p: ChatImportSourceConfig(
        type="chat_import", path=p, settle_seconds=30,
        columns=ChatImportColumns(conversation="chat", sent_at="at", sender="author.id",
                                  text="message")),
                    "generic/portal-chat.jsonl", 3),
}


def test_every_registered_chat_type_is_covered() -> None:
    chat_types = {t for t, c in CONNECTORS.items() if issubclass(c, ExportConnector)}  # type: ignore[arg-type]
    assert chat_types == set(SOURCES)


def place(kind: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = SOURCES[kind][1]
    if name == "slack.zip":
        return zip_folder(FIXTURES / "slack", folder / "slack-export.zip")
    target = folder / Path(name).name
    shutil.copy(FIXTURES / name, target)
    return target


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_read_once_and_only_when_settled(engine: Engine, tmp_path: Path, kind: str) -> None:
    make, _name, count = SOURCES[kind]
    folder = tmp_path / "drop"
    path = place(kind, folder)  # just written: still "being copied"
    connector = build_connector("src", make(folder))
    report = run_source(engine, connector, OWN)
    assert (report.seen, report.stored) == (0, 0)
    assert any("still being written" in line for line in connector.check())
    settle(path, age=31)
    report = run_source(engine, build_connector("src", make(folder)), OWN)
    assert report.stored == count
    # Unchanged: not read again; touched but identical: recognised by its hash.
    assert run_source(engine, build_connector("src", make(folder)), OWN).seen == 0
    settle(path, age=40)
    assert run_source(engine, build_connector("src", make(folder)), OWN).seen == 0
    assert len(messages(engine)) == count


def test_a_half_copied_zip_waits_and_a_broken_one_is_held(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    whole = zip_folder(FIXTURES / "slack", tmp_path / "whole.zip")
    partial = folder / "slack-export.zip"
    partial.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # no central directory
    settle(partial, age=10)
    config = SlackExportSourceConfig(type="slack_export", path=folder, settle_seconds=5)
    report = run_source(engine, build_connector("src", config), OWN)
    assert (report.stored, report.quarantined) == (0, 0)  # settled, but no central directory
    settle(partial, age=120)  # still incomplete a minute later: a broken export
    report = run_source(engine, build_connector("src", config), OWN)
    assert report.quarantined == 1
    [held] = quarantined(engine)
    assert held.reason == ("slack-export.zip: not a complete ZIP archive (no central "
                           "directory); export it again")
    assert bytes(held.raw) == partial.read_bytes()
    # The complete file arrives under the same name: read as a new file.
    shutil.copy(whole, partial)
    settle(partial)
    assert run_source(engine, build_connector("src", config), OWN).stored == 9


def test_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    from ingest import SourceError

    config = WhatsAppSourceConfig(type="whatsapp_export", path=tmp_path / "nope")
    with pytest.raises(SourceError, match="no such folder or file"):
        build_connector("src", config).check()
