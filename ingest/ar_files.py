"""Reading one AR export: its format (CsvFormat), the header checked against the column
mapping, and rows whose cells parse or fail naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from ingest.ar_cells import parse_amount, parse_date, parse_flag
from ingest.config import ColumnMap, CustomerMasterConfig

MAX_PROBLEMS = 20


class CustomerFileError(Exception):
    """An AR file cannot be loaded; every problem names the file, line and column."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        super().__init__("; ".join(shown) + (f"; and {more} more" if more > 0 else ""))


@dataclass(frozen=True)
class CsvFormat:
    """How the cells of an export are written."""

    delimiter: str = ","
    encoding: str = "utf-8-sig"
    date_format: str | None = None
    decimal_comma: bool = False

    @classmethod
    def of(cls, config: CustomerMasterConfig) -> CsvFormat:
        return cls(config.delimiter, config.encoding, config.date_format, config.decimal_comma)


class _Bad(Exception):
    """One bad cell or row; collected, then reported with the others of its file."""


@dataclass
class _Sheet:
    path: Path
    columns: ColumnMap
    fmt: CsvFormat
    index: dict[str, int] = field(default_factory=dict)  # our field -> cell position
    width: int = 0

    def label(self, name: str) -> str:
        header = self.columns.header(name)
        return name if header == name else f'"{header}" ({name})'


class _Row:
    def __init__(self, sheet: _Sheet, line: int, cells: list[str]) -> None:
        self.sheet, self.line, self.cells = sheet, line, cells

    @property
    def where(self) -> str:
        return f"{self.sheet.path}:{self.line}"

    def has(self, name: str) -> bool:
        return name in self.sheet.index

    def raw(self, name: str) -> str:
        position = self.sheet.index.get(name)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def fail(self, name: str, message: str) -> NoReturn:
        raise _Bad(f"{self.where} {self.sheet.label(name)}: {message}")

    def _parse(self, name: str, parse: Callable[[str], Any], required: bool) -> Any:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "empty; a value is required")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(name, str(exc))

    def text(self, name: str, max_length: int, required: bool = False) -> str | None:
        value = self.raw(name)
        if not value and required:
            self.fail(name, "empty; a value is required")
        if len(value) > max_length:
            self.fail(name, f"{value[:40]!r}... is longer than {max_length} characters")
        return value or None

    def amount(self, name: str, required: bool = False) -> Decimal | None:
        comma = self.sheet.fmt.decimal_comma
        result: Decimal | None = self._parse(name, lambda v: parse_amount(v, comma), required)
        return result

    def day(self, name: str, required: bool = False) -> date | None:
        fmt = self.sheet.fmt.date_format
        result: date | None = self._parse(name, lambda v: parse_date(v, fmt), required)
        return result

    def whole(self, name: str) -> int | None:
        number = self.amount(name)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.fail(name, f"{self.raw(name)!r} is not a whole number")
        return int(number)

    def flag(self, name: str) -> bool:
        try:
            return parse_flag(self.raw(name))
        except ValueError as exc:
            self.fail(name, str(exc))

    def currency(self, name: str, default: str) -> str:
        value = self.raw(name).upper()
        if not value:
            return default
        if not re.fullmatch(r"[A-Z]{3}", value):
            self.fail(name, f"{self.raw(name)!r} is not a currency code (expected e.g. EUR)")
        return value


def _find(headers: list[str], wanted: str) -> list[int]:
    exact = [i for i, h in enumerate(headers) if h == wanted]
    if exact:
        return exact
    folded = wanted.casefold()
    return [i for i, h in enumerate(headers) if h.casefold() == folded]


def _read(
    path: Path, columns: ColumnMap, required: Iterable[str], fmt: CsvFormat
) -> tuple[_Sheet, list[_Row]]:
    """The rows of one export, its header checked against the mapping."""
    sheet = _Sheet(path, columns, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CustomerFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        content = data.decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CustomerFileError(
            f"{path}:{line}: not {fmt.encoding} text ({exc.reason}); set [customers] encoding"
        ) from None
    rows: list[_Row] = []
    problems: list[str] = []
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=fmt.delimiter, strict=True)
    try:
        headers = [h.strip().lstrip("\ufeff").strip() for h in next(reader, [])]
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                rows.append(_Row(sheet, start, cells))
    except csv.Error as exc:
        raise CustomerFileError(f"{path}:{reader.line_num}: {exc}") from None
    if not headers:
        raise CustomerFileError(f"{path}: empty file; expected a header row")
    mapped = {name for name in columns.fields() if getattr(columns, name) is not None}
    missing = []
    for name in columns.fields():
        found = _find(headers, columns.header(name))
        if len(found) > 1:
            problems.append(f"{path}: column {sheet.label(name)} appears {len(found)} times")
        elif found:
            sheet.index[name] = found[0]
        elif name in required or name in mapped:
            missing.append(sheet.label(name))
    if missing:
        problems.insert(0, f"{path}: missing column(s) {', '.join(missing)}")
    if problems:
        raise CustomerFileError(problems)
    sheet.width = len(headers)
    for row in rows:
        extra = [c for c in row.cells[sheet.width:] if c.strip()]
        if extra:
            problems.append(
                f"{row.where}: {len(row.cells)} values but {sheet.width} columns in the header"
            )
    if problems:
        raise CustomerFileError(problems)
    return sheet, rows
