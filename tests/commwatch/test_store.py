"""The store on SQLite and PostgreSQL: migrations from empty, round trips, upserts, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from commwatch.store import (
    Alert,
    Customer,
    Message,
    SchemaError,
    Signal,
    create_store_engine,
    ensure_schema,
    insert_ignore,
    schema_revision,
    session_scope,
)
from commwatch.store.engine import head_revision

EXPECTED_TABLES = {
    "customers", "contacts", "invoices", "payments", "threads", "messages", "signals",
    "promises", "disputes", "alerts", "deliveries", "reviews", "sync_state", "quarantine",
    "source_items", "job_runs", "credit_snapshots", "proposals", "followups", "alembic_version",
    "delivery_attempts", "channel_state", "silences", "users", "web_sessions", "audit_log",
    "review_cases", "alert_acks", "message_revisions",
}


def test_migrations_from_empty(store_url: str) -> None:
    engine = create_store_engine(store_url)
    assert schema_revision(engine) is None
    assert ensure_schema(engine) == "created"
    assert schema_revision(engine) == head_revision()
    assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    # The migrations create exactly what the models declare.
    assert set(SQLModel.metadata.tables) == EXPECTED_TABLES - {"alembic_version"}
    assert ensure_schema(engine) == "current"
    engine.dispose()


def test_sqlite_uses_wal(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_refuses_unversioned_database_with_tables(store_url: str) -> None:
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id integer)"))
    with pytest.raises(SchemaError, match="no commwatch schema version"):
        ensure_schema(engine)
    engine.dispose()


def test_refuses_database_at_another_revision(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaError, match="commwatch db upgrade"):
        ensure_schema(engine)


def test_round_trip_keeps_values_and_utc(engine: Engine) -> None:
    sent = datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(engine) as session:
        customer = Customer(
            external_id="C001", name="Brightline Builders", domains=["brightline.example"],
            credit_limit=Decimal("250000.50"), currency="USD", terms_days=45,
        )
        session.add(customer)
        session.flush()
        message = Message(
            natural_key="email:<a@b>", source="s", channel="email", direction="inbound",
            sender="ap@brightline.example", recipients=["ar@halden-supply.example"],
            sent_at=sent, subject="Ünïcode subject", body_text="body", new_text="new",
            references=["<x@y>"], attachments=[{"filename": "a.pdf", "size": 3}],
            customer_id=customer.id,
        )
        session.add(message)
        session.flush()
        session.add(Signal(message_id=message.id or 0, tag="dispute", start=0, end=3,
                           evidence=[{"start": 0, "end": 3}], confidence=0.9,
                           values={"reason": "price"}, pipeline_version="v1"))
    with Session(engine) as session:
        stored = session.scalars(select(Message)).one()
        assert stored.sent_at == sent
        assert stored.sent_at.tzinfo is not None and stored.sent_at.utcoffset() == timedelta(0)
        assert stored.sent_at.hour == 8  # 09:15 at +01:00 is 08:15 UTC
        assert stored.subject == "Ünïcode subject"
        assert stored.references == ["<x@y>"]
        assert stored.attachments == [{"filename": "a.pdf", "size": 3}]
        customer = session.scalars(select(Customer)).one()
        assert customer.credit_limit == Decimal("250000.50")
        assert customer.domains == ["brightline.example"]
        signal = session.scalars(select(Signal)).one()
        assert signal.values == {"reason": "price"}


def test_naive_datetime_is_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        with session_scope(engine) as session:
            session.add(Alert(rule="r", dedupe_key="k", severity="info", title="t",
                              created_at=datetime(2026, 1, 1)))


def test_insert_ignore_is_idempotent(engine: Engine) -> None:
    now = datetime.now(UTC)
    values = {"rule": "r", "dedupe_key": "r:1", "severity": "info", "state": "open",
              "title": "t", "summary": "", "details": {}, "created_at": now, "last_seen_at": now}
    with session_scope(engine) as session:
        first = insert_ignore(session, Alert, values, ["dedupe_key"])
        second = insert_ignore(session, Alert, {**values, "title": "other"}, ["dedupe_key"])
    assert first is not None and second is None
    with Session(engine) as session:
        assert [a.title for a in session.scalars(select(Alert))] == ["t"]


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    """`commwatch db upgrade` and the SQLModel tables agree: no table, column, index or
    constraint that one has and the other lacks."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    ensure_schema(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
