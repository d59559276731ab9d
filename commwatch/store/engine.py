"""Engine set-up, sessions, portable upserts and Alembic migrations."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, exc, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# SQLite has no decimal type; amounts round-trip through Numeric's string form, which is exact
# for the 4 decimal places we store. The warning says only that.
warnings.filterwarnings("ignore", message=r".*does \*not\* support Decimal objects natively")


class SchemaError(Exception):
    """The database is not at the schema this code expects."""


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A sweep reads the recent messages at random through their indexes: a 64 MB page cache
    # per connection (the default is 2 MB) and memory-mapped reads keep those pages between
    # sweeps (the monitor bench: warm sweep 2.9 s -> 2.4 s). Mapped pages are the OS's file
    # cache, counted in RSS but shared and reclaimable, not private memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def create_store_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite files get WAL mode, their folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_ignore(
    session: Session,
    model: type[SQLModel],
    values: Mapping[str, Any],
    conflict: list[str],
) -> int | None:
    """Insert one row unless its natural key exists; returns the new id, or None if it existed.

    Uses INSERT … ON CONFLICT DO NOTHING, so two processes inserting the same key at once
    cannot both succeed and neither fails.
    """
    stmt = _insert_ignore_statement(session.get_bind().dialect.name, model, tuple(conflict))
    row = session.execute(stmt, dict(values)).first()
    return None if row is None else int(row[0])


@lru_cache(maxsize=256)
def _insert_ignore_statement(dialect: str, model: type[SQLModel], conflict: tuple[str, ...]) -> Any:
    # Built once per table: the values travel as parameters, so the compiled form is reused.
    table = model.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table).on_conflict_do_nothing(index_elements=list(conflict)).returning(table.c.id)
    )


def _alembic_config(engine: Engine | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (Alembic)."""
    command.upgrade(_alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> str:
    """Migrate an empty database; refuse one at an older or unknown revision.

    Returns what was done: "created" or "current".
    """
    try:
        current = schema_revision(engine)
    except exc.OperationalError as error:
        raise SchemaError(f"cannot open the database: {error.orig}") from None
    head = head_revision()
    if current == head:
        return "current"
    if current is None:
        existing = set(inspect(engine).get_table_names())
        if existing - {"alembic_version"}:
            raise SchemaError(
                "the database has tables but no commwatch schema version; "
                "point [database] url at an empty database"
            )
        upgrade_schema(engine)
        return "created"
    raise SchemaError(
        f"the database schema is at revision {current}, this version expects {head}: "
        "run `commwatch db upgrade`"
    )
