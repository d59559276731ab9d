"""What reviewers' dispositions say about the tagger: per-tag precision, and the reviewed
messages as labelled data (the TAXONOMY evaluation input format) for retraining."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import Message, Review, Signal
from nlp.jobs import local_sent_at
from review.decisions import LABEL_DECISIONS, MISSED


@dataclass(frozen=True)
class TagQuality:
    tag: str
    reviewed: int
    confirmed: int
    false_positive: int
    tagged: int  # messages carrying the tag now, reviewed or not
    missed: int = 0  # messages reviewers added the tag to: the tagger's misses they found

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.reviewed if self.reviewed else None

    @property
    def coverage(self) -> float | None:
        return self.reviewed / self.tagged if self.tagged else None


def _latest(session: Session) -> dict[tuple[int, str], str]:
    """The latest decision per (message, tag): a changed mind counts once."""
    latest: dict[tuple[int, str], str] = {}
    rows = session.execute(
        select(col(Review.target_id), col(Review.tag), col(Review.disposition))
        .where(col(Review.target_type) == "message", col(Review.tag).is_not(None),
               col(Review.disposition).in_(LABEL_DECISIONS))
        .order_by(col(Review.id))
    )
    for message_id, tag, disposition in rows:
        latest[(message_id, tag)] = disposition
    return latest


def tag_quality(session: Session) -> list[TagQuality]:
    """How often reviewers confirmed each tag, over the messages they reviewed."""
    tagged: dict[str, int] = {}
    for (tag,) in session.execute(select(col(Signal.tag))):
        tagged[tag] = tagged.get(tag, 0) + 1
    counts: dict[str, dict[str, int]] = {}
    for (_, tag), disposition in _latest(session).items():
        c = counts.setdefault(tag, {})
        c[disposition] = c.get(disposition, 0) + 1
    rows = []
    for tag in sorted(set(tagged) | set(counts)):
        c = counts.get(tag, {})
        confirmed, rejected = c.get("confirmed", 0), c.get("false_positive", 0)
        rows.append(TagQuality(tag, confirmed + rejected, confirmed, rejected,
                               tagged.get(tag, 0), c.get(MISSED, 0)))
    return rows


def labelled_examples(session: Session) -> Iterator[dict[str, object]]:
    """Messages whose every current tag has a reviewer's decision, one TAXONOMY evaluation
    input object each: the labels are the confirmed tags and those reviewers added as
    missed (none when all were rejected)."""
    latest = _latest(session)
    by_message: dict[int, dict[str, str]] = {}
    for (message_id, tag), disposition in latest.items():
        by_message.setdefault(message_id, {})[tag] = disposition
    if not by_message:
        return
    signals: dict[int, dict[str, Signal]] = {}
    for s in session.scalars(select(Signal).where(col(Signal.message_id).in_(list(by_message)))):
        signals.setdefault(s.message_id, {})[s.tag] = s
    for message in session.scalars(
        select(Message).where(col(Message.id).in_(list(by_message))).order_by(col(Message.id))
    ):
        assert message.id is not None
        decided, current = by_message[message.id], signals.get(message.id, {})
        if not set(current) <= set(decided):
            continue  # a tag nobody looked at yet: the labels would be incomplete
        labels = sorted(t for t, d in decided.items() if d in ("confirmed", MISSED))
        sent = local_sent_at(message)
        example: dict[str, object] = {
            "id": f"message-{message.id}", "text": message.new_text,
            "sent_at": sent.isoformat() if sent else None, "channel": message.channel,
            "direction": message.direction, "labels": labels,
        }
        promise = current.get("promise_to_pay")
        if "promise_to_pay" in labels and promise is not None:
            values = {k: promise.values.get(k) for k in ("amount", "currency", "date")}
            if any(v is not None for v in values.values()):
                example["promise"] = values
        yield example


def labelled_jsonl(session: Session) -> Iterator[str]:
    for example in labelled_examples(session):
        yield json.dumps(example, ensure_ascii=False) + "\n"
