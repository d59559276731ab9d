"""Contact guardrails at an explicit `now`: pausing follow-ups, contact frequency, quiet
hours in the contact's time zone (DST included)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.store import Contact, Customer, FollowUp, Message, Signal, session_scope
from monitor import StoreView
from monitor.contact_frequency import ContactFrequencyRuleConfig, bursts, contact_frequency
from monitor.contact_pause import ContactPauseRuleConfig, contact_pause, pause_followups
from monitor.quiet_hours import QuietHoursRuleConfig, quiet_hours

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PAUSE = ContactPauseRuleConfig(type="contact_pause")
FREQUENCY = ContactFrequencyRuleConfig(type="contact_frequency")
_keys = count()


def customer(engine: Engine, external_id: str = "C001", name: str = "Brightline Builders") -> int:
    with session_scope(engine) as session:
        row = Customer(external_id=external_id, name=name, owner="Maria Lopez")
        session.add(row)
        session.flush()
        return row.id or 0


def message(engine: Engine, customer_id: int | None, sent: datetime, *,
            direction: str = "outbound", channel: str = "email", text: str = "",
            to: Sequence[str] = ("jan@brightline.example",), tag: str | None = None) -> int:
    with session_scope(engine) as session:
        row = Message(natural_key=f"k{next(_keys)}", source="s", channel=channel,
                      direction=direction, sender="jan@brightline.example", recipients=list(to),
                      sent_at=sent, subject="Balance", new_text=text, body_text=text,
                      customer_id=customer_id)
        session.add(row)
        session.flush()
        if tag:
            session.add(Signal(message_id=row.id or 0, tag=tag, start=0, end=len(text),
                               evidence_text=text, confidence=0.9, pipeline_version="t"))
        return row.id or 0


def followup(engine: Engine, customer_id: int, state: str, key: str) -> None:
    with session_scope(engine) as session:
        session.add(FollowUp(dedupe_key=key, customer_id=customer_id, kind="invoice_ack",
                             state=state, to=["jan@brightline.example"], subject="Re: Invoice",
                             body="Please confirm.", created_at=NOW - timedelta(days=1)))


def states(engine: Engine) -> dict[str, tuple[str, str]]:
    with Session(engine) as session:
        return {f.dedupe_key: (f.state, f.reason) for f in session.scalars(select(FollowUp))}


def run(engine: Engine, rule: Any, config: Any, now: datetime = NOW) -> list[Any]:
    with Session(engine) as session:
        return rule("guard", config, StoreView(session), now)  # type: ignore[no-any-return]


# --- contact_pause -------------------------------------------------------------------------


def test_cease_contact_pauses_existing_drafts_and_flags(engine: Engine) -> None:
    cid = customer(engine)
    other = customer(engine, "C002", "Other Co")
    for state in ("draft", "approved", "sent", "cancelled"):
        followup(engine, cid, state, state)
    followup(engine, other, "draft", "other-draft")
    said = "Stop emailing me, speak to our lawyer from now on."
    mid = message(engine, cid, NOW - timedelta(days=10), direction="inbound", text=said,
                  tag="cease_contact")

    [finding] = run(engine, contact_pause, PAUSE)
    assert finding.severity == "high"
    assert finding.subject == f"customer:{cid}" and finding.message_id == mid
    assert finding.title == (
        "Pause follow-ups for Brightline Builders: they asked us to stop or restrict contact"
    )
    assert f"“{said}”" in finding.summary

    with session_scope(engine) as session:
        assert pause_followups(session, NOW) == {"paused_customers": 1, "paused": 2}
    now_states = states(engine)
    assert {k: s for k, (s, _r) in now_states.items()} == {
        "draft": "paused", "approved": "paused", "sent": "sent", "cancelled": "cancelled",
        "other-draft": "draft",
    }
    assert now_states["draft"][1] == (
        f"paused: they asked us to stop or restrict contact on 2026-11-10 (message {mid}): "
        f"“{said}”"
    )
    with session_scope(engine) as session:
        assert pause_followups(session, NOW)["paused"] == 0  # idempotent

    # A draft queued later is paused by the next run; and once the signal is out of the
    # window nothing is flagged, but nothing is un-paused either.
    followup(engine, cid, "draft", "new-draft")
    with session_scope(engine) as session:
        assert pause_followups(session, NOW)["paused"] == 1
    much_later = NOW + timedelta(days=400)
    assert run(engine, contact_pause, PAUSE, much_later) == []
    with session_scope(engine) as session:
        assert pause_followups(session, much_later) == {"paused_customers": 0, "paused": 0}
    assert states(engine)["new-draft"][0] == "paused"


@pytest.mark.parametrize(
    ("tag", "direction", "age_days", "days", "flags"),
    [
        ("legal_escalation", "inbound", 10, 365, True),
        ("cease_contact", "inbound", 364, 365, True),
        ("cease_contact", "inbound", 366, 365, False),
        ("cease_contact", "inbound", 2000, "ever", True),
        ("cease_contact", "inbound", -1, "ever", False),  # after `now`: not seen yet
        ("cease_contact", "outbound", 10, 365, False),  # our words, not their request
        ("dispute", "inbound", 10, 365, False),
    ],
)
def test_which_signals_pause(engine: Engine, tag: str, direction: str, age_days: int,
                             days: int | str, flags: bool) -> None:
    cid = customer(engine)
    followup(engine, cid, "draft", "d")
    message(engine, cid, NOW - timedelta(days=age_days), direction=direction, text="…", tag=tag)
    config = ContactPauseRuleConfig(type="contact_pause", days=days)  # type: ignore[arg-type]
    assert bool(run(engine, contact_pause, config)) is flags
    with session_scope(engine) as session:
        assert pause_followups(session, NOW, config)["paused"] == int(flags)


def test_latest_signal_is_the_evidence(engine: Engine) -> None:
    cid = customer(engine)
    message(engine, cid, NOW - timedelta(days=30), direction="inbound",
            text="Our solicitors will be in touch.", tag="legal_escalation")
    message(engine, cid, NOW - timedelta(days=2), direction="inbound",
            text="Only contact us in writing.", tag="cease_contact")
    [finding] = run(engine, contact_pause, PAUSE)
    assert finding.details["tag"] == "cease_contact"
    assert finding.details["evidence"] == "Only contact us in writing."
    assert finding.details["signals"] == 2
    assert "(2 such messages in the last 365 days)" in finding.summary


# --- contact_frequency ---------------------------------------------------------------------


def contacts(engine: Engine, cid: int, times: Sequence[datetime], channel: str = "email") -> None:
    for when in times:
        message(engine, cid, when, channel=channel)


@pytest.mark.parametrize(
    ("times", "flags"),
    [
        ([NOW - timedelta(days=6, hours=h) for h in range(8)], True),  # 8 in 7 days
        ([NOW - timedelta(days=6, hours=h) for h in range(7)], False),  # 7 is the limit
        ([NOW - timedelta(days=d) for d in range(8)], False),  # 8 over 8 days
        ([NOW - timedelta(days=d) for d in range(7)] * 2, True),  # 14 over 7 days
    ],
)
def test_more_than_max_attempts_in_days(engine: Engine, times: list[datetime],
                                        flags: bool) -> None:
    contacts(engine, customer(engine), times)
    assert bool(run(engine, contact_frequency, FREQUENCY)) is flags


def test_a_burst_is_one_finding_naming_count_and_window(engine: Engine) -> None:
    cid = customer(engine)
    start = datetime(2026, 11, 10, 9, tzinfo=UTC)
    contacts(engine, cid, [start + timedelta(hours=h) for h in range(6)])
    contacts(engine, cid, [start + timedelta(days=1, hours=h) for h in range(4)], "call")
    contacts(engine, cid, [start + timedelta(days=2, hours=h) for h in range(2)], "sms")
    message(engine, cid, start, direction="inbound")  # theirs do not count
    [finding] = run(engine, contact_frequency, FREQUENCY)
    assert finding.subject == f"customer:{cid}:window:2026-11-10"
    assert finding.title == (
        "Contact limit: 12 outbound contacts to Brightline Builders in 7 days "
        "(10 Nov – 16 Nov 2026); limit 7"
    )
    assert "4 call, 6 email, 2 sms" in finding.summary
    assert finding.details["count"] == 12 and finding.details["window_end"] == "2026-11-16"
    # Only calls: 4 of them, under the limit.
    calls = ContactFrequencyRuleConfig(type="contact_frequency", channels=["call"])
    assert run(engine, contact_frequency, calls) == []


def test_bursts_merge_overlapping_windows() -> None:
    day = date(2026, 11, 1)
    daily_twice = [day + timedelta(days=d) for d in range(10) for _ in range(2)]
    [burst] = bursts(daily_twice, 7, 7)
    assert (burst.first_start, burst.first_count, burst.last_start) == (
        day, 14, day + timedelta(days=6)
    )
    apart = [day] * 8 + [day + timedelta(days=20)] * 8
    assert [b.first_start for b in bursts(apart, 7, 7)] == [day, day + timedelta(days=20)]


def test_frequency_days_are_days_in_the_configured_zone(engine: Engine) -> None:
    # 09 Nov 20:00 UTC is already 10 Nov in Tokyo: 8 contacts in 10-16 Nov there, but spread
    # over 09-16 Nov (8 days) in UTC.
    cid = customer(engine)
    contacts(engine, cid, [datetime(2026, 11, 9, 20, tzinfo=UTC)])
    contacts(engine, cid, [datetime(2026, 11, 16, 10, m, tzinfo=UTC) for m in range(7)])
    assert run(engine, contact_frequency, FREQUENCY) == []
    tokyo = ContactFrequencyRuleConfig(type="contact_frequency", timezone="Asia/Tokyo")
    [finding] = run(engine, contact_frequency, tokyo)
    assert finding.subject == f"customer:{cid}:window:2026-11-10"
    assert finding.details["count"] == 8


# --- quiet_hours ---------------------------------------------------------------------------


def quiet(**kwargs: Any) -> QuietHoursRuleConfig:
    return QuietHoursRuleConfig(type="quiet_hours", **{"default_timezone": "UTC", **kwargs})


@pytest.mark.parametrize("by_id", [2000, 3], ids=["candidates by id", "whole window"])
def test_quiet_hours_shortcut_finds_what_reading_every_contact_finds(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, by_id: int
) -> None:
    """Only contacts outside hours somewhere they might be are read in full; the findings,
    and their order, are those of reading every contact in the window."""
    import random

    import monitor.quiet_hours as quiet_hours_module

    rng = random.Random(5)
    customers = [customer(engine, f"C00{i}", f"Customer {i}") for i in range(1, 6)]
    with session_scope(engine) as session:
        session.add(Contact(customer_id=customers[0], email="kenji@c1.example",
                            timezone="Asia/Tokyo"))
        session.add(Contact(customer_id=customers[1], email="ana@c2.example",
                            timezone="America/Sao_Paulo"))
    recipients = [["kenji@c1.example"], ["ANA@c2.example", "x@c2.example"], ["x@c3.example"],
                  []]
    for _ in range(60):
        message(engine, rng.choice([*customers, None]),
                NOW - timedelta(minutes=rng.randint(0, 9 * 24 * 60)),
                channel=rng.choice(["email", "call"]), to=rng.choice(recipients))
    config = quiet(default_timezone="Europe/London",
                   timezones={"C001": "America/Chicago", "C003": "Australia/Sydney"})
    monkeypatch.setattr(quiet_hours_module, "_MAYBE_BY_ID", by_id)
    shortcut = run(engine, quiet_hours, config)
    monkeypatch.setattr(quiet_hours_module, "_maybe_outside", lambda *_: None)
    assert shortcut == run(engine, quiet_hours, config)
    assert 3 < len(shortcut) < 60


@pytest.mark.parametrize(
    ("sent", "config", "flags"),
    [
        # C001 is in Chicago (UTC-6 in November).
        (datetime(2026, 11, 18, 13, 30, tzinfo=UTC), {"timezones": {"C001": "America/Chicago"}},
         True),  # 07:30 local
        (datetime(2026, 11, 18, 14, 0, tzinfo=UTC), {"timezones": {"C001": "America/Chicago"}},
         False),  # 08:00 local
        (datetime(2026, 11, 19, 3, 0, tzinfo=UTC), {"timezones": {"C001": "America/Chicago"}},
         False),  # 21:00 local: "after 9 pm" starts after it
        (datetime(2026, 11, 19, 3, 1, tzinfo=UTC), {"timezones": {"C001": "America/Chicago"}},
         True),  # 21:01 local
        # Without a mapping the default zone applies: 13:30 UTC is fine in London.
        (datetime(2026, 11, 18, 13, 30, tzinfo=UTC), {"default_timezone": "Europe/London"},
         False),
        (datetime(2026, 11, 18, 13, 30, tzinfo=UTC), {"timezones": {"C999": "America/Chicago"}},
         False),
        # New York in March 2026: EST (UTC-5) until the 8th, EDT (UTC-4) from then.
        (datetime(2026, 3, 6, 12, 30, tzinfo=UTC), {"default_timezone": "America/New_York"},
         True),  # 07:30 EST
        (datetime(2026, 3, 9, 12, 15, tzinfo=UTC), {"default_timezone": "America/New_York"},
         False),  # 08:15 EDT (07:15 if DST were ignored)
        (datetime(2026, 3, 9, 11, 45, tzinfo=UTC), {"default_timezone": "America/New_York"},
         True),  # 07:45 EDT
        (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), {"default_timezone": "America/New_York"},
         False),  # 08:00 EDT on the day of the change
    ],
)
def test_quiet_hours_in_the_contacts_zone(engine: Engine, sent: datetime,
                                          config: dict[str, Any], flags: bool) -> None:
    cid = customer(engine)
    mid = message(engine, cid, sent, channel="call")
    found = run(engine, quiet_hours, quiet(**config), sent + timedelta(hours=1))
    assert [f.subject for f in found] == ([f"message:{mid}"] if flags else [])


def test_finding_names_local_time_zone_and_source(engine: Engine) -> None:
    cid = customer(engine)
    sent = datetime(2026, 3, 6, 12, 30, tzinfo=UTC)
    message(engine, cid, sent)
    [finding] = run(engine, quiet_hours, quiet(timezones={"C001": "America/New_York"}),
                    sent + timedelta(hours=1))
    assert finding.title == "Outside contact hours: email to Brightline Builders at 07:30 EST"
    assert "Fri 06 Mar 2026 07:30 America/New_York time, outside the allowed 08:00–21:00" in (
        finding.summary
    )
    assert finding.details["timezone_source"] == "customer"


def test_the_contacts_own_zone_wins(engine: Engine) -> None:
    cid = customer(engine)
    with session_scope(engine) as session:
        session.add(Contact(customer_id=cid, email="kenji@brightline.example",
                            timezone="Asia/Tokyo"))
    sent = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)  # 08:00 Chicago, 23:00 Tokyo
    message(engine, cid, sent, to=["Kenji@brightline.example"])
    config = quiet(timezones={"C001": "America/Chicago"})
    [finding] = run(engine, quiet_hours, config, sent + timedelta(hours=1))
    assert finding.details["timezone"] == "Asia/Tokyo"
    assert finding.details["timezone_source"] == "contact"
    # Only outbound contacts, in the lookback window, up to `now`.
    message(engine, cid, sent - timedelta(hours=12), direction="inbound")
    assert len(run(engine, quiet_hours, config, sent + timedelta(days=8))) == 0
    assert len(run(engine, quiet_hours, config, sent - timedelta(minutes=1))) == 0


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"type": "quiet_hours", "default_timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"type": "quiet_hours", "default_timezone": "UTC", "timezones": {"C1": "US/Central"}},
         None),
        ({"type": "quiet_hours", "default_timezone": "UTC", "timezones": {"C1": "Nowhere"}},
         "C1: unknown time zone 'Nowhere'"),
        ({"type": "quiet_hours", "default_timezone": "UTC", "start": "21:00", "end": "08:00"},
         "start (21:00) must be before end (08:00)"),
        ({"type": "quiet_hours"}, "default_timezone"),
        ({"type": "contact_frequency", "timezone": "Europe/Londres"}, "unknown time zone"),
        ({"type": "contact_pause", "days": 0}, 'at least 1, or "ever"'),
        ({"type": "contact_pause", "days": "ever"}, None),
        ({"type": "contact_pause", "tags": []}, "at least 1 item"),
    ],
)
def test_config_validation(config: dict[str, Any], error: str | None) -> None:
    model: Any = {"quiet_hours": QuietHoursRuleConfig,
                  "contact_frequency": ContactFrequencyRuleConfig,
                  "contact_pause": ContactPauseRuleConfig}[config["type"]]
    if error is None:
        model.model_validate(config)
        return
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")):
        model.model_validate(config)


def test_quiet_hours_parse_from_strings() -> None:
    config = QuietHoursRuleConfig.model_validate(
        {"type": "quiet_hours", "default_timezone": "UTC", "start": "07:30", "end": "20:00"}
    )
    assert (config.start, config.end) == (time(7, 30), time(20, 0))
