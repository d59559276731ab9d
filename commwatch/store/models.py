"""The tables of the store (first cut of the data model in DESIGN.md).

Natural keys carry unique constraints so every stage can upsert instead of insert: running a
stage twice, or in two processes at once, never duplicates a row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commwatch.store.types import UTCDateTime, utcnow


def _when(nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(sa_type=UTCDateTime, nullable=False, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


def _money(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=Numeric(18, 4), nullable=nullable)


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    domains: list[str] = _json(list)
    credit_limit: Decimal | None = _money()
    currency: str = Field(default="USD", max_length=3)
    terms_days: int | None = None
    owner: str | None = Field(default=None, max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    tier: str | None = Field(default=None, max_length=32)
    risk_score: float | None = None
    updated_at: datetime = _created()


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    email: str = Field(unique=True, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    number: str = Field(unique=True, max_length=64)
    amount: Decimal | None = _money()
    open_amount: Decimal | None = _money()
    currency: str = Field(default="USD", max_length=3)
    issued_on: date | None = None
    due_on: date | None = None
    status: str = Field(default="open", max_length=16)
    disputed: bool = False


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    reference: str = Field(unique=True, max_length=128)
    amount: Decimal | None = _money(nullable=False)
    currency: str = Field(default="USD", max_length=3)
    received_on: date
    invoice_number: str | None = Field(default=None, max_length=64)


class Thread(SQLModel, table=True):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_state_last_inbound", "state", "last_inbound_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    subject_key: str = Field(default="", max_length=200, index=True)
    state: str = Field(default="awaiting_us", max_length=24)
    last_message_at: datetime | None = _when(nullable=True)
    last_inbound_at: datetime | None = _when(nullable=True)
    last_inbound_message_id: int | None = None
    last_outbound_at: datetime | None = _when(nullable=True)
    created_at: datetime = _created()


_OUTBOUND = text("direction = 'outbound'")
# Our emails that may send an invoice: their subject or attachment names say "inv". The
# acknowledgement rule reads only these (~3% of what we send); its query repeats this
# condition term for term, with the patterns as literals, so SQLite can see that the index
# holds every row the query wants.
_INVOICE_MAIL = text(
    "direction = 'outbound' AND channel = 'email' AND (lower(subject) LIKE '%inv%' "
    "OR lower(CAST(attachments AS TEXT)) LIKE '%inv%')"
)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    # The contact guardrails and the acknowledgement rule read our recent outbound messages
    # by time on every sweep; partial indexes keep those scans small and leave the planner
    # no reason to use them for the inbound look-ups (replies by thread) they would be slow
    # for.
    __table_args__ = (
        Index("ix_messages_outbound_time", "sent_at", "channel", "customer_id",
              sqlite_where=_OUTBOUND, postgresql_where=_OUTBOUND),
        Index("ix_messages_invoice_mail", "sent_at",
              sqlite_where=_INVOICE_MAIL, postgresql_where=_INVOICE_MAIL),
    )

    id: int | None = Field(default=None, primary_key=True)
    natural_key: str = Field(unique=True, max_length=512)
    source: str = Field(max_length=128, index=True)
    channel: str = Field(max_length=32)
    direction: str = Field(max_length=16)
    sender: str = Field(default="", max_length=320)
    sender_name: str = Field(default="", max_length=200)
    recipients: list[str] = _json(list)
    sent_at: datetime = _when(index=True)
    # The sender's UTC offset in minutes: relative dates ("by Friday") are read in it.
    sent_utc_offset: int | None = None
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    new_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    header_message_id: str | None = Field(default=None, max_length=512, index=True)
    in_reply_to: str | None = Field(default=None, max_length=512, index=True)
    references: list[str] = _json(list)
    attachments: list[dict[str, Any]] = _json(list)
    automatic: str | None = Field(default=None, max_length=32)
    raw_ref: str = Field(default="", max_length=1024)
    thread_id: int | None = Field(default=None, foreign_key="threads.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    customer_match: str = Field(default="unmatched", max_length=16)
    tagged_version: str | None = Field(default=None, max_length=64, index=True)
    # When the text stored here was last edited at the source (a Slack or Teams edit); None
    # for a message as first written. Earlier versions are kept in `message_revisions`.
    edited_at: datetime | None = _when(nullable=True)
    # Whether the text stored here is an edit, with or without an edit time (WhatsApp marks
    # edits but does not time them).
    edited: bool = False
    # The message's slot at a source whose natural key changes with an edit (WhatsApp): an
    # edited text met later is matched to the message through it.
    edit_key: str | None = Field(default=None, max_length=512, index=True)
    ingested_at: datetime = _created()


class MessageRevision(SQLModel, table=True):
    """A version of a message's text that is not (or no longer) the current one: the text
    before an edit, or an older version met in an export read after a newer one."""

    __tablename__ = "message_revisions"
    __table_args__ = (
        UniqueConstraint("message_id", "text_hash", name="uq_message_revisions_text"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", index=True)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    new_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The version's own edit time at the source; None for the text as first written or for
    # an edit its source did not time.
    edited_at: datetime | None = _when(nullable=True)
    edited: bool = False
    text_hash: str = Field(max_length=64)
    raw_ref: str = Field(default="", max_length=1024)
    recorded_at: datetime = _created()


class Signal(SQLModel, table=True):
    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("message_id", "tag", name="uq_signals_message_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", index=True)
    tag: str = Field(max_length=32, index=True)
    start: int
    end: int
    evidence_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    evidence: list[dict[str, Any]] = _json(list)
    confidence: float
    values: dict[str, Any] = _json(dict)
    pipeline_version: str = Field(max_length=64)
    created_at: datetime = _created()


class PromiseRecord(SQLModel, table=True):
    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("signal_id", "instalment", name="uq_promises_signal"),)

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int | None = Field(default=None, foreign_key="signals.id")
    message_id: int = Field(foreign_key="messages.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    instalment: int = 0
    amount: Decimal | None = _money()
    currency: str | None = Field(default=None, max_length=3)
    due_on: date | None = None
    invoices: list[str] = _json(list)
    status: str = Field(default="open", max_length=16, index=True)
    # What the payments so far add up to, and the day the last one counted arrived.
    paid_amount: Decimal | None = _money()
    settled_on: date | None = None
    # A statement of a promise already on the ledger (status "restated") points at it; one
    # replaced by a later revision (status "superseded") points at its successor.
    restates_id: int | None = Field(default=None, foreign_key="promises.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="promises.id")
    created_at: datetime = _created()


class DisputeRecord(SQLModel, table=True):
    __tablename__ = "disputes"
    __table_args__ = (
        UniqueConstraint("signal_id", "invoice_number", name="uq_disputes_signal_invoice"),
    )

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int | None = Field(default=None, foreign_key="signals.id")
    message_id: int = Field(foreign_key="messages.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    invoice_number: str = Field(default="", max_length=64)
    reason: str = Field(default="other", max_length=32)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = _created()


class CreditSnapshot(SQLModel, table=True):
    """A customer's credit figures on one day: the risk score's history and the numbers a
    proposal shows as its reasons."""

    __tablename__ = "credit_snapshots"
    __table_args__ = (UniqueConstraint("customer_id", "taken_on", name="uq_credit_snapshot_day"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    taken_on: date
    avg_days_to_pay: float | None = None  # payments in the last 90 days
    avg_days_to_pay_before: float | None = None  # the 90 days before that
    exposure: Decimal | None = _money()  # open invoice amounts
    utilisation: float | None = None  # exposure / credit limit
    disputes_90d: int = 0
    disputes_before: int = 0
    escalations_90d: int = 0  # legal escalation, cease contact, hardship signals
    open_promises: int = 0
    promise_kept_rate: float | None = None
    risk_score: float | None = None
    figures: dict[str, Any] = _json(dict)
    created_at: datetime = _created()


class Proposal(SQLModel, table=True):
    """An action a rule proposes for a customer (credit review, hold, reduce limit, resume),
    with its reasons; it stays a proposal until a person approves or overrides it."""

    __tablename__ = "proposals"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=256)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    action: str = Field(max_length=32)
    state: str = Field(default="proposed", max_length=16, index=True)
    reasons: list[str] = _json(list)
    figures: dict[str, Any] = _json(dict)
    rule: str = Field(default="", max_length=128)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = _when(nullable=True)
    decision_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class FollowUp(SQLModel, table=True):
    """A templated message to a customer that a rule queued (e.g. an invoice nobody
    acknowledged): a draft until approved, or sent, or paused by a guardrail."""

    __tablename__ = "followups"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=256)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    thread_id: int | None = Field(default=None, foreign_key="threads.id")
    message_id: int | None = Field(default=None, foreign_key="messages.id")
    kind: str = Field(max_length=32)
    state: str = Field(default="draft", max_length=16, index=True)
    to: list[str] = _json(list)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = _when(nullable=True)
    created_at: datetime = _created()


class Alert(SQLModel, table=True):
    __tablename__ = "alerts"
    # Each sweep reads and updates one rule's open alerts at a time. With an index on rule
    # and one on state, SQLite (with no statistics on alerts) walked every open alert of
    # every rule for each rule.
    __table_args__ = (Index("ix_alerts_rule_state", "rule", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=128)
    dedupe_key: str = Field(unique=True, max_length=512)
    severity: str = Field(max_length=16)
    state: str = Field(default="open", max_length=16, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    details: dict[str, Any] = _json(dict)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    thread_id: int | None = Field(default=None, foreign_key="threads.id")
    message_id: int | None = Field(default=None, foreign_key="messages.id")
    created_at: datetime = _created()
    last_seen_at: datetime = _created()
    resolved_at: datetime | None = _when(nullable=True)
    # Re-alert throttling: how often it has notified, and not again before `next_notify_at`.
    notified_count: int = 0
    next_notify_at: datetime | None = _when(nullable=True)


class Delivery(SQLModel, table=True):
    """One notice of an alert to one recipient on one channel: the outbox row.

    `seq` 0 is the first notice; later ones (re-alert, severity up, resolved) are updates and
    reply in the first one's thread. Rows of one `group_key` went out as one message."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    channel: str = Field(max_length=128)
    recipient: str = Field(default="", max_length=320)
    idempotency_key: str = Field(unique=True, max_length=600)
    status: str = Field(default="pending", max_length=16, index=True)
    event: str = Field(default="new", max_length=16)
    seq: int = 0
    customer_id: int | None = Field(default=None, index=True)
    topic: str = Field(default="", max_length=512, index=True)
    attempts: int = 0
    next_attempt_at: datetime = _created()
    last_attempt_at: datetime | None = _when(nullable=True)
    sent_at: datetime | None = _when(nullable=True)
    group_key: str | None = Field(default=None, max_length=80, index=True)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = _when(nullable=True)
    external_ref: str = Field(default="", max_length=512)
    duplicate_risk: bool = False
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class DeliveryAttempt(SQLModel, table=True):
    """Every try of a delivery and what the channel said: the trail behind `alerts show`."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="deliveries.id", index=True)
    number: int
    started_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    ok: bool = False
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    retry_after: float | None = None


class ChannelState(SQLModel, table=True):
    """A channel that failed as a whole (server down, rate limit) waits until `blocked_until`,
    so its deliveries resume in order instead of each backing off on its own."""

    __tablename__ = "channel_state"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(unique=True, max_length=128)
    blocked_until: datetime | None = _when(nullable=True)
    failures: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = _created()


class Silence(SQLModel, table=True):
    """No notices for matching alerts until `expires_at`: by rule, customer and/or invoice."""

    __tablename__ = "silences"

    id: int | None = Field(default=None, primary_key=True)
    rule: str | None = Field(default=None, max_length=128)
    customer_id: int | None = Field(default=None, foreign_key="customers.id")
    invoice: str | None = Field(default=None, max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = _created()
    expires_at: datetime = _when(index=True)
    ended_at: datetime | None = _when(nullable=True)


class Review(SQLModel, table=True):
    """One decision by a person on a flagged message (append-only; the latest per message and
    tag counts): confirm or false positive of one tag, a compliance verdict, an escalation,
    an assignment or a note. Each row also has an entry in the hash-chained `audit_log`."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=200)
    target_type: str = Field(max_length=32)
    target_id: int
    # The tag a confirm / false positive is about; keyed by tag, not signal id, so a
    # decision survives re-tagging.
    tag: str | None = Field(default=None, max_length=32, index=True)
    disposition: str = Field(max_length=32)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    # What the reviewer saw: pipeline version, confidence, assignee or escalation target.
    details: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
    )
    created_at: datetime = _created()


class ReviewCase(SQLModel, table=True):
    """Where the review of one flagged message stands, so the queue can filter on it."""

    __tablename__ = "review_cases"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", unique=True)
    state: str = Field(default="new", max_length=16, index=True)
    verdict: str | None = Field(default=None, max_length=16)
    assignee: str | None = Field(default=None, max_length=320, index=True)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = _created()


class AlertAck(SQLModel, table=True):
    """An alert acknowledged by a person, who takes (or names) its owner, with a note."""

    __tablename__ = "alert_acks"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", unique=True)
    acknowledged_by: str = Field(max_length=320)
    owner: str = Field(max_length=320)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    acknowledged_at: datetime = _created()


class User(SQLModel, table=True):
    """A local user of the review UI. The password is kept only as a salted scrypt hash."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)  # reviewer | collector | admin
    password_hash: str = Field(max_length=256)
    active: bool = True
    created_at: datetime = _created()
    last_login_at: datetime | None = _when(nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Only the token's SHA-256 is stored, so a copy of the database
    does not let anyone sign in; the CSRF token is checked on every form post."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    # Customers (or messages without one) re-identified in pseudonymised mode.
    reidentified: list[str] = _json(list)
    created_at: datetime = _created()
    expires_at: datetime = _when(index=True)


class AuditEntry(SQLModel, table=True):
    """The append-only audit log. Each entry's hash covers its fields and the previous
    entry's hash, and ids run without gaps, so an edit, deletion or reordering shows."""

    __tablename__ = "audit_log"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _when()
    actor: str = Field(max_length=320)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=32)
    target_id: str = Field(default="", max_length=64)
    # Canonical JSON text, hashed exactly as stored (no round trip through a JSON type).
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class SyncState(SQLModel, table=True):
    """A connector's cursor per source and partition (an IMAP folder, a file)."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("source", "partition", name="uq_sync_state"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=128)
    partition: str = Field(default="", max_length=512)
    cursor: dict[str, Any] = _json(dict)
    updated_at: datetime = _created()


class SourceItem(SQLModel, table=True):
    """Ledger of every item a source has handed over, so none is read twice or lost."""

    __tablename__ = "source_items"
    __table_args__ = (UniqueConstraint("source", "item_key", name="uq_source_items"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=128)
    item_key: str = Field(max_length=512)
    message_id: int | None = Field(default=None, foreign_key="messages.id")
    quarantine_id: int | None = Field(default=None, foreign_key="quarantine.id")
    seen_at: datetime = _created()


class QuarantineItem(SQLModel, table=True):
    """An item that could not be parsed: raw bytes and reason kept for `quarantine retry`."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("source", "item_key", name="uq_quarantine_item"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=128)
    item_key: str = Field(max_length=512)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="held", max_length=16, index=True)
    attempts: int = 1
    created_at: datetime = _created()
    updated_at: datetime = _created()


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: when, how it ended, what it did."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=128)
    started_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    outcome: str = Field(default="running", max_length=16)
    counts: dict[str, Any] = _json(dict)
    error: str = Field(default="", sa_column=Column(Text, nullable=False))
