"""A queue's wallboard limits: the defaults from its service-level target, the
level of each figure, and no verdict on service level from too few calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acd.events import QueueStatsUpdated
from acd.model import QueueId
from acd.thresholds import (
    Figure,
    Level,
    Limit,
    default_thresholds,
    levels,
    with_limits,
    worst,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def stats(**changes: object) -> QueueStatsUpdated:
    figures: dict[str, object] = {
        "occurred_at": NOW, "queue_id": QueueId("billing"), "waiting": 0,
        "longest_wait_s": 0.0, "answered": 10, "abandoned": 0,
        "abandoned_short": 0, "service_level": 0.9,
        "average_speed_of_answer_s": 5.0, "average_handle_time_s": 200.0,
        "agents_by_state": (), "occupancy": 0.5, "agents_needed": None,
        "interval_start": NOW,
    }  # fmt: skip
    return QueueStatsUpdated(**{**figures, **changes})  # type: ignore[arg-type]  # test data


@pytest.mark.parametrize(
    ("value", "level"),
    [(None, Level.OK), (10, Level.OK), (20, Level.WARNING), (59, Level.WARNING),
     (60, Level.ALARM)],
)  # fmt: skip
def test_limit_gives_the_level_when_a_figure_rises(
    value: float | None, level: Level
) -> None:
    assert Limit(warning=20, alarm=60).level(value) is level


@pytest.mark.parametrize(
    ("value", "level"), [(0.85, Level.OK), (0.8, Level.WARNING), (0.7, Level.ALARM)]
)
def test_limit_gives_the_level_when_a_figure_falls(value: float, level: Level) -> None:
    assert Limit(warning=0.8, alarm=0.7, low_is_bad=True).level(value) is level


def test_defaults_follow_the_queue_target_when_derived() -> None:
    found = default_thresholds(service_level_s=30, target_level=0.9)
    wait = found.limit(Figure.LONGEST_WAIT)
    assert wait is not None
    assert (wait.warning, wait.alarm) == (30, 90)
    level = found.limit(Figure.SERVICE_LEVEL)
    assert level is not None
    assert (level.warning, level.low_is_bad) == (0.9, True)
    assert level.alarm == pytest.approx(0.8)
    assert found.limit(Figure.HANDLE_TIME) is None


def test_each_figure_gets_its_level_when_the_queue_is_judged() -> None:
    thresholds = default_thresholds(service_level_s=20, target_level=0.8)
    found = levels(
        stats(waiting=6, longest_wait_s=70, service_level=0.75, answered=8,
              abandoned=2, occupancy=0.99),
        thresholds,
    )  # fmt: skip
    assert found[Figure.WAITING] is Level.WARNING
    assert found[Figure.LONGEST_WAIT] is Level.ALARM
    assert found[Figure.SERVICE_LEVEL] is Level.WARNING
    assert found[Figure.ABANDONMENT] is Level.ALARM  # 2 of 10
    assert found[Figure.OCCUPANCY] is Level.ALARM
    assert found[Figure.HANDLE_TIME] is Level.OK
    assert worst(found) is Level.ALARM


def test_service_level_is_not_judged_when_too_few_calls_were_handled() -> None:
    thresholds = default_thresholds(service_level_s=20, target_level=0.8)
    found = levels(stats(service_level=0.0, answered=1, abandoned=1), thresholds)
    assert found[Figure.SERVICE_LEVEL] is Level.OK
    assert found[Figure.ABANDONMENT] is Level.OK
    assert worst(found) is Level.OK


def test_own_limits_replace_the_defaults_when_given() -> None:
    base = default_thresholds(service_level_s=20, target_level=0.8)
    own = with_limits(base, {Figure.WAITING: Limit(warning=1, alarm=2)})
    assert levels(stats(waiting=1), own)[Figure.WAITING] is Level.WARNING
    assert own.limit(Figure.LONGEST_WAIT) == base.limit(Figure.LONGEST_WAIT)
