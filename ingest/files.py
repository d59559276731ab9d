"""Local mail sources: a Maildir read in place, a folder of .eml files, mbox files."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ingest.base import Batch, ParsedMessage, RawItem, SourceError
from ingest.config import EmlFolderSourceConfig, MaildirSourceConfig, MboxSourceConfig
from ingest.mime import parse_email

BATCH_SIZE = 200
SETTLE_SECONDS = 2.0


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
    read_ahead = True  # files are only read

    def parse(self, item: RawItem, data: bytes) -> ParsedMessage:
        return parse_email(data, received_at=item.received_at)

    def parse_job(self, item: RawItem, data: bytes) -> Callable[[], ParsedMessage]:
        """The parse as a picklable call, for a worker process."""
        return partial(parse_email, data, received_at=item.received_at)


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

    def check(self) -> list[str]:
        counts = {sub: _count_files(self.root / sub) for sub in ("new", "cur")}
        if not any((self.root / sub).is_dir() for sub in counts):
            raise SourceError(f"{self.root} is not a Maildir (no cur/ or new/ folder)")
        return [f"{self.root}: Maildir with {counts['new']} new and {counts['cur']} read messages"]


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0


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

    def check(self) -> list[str]:
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder")
        found = sum(1 for p in self.root.rglob(self.pattern) if p.is_file())
        return [f"{self.root}: {found} files matching {self.pattern!r}"]


_FROM_LINE = re.compile(rb"^From \S*.*$")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.M)


class MboxConnector(_EmailFiles):
    """mbox files read from the byte offset the last run reached (partition = file).

    Each message's key is its file, offset and a hash of its bytes, so an archive that is
    rewritten (not appended to) is re-read from the start and known messages are recognised
    by Message-ID. The last message of a file is read only once a newline ends the file.
    """

    def __init__(self, name: str, config: MboxSourceConfig) -> None:
        self.name = name
        self.root = config.path
        self.pattern = config.pattern

    def _paths(self) -> list[Path]:
        if self.root.is_file():
            return [self.root]
        if self.root.is_dir():
            return sorted(p for p in self.root.rglob(self.pattern) if p.is_file())
        raise SourceError(f"{self.root}: no such mbox file or folder")

    def check(self) -> list[str]:
        return [f"{p}: mbox, {p.stat().st_size} bytes" for p in self._paths()]

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        for path in self._paths():
            partition = str(path)
            cursor = cursors.get(partition, {})
            size = path.stat().st_size
            offset = int(cursor.get("offset", 0))
            if offset > size or cursor.get("head") != _head(path, offset):
                offset = 0  # the file was replaced or truncated: read it again from the start
            batch: list[RawItem] = []
            end = offset
            # A file written to in the last seconds may end in a half-written message.
            settled = time.time() - path.stat().st_mtime >= SETTLE_SECONDS
            for start, end, data in _split_mbox(path, offset, settled):
                digest = hashlib.sha256(data).hexdigest()[:16]
                batch.append(RawItem(
                    key=f"{path.name}:{start}:{digest}",
                    ref=f"{path}@{start}",
                    read=_constant(data),
                ))
                if len(batch) >= BATCH_SIZE:
                    yield Batch(partition, batch, {"offset": end, "head": _head(path, end)})
                    batch = []
            if batch or end != int(cursor.get("offset", -1)):
                yield Batch(partition, batch, {"offset": end, "head": _head(path, end)})


def _constant(data: bytes) -> Any:
    return lambda: data


def _head(path: Path, offset: int) -> str:
    """A fingerprint of the part already read (up to 1 KiB of it): a different file at the
    same path, or a rewritten one, is read again from the start."""
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(min(offset, 1024))).hexdigest()[:16]


def _split_mbox(
    path: Path, offset: int, include_last: bool
) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, message bytes) for each complete message after `offset`; the last one only
    when `include_last` (nothing is still writing the file)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        start = offset
        position = offset
        lines: list[bytes] = []
        for line in handle:
            # mboxo/mboxrd: a "From " line after a blank line (or first in the file) starts one.
            if _FROM_LINE.match(line) and (not lines or lines[-1].strip() == b""):
                if lines:
                    yield start, position, _unescape(lines)
                start, lines = position, [line]
            else:
                lines.append(line)
            position += len(line)
        if lines and include_last and lines[-1].endswith(b"\n"):
            yield start, position, _unescape(lines)


def _unescape(lines: list[bytes]) -> bytes:
    """Drop the From_ separator and undo mboxrd ">From " quoting."""
    body = b"".join(lines[1:]) if lines and lines[0].startswith(b"From ") else b"".join(lines)
    if body.endswith(b"\n\n"):
        body = body[:-1]  # the blank line that separates messages
    return _ESCAPED_FROM.sub(rb"\1", body)
