"""Which language a page speaks: the languages the catalogues hold, and the choice
among them from what the user chose or what their browser asks for. Pure."""

from __future__ import annotations

from collections.abc import Sequence

LANGUAGES: tuple[str, ...] = ("en", "ru")
"""The languages of `agent_ui/locale/`; the first is the fallback."""
DEFAULT = LANGUAGES[0]
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
"""Each language in its own words, for the switch (never translated)."""


def supported(code: str | None) -> str | None:
    """`code` when a catalogue holds it (`ru-RU` counts as `ru`), else None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def accepted(header: str | None) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first; entries
    with q=0 or a quality that is not a number are left out."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose(
    *, chosen: str | None, remembered: str | None, accept_language: str | None
) -> str:
    """The page's language: the user's stored choice, else the one this browser
    last picked (its cookie), else the first the browser asks for that we have."""
    for candidate in (chosen, remembered, *accepted(accept_language)):
        found = supported(candidate)
        if found is not None:
            return found
    return DEFAULT


def switch_targets(current: str) -> Sequence[tuple[str, str]]:
    """The other languages, each with its own name, for the switch."""
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != current]
