"""The supervisor's alerts: which hold (a long pause by its reason's limit, a
breached service level, a caller waiting past the alarm), and how the board
raises, keeps and clears them."""

from __future__ import annotations

from datetime import datetime, timedelta

from acd.alerts import (
    AlertBoard,
    AlertKind,
    AlertLimits,
    Pause,
    alerts_now,
    pause_alerts,
    queue_alerts,
    update,
)
from acd.model import AgentId, QueueId
from acd.thresholds import default_thresholds
from tests.unit.acd.test_thresholds import NOW, stats

THRESHOLDS = default_thresholds(service_level_s=20, target_level=0.8)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_pause_alerts_by_its_reason_limit_when_it_lasts() -> None:
    limits = AlertLimits(pause_s=600, pause_by_reason_s={"lunch": 3600})
    pauses = [
        Pause(agent_id=AgentId("anna"), reason="break", since=ago(601)),
        Pause(agent_id=AgentId("boris"), reason="lunch", since=ago(1800)),
        Pause(agent_id=AgentId("vera"), reason="lunch", since=ago(3700)),
    ]
    found = pause_alerts(pauses, limits, NOW)
    assert [(a.subject, a.limit) for a in found] == [("anna", 600), ("vera", 3600)]
    assert found[0].since == ago(1)
    assert found[1].reason == "lunch"


def test_waiting_caller_alerts_when_past_the_alarm() -> None:
    assert queue_alerts(stats(longest_wait_s=59), THRESHOLDS) == []
    [alert] = queue_alerts(stats(longest_wait_s=75), THRESHOLDS)
    assert (alert.kind, alert.subject) == (AlertKind.LONG_WAIT, "billing")
    assert (alert.value, alert.limit, alert.since) == (75, 60, ago(15))


def test_service_level_alerts_when_breached_over_enough_calls() -> None:
    [alert] = queue_alerts(
        stats(service_level=0.6, answered=6, abandoned=4), THRESHOLDS
    )
    assert alert.kind is AlertKind.SERVICE_LEVEL
    assert alert.value == 0.6
    assert queue_alerts(stats(service_level=0.0, answered=1), THRESHOLDS) == []
    assert queue_alerts(stats(service_level=0.75, answered=10), THRESHOLDS) == []


def test_alerts_now_gathers_queues_and_pauses_when_asked() -> None:
    found = alerts_now(
        queues=[stats(longest_wait_s=100), stats(queue_id=QueueId("sales"))],
        thresholds=lambda _: THRESHOLDS,
        pauses=[Pause(agent_id=AgentId("anna"), reason="x", since=ago(1000))],
        limits=AlertLimits(),
        now=NOW,
    )
    assert {a.key for a in found} == {
        (AlertKind.LONG_WAIT, "billing"),
        (AlertKind.LONG_PAUSE, "anna"),
    }


def test_board_raises_keeps_and_clears_when_conditions_change() -> None:
    [first] = queue_alerts(stats(longest_wait_s=70), THRESHOLDS)
    raised = update(AlertBoard(), [first])
    assert raised.raised == [first]
    assert raised.cleared == []
    later = stats(occurred_at=NOW + timedelta(seconds=5), longest_wait_s=75)
    [again] = queue_alerts(later, THRESHOLDS)
    kept = update(raised.board, [again])
    assert (kept.raised, kept.cleared) == ([], [])
    [open_] = kept.board.alerts()
    assert (open_.since, open_.value) == (first.since, 75)
    cleared = update(kept.board, [])
    assert cleared.cleared == [open_]
    assert cleared.board.alerts() == []
