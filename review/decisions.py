"""What reviewers and collectors decide: dispositions of flagged messages, alert
acknowledgements and credit decisions. Each is stored and written to the audit log in one
transaction, so there is no decision without its audit entry and no entry without it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import Alert, AlertAck, Message, Proposal, Review, ReviewCase, Signal
from review import audit

TAG_DISPOSITIONS = ("confirmed", "false_positive")
# A tag the tagger should have given but did not, added by a reviewer with the words that
# show it; "withdrawn" takes such an addition back. Both feed recall figures and labels.
MISSED, WITHDRAWN = "missed", "withdrawn"
LABEL_DECISIONS = (*TAG_DISPOSITIONS, MISSED, WITHDRAWN)
VERDICTS = ("compliant", "non_compliant", "questionable")
MESSAGE_ACTIONS = ("confirm_all", "false_positive_all", *VERDICTS, "escalate", "assign", "note")
CASE_STATES = ("new", "assigned", "escalated", "closed")


class DecisionError(Exception):
    """The decision cannot be recorded as asked; the message says why."""


def _case(session: Session, message_id: int, actor: str, now: datetime) -> ReviewCase:
    case = session.scalars(
        select(ReviewCase).where(col(ReviewCase.message_id) == message_id).with_for_update()
    ).first()
    if case is None:
        case = ReviewCase(message_id=message_id, updated_by=actor, updated_at=now)
    return case


def tag_decisions(session: Session, message_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The latest confirm / false positive / missed / withdrawn per message and tag."""
    ids = list(message_ids)
    found: dict[int, dict[str, str]] = {}
    if not ids:
        return found
    rows = session.execute(
        select(col(Review.target_id), col(Review.tag), col(Review.disposition))
        .where(col(Review.target_type) == "message", col(Review.target_id).in_(ids),
               col(Review.tag).is_not(None),
               col(Review.disposition).in_(LABEL_DECISIONS))
        .order_by(col(Review.id))
    )
    for message_id, tag, disposition in rows:
        found.setdefault(message_id, {})[tag] = disposition
    return found


def missed_tags(decisions: dict[str, str], tagged: Iterable[str]) -> list[str]:
    """Tags reviewers added to a message (latest decision "missed") that it does not carry."""
    current = set(tagged)
    return sorted(t for t, d in decisions.items() if d == MISSED and t not in current)


def addable_tags(message: Message, tagged: Iterable[str]) -> list[str]:
    """Tags a reviewer may add to `message`: those of its direction it does not carry."""
    from nlp.labels import INBOUND_TAGS, OUTBOUND_TAGS

    pool = OUTBOUND_TAGS if message.direction == "outbound" else INBOUND_TAGS
    current = set(tagged)
    return [t for t in pool if t not in current]


def _record(session: Session, actor: str, message: Message, disposition: str, note: str,
            now: datetime, tag: str | None = None, details: dict[str, Any] | None = None
            ) -> Review:
    assert message.id is not None
    review = Review(actor=actor, target_type="message", target_id=message.id, tag=tag,
                    disposition=disposition, note=note, details=details or {}, created_at=now)
    session.add(review)
    session.flush()
    audit.append(session, actor, f"disposition.{disposition}", "message", message.id,
                 {"review_id": review.id, "tag": tag, "note": note, **(details or {})}, now)
    return review


def _signals(session: Session, message_id: int) -> list[Signal]:
    return list(session.scalars(select(Signal).where(col(Signal.message_id) == message_id)))


def _close_if_done(session: Session, case: ReviewCase, message_id: int) -> None:
    tags = {s.tag for s in _signals(session, message_id)}
    decided = set(tag_decisions(session, [message_id]).get(message_id, {}))
    if tags <= decided:
        case.state = "closed"


def decide_tag(session: Session, actor: str, message_id: int, tag: str, disposition: str,
               note: str, now: datetime) -> Review:
    """Confirm a tag or mark it a false positive."""
    if disposition not in TAG_DISPOSITIONS:
        raise DecisionError(f"unknown disposition {disposition!r}")
    message = session.get(Message, message_id)
    if message is None:
        raise DecisionError(f"message {message_id} does not exist")
    signal = next((s for s in _signals(session, message_id) if s.tag == tag), None)
    if signal is None:
        raise DecisionError(f"message {message_id} has no {tag!r} tag")
    details = {"confidence": round(signal.confidence, 4),
               "pipeline_version": signal.pipeline_version}
    review = _record(session, actor, message, disposition, note, now, tag, details)
    case = _case(session, message_id, actor, now)
    _close_if_done(session, case, message_id)
    case.updated_by, case.updated_at = actor, now
    session.add(case)
    return review


def add_missed_tag(session: Session, actor: str, message_id: int, tag: str, evidence: str,
                   note: str, now: datetime) -> Review:
    """Record that `message_id` should carry `tag`, with the words of its new text that show
    it (kept as offsets, as the tagger's evidence is)."""
    message = session.get(Message, message_id)
    if message is None:
        raise DecisionError(f"message {message_id} does not exist")
    tagged = [s.tag for s in _signals(session, message_id)]
    if tag in tagged:
        raise DecisionError(f"message {message_id} already has the {tag!r} tag: confirm it "
                            "instead")
    if tag not in addable_tags(message, tagged):
        raise DecisionError(f"{tag!r} is not a tag for an {message.direction} message")
    words = " ".join(evidence.split())
    if not words:
        raise DecisionError("quote the words of the message that show the tag")
    start = _find_words(message.new_text or "", words)
    if start is None:
        raise DecisionError(f"the words {words[:80]!r} are not in the message's new text")
    review = _record(session, actor, message, MISSED, note, now, tag,
                     {"evidence": {"start": start[0], "end": start[1],
                                   "text": (message.new_text or "")[start[0]:start[1]]}})
    case = _case(session, message_id, actor, now)
    case.updated_by, case.updated_at = actor, now
    session.add(case)
    return review


def withdraw_missed_tag(session: Session, actor: str, message_id: int, tag: str, note: str,
                        now: datetime) -> Review:
    """Take back a tag added as missed."""
    message = session.get(Message, message_id)
    if message is None:
        raise DecisionError(f"message {message_id} does not exist")
    if tag_decisions(session, [message_id]).get(message_id, {}).get(tag) != MISSED:
        raise DecisionError(f"no reviewer added {tag!r} to message {message_id}")
    return _record(session, actor, message, WITHDRAWN, note, now, tag)


def _find_words(text: str, words: str) -> tuple[int, int] | None:
    """Where `words` occur in `text`, ignoring case and differences in white space."""
    pattern = r"\s+".join(re.escape(w) for w in words.split())
    found = re.search(pattern, text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def decide_message(session: Session, actor: str, message_id: int, action: str, note: str,
                   now: datetime, person: str = "") -> list[Review]:
    """A message-level action: confirm / reject every tag, a compliance verdict, an
    escalation or assignment to `person`, or a note."""
    if action not in MESSAGE_ACTIONS:
        raise DecisionError(f"unknown action {action!r}")
    message = session.get(Message, message_id)
    if message is None:
        raise DecisionError(f"message {message_id} does not exist")
    person = person.strip().lower()
    if action in ("escalate", "assign") and "@" not in person:
        raise DecisionError(f"{action} needs the e-mail address of a person")
    if action in ("escalate", "note") and not note.strip():
        raise DecisionError(f"{action} needs a note saying why")
    if action in ("confirm_all", "false_positive_all"):
        disposition = "confirmed" if action == "confirm_all" else "false_positive"
        return [decide_tag(session, actor, message_id, s.tag, disposition, note, now)
                for s in _signals(session, message_id)]
    case = _case(session, message_id, actor, now)
    details: dict[str, Any] = {}
    if action in ("escalate", "assign"):
        details["to"] = person
        case.assignee = person
        case.state = "escalated" if action == "escalate" else "assigned"
    elif action in VERDICTS:
        case.verdict = action
        # A questionable message stays in the queue for someone to look at again.
        if action != "questionable":
            case.state = "closed"
    review = _record(session, actor, message, action, note, now, None, details)
    case.updated_by, case.updated_at = actor, now
    session.add(case)
    return [review]


def acknowledge(session: Session, actor: str, alert_id: int, owner: str, note: str,
                now: datetime) -> AlertAck:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise DecisionError(f"alert {alert_id} does not exist")
    existing = session.scalars(select(AlertAck).where(col(AlertAck.alert_id) == alert_id)).first()
    if existing is not None:
        raise DecisionError(f"alert {alert_id} was already acknowledged by "
                            f"{existing.acknowledged_by}")
    ack = AlertAck(alert_id=alert_id, acknowledged_by=actor, owner=owner.strip().lower() or actor,
                   note=note, acknowledged_at=now)
    session.add(ack)
    session.flush()
    audit.append(session, actor, "alert.acknowledged", "alert", alert_id,
                 {"owner": ack.owner, "note": note, "rule": alert.rule}, now)
    return ack


def decide_proposal(session: Session, actor: str, proposal_id: int, approve: bool, note: str,
                    now: datetime) -> Proposal:
    """Approve or override a credit proposal, with its audit entry."""
    from monitor.credit_proposals import ProposalError, decide

    try:
        row = decide(session, proposal_id, approve, actor, note, now)
    except ProposalError as exc:
        raise DecisionError(str(exc)) from None
    audit.append(session, actor, f"proposal.{row.state}", "proposal", proposal_id,
                 {"action": row.action, "customer_id": row.customer_id, "note": note,
                  "reasons": list(row.reasons)}, now)
    return row
