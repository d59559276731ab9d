"""Contact guardrail `quiet_hours` (opt-in, for compliance): an outbound contact sent
outside `start`-`end` local time where the contact is: the contact's own time zone, else the
customer's from `timezones`, else the default.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from commwatch.configbase import StrictModel
from monitor.config import Severity
from monitor.guardrail_view import GuardrailView, OutboundContact, _zone
from monitor.view import StoreView

if TYPE_CHECKING:
    from monitor.rules import Finding


class QuietHoursRuleConfig(StrictModel):
    """Outbound contacts sent outside `start`-`end` (inclusive) local time for the contact."""

    type: Literal["quiet_hours"]
    start: time = time(8, 0)
    end: time = time(21, 0)
    default_timezone: str
    timezones: dict[str, str] = Field(
        default_factory=dict, description="customer external id -> IANA time zone"
    )
    channels: list[str] = Field(default_factory=list, description="empty: every channel")
    lookback_days: int = Field(default=7, ge=1, le=90)
    severity: Severity = "warning"
    enabled: bool = True

    @field_validator("default_timezone")
    @classmethod
    def _default_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: dict[str, str]) -> dict[str, str]:
        for customer, zone in value.items():
            try:
                _zone(zone)
            except ValueError as exc:
                raise ValueError(f"{customer}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _hours(self) -> QuietHoursRuleConfig:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times; give no UTC offset")
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must be before end ({self.end:%H:%M})")
        return self


def contact_zones(
    contact: OutboundContact, config: QuietHoursRuleConfig, contact_tz: dict[str, str]
) -> list[tuple[str, str]]:
    """(zone, where it came from) for each place the contact is: the recipients' own zones
    (contacts table), else the customer's (config `timezones`), else `default_timezone`."""
    own = sorted({contact_tz[r.lower()] for r in contact.recipients if r.lower() in contact_tz})
    if own:
        return [(z, "contact") for z in own]
    if contact.external_id and contact.external_id in config.timezones:
        return [(config.timezones[contact.external_id], "customer")]
    return [(config.default_timezone, "default")]


# Up to this many contacts that may be outside hours are read by id; more, and the whole
# window is read (one query either way, in the same order). Contacts outside hours are
# exceptions: a week with thousands of them is a week that needs the full read anyway.
_MAYBE_BY_ID = 2000


def _maybe_outside(
    guard: GuardrailView, config: QuietHoursRuleConfig, since: datetime, now: datetime
) -> list[int] | None:
    """The outbound contacts in the window that may have gone out outside hours, or None
    for "any of them may have".

    A contact's zones (`contact_zones`) are among the zones contacts have, plus its
    customer's zone or else the default; a contact inside hours in all of those is inside
    hours in its own. Deciding that takes the time and customer of each contact, which the
    partial index on outbound messages holds: rows (recipients, subject, customer) are read
    only for the few contacts left, not for a whole week of them. Zones set on contacts
    count for every contact here (which recipients a message has is in its row), so each
    one of those rules out fewer.
    """
    try:
        shared = tuple(ZoneInfo(zone) for zone in sorted(guard.contact_zone_names()))
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a contact's unknown zone: the exact check reports it as before
    customer_ids = guard.customers_by_external_id(config.timezones)
    zones_of: dict[int | None, tuple[ZoneInfo, ...]] = {
        cid: (*shared, ZoneInfo(config.timezones[external_id]))
        for external_id, cid in customer_ids.items()
    }
    default = (*shared, ZoneInfo(config.default_timezone))
    start, end = config.start, config.end
    maybe: list[int] = []
    for message_id, customer_id, sent_at in guard.outbound_times(since, now, config.channels):
        for zone in zones_of.get(customer_id, default):
            if not start <= sent_at.astimezone(zone).time() <= end:
                if len(maybe) == _MAYBE_BY_ID:
                    return None
                maybe.append(message_id)
                break
    return maybe


def quiet_hours(
    name: str, config: QuietHoursRuleConfig, view: StoreView, now: datetime
) -> list[Finding]:
    """An outbound contact went out before `start` or after `end` where the contact is."""
    from monitor.rules import Finding

    guard = GuardrailView(view.session)
    since = now - timedelta(days=config.lookback_days)
    contacts = guard.outbound_contacts(
        since, now, config.channels, _maybe_outside(guard, config, since, now)
    )
    contact_tz = guard.contact_timezones(r for c in contacts for r in c.recipients)
    hours = f"{config.start:%H:%M}–{config.end:%H:%M}"
    findings = []
    for c in contacts:
        outside = []
        for zone, source in contact_zones(c, config, contact_tz):
            local = c.sent_at.astimezone(ZoneInfo(zone))
            if not config.start <= local.time() <= config.end:
                outside.append((local, zone, source))
        if not outside:
            continue
        local, zone, source = outside[0]
        who = c.customer_name or ", ".join(c.recipients) or "an unmatched recipient"
        findings.append(Finding(
            rule=name,
            subject=f"message:{c.message_id}",
            severity=config.severity,
            title=f"Outside contact hours: {c.channel} to {who} at {local:%H:%M} {local:%Z}",
            summary=(
                f"A {c.channel} (“{c.subject or '(no subject)'}”) went to {who} on "
                f"{local:%a %d %b %Y %H:%M} {zone} time, outside the allowed {hours}. "
                f"Owner: {c.owner or 'the AR team'}."
            ),
            customer_id=c.customer_id,
            thread_id=c.thread_id,
            message_id=c.message_id,
            details={
                "customer": c.customer_name, "owner": c.owner, "channel": c.channel,
                "recipients": list(c.recipients), "sent_at": c.sent_at.isoformat(),
                "local_time": local.isoformat(), "timezone": zone, "timezone_source": source,
                "allowed": hours,
                "outside_in": [{"timezone": z, "local_time": t.isoformat(), "source": s}
                               for t, z, s in outside],
            },
        ))
    return findings
