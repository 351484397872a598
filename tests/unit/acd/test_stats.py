"""Queue statistics folded from engine events; interval records; expected wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acd.engine import AcdEngine
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallHandled,
    CallLeftQueue,
    CallOverflowed,
    CallQueued,
    events_in,
)
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    ExitKind,
    ExitReason,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.stats import (
    QueueStats,
    StatsConfig,
    advance,
    advance_all,
    expected_wait_s,
    new_queue_stats,
    observe,
    observe_all,
    snapshot,
)
from telephony.model import CallId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Q = QueueId("sales")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fold(stats: QueueStats, *events: AcdEvent) -> QueueStats:
    for event in events:
        stats, _ = observe(stats, event)
    return stats


def queued(call: str, when: float, queue: QueueId = Q) -> CallQueued:
    return CallQueued(
        occurred_at=at(when),
        call_id=CallId(call),
        queue_id=queue,
        priority=0,
        position=1,
    )


def connected(call: str, when: float, waited: float) -> CallConnected:
    return CallConnected(
        occurred_at=at(when),
        call_id=CallId(call),
        queue_id=Q,
        agent_id=AgentId("a1"),
        waited_s=waited,
    )


def abandoned(call: str, when: float, waited: float) -> CallAbandoned:
    return CallAbandoned(
        occurred_at=at(when), call_id=CallId(call), queue_id=Q, waited_s=waited
    )


def agent_state(agent: str, state: AgentState, when: float) -> AgentStateChanged:
    return AgentStateChanged(
        occurred_at=at(when),
        agent_id=AgentId(agent),
        state=state,
        previous=AgentState.LOGGED_OUT,
        reason="",
        queue_ids=(Q,),
    )


def test_waiting_and_longest_wait_follow_calls_when_they_join_and_leave() -> None:
    stats = fold(
        new_queue_stats(Q, at(0)),
        queued("c1", 10),
        queued("c2", 30),
        queued("other", 5, QueueId("support")),
    )
    figures = snapshot(stats, at(50))
    assert (figures.waiting, figures.longest_wait_s) == (2, 40)
    stats = fold(stats, connected("c1", 55, waited=45))
    assert snapshot(stats, at(60)).longest_wait_s == 30


def test_short_abandons_counted_apart_when_within_grace() -> None:
    stats = fold(
        new_queue_stats(Q, at(0), config=StatsConfig(abandon_grace_s=5)),
        queued("c1", 0),
        queued("c2", 0),
        abandoned("c1", 3, waited=3),
        abandoned("c2", 40, waited=40),
    )
    figures = snapshot(stats, at(41))
    assert (figures.abandoned, figures.abandoned_short, figures.waiting) == (1, 1, 0)


def test_service_level_and_speed_of_answer_when_calls_answered_around_target() -> None:
    stats = fold(
        new_queue_stats(Q, at(0), config=StatsConfig(service_level_s=20)),
        *(queued(f"c{i}", 0) for i in range(4)),
        connected("c0", 10, waited=10),
        connected("c1", 20, waited=20),
        connected("c2", 30, waited=30),
        abandoned("c3", 60, waited=60),
    )
    figures = snapshot(stats, at(61))
    assert figures.service_level == pytest.approx(2 / 4)
    assert figures.average_speed_of_answer_s == pytest.approx(20)


def test_no_service_level_when_no_call_was_answered_or_abandoned() -> None:
    figures = snapshot(new_queue_stats(Q, at(0)), at(1))
    assert figures.service_level is None
    assert figures.average_speed_of_answer_s is None
    assert figures.occupancy is None


def test_handle_time_includes_wrap_up_when_calls_are_handled() -> None:
    handled = CallHandled(
        occurred_at=at(100),
        call_id=CallId("c1"),
        queue_id=Q,
        agent_id=AgentId("a1"),
        talk_s=80,
        wrap_up_s=10,
    )
    figures = snapshot(fold(new_queue_stats(Q, at(0)), handled), at(101))
    assert figures.average_handle_time_s == 90


def test_occupancy_is_busy_over_staffed_time_when_agents_change_state() -> None:
    stats = fold(
        new_queue_stats(Q, at(0)),
        agent_state("a1", AgentState.READY, 0),
        agent_state("a2", AgentState.ON_CALL, 0),
        agent_state("a1", AgentState.ON_CALL, 50),
        agent_state("a2", AgentState.PAUSED, 100),
    )
    figures = snapshot(stats, at(100))
    # busy: a1 50 s + a2 100 s; staffed: a1 100 s + a2 100 s.
    assert figures.occupancy == pytest.approx(150 / 200)
    assert dict(figures.agents_by_state) == {"on_call": 1, "paused": 1}


def test_interval_record_closed_when_fifteen_minutes_pass() -> None:
    stats = fold(
        new_queue_stats(Q, at(0)),
        queued("c1", 10),
        connected("c1", 20, waited=10),
        queued("c2", 890),
    )
    stats, records = advance(stats, at(2000))
    assert [(r.start, r.end, r.counts.offered, r.counts.answered) for r in records] == [
        (at(0), at(900), 2, 1),
        (at(900), at(1800), 0, 0),
    ]
    assert stats.interval_start == at(1800)
    assert snapshot(stats, at(2000)).waiting == 1


def test_overflow_and_exits_leave_the_queue_when_the_engine_moves_calls() -> None:
    moved = CallOverflowed(
        occurred_at=at(30),
        call_id=CallId("c1"),
        from_queue_id=Q,
        to_queue_id=QueueId("support"),
        reason=ExitReason.OVERFLOW,
    )
    left = CallLeftQueue(
        occurred_at=at(40),
        call_id=CallId("c2"),
        queue_id=Q,
        reason=ExitReason.MAX_WAIT,
        exit=ExitKind.VOICEMAIL,
        waited_s=40,
    )
    stats = fold(
        new_queue_stats(Q, at(0)), queued("c1", 0), queued("c2", 0), moved, left
    )
    assert (stats.counts.overflowed_out, stats.counts.left, len(stats.waiting)) == (
        1,
        1,
        0,
    )


@pytest.mark.parametrize(
    ("ready", "on_call", "position", "expected"),
    [(2, 3, 1, 0.0), (2, 3, 2, 0.0), (0, 4, 1, 30.0), (1, 3, 5, 120.0)],
)
def test_expected_wait_from_live_figures_when_caller_is_at_position(
    ready: int, on_call: int, position: int, expected: float
) -> None:
    events: list[AcdEvent] = [
        *(agent_state(f"r{i}", AgentState.READY, 0) for i in range(ready)),
        *(agent_state(f"b{i}", AgentState.ON_CALL, 0) for i in range(on_call)),
    ]
    events.append(
        CallHandled(
            occurred_at=at(1),
            call_id=CallId("c0"),
            queue_id=Q,
            agent_id=AgentId("b0"),
            talk_s=100,
            wrap_up_s=20,
        )
    )
    stats = fold(new_queue_stats(Q, at(0)), *events)
    assert expected_wait_s(stats, position) == pytest.approx(expected)


def test_no_expected_wait_when_no_call_has_been_handled_yet() -> None:
    stats = fold(new_queue_stats(Q, at(0)), agent_state("a", AgentState.ON_CALL, 0))
    assert expected_wait_s(stats, 3) is None


def test_figures_follow_the_engine_when_its_events_are_folded() -> None:
    engine = AcdEngine()
    engine.configure_queue(QueueConfig(queue_id=Q, wrap_up_s=5))
    book = {Q: new_queue_stats(Q, at(0))}
    profile = AgentProfile(
        agent_id=AgentId("a1"), memberships=(Membership(queue_id=Q),)
    )
    steps = [
        engine.enqueue(CallRequest(call_id=CallId("c1"), queue_id=Q), at(0)),
        engine.enqueue(CallRequest(call_id=CallId("c2"), queue_id=Q), at(1)),
        engine.login(profile, at(12)),
        engine.answer(AgentId("a1"), at(15)),
        engine.hang_up(CallId("c2"), at(40)),
        engine.hang_up(CallId("c1"), at(75)),
        engine.tick(at(80)),
    ]
    for actions in steps:
        book, _ = observe_all(book, events_in(actions))
    figures = snapshot(book[Q], at(80))
    assert (figures.answered, figures.abandoned, figures.waiting) == (1, 1, 0)
    assert figures.average_speed_of_answer_s == 15
    assert figures.average_handle_time_s == 65
    assert figures.service_level == pytest.approx(1 / 2)


def test_staffing_estimate_from_interval_load_when_calls_were_handled() -> None:
    # 100 calls in the first 30 minutes at 180 s each: 10 erlangs, 14 agents for
    # 80% within 20 s (the published Erlang C example).
    config = StatsConfig(interval_s=1800, service_level_s=20, target_level=0.8)
    stats = new_queue_stats(Q, at(0), config=config)
    stats = fold(stats, *(queued(f"c{i}", i) for i in range(100)))
    handled = CallHandled(
        occurred_at=at(150),
        call_id=CallId("c0"),
        queue_id=Q,
        agent_id=AgentId("a1"),
        talk_s=170,
        wrap_up_s=10,
    )
    stats = fold(stats, handled)
    assert snapshot(stats, at(1799)).agents_needed == 14


def test_no_staffing_estimate_when_nothing_was_handled() -> None:
    stats = fold(new_queue_stats(Q, at(0)), queued("c1", 1))
    assert snapshot(stats, at(60)).agents_needed is None


def test_stats_take_the_queue_target_when_built_for_a_queue() -> None:
    config = StatsConfig.for_queue(QueueConfig(queue_id=Q, service_level_s=30))
    assert (config.service_level_s, config.abandon_grace_s) == (30, 5)


def test_quiet_queue_closes_its_interval_when_all_queues_advance() -> None:
    other = QueueId("support")
    book = {Q: new_queue_stats(Q, at(0)), other: new_queue_stats(other, at(0))}
    book, records = observe_all(book, [queued("c1", 10)])
    assert records == []
    assert book[other].counts.offered == 0
    book, records = advance_all(book, at(901))
    assert sorted((r.queue_id, r.counts.offered) for r in records) == [
        (Q, 1),
        (other, 0),
    ]
