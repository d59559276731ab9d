"""The tag set (TAXONOMY.md): customer tags on inbound messages, compliance flags on outbound."""

from __future__ import annotations

INBOUND_TAGS = (
    "dispute",
    "promise_to_pay",
    "billing_query",
    "payment_confirmation",
    "hardship",
    "cease_contact",
    "legal_escalation",
    "auto_reply",
)
OUTBOUND_TAGS = ("abusive_language", "pii_exposure")
ALL_TAGS = INBOUND_TAGS + OUTBOUND_TAGS
# What the trained classifier scores; pii_exposure is decided by patterns and checksums only.
CLASSIFIER_TAGS = (*INBOUND_TAGS, "abusive_language")
DISPUTE_REASONS = (
    "price",
    "quantity",
    "damaged",
    "not_received",
    "duplicate",
    "not_ordered",
    "service",
    "credit_note",
    "other",
)


def tags_for(direction: str | None) -> tuple[str, ...]:
    """The tags a message can carry: outbound messages only get the compliance flags."""
    return OUTBOUND_TAGS if direction == "outbound" else INBOUND_TAGS
