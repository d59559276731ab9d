"""The business-hours calendar behind SLA clocks, at explicit instants.

Expected values are worked out by hand (office hours 09:00-17:30 unless a test says otherwise);
the random tests compare against a plain day-by-day reference written straight from zoneinfo.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from monitor.calendar import BusinessCalendar, CalendarConfig

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)

UTC_CAL = BusinessCalendar(CalendarConfig())
ENGLAND = BusinessCalendar(
    CalendarConfig(timezone="Europe/London", holidays_country="GB", holidays_subdivision="ENG")
)
SCOTLAND = BusinessCalendar(
    CalendarConfig(timezone="Europe/London", holidays_country="GB", holidays_subdivision="SCT")
)
NEW_YORK_US = BusinessCalendar(CalendarConfig(timezone="America/New_York", holidays_country="US"))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def lon(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def every_day(zone: str, opens: time, closes: time) -> BusinessCalendar:
    return BusinessCalendar(
        CalendarConfig(timezone=zone, workdays=list(range(7)), opens=opens, closes=closes)
    )


# --- nights, weekends, closing time -------------------------------------------------------


def test_night_is_skipped() -> None:
    # Monday 2026-11-16.
    assert UTC_CAL.between(utc(2026, 11, 16, 17), utc(2026, 11, 17, 10)) == 90 * M
    assert UTC_CAL.add(utc(2026, 11, 16, 17), H) == utc(2026, 11, 17, 9, 30)
    assert UTC_CAL.between(utc(2026, 11, 16, 17, 30), utc(2026, 11, 17, 9)) == timedelta(0)


def test_opening_instant_is_open_closing_instant_is_not() -> None:
    assert UTC_CAL.is_open(utc(2026, 11, 16, 9))
    assert not UTC_CAL.is_open(utc(2026, 11, 16, 9) - US)
    assert UTC_CAL.is_open(utc(2026, 11, 16, 17, 30) - US)
    assert not UTC_CAL.is_open(utc(2026, 11, 16, 17, 30))


def test_add_landing_on_closing_time_returns_closing_time() -> None:
    assert UTC_CAL.add(utc(2026, 11, 16, 9), timedelta(hours=8, minutes=30)) == utc(
        2026, 11, 16, 17, 30
    )
    assert UTC_CAL.add(utc(2026, 11, 16, 17), 30 * M) == utc(2026, 11, 16, 17, 30)
    # One microsecond more spills into the next morning.
    assert UTC_CAL.add(utc(2026, 11, 16, 17), 30 * M + US) == utc(2026, 11, 17, 9) + US
    # Friday closing time stays on Friday, not Monday.
    assert UTC_CAL.add(utc(2026, 11, 19, 17, 30), timedelta(hours=8, minutes=30)) == utc(
        2026, 11, 20, 17, 30
    )


def test_weekend_is_skipped() -> None:
    # Friday 2026-11-20 to Monday 2026-11-23.
    assert UTC_CAL.between(utc(2026, 11, 20, 12), utc(2026, 11, 23, 12)) == timedelta(
        hours=8, minutes=30
    )
    assert UTC_CAL.add(utc(2026, 11, 20, 17), H) == utc(2026, 11, 23, 9, 30)
    assert not UTC_CAL.is_open(utc(2026, 11, 21, 12))
    assert UTC_CAL.next_open(utc(2026, 11, 21, 12)) == utc(2026, 11, 23, 9)


def test_custom_working_week_and_hours() -> None:
    # Sunday-Thursday, 08:00-16:00 in Dubai (UTC+4, no DST).
    cal = BusinessCalendar(
        CalendarConfig(
            timezone="Asia/Dubai", workdays=[6, 0, 1, 2, 3], opens=time(8), closes=time(16)
        )
    )
    # Thursday 2026-11-19 15:00 local (11:00 UTC) + 2 h -> Sunday 09:00 local.
    assert cal.add(utc(2026, 11, 19, 11), 2 * H) == utc(2026, 11, 22, 5)
    assert not cal.is_open(utc(2026, 11, 20, 8))  # Friday noon local


# --- outside hours, zero, end before start -----------------------------------------------


def test_start_outside_hours() -> None:
    # Before opening: the clock starts at 09:00.
    assert UTC_CAL.add(utc(2026, 11, 17, 7), H) == utc(2026, 11, 17, 10)
    # Saturday evening: the clock starts on Monday.
    assert UTC_CAL.add(utc(2026, 11, 21, 20), H) == utc(2026, 11, 23, 10)
    assert UTC_CAL.between(utc(2026, 11, 21, 20), utc(2026, 11, 23, 10)) == H
    assert UTC_CAL.next_open(utc(2026, 11, 17, 7)) == utc(2026, 11, 17, 9)
    assert UTC_CAL.next_open(utc(2026, 11, 17, 17, 30)) == utc(2026, 11, 18, 9)


def test_inside_hours_next_open_is_the_instant_itself() -> None:
    when = utc(2026, 11, 17, 12, 34, 56, 789)
    assert UTC_CAL.next_open(when) == when
    assert ENGLAND.next_open(lon(2026, 7, 1, 12)) == utc(2026, 7, 1, 11)


def test_zero_business_time_returns_start() -> None:
    assert UTC_CAL.add(utc(2026, 11, 21, 20), timedelta(0)) == utc(2026, 11, 21, 20)
    assert UTC_CAL.add(utc(2026, 11, 17, 12), timedelta(0)) == utc(2026, 11, 17, 12)


def test_end_not_after_start_is_zero() -> None:
    assert UTC_CAL.between(utc(2026, 11, 17, 12), utc(2026, 11, 17, 12)) == timedelta(0)
    assert UTC_CAL.between(utc(2026, 11, 18, 12), utc(2026, 11, 17, 12)) == timedelta(0)


def test_negative_business_time_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        UTC_CAL.add(utc(2026, 11, 17, 12), -H)


def test_results_are_utc() -> None:
    result = ENGLAND.add(lon(2026, 7, 1, 12), H)
    assert result.tzinfo is UTC
    assert result == utc(2026, 7, 1, 12)
    assert NEW_YORK_US.next_open(ny(2026, 7, 4, 12)).tzinfo is UTC


# --- holidays -----------------------------------------------------------------------------


def test_country_holidays_with_observed_days() -> None:
    # Thu 24 Dec 2026; 25 Christmas, 26-27 weekend, Mon 28 Boxing Day (substitute).
    start = lon(2026, 12, 24, 17)
    assert ENGLAND.add(start, 8 * H) == utc(2026, 12, 29, 16, 30)
    assert ENGLAND.between(start, lon(2026, 12, 29, 9)) == 30 * M
    assert not ENGLAND.is_open(lon(2026, 12, 28, 12))
    # Without a holiday calendar the same span is a working Christmas.
    plain = BusinessCalendar(CalendarConfig(timezone="Europe/London"))
    assert plain.add(start, 8 * H) == utc(2026, 12, 25, 16, 30)


def test_subdivision_holidays_differ() -> None:
    # Friday 2 January 2026 is a bank holiday in Scotland but not in England.
    assert ENGLAND.between(lon(2026, 1, 2), lon(2026, 1, 3)) == timedelta(hours=8, minutes=30)
    assert SCOTLAND.between(lon(2026, 1, 2), lon(2026, 1, 3)) == timedelta(0)


def test_us_holiday_in_new_york() -> None:
    # Thanksgiving, Thursday 26 November 2026; Friday is a working day for federal holidays.
    assert NEW_YORK_US.add(ny(2026, 11, 25, 17), H) == ny(2026, 11, 27, 9, 30)
    assert NEW_YORK_US.add(ny(2026, 11, 25, 17), H) == utc(2026, 11, 27, 14, 30)


def test_extra_company_holidays() -> None:
    shutdown = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    cal = BusinessCalendar(
        CalendarConfig(
            timezone="Europe/London",
            holidays_country="GB",
            holidays_subdivision="ENG",
            holidays=shutdown,
        )
    )
    start = lon(2026, 12, 24, 17)
    # Only Monday 4 January 2027 is left after the shutdown and New Year's Day.
    assert cal.add(start, 8 * H) == utc(2027, 1, 4, 16, 30)
    assert cal.between(lon(2026, 12, 24), lon(2027, 1, 5)) == 17 * H
    assert ENGLAND.between(lon(2026, 12, 24), lon(2027, 1, 5)) == timedelta(hours=42.5)
    # Extra closed days alone, without a country.
    alone = BusinessCalendar(CalendarConfig(holidays=[date(2026, 11, 17)]))
    assert alone.add(utc(2026, 11, 16, 17), H) == utc(2026, 11, 18, 9, 30)


def test_start_on_a_holiday() -> None:
    christmas = lon(2026, 12, 25, 10)
    assert not ENGLAND.is_open(christmas)
    assert ENGLAND.next_open(christmas) == utc(2026, 12, 29, 9)
    assert ENGLAND.add(christmas, H) == utc(2026, 12, 29, 10)
    assert ENGLAND.between(christmas, lon(2026, 12, 28, 23)) == timedelta(0)


def test_span_across_year_end() -> None:
    # Thu 31 Dec 2026 17:00; Fri 1 Jan 2027 is a holiday, then a weekend.
    start = lon(2026, 12, 31, 17)
    assert ENGLAND.between(start, lon(2027, 1, 4, 10)) == 90 * M
    assert ENGLAND.add(start, 8 * H) == utc(2027, 1, 4, 16, 30)
    # Same in UTC with no holidays: Thu 31 Dec -> Fri 1 Jan.
    assert UTC_CAL.add(utc(2026, 12, 31, 17), H) == utc(2027, 1, 1, 9, 30)


def test_multi_year_span_counts_every_weekday() -> None:
    start, end = date(2025, 1, 1), date(2028, 1, 1)
    weekdays = sum(
        1 for n in range((end - start).days) if (start + timedelta(days=n)).weekday() < 5
    )
    expected = weekdays * timedelta(hours=8, minutes=30)
    assert UTC_CAL.between(utc(2025, 1, 1), utc(2028, 1, 1)) == expected
    assert UTC_CAL.add(utc(2025, 1, 1), expected) == utc(2027, 12, 31, 17, 30)


# --- daylight saving time -----------------------------------------------------------------


def test_london_spring_forward() -> None:
    # BST starts Sun 29 Mar 2026 01:00 UTC. Fri 27: 09:00-17:30 UTC; Mon 30: 08:00-16:30 UTC.
    assert ENGLAND.add(utc(2026, 3, 27, 17), H) == utc(2026, 3, 30, 8, 30)
    assert ENGLAND.between(utc(2026, 3, 27, 17), utc(2026, 3, 30, 9)) == 90 * M
    assert ENGLAND.next_open(utc(2026, 3, 28)) == utc(2026, 3, 30, 8)
    # With a seven-day week the transition day itself opens at 09:00 BST = 08:00 UTC.
    daily = every_day("Europe/London", time(9), time(17, 30))
    assert daily.next_open(utc(2026, 3, 28, 18)) == utc(2026, 3, 29, 8)
    assert daily.between(lon(2026, 3, 28), lon(2026, 3, 30)) == 17 * H


def test_london_fall_back() -> None:
    # BST ends Sun 25 Oct 2026 01:00 UTC. Fri 23: 08:00-16:30 UTC; Mon 26: 09:00-17:30 UTC.
    assert ENGLAND.add(lon(2026, 10, 23, 17), H) == utc(2026, 10, 26, 9, 30)
    assert ENGLAND.between(utc(2026, 10, 23, 16), utc(2026, 10, 26, 10)) == 90 * M
    daily = every_day("Europe/London", time(9), time(17, 30))
    assert daily.next_open(utc(2026, 10, 24, 18)) == utc(2026, 10, 25, 9)
    assert daily.between(lon(2026, 10, 24), lon(2026, 10, 26)) == 17 * H


def test_london_change_inside_office_hours_changes_the_day_length() -> None:
    # Office hours 00:30-03:00 local straddle the 01:00 UTC changes.
    night = every_day("Europe/London", time(0, 30), time(3))
    assert night.between(lon(2026, 3, 28), lon(2026, 3, 29)) == 150 * M
    assert night.between(lon(2026, 3, 29), lon(2026, 3, 30)) == 90 * M  # 00:30 GMT-03:00 BST
    assert night.between(lon(2026, 10, 25), lon(2026, 10, 26)) == 210 * M  # 00:30 BST-03:00 GMT
    assert night.add(lon(2026, 10, 25, 0, 30), 3 * H) == utc(2026, 10, 25, 2, 30)


def test_new_york_spring_forward() -> None:
    # EDT starts Sun 8 Mar 2026. Fri 6: 14:00-22:30 UTC; Mon 9: 13:00-21:30 UTC.
    assert NEW_YORK_US.add(ny(2026, 3, 6, 17), H) == utc(2026, 3, 9, 13, 30)
    assert NEW_YORK_US.between(utc(2026, 3, 6, 22), utc(2026, 3, 9, 14)) == 90 * M
    daily = every_day("America/New_York", time(9), time(17, 30))
    assert daily.next_open(utc(2026, 3, 7, 23)) == utc(2026, 3, 8, 13)
    assert daily.between(ny(2026, 3, 7), ny(2026, 3, 9)) == 17 * H


def test_new_york_fall_back() -> None:
    # EDT ends Sun 1 Nov 2026. Fri 30 Oct: 13:00-21:30 UTC; Mon 2 Nov: 14:00-22:30 UTC.
    assert NEW_YORK_US.add(ny(2026, 10, 30, 17), H) == utc(2026, 11, 2, 14, 30)
    assert NEW_YORK_US.between(utc(2026, 10, 30, 21), utc(2026, 11, 2, 15)) == 90 * M
    daily = every_day("America/New_York", time(9), time(17, 30))
    assert daily.next_open(utc(2026, 10, 31, 23)) == utc(2026, 11, 1, 14)


def test_new_york_repeated_hour_opens_at_first_occurrence() -> None:
    early = every_day("America/New_York", time(1, 30), time(4))
    # 01:30 happens twice on 1 Nov; the office opens at the first (EDT, 05:30 UTC).
    assert early.next_open(ny(2026, 11, 1)) == utc(2026, 11, 1, 5, 30)
    assert early.between(ny(2026, 11, 1), ny(2026, 11, 2)) == 210 * M
    assert early.between(ny(2026, 3, 8), ny(2026, 3, 9)) == 90 * M  # 01:30 EST-04:00 EDT
    assert early.between(ny(2026, 3, 9), ny(2026, 3, 10)) == 150 * M


def test_new_york_time_skipped_by_spring_forward() -> None:
    # 02:30 does not exist on 8 Mar: the office opens when the clock jumps to 03:00 EDT.
    gap_open = every_day("America/New_York", time(2, 30), time(4))
    assert gap_open.next_open(ny(2026, 3, 8)) == utc(2026, 3, 8, 7)
    assert not gap_open.is_open(utc(2026, 3, 8, 7) - US)
    assert gap_open.between(ny(2026, 3, 8), ny(2026, 3, 9)) == H
    # Closing at 02:30 that day: it closes at the jump, 07:00 UTC.
    gap_close = every_day("America/New_York", time(1), time(2, 30))
    assert gap_close.add(ny(2026, 3, 8), H) == utc(2026, 3, 8, 7)
    assert gap_close.between(ny(2026, 3, 8), ny(2026, 3, 9)) == H


# --- round trips and a reference ---------------------------------------------------------

RANDOM_CALENDARS = [
    CalendarConfig(),
    CalendarConfig(
        timezone="Europe/London",
        holidays_country="GB",
        holidays_subdivision="ENG",
        holidays=[date(2026, 12, 29), date(2026, 12, 30)],
    ),
    CalendarConfig(timezone="America/New_York", holidays_country="US"),
    # Office hours that contain the DST changes themselves.
    CalendarConfig(
        timezone="America/New_York", workdays=list(range(7)), opens=time(0), closes=time(23, 59, 59)
    ),
    # Half-hour DST shift, Sunday-Thursday week.
    CalendarConfig(
        timezone="Australia/Lord_Howe",
        workdays=[6, 0, 1, 2, 3],
        opens=time(8, 15),
        closes=time(16, 45),
    ),
]


RANDOM_IDS = ["utc", "london-gb", "new-york-us", "new-york-all-day", "lord-howe"]


def reference_between(config: CalendarConfig, start: datetime, end: datetime) -> timedelta:
    """Day by day, straight from zoneinfo; fine for hours that no DST change skips."""
    zone = ZoneInfo(config.timezone)
    closed = set(config.holidays)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if config.holidays_country:
        closed |= set(
            holidays.country_holidays(
                config.holidays_country,
                subdiv=config.holidays_subdivision,
                years=range(first.year - 1, last.year + 2),
            )
        )
    total = timedelta(0)
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        if day.weekday() in config.workdays and day not in closed:
            # In UTC, so that min/max/subtraction compare instants, not wall times.
            opens = datetime.combine(day, config.opens, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, config.closes, tzinfo=zone).astimezone(UTC)
            low, high = max(opens, start), min(closes, end)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total


def random_instant(rng: random.Random) -> datetime:
    # 2025-10-01 .. 2028-04-01 in whole microseconds: spans year ends and every DST change.
    return utc(2025, 10, 1) + timedelta(microseconds=rng.randrange(913 * 86_400_000_000))


@pytest.mark.parametrize("config", RANDOM_CALENDARS, ids=RANDOM_IDS)
def test_add_and_between_round_trip(config: CalendarConfig) -> None:
    cal = BusinessCalendar(config)
    rng = random.Random(20261120)
    for _ in range(400):
        start = random_instant(rng)
        business = timedelta(microseconds=rng.randrange(1, 40 * 8 * 3_600_000_000))
        end = cal.add(start, business)
        assert end > start
        assert cal.between(start, end) == business, (start, business)
        # And it is the earliest such instant: a microsecond earlier is short by exactly that.
        assert cal.between(start, end - US) == business - US, (start, business)


@pytest.mark.parametrize("config", RANDOM_CALENDARS, ids=RANDOM_IDS)
def test_between_matches_reference(config: CalendarConfig) -> None:
    cal = BusinessCalendar(config)
    rng = random.Random(7)
    for _ in range(150):
        start = random_instant(rng)
        end = start + timedelta(microseconds=rng.randrange(45 * 86_400_000_000))
        assert cal.between(start, end) == reference_between(config, start, end), (start, end)
        opened = cal.next_open(start)
        assert cal.is_open(opened)
        assert cal.between(start, opened) == timedelta(0)


# --- rejected input and config ------------------------------------------------------------


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 11, 17, 12)
    aware = utc(2026, 11, 17, 12)
    for call in (
        lambda: UTC_CAL.is_open(naive),
        lambda: UTC_CAL.next_open(naive),
        lambda: UTC_CAL.add(naive, H),
        lambda: UTC_CAL.between(naive, aware),
        lambda: UTC_CAL.between(aware, naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware, got naive 2026-11-17T12:00:00"):
            call()


def test_bad_timezone_rejected_naming_it() -> None:
    for name in ("Mars/Olympus_Mons", "Europe/london", "Europe", "../etc/passwd", ""):
        with pytest.raises(ValueError, match=f"unknown time zone '{name}'"):
            CalendarConfig(timezone=name)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"opens": time(17, 30), "closes": time(9)}, "opens .* must be before closes"),
        ({"opens": time(9), "closes": time(9)}, "opens .* must be before closes"),
        ({"workdays": []}, "workdays is empty"),
        ({"workdays": [0, 7]}, r"workdays \[7\] out of range"),
        ({"workdays": [0, 0]}, "repeats a day"),
        ({"opens": time(9, tzinfo=UTC)}, "has a UTC offset"),
        ({"holidays_country": "XX"}, "holidays_country 'XX'"),
        ({"holidays_country": "GB", "holidays_subdivision": "XYZ"}, "holidays_subdivision 'XYZ'"),
        ({"holidays_subdivision": "ENG"}, "needs holidays_country"),
        ({"timezon": "UTC"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_config_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CalendarConfig.model_validate(fields)


def test_calendar_reuses_only_the_same_instant() -> None:
    """`between` keeps the last end's position; a different end, or the same instant in
    another zone, gives what a fresh calendar gives."""
    rng = random.Random(5)
    fresh = CalendarConfig(timezone="Europe/London", holidays_country="GB",
                           holidays_subdivision="ENG")
    base = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)
    calendar = BusinessCalendar(fresh)
    ends = [base + timedelta(hours=rng.uniform(0, 600)) for _ in range(4)]
    for _ in range(300):
        start = base + timedelta(hours=rng.uniform(-100, 600))
        end = rng.choice(ends)
        if rng.random() < 0.3:
            end = end.astimezone(calendar._tz)  # noqa: SLF001  (the same instant, local time)
        assert calendar.between(start, end) == BusinessCalendar(fresh).between(start, end)
    with pytest.raises(ValueError, match="naive"):
        calendar.between(base, ends[0].replace(tzinfo=None))
