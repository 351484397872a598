"""Live queue statistics folded from the engine's events; 15-minute interval records.

Pure: each function takes the figures and an event or `now` and returns new figures
(and any closed interval records); nothing here reads a clock or stores anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from acd.erlang import agents_needed
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallHandled,
    CallLeftQueue,
    CallOverflowed,
    CallQueued,
    QueueStatsUpdated,
)
from acd.minutes import Change, MinuteSeries, note, roll
from acd.model import AgentId, AgentState, QueueConfig, QueueId
from telephony.model import CallId

BUSY = frozenset(
    {AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}
)
STAFFED = BUSY | {AgentState.READY}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsConfig:
    service_level_s: float = 20.0
    """Answered within this many seconds counts towards the service level."""
    abandon_grace_s: float = 5.0
    """Callers hanging up within this many seconds are counted apart."""
    interval_s: float = 900.0
    target_level: float = 0.8
    """The service level aimed at (0..1), for the staffing estimate."""

    @classmethod
    def for_queue(
        cls, config: QueueConfig, *, abandon_grace_s: float = 5.0
    ) -> StatsConfig:
        return cls(
            service_level_s=config.service_level_s,
            abandon_grace_s=abandon_grace_s,
            target_level=config.target_level,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalCounts:
    offered: int = 0
    """Calls that joined the queue (arrivals and overflow in)."""
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    left: int = 0
    """Calls that left without an agent: voicemail, callback, hang-up message."""
    overflowed_out: int = 0
    answer_wait_s: float = 0.0
    longest_answer_wait_s: float = 0.0
    handled: int = 0
    handle_s: float = 0.0
    """Talk plus wrap-up of handled calls."""
    busy_agent_s: float = 0.0
    staffed_agent_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalRecord:
    """One queue's closed interval, as stored for reports."""

    queue_id: QueueId
    start: datetime
    end: datetime
    counts: IntervalCounts


def _empty() -> Mapping[CallId, datetime]:
    return MappingProxyType({})


def _no_agents() -> Mapping[AgentId, AgentState]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStats:
    queue_id: QueueId
    config: StatsConfig
    interval_start: datetime
    counted_to: datetime
    """Agent time is integrated up to here."""
    counts: IntervalCounts = IntervalCounts()
    waiting: Mapping[CallId, datetime] = field(default_factory=_empty)
    """Calls waiting in the queue and when they joined it."""
    agents: Mapping[AgentId, AgentState] = field(default_factory=_no_agents)
    recent_aht_s: float | None = None
    """The last closed interval's average handle time (used until this one has one)."""
    by_minute: MinuteSeries = field(default_factory=MinuteSeries)
    """The last hour minute by minute (the wallboard's chart)."""


def new_queue_stats(
    queue_id: QueueId, now: datetime, *, config: StatsConfig | None = None
) -> QueueStats:
    config = config or StatsConfig()
    return QueueStats(
        queue_id=queue_id,
        config=config,
        interval_start=interval_start(now, config.interval_s),
        counted_to=now,
    )


def interval_start(now: datetime, interval_s: float) -> datetime:
    """The start of the interval of `interval_s` seconds (aligned to the epoch)
    that holds `now`."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % interval_s, tz=UTC)


def advance(
    stats: QueueStats, now: datetime
) -> tuple[QueueStats, list[IntervalRecord]]:
    """Count agent time up to `now`, closing every interval that ended by then."""
    records: list[IntervalRecord] = []
    length = timedelta(seconds=stats.config.interval_s)
    while now >= stats.interval_start + length:
        end = stats.interval_start + length
        stats = _count_agents(stats, end)
        records.append(
            IntervalRecord(
                queue_id=stats.queue_id,
                start=stats.interval_start,
                end=end,
                counts=stats.counts,
            )
        )
        aht = _ratio(stats.counts.handle_s, stats.counts.handled)
        stats = replace(
            stats,
            interval_start=end,
            counts=IntervalCounts(),
            recent_aht_s=stats.recent_aht_s if aht is None else aht,
        )
    series = roll(stats.by_minute, now, waiting=len(stats.waiting))
    return replace(_count_agents(stats, now), by_minute=series), records


def _count_agents(stats: QueueStats, until: datetime) -> QueueStats:
    elapsed = (until - stats.counted_to).total_seconds()
    if elapsed <= 0:
        return stats
    busy = sum(1 for s in stats.agents.values() if s in BUSY)
    staffed = sum(1 for s in stats.agents.values() if s in STAFFED)
    counts = replace(
        stats.counts,
        busy_agent_s=stats.counts.busy_agent_s + busy * elapsed,
        staffed_agent_s=stats.counts.staffed_agent_s + staffed * elapsed,
    )
    return replace(stats, counts=counts, counted_to=until)


def observe(
    stats: QueueStats, event: AcdEvent
) -> tuple[QueueStats, list[IntervalRecord]]:
    """Fold one engine event into the queue's figures (others' events pass by)."""
    stats, records = advance(stats, event.occurred_at)
    after = _apply(stats, event)
    if after is stats:
        return stats, records
    change = _change(stats.counts, after.counts, waiting=len(after.waiting))
    series = note(after.by_minute, event.occurred_at, change)
    return replace(after, by_minute=series), records


def _change(before: IntervalCounts, after: IntervalCounts, *, waiting: int) -> Change:
    """What an event added to the counts (the minute series counts the same)."""
    return Change(
        offered=after.offered - before.offered,
        answered=after.answered - before.answered,
        answered_in_target=after.answered_in_target - before.answered_in_target,
        abandoned=after.abandoned - before.abandoned,
        waiting=waiting,
    )


def _apply(stats: QueueStats, event: AcdEvent) -> QueueStats:
    counts = stats.counts
    match event:
        case CallQueued(queue_id=q) if q == stats.queue_id:
            waiting = {**stats.waiting, event.call_id: event.occurred_at}
            if event.returning:  # one arrival per call: counted when it came
                return _with(stats, waiting)
            return _with(stats, waiting, offered=counts.offered + 1)
        case CallOverflowed(from_queue_id=q) if q == stats.queue_id:
            return _with(
                stats,
                _without(stats, event.call_id),
                overflowed_out=counts.overflowed_out + 1,
            )
        case CallConnected(queue_id=q) if q == stats.queue_id:
            return _answered(stats, event)
        case CallAbandoned(queue_id=q) if q == stats.queue_id:
            waiting = _without(stats, event.call_id)
            if event.waited_s <= stats.config.abandon_grace_s:
                return _with(stats, waiting, abandoned_short=counts.abandoned_short + 1)
            return _with(stats, waiting, abandoned=counts.abandoned + 1)
        case CallLeftQueue(queue_id=q) if q == stats.queue_id:
            return _with(stats, _without(stats, event.call_id), left=counts.left + 1)
        case CallHandled(queue_id=q) if q == stats.queue_id:
            handle_s = counts.handle_s + event.talk_s + event.wrap_up_s
            return _with(stats, None, handled=counts.handled + 1, handle_s=handle_s)
        case AgentStateChanged() if stats.queue_id in event.queue_ids:
            agents = dict(stats.agents)
            if event.state is AgentState.LOGGED_OUT:
                agents.pop(event.agent_id, None)
            else:
                agents[event.agent_id] = event.state
            return replace(stats, agents=MappingProxyType(agents))
        case _:
            return stats


def _answered(stats: QueueStats, event: CallConnected) -> QueueStats:
    counts = stats.counts
    in_target = event.waited_s <= stats.config.service_level_s
    return _with(
        stats,
        _without(stats, event.call_id),
        answered=counts.answered + 1,
        answered_in_target=counts.answered_in_target + in_target,
        answer_wait_s=counts.answer_wait_s + event.waited_s,
        longest_answer_wait_s=max(counts.longest_answer_wait_s, event.waited_s),
    )


def _without(stats: QueueStats, call_id: CallId) -> dict[CallId, datetime]:
    waiting = dict(stats.waiting)
    waiting.pop(call_id, None)
    return waiting


def _with(
    stats: QueueStats, waiting: dict[CallId, datetime] | None, **changes: float
) -> QueueStats:
    counts = replace(stats.counts, **changes)  # type: ignore[arg-type]  # names checked by the tests
    if waiting is None:
        return replace(stats, counts=counts)
    return replace(stats, counts=counts, waiting=MappingProxyType(waiting))


def _ratio(total: float, count: int) -> float | None:
    return total / count if count else None


def service_level(counts: IntervalCounts) -> float | None:
    """Answered within target over answered plus abandoned (short abandons excluded)."""
    offered = counts.answered + counts.abandoned
    return counts.answered_in_target / offered if offered else None


def longest_wait_s(stats: QueueStats, now: datetime) -> float:
    if not stats.waiting:
        return 0.0
    return (now - min(stats.waiting.values())).total_seconds()


def expected_wait_s(stats: QueueStats, position: int) -> float | None:
    """Estimated wait for a caller at `position` (1-based) from the live figures:
    free agents take the first callers at once; the rest are answered as staffed
    agents finish calls, one average handle time per agent. None: no basis yet."""
    ready = sum(1 for s in stats.agents.values() if s is AgentState.READY)
    staffed = sum(1 for s in stats.agents.values() if s in STAFFED)
    if position <= ready:
        return 0.0
    aht = _ratio(stats.counts.handle_s, stats.counts.handled) or stats.recent_aht_s
    if staffed == 0 or aht is None:
        return None
    return (position - ready) * aht / staffed


def staffing_estimate(stats: QueueStats, now: datetime) -> int | None:
    """Agents needed for the target service level at the interval's arrival rate and
    average handle time so far (Erlang C); None until a call has been handled."""
    elapsed = (now - stats.interval_start).total_seconds()
    aht = _ratio(stats.counts.handle_s, stats.counts.handled) or stats.recent_aht_s
    if elapsed <= 0 or aht is None:
        return None
    return agents_needed(
        arrival_per_s=stats.counts.offered / elapsed,
        aht_s=aht,
        target_s=stats.config.service_level_s,
        target_level=stats.config.target_level,
    )


def snapshot(stats: QueueStats, now: datetime) -> QueueStatsUpdated:
    """The queue's live figures as the event published every second."""
    stats, _ = advance(stats, now)
    counts = stats.counts
    by_state: dict[str, int] = {}
    for state in stats.agents.values():
        by_state[state] = by_state.get(state, 0) + 1
    return QueueStatsUpdated(
        occurred_at=now,
        queue_id=stats.queue_id,
        waiting=len(stats.waiting),
        longest_wait_s=longest_wait_s(stats, now),
        answered=counts.answered,
        abandoned=counts.abandoned,
        abandoned_short=counts.abandoned_short,
        service_level=service_level(counts),
        average_speed_of_answer_s=_ratio(counts.answer_wait_s, counts.answered),
        average_handle_time_s=_ratio(counts.handle_s, counts.handled),
        agents_by_state=tuple(sorted(by_state.items())),
        occupancy=(
            counts.busy_agent_s / counts.staffed_agent_s
            if counts.staffed_agent_s
            else None
        ),
        agents_needed=staffing_estimate(stats, now),
        interval_start=stats.interval_start,
    )


def queues_of(event: AcdEvent) -> tuple[QueueId, ...]:
    """The queues whose figures an event changes."""
    match event:
        case AgentStateChanged():
            return event.queue_ids
        case CallOverflowed():
            return (event.from_queue_id, event.to_queue_id)
        case _:
            return (event.queue_id,)


def observe_all(
    book: Mapping[QueueId, QueueStats], events: Iterable[AcdEvent]
) -> tuple[dict[QueueId, QueueStats], list[IntervalRecord]]:
    """Fold events into the figures of the queues they concern; returns the
    intervals those queues closed on the way (see `advance_all` for the rest)."""
    result = dict(book)
    records: list[IntervalRecord] = []
    for event in events:
        for queue_id in queues_of(event):
            stats = result.get(queue_id)
            if stats is not None:
                result[queue_id], closed = observe(stats, event)
                records.extend(closed)
    return result, records


def advance_all(
    book: Mapping[QueueId, QueueStats], now: datetime
) -> tuple[dict[QueueId, QueueStats], list[IntervalRecord]]:
    """Bring every queue's figures up to `now` (call it every second: quiet queues
    close their intervals here)."""
    result: dict[QueueId, QueueStats] = {}
    records: list[IntervalRecord] = []
    for queue_id, stats in book.items():
        result[queue_id], closed = advance(stats, now)
        records.extend(closed)
    return result, records
