"""Calling hours on the callee's clock: weekdays, holidays, daylight saving, splits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dialer.hours import (
    CallingHours,
    DailyWindow,
    is_open,
    next_open_everywhere,
    next_open_in_zone,
)

NINE_TO_NINE = CallingHours(default=DailyWindow(start=time(9), end=time(21)))
MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (utc(2026, 12, 8, 5, 59), False),  # 08:59 in Moscow
        (utc(2026, 12, 8, 6, 0), True),  # 09:00
        (utc(2026, 12, 8, 17, 59), True),  # 20:59
        (utc(2026, 12, 8, 18, 0), False),  # 21:00: the end is excluded
    ],
)
def test_window_is_read_on_the_callee_clock_when_checked(
    moment: datetime, open_: bool
) -> None:
    assert is_open(NINE_TO_NINE, MOSCOW, moment) is open_


def test_weekday_window_overrides_the_default_when_given() -> None:
    hours = CallingHours(
        default=DailyWindow(start=time(9), end=time(21)),
        weekdays={5: DailyWindow(start=time(10), end=time(18)), 6: None},
    )
    saturday_0930 = utc(2026, 12, 12, 6, 30)
    assert not is_open(hours, MOSCOW, saturday_0930)
    assert next_open_in_zone(hours, MOSCOW, saturday_0930) == utc(2026, 12, 12, 7)
    saturday_1900 = utc(2026, 12, 12, 16)
    # Sunday has no window, so the next opening is Monday at nine.
    assert next_open_in_zone(hours, MOSCOW, saturday_1900) == utc(2026, 12, 14, 6)


def test_holiday_is_skipped_when_looking_for_the_next_opening() -> None:
    hours = CallingHours(
        default=DailyWindow(start=time(9), end=time(21)),
        holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2)}),
    )
    assert not is_open(hours, MOSCOW, utc(2027, 1, 1, 10))
    assert next_open_in_zone(hours, MOSCOW, utc(2027, 1, 1, 10)) == utc(2027, 1, 3, 6)


def test_opening_follows_spring_forward_when_new_york_changes_clocks() -> None:
    # 2026-03-08: 02:00 EST becomes 03:00 EDT; nine o'clock is 13:00 UTC, not 14:00.
    assert next_open_in_zone(NINE_TO_NINE, NEW_YORK, utc(2026, 3, 8, 5)) == utc(
        2026, 3, 8, 13
    )
    assert is_open(NINE_TO_NINE, NEW_YORK, utc(2026, 3, 8, 13, 30))
    assert not is_open(NINE_TO_NINE, NEW_YORK, utc(2026, 3, 7, 13, 30))


def test_window_inside_the_skipped_hour_is_closed_when_clocks_spring_forward() -> None:
    hours = CallingHours(default=DailyWindow(start=time(2), end=time(2, 30)))
    # 02:00-02:30 does not exist on 2026-03-08 in New York: next is 03-09 02:00 EDT.
    assert next_open_in_zone(hours, NEW_YORK, utc(2026, 3, 8, 5)) == utc(2026, 3, 9, 6)


def test_opening_follows_fall_back_when_london_changes_clocks() -> None:
    # 2026-10-25: 02:00 BST becomes 01:00 GMT; nine moves from 08:00 UTC to 09:00.
    assert is_open(NINE_TO_NINE, LONDON, utc(2026, 10, 24, 8, 30))
    assert not is_open(NINE_TO_NINE, LONDON, utc(2026, 10, 25, 8, 30))
    assert next_open_in_zone(NINE_TO_NINE, LONDON, utc(2026, 10, 25, 8, 30)) == utc(
        2026, 10, 25, 9
    )


def test_split_region_opens_when_the_window_holds_in_every_zone() -> None:
    zones = (ZoneInfo("America/Chicago"), ZoneInfo("America/Denver"))
    # Nine in Denver (MST) is 16:00 UTC; nine in Chicago is an hour earlier.
    assert next_open_everywhere(NINE_TO_NINE, zones, utc(2026, 12, 8, 15)) == utc(
        2026, 12, 8, 16
    )
    # Twenty-one in Chicago (03:00 UTC) closes it for both.
    assert next_open_everywhere(NINE_TO_NINE, zones, utc(2026, 12, 9, 3)) == utc(
        2026, 12, 9, 16
    )


def test_no_opening_when_the_zones_never_share_the_window() -> None:
    hours = CallingHours(default=DailyWindow(start=time(9), end=time(12)))
    zones = (ZoneInfo("Europe/Kaliningrad"), ZoneInfo("Asia/Kamchatka"))
    assert next_open_everywhere(hours, zones, utc(2026, 12, 8)) is None
    assert next_open_everywhere(hours, (), utc(2026, 12, 8)) is None


def test_bad_window_data_is_rejected_when_built() -> None:
    with pytest.raises(ValueError, match="not before end"):
        DailyWindow(start=time(21), end=time(9))
    with pytest.raises(ValueError, match=r"\[7\]"):
        CallingHours(default=None, weekdays={7: None})
