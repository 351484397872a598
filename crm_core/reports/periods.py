"""Report periods as people choose them (today, yesterday, this week, the last 7
days, this month, or their own dates) turned into a [since, until) span in UTC, by
the calendar of the centre's time zone. One pydantic model validates the choice;
no I/O, no clock: `now` comes in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_DAYS = 366
"""The longest period one report covers."""
REQUIRED = "is required for a period of your own"


class PeriodChoice(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    """Monday to Sunday of the current week."""
    LAST_7_DAYS = "last_7_days"
    """Today and the six days before it."""
    THIS_MONTH = "this_month"
    CUSTOM = "custom"
    """From `date_from` to `date_to`, both days included."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """Whole local days `first_day`..`last_day` as the UTC span [since, until)."""

    since: datetime
    until: datetime
    first_day: date
    last_day: date


class PeriodInput(BaseModel):
    """A period as a form or a query gives it; empty dates count as none."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    period: PeriodChoice = PeriodChoice.TODAY
    date_from: date | None = Field(default=None, validate_default=True)
    date_to: date | None = Field(default=None, validate_default=True)

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("date_from")
    @classmethod
    def _start_given(cls, start: date | None, info: ValidationInfo) -> date | None:
        if info.data.get("period") is PeriodChoice.CUSTOM and start is None:
            raise ValueError(REQUIRED)
        return start

    @field_validator("date_to")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        if info.data.get("period") is not PeriodChoice.CUSTOM:
            return end
        if end is None:
            raise ValueError(REQUIRED)
        start = info.data.get("date_from")
        if start is not None and end < start:
            raise ValueError("must not come before the start of the period")
        if start is not None and (end - start).days >= MAX_DAYS:
            raise ValueError(f"makes a period longer than {MAX_DAYS} days")
        return end

    def resolve(self, *, now: datetime, zone: tzinfo) -> Period:
        """The period as UTC moments, `now` placing today in `zone`'s calendar."""
        first, last = self.days(now.astimezone(zone).date())
        return Period(
            since=local_midnight(first, zone),
            until=local_midnight(last + timedelta(days=1), zone),
            first_day=first,
            last_day=last,
        )

    def days(self, today: date) -> tuple[date, date]:
        """The first and last day of the period (both included)."""
        match self.period:
            case PeriodChoice.TODAY:
                return today, today
            case PeriodChoice.YESTERDAY:
                yesterday = today - timedelta(days=1)
                return yesterday, yesterday
            case PeriodChoice.THIS_WEEK:
                monday = today - timedelta(days=today.weekday())
                return monday, monday + timedelta(days=6)
            case PeriodChoice.LAST_7_DAYS:
                return today - timedelta(days=6), today
            case PeriodChoice.THIS_MONTH:
                first = today.replace(day=1)
                following = (first + timedelta(days=32)).replace(day=1)
                return first, following - timedelta(days=1)
            case PeriodChoice.CUSTOM:
                assert self.date_from is not None
                assert self.date_to is not None
                return self.date_from, self.date_to


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The start of `day` in `zone`, in UTC."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
