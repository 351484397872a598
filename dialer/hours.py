"""Calling-hour windows in the callee's local time, with weekdays and holidays.

Pure: instants are aware datetimes given by the caller; local times come from
zoneinfo, so daylight-saving days are handled by the tz database, not by us.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEARCH_DAYS = 31
"""How far ahead an opening is looked for before the hours count as never open."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyWindow:
    """Calls allowed from `start` (inclusive) to `end` (exclusive), local time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} is not before end {self.end}")

    def holds(self, local: time) -> bool:
        return self.start <= local < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class CallingHours:
    """When a callee may be called, read on their own clock.

    `weekdays` overrides `default` per weekday (0 is Monday; None there means no
    calls that day); `holidays` are local dates with no calls at all.
    """

    default: DailyWindow | None
    weekdays: Mapping[int, DailyWindow | None] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if bad := sorted(d for d in self.weekdays if not 0 <= d <= 6):
            raise ValueError(f"weekday numbers must be 0 (Monday) to 6, not {bad}")

    def window_on(self, day: date) -> DailyWindow | None:
        if day in self.holidays:
            return None
        return self.weekdays.get(day.weekday(), self.default)


def is_open(hours: CallingHours, zone: ZoneInfo, now: datetime) -> bool:
    """Whether `now` (aware) falls inside the hours on that zone's clock."""
    local = now.astimezone(zone)
    window = hours.window_on(local.date())
    return window is not None and window.holds(local.time())


def next_open_in_zone(
    hours: CallingHours, zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first instant at or after `after` when the hours hold in `zone`."""
    if is_open(hours, zone, after):
        return after
    first_day = after.astimezone(zone).date()
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        window = hours.window_on(day)
        if window is None:
            continue
        # A start inside a spring-forward gap reads with the offset before the
        # change (fold=0), which lands just after the gap: the first real minute.
        start = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
        if start > after and is_open(hours, zone, start):
            return start
    return None


def next_open_everywhere(
    hours: CallingHours, zones: Sequence[ZoneInfo], after: datetime
) -> datetime | None:
    """The first instant at or after `after` when the hours hold in every zone.

    When a zone is closed at t, nothing before its next opening can suit all, so
    t jumps there; t only moves forward and stops at the search horizon.
    """
    if not zones:
        return None
    horizon = after + timedelta(days=SEARCH_DAYS)
    moment = after
    while moment <= horizon:
        closed = next((z for z in zones if not is_open(hours, z, moment)), None)
        if closed is None:
            return moment
        opening = next_open_in_zone(hours, closed, moment)
        if opening is None:
            return None
        moment = opening
    return None
