"""Business-hours calendar for response-SLA clocks.

An SLA such as "first response to a dispute within 8 business hours" counts only the time the
AR team is at work: office hours on workdays in the team's time zone, minus public holidays
and company shutdowns. Rules are pure functions of a store view and `now`, so everything here
is a pure function of its arguments and the config; nothing reads the clock.

Business hours are wall-clock hours in the calendar's zone. Across a DST change a business day
still runs 09:00-17:30 local time; only a change that falls inside office hours makes that day
hold more or less elapsed time.

A sweep asks for ~200,000 threads at a time, so the calendar does no minute- or day-stepping
per call. Each local calendar year is turned, once, into a table of per-day opening and
closing instants (integer microseconds since the epoch, so the arithmetic is exact and
`between(s, add(s, d)) == d` holds to the microsecond) and a running total of open time. A
call is then a time-zone conversion, a few list look-ups and, for `add`, one bisection, plus
one step per calendar year crossed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import field_validator, model_validator

from commwatch.configbase import StrictModel

__all__ = ["BusinessCalendar", "CalendarConfig"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
# Local years whose tables can be built without datetime overflowing at either end.
_MIN_YEAR = 2
_MAX_YEAR = 9998


class CalendarConfig(StrictModel):
    """When the team is at work: the zone, the working week, office hours and closed days."""

    timezone: str = "UTC"
    workdays: list[int] = [0, 1, 2, 3, 4]
    opens: time = time(9, 0)
    closes: time = time(17, 30)
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    holidays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # Checked here, not on first use, so a typo stops start-up with the key's path.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as "
                "'Europe/London' or 'America/New_York'"
            ) from None
        return value

    @field_validator("workdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("workdays is empty: an SLA clock would never run")
        bad = [day for day in value if not 0 <= day <= 6]
        if bad:
            raise ValueError(f"workdays {bad} out of range: Monday is 0 and Sunday is 6")
        if len(set(value)) != len(value):
            raise ValueError(f"workdays {value} repeats a day")
        return sorted(value)

    @field_validator("opens", "closes")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        # Office hours are read in `timezone`; a time carrying its own offset would be ambiguous.
        if value.tzinfo is not None:
            raise ValueError(f"{value} has a UTC offset; give a local time, the zone is `timezone`")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CalendarConfig:
        if self.opens >= self.closes:
            raise ValueError(
                f"opens ({self.opens}) must be before closes ({self.closes}) on the same day"
            )
        if self.holidays_subdivision is not None and self.holidays_country is None:
            raise ValueError("holidays_subdivision needs holidays_country")
        if self.holidays_country is not None:
            try:
                holidays_lib.country_holidays(
                    self.holidays_country, subdiv=self.holidays_subdivision, years=[]
                )
            except NotImplementedError as exc:
                raise ValueError(
                    f"holidays_country {self.holidays_country!r} / holidays_subdivision "
                    f"{self.holidays_subdivision!r} not known to the holidays package ({exc}); "
                    "use ISO 3166 codes such as 'GB' and 'ENG'"
                ) from None
        return self


@dataclass(frozen=True, slots=True)
class _Year:
    """One local calendar year: day `i` is the `first_ordinal + i`th day.

    `opens[i]`/`closes[i]` are the day's office hours as microseconds since the epoch; on a
    closed day they are equal, so every formula below gives it zero open time without a
    special case. `before[i]` is the open time in days `0..i-1`, `before[-1]` the year's total.
    """

    first_ordinal: int
    opens: list[int]
    closes: list[int]
    before: list[int]


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _ONE_US


def _utc(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _instant(when: datetime, name: str) -> int:
    """Microseconds since the epoch; refuses naive datetimes, whose instant is a guess."""
    if not isinstance(when, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware, got naive {when.isoformat()}; "
            "attach a zone, e.g. tzinfo=UTC"
        )
    return _micros(when)


class BusinessCalendar:
    """Open time between instants, and the instant after a given amount of open time.

    An office day is the half-open interval [opens, closes) in local wall-clock time; all
    arguments must be timezone-aware and all results are in UTC. Year tables, and with them
    the holiday sets, are built on first use and kept; building one costs about a millisecond.
    """

    def __init__(self, config: CalendarConfig) -> None:
        self.config = config
        self._tz = ZoneInfo(config.timezone)
        self._workdays = frozenset(config.workdays)
        self._extra_closed = frozenset(config.holidays)
        self._years: dict[int, _Year] = {}
        self._holiday_sets: dict[int, frozenset[date]] = {}
        # The last position computed, with the instant it is for: a sweep measures thousands
        # of clocks up to the same `now`. One tuple, replaced whole, so threads sharing the
        # calendar never see an instant paired with another instant's position.
        self._last: tuple[datetime, tuple[int, int, int]] | None = None

    def is_open(self, when: datetime) -> bool:
        """Whether `when` is inside office hours (opening instant included, closing not)."""
        t = _instant(when, "when")
        local = when.astimezone(self._tz)
        table = self._table(local.year)
        i = local.toordinal() - table.first_ordinal
        return table.opens[i] <= t < table.closes[i]

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when `end` is not after `start`."""
        t0, year0, into0 = self._position(start, "start")
        last = self._last
        if last is not None and last[0] == end and end.tzinfo is not None:
            t1, year1, into1 = last[1]
        else:
            t1, year1, into1 = position = self._position(end, "end")
            self._last = (end, position)
        if t1 <= t0:
            return timedelta(0)
        # Whole years between the two are summed from their totals, not walked.
        total = into1 - into0
        for year in range(year0, year1):
            total += self._table(year).before[-1]
        return timedelta(microseconds=total)

    def add(self, start: datetime, business: timedelta) -> datetime:
        """The instant at which `business` worth of open time has elapsed since `start`.

        Landing exactly on a closing time returns that closing time, not the next opening:
        a reply sent at 17:30 to an SLA due at 17:30 is on time. `business == 0` returns
        `start` itself, even outside office hours.
        """
        if business < timedelta(0):
            raise ValueError(f"business must not be negative, got {business}")
        t, year, into = self._position(start, "start")
        if not business:
            return _utc(t)
        return self._at(year, into + business // _ONE_US)

    def next_open(self, when: datetime) -> datetime:
        """`when` itself if the office is open then, else the next opening instant."""
        t, year, into = self._position(when, "when")
        # The first microsecond of open time after `when` starts either at `when` (if open)
        # or at the next opening; stepping back one microsecond gives that instant exactly.
        return self._at(year, into + 1) - _ONE_US

    def _position(self, when: datetime, name: str) -> tuple[int, int, int]:
        """(instant, local year, open time from the start of that year up to the instant)."""
        t = _instant(when, name)
        local = when.astimezone(self._tz)
        year = local.year
        table = self._table(year)
        i = local.toordinal() - table.first_ordinal
        opens = table.opens[i]
        closes = table.closes[i]
        if t <= opens:
            inside = 0
        elif t >= closes:
            inside = closes - opens
        else:
            inside = t - opens
        return t, year, table.before[i] + inside

    def _at(self, year: int, target: int) -> datetime:
        """The earliest instant with `target` µs (> 0) of open time since the start of `year`."""
        table = self._table(year)
        while target > table.before[-1]:
            target -= table.before[-1]
            year += 1
            table = self._table(year)
        # before[k - 1] < target <= before[k]: the target falls on day k - 1, which is open.
        day = bisect_left(table.before, target) - 1
        return _utc(table.opens[day] + target - table.before[day])

    def _table(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build(year)
        return table

    def _build(self, year: int) -> _Year:
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise ValueError(f"year {year} is outside the calendar's range")
        closed = self._holidays(year) | self._extra_closed
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        opens: list[int] = []
        closes: list[int] = []
        before = [0]
        previous_close = self._wall_instant(date.fromordinal(first - 1), self.config.closes)
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            # Clamped so instants never run backwards, whatever the zone's transitions do;
            # the formulas in `_position` and `_at` rely on that order.
            open_at = max(self._wall_instant(day, self.config.opens), previous_close)
            if day.weekday() in self._workdays and day not in closed:
                close_at = max(self._wall_instant(day, self.config.closes), open_at)
                previous_close = close_at
            else:
                close_at = open_at
            opens.append(open_at)
            closes.append(close_at)
            before.append(before[-1] + close_at - open_at)
        return _Year(first, opens, closes, before)

    def _holidays(self, year: int) -> frozenset[date]:
        """Public holidays (observed/substitute days included) in `year`, cached per year."""
        cached = self._holiday_sets.get(year)
        if cached is not None:
            return cached
        found: frozenset[date] = frozenset()
        if self.config.holidays_country is not None:
            named = holidays_lib.country_holidays(
                self.config.holidays_country,
                subdiv=self.config.holidays_subdivision,
                years=year,
            )
            found = frozenset(day for day in named if day.year == year)
        self._holiday_sets[year] = found
        return found

    def _wall_instant(self, day: date, wall: time) -> int:
        """The first instant at which the local clock on `day` reads `wall` or later.

        Normally that is just `wall` in the zone (in a repeated autumn hour, its first
        occurrence). When `wall` falls in a spring-forward gap it never shows on the clock,
        and PEP 495 would read it with the old offset, i.e. one gap-length after the jump;
        the office opens (or closes) at the jump itself, so that instant is searched for.
        """
        local = datetime.combine(day, wall, tzinfo=self._tz)
        late = _micros(local)
        naive = local.replace(tzinfo=None)
        if _utc(late).astimezone(self._tz).replace(tzinfo=None) == naive:
            return late
        # Read with the new offset the wall time lands before the jump, when the clock still
        # showed an earlier time; the first instant showing `wall` or later lies in (early, late].
        early = _micros(local.replace(fold=1))
        while late - early > 1:
            middle = (early + late) // 2
            if _utc(middle).astimezone(self._tz).replace(tzinfo=None) >= naive:
                late = middle
            else:
                early = middle
        return late
