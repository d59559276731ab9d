"""Fixtures for the review UI: a seeded store, the app on it, signed-in clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from review.config import ReviewConfig
from review.web import create_app
from tests.review.seed import NOW, PASSWORD, USERS, Seeded, seed

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


def make_client(engine: Engine, **config: Any) -> TestClient:
    app = create_app(engine, ReviewConfig(**config), "http://testserver", clock=lambda: NOW)
    return TestClient(app, follow_redirects=False)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Signs in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(page.text), "next": "/queue"})
    assert response.status_code == 303 and response.headers["location"] == "/queue", response.text
    return csrf_of(client.get("/queue").text)


@pytest.fixture
def client_as(
    sqlite_engine: Engine, seeded: Seeded
) -> Iterator[Callable[..., tuple[TestClient, str]]]:
    clients: list[TestClient] = []

    def make(role: str, **config: object) -> tuple[TestClient, str]:
        client = make_client(sqlite_engine, **config)
        clients.append(client)
        return client, sign_in(client, USERS[role])

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def cli_config(tmp_path: Path, sqlite_engine: Engine) -> Path:
    """A config file for `commwatch` commands on `sqlite_engine`'s store."""
    db = sqlite_engine.url.database
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n[organisation]\nname = "H"\n'
                      'own_domains = ["halden-supply.example"]\n')
    return config
