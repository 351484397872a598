"""Queue and agent reports made from closed intervals: steps by the centre's
calendar, figures as ratios and seconds, pauses per reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.model import AgentId, QueueId
from acd.reports import Step, agent_table, bucket, pause_table, queue_table
from acd.stats import IntervalCounts, IntervalRecord

MOSCOW = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 1, 5, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
QUARTER = timedelta(minutes=15)


def interval(queue: str, n: int, **counts: float) -> IntervalRecord:
    return IntervalRecord(
        queue_id=QueueId(queue),
        start=T0 + n * QUARTER,
        end=T0 + (n + 1) * QUARTER,
        counts=IntervalCounts(**counts),  # type: ignore[arg-type]  # names checked here
    )


BUSY = {
    "offered": 10, "answered": 8, "answered_in_target": 6, "abandoned": 1,
    "abandoned_short": 1, "answer_wait_s": 80.0, "longest_answer_wait_s": 30.0,
    "handled": 8, "handle_s": 1600.0, "busy_agent_s": 1350.0,
    "staffed_agent_s": 1800.0,
}  # fmt: skip


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (Step.QUARTER, T0 + QUARTER),
        (Step.HOUR, datetime(2026, 1, 5, 20, 0, tzinfo=UTC)),
        (Step.DAY, datetime(2026, 1, 4, 21, 0, tzinfo=UTC)),  # 5 January in Moscow
        (Step.PERIOD, None),
    ],
)
def test_an_interval_falls_in_its_step_when_cut_by_the_local_calendar(
    step: Step, expected: datetime | None
) -> None:
    assert bucket(T0 + QUARTER, step, MOSCOW) == expected


def test_queue_figures_are_computed_when_intervals_are_summed_by_day() -> None:
    records = [
        interval("billing", 0, **BUSY),  # 23:30 Moscow, 5 January
        interval("billing", 2, **BUSY, overflowed_out=2),  # 00:00, 6 January
        interval("billing", 3, **{**BUSY, "longest_answer_wait_s": 55.0}),
        interval("sales", 2, offered=1, abandoned=1),
    ]
    table = queue_table(records, step=Step.DAY, zone=MOSCOW)
    assert [row[:2] for row in table.rows] == [
        ("billing", datetime(2026, 1, 4, 21, 0, tzinfo=UTC)),
        ("billing", datetime(2026, 1, 5, 21, 0, tzinfo=UTC)),
        ("sales", datetime(2026, 1, 5, 21, 0, tzinfo=UTC)),
    ]
    second = dict(zip([c.name for c in table.columns], table.rows[1], strict=True))
    assert second == {
        "queue": "billing", "start": datetime(2026, 1, 5, 21, 0, tzinfo=UTC),
        "offered": 20, "answered": 16, "abandoned": 2, "abandoned_short": 2,
        "left": 0, "overflowed": 2, "service_level": 12 / 18,
        "abandon_rate": 2 / 18, "asa_s": 10.0, "longest_wait_s": 55.0,
        "handled": 16, "aht_s": 200.0, "occupancy": 0.75,
    }  # fmt: skip
    sales = table.rows[2]
    assert sales[8:12] == (0.0, 1.0, None, None)  # nobody answered: no wait shown


def test_one_line_per_queue_when_the_step_is_the_whole_period() -> None:
    records = [interval("support", n, **BUSY) for n in range(8)]
    (row,) = queue_table(records, step=Step.PERIOD, zone=UTC).rows
    assert row[:4] == ("support", None, 80, 64)


def agent(name: str, n: int, counts: AgentCounts) -> AgentIntervalRecord:
    return AgentIntervalRecord(
        agent_id=AgentId(name), start=T0 + n * QUARTER,
        end=T0 + (n + 1) * QUARTER, counts=counts,
    )  # fmt: skip


def pauses(**tallies: tuple[int, float]) -> MappingProxyType[str, PauseTally]:
    return MappingProxyType(
        {r: PauseTally(pauses=n, paused_s=s) for r, (n, s) in tallies.items()}
    )


WORK = AgentCounts(
    offered=5, answered=4, missed=1, handled=4, talk_s=400.0, wrap_up_s=40.0,
    logged_in_s=900.0, ready_s=300.0, busy_s=480.0,
    pauses=pauses(**{"break": (1, 120.0)}),
)  # fmt: skip


def test_agent_lines_add_their_intervals_up_when_the_period_has_several() -> None:
    lunch = AgentCounts(logged_in_s=900.0, pauses=pauses(lunch=(1, 900.0)))
    records = [
        agent("sim-1001", 0, WORK),
        agent("anna", 0, WORK),
        agent("anna", 1, lunch),
    ]
    names = {"anna": "Anna Agent", "sim-1001": "Zoya Simulated"}
    table = agent_table(records, order=lambda a: names[a])
    assert [row[0] for row in table.rows] == ["anna", "sim-1001"]
    anna = dict(zip([c.name for c in table.columns], table.rows[0], strict=True))
    assert anna == {
        "agent": "anna", "logged_in_s": 1800.0, "ready_s": 300.0, "busy_s": 480.0,
        "paused_s": 1020.0, "pauses": 2, "offered": 5, "answered": 4, "missed": 1,
        "handled": 4, "talk_s": 400.0, "avg_talk_s": 100.0, "wrap_up_s": 40.0,
        "avg_wrap_up_s": 10.0, "occupancy": 480.0 / 780.0,
    }  # fmt: skip


def test_pause_lines_come_per_reason_when_an_agent_paused_for_several() -> None:
    records = [
        agent("anna", 0, WORK),
        agent("anna", 1, AgentCounts(logged_in_s=900.0, pauses=pauses(
            lunch=(1, 600.0), **{"break": (2, 60.0)}))),
        agent("boris", 0, AgentCounts(logged_in_s=900.0)),
    ]  # fmt: skip
    table = pause_table(records)
    assert table.rows == (
        ("anna", "lunch", 1, 600.0, 600.0),
        ("anna", "break", 3, 180.0, 60.0),
    )
