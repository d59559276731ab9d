"""Accounts of the review UI: sign-in lockout after repeated failures, and what admins do
from the command line (disable, enable, unlock, reset a password), each audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from typer.testing import CliRunner

from commwatch.cli import app
from commwatch.store import AuditEntry, WebSession, utcnow
from review.config import ReviewConfig
from review.web import SESSION_COOKIE, create_app
from tests.review.conftest import csrf_of, make_client, sign_in
from tests.review.seed import NOW, PASSWORD, USERS, Seeded


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def client_at(engine: Engine, clock: Callable[[], datetime], **config: Any) -> TestClient:
    return TestClient(create_app(engine, ReviewConfig(**config), "http://testserver",
                                 clock=clock), follow_redirects=False)


def attempt(client: TestClient, email: str, password: str) -> str:
    """Posts the login form; returns where the answer redirects to."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(page.text), "next": "/queue"})
    assert response.status_code == 303
    return str(response.headers["location"])


def audited(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(e.action, e.target_id)
                for e in session.scalars(select(AuditEntry).order_by(col(AuditEntry.id)))]


def test_repeated_failures_lock_the_address_until_the_window_passes(
    seeded: Seeded, sqlite_engine: Engine
) -> None:
    clock = Clock(NOW)
    client = client_at(sqlite_engine, clock, login_max_failures=3, login_lockout_minutes=10)
    email = USERS["reviewer"]
    for minute in range(3):
        clock.now = NOW + timedelta(minutes=minute)
        assert "failed=1" in attempt(client, email, "not the password")
    # Locked: even the right password is refused, without being checked.
    clock.now = NOW + timedelta(minutes=3)
    where = attempt(client, email, PASSWORD)
    assert "locked=7" in where and SESSION_COOKIE not in client.cookies
    page = client.get(where)
    assert "Too many failed sign-ins" in page.text and "7 minutes" in page.text
    assert audited(sqlite_engine)[-1] == ("login.throttled", email)
    # Ten minutes after the first failure one failure has aged out: one more try is allowed.
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    assert attempt(client, email, PASSWORD) == "/queue"
    assert SESSION_COOKIE in client.cookies


def test_a_successful_sign_in_starts_a_fresh_count(seeded: Seeded, sqlite_engine: Engine) -> None:
    clock = Clock(NOW)
    client = client_at(sqlite_engine, clock, login_max_failures=3)
    email = USERS["admin"]
    for _ in range(2):
        attempt(client, email, "typo")
    clock.now += timedelta(seconds=1)
    assert attempt(client, email, PASSWORD) == "/queue"
    for _ in range(2):
        clock.now += timedelta(seconds=1)
        assert "failed=1" in attempt(client, email, "typo")
    clock.now += timedelta(seconds=1)
    assert attempt(client, email, PASSWORD) == "/queue"


def test_unknown_addresses_lock_alike_and_other_users_are_unaffected(
    seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = client_at(sqlite_engine, Clock(NOW), login_max_failures=2)
    for _ in range(2):
        assert "failed=1" in attempt(client, "nobody@halden-supply.example", "guess one")
    # The same answer as for a real account: a lockout does not tell which users exist.
    assert "locked=" in attempt(client, "nobody@halden-supply.example", "guess two")
    assert attempt(client, USERS["reviewer"], PASSWORD) == "/queue"


def test_a_very_long_address_is_recorded_cut_to_the_audit_column(
    seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = make_client(sqlite_engine)
    email = "a" * 200 + "@halden-supply.example"
    assert "failed=1" in attempt(client, email, "whatever")
    action, target = audited(sqlite_engine)[-1]
    assert action == "login.failed" and target == email[:64]


def cli(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", str(config), "users", *args], input=stdin)
    return result.exit_code, result.output


def test_admin_unlocks_an_address_from_the_command_line(
    seeded: Seeded, sqlite_engine: Engine, cli_config: Path
) -> None:
    # Real time here: the command line records when it unlocked by the wall clock.
    client = client_at(sqlite_engine, utcnow, login_max_failures=2)
    email = USERS["collector"]
    for _ in range(2):
        attempt(client, email, "wrong")
    assert "locked=" in attempt(client, email, PASSWORD)
    code, output = cli(cli_config, "unlock", email.upper())
    assert code == 0 and "unlocked" in output
    assert audited(sqlite_engine)[-1] == ("login.unlocked", email)
    assert attempt(client, email, PASSWORD) == "/queue"
    code, output = cli(cli_config, "unlock", "nobody@halden-supply.example")
    assert code == 2 and "no user nobody@halden-supply.example" in output


def test_disabling_a_user_ends_their_sessions_and_enabling_lets_them_back(
    seeded: Seeded, sqlite_engine: Engine, cli_config: Path
) -> None:
    email = USERS["reviewer"]
    client = client_at(sqlite_engine, utcnow)
    sign_in(client, email)
    assert client.get("/queue").status_code == 200
    code, output = cli(cli_config, "disable", email)
    assert code == 0 and "sessions ended" in output
    assert client.get("/queue").status_code == 303  # back to the login page
    with Session(sqlite_engine) as session:
        assert session.scalars(select(WebSession)).all() == []
    assert "failed=1" in attempt(client, email, PASSWORD)
    assert cli(cli_config, "enable", email)[0] == 0
    assert attempt(client, email, PASSWORD) == "/queue"
    assert [a for a, _ in audited(sqlite_engine) if a.startswith("user.")] == [
        "user.disabled", "user.enabled"]


def test_resetting_a_password_ends_sessions_and_lifts_a_lockout(
    seeded: Seeded, sqlite_engine: Engine, cli_config: Path
) -> None:
    email = USERS["admin"]
    other = client_at(sqlite_engine, utcnow)
    sign_in(other, email)
    client = client_at(sqlite_engine, utcnow, login_max_failures=2)
    for _ in range(2):
        attempt(client, email, "wrong")
    code, output = cli(cli_config, "set-password", email, "--password-stdin",
                       stdin="a brand new passphrase\n")
    assert code == 0 and "a brand new passphrase" not in output
    assert other.get("/queue").status_code == 303  # the old session is gone
    assert "failed=1" in attempt(client, email, PASSWORD)  # the old password no longer works
    assert attempt(client, email, "a brand new passphrase") == "/queue"
    code, output = cli(cli_config, "set-password", email, "--password-stdin", stdin="short\n")
    assert code == 2 and "at least" in output
    with Session(sqlite_engine) as session:
        details = [e.details for e in session.scalars(select(AuditEntry))]
    assert not any("brand new" in d for d in details)
