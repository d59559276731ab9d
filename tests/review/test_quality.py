"""Reviewers' dispositions as quality figures and as labelled data for retraining."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import session_scope
from nlp.dataset import read_examples
from review.decisions import decide_message, decide_tag
from review.quality import labelled_examples, tag_quality
from tests.review.seed import NOW, Seeded

ClientAs = Callable[..., tuple[TestClient, str]]


def review(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as s:
        decide_tag(s, "r", seeded.dispute, "dispute", "confirmed", "", NOW)
        # A changed mind counts once, as the latest decision.
        decide_tag(s, "r", seeded.duplicate, "dispute", "confirmed", "", NOW)
        decide_tag(s, "r", seeded.duplicate, "dispute", "false_positive", "", NOW)
        decide_message(s, "r", seeded.promise, "confirm_all", "", NOW)
        decide_tag(s, "r", seeded.payload, "cease_contact", "confirmed", "", NOW)  # dispute open


def test_precision_per_tag(sqlite_engine: Engine, seeded: Seeded) -> None:
    review(sqlite_engine, seeded)
    with Session(sqlite_engine) as session:
        rows = {r.tag: r for r in tag_quality(session)}
    assert (rows["dispute"].reviewed, rows["dispute"].confirmed, rows["dispute"].precision) == (
        2, 1, 0.5)
    assert rows["dispute"].tagged == 3
    assert rows["promise_to_pay"].precision == 1.0
    assert rows["hardship"].reviewed == 0 and rows["hardship"].precision is None


def test_labelled_export_is_taxonomy_evaluation_input(
    sqlite_engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    review(sqlite_engine, seeded)
    with Session(sqlite_engine) as session:
        examples = {e["id"]: e for e in labelled_examples(session)}
    # The payload message still has an undecided tag: its labels would be incomplete.
    assert set(examples) == {f"message-{seeded.dispute}", f"message-{seeded.duplicate}",
                             f"message-{seeded.promise}"}
    assert examples[f"message-{seeded.dispute}"]["labels"] == ["dispute"]
    assert examples[f"message-{seeded.duplicate}"]["labels"] == []
    promise = examples[f"message-{seeded.promise}"]
    assert promise["promise"] == {"amount": 4500.0, "currency": "USD", "date": "2026-11-20"}
    assert promise["direction"] == "inbound" and promise["channel"] == "email"


def test_quality_page_and_download(client_as: ClientAs, sqlite_engine: Engine, seeded: Seeded,
                                   tmp_path: Path) -> None:
    review(sqlite_engine, seeded)
    client, _ = client_as("reviewer")
    page = client.get("/quality").text
    row = re.search(r'<tr data-tag="dispute">(.*?)</tr>', page, re.S)
    assert row and "50%" in row.group(1)
    download = client.get("/quality/labels.jsonl")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    path = tmp_path / "labels.jsonl"
    path.write_text(download.text)
    parsed = read_examples(path, require_labels=True)  # what `commwatch eval` reads
    assert len(parsed) == 3 and {tuple(e.labels or []) for e in parsed} == {
        ("dispute",), (), ("promise_to_pay",)}
    collector, _ = client_as("collector")
    assert collector.get("/quality/labels.jsonl").status_code == 403
