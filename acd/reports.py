"""Queue and agent reports from the closed 15-minute intervals: per queue and step
(15 minutes, hour, day or the whole period, by the centre's calendar) the calls
offered, answered, abandoned, service level, speed of answer, handle time and
occupancy; per agent their time, calls and pauses. Pure: records in, tables out.

Figures are ratios (0..1) and seconds as floats (None where nothing was counted);
the pages turn them into percentages and durations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from types import MappingProxyType

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.stats import IntervalCounts, IntervalRecord, service_level
from crm_core.reports.model import Cell, Column, Table


class Step(StrEnum):
    """How finely a queue report is cut."""

    QUARTER = "quarter"
    HOUR = "hour"
    DAY = "day"
    PERIOD = "period"
    """One line per queue for the whole period."""


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name=name, label=label) for name, label in pairs)


QUEUE_COLUMNS = _columns(
    ("queue", "Queue"), ("start", "From"), ("offered", "Offered"),
    ("answered", "Answered"), ("abandoned", "Abandoned"),
    ("abandoned_short", "Short abandons"), ("left", "Voicemail or callback"),
    ("overflowed", "Overflowed"), ("service_level", "Service level"),
    ("abandon_rate", "Abandoned share"), ("asa_s", "Average speed of answer, s"),
    ("longest_wait_s", "Longest wait to answer, s"), ("handled", "Handled"),
    ("aht_s", "Average handle time, s"), ("occupancy", "Occupancy"),
)  # fmt: skip
AGENT_COLUMNS = _columns(
    ("agent", "Agent"), ("logged_in_s", "Logged in, s"), ("ready_s", "Ready, s"),
    ("busy_s", "On calls, s"), ("paused_s", "Paused, s"), ("pauses", "Pauses"),
    ("offered", "Offered"), ("answered", "Answered"), ("missed", "Missed"),
    ("handled", "Handled"), ("talk_s", "Talk, s"), ("avg_talk_s", "Average talk, s"),
    ("wrap_up_s", "Wrap-up, s"), ("avg_wrap_up_s", "Average wrap-up, s"),
    ("occupancy", "Occupancy"),
)  # fmt: skip
PAUSE_COLUMNS = _columns(
    ("agent", "Agent"), ("reason", "Reason"), ("pauses", "Pauses"),
    ("paused_s", "Paused, s"), ("avg_pause_s", "Average pause, s"),
)  # fmt: skip


def bucket(start: datetime, step: Step, zone: tzinfo) -> datetime | None:
    """The start (UTC) of the `step` an interval starting at `start` falls in, by
    the calendar of `zone`; None for the whole period."""
    match step:
        case Step.QUARTER:
            return start
        case Step.HOUR:
            local = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
            return local.astimezone(UTC)
        case Step.DAY:
            local = start.astimezone(zone)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            return midnight.astimezone(UTC)
        case Step.PERIOD:
            return None


def add_queue(a: IntervalCounts, b: IntervalCounts) -> IntervalCounts:
    """Two intervals' counts as one (the longest wait is the longer)."""
    summed = {f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)}
    longest = max(a.longest_answer_wait_s, b.longest_answer_wait_s)
    return replace(IntervalCounts(**summed), longest_answer_wait_s=longest)


def add_agent(a: AgentCounts, b: AgentCounts) -> AgentCounts:
    """Two intervals' counts of an agent as one."""
    summed = {
        f.name: getattr(a, f.name) + getattr(b, f.name)
        for f in fields(a)
        if f.name != "pauses"
    }
    pauses = dict(a.pauses)
    for reason, tally in b.pauses.items():
        was = pauses.get(reason, PauseTally())
        pauses[reason] = PauseTally(
            pauses=was.pauses + tally.pauses, paused_s=was.paused_s + tally.paused_s
        )
    return AgentCounts(**summed, pauses=MappingProxyType(pauses))


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def queue_table(
    records: Iterable[IntervalRecord], *, step: Step, zone: tzinfo
) -> Table:
    """One row per queue and step, by queue then time."""
    groups: dict[tuple[str, datetime | None], IntervalCounts] = {}
    for record in records:
        key = (record.queue_id, bucket(record.start, step, zone))
        groups[key] = add_queue(groups.get(key, IntervalCounts()), record.counts)
    rows = [
        _queue_row(queue, start, counts)
        for (queue, start), counts in sorted(groups.items(), key=_queue_order)
    ]
    return Table(title="Queues", columns=QUEUE_COLUMNS, rows=tuple(rows))


def _queue_order(
    item: tuple[tuple[str, datetime | None], IntervalCounts],
) -> tuple[str, datetime]:
    (queue, start), _ = item
    return queue, start or datetime.min.replace(tzinfo=UTC)


def _queue_row(
    queue: str, start: datetime | None, c: IntervalCounts
) -> tuple[Cell, ...]:
    return (
        queue, start, c.offered, c.answered, c.abandoned, c.abandoned_short,
        c.left, c.overflowed_out, service_level(c),
        _ratio(c.abandoned, c.offered - c.abandoned_short),
        _ratio(c.answer_wait_s, c.answered),
        c.longest_answer_wait_s if c.answered else None, c.handled,
        _ratio(c.handle_s, c.handled), _ratio(c.busy_agent_s, c.staffed_agent_s),
    )  # fmt: skip


def per_agent(records: Iterable[AgentIntervalRecord]) -> dict[str, AgentCounts]:
    """Each agent's counts over all their records."""
    totals: dict[str, AgentCounts] = {}
    for record in records:
        totals[record.agent_id] = add_agent(
            totals.get(record.agent_id, AgentCounts()), record.counts
        )
    return totals


def agent_table(
    records: Iterable[AgentIntervalRecord], *, order: Callable[[str], str] = str
) -> Table:
    """One row per agent (sorted by `order`, e.g. by name)."""
    totals = per_agent(records)
    rows = [_agent_row(agent, totals[agent]) for agent in sorted(totals, key=order)]
    return Table(title="Agents", columns=AGENT_COLUMNS, rows=tuple(rows))


def _agent_row(agent: str, c: AgentCounts) -> tuple[Cell, ...]:
    available = c.logged_in_s - c.paused_s
    return (
        agent, c.logged_in_s, c.ready_s, c.busy_s, c.paused_s, c.pause_count,
        c.offered, c.answered, c.missed, c.handled, c.talk_s,
        _ratio(c.talk_s, c.handled), c.wrap_up_s, _ratio(c.wrap_up_s, c.handled),
        _ratio(c.busy_s, available),
    )  # fmt: skip


def pause_table(
    records: Iterable[AgentIntervalRecord], *, order: Callable[[str], str] = str
) -> Table:
    """One row per agent and pause reason, the longest time paused first within
    each agent."""
    totals = per_agent(records)
    rows: list[tuple[Cell, ...]] = []
    for agent in sorted(totals, key=order):
        tallies = sorted(totals[agent].pauses.items(), key=lambda p: -p[1].paused_s)
        rows.extend(
            (agent, reason, t.pauses, t.paused_s, _ratio(t.paused_s, t.pauses))
            for reason, t in tallies
        )
    return Table(title="Pauses", columns=PAUSE_COLUMNS, rows=tuple(rows))
