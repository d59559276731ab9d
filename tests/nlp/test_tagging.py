"""The rule-based tagging stage: lexicon evidence, negation, hypotheticals, stored signals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Message, Signal, session_scope
from nlp import LexiconError, Tagger, tag
from nlp.jobs import tag_pending
from nlp.pipeline import read_lexicon_folder


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("We were charged twice for INV-10023.", ["dispute"]),
        ("No, we have never received the goods.", ["dispute"]),
        ("We are not disputing the invoice, just confirming delivery.", []),
        ("If we had been charged twice we would complain.", []),
        ("We'll pay the balance on Friday.", ["promise_to_pay"]),
        ("We will not pay until the credit note is issued.", []),
        ("Could you send a copy of the invoice?", ["billing_query"]),
        ("Remittance advice attached, paid yesterday.", ["payment_confirmation"]),
        ("Our cash flow is tight; we are having cash-flow problems.", ["hardship"]),
        ("Please only contact us in writing.", ["cease_contact"]),
        ("Our lawyers will be in touch.", ["legal_escalation"]),
        ("I am out of the office until Monday.", ["auto_reply"]),
        ("Thanks, will revert.", []),
    ],
)
def test_inbound_tags(text: str, labels: list[str]) -> None:
    result = tag([text])[0]
    assert result.labels == labels
    for evidence in result.evidence:
        assert text[evidence.start : evidence.end] == evidence.text
        assert evidence.rule.startswith("lexicon:")
    assert all(result.scores[label] > 0.5 for label in labels)


def test_outbound_messages_only_get_compliance_flags() -> None:
    inbound, outbound = tag(["You idiots, we will pay Friday."] * 2, ["inbound", "outbound"])
    assert inbound.labels == ["promise_to_pay"]
    assert outbound.labels == ["abusive_language"]


def test_overlapping_matches_are_one_piece_of_evidence() -> None:
    result = tag(["We will pay on Friday."])[0]
    assert [(e.start, e.end) for e in result.evidence] == [(0, 11)]


def test_extra_lexicon_folder_extends_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "house.jsonl").write_text(
        '{"label": "dispute", "pattern": "not what we agreed", "id": "dispute.house"}\n'
    )
    tagger = Tagger([tmp_path])
    assert tagger.tag(["This price is not what we agreed."])[0].labels == ["dispute"]
    assert tagger.version != Tagger().version


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "house.jsonl:1: not valid JSON"),
        ('{"label": "disput", "pattern": "x"}', "house.jsonl:1: unknown label 'disput'"),
        ('{"pattern": "x"}', "house.jsonl:1: expected"),
    ],
)
def test_bad_lexicon_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    (tmp_path / "house.jsonl").write_text(line + "\n")
    with pytest.raises(LexiconError, match=problem):
        read_lexicon_folder(tmp_path)


def test_tag_pending_stores_signals_once(sqlite_engine: Engine) -> None:
    sent = datetime(2026, 11, 2, tzinfo=UTC)
    with session_scope(sqlite_engine) as session:
        for i, text in enumerate(["We were billed twice.", "Hello there", "We'll pay Friday."]):
            session.add(Message(natural_key=f"k{i}", source="s", channel="email",
                                direction="inbound", sent_at=sent, new_text=text,
                                body_text=text + "\n> We will pay now (quoted)"))
    tagger = Tagger()
    assert tag_pending(sqlite_engine, tagger) == {"tagged": 3, "signals": 2}
    assert tag_pending(sqlite_engine, tagger) == {"tagged": 0, "signals": 0}
    with Session(sqlite_engine) as session:
        signals = {s.tag: s for s in session.scalars(select(Signal))}
        assert set(signals) == {"dispute", "promise_to_pay"}
        dispute = signals["dispute"]
        assert (dispute.start, dispute.end, dispute.evidence_text) == (8, 20, "billed twice")
        assert dispute.pipeline_version == tagger.version
        assert dispute.evidence[0]["rule"] == "lexicon:dispute.duplicate"
        assert all(m.tagged_version == tagger.version for m in session.scalars(select(Message)))
