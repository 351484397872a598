"""The zones a callee may be in, by address and by number prefix."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialer.zones import PREFIX_ZONES, RUSSIA, callee_zones, zones_for_number


def test_every_zone_in_the_table_loads_when_read_from_the_tz_database() -> None:
    for zones in PREFIX_ZONES.values():
        for name in zones:
            assert str(ZoneInfo(name)) == name


def test_russian_zones_span_eleven_offsets_when_compared_on_one_day() -> None:
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    offsets = {winter.astimezone(ZoneInfo(name)).utcoffset() for name in RUSSIA}
    assert len(offsets) == 11


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        ("+74951234567", ("Europe/Moscow",)),
        ("+74012123456", ("Europe/Kaliningrad",)),
        ("+74152123456", ("Asia/Kamchatka",)),
        ("+74112123456", ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk")),
        ("+79161234567", RUSSIA),
        ("+12125551234", ("America/New_York",)),
        ("+16055551234", ("America/Chicago", "America/Denver")),
        ("+447700900123", ("Europe/London",)),
        ("+999123456789", ()),
    ],
)
def test_longest_prefix_gives_the_zones_when_no_address_is_known(
    number: str, zones: tuple[str, ...]
) -> None:
    assert zones_for_number(number) == zones
    assert tuple(str(z) for z in callee_zones(number, None)) == zones


def test_address_zone_wins_when_it_names_a_known_zone() -> None:
    assert callee_zones("+79161234567", "Asia/Omsk") == (ZoneInfo("Asia/Omsk"),)


def test_prefix_zones_are_used_when_the_address_zone_is_unknown() -> None:
    zones = callee_zones("+16055551234", "Mars/Olympus")
    assert zones == (ZoneInfo("America/Chicago"), ZoneInfo("America/Denver"))
