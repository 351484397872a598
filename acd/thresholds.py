"""When a queue's live figure needs a supervisor's eye: each figure's warning and
alarm limits, the defaults a queue gets from its service-level target, and the
level each figure of a `QueueStatsUpdated` is at. Pure.

A queue's targets are "`target_level` of calls answered within
`service_level_s`"; by default a caller waiting past that time warns and past
three times it alarms, the service level warns below the target and alarms ten
points under it, the speed of answer warns past the target time and alarms past
twice it. Abandonment, occupancy and callers waiting have the usual industry
limits; handle time has none (it depends on the work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from acd.events import QueueStatsUpdated


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ALARM = "alarm"


class Figure(StrEnum):
    WAITING = "waiting"
    LONGEST_WAIT = "longest_wait"
    SERVICE_LEVEL = "service_level"
    ABANDONMENT = "abandonment"
    SPEED_OF_ANSWER = "speed_of_answer"
    HANDLE_TIME = "handle_time"
    OCCUPANCY = "occupancy"


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    warning: float
    alarm: float
    low_is_bad: bool = False
    """True for figures that breach by falling (service level)."""

    def level(self, value: float | None) -> Level:
        if value is None:
            return Level.OK
        if self.low_is_bad:
            value, warning, alarm = -value, -self.warning, -self.alarm
        else:
            warning, alarm = self.warning, self.alarm
        if value >= alarm:
            return Level.ALARM
        if value >= warning:
            return Level.WARNING
        return Level.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """A queue's limits per figure (a figure without one is never coloured)."""

    limits: Mapping[Figure, Limit]
    min_calls: int = 5
    """Service level and abandonment are judged once this many calls of the
    interval were answered or abandoned (one late call is not a breach)."""

    def limit(self, figure: Figure) -> Limit | None:
        return self.limits.get(figure)


def default_thresholds(*, service_level_s: float, target_level: float) -> Thresholds:
    """The limits a queue gets from its target: `target_level` (0..1) of the
    calls answered within `service_level_s` seconds."""
    return Thresholds(
        limits={
            Figure.WAITING: Limit(warning=5, alarm=10),
            Figure.LONGEST_WAIT: Limit(
                warning=service_level_s, alarm=3 * service_level_s
            ),
            Figure.SERVICE_LEVEL: Limit(
                warning=target_level,
                alarm=max(0.0, target_level - 0.1),
                low_is_bad=True,
            ),
            Figure.ABANDONMENT: Limit(warning=0.05, alarm=0.10),
            Figure.SPEED_OF_ANSWER: Limit(
                warning=service_level_s, alarm=2 * service_level_s
            ),
            Figure.OCCUPANCY: Limit(warning=0.85, alarm=0.95),
        }
    )


def with_limits(base: Thresholds, changes: Mapping[Figure, Limit]) -> Thresholds:
    """`base` with some figures' limits replaced (a queue's own settings)."""
    return Thresholds(limits={**base.limits, **changes}, min_calls=base.min_calls)


def abandonment(stats: QueueStatsUpdated) -> float | None:
    """Share of the interval's answered and abandoned calls that were abandoned
    (callers who hung up within the grace time are not counted)."""
    handled = stats.answered + stats.abandoned
    return stats.abandoned / handled if handled else None


def figures(stats: QueueStatsUpdated) -> dict[Figure, float | None]:
    return {
        Figure.WAITING: stats.waiting,
        Figure.LONGEST_WAIT: stats.longest_wait_s,
        Figure.SERVICE_LEVEL: stats.service_level,
        Figure.ABANDONMENT: abandonment(stats),
        Figure.SPEED_OF_ANSWER: stats.average_speed_of_answer_s,
        Figure.HANDLE_TIME: stats.average_handle_time_s,
        Figure.OCCUPANCY: stats.occupancy,
    }


def judged(stats: QueueStatsUpdated, thresholds: Thresholds) -> bool:
    """Enough calls in the interval to judge its service level and abandonment."""
    return stats.answered + stats.abandoned >= thresholds.min_calls


def levels(stats: QueueStatsUpdated, thresholds: Thresholds) -> dict[Figure, Level]:
    """Each figure's level now."""
    found: dict[Figure, Level] = {}
    sample = judged(stats, thresholds)
    for figure, value in figures(stats).items():
        limit = thresholds.limit(figure)
        needs_sample = figure in (Figure.SERVICE_LEVEL, Figure.ABANDONMENT)
        if limit is None or (needs_sample and not sample):
            found[figure] = Level.OK
        else:
            found[figure] = limit.level(value)
    return found


def worst(found: Mapping[Figure, Level]) -> Level:
    """The most urgent level among the figures (the tile's own colour)."""
    if Level.ALARM in found.values():
        return Level.ALARM
    if Level.WARNING in found.values():
        return Level.WARNING
    return Level.OK
