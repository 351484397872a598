"""Phone numbers as people write them, normalised to E.164 (`+74951234567`). Pure.

Runs on every call and every imported row, so it is a few string operations over a
small numbering-plan table, not a full library. It never guesses a missing area code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class InvalidPhone(ValueError):
    """Not a phone number; `reason` says why, for the person who typed it."""

    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"invalid phone number {raw[:40]!r}: {reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryPlan:
    """How numbers are dialled inside one country."""

    country: str
    """ISO 3166 alpha-2."""
    calling_code: str
    national_lengths: frozenset[int]
    """Digits in a national significant number (without trunk prefix)."""
    trunk_prefix: str
    """Dialled before a national number from inside the country (`8` in Russia)."""
    international_prefixes: tuple[str, ...]
    """Dialled before a country code from inside the country, longest first."""


def _plan(
    country: str, code: str, lengths: range | tuple[int, ...], trunk: str, *intl: str
) -> CountryPlan:
    return CountryPlan(
        country=country,
        calling_code=code,
        national_lengths=frozenset(lengths),
        trunk_prefix=trunk,
        international_prefixes=tuple(sorted(intl, key=len, reverse=True)),
    )


PLANS: dict[str, CountryPlan] = {
    p.country: p
    for p in (
        _plan("RU", "7", (10,), "8", "810", "00"),
        _plan("KZ", "7", (10,), "8", "810", "00"),
        _plan("BY", "375", (9,), "80", "810", "00"),
        _plan("UA", "380", (9,), "0", "00"),
        _plan("US", "1", (10,), "1", "011"),
        _plan("CA", "1", (10,), "1", "011"),
        _plan("GB", "44", (9, 10), "0", "00"),
        _plan("DE", "49", range(6, 12), "0", "00"),
    )
}
"""The countries whose local formats are understood; any country's number is
accepted in international form."""

_NSN_LENGTHS: dict[str, frozenset[int]] = {}
for _p in PLANS.values():
    _NSN_LENGTHS[_p.calling_code] = _NSN_LENGTHS.get(_p.calling_code, frozenset()) | (
        _p.national_lengths
    )

_EXTENSION = re.compile(
    r"\s*(?:ext\.?|extension|x|доб\.?|добавочный|#|,)\s*(\d{1,8})\s*$", re.IGNORECASE
)
_SEPARATORS = str.maketrans("", "", " \t-().\u00a0/")
_MAX_E164_DIGITS = 15
_MIN_E164_DIGITS = 7


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedPhone:
    e164: str
    """`+` and up to 15 digits."""
    extension: str | None = None


def parse_phone(raw: str, default_country: str = "RU") -> ParsedPhone:
    """Read `raw` as dialled in `default_country`; raise InvalidPhone with the reason.

    Understands the trunk prefix (`8 495...`), international prefixes (`00`, `810`,
    `011`), `+`, separators (spaces, dashes, dots, brackets) and a trailing extension
    (`ext 12`, `x12`, `доб. 12`).
    """
    plan = PLANS.get(default_country)
    if plan is None:
        raise InvalidPhone(raw, f"unknown default country {default_country!r}")
    text = raw.strip()
    extension = None
    if match := _EXTENSION.search(text):
        extension = match.group(1)
        text = text[: match.start()]
    compact = text.translate(_SEPARATORS)
    if not compact:
        raise InvalidPhone(raw, "no digits")
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits:
        raise InvalidPhone(raw, "no digits")
    if not digits.isascii() or not digits.isdigit():
        bad = next(c for c in digits if not ("0" <= c <= "9"))
        raise InvalidPhone(raw, f"unexpected character {bad!r}")
    if plus:
        return ParsedPhone(e164=_international(raw, digits), extension=extension)
    return ParsedPhone(e164=_dialled(raw, digits, plan), extension=extension)


def normalise(raw: str, default_country: str = "RU") -> str:
    """The E.164 form of `raw` (extension dropped); InvalidPhone if it is not one."""
    return parse_phone(raw, default_country).e164


def try_normalise(raw: str, default_country: str = "RU") -> str | None:
    """The E.164 form of `raw`, or None when it does not read as a phone number."""
    try:
        return parse_phone(raw, default_country).e164
    except InvalidPhone:
        return None


def _dialled(raw: str, digits: str, plan: CountryPlan) -> str:
    for prefix in plan.international_prefixes:
        if digits.startswith(prefix) and len(digits) > len(prefix) + 3:
            return _international(raw, digits[len(prefix) :])
    n = len(digits)
    trunk = plan.trunk_prefix
    if digits.startswith(trunk) and n - len(trunk) in plan.national_lengths:
        return f"+{plan.calling_code}{digits[len(trunk) :]}"
    if n in plan.national_lengths and not digits.startswith("0"):
        return f"+{plan.calling_code}{digits}"
    code = plan.calling_code
    if digits.startswith(code) and n - len(code) in plan.national_lengths:
        return f"+{digits}"
    expected = "/".join(str(x) for x in sorted(plan.national_lengths))
    raise InvalidPhone(
        raw,
        f"{n} digits is not a {plan.country} number "
        f"({expected} digits, or with a country code)",
    )


def _international(raw: str, digits: str) -> str:
    if digits.startswith("0"):
        raise InvalidPhone(raw, "a country code never starts with 0")
    if len(digits) > _MAX_E164_DIGITS:
        raise InvalidPhone(raw, f"{len(digits)} digits is longer than E.164 allows")
    for size in (1, 2, 3):
        lengths = _NSN_LENGTHS.get(digits[:size])
        if lengths is not None:
            if len(digits) - size not in lengths:
                raise InvalidPhone(
                    raw, f"wrong length for country code +{digits[:size]}"
                )
            return f"+{digits}"
    if len(digits) < _MIN_E164_DIGITS:
        raise InvalidPhone(raw, f"{len(digits)} digits is too short")
    return f"+{digits}"
