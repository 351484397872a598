"""The time zones a callee may be in: the customer's address, else the number's prefix.

Pure: a small prefix table for the countries the product serves, no I/O. A prefix
whose region spans several zones gives them all, so callers check every one.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RUSSIA = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)
"""Every Russian zone (UTC+2 to UTC+12): mobile numbers move with their owners."""

NORTH_AMERICA = (
    "America/St_Johns",
    "America/Halifax",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Adak",
    "Pacific/Honolulu",
)

PREFIX_ZONES: dict[str, tuple[str, ...]] = {
    "+7": RUSSIA,
    "+7495": ("Europe/Moscow",),
    "+7499": ("Europe/Moscow",),
    "+7812": ("Europe/Moscow",),
    "+7843": ("Europe/Moscow",),
    "+7861": ("Europe/Moscow",),
    "+7401": ("Europe/Kaliningrad",),
    "+7846": ("Europe/Samara",),
    "+7848": ("Europe/Samara",),
    "+7343": ("Asia/Yekaterinburg",),
    "+7351": ("Asia/Yekaterinburg",),
    "+7381": ("Asia/Omsk",),
    "+7383": ("Asia/Novosibirsk",),
    "+7391": ("Asia/Krasnoyarsk",),
    "+7395": ("Asia/Irkutsk",),
    # Yakutia spans three zones under one area code.
    "+7411": ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk"),
    "+7423": ("Asia/Vladivostok",),
    "+7413": ("Asia/Magadan",),
    "+7415": ("Asia/Kamchatka",),
    "+76": ("Asia/Almaty", "Asia/Qyzylorda", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Oral"),
    "+77": ("Asia/Almaty", "Asia/Qyzylorda", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Oral"),
    "+1": NORTH_AMERICA,
    "+1212": ("America/New_York",),
    "+1646": ("America/New_York",),
    "+1917": ("America/New_York",),
    "+1312": ("America/Chicago",),
    "+1303": ("America/Denver",),
    "+1602": ("America/Phoenix",),
    "+1213": ("America/Los_Angeles",),
    "+1415": ("America/Los_Angeles",),
    "+1808": ("Pacific/Honolulu",),
    "+1907": ("America/Anchorage", "America/Adak"),
    "+1605": ("America/Chicago", "America/Denver"),
    "+1850": ("America/New_York", "America/Chicago"),
    "+44": ("Europe/London",),
    "+375": ("Europe/Minsk",),
    "+380": ("Europe/Kyiv",),
    "+49": ("Europe/Berlin",),
}
"""E.164 prefix to the zones its numbers may be in; the longest prefix wins."""

_LONGEST_PREFIX = max(len(p) for p in PREFIX_ZONES)


def zones_for_number(e164: str) -> tuple[str, ...]:
    """The zones a number may be in by its prefix; () when the prefix is unknown."""
    for size in range(min(len(e164), _LONGEST_PREFIX), 1, -1):
        zones = PREFIX_ZONES.get(e164[:size])
        if zones is not None:
            return zones
    return ()


def callee_zones(e164: str, address_zone: str | None) -> tuple[ZoneInfo, ...]:
    """The callee's zone from their address if it names a known zone, else by prefix.

    An address zone the tz database does not know falls back to the prefix rather
    than failing: every zone the prefix may mean is then checked.
    """
    if address_zone is not None and (zone := _zone(address_zone)) is not None:
        return (zone,)
    return tuple(z for name in zones_for_number(e164) if (z := _zone(name)) is not None)


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
