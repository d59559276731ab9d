"""Silences: no notices for an alert's rule, customer or invoice until the silence expires.
Each carries who set it and why; ending one early is recorded, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from commwatch.store import Customer, Delivery, Silence


class SilenceError(ValueError):
    """A silence cannot be created as asked; the message says why."""


def active_silence(
    session: Session, rule: str, customer_id: int | None, invoices: Sequence[str], now: datetime
) -> Silence | None:
    """The longest-lasting silence that covers this alert at `now`, if any.

    A silence matches when every criterion it sets matches: rule, customer and invoice."""
    return matching_silence(active_silences(session, now), rule, customer_id, invoices)


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """Every silence in force at `now` (there are few; matching is done in Python)."""
    return list(session.scalars(select(Silence).where(
        col(Silence.expires_at) > now,
        col(Silence.ended_at).is_(None),
    )))


def matching_silence(
    silences: Sequence[Silence], rule: str, customer_id: int | None, invoices: Sequence[str]
) -> Silence | None:
    wanted = {i.upper() for i in invoices}
    matches = [
        s for s in silences
        if (s.rule is None or s.rule == rule)
        and (s.customer_id is None or s.customer_id == customer_id)
        and (s.invoice is None or s.invoice.upper() in wanted)
    ]
    return max(matches, key=lambda s: s.expires_at, default=None)


def add_silence(
    session: Session,
    *,
    reason: str,
    created_by: str,
    expires_at: datetime,
    now: datetime,
    rule: str | None = None,
    customer: str | None = None,
    invoice: str | None = None,
) -> Silence:
    if not reason.strip():
        raise SilenceError("a silence needs a reason")
    if rule is None and customer is None and invoice is None:
        raise SilenceError("a silence needs at least one of rule, customer or invoice")
    if expires_at <= now:
        raise SilenceError(f"expiry {expires_at:%Y-%m-%d %H:%M} UTC is not in the future")
    customer_id = None
    if customer is not None:
        row = session.scalars(select(Customer).where(col(Customer.external_id) == customer)).first()
        if row is None:
            raise SilenceError(f"no customer with id {customer!r}")
        customer_id = row.id
    silence = Silence(rule=rule, customer_id=customer_id, invoice=invoice, reason=reason.strip(),
                      created_by=created_by, created_at=now, expires_at=expires_at)
    session.add(silence)
    session.flush()
    return silence


def end_silence(session: Session, silence_id: int, now: datetime) -> Silence:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise SilenceError(f"no silence #{silence_id}")
    if silence.ended_at is None and silence.expires_at > now:
        silence.ended_at = now
        session.add(silence)
        # What it held is looked at again on the next notify run, not when it would expire.
        session.execute(update(Delivery).where(col(Delivery.status) == "silenced")
                        .values(next_attempt_at=now))
    return silence
