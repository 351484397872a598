"""Each agent's figures per 15-minute interval, folded from the engine's events: time
logged in, ready, busy with calls and paused (per reason, with how many pauses),
calls offered, answered, missed and handled with their talk and wrap-up time.

Pure: each function takes the figures and an event or `now` and returns new figures
and the intervals that closed; nothing here reads a clock or stores anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallConnected,
    CallHandled,
    CallOffered,
    CallRequeued,
)
from acd.model import AgentId, AgentState
from acd.stats import BUSY, interval_start

INTERVAL_S = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseTally:
    """Pauses begun for one reason, and the time spent paused for it."""

    pauses: int = 0
    paused_s: float = 0.0


def _no_pauses() -> Mapping[str, PauseTally]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCounts:
    offered: int = 0
    answered: int = 0
    missed: int = 0
    """Offers the agent's phone did not take (the call went back to its queue)."""
    handled: int = 0
    talk_s: float = 0.0
    wrap_up_s: float = 0.0
    """Talk and wrap-up of the calls handled in the interval."""
    logged_in_s: float = 0.0
    ready_s: float = 0.0
    busy_s: float = 0.0
    """Reserved, ringing, on a call or in wrap-up."""
    pauses: Mapping[str, PauseTally] = field(default_factory=_no_pauses)
    """By pause reason code."""

    @property
    def paused_s(self) -> float:
        return sum(t.paused_s for t in self.pauses.values())

    @property
    def pause_count(self) -> int:
        return sum(t.pauses for t in self.pauses.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentIntervalRecord:
    """One agent's closed interval, as stored for reports."""

    agent_id: AgentId
    start: datetime
    end: datetime
    counts: AgentCounts


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStats:
    agent_id: AgentId
    interval_start: datetime
    counted_to: datetime
    """State time is counted up to here."""
    state: AgentState = AgentState.LOGGED_OUT
    reason: str = ""
    counts: AgentCounts = AgentCounts()
    interval_s: float = INTERVAL_S


def new_agent_stats(
    agent_id: AgentId, now: datetime, *, interval_s: float = INTERVAL_S
) -> AgentStats:
    return AgentStats(
        agent_id=agent_id,
        interval_start=interval_start(now, interval_s),
        counted_to=now,
        interval_s=interval_s,
    )


def advance(
    stats: AgentStats, now: datetime
) -> tuple[AgentStats, list[AgentIntervalRecord]]:
    """Count state time up to `now`, closing every interval that ended by then
    (an interval in which nothing was counted leaves no record)."""
    records: list[AgentIntervalRecord] = []
    length = timedelta(seconds=stats.interval_s)
    while now >= stats.interval_start + length:
        end = stats.interval_start + length
        stats = _count_time(stats, end)
        if stats.counts != AgentCounts():
            records.append(
                AgentIntervalRecord(
                    agent_id=stats.agent_id,
                    start=stats.interval_start,
                    end=end,
                    counts=stats.counts,
                )
            )
        stats = replace(stats, interval_start=end, counts=AgentCounts())
    return _count_time(stats, now), records


def _count_time(stats: AgentStats, until: datetime) -> AgentStats:
    elapsed = (until - stats.counted_to).total_seconds()
    if elapsed <= 0 or stats.state is AgentState.LOGGED_OUT:
        return replace(stats, counted_to=max(until, stats.counted_to))
    counts = replace(stats.counts, logged_in_s=stats.counts.logged_in_s + elapsed)
    if stats.state is AgentState.READY:
        counts = replace(counts, ready_s=counts.ready_s + elapsed)
    elif stats.state in BUSY:
        counts = replace(counts, busy_s=counts.busy_s + elapsed)
    elif stats.state is AgentState.PAUSED:
        counts = _paused(counts, stats.reason, seconds=elapsed)
    return replace(stats, counts=counts, counted_to=until)


def _paused(
    counts: AgentCounts, reason: str, *, seconds: float = 0.0, begun: int = 0
) -> AgentCounts:
    tally = counts.pauses.get(reason, PauseTally())
    tally = PauseTally(pauses=tally.pauses + begun, paused_s=tally.paused_s + seconds)
    return replace(counts, pauses=MappingProxyType({**counts.pauses, reason: tally}))


def observe(
    stats: AgentStats, event: AcdEvent
) -> tuple[AgentStats, list[AgentIntervalRecord]]:
    """Fold one engine event into the agent's figures (others' events pass by)."""
    stats, records = advance(stats, event.occurred_at)
    return _apply(stats, event), records


def _apply(stats: AgentStats, event: AcdEvent) -> AgentStats:
    if agent_of(event) != stats.agent_id:
        return stats
    counts = stats.counts
    match event:
        case AgentStateChanged():
            paused = event.state is AgentState.PAUSED
            begun = paused and (
                stats.state is not AgentState.PAUSED or stats.reason != event.reason
            )
            if begun:
                counts = _paused(counts, event.reason, begun=1)
            reason = event.reason if paused else ""
            return replace(stats, state=event.state, reason=reason, counts=counts)
        case CallOffered():
            return replace(stats, counts=replace(counts, offered=counts.offered + 1))
        case CallConnected():
            return replace(stats, counts=replace(counts, answered=counts.answered + 1))
        case CallRequeued():
            return replace(stats, counts=replace(counts, missed=counts.missed + 1))
        case CallHandled():
            handled = replace(
                counts,
                handled=counts.handled + 1,
                talk_s=counts.talk_s + event.talk_s,
                wrap_up_s=counts.wrap_up_s + event.wrap_up_s,
            )
            return replace(stats, counts=handled)
        case _:
            return stats


def agent_of(event: AcdEvent) -> AgentId | None:
    """The agent whose figures an event changes, if any."""
    match event:
        case (
            AgentStateChanged()
            | CallOffered()
            | CallConnected()
            | CallRequeued()
            | CallHandled()
        ):
            return event.agent_id
        case _:
            return None


def observe_agents(
    book: Mapping[AgentId, AgentStats], events: Iterable[AcdEvent]
) -> tuple[dict[AgentId, AgentStats], list[AgentIntervalRecord]]:
    """Fold events into the figures of the agents they concern (an agent met for
    the first time starts being counted then)."""
    result = dict(book)
    records: list[AgentIntervalRecord] = []
    for event in events:
        agent_id = agent_of(event)
        if agent_id is None:
            continue
        stats = result.get(agent_id) or new_agent_stats(agent_id, event.occurred_at)
        result[agent_id], closed = observe(stats, event)
        records.extend(closed)
    return result, records


def advance_agents(
    book: Mapping[AgentId, AgentStats], now: datetime
) -> tuple[dict[AgentId, AgentStats], list[AgentIntervalRecord]]:
    """Bring every agent's figures up to `now`; an agent logged out with nothing
    counted in the current interval is forgotten until their next event."""
    result: dict[AgentId, AgentStats] = {}
    records: list[AgentIntervalRecord] = []
    for agent_id, stats in book.items():
        advanced, closed = advance(stats, now)
        records.extend(closed)
        idle = advanced.counts == AgentCounts()
        if not (idle and advanced.state is AgentState.LOGGED_OUT):
            result[agent_id] = advanced
    return result, records
