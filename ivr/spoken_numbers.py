# Russian words are meant here, not look-alike Latin letters.
# ruff: noqa: RUF001
"""Numbers, money, dates, times and digit strings in words, in English ("en"),
Russian ("ru") and Korean ("ko", Sino-Korean numerals), and digits said one at a
time read back. Pure: no I/O, no clock.

    money_words(Decimal("1234.50"), "ru")
    -> "одна тысяча двести тридцать четыре рубля пятьдесят копеек"
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

LANGUAGES = ("en", "ru", "ko")

# --- English ----------------------------------------------------------------------

_EN_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_EN_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _en_below_1000(n: int) -> str:
    words: list[str] = []
    if n >= 100:
        words += [_EN_SMALL[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        tens = _EN_TENS[n // 10]
        words.append(f"{tens}-{_EN_SMALL[n % 10]}" if n % 10 else tens)
    elif n or not words:
        words.append(_EN_SMALL[n])
    return " ".join(words)


def _en_cardinal(n: int) -> str:
    if n < 1000:
        return _en_below_1000(n)
    words: list[str] = []
    for scale, name in _EN_SCALES:
        if n >= scale:
            words += [_en_cardinal(n // scale), name]
            n %= scale
    if n:
        words.append(_en_below_1000(n))
    return " ".join(words)


def _en_ordinal(n: int) -> str:
    words = _en_cardinal(n)
    head, sep, last = words.rpartition(" ")
    base, hyphen, unit = last.rpartition("-")
    word = unit
    if word in _EN_ORDINAL:
        word = _EN_ORDINAL[word]
    elif word.endswith("y"):
        word = word[:-1] + "ieth"
    else:
        word += "th"
    return f"{head}{sep}{base}{hyphen}{word}"


def _en_year(year: int) -> str:
    if 2000 <= year <= 2009 or not 1100 <= year <= 2999:
        return _en_cardinal(year)
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_en_cardinal(high)} hundred"
    tail = f"oh {_EN_SMALL[low]}" if low < 10 else _en_cardinal(low)
    return f"{_en_cardinal(high)} {tail}"


# --- Russian ----------------------------------------------------------------------

_RU_UNITS_M = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
]
_RU_UNITS_F = [
    "ноль",
    "одна",
    "две",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
]
_RU_TEENS = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
]
_RU_TENS = [
    "_",
    "_",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
]
_RU_HUNDREDS = [
    "_",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
]
_RU_SCALES = (
    (10**9, False, ("миллиард", "миллиарда", "миллиардов")),
    (10**6, False, ("миллион", "миллиона", "миллионов")),
    (1000, True, ("тысяча", "тысячи", "тысяч")),
)
_RU_MONTHS_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
# Ordinal stems; the ending is added per case (neuter nominative, genitive).
_RU_ORD_STEMS = {
    1: "перв",
    2: "втор",
    3: "трет",
    4: "четвёрт",
    5: "пят",
    6: "шест",
    7: "седьм",
    8: "восьм",
    9: "девят",
    10: "десят",
    11: "одиннадцат",
    12: "двенадцат",
    13: "тринадцат",
    14: "четырнадцат",
    15: "пятнадцат",
    16: "шестнадцат",
    17: "семнадцат",
    18: "восемнадцат",
    19: "девятнадцат",
    20: "двадцат",
    30: "тридцат",
    40: "сороков",
    50: "пятидесят",
    60: "шестидесят",
    70: "семидесят",
    80: "восьмидесят",
    90: "девяност",
    100: "сот",
    200: "двухсот",
    300: "трёхсот",
    400: "четырёхсот",
    500: "пятисот",
    600: "шестисот",
    700: "семисот",
    800: "восьмисот",
    900: "девятисот",
    1000: "тысячн",
    2000: "двухтысячн",
}


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form that agrees with `n` (1 рубль, 2 рубля, 5 рублей)."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return many
    if n % 10 == 1:
        return one
    if 2 <= n % 10 <= 4:
        return few
    return many


def _ru_below_1000(n: int, *, feminine: bool) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words.append(_RU_HUNDREDS[n // 100])
        n %= 100
    if 10 <= n < 20:
        words.append(_RU_TEENS[n - 10])
        return words
    if n >= 20:
        words.append(_RU_TENS[n // 10])
        n %= 10
    if n:
        words.append((_RU_UNITS_F if feminine else _RU_UNITS_M)[n])
    return words


def _ru_cardinal(n: int, *, feminine: bool = False) -> str:
    if n == 0:
        return "ноль"
    words: list[str] = []
    for scale, fem, forms in _RU_SCALES:
        if n >= scale:
            count = n // scale
            words += [_ru_cardinal(count, feminine=fem), plural_ru(count, *forms)]
            n %= scale
    words += _ru_below_1000(n, feminine=feminine)
    return " ".join(words)


def _ru_ordinal(n: int, *, genitive: bool) -> str:
    """Ordinal, neuter nominative ("первое") or genitive ("первого"), n < 3000."""
    if n in _RU_ORD_STEMS:
        last, rest = n, 0
    elif n % 100 and n % 100 < 20 and n % 100 in _RU_ORD_STEMS:
        last, rest = n % 100, n - n % 100
    elif n % 10:
        last, rest = n % 10, n - n % 10
    elif n % 100:
        last, rest = n % 100, n - n % 100
    else:
        last, rest = n % 1000, n - n % 1000
    stem = _RU_ORD_STEMS[last]
    if last == 3:
        word = stem + ("ьего" if genitive else "ье")
    else:
        word = stem + ("ого" if genitive else "ое")
    return f"{_ru_cardinal(rest)} {word}" if rest else word


# --- Korean -----------------------------------------------------------------------

_KO_DIGITS = ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"]
_KO_PLACES = ((1000, "천"), (100, "백"), (10, "십"))
_KO_SCALES = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_KO_HOURS = [
    "열두",
    "한",
    "두",
    "세",
    "네",
    "다섯",
    "여섯",
    "일곱",
    "여덟",
    "아홉",
    "열",
    "열한",
]
"""Hours are counted with native numerals (세 시), minutes with Sino ones (삼십 분)."""


def _ko_below_10000(n: int) -> str:
    out = ""
    for value, place in _KO_PLACES:
        digit, n = divmod(n, value)
        if digit:
            out += ("" if digit == 1 else _KO_DIGITS[digit]) + place
    return out + (_KO_DIGITS[n] if n else "")


def _ko_cardinal(n: int) -> str:
    if n == 0:
        return _KO_DIGITS[0]
    words = []
    for value, scale in _KO_SCALES:
        group, n = divmod(n, value)
        if group:
            one = group == 1 and scale == "만"  # 만, but 일억 and 일조
            words.append(("" if one else _ko_below_10000(group)) + scale)
    if n:
        words.append(_ko_below_10000(n))
    return " ".join(words)


def _ko_month(month: int) -> str:
    return {6: "유월", 10: "시월"}.get(month, f"{_ko_cardinal(month)}월")


# --- public -----------------------------------------------------------------------


def number_words(n: int, language: str, *, feminine: bool = False) -> str:
    """`n` in words; `feminine` picks "одна/две" in Russian."""
    sign = _MINUS[language] if n < 0 else ""
    if language == "en":
        return sign + _en_cardinal(abs(n))
    if language == "ko":
        return sign + _ko_cardinal(abs(n))
    return sign + _ru_cardinal(abs(n), feminine=feminine)


_MINUS = {"en": "minus ", "ru": "минус ", "ko": "마이너스 "}


_CURRENCIES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "RUB": (("rouble", "roubles"), ("kopeck", "kopecks")),
        "USD": (("dollar", "dollars"), ("cent", "cents")),
        "EUR": (("euro", "euros"), ("cent", "cents")),
    },
    "ru": {
        "RUB": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
        "USD": (("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
        "EUR": (("евро", "евро", "евро"), ("цент", "цента", "центов")),
    },
    "ko": {
        "KRW": (("원",), ("전",)),
        "RUB": (("루블",), ("코페이카",)),
        "USD": (("달러",), ("센트",)),
        "EUR": (("유로",), ("센트",)),
    },
}
_FEMININE_MINOR = {"RUB"}


def money_words(amount: Decimal, language: str, currency: str = "RUB") -> str:
    """An amount with its currency in words; kopecks/cents are said when not zero."""
    cents_total = int((abs(amount) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    major, minor = divmod(cents_total, 100)
    major_forms, minor_forms = _CURRENCIES[language][currency]
    sign = _MINUS[language] if amount < 0 else ""
    parts = [f"{number_words(major, language)} {_noun(major, major_forms)}"]
    if minor:
        fem = language == "ru" and currency in _FEMININE_MINOR
        parts.append(
            f"{number_words(minor, language, feminine=fem)} {_noun(minor, minor_forms)}"
        )
    return sign + " ".join(parts)


def _noun(n: int, forms: tuple[str, ...]) -> str:
    if len(forms) == 3:
        return plural_ru(n, forms[0], forms[1], forms[2])
    return forms[0] if n == 1 or len(forms) == 1 else forms[1]


def date_words(day: date, language: str) -> str:
    """ "January thirty-first, twenty twenty-six" / "тридцать первое января две
    тысячи двадцать шестого года"."""
    if language == "en":
        return (
            f"{_EN_MONTHS[day.month - 1]} {_en_ordinal(day.day)}, {_en_year(day.year)}"
        )
    if language == "ko":
        year, month = _ko_cardinal(day.year), _ko_month(day.month)
        return f"{year}년 {month} {_ko_cardinal(day.day)}일"
    year = _ru_ordinal(day.year, genitive=True) if day.year < 3000 else str(day.year)
    month = _RU_MONTHS_GEN[day.month - 1]
    return f"{_ru_ordinal(day.day, genitive=False)} {month} {year} года"


def time_words(moment: datetime, language: str) -> str:
    """The time of day, "fourteen thirty" / "четырнадцать тридцать"."""
    minutes = moment.minute
    if language == "en":
        tail = "hundred" if minutes == 0 else _en_minutes(minutes)
        return f"{number_words(moment.hour, 'en')} {tail}"
    if language == "ko":
        noon = "오전" if moment.hour < 12 else "오후"
        hour = f"{noon} {_KO_HOURS[moment.hour % 12]} 시"
        return hour if minutes == 0 else f"{hour} {_ko_cardinal(minutes)} 분"
    hour = number_words(moment.hour, "ru")
    if minutes == 0:
        return f"{hour} {plural_ru(moment.hour, 'час', 'часа', 'часов')}"
    return f"{hour} {number_words(minutes, 'ru', feminine=True)}"


def _en_minutes(minutes: int) -> str:
    return f"oh {_EN_SMALL[minutes]}" if minutes < 10 else _en_cardinal(minutes)


_DIGIT_NAMES = {
    "en": _EN_SMALL[:10],
    "ru": _RU_UNITS_M,
    "ko": _KO_DIGITS,
}
_DIGIT_WORDS = {
    **{word: str(i) for i, word in enumerate(_DIGIT_NAMES["en"])},
    **{word: str(i) for i, word in enumerate(_RU_UNITS_M)},
    "oh": "0",
    "нуль": "0",
    "одна": "1",
    "две": "2",
    **{word: str(i) for i, word in enumerate(_KO_DIGITS)},
    "공": "0",
}


def digits_words(digits: str, language: str) -> str:
    """A digit string read one digit at a time ("1 2 3" -> "one two three")."""
    names = _DIGIT_NAMES[language]
    return " ".join(names[int(c)] for c in digits if c.isdigit())


def digits_from_speech(text: str) -> str | None:
    """Digits said one at a time ("four two" or "4 2"), in either language; None if
    any word is not a digit."""
    out: list[str] = []
    for word in re.split(r"[\s,.\-]+", text.lower().replace("ё", "е")):
        if not word:
            continue
        if word.isdigit():
            out.append(word)
        elif word in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[word])
        else:
            return None
    return "".join(out) or None
