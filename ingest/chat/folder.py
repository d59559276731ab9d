"""Export folders: which dropped files are complete and not yet read, their cursors, and
the connector shell every chat and transcript reader plugs into.

A file is one unit (a Slack export ZIP or unpacked folder, a WhatsApp chat, a transcript).
Its cursor (partition = its path in the folder) holds its SHA-256, size, modification time
and how many records were handed over; a file whose size and time are unchanged is not even
hashed again, and one whose hash is unchanged is not read again. A file is read only once it
has settled (unchanged for `settle_seconds`), and a ZIP only once its central directory is
readable, so a half-copied export waits for the next run instead of being half read.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.base import BadRecord, Batch, ParsedMessage, RawItem, SourceError
from ingest.chat.config import ChatSourceBase
from ingest.chat.records import (
    ChatRecord,
    People,
    Rejected,
    RejectedItem,
    message_from_envelope,
    short_hash,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 500


class ExportError(Exception):
    """A whole file cannot be read (not JSON, not a ZIP…); it is quarantined as one item."""


@dataclass(frozen=True)
class ExportFile:
    """One dropped export: a file, or an unpacked export folder."""

    path: Path
    partition: str
    is_dir: bool
    size: int
    mtime_ns: int

    @property
    def label(self) -> str:
        return self.partition

    def members(self) -> list[Path]:
        return sorted(p for p in self.path.rglob("*") if p.is_file()) if self.is_dir else []

    def digest(self) -> str:
        sha = hashlib.sha256()
        if self.is_dir:
            for member in self.members():
                sha.update(member.relative_to(self.path).as_posix().encode() + b"\0")
                sha.update(hashlib.sha256(member.read_bytes()).digest())
        else:
            with self.path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    sha.update(block)
        return sha.hexdigest()

    def read_bytes(self) -> bytes:
        return b"" if self.is_dir else self.path.read_bytes()


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _stat(path: Path, is_dir: bool) -> tuple[int, int]:
    if not is_dir:
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    size, newest = 0, path.stat().st_mtime_ns
    for member in path.rglob("*"):
        st = member.stat()
        newest = max(newest, st.st_mtime_ns)
        if member.is_file():
            size += st.st_size
    return size, newest


def zip_complete(path: Path) -> bool:
    """Whether the ZIP's central directory (written last) can be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
    return True


class ExportConnector(ABC):
    """The shell of every export-folder connector; a subclass says which files it takes
    (`suffixes`, `is_export_dir`) and reads one into records (`read`)."""

    channel = "chat"
    suffixes: tuple[str, ...] = ()
    # Appendable line formats resume after the bytes already read when a file only grew.
    appendable = False

    def __init__(self, name: str, config: ChatSourceBase) -> None:
        self.name = name
        self.config = config
        self.root = config.path
        self.zone = config.zone
        self.people = People.of(config.agents, config.customers)
        self.clock: Callable[[], float] = time.time

    # --- what a reader implements ---------------------------------------------------
    def is_export_dir(self, path: Path) -> bool:
        return False

    @abstractmethod
    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        """The records of one export file, from byte `start` (appendable formats)."""

    # --- the connector contract -----------------------------------------------------
    def exports(self) -> list[ExportFile]:
        root = self.root
        if root.is_file():
            return [self._export(root, root.name, False)]
        if not root.is_dir():
            raise SourceError(f"{root}: no such folder or file")
        if self.is_export_dir(root):
            return [self._export(root, ".", True)]
        found: list[ExportFile] = []
        self._walk(root, found)
        return sorted(found, key=lambda e: e.partition)

    def _walk(self, folder: Path, found: list[ExportFile]) -> None:
        for path in sorted(folder.iterdir()):
            if path.name.startswith((".", "~")):
                continue  # hidden and temporary files, e.g. a copy in progress
            rel = path.relative_to(self.root).as_posix()
            if path.is_dir():
                if self.is_export_dir(path):
                    found.append(self._export(path, rel, True))
                else:
                    self._walk(path, found)
            elif path.suffix.lower() in self.suffixes:
                found.append(self._export(path, rel, False))

    def _export(self, path: Path, partition: str, is_dir: bool) -> ExportFile:
        size, mtime_ns = _stat(path, is_dir)
        return ExportFile(path, partition, is_dir, size, mtime_ns)

    def ready(self, export: ExportFile) -> bool:
        """Settled for `settle_seconds`, and for a ZIP a readable central directory."""
        if self.clock() - export.mtime_ns / 1e9 < self.config.settle_seconds:
            return False
        return export.is_dir or export.path.suffix.lower() != ".zip" or zip_complete(export.path)

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        for export in self.exports():
            cursor = cursors.get(export.partition, {})
            done = bool(cursor.get("complete"))
            if done and (cursor.get("size"), cursor.get("mtime_ns")) == (
                export.size, export.mtime_ns
            ):
                continue
            if not self.ready(export):
                if export.path.suffix.lower() == ".zip" and not export.is_dir and (
                    self.clock() - export.mtime_ns / 1e9 >= max(self.config.settle_seconds, 60)
                ):
                    # Settled for a minute and still no central directory: a broken archive.
                    yield self._broken(export, "not a complete ZIP archive (no central "
                                       "directory); export it again")
                else:
                    log.info("%s: %s is still being written; read next run",
                             self.name, export.label)
                continue
            digest = export.digest()
            state: dict[str, Any] = {"sha256": digest, "size": export.size,
                                     "mtime_ns": export.mtime_ns}
            if done and cursor.get("sha256") == digest:
                yield Batch(export.partition, [], {**cursor, **state})
                continue
            start = 0
            if self.appendable and done and export.size > int(cursor.get("size", 0)):
                if _head_digest(export.path, int(cursor["size"])) == cursor.get("sha256"):
                    start = int(cursor["size"])  # the file only grew: read what was added
            yield from self._batches(export, state, start)

    def _batches(self, export: ExportFile, state: dict[str, Any], start: int) -> Iterator[Batch]:
        batch: list[RawItem] = []
        count = 0
        try:
            for entry in self.read(export, start):
                batch.append(self._item(entry))
                count += 1
                if len(batch) >= BATCH_SIZE:
                    yield Batch(export.partition, batch,
                                {**state, "complete": False, "records": count})
                    batch = []
        except ExportError as exc:
            batch.append(self._rejected_file(export, state["sha256"], str(exc)))
        yield Batch(export.partition, batch, {**state, "complete": True, "records": count})

    def _broken(self, export: ExportFile, reason: str) -> Batch:
        digest = export.digest()
        state = {"sha256": digest, "size": export.size, "mtime_ns": export.mtime_ns,
                 "complete": True, "records": 0}
        return Batch(export.partition, [self._rejected_file(export, digest, reason)], state)

    def _rejected_file(self, export: ExportFile, digest: str, reason: str) -> RawItem:
        return RejectedItem(
            key=f"file:{digest[:32]}", ref=str(export.path),
            read=export.read_bytes, reason=f"{export.label}: {reason}",
        )

    def _item(self, entry: ChatRecord | Rejected) -> RawItem:
        if isinstance(entry, Rejected):
            return RejectedItem(key=entry.key, ref=entry.position, read=_constant(entry.raw),
                                reason=f"{entry.position}: {entry.reason}")
        return RawItem(key=entry.item_key, ref=entry.position,
                       read=_constant(entry.envelope()))

    def parse(self, item: RawItem, data: bytes) -> ParsedMessage:
        if isinstance(item, RejectedItem):
            raise BadRecord(item.reason)
        return message_from_envelope(data)

    def check(self) -> list[str]:
        exports = self.exports()
        lines = [f"{self.root}: {len(exports)} export file(s)"]
        for export in exports:
            state = "ready" if self.ready(export) else "still being written"
            lines.append(f"{export.label}: {export.size} bytes, {state}")
        return lines


def _head_digest(path: Path, size: int) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        remaining = size
        while remaining > 0:
            block = handle.read(min(remaining, 1 << 20))
            if not block:
                break
            sha.update(block)
            remaining -= len(block)
    return sha.hexdigest()


def rejected(scope: str, position: str, reason: str, raw: bytes) -> Rejected:
    """A rejected line keyed by its content within its conversation, so a re-export holding
    the same bad line does not quarantine it twice."""
    return Rejected(f"bad:{short_hash(scope, raw, length=24)}", position, reason, raw)
