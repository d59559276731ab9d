"""Slack through the real SlackChannel, Router and Outbox against the loopback receiver:
what a post shows, where it goes, threads, and how faults are survived."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import ChannelState, Delivery, DeliveryAttempt
from notifier import Outbox, Router
from notifier.config import NotifyConfig, SlackChannelConfig
from notifier.slack import METADATA_EVENT, SlackChannel
from tests.notifier.helpers import customer, finding, message, record, snapshot
from tests.notifier.slack_receiver import Fault, SlackReceiver

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REVIEW = "https://review.halden.example"
CARD = "4111 1111 1111 1111"
ACCOUNT = "12345678"
TEXT = (f"Hello, we dispute the charge on INV-1001: the price is not what we agreed. "
        f"Refund it to card {CARD} or to account number {ACCOUNT}, sort code 12-34-56.")

MakeConfig = Callable[..., SlackChannelConfig]


def wire(engine: Engine, config: SlackChannelConfig) -> tuple[Router, Outbox]:
    notify = NotifyConfig(review_url=REVIEW)
    router = Router({"slack": config}, notify)
    return router, Outbox(engine, {"slack": SlackChannel("slack", config)}, notify)


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.scalars(select(Delivery).order_by(col(Delivery.id))))


def attempts(engine: Engine) -> list[DeliveryAttempt]:
    with Session(engine) as session:
        return list(session.scalars(select(DeliveryAttempt).order_by(col(DeliveryAttempt.id))))


def channel_state(engine: Engine) -> ChannelState:
    with Session(engine) as session:
        return session.scalars(select(ChannelState)).one()


def posts(slack: SlackReceiver, kind: str) -> list[dict[str, Any]]:
    """What arrived, as {text, blocks} dicts, for either kind of channel."""
    if kind == "webhook":
        return list(slack.webhook_posts)
    return [{"text": p.text, "blocks": p.blocks} for p in slack.posted]


def endpoint(kind: str) -> str:
    return "webhook" if kind == "webhook" else "chat.postMessage"


def queue_alerts(engine: Engine, router: Router, count: int, when: datetime = NOW) -> None:
    """`count` alerts, each for its own customer so that none are grouped."""
    ids = [customer(engine, f"C{i}", None) for i in range(count)]
    record(engine, router, [finding(f"t{i}", customer_id=ids[i]) for i in range(count)], when)


# -- what a post shows --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bot", "webhook"])
def test_post_shows_severity_evidence_credit_and_link_with_numbers_masked(
    engine: Engine, slack: SlackReceiver, slack_config: MakeConfig, kind: str,
) -> None:
    cid = customer(engine, "C042", "maria@halden.example", name="Coastal Fabrication",
                   tier="strategic", owner="Maria Lopez")
    snapshot(engine, cid, date(2026, 11, 19), exposure=Decimal("41250"), utilisation=0.825,
             avg_days_to_pay=70.0, avg_days_to_pay_before=28.0, risk_score=72.0,
             open_promises=1, promise_kept_rate=0.5)
    thread_id, message_id = message(engine, cid, TEXT, NOW - timedelta(hours=2),
                                    spans=[("dispute", "we dispute the charge")])
    router, outbox = wire(engine, slack_config(kind))
    record(engine, router, [finding("dispute", cid, severity="high", thread_id=thread_id,
                                    message_id=message_id, excerpt=TEXT)], NOW)
    assert outbox.deliver(NOW)["sent"] == 1

    [post] = posts(slack, kind)
    everything = json.dumps(post)
    assert CARD not in everything and ACCOUNT not in everything
    assert "**** **** **** 1111" in everything and "****5678" in everything
    header, summary, evidence, links, credit = post["blocks"]
    assert header["type"] == "header"
    assert header["text"]["text"] == ":red_circle: Unanswered for 9h: Customer — dispute"
    assert summary["text"]["text"].startswith("*HIGH* · `unanswered`\nJan Novak wrote about")
    quote = evidence["text"]["text"]
    assert quote.startswith("_dispute · 93%_\n> Hello, *we dispute the charge* on INV-1001")
    assert f"<{REVIEW}/messages/{message_id}|Open the message>" in links["elements"][0]["text"]
    assert f"<{REVIEW}/alerts/1|Alert #1>" in links["elements"][0]["text"]
    lines = credit["elements"][0]["text"].splitlines()
    assert lines == [
        f"*<{REVIEW}/customers/{cid}|Coastal Fabrication>* (C042) · tier strategic · "
        "owner Maria Lopez",
        "Credit: USD 41,250.00 open of USD 50,000.00 (82% used)",
        "Days to pay: 70 (was 28)",
        "Risk score: 72/100",
        "Open promises: 1, 50% of promises kept",
    ]
    assert post["text"] == "[HIGH] Unanswered for 9h: Customer — dispute"
    if kind == "bot":
        [posted] = slack.posted
        [row] = deliveries(engine)
        assert posted.channel == slack.channels["ar-alerts"]
        assert row.external_ref == f"{posted.channel}:{posted.ts}"
        assert posted.metadata == {"event_type": METADATA_EVENT,
                                   "event_payload": {"key": row.group_key}}


def test_alerts_for_one_customer_go_as_one_post(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig,
) -> None:
    cid = customer(sqlite_engine, "C7", None, name="Brightline")
    router, outbox = wire(sqlite_engine, slack_config("bot"))
    record(sqlite_engine, router, [finding("a", cid), finding("b", cid, severity="high")], NOW)
    assert outbox.deliver(NOW)["grouped"] == 2
    [post] = slack.posted
    assert post.blocks[0]["text"]["text"].startswith("[HIGH] 2 alerts for Brightline")
    assert [b["type"] for b in post.blocks].count("divider") == 1


# -- routing --------------------------------------------------------------------------------

ROUTES = [
    {"channel": "#legal", "rules": ["legal-*"]},
    {"channel": "#key-accounts", "customers": ["C900"]},
    {"channel": "#strategic", "tiers": ["strategic"], "min_severity": "high"},
    {"channel": "#pages", "min_severity": "critical"},
]
CASES = [  # rule, severity, tier, customer external id -> channel
    ("legal-threat", "info", None, "C1", "#legal"),
    ("legal-threat", "critical", "strategic", "C900", "#legal"),  # the first match wins
    ("unanswered", "info", None, "C900", "#key-accounts"),
    ("unanswered", "high", "strategic", "C2", "#strategic"),
    ("unanswered", "warning", "strategic", "C3", "#ar-alerts"),  # below the route's severity
    ("unanswered", "critical", "standard", "C4", "#pages"),
    ("unanswered", "high", "standard", "C5", "#ar-alerts"),  # no route: the default channel
]


def test_bot_routes_by_rule_customer_tier_and_severity(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig,
) -> None:
    router, outbox = wire(sqlite_engine, slack_config("bot", routes=ROUTES))
    customers: dict[str, int] = {}
    for index, (rule, severity, tier, external, _) in enumerate(CASES):
        if external not in customers:
            customers[external] = customer(sqlite_engine, external, None, tier=tier)
        record(sqlite_engine, router, [finding(f"case{index}", customers[external],
                                               severity=severity, rule=rule)], NOW, rule=rule)
    assert outbox.deliver(NOW)["sent"] == len(CASES)
    by_alert = {d.alert_id: d for d in deliveries(sqlite_engine)}
    ids = {f"#{name}": cid for name, cid in slack.channels.items()}
    for alert_id, (*_, expected) in enumerate(CASES, start=1):
        row = by_alert[alert_id]
        assert row.recipient == expected, (alert_id, CASES[alert_id - 1])
        assert row.external_ref.split(":")[0] == ids[expected]


# -- threads -----------------------------------------------------------------------------


def test_updates_on_an_alert_reply_in_its_thread_and_high_ones_are_broadcast(
    engine: Engine, slack: SlackReceiver, slack_config: MakeConfig,
) -> None:
    cid = customer(engine, "C1", None)
    thread_id, message_id = message(engine, cid, TEXT, NOW - timedelta(hours=10))
    other_thread, other_message = message(engine, cid, "Where is the credit note?",
                                          NOW - timedelta(hours=10))
    router, outbox = wire(engine, slack_config("bot"))

    def found(*severities: str) -> list[Any]:
        pairs = [(thread_id, message_id), (other_thread, other_message)]
        return [finding(f"m{tid}", cid, severity=s, thread_id=tid, message_id=mid)
                for (tid, mid), s in zip(pairs, severities, strict=False) if s]

    record(engine, router, found("warning"), NOW)
    outbox.deliver(NOW)
    [first] = slack.posted
    # Severity up: a reply in the first post's thread, broadcast to the channel (high).
    record(engine, router, found("high"), NOW + timedelta(minutes=5))
    outbox.deliver(NOW + timedelta(minutes=5))
    escalated = slack.posted[-1]
    assert (escalated.thread_ts, escalated.reply_broadcast) == (first.ts, True)
    assert escalated.text.startswith("[HIGH] Now high: ")
    # A different conversation starts its own thread.
    record(engine, router, found("high", "warning"), NOW + timedelta(minutes=6))
    outbox.deliver(NOW + timedelta(minutes=6))
    second = slack.posted[-1]
    assert second.thread_ts is None and second.ts != first.ts
    # It resolves, then comes back after the re-alert back-off: a quiet reply (warning).
    record(engine, router, found("high"), NOW + timedelta(minutes=7))
    record(engine, router, found("high", "warning"), NOW + timedelta(hours=3))
    outbox.deliver(NOW + timedelta(hours=3))
    back = slack.posted[-1]
    assert (back.thread_ts, back.reply_broadcast) == (second.ts, False)
    assert back.text.startswith("[WARNING] Back again: ")
    assert len(slack.posted) == 4
    # Slack keeps quiet replies out of the channel's history; the broadcast one is there.
    assert back not in slack.top_level(first.channel)
    assert escalated in slack.top_level(first.channel)


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bot", "webhook"])
def test_rate_limit_waits_for_retry_after_then_sends_in_order(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig, kind: str,
) -> None:
    router, outbox = wire(sqlite_engine, slack_config(kind))
    queue_alerts(sqlite_engine, router, 3)
    slack.fail(endpoint(kind), Fault.rate_limited(30, webhook=kind == "webhook"))
    counts = outbox.deliver(NOW)
    assert counts["sent"] == 0 and slack.count(endpoint(kind)) == 1  # one try, then it waits
    state = channel_state(sqlite_engine)
    assert state.blocked_until == NOW + timedelta(seconds=30)
    assert state.last_error == "Slack rate limit (429)"
    assert outbox.deliver(NOW + timedelta(seconds=29))["sent"] == 0
    assert slack.count(endpoint(kind)) == 1  # nothing was sent before Retry-After
    assert outbox.deliver(NOW + timedelta(seconds=30))["sent"] == 3
    assert [p["text"].rsplit("— ", 1)[1] for p in posts(slack, kind)] == ["t0", "t1", "t2"]
    assert [a.retry_after for a in attempts(sqlite_engine)] == [30.0, None, None, None]


@pytest.mark.parametrize("kind", ["bot", "webhook"])
def test_server_errors_back_off_then_succeed(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig, kind: str,
) -> None:
    router, outbox = wire(sqlite_engine, slack_config(kind))
    queue_alerts(sqlite_engine, router, 2)
    slack.fail(endpoint(kind), Fault(500, "upstream failed"), Fault(503, "busy"))
    outbox.deliver(NOW)
    first_block = channel_state(sqlite_engine).blocked_until
    assert first_block is not None
    assert NOW + timedelta(seconds=5) <= first_block <= NOW + timedelta(seconds=10)
    outbox.deliver(NOW + timedelta(seconds=4))
    assert slack.count(endpoint(kind)) == 1  # still backing off
    outbox.deliver(NOW + timedelta(seconds=10))
    state = channel_state(sqlite_engine)
    assert state.failures == 2 and state.blocked_until is not None
    assert state.blocked_until >= NOW + timedelta(seconds=20)  # the back-off doubled
    assert outbox.deliver(NOW + timedelta(seconds=31))["sent"] == 2
    assert channel_state(sqlite_engine).failures == 0
    details = [(a.ok, a.detail) for a in attempts(sqlite_engine)]
    assert details[0][0] is False and "500" in details[0][1]
    assert details[1][0] is False and "503" in details[1][1]
    assert [ok for ok, _ in details[2:]] == [True, True]
    assert len(posts(slack, kind)) == 2


@pytest.mark.parametrize("kind", ["bot", "webhook"])
def test_a_timed_out_send_is_retried_and_not_posted_twice_by_the_bot(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig, kind: str,
) -> None:
    router, outbox = wire(sqlite_engine, slack_config(kind, timeout_seconds=1))
    queue_alerts(sqlite_engine, router, 1)
    # The bot case: Slack posts, but answers after the client gave up. The webhook case: the
    # request hangs and is lost (a webhook cannot be asked afterwards what it posted).
    slack.fail(endpoint(kind), Fault.slow(1.6, process=kind == "bot"))
    assert outbox.deliver(NOW)["sent"] == 0
    assert "timed out" in deliveries(sqlite_engine)[0].detail
    assert outbox.deliver(NOW + timedelta(seconds=30))["sent"] == 1
    assert len(posts(slack, kind)) == 1
    [row] = deliveries(sqlite_engine)
    assert row.status == "sent" and row.attempts == 2
    if kind == "bot":
        assert row.detail == "found already posted to #ar-alerts after a timed-out attempt"
        assert row.external_ref == f"{slack.posted[0].channel}:{slack.posted[0].ts}"
        assert slack.count("chat.postMessage") == 1


@pytest.mark.parametrize("kind", ["bot", "webhook"])
def test_channel_not_found_fails_at_once_with_the_reason(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig, kind: str,
) -> None:
    router, outbox = wire(sqlite_engine, slack_config(kind))
    queue_alerts(sqlite_engine, router, 2)
    slack.fail(endpoint(kind), Fault.error("channel_not_found", webhook=kind == "webhook"))
    counts = outbox.deliver(NOW)
    assert (counts["failed"], counts["sent"]) == (1, 1)  # the next one is not held up
    failed, sent = deliveries(sqlite_engine)
    assert failed.status == "failed" and sent.status == "sent"
    assert failed.detail.startswith("gave up after 1 attempt(s): Slack refused the message: ")
    assert failed.detail.endswith("channel_not_found")
    assert outbox.deliver(NOW + timedelta(days=1))["sent"] == 0  # never tried again
    assert slack.count(endpoint(kind)) == 2


def test_secrets_never_reach_details_attempts_or_logs(
    sqlite_engine: Engine, slack: SlackReceiver, slack_config: MakeConfig,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CW_TEST_WRONG_TOKEN", "xoxb-wrong-s3cr3t-t0ken")
    configs = {
        "hook": slack_config("webhook", timeout_seconds=1),
        "bot": slack_config("bot", timeout_seconds=1),
        "badbot": slack_config("bot", bot_token={"env": "CW_TEST_WRONG_TOKEN"}),
    }
    notify = NotifyConfig(review_url=REVIEW)
    outbox = Outbox(sqlite_engine, {n: SlackChannel(n, c) for n, c in configs.items()}, notify)
    queue_alerts(sqlite_engine, Router(configs, notify), 2)
    # A proxy's error page that quotes the request it could not forward.
    slack.fail("webhook", Fault(502, f"502 Bad Gateway: POST {slack.webhook_url} "
                                     f"(path {slack.webhook_path})"),
               Fault.slow(1.5, process=False))
    slack.fail("chat.postMessage", Fault(502, "502 Bad Gateway: Authorization: Bearer "
                                              f"{slack.token}"),
               Fault.slow(1.5, process=False))
    when = NOW
    for _ in range(3):
        outbox.deliver(when)
        when += timedelta(minutes=5)
    slack.stop()  # and then Slack cannot be reached at all
    outbox.deliver(when + timedelta(minutes=5))

    with Session(sqlite_engine) as session:
        texts = [d.detail for d in session.scalars(select(Delivery))]
        texts += [a.detail for a in session.scalars(select(DeliveryAttempt))]
        texts += [s.last_error for s in session.scalars(select(ChannelState))]
    texts += [r.getMessage() for r in caplog.records]
    assert any("Bad Gateway" in t for t in texts)  # the failures are recorded…
    assert any("invalid_auth" in t for t in texts)
    assert any("timed out" in t for t in texts)
    assert any("ConnectionRefused" in t or "Connection refused" in t for t in texts)
    secrets = [slack.token, "xoxb-wrong-s3cr3t-t0ken", slack.webhook_url,
               slack.webhook_path, slack.webhook_path.rsplit("/", 1)[1]]
    for text in texts:  # …without the secrets
        for secret in secrets:
            assert secret not in text, text
