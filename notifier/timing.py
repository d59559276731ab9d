"""Clock arithmetic for delivery: retry back-off with jitter and quiet-hour windows."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 3600.0


def backoff(failures: int, rng: random.Random | None = None) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour, with "full jitter" on the upper half so that
    many workers retrying one server do not all come back in the same second."""
    ceiling = min(BACKOFF_BASE_SECONDS * 2 ** max(failures - 1, 0), BACKOFF_CAP_SECONDS)
    jitter = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * jitter)


def quiet_until(now: datetime, window: tuple[time, time], zone: ZoneInfo) -> datetime | None:
    """When the quiet window that `now` falls in ends (UTC), or None if `now` is not quiet.
    A window may cross midnight ("19:00-07:00")."""
    start, end = window
    local = now.astimezone(zone)
    t = local.timetz().replace(tzinfo=None)
    if start == end:
        return None
    crosses = start > end
    quiet = (t >= start or t < end) if crosses else (start <= t < end)
    if not quiet:
        return None
    day = local.date()
    if crosses and t >= start:
        day += timedelta(days=1)
    until = datetime.combine(day, end, tzinfo=zone)
    return until.astimezone(now.tzinfo)

