# Russian words are meant here, not look-alike Latin letters.
# ruff: noqa: RUF001
"""Numbers, money and dates as words, in English and Russian."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ivr.speech_text import speakable
from ivr.spoken_numbers import (
    date_words,
    digits_from_speech,
    money_words,
    number_words,
)


@pytest.mark.parametrize(
    ("text", "language", "spoken"),
    [
        (
            "1 234 руб. 50 коп.",
            "ru",
            "одна тысяча двести тридцать четыре рубля пятьдесят копеек",
        ),
        ("Долг 21 руб.", "ru", "Долг двадцать один рубль"),
        (
            "до 31.01.2026",
            "ru",
            "до тридцать первое января две тысячи двадцать шестого года",
        ),
        (
            "Pay $1,234.05",
            "en",
            "Pay one thousand two hundred thirty-four dollars five cents",
        ),
        ("press 0", "en", "press zero"),
    ],
)
def test_text_is_spoken_in_words_when_it_has_money_dates_or_numbers(
    text: str, language: str, spoken: str
) -> None:
    assert speakable(text, language) == spoken


@pytest.mark.parametrize(
    ("amount", "language", "spoken"),
    [
        (Decimal("1.01"), "ru", "один рубль одна копейка"),
        (Decimal("2.02"), "ru", "два рубля две копейки"),
        (Decimal("11"), "ru", "одиннадцать рублей"),
        (Decimal("-5.5"), "en", "minus five roubles fifty kopecks"),
        (Decimal("1"), "en", "one rouble"),
    ],
)
def test_money_agrees_with_its_number_when_spoken(
    amount: Decimal, language: str, spoken: str
) -> None:
    assert money_words(amount, language) == spoken


@pytest.mark.parametrize(
    ("n", "language", "spoken"),
    [
        (0, "ru", "ноль"),
        (2_001_002, "ru", "два миллиона одна тысяча два"),
        (5_000, "ru", "пять тысяч"),
        (112, "en", "one hundred twelve"),
        (1_000_021, "en", "one million twenty-one"),
    ],
)
def test_number_is_in_words_when_spoken(n: int, language: str, spoken: str) -> None:
    assert number_words(n, language) == spoken


@pytest.mark.parametrize(
    ("day", "language", "spoken"),
    [
        (date(2026, 1, 31), "en", "January thirty-first, twenty twenty-six"),
        (date(2005, 3, 2), "en", "March second, two thousand five"),
        (date(2000, 3, 3), "ru", "третье марта двухтысячного года"),
        (date(2026, 5, 12), "ru", "двенадцатое мая две тысячи двадцать шестого года"),
    ],
)
def test_date_is_in_words_when_spoken(day: date, language: str, spoken: str) -> None:
    assert date_words(day, language) == spoken


@pytest.mark.parametrize(
    ("said", "digits"),
    [("один два 3", "123"), ("one oh nine", "109"), ("hello", None), ("", None)],
)
def test_spoken_digits_are_read_when_each_word_is_a_digit(
    said: str, digits: str | None
) -> None:
    assert digits_from_speech(said) == digits
