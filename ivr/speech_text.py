# Russian words are meant here, not look-alike Latin letters.
# ruff: noqa: RUF001, RUF002
"""Text a synthesiser can speak: money, dates and numbers inside free text, and
template values, in words (ivr.spoken_numbers says each kind). Pure: no I/O, no clock.

    speakable("1 234 руб. 50 коп.", "ru")
    -> "одна тысяча двести тридцать четыре рубля пятьдесят копеек"
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from ivr.spoken_numbers import (
    date_words,
    digits_words,
    money_words,
    number_words,
    time_words,
)

_NUMBER = r"\d{1,3}(?:[ \u00a0]\d{3})+|\d+"
_RU_MONEY = re.compile(
    rf"(?P<major>{_NUMBER})(?:[.,](?P<frac>\d{{1,2}}))?\s*(?:руб(?:\.|лей|ля|ль)?|₽)"
    rf"(?:\s*(?P<minor>\d{{1,2}})\s*коп(?:\.|еек|ейки|ейка)?)?"
)
_EN_MONEY = re.compile(
    rf"\$(?P<major>{_NUMBER.replace(' ', ',')})(?:\.(?P<frac>\d{{2}}))?"
)
_DATE = re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b")
_PLAIN = re.compile(_NUMBER)


def speakable(text: str, language: str) -> str:
    """`text` with money, dates (dd.mm.yyyy) and numbers replaced by words."""

    def money(match: re.Match[str], currency: str) -> str:
        major = int(re.sub(r"\D", "", match["major"]))
        minor = match["frac"] or match.groupdict().get("minor") or "0"
        cents = int(minor.ljust(2, "0")) if match["frac"] else int(minor)
        return money_words(Decimal(major) + Decimal(cents) / 100, language, currency)

    text = _RU_MONEY.sub(lambda m: money(m, "RUB"), text)
    text = _EN_MONEY.sub(lambda m: money(m, "USD"), text)
    text = _DATE.sub(lambda m: _date_or_same(m, language), text)
    return _PLAIN.sub(
        lambda m: number_words(int(re.sub(r"\D", "", m[0])), language), text
    )


def _date_or_same(match: re.Match[str], language: str) -> str:
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return match[0]
    return date_words(day, language)


def value_words(
    value: str | Decimal | bool | date | datetime | None,
    language: str,
    *,
    style: str = "",
    currency: str = "RUB",
) -> str:
    """A template value as words. `style`: "" (by type), "money", "digits",
    "number", "date", "time", "text"."""
    match value:
        case None:
            return ""
        case bool():
            return _YES_NO[language][0 if value else 1]
        case datetime():
            if style == "time":
                return time_words(value, language)
            if style == "date":
                return date_words(value.date(), language)
            return f"{date_words(value.date(), language)} {time_words(value, language)}"
        case date():
            return date_words(value, language)
        case Decimal():
            return _decimal_words(value, language, style=style, currency=currency)
        case str():
            return _text_words(value, language, style=style, currency=currency)


_YES_NO = {"en": ("yes", "no"), "ru": ("да", "нет"), "ko": ("예", "아니요")}
_POINT = {"en": "point", "ru": "запятая", "ko": "점"}


def _decimal_words(value: Decimal, language: str, *, style: str, currency: str) -> str:
    if style == "money":
        return money_words(value, language, currency)
    if style == "digits":
        return digits_words(str(value), language)
    if value == value.to_integral_value():
        return number_words(int(value), language)
    whole, _, frac = str(abs(value)).partition(".")
    point = _POINT[language]
    sign = "-" if value < 0 else ""
    return (
        f"{number_words(int(sign + whole), language)} {point} "
        f"{digits_words(frac, language)}"
    )


def _text_words(value: str, language: str, *, style: str, currency: str) -> str:
    if style == "digits":
        return digits_words(value, language)
    if style in ("money", "number"):
        try:
            number = Decimal(value.replace(" ", "").replace(",", "."))
        except ArithmeticError:
            return speakable(value, language)
        return _decimal_words(number, language, style=style, currency=currency)
    if style == "text":
        return value
    return speakable(value, language)
