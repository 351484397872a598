"""Korean (Sino-Korean numerals, native hours) in spoken numbers and speakable text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ivr.speech_text import speakable, value_words
from ivr.spoken_numbers import (
    date_words,
    digits_from_speech,
    digits_words,
    money_words,
    number_words,
    time_words,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "영"),
        (1, "일"),
        (11, "십일"),
        (110, "백십"),
        (1234, "천이백삼십사"),
        (10000, "만"),
        (12345, "만 이천삼백사십오"),
        (20000, "이만"),
        (100_000_000, "일억"),
        (-5, "마이너스 오"),
    ],
)
def test_numbers_drop_the_leading_one_only_where_korean_does(
    n: int, words: str
) -> None:
    assert number_words(n, "ko") == words


def test_money_names_the_currency_after_the_amount_when_korean() -> None:
    assert money_words(Decimal(15000), "ko", "KRW") == "만 오천 원"
    assert money_words(Decimal("3.50"), "ko", "USD") == "삼 달러 오십 센트"


def test_june_and_october_take_their_irregular_names_when_korean() -> None:
    assert date_words(date(2026, 6, 24), "ko") == "이천이십육년 유월 이십사일"
    assert date_words(date(2026, 10, 1), "ko") == "이천이십육년 시월 일일"


def test_hours_use_native_numerals_and_minutes_sino_when_korean() -> None:
    assert (
        time_words(datetime(2026, 1, 1, 14, 30, tzinfo=UTC), "ko")
        == "오후 두 시 삼십 분"
    )
    assert time_words(datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "ko") == "오전 아홉 시"


def test_digits_are_read_and_heard_one_by_one_when_korean() -> None:
    assert digits_words("0412", "ko") == "영 사 일 이"
    assert digits_from_speech("공 사 일 이") == "0412"


def test_numbers_in_text_and_booleans_become_words_when_korean() -> None:
    assert speakable("잔액은 12000 원입니다", "ko") == "잔액은 만 이천 원입니다"
    assert value_words(True, "ko") == "예"
