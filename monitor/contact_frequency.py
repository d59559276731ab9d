"""Contact guardrail `contact_frequency` (opt-in, for compliance): more than `max_attempts`
outbound contacts to one customer in `days` consecutive days (calendar days in `timezone`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from commwatch.configbase import StrictModel
from monitor.config import Severity
from monitor.guardrail_view import GuardrailView, OutboundContact, _zone
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding


class ContactFrequencyRuleConfig(StrictModel):
    """More than `max_attempts` outbound contacts to one customer in `days` consecutive days."""

    type: Literal["contact_frequency"]
    max_attempts: int = Field(default=7, ge=1)
    days: int = Field(default=7, ge=1, le=90)
    lookback_days: int = Field(default=30, ge=1, description="how far back windows are checked")
    channels: list[str] = Field(default_factory=list, description="empty: every channel")
    timezone: str = Field(default="UTC", description="where a day starts and ends")
    severity: Severity = "warning"
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)


@dataclass(frozen=True)
class Burst:
    """Overlapping over-limit windows of one customer: the first, and the busiest."""

    first_start: date
    first_count: int
    peak_start: date
    peak_count: int
    last_start: date


def bursts(days: Sequence[date], window: int, max_attempts: int) -> list[Burst]:
    """Windows of `window` consecutive days holding more than `max_attempts` of the contact
    days given (one entry per contact), merged where they overlap.

    Only windows that start on a contact day are checked: any other window holds no more
    contacts than the one starting at its first contact.
    """
    per_day: dict[date, int] = defaultdict(int)
    for day in days:
        per_day[day] += 1
    starts = sorted(per_day)
    found: list[Burst] = []
    for i, start in enumerate(starts):
        end = start + timedelta(days=window)
        count = sum(per_day[d] for d in starts[i:] if d < end)
        if count <= max_attempts:
            continue
        last = found[-1] if found else None
        if last is not None and start < last.last_start + timedelta(days=window):
            peak = count > last.peak_count
            found[-1] = Burst(last.first_start, last.first_count,
                              start if peak else last.peak_start,
                              count if peak else last.peak_count, start)
        else:
            found.append(Burst(start, count, start, count, start))
    return found


def _span(start: date, days: int) -> str:
    end = start + timedelta(days=days - 1)
    return f"{start:%d %b} – {end:%d %b %Y}" if days > 1 else f"{start:%d %b %Y}"


def contact_frequency(
    name: str, config: ContactFrequencyRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """Too many outbound contacts to one customer within `days` consecutive days."""
    from monitor.rules import Finding

    zone = ZoneInfo(config.timezone)
    first_day = (now.astimezone(zone) - timedelta(days=config.lookback_days)).date()
    since = datetime.combine(first_day, time(0), tzinfo=zone)
    # `days` local calendar days last at most `days` x 24 h plus a DST hour.
    contacts = GuardrailView(view.session).contacts_of_busy_customers(
        since, now, config.max_attempts, config.days + 1, config.channels
    )
    by_customer: dict[int | None, list[OutboundContact]] = defaultdict(list)
    for c in contacts:
        by_customer[c.customer_id].append(c)
    findings = []
    for customer_id, mine in by_customer.items():
        local_days = [c.sent_at.astimezone(zone).date() for c in mine]
        who = mine[0].customer_name or f"customer {customer_id}"
        for burst in bursts(local_days, config.days, config.max_attempts):
            window_end = burst.first_start + timedelta(days=config.days)
            in_window = [c for c, d in zip(mine, local_days, strict=True)
                         if burst.first_start <= d < window_end]
            channels: dict[str, int] = defaultdict(int)
            for c in in_window:
                channels[c.channel] += 1
            peak = (f" At the peak, {burst.peak_count} in the {config.days} days from "
                    f"{burst.peak_start:%d %b}." if burst.peak_start != burst.first_start else "")
            findings.append(Finding(
                rule=name,
                subject=f"customer:{customer_id}:window:{burst.first_start.isoformat()}",
                severity=config.severity,
                title=(f"Contact limit: {burst.first_count} outbound contacts to {who} in "
                       f"{config.days} days ({_span(burst.first_start, config.days)}); "
                       f"limit {config.max_attempts}"),
                summary=(
                    f"{who} was contacted {burst.first_count} times in the {config.days} days "
                    f"{_span(burst.first_start, config.days)} ({config.timezone}): "
                    + ", ".join(f"{n} {ch}" for ch, n in sorted(channels.items()))
                    + f"; the limit is {config.max_attempts}.{peak} Hold further contact and "
                    f"check with {mine[0].owner or 'the AR team'}."
                ),
                customer_id=customer_id,
                message_id=in_window[-1].message_id,
                details={
                    "customer": mine[0].customer_name, "owner": mine[0].owner,
                    "count": burst.first_count, "max_attempts": config.max_attempts,
                    "days": config.days, "window_start": burst.first_start.isoformat(),
                    "window_end": (window_end - timedelta(days=1)).isoformat(),
                    "timezone": config.timezone, "channels": dict(channels),
                    "peak_count": burst.peak_count, "peak_start": burst.peak_start.isoformat(),
                    "message_ids": [c.message_id for c in in_window],
                },
            ))
    return findings
