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


RuleConfig = UnansweredInboundRuleConfig
