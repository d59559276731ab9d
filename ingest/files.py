"""Local mail sources: a Maildir read in place, and a folder of .eml files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.base import Batch, ParsedMessage, RawItem, SourceError
from ingest.config import EmlFolderSourceConfig, MaildirSourceConfig
from ingest.mime import parse_email

BATCH_SIZE = 200


def _item(path: Path, key: str) -> RawItem:
    stat = path.stat()
    return RawItem(
        key=key,
        ref=str(path),
        read=path.read_bytes,
        received_at=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def _batches(items: Iterator[RawItem], partition: str) -> Iterator[Batch]:
    batch: list[RawItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            yield Batch(partition, batch, {"last_key": batch[-1].key})
            batch = []
    if batch:
        yield Batch(partition, batch, {"last_key": batch[-1].key})


class _EmailFiles:
    channel = "email"
    name: str

    def parse(self, item: RawItem, data: bytes) -> ParsedMessage:
        return parse_email(data, received_at=item.received_at)


class MaildirConnector(_EmailFiles):
    """Reads new/ and cur/; the key is the unique part of the file name, so a message moved
    from new/ to cur/ (or re-flagged) by a mail client is still the same item."""

    def __init__(self, name: str, config: MaildirSourceConfig) -> None:
        self.name = name
        self.root = config.path

    def _files(self) -> Iterator[RawItem]:
        if not (self.root / "cur").is_dir() and not (self.root / "new").is_dir():
            raise SourceError(f"{self.root} is not a Maildir (no cur/ or new/ folder)")
        entries: list[tuple[str, Path]] = []
        for sub in ("new", "cur"):
            folder = self.root / sub
            if folder.is_dir():
                for path in folder.iterdir():
                    if path.is_file() and not path.name.startswith("."):
                        entries.append((path.name.split(":", 1)[0], path))
        for key, path in sorted(entries):
            yield _item(path, key)

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        yield from _batches(self._files(), "")


class EmlFolderConnector(_EmailFiles):
    """Every file matching the pattern under a folder; the key is the relative path."""

    def __init__(self, name: str, config: EmlFolderSourceConfig) -> None:
        self.name = name
        self.root = config.path
        self.pattern = config.pattern

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder")
        paths = sorted(p for p in self.root.rglob(self.pattern) if p.is_file())
        yield from _batches(
            (_item(p, p.relative_to(self.root).as_posix()) for p in paths), ""
        )
