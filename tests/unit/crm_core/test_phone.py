"""Phone normalisation: the formats callers and source systems really use."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.phone import InvalidPhone, normalise, parse_phone, try_normalise

MOSCOW = "+74951234567"


@pytest.mark.parametrize(
    "raw",
    [
        "8 (495) 123-45-67",
        "+7 495 1234567",
        "007495 123 45 67",
        "81074951234567",
        "4951234567",
        "74951234567",
        "+7(495)123-45-67",
        " 8.495.123.45.67 ",
        "+7\u00a0495\u00a0123\u00a045\u00a067",
    ],
)
def test_moscow_number_gives_one_e164_when_written_in_any_common_format(
    raw: str,
) -> None:
    assert normalise(raw, "RU") == MOSCOW


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("8 017 123 45 67", "BY", "+375171234567"),
        ("80171234567", "BY", "+375171234567"),
        ("044 123 4567", "UA", "+380441234567"),
        ("(212) 555-0100", "US", "+12125550100"),
        ("1 212 555 0100", "US", "+12125550100"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("030 123456", "DE", "+4930123456"),
        ("8 7172 123456", "KZ", "+77172123456"),
        ("+44 20 7946 0958", "RU", "+442079460958"),
        ("+33 1 23 45 67 89", "RU", "+33123456789"),
        ("00 375 29 123 45 67", "RU", "+375291234567"),
    ],
)
def test_number_normalises_when_dialled_from_its_country(
    raw: str, country: str, expected: str
) -> None:
    assert normalise(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "extension"),
    [
        ("+7 495 123-45-67 ext. 204", "204"),
        ("8 495 1234567 доб. 15", "15"),
        ("84951234567x9", "9"),
        ("+74951234567#31", "31"),
    ],
)
def test_extension_is_kept_apart_when_written_after_the_number(
    raw: str, extension: str
) -> None:
    parsed = parse_phone(raw, "RU")
    assert parsed.e164 == MOSCOW
    assert parsed.extension == extension


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "no digits"),
        ("  -- ", "no digits"),
        ("+", "no digits"),
        (" + () ", "no digits"),
        ("8 495 CALL-NOW", "unexpected character 'C'"),
        ("+7 495 12+34567", "unexpected character '+'"),
        ("123-45-67", "7 digits is not a RU number"),
        ("8495123456789", "13 digits is not a RU number"),
        ("+7 495 12345", "wrong length for country code +7"),
        ("+0 123 456 789", "country code never starts with 0"),
        ("+99 12", "too short"),
        ("+123456789012345678", "longer than E.164"),
        ("٤٩٥١٢٣٤٥٦٧", "unexpected character"),
    ],
)
def test_invalid_phone_names_the_reason_when_text_is_not_a_number(
    raw: str, reason: str
) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalise(raw, "RU")
    assert reason in caught.value.reason
    assert caught.value.raw == raw


def test_unknown_default_country_is_refused_when_not_in_the_plan_table() -> None:
    with pytest.raises(InvalidPhone, match="unknown default country"):
        normalise("4951234567", "ZZ")


def test_try_normalise_returns_none_when_the_text_is_not_a_number() -> None:
    assert try_normalise("anonymous") is None
    assert try_normalise("8 495 123 45 67") == MOSCOW


# Russian national numbers start with 3, 4, 8 or 9; `810` is never an area code
# (it is the old international prefix, which a bare `810...` must still mean).
RUSSIAN_NATIONAL = r"[349][0-9]{9}|8[02-9][0-9]{8}|81[1-9][0-9]{7}"


@given(st.from_regex(RUSSIAN_NATIONAL, fullmatch=True))
def test_all_russian_formats_agree_when_generated(national: str) -> None:
    forms = [
        national,
        f"8{national}",
        f"+7{national}",
        f"007{national}",
        f"8 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}",
    ]
    assert {normalise(f, "RU") for f in forms} == {f"+7{national}"}


def test_normalise_is_fast_when_run_on_many_rows() -> None:
    started = time.perf_counter()
    for i in range(20_000):
        normalise(f"8 (495) {i % 1000:03d}-45-67", "RU")
    assert time.perf_counter() - started < 1.0
