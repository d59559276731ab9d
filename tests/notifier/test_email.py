"""Alert e-mail against a real SMTP server (aiosmtpd on loopback): who gets it, what it says,
and what happens when the server is away or its certificate is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import ChannelState, Delivery, DeliveryAttempt
from notifier import Outbox, Router, build_channel
from notifier.config import EmailChannelConfig, NotifyConfig
from tests.notifier.helpers import customer, finding, message, record, snapshot
from tests.notifier.smtp_server import SmtpServer, smtp_server, tls_server  # noqa: F401

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
REVIEW = "https://commwatch.example"
DISPUTE = ("Hello, we received invoice INV-1042 but the unit price is wrong, we were charged "
           "$14.20 instead of $12.80 agreed. We dispute this invoice until a credit note is "
           "issued. Regards, Jan")


def email_config(
    server: SmtpServer, tmp_path: Path | None = None, **extra: Any,
) -> EmailChannelConfig:
    data = {"type": "email", "host": server.host, "port": server.port, "security": "plain",
            "from_address": "alerts@halden.example", "fallback": ["ar-team@halden.example"],
            **extra}
    return EmailChannelConfig.model_validate(data, context={"base_dir": tmp_path or Path(".")})


def setup(engine: Engine, config: EmailChannelConfig, **notify: Any) -> tuple[Router, Outbox]:
    policy = NotifyConfig(review_url=REVIEW, **notify)
    router = Router({"mail": config}, policy, "Europe/London")
    return router, Outbox(engine, {"mail": build_channel("mail", config)}, policy)


def test_alert_email_reaches_the_owner_with_evidence_credit_and_link(
    engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    ana = customer(engine, "C004", "ana@halden.example", name="Coastal Fabrication",
                   owner="Ana Ruiz", tier="key")
    ben = customer(engine, "C005", "ben@halden.example", name="Brightline Foods")
    nobody = customer(engine, "C006", None, name="Norvik Marine")
    snapshot(engine, ana, date(2026, 11, 20), avg_days_to_pay=67.0, avg_days_to_pay_before=28.0,
             risk_score=72.0, utilisation=0.84, open_promises=1, promise_kept_rate=0.5)
    thread, msg = message(engine, ana, DISPUTE, NOW - timedelta(hours=9),
                          spans=[("dispute", "We dispute this invoice")],
                          subject="INV-1042 unit price")
    router, outbox = setup(engine, email_config(smtp_server))
    record(engine, router, [
        finding("INV-1042 unit price", ana, severity="high", thread_id=thread, message_id=msg),
        finding("statement", ben), finding("remittance", nobody),
    ], NOW)
    assert outbox.deliver(NOW)["sent"] == 3
    by_rcpt = {tuple(r.recipients): r for r in smtp_server.received}
    assert set(by_rcpt) == {("ana@halden.example",), ("ben@halden.example",),
                            ("ar-team@halden.example",)}
    mail = by_rcpt[("ana@halden.example",)]
    assert mail.message["Subject"] == (
        "[HIGH] Unanswered for 9h: Customer — INV-1042 unit price")
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message["Message-ID"].endswith("@halden.example>")
    text, html = mail.text(), mail.html()
    assert ">>We dispute this invoice<<" in text
    assert '<mark style="background:#ffe066">We dispute this invoice</mark>' in html
    assert "instead of $12.80 agreed." in text  # the words around the span are there too
    assert f"{REVIEW}/messages/{msg}" in text and f'href="{REVIEW}/messages/{msg}"' in html
    assert "Coastal Fabrication (C004), tier key, owner Ana Ruiz" in text
    assert "Days to pay: 67 (was 28)" in text and "Risk score: 72/100" in text
    assert "84% used" in text
    assert "Dispute (93% confidence, lexicon:dispute)" in text
    assert "Norvik" not in by_rcpt[("ben@halden.example",)].text()


def test_escalation_goes_to_the_owner_and_the_manager(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C004", "ana@halden.example")
    router, outbox = setup(sqlite_engine, email_config(smtp_server))
    record(sqlite_engine, router, [finding(
        "sla", cid, severity="critical", route_to=["ana@halden.example", "mia@halden.example"])],
        NOW)
    outbox.deliver(NOW)
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "ana@halden.example", "mia@halden.example"]


def test_html_in_a_customer_message_is_inert_in_the_alert(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C1", "ana@halden.example", name="<b>Evil</b> Ltd")
    payload = 'We dispute this <script>alert("x")</script><img src=x onerror=alert(1)> invoice'
    thread, msg = message(sqlite_engine, cid, payload, NOW, spans=[("dispute", "We dispute")],
                          subject="<script>s</script>")
    router, outbox = setup(sqlite_engine, email_config(smtp_server))
    record(sqlite_engine, router, [finding("<script>s</script>", cid, thread_id=thread,
                                           message_id=msg)], NOW)
    outbox.deliver(NOW)
    html = smtp_server.received[0].html()
    assert "<script>" not in html and "<img" not in html and "<b>Evil" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Evil&lt;/b&gt; Ltd" in html


def test_smtp_down_then_up_delivers_every_alert_once_in_order(
    engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    ids = [customer(engine, f"C{i}", f"owner{i}@halden.example") for i in range(5)]
    router, outbox = setup(engine, email_config(smtp_server))
    smtp_server.stop()
    record(engine, router, [finding(f"alert {i}", ids[i]) for i in range(5)], NOW)
    when = NOW
    for _ in range(6):  # an outage of about an hour: retried on the channel's back-off
        assert outbox.deliver(when)["sent"] == 0
        when += timedelta(minutes=10)
    with Session(engine) as session:
        state = session.scalars(select(ChannelState)).one()
        assert state.failures >= 2 and "cannot reach" in state.last_error
        # Only the head of the queue was tried each time.
        attempts = [d.attempts for d in session.scalars(
            select(Delivery).order_by(col(Delivery.id)))]
        assert attempts[0] >= 2 and attempts[1:] == [0, 0, 0, 0]
    smtp_server.start()
    assert outbox.deliver(when + timedelta(hours=1))["sent"] == 5
    assert outbox.deliver(when + timedelta(hours=2))["sent"] == 0
    subjects = [r.message["Subject"].rsplit("— ", 1)[1] for r in smtp_server.received]
    assert subjects == [f"alert {i}" for i in range(5)]


def test_an_outage_longer_than_the_give_up_time_fails_visibly(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C1", "ana@halden.example")
    router, outbox = setup(sqlite_engine, email_config(smtp_server), give_up_after_hours=1)
    smtp_server.stop()
    record(sqlite_engine, router, [finding("x", cid)], NOW)
    outbox.deliver(NOW)
    outbox.deliver(NOW + timedelta(hours=2))
    with Session(sqlite_engine) as session:
        row = session.scalars(select(Delivery)).one()
        assert row.status == "failed"
        assert row.detail.startswith("gave up: channel mail failed until the give-up time")
        assert "cannot reach 127.0.0.1" in row.detail


def test_starttls_with_a_private_ca_and_a_password_from_the_environment(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret-pw")
    server, ca_file = tls_server(tmp_path, auth=("alerts", "s3cret-pw"))
    server.start()
    try:
        cid = customer(sqlite_engine, "C1", "ana@halden.example")
        config = email_config(server, tmp_path, security="starttls", host="localhost",
                              ca_file=str(ca_file), username="alerts",
                              password={"env": "TEST_SMTP_PASSWORD"})
        router, outbox = setup(sqlite_engine, config)
        record(sqlite_engine, router, [finding("over TLS", cid)], NOW)
        assert outbox.deliver(NOW)["sent"] == 1
        assert len(server.received) == 1

        # Without the private CA the same server is not trusted, and nothing is sent.
        untrusted = email_config(server, tmp_path, security="starttls", host="localhost",
                                 username="alerts", password={"env": "TEST_SMTP_PASSWORD"})
        router, outbox = setup(sqlite_engine, untrusted)
        record(sqlite_engine, router, [finding("over TLS", cid), finding("second", cid)], NOW)
        assert outbox.deliver(NOW)["sent"] == 0
        with Session(sqlite_engine) as session:
            details = [a.detail for a in session.scalars(select(DeliveryAttempt))]
            assert any("TLS certificate of localhost" in d and "not trusted" in d
                       for d in details), details
            assert not any("s3cret-pw" in d for d in details)
        assert len(server.received) == 1
    finally:
        server.stop()


def test_plain_smtp_is_refused_for_a_remote_host() -> None:
    with pytest.raises(ValueError, match="allowed only for a loopback host"):
        EmailChannelConfig.model_validate({
            "type": "email", "host": "smtp.example.com", "security": "plain",
            "from_address": "a@b.example", "fallback": ["t@b.example"]})


def test_an_update_replies_in_the_first_emails_thread(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C1", "ana@halden.example")
    router, outbox = setup(sqlite_engine, email_config(smtp_server))
    record(sqlite_engine, router, [finding("x", cid, thread_id=None)], NOW)
    outbox.deliver(NOW)
    record(sqlite_engine, router, [finding("x", cid, severity="high")], NOW + timedelta(hours=1))
    outbox.deliver(NOW + timedelta(hours=1))
    first, update = smtp_server.received
    assert update.message["In-Reply-To"] == first.message["Message-ID"]
    assert update.message["Subject"].startswith("Re: [HIGH] Now high: ")


def test_a_connection_the_server_dropped_is_opened_again(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C1", "ana@halden.example")
    router, outbox = setup(sqlite_engine, email_config(smtp_server))
    record(sqlite_engine, router, [finding("first", cid)], NOW)
    assert outbox.deliver(NOW)["sent"] == 1  # the channel keeps its connection open
    smtp_server.stop()
    smtp_server.start()  # the kept connection is now dead
    record(sqlite_engine, router, [finding("second", cid)], NOW + timedelta(minutes=1))
    assert outbox.deliver(NOW + timedelta(minutes=1))["sent"] == 1
    assert len(smtp_server.received) == 2
