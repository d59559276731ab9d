"""Credit proposals: `record_proposals` stores the credit rules' findings as proposals and
`decide` records a person's approval or override. A decided proposal is proposed again only
when a reason appears that the person did not decide on, or when its conditions cleared and
came back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from commwatch.store import Proposal

PROPOSED, APPROVED, OVERRIDDEN = "proposed", "approved", "overridden"


def _insert_statement(session: Session, model: Any) -> Any:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model.__table__)


class ProposalError(Exception):
    """A proposal cannot be decided: unknown, or already decided."""


def _proposal_figures(details: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("reasons",)}


_META = ("proposed_at", "history", "cleared_at")


def record_proposals(
    session: Session, rule: str, findings: list[Any], now: datetime
) -> dict[str, int]:
    """Store a credit rule's findings as proposals (key `rule:customer:action`).

    New: inserted as proposed. Still proposed: its reasons and figures are refreshed. Decided:
    left as decided unless a reason appears that the person did not decide on, or its
    conditions had cleared since; then it is proposed again, the earlier decision kept in
    its history. Proposals whose conditions no longer hold are marked `cleared_at` (never
    deleted, never decided by the machine). The rule's proposals are locked while this runs
    (PostgreSQL), so a decision made meanwhile waits rather than being overwritten."""
    counts = {"proposed": 0, "refreshed": 0, "re_proposed": 0, "unchanged": 0, "cleared": 0}
    existing = {p.dedupe_key: p for p in session.scalars(
        select(Proposal).where(col(Proposal.rule) == rule).with_for_update())}
    current: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    for finding in findings:
        proposal = finding.details.get("proposal") or {}
        if finding.customer_id is None or "action" not in proposal:
            continue
        key = f"{rule}:{finding.customer_id}:{proposal['action']}"
        if key in current:
            continue
        current.add(key)
        figures = _proposal_figures(finding.details)
        reasons = list(finding.details.get("reasons", []))
        row = existing.get(key)
        if row is None:
            new_rows.append({
                "dedupe_key": key, "customer_id": finding.customer_id,
                "action": proposal["action"], "state": PROPOSED, "reasons": reasons,
                "figures": {**figures, "proposed_at": now.isoformat(), "history": []},
                "rule": rule, "decision_note": "", "created_at": now,
            })
            continue
        old = dict(row.figures or {})
        history = list(old.get("history", []))
        if row.state == PROPOSED:
            if row.reasons == reasons and not old.get("cleared_at") and figures == {
                k: v for k, v in old.items() if k not in _META
            }:
                counts["unchanged"] += 1
                continue
            row.reasons = reasons
            row.figures = {**figures, "proposed_at": old.get("proposed_at"), "history": history}
            counts["refreshed"] += 1
        elif old.get("cleared_at") or set(figures.get("triggers", [])) - set(
            old.get("triggers", [])
        ):
            row.state, row.reasons = PROPOSED, reasons
            row.decided_by, row.decided_at, row.decision_note = None, None, ""
            row.figures = {**figures, "proposed_at": now.isoformat(), "history": history}
            counts["re_proposed"] += 1
        else:
            counts["unchanged"] += 1
            continue
        session.add(row)
    if new_rows:
        # Another process may have proposed the same key meanwhile: its row stands.
        stmt = _insert_statement(session, Proposal).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
        for start in range(0, len(new_rows), 1000):
            session.execute(stmt, new_rows[start : start + 1000])
        counts["proposed"] = len(new_rows)
    for key, row in existing.items():
        if key not in current and not (row.figures or {}).get("cleared_at"):
            row.figures = {**(row.figures or {}), "cleared_at": now.isoformat()}
            session.add(row)
            counts["cleared"] += 1
    return counts


def decide(
    session: Session, proposal_id: int, approve: bool, who: str, note: str, now: datetime
) -> Proposal:
    """Record a person's decision on a proposal: approved, or overridden (not acted on)."""
    if not who.strip():
        raise ProposalError("a decision needs the name of the person who made it")
    row = session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ProposalError(f"proposal {proposal_id} does not exist")
    if row.state != PROPOSED:
        when = f" at {row.decided_at:%Y-%m-%d %H:%M} UTC" if row.decided_at else ""
        raise ProposalError(f"proposal {proposal_id} was already {row.state} by "
                            f"{row.decided_by}{when}")
    state = APPROVED if approve else OVERRIDDEN
    figures = dict(row.figures or {})
    figures["history"] = [*figures.get("history", []),
                          {"state": state, "by": who, "at": now.isoformat(), "note": note,
                           "reasons": list(row.reasons)}]
    row.state, row.decided_by, row.decided_at, row.decision_note = state, who, now, note
    row.figures = figures
    session.add(row)
    session.flush()
    return row


__all__ = ["ProposalError", "decide", "record_proposals"]
