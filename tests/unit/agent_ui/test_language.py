"""Which language a page speaks: the user's choice, this browser's last pick, or
what the browser asks for."""

from __future__ import annotations

import pytest

from agent_ui.language import accepted, choose, supported


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", ["ru-RU", "ru", "en-US", "en"]),
        ("en;q=0.2, de, fr;q=0.5", ["de", "fr", "en"]),
        ("ru;q=0, en", ["en"]),
        ("ru;q=bad, en;q=0.1", ["en"]),
    ],
)
def test_accept_language_is_ordered_by_quality_when_parsed(
    header: str | None, expected: list[str]
) -> None:
    assert accepted(header) == expected


@pytest.mark.parametrize(
    ("chosen", "remembered", "header", "expected"),
    [
        (None, None, None, "en"),
        (None, None, "de-DE,ru;q=0.5", "ru"),
        (None, "en", "ru", "en"),
        ("ru", "en", "en", "ru"),
        ("xx", None, "ru-RU", "ru"),
    ],
)
def test_language_follows_choice_then_cookie_then_browser_when_chosen(
    chosen: str | None, remembered: str | None, header: str | None, expected: str
) -> None:
    assert choose(chosen=chosen, remembered=remembered, accept_language=header) == (
        expected
    )


def test_regional_code_counts_as_its_language_when_supported() -> None:
    assert (supported("ru_RU"), supported("EN-gb"), supported("de")) == (
        "ru",
        "en",
        None,
    )
