"""The queue and decisions run the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import session_scope
from review import audit
from review.decisions import acknowledge, decide_message, decide_proposal
from review.queue import Filters, load_queue
from tests.review.seed import NOW, USERS, seed


def keys(engine: Engine, owner: str | None = None, **filters: object) -> list[str]:
    with Session(engine) as session:
        items, _ = load_queue(session, Filters(**filters), owner)  # type: ignore[arg-type]
    return [i.key for i in items]


def test_queue_and_decisions(engine: Engine) -> None:
    s = seed(engine)
    assert keys(engine)[:2] == [f"a:{s.maria_alert}", f"m:{s.payload}"]
    assert keys(engine, tag="hardship", kind="messages") == [f"m:{s.chat}"]
    assert set(keys(engine, USERS["other_collector"])) == {f"m:{s.promise}", f"a:{s.tom_alert}"}
    with session_scope(engine) as session:
        decide_message(session, "r", s.chat, "confirm_all", "", NOW)
        decide_message(session, "r", s.promise, "assign", "", NOW, person="Tom@x.example")
        acknowledge(session, "m", s.maria_alert, "", "on it", NOW)
        decide_proposal(session, "m", s.proposal, True, "", NOW)
    assert f"m:{s.chat}" not in keys(engine)
    assert keys(engine, state="closed") == [f"m:{s.chat}"]
    assert keys(engine, state="assigned") == [f"m:{s.promise}"]
    assert keys(engine, state="acknowledged") == [f"a:{s.maria_alert}"]
    with Session(engine) as session:
        verdict = audit.verify(session)
    assert verdict.ok and verdict.entries == 4
