"""The last hour minute by minute, kept with a queue's figures: what each minute
counts, quiet minutes, the hour's window, and agreement with the interval's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acd.events import AcdEvent, CallAbandoned, CallConnected, CallQueued
from acd.minutes import KEPT_MINUTES, Change, MinuteSeries, last_hour, note, roll
from acd.model import QueueId
from acd.stats import StatsConfig, new_queue_stats, observe
from telephony.model import CallId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Q = QueueId("billing")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_minute_counts_what_happened_in_it_when_noted() -> None:
    series = note(MinuteSeries(), at(5), Change(offered=1, waiting=1))
    series = note(series, at(20), Change(offered=1, waiting=2))
    series = note(series, at(40), Change(answered=1, answered_in_target=1, waiting=1))
    series = note(series, at(65), Change(abandoned=1, waiting=0))
    [first] = series.closed
    assert (first.start, first.offered, first.answered) == (T0, 2, 1)
    assert (first.answered_in_target, first.peak_waiting) == (1, 2)
    assert series.current is not None
    assert (series.current.start, series.current.abandoned) == (at(60), 1)


def test_quiet_minutes_keep_the_callers_waiting_when_nothing_happens() -> None:
    series = note(MinuteSeries(), at(0), Change(offered=1, waiting=1))
    series = roll(series, at(4 * 60 + 3), waiting=1)
    assert [m.peak_waiting for m in series.closed] == [1, 1, 1, 1]
    assert [m.offered for m in series.closed] == [1, 0, 0, 0]


def test_series_keeps_an_hour_when_the_day_goes_on() -> None:
    series = note(MinuteSeries(), at(0), Change(offered=1))
    series = roll(series, at(5 * 3600), waiting=0)
    assert len(series.closed) == KEPT_MINUTES
    assert series.closed[-1].start == at(5 * 3600 - 60)


def test_last_hour_ends_with_the_open_minute_when_asked() -> None:
    series = note(MinuteSeries(), at(30), Change(offered=3, waiting=3))
    hour = last_hour(series, at(30))
    assert len(hour) == KEPT_MINUTES
    assert hour[-1].start == T0
    assert hour[-1].offered == 3
    assert hour[0].start == T0 - timedelta(minutes=KEPT_MINUTES - 1)
    assert sum(m.offered for m in hour[:-1]) == 0


def queued(call: str, seconds: float) -> CallQueued:
    return CallQueued(
        occurred_at=at(seconds), call_id=CallId(call), queue_id=Q, priority=0,
        position=1,
    )  # fmt: skip


def test_minutes_agree_with_the_interval_when_the_statistics_fold_events() -> None:
    stats = new_queue_stats(Q, T0, config=StatsConfig(service_level_s=20))
    events: list[AcdEvent] = [
        queued("a", 1), queued("b", 2), queued("c", 3),
        CallConnected(occurred_at=at(10), call_id=CallId("a"), queue_id=Q,
                      agent_id="x", waited_s=9),  # type: ignore[arg-type]  # an AgentId
        CallConnected(occurred_at=at(70), call_id=CallId("b"), queue_id=Q,
                      agent_id="y", waited_s=68),  # type: ignore[arg-type]  # an AgentId
        CallAbandoned(occurred_at=at(80), call_id=CallId("c"), queue_id=Q,
                      waited_s=77),
    ]  # fmt: skip
    for event in events:
        stats, _ = observe(stats, event)
    hour = last_hour(stats.by_minute, at(80))
    assert sum(m.offered for m in hour) == stats.counts.offered == 3
    assert sum(m.answered for m in hour) == stats.counts.answered == 2
    assert sum(m.answered_in_target for m in hour) == 1
    assert sum(m.abandoned for m in hour) == stats.counts.abandoned == 1
    assert hour[-2].peak_waiting == 3
    assert hour[-1].peak_waiting == 2  # b and c still waited as it began
