"""Report periods chosen by people, as UTC spans by the centre's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from crm_core.reports.periods import PeriodChoice, PeriodInput

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 9, 22, 30, tzinfo=UTC)
"""Thursday 10 December 2026, 01:30 in Moscow; still Wednesday the 9th in UTC."""


@pytest.mark.parametrize(
    ("choice", "first", "last"),
    [
        (PeriodChoice.TODAY, date(2026, 12, 10), date(2026, 12, 10)),
        (PeriodChoice.YESTERDAY, date(2026, 12, 9), date(2026, 12, 9)),
        (PeriodChoice.THIS_WEEK, date(2026, 12, 7), date(2026, 12, 13)),
        (PeriodChoice.LAST_7_DAYS, date(2026, 12, 4), date(2026, 12, 10)),
        (PeriodChoice.THIS_MONTH, date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_quick_choices_cover_whole_local_days_when_resolved(
    choice: PeriodChoice, first: date, last: date
) -> None:
    period = PeriodInput(period=choice).resolve(now=NOW, zone=MOSCOW)
    assert (period.first_day, period.last_day) == (first, last)
    assert period.since == datetime(
        first.year, first.month, first.day, tzinfo=MOSCOW
    ).astimezone(UTC)
    assert (period.until - period.since).days == (last - first).days + 1


def test_own_dates_include_both_days_when_given() -> None:
    chosen = PeriodInput.model_validate(
        {"period": "custom", "date_from": "2026-02-27", "date_to": "2026-03-01"}
    )
    period = chosen.resolve(now=NOW, zone=UTC)
    assert (period.since, period.until) == (
        datetime(2026, 2, 27, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to",
         "must not come before the start of the period"),
        ({"date_from": "2026-03-02"}, "date_to", "is required"),
        ({"date_to": "2026-03-02", "date_from": ""}, "date_from", "is required"),
        ({"date_from": "2025-01-01", "date_to": "2026-01-02"}, "date_to",
         "longer than 366 days"),
        ({"date_from": "2026-02-30", "date_to": "2026-03-01"}, "date_from", "date"),
    ],
)  # fmt: skip
def test_own_dates_are_refused_by_field_when_they_do_not_make_a_period(
    given: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        PeriodInput.model_validate({"period": "custom", **given})
    (error,) = refused.value.errors()
    assert error["loc"] == (field,)
    assert words in error["msg"]


def test_dates_are_ignored_when_a_quick_choice_is_made() -> None:
    chosen = PeriodInput.model_validate(
        {"period": "today", "date_from": "2026-03-02", "date_to": ""}
    )
    assert chosen.resolve(now=NOW, zone=UTC).first_day == date(2026, 12, 9)
