"""Config models for the monitor's rules, one per `type`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from commwatch.configbase import StrictModel

Severity = Literal["info", "warning", "high", "critical"]


class UnansweredInboundRuleConfig(StrictModel):
    """Alert when a customer's message has waited longer than `hours` for our reply."""

    type: Literal["unanswered_inbound"]
    hours: float = Field(default=24.0, gt=0)
    severity: Severity = "warning"
    enabled: bool = True


class PromiseLedgerConfig(StrictModel):
    """How long after its due date a promise may still be kept before it counts as broken."""

    grace_days: int = Field(default=3, ge=0, le=60)


class BrokenPromiseRuleConfig(StrictModel):
    """Alert when a promise to pay is broken, or ends part-paid, after its grace period."""

    type: Literal["broken_promise"]
    severity: Severity = "high"
    partial: bool = Field(default=True, description="also alert on part-paid promises")
    lookback_days: int = Field(
        default=45, ge=1, description="promises due this many days back at most: older ones "
        "have been chased already, and their alerts resolve"
    )
    enabled: bool = True


class TeamConfig(StrictModel):
    """Who an owner's escalations go to: owner email -> manager email."""

    managers: dict[str, str] = Field(default_factory=dict)

