"""Shared fixtures: stores on SQLite and on a throwaway PostgreSQL database, configs, factories."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

from commwatch.store import create_store_engine, ensure_schema

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
PG_ADMIN_URL = os.environ.get(
    "COMMWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin_conninfo() -> str:
    return make_url(PG_ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"commwatch_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_pg_admin_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is needed at {make_url(PG_ADMIN_URL).render_as_string()} "
            f"(set COMMWATCH_TEST_PG_URL): {exc}"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(_pg_admin_conninfo(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A migrated, empty store on each backend."""
    engine = create_store_engine(store_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """The shipped config.toml and demo/ in a private folder, so tests never touch var/."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copytree(DEMO, workdir / "demo", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "config.toml", workdir / "config.toml")
    return workdir
