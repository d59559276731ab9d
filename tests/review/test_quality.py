"""Reviewers' dispositions as quality figures and as labelled data for retraining."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import AuditEntry, session_scope
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


def test_reviewer_adds_a_missed_tag_with_its_words(
    client_as: ClientAs, sqlite_engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    client, csrf = client_as("reviewer")
    url = f"/messages/{seeded.dispute}"
    assert "Add a tag the tagger missed" in client.get(url).text
    response = client.post(f"{url}/missed", data={
        "csrf_token": csrf, "tag": "billing_query",
        "evidence": "please  send a corrected\ninvoice", "note": "asks for a new invoice"})
    assert response.status_code == 303, response.text
    page = client.get(url).text
    assert "added by a reviewer" in page
    # The words are highlighted in the text like the tagger's evidence.
    assert re.search(r'<mark[^>]*billing_query[^>]*>Please send a corrected invoice</mark>',
                     page), page
    with Session(sqlite_engine) as session:
        rows = {r.tag: r for r in tag_quality(session)}
        entry = session.scalars(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert rows["billing_query"].missed == 1 and rows["billing_query"].reviewed == 0
    assert entry is not None and entry.action == "disposition.missed"
    quality = client.get("/quality").text
    row = re.search(r'<tr data-tag="billing_query">(.*?)</tr>', quality, re.S)
    assert row and '<td class="missed">1</td>' in row.group(1)
    # Once the tagger's own tag is decided too, the message is labelled data with both.
    client.post(f"{url}/tags/dispute", data={"csrf_token": csrf, "disposition": "confirmed"})
    path = tmp_path / "labels.jsonl"
    path.write_text(client.get("/quality/labels.jsonl").text)
    labelled = {e.id: e.labels for e in read_examples(path, require_labels=True)}
    assert labelled[f"message-{seeded.dispute}"] == ["billing_query", "dispute"]
    # Withdrawn, it is no longer a label.
    response = client.post(f"{url}/missed/billing_query/withdraw", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert "added by a reviewer" not in client.get(url).text
    path.write_text(client.get("/quality/labels.jsonl").text)
    labelled = {e.id: e.labels for e in read_examples(path, require_labels=True)}
    assert labelled[f"message-{seeded.dispute}"] == ["dispute"]


@pytest.mark.parametrize(("tag", "evidence", "reason"), [
    ("dispute", "billed twice", "already has the 'dispute' tag"),
    ("billing_query", "a sentence nobody wrote", "are not in the message's new text"),
    ("billing_query", "   ", "quote the words"),
    ("pii_exposure", "billed twice", "not a tag for an inbound message"),
    ("made_up", "billed twice", "not a tag for an inbound message"),
])
def test_a_missed_tag_needs_a_new_tag_and_words_of_the_message(
    client_as: ClientAs, seeded: Seeded, tag: str, evidence: str, reason: str
) -> None:
    client, csrf = client_as("reviewer")
    response = client.post(f"/messages/{seeded.dispute}/missed",
                           data={"csrf_token": csrf, "tag": tag, "evidence": evidence})
    assert response.status_code == 400 and reason in html.unescape(response.text)


def test_collectors_cannot_add_tags(client_as: ClientAs, seeded: Seeded) -> None:
    client, csrf = client_as("collector")
    response = client.post(f"/messages/{seeded.dispute}/missed", data={
        "csrf_token": csrf, "tag": "billing_query", "evidence": "billed twice"})
    assert response.status_code in (403, 404)
    assert "Add a tag the tagger missed" not in client.get(f"/messages/{seeded.dispute}").text
