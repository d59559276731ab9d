"""The tagging job: stored messages without signals get tagged, in batches."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from commwatch.store import Message, Signal, session_scope, utcnow
from nlp.pipeline import Tagger


def tag_pending(engine: Engine, tagger: Tagger, batch_size: int = 256) -> dict[str, int]:
    """Tag every message not yet tagged; one transaction per batch. Returns counts."""
    tagged = signals = 0
    last_id = 0
    while True:
        with session_scope(engine) as session:
            batch = list(
                session.scalars(
                    select(Message)
                    .where(Message.tagged_version.is_(None), Message.id > last_id)  # type: ignore[union-attr,operator]
                    .order_by(Message.id)  # type: ignore[arg-type]
                    .limit(batch_size)
                )
            )
            if not batch:
                break
            last_id = batch[-1].id or last_id
            results = tagger.tag(
                [m.new_text for m in batch], [m.direction for m in batch], batch_size
            )
            ids = [m.id for m in batch]
            session.execute(delete(Signal).where(Signal.message_id.in_(ids)))  # type: ignore[attr-defined]
            now = utcnow()
            for message, result in zip(batch, results, strict=True):
                for label in result.labels:
                    spans = [e for e in result.evidence if e.label == label]
                    session.add(
                        Signal(
                            message_id=message.id or 0,
                            tag=label,
                            start=spans[0].start,
                            end=spans[0].end,
                            evidence_text=spans[0].text,
                            evidence=[{**e.as_json(), "rule": e.rule} for e in spans],
                            confidence=result.scores[label],
                            values=result.values.get(label, {}),
                            pipeline_version=result.version,
                            created_at=now,
                        )
                    )
                    signals += 1
                message.tagged_version = result.version
                session.add(message)
            tagged += len(batch)
    return {"tagged": tagged, "signals": signals}
