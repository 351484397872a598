"""A queue's last hour minute by minute, for the wallboard's chart: calls
offered, answered (and within the service-level target), abandoned, and the
most callers waiting at once. Kept with the queue's figures (`acd.stats`), which
say what each event changed; pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)
KEPT_MINUTES = 60
"""Closed minutes kept: with the open one, the chart's hour."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MinuteCounts:
    start: datetime
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    """Abandoned after the grace time (as the queue's figures count them)."""
    peak_waiting: int = 0
    """The most callers waiting at once during the minute."""

    @property
    def end(self) -> datetime:
        return self.start + MINUTE


@dataclass(frozen=True, slots=True, kw_only=True)
class MinuteSeries:
    closed: tuple[MinuteCounts, ...] = ()
    """Oldest first, at most `KEPT_MINUTES`."""
    current: MinuteCounts | None = None
    """The open minute (None until the first event or tick)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What one event added to a queue's counts, and the callers waiting after it."""

    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    waiting: int = 0


def minute_of(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(second=0, microsecond=0)


def roll(series: MinuteSeries, now: datetime, *, waiting: int) -> MinuteSeries:
    """The series with its open minute being `now`'s; the minutes closed on the
    way (quiet ones included) had `waiting` callers waiting throughout."""
    start = minute_of(now)
    current = series.current
    if current is None:
        return MinuteSeries(current=MinuteCounts(start=start, peak_waiting=waiting))
    if current.start >= start:
        return series
    closed = list(series.closed)
    closed.append(current)
    quiet = max(current.end, start - MINUTE * KEPT_MINUTES)
    while quiet < start:
        closed.append(MinuteCounts(start=quiet, peak_waiting=waiting))
        quiet += MINUTE
    return MinuteSeries(
        closed=tuple(closed[-KEPT_MINUTES:]),
        current=MinuteCounts(start=start, peak_waiting=waiting),
    )


def note(series: MinuteSeries, now: datetime, change: Change) -> MinuteSeries:
    """The series with `change` counted in `now`'s minute."""
    series = roll(series, now, waiting=change.waiting)
    current = series.current
    assert current is not None
    counted = replace(
        current,
        offered=current.offered + change.offered,
        answered=current.answered + change.answered,
        answered_in_target=current.answered_in_target + change.answered_in_target,
        abandoned=current.abandoned + change.abandoned,
        peak_waiting=max(current.peak_waiting, change.waiting),
    )
    return replace(series, current=counted)


def last_hour(series: MinuteSeries, now: datetime) -> list[MinuteCounts]:
    """The `KEPT_MINUTES` minutes up to `now`'s (the open one last), a minute
    the series does not hold counted as empty (the statistics roll the series
    every second, so only a start-up leaves gaps)."""
    known = {m.start: m for m in (*series.closed, series.current) if m is not None}
    first = minute_of(now) - MINUTE * (KEPT_MINUTES - 1)
    starts = [first + MINUTE * i for i in range(KEPT_MINUTES)]
    return [known.get(s) or MinuteCounts(start=s) for s in starts]
