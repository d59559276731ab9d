"""Noise control: the same problem pages once, comes back on a back-off, can be silenced,
waits out the recipient's night, and the day's summary arrives once as a digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import Alert, Delivery, PromiseRecord, session_scope
from notifier import Outbox, Router, build_channel, queue_digests
from notifier.config import ConsoleChannelConfig, NotifyConfig
from notifier.silences import SilenceError, add_silence, end_silence
from tests.notifier.helpers import customer, finding, message, record
from tests.notifier.smtp_server import SmtpServer, smtp_server  # noqa: F401
from tests.notifier.test_email import email_config
from tests.notifier.test_outbox import Recorder

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def rig(engine: Engine, **notify: object) -> tuple[Router, Outbox, Recorder]:
    policy = NotifyConfig(**notify)  # type: ignore[arg-type]
    channel = Recorder()
    router = Router({"rec": ConsoleChannelConfig(type="console")}, policy, "America/Chicago")
    return router, Outbox(engine, {"rec": channel}, policy), channel


def statuses(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(d.event, d.status) for d in
                session.scalars(select(Delivery).order_by(col(Delivery.id)))]


# -- dedupe and re-alert throttling ---------------------------------------------------------

def test_the_same_finding_pages_once_however_often_it_is_found(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine)
    for minutes in range(0, 600, 10):
        record(sqlite_engine, router, [finding("x")], NOW + timedelta(minutes=minutes))
        outbox.deliver(NOW + timedelta(minutes=minutes))
    assert len(channel.sent) == 1


def test_a_flapping_alert_realerts_on_a_growing_back_off(engine: Engine) -> None:
    """Found, gone, back: the first come-back within an hour is quiet; after that hour it
    notifies as an update; the next needs two hours, then four."""
    router, outbox, channel = rig(engine, realert_minutes=60, realert_max_hours=3)

    def flap(at: timedelta) -> None:
        record(engine, router, [], NOW + at - timedelta(minutes=1))  # resolved
        record(engine, router, [finding("x")], NOW + at)  # back
        outbox.deliver(NOW + at)

    record(engine, router, [finding("x")], NOW)
    outbox.deliver(NOW)
    flap(timedelta(minutes=30))  # within 1 h: throttled
    flap(timedelta(minutes=70))  # after 1 h: re-alert (seq 1)
    flap(timedelta(minutes=150))  # within 2 h of it: throttled
    flap(timedelta(minutes=200))  # after 2 h: re-alert (seq 2)
    flap(timedelta(minutes=300))  # capped at 3 h, not 4: throttled at +100 min
    flap(timedelta(minutes=385))  # +185 min: re-alert
    assert [n.alerts[0].event for n in channel.sent] == ["new", "reopened", "reopened",
                                                         "reopened"]
    assert all(n.kind == "update" for n in channel.sent[1:])
    with Session(engine) as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.notified_count == 4


def test_severity_going_up_notifies_at_once_despite_the_throttle(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine)
    record(sqlite_engine, router, [finding("x", severity="warning")], NOW)
    record(sqlite_engine, router, [finding("x", severity="high")], NOW + timedelta(minutes=5))
    record(sqlite_engine, router, [finding("x", severity="warning")], NOW + timedelta(minutes=9))
    outbox.deliver(NOW + timedelta(minutes=10))
    assert [(n.alerts[0].event, n.severity) for n in channel.sent] == [
        ("new", "high"), ("escalated", "high")]


# -- silences -------------------------------------------------------------------------------

def test_a_customer_silence_holds_notices_until_it_expires(engine: Engine) -> None:
    cid = customer(engine, "C004", None)
    other = customer(engine, "C005", None)
    router, outbox, channel = rig(engine)
    with session_scope(engine) as session:
        add_silence(session, reason="in legal review", created_by="ana", customer="C004",
                    expires_at=NOW + timedelta(hours=2), now=NOW)
    record(engine, router, [finding("a", cid), finding("b", other)], NOW)
    outbox.deliver(NOW + timedelta(hours=1))
    assert [n.alerts[0].customer_id for n in channel.sent] == [other]
    with Session(engine) as session:
        held = session.scalars(select(Delivery).where(col(Delivery.customer_id) == cid)).one()
        assert held.status == "silenced"
        assert held.detail.startswith("silenced by #1 until 2026-11-20 17:00 UTC: in legal review")
    counts = outbox.deliver(NOW + timedelta(hours=2, minutes=1))
    assert counts["released"] == 1 and counts["sent"] == 1
    assert channel.sent[-1].alerts[0].customer_id == cid


def test_an_alert_that_resolves_while_silenced_is_never_sent(sqlite_engine: Engine) -> None:
    router, outbox, channel = rig(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        add_silence(session, reason="known outage", created_by="ops", rule="unanswered",
                    expires_at=NOW + timedelta(hours=1), now=NOW)
    record(sqlite_engine, router, [finding("a")], NOW)
    record(sqlite_engine, router, [], NOW + timedelta(minutes=30))  # resolved meanwhile
    outbox.deliver(NOW + timedelta(hours=2))
    assert channel.sent == []
    assert statuses(sqlite_engine) == [("new", "dropped")]


def test_silence_by_invoice_and_ending_one_early(sqlite_engine: Engine) -> None:
    cid = customer(sqlite_engine, "C1", None)
    router, outbox, channel = rig(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        silence = add_silence(session, reason="credit note agreed", created_by="ana",
                              invoice="INV-1042", expires_at=NOW + timedelta(days=7), now=NOW)
    record(sqlite_engine, router, [
        finding("p1", cid, rule="unanswered", invoices=["inv-1042"]),
        finding("p2", cid, rule="unanswered", invoices=["INV-2000"]),
    ], NOW)
    outbox.deliver(NOW)
    assert [a.title.rsplit("— ", 1)[1] for n in channel.sent for a in n.alerts] == ["p2"]
    with session_scope(sqlite_engine) as session:
        end_silence(session, silence.id or 0, NOW + timedelta(hours=1))
    # Ending it early is recorded, and what it held goes out on the next run.
    outbox.deliver(NOW + timedelta(hours=1))
    assert [a.title.rsplit("— ", 1)[1] for n in channel.sent for a in n.alerts] == ["p2", "p1"]


@pytest.mark.parametrize("kwargs, problem", [
    ({"reason": " "}, "needs a reason"),
    ({"reason": "x"}, "at least one of rule, customer or invoice"),
    ({"reason": "x", "rule": "r", "expires_at": NOW}, "is not in the future"),
    ({"reason": "x", "customer": "NOPE"}, "no customer with id 'NOPE'"),
])
def test_a_bad_silence_is_refused_with_the_reason(
    sqlite_engine: Engine, kwargs: dict[str, object], problem: str
) -> None:
    args: dict[str, object] = {"created_by": "ana", "expires_at": NOW + timedelta(hours=1),
                               "now": NOW, **kwargs}
    with session_scope(sqlite_engine) as session, pytest.raises(SilenceError, match=problem):
        add_silence(session, **args)  # type: ignore[arg-type]


# -- quiet hours ----------------------------------------------------------------------------

def test_quiet_hours_hold_a_warning_until_morning_but_not_a_critical(
    sqlite_engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    cid = customer(sqlite_engine, "C1", "ana@halden.example")
    config = email_config(smtp_server)
    policy = NotifyConfig.model_validate({"recipients": {"Ana@Halden.example": {
        "timezone": "America/Chicago", "quiet_hours": "19:00-07:00"}}})
    router = Router({"mail": config}, policy, "UTC")
    outbox = Outbox(sqlite_engine, {"mail": build_channel("mail", config)}, policy)
    night = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 02:00 in Chicago
    record(sqlite_engine, router, [finding("w", cid, severity="warning"),
                                   finding("c", cid, severity="critical")], night)
    outbox.deliver(night)
    assert [r.message["Subject"][:10] for r in smtp_server.received] == ["[CRITICAL]"]
    with Session(sqlite_engine) as session:
        held = session.scalars(select(Delivery).where(col(Delivery.status) == "pending")).one()
        assert held.detail == "held for the recipient's quiet hours until 2026-11-20 13:00 UTC"
    outbox.deliver(datetime(2026, 11, 20, 12, 59, tzinfo=UTC))
    assert len(smtp_server.received) == 1
    outbox.deliver(datetime(2026, 11, 20, 13, 0, tzinfo=UTC))  # 07:00 in Chicago
    assert [r.message["Subject"][:9] for r in smtp_server.received] == ["[CRITICAL", "[WARNING]"]


# -- digest ---------------------------------------------------------------------------------

def test_daily_digest_per_owner_once_a_day_at_their_local_time(
    engine: Engine, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    ana = customer(engine, "C1", "ana@halden.example", name="Coastal Fabrication")
    ben = customer(engine, "C2", "ben@halden.example", name="Brightline Foods")
    customer(engine, "C3", None, name="Norvik Marine")
    config = email_config(smtp_server)
    policy = NotifyConfig.model_validate({
        "digest": {"enabled": True, "at": "08:00", "channel": "mail",
                   "only_severities": ["info"]},
        "recipients": {"ben@halden.example": {"timezone": "Asia/Singapore"}},
    })
    router = Router({"mail": config}, policy, "America/Chicago")
    outbox = Outbox(engine, {"mail": build_channel("mail", config)}, policy)
    yesterday = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    record(engine, router, [finding("old dispute", ana, severity="high"),
                            finding("fyi", ana, severity="info"),
                            finding("ben's", ben, severity="warning")], yesterday)
    _, msg = message(engine, ana, "we will pay on Friday", yesterday)
    with session_scope(engine) as session:
        session.add(PromiseRecord(message_id=msg, customer_id=ana, amount=Decimal("4500"),
                                  currency="USD", due_on=date(2026, 11, 20),
                                  invoices=["INV-7"]))
    outbox.deliver(yesterday)
    individual = len(smtp_server.received)
    assert individual == 2  # the info alert waits for the digest

    def digests(at: datetime) -> int:
        with session_scope(engine) as session:
            queued = queue_digests(session, at, policy, ["ar-team@halden.example"],
                                   "America/Chicago")
        outbox.deliver(at)
        return queued

    # 07:30 in Chicago (21:30 in Singapore): only Ben's digest time has passed.
    assert digests(datetime(2026, 11, 20, 13, 30, tzinfo=UTC)) == 1
    # 08:05 in Chicago: Ana's; the team (no unowned alerts, no promises) gets none.
    assert digests(datetime(2026, 11, 20, 14, 5, tzinfo=UTC)) == 1
    assert digests(datetime(2026, 11, 20, 18, 0, tzinfo=UTC)) == 0  # once a day
    mails = {r.recipients[0]: r for r in smtp_server.received[individual:]}
    assert set(mails) == {"ana@halden.example", "ben@halden.example"}
    ana_mail = mails["ana@halden.example"]
    assert ana_mail.message["Subject"] == (
        "Daily digest 2026-11-20: 2 open alert(s), 1 high or critical, 1 promise(s) due today")
    text = ana_mail.text()
    assert text.index("HIGH (1)") < text.index("INFO (1)")
    assert "Coastal Fabrication: USD 4,500.00 due 2026-11-20 (INV-7)" in text
    assert "ben's" not in text and "ben's" in mails["ben@halden.example"].text()
    assert mails["ben@halden.example"].message["Subject"].startswith("Daily digest 2026-11-20")


# -- resolved notices -----------------------------------------------------------------------

def test_resolution_is_told_only_where_wanted_and_only_to_who_heard(sqlite_engine: Engine) -> None:
    cid = customer(sqlite_engine, "C1", None)
    policy = NotifyConfig()
    told, quiet = Recorder(), Recorder()
    router = Router({"told": ConsoleChannelConfig(type="console", send_resolved=True),
                     "quiet": ConsoleChannelConfig(type="console")}, policy)
    outbox = Outbox(sqlite_engine, {"told": told, "quiet": quiet}, policy)
    record(sqlite_engine, router, [finding("heard", cid), finding("never sent", cid)], NOW)
    outbox.deliver(NOW)
    record(sqlite_engine, router, [finding("never sent", cid)], NOW + timedelta(minutes=5))
    outbox.deliver(NOW + timedelta(minutes=5))
    assert [(n.kind, n.alerts[0].event) for n in told.sent] == [("group", "new"),
                                                                 ("update", "resolved")]
    assert told.sent[1].alerts[0].title.endswith("heard")
    assert told.sent[1].subject.startswith("[WARNING] Resolved: ")
    assert len(quiet.sent) == 1  # a channel without send_resolved hears nothing more


def test_a_second_silence_keeps_holding_when_the_first_ends(sqlite_engine: Engine) -> None:
    cid = customer(sqlite_engine, "C1", None)
    router, outbox, channel = rig(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        add_silence(session, reason="short", created_by="ana", customer="C1",
                    expires_at=NOW + timedelta(hours=1), now=NOW)
        add_silence(session, reason="payment plan", created_by="ben", rule="unanswered",
                    expires_at=NOW + timedelta(hours=5), now=NOW)
    record(sqlite_engine, router, [finding("a", cid)], NOW)
    outbox.deliver(NOW + timedelta(hours=2))
    assert channel.sent == []
    with Session(sqlite_engine) as session:
        held = session.scalars(select(Delivery)).one()
        assert held.status == "silenced" and held.detail.endswith("UTC: payment plan")
    outbox.deliver(NOW + timedelta(hours=5, minutes=1))
    assert len(channel.sent) == 1
