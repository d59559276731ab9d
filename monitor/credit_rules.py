"""Credit rules (`credit_review`, `hold_orders`, `reduce_limit`, `resume`): pure functions of
a view (the runner's StoreView, read through a CreditView over its session) and `now`;
`evaluate_credit_rules` runs several over one CreditView so the figures are computed once.
Each finding carries the figures, `reasons` (sentences a person can check) and a `proposal`
for a person to decide (`monitor.credit_proposals`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from commwatch.configbase import StrictModel
from monitor.config import Severity
from monitor.credit_figures import CreditMetrics, Windows, _amount
from monitor.credit_view import credit_view

_EPS = 1e-9  # figures exactly at a threshold meet it despite float rounding


# --- config ---------------------------------------------------------------------------------


class CreditReviewRuleConfig(StrictModel):
    """Propose a credit review when a customer pays slower, disputes more, or nears its limit."""

    type: Literal["credit_review"]
    days_to_pay_rise_days: float = Field(default=14, gt=0)
    days_to_pay_rise_pct: float = Field(default=50, gt=0)
    min_payments: int = Field(default=2, ge=1, description="payments needed in each window")
    dispute_rise_pct: float = Field(default=40, gt=0)
    min_disputes: int = Field(default=3, ge=1, description="disputes needed in the last 90 days")
    utilisation: float = Field(default=0.9, gt=0)
    severity: Severity = "warning"
    enabled: bool = True


class HoldOrdersRuleConfig(StrictModel):
    """Propose holding orders when the limit is exceeded or promises keep being broken."""

    type: Literal["hold_orders"]
    utilisation_over: float = Field(default=1.0, gt=0)
    broken_promises: int = Field(default=2, ge=1, description="broken in the last 90 days")
    count_partial: bool = Field(default=False, description="part-paid promises count as broken")
    severity: Severity = "high"
    enabled: bool = True


class ReduceLimitRuleConfig(StrictModel):
    """Propose a lower credit limit when the risk score is high and rising."""

    type: Literal["reduce_limit"]
    min_risk: float = Field(default=70, ge=0, le=100)
    lookback_days: int = Field(default=30, ge=1, le=90, description="compare with a snapshot")
    min_rise: float = Field(default=5, ge=0, description="risk points over the snapshot's")
    reduce_by: float = Field(default=0.25, gt=0, lt=1, description="share of the limit to cut")
    severity: Severity = "high"
    enabled: bool = True


class ResumeRuleConfig(StrictModel):
    """Propose resuming orders for a customer on an approved hold whose risk has come down."""

    type: Literal["resume"]
    max_risk: float = Field(default=40, ge=0, le=100)
    severity: Severity = "info"
    enabled: bool = True


# --- rules ----------------------------------------------------------------------------------


def _at_least(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold - _EPS


def _days(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _money(amount: Decimal | None, currency: str) -> str:
    return "no" if amount is None else f"{currency} {amount:,.2f}"


def _limit_used(m: CreditMetrics) -> str:
    return (f"{(m.utilisation or 0) * 100:.0f}% used ({_money(m.exposure, m.currency)} open "
            f"against a {_money(m.credit_limit, m.currency)} limit)")


ACTION_TITLES = {"credit_review": "Credit review proposed", "hold_orders": "Hold orders proposed",
                 "reduce_limit": "Lower credit limit proposed", "resume": "Resume orders proposed"}


def _finding(name: str, severity: str, m: CreditMetrics, triggers: list[str],
             reasons: list[str], proposal: dict[str, Any]) -> Any:
    from monitor.rules import Finding  # monitor.rules registers these rules

    action = proposal["action"]
    return Finding(
        rule=name, subject=f"customer:{m.customer_id}:{action}", severity=severity,
        title=f"{ACTION_TITLES[action]}: {m.name}",
        summary=(f"{'. '.join(reasons)}. Risk score {m.risk_score:.0f}/100. A person approves "
                 f"or overrides this; owner: {m.owner or 'the AR team'}."),
        customer_id=m.customer_id,
        details={**m.figures(), "customer": m.name, "owner": m.owner,
                 "owner_email": m.owner_email, "triggers": triggers, "reasons": reasons,
                 "proposal": {"customer_id": m.customer_id, **proposal}},
    )


def credit_review(
    name: str, config: CreditReviewRuleConfig, view: Any, now: datetime
) -> list[Any]:
    """Propose a review when days to pay worsened, disputes rose, or the limit is nearly used."""
    findings = []
    for m in credit_view(view).metrics(now):
        triggers: list[str] = []
        reasons: list[str] = []
        enough = min(m.payments_90d, m.payments_before) >= config.min_payments
        if enough and m.days_to_pay_change is not None and m.days_to_pay_change > 0 and (
            _at_least(m.days_to_pay_change, config.days_to_pay_rise_days)
            or _at_least(m.days_to_pay_change_pct, config.days_to_pay_rise_pct)
        ):
            triggers.append("days_to_pay")
            reasons.append(f"Average days to pay rose from {_days(m.avg_days_to_pay_before or 0)}"
                           f" to {_days(m.avg_days_to_pay or 0)} over 90 days")
        if m.disputes_90d >= config.min_disputes and m.disputes_90d > m.disputes_before and (
            m.disputes_before == 0 or _at_least(m.dispute_change_pct, config.dispute_rise_pct)
        ):
            triggers.append("disputes")
            reasons.append(
                f"Disputes up from none to {m.disputes_90d} in the last 90 days"
                if m.disputes_before == 0 else
                f"Disputes up {m.dispute_change_pct or 0:.0f}%: {m.disputes_90d} in the last "
                f"90 days against {m.disputes_before} before"
            )
        if _at_least(m.utilisation, config.utilisation):
            triggers.append("utilisation")
            reasons.append(f"Credit limit {_limit_used(m)}")
        if triggers:
            findings.append(_finding(name, config.severity, m, triggers, reasons,
                                     {"action": "credit_review"}))
    return findings


def hold_orders(name: str, config: HoldOrdersRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose holding orders when the limit is exceeded or promises were broken."""
    findings = []
    for m in credit_view(view).metrics(now):
        triggers: list[str] = []
        reasons: list[str] = []
        if m.utilisation is not None and m.utilisation > config.utilisation_over + _EPS:
            triggers.append("over_limit")
            reasons.append(f"Credit limit exceeded: {_limit_used(m)}")
        broken = m.broken_promises_90d + (m.partial_promises_90d if config.count_partial else 0)
        if broken >= config.broken_promises:
            triggers.append("broken_promises")
            kinds = "broken or part-paid" if config.count_partial else "broken"
            reasons.append(f"{broken} promises to pay {kinds} in the last 90 days")
        if triggers:
            findings.append(_finding(name, config.severity, m, triggers, reasons,
                                     {"action": "hold_orders"}))
    return findings


def _score_parts(m: CreditMetrics) -> str:
    parts = sorted(((p, n) for n, p in m.risk_components.items() if p > 0), reverse=True)
    return ", ".join(f"{n} {p:g}" for p, n in parts) or "nothing"


def reduce_limit(name: str, config: ReduceLimitRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose a lower limit when the risk score is at least `min_risk` and worsening: up by
    `min_rise` on the snapshot of `lookback_days` ago or, with no snapshot, paying slower or
    disputing more than in the 90 days before."""
    cv = credit_view(view)
    metrics = cv.metrics(now)
    refs = cv.reference_scores(Windows.ending(now).today - timedelta(days=config.lookback_days))
    findings = []
    for m in metrics:
        if not _at_least(m.risk_score, config.min_risk):
            continue
        ref = refs.get(m.customer_id)
        if ref is not None:
            rise = m.risk_score - ref[1]
            if rise <= 0 or not _at_least(rise, config.min_rise):
                continue
            why = f"Risk score {m.risk_score:.0f} of 100, up from {ref[1]:.0f} on {ref[0]}"
        elif (m.days_to_pay_change or 0) > 0 or m.disputes_90d > m.disputes_before:
            why = f"Risk score {m.risk_score:.0f} of 100 and worsening"
        else:
            continue
        reasons = [why, f"Score made of: {_score_parts(m)}"]
        suggested = (None if m.credit_limit is None
                     else (m.credit_limit * Decimal(str(1 - config.reduce_by))).quantize(
                         Decimal(1)))
        findings.append(_finding(name, config.severity, m, ["risk"], reasons, {
            "action": "reduce_limit", "current_limit": _amount(m.credit_limit),
            "suggested_limit": _amount(suggested),
        }))
    return findings


def resume(name: str, config: ResumeRuleConfig, view: Any, now: datetime) -> list[Any]:
    """Propose resuming orders for a customer on an approved hold whose risk score is under
    `max_risk` with no promise to pay broken in the last 30 days."""
    cv = credit_view(view)
    holds = cv.holds_in_effect()
    findings = []
    for m in cv.metrics(now):
        since = holds.get(m.customer_id)
        if since is None or m.broken_promises_30d or m.risk_score >= config.max_risk:
            continue
        reasons = [f"Orders on hold since {since:%Y-%m-%d}; risk score back to "
                   f"{m.risk_score:.0f}, under {config.max_risk:g}",
                   "No promise to pay broken in the last 30 days"]
        findings.append(_finding(name, config.severity, m, ["recovered"], reasons, {
            "action": "resume", "hold_approved_at": since.isoformat(),
        }))
    return findings


CREDIT_RULES: dict[str, Callable[[str, Any, Any, datetime], list[Any]]] = {
    "credit_review": credit_review, "hold_orders": hold_orders,
    "reduce_limit": reduce_limit, "resume": resume,
}


def evaluate_credit_rules(
    view: Any, rules: Mapping[str, Any], now: datetime
) -> dict[str, list[Any]]:
    """The findings of every enabled credit rule in `rules` (other types are skipped) over one
    CreditView, so the figures are computed once for all of them."""
    shared = credit_view(view)
    return {name: CREDIT_RULES[config.type](name, config, shared, now)
            for name, config in rules.items()
            if config.enabled and config.type in CREDIT_RULES}


__all__ = [
    "CREDIT_RULES", "CreditReviewRuleConfig", "HoldOrdersRuleConfig", "ReduceLimitRuleConfig",
    "ResumeRuleConfig", "credit_review", "evaluate_credit_rules", "hold_orders", "reduce_limit",
    "resume",
]
