"""Contact guardrail `contact_pause` (opt-in, for compliance): a customer who asked us to
stop or restrict contact (`cease_contact`) or raised legal action (`legal_escalation`) is
flagged, and `pause_followups` pauses every queued follow-up to them. Nothing here ever
un-pauses: resuming is a person's decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator
from sqlalchemy import bindparam, or_, select
from sqlmodel import Session, col

from commwatch.configbase import StrictModel
from commwatch.store import FollowUp
from monitor.config import Severity
from monitor.guardrail_view import CustomerPause, GuardrailView
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding

PAUSE_TAGS = ("cease_contact", "legal_escalation")
PAUSABLE = ("draft", "approved")


class ContactPauseRuleConfig(StrictModel):
    """Pause follow-ups to a customer who asked us to stop contact or raised legal action."""

    type: Literal["contact_pause"]
    days: int | Literal["ever"] = Field(
        default=365, description='signals this recent count (days), or "ever"'
    )
    tags: list[str] = Field(default_factory=lambda: list(PAUSE_TAGS), min_length=1)
    severity: Severity = "high"
    enabled: bool = True

    @field_validator("days")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError('days must be at least 1, or "ever"')
        return value


_ASKED = {
    "cease_contact": "they asked us to stop or restrict contact",
    "legal_escalation": "they raised legal action",
}


def _pause_since(days: int | str, now: datetime) -> datetime | None:
    return None if days == "ever" else now - timedelta(days=int(days))


def _pause_reason(pause: CustomerPause) -> str:
    asked = _ASKED.get(pause.tag, f"their message was tagged {pause.tag}")
    return (f"paused: {asked} on {pause.said_at:%Y-%m-%d} (message {pause.message_id}): "
            f"“{pause.evidence}”")


def contact_pause(
    name: str, config: ContactPauseRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """A customer asked us to stop contact or raised legal action: pause follow-ups."""
    from monitor.rules import Finding

    window = "ever" if config.days == "ever" else f"in the last {config.days} days"
    findings = []
    for p in GuardrailView(view.session).paused_customers(
        _pause_since(config.days, now), now, config.tags
    ):
        asked = _ASKED.get(p.tag, f"their message was tagged {p.tag}")
        more = f" ({p.signals} such messages {window})" if p.signals > 1 else ""
        findings.append(Finding(
            rule=name,
            subject=f"customer:{p.customer_id}",
            severity=config.severity,
            title=f"Pause follow-ups for {p.customer_name}: {asked}",
            summary=(
                f"{p.sender} wrote on {p.said_at:%Y-%m-%d %H:%M} UTC: “{p.evidence}”{more}. "
                f"Queued follow-ups to {p.customer_name} are paused; contact them only as they "
                f"asked, after {p.owner or 'the AR team'} and compliance have reviewed it."
            ),
            customer_id=p.customer_id,
            thread_id=p.thread_id,
            message_id=p.message_id,
            details={
                "customer": p.customer_name, "owner": p.owner, "owner_email": p.owner_email,
                "tag": p.tag, "evidence": p.evidence, "sender": p.sender,
                "said_at": p.said_at.isoformat(), "signals": p.signals, "window": window,
            },
        ))
    return findings


def pause_followups(
    session: Session, now: datetime, config: ContactPauseRuleConfig | None = None
) -> dict[str, int]:
    """Pause draft and approved follow-ups of every customer the contact_pause rule flags.

    Each row is updated only if it is still draft or approved, so a follow-up that a sender
    just sent is not rewritten; paused rows are never moved back.
    """
    config = config or ContactPauseRuleConfig(type="contact_pause")
    pauses = {
        p.customer_id: p
        for p in GuardrailView(session).paused_customers(
            _pause_since(config.days, now), now, config.tags
        )
    }
    counts = {"paused_customers": len(pauses), "paused": 0}
    if not pauses:
        return counts
    customers = sorted(pauses)
    rows = [
        row
        for i in range(0, len(customers), 1000)
        for row in session.execute(
            select(col(FollowUp.id), col(FollowUp.customer_id)).where(
                col(FollowUp.state).in_(PAUSABLE),
                col(FollowUp.customer_id).in_(customers[i:i + 1000]),
            )
        )
    ]
    if rows:
        table = FollowUp.__table__  # type: ignore[attr-defined]
        result = session.connection().execute(
            table.update()
            # An OR, not IN: an expanding IN list cannot go into an executemany.
            .where(table.c.id == bindparam("row_id"),
                   or_(*(table.c.state == state for state in PAUSABLE)))
            .values(state="paused", reason=bindparam("why"), decided_by="guardrail:contact_pause",
                    decided_at=now),
            [{"row_id": row_id, "why": _pause_reason(pauses[cid])} for row_id, cid in rows],
        )
        counts["paused"] = result.rowcount if result.rowcount >= 0 else len(rows)
    return counts
