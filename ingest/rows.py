"""Many rows into one table on SQLite, as SQL text and plain tuples.

For a batch of hundreds of rows, SQLAlchemy's per-row work (a dict per row, each value
through the statement's bind processing) cost more than SQLite's own. Here the values go
through the same bind processors (the column types' own: JSON text, UTC datetimes), but
once per value in a tight loop, and the statement is written once per row count. The rows,
their ids and the stored values are the same as from `insert(table)` with dicts: SQLite
takes multi-row VALUES in order, as SQLAlchemy's "insertmanyvalues" writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlmodel import Session

# SQLite (3.32 on) takes up to 32766 bound values in one statement.
MAX_VALUES = 32766


class SqliteRows:
    """INSERT of `columns` (in this order) into `table`, optionally ON CONFLICT DO NOTHING
    on `conflict` and RETURNING `returning`. Columns not named must have no default: they
    are left NULL, as SQLAlchemy would leave them."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        dialect: Dialect,
        conflict: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> None:
        for column in table.c:
            if column.name not in columns and (
                column.default is not None or column.server_default is not None
            ) and not column.primary_key:
                raise ValueError(f"{table.name}.{column.name} has a default; name it")
        quote = dialect.identifier_preparer.quote
        # Table and column names come from the model, never from data; values are bound.
        self._head = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
            "VALUES "
        )
        self._tail = ""
        if conflict:
            self._tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
        if returning:
            self._tail += f" RETURNING {', '.join(quote(c) for c in returning)}"
        self._one = "(" + ", ".join("?" for _ in columns) + ")"
        self._sql: dict[int, str] = {}
        self.width = len(columns)
        self.per_statement = max(1, MAX_VALUES // self.width)
        self._processors: list[tuple[int, Callable[[Any], Any]]] = []
        for n, name in enumerate(columns):
            process = table.c[name].type._cached_bind_processor(dialect)
            if process is not None:
                self._processors.append((n, process))

    def processed(self, row: Sequence[Any]) -> list[Any]:
        """The row's values as the driver gets them."""
        values = list(row)
        for n, process in self._processors:
            values[n] = process(values[n])
        return values

    def _statement(self, count: int) -> str:
        sql = self._sql.get(count)
        if sql is None:
            sql = self._sql[count] = self._head + ", ".join([self._one] * count) + self._tail
        return sql

    def insert(self, session: Session, rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """Insert the rows, a multi-row statement at a time; the RETURNING rows, if any."""
        connection = session.connection()
        returned: list[Sequence[Any]] = []
        processed = self.processed
        for start in range(0, len(rows), self.per_statement):
            chunk = rows[start:start + self.per_statement]
            values = [v for row in chunk for v in processed(row)]
            result = connection.exec_driver_sql(self._statement(len(chunk)), tuple(values))
            if result.returns_rows:
                returned.extend(result.all())
        return returned
