"""Closed statistics intervals kept in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.model import AgentId, QueueId
from acd.stats import IntervalCounts, IntervalRecord
from acd.tables import SqlIntervalStore
from crm_core.db import Sessions

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def _record(queue: str, n: int, answered: int) -> IntervalRecord:
    return IntervalRecord(
        queue_id=QueueId(queue),
        start=START + n * QUARTER,
        end=START + (n + 1) * QUARTER,
        counts=IntervalCounts(
            offered=answered + 2,
            answered=answered,
            answered_in_target=answered - 1,
            abandoned=1,
            abandoned_short=1,
            answer_wait_s=12.5 * answered,
            handled=answered,
            handle_s=95.0 * answered,
            busy_agent_s=1800.0,
            staffed_agent_s=2700.0,
        ),
    )


async def test_intervals_read_back_in_order_when_saved(sessions: Sessions) -> None:
    store = SqlIntervalStore(sessions)
    records = [
        _record("sales", 0, 3),
        _record("billing", 1, 5),
        _record("billing", 0, 4),
    ]

    await store.save(records)

    found = await store.between(START, START + 4 * QUARTER)
    assert found == [records[2], records[1], records[0]]
    billing = await store.between(START, START + QUARTER, queue_id=QueueId("billing"))
    assert billing == [records[2]]


async def test_interval_is_replaced_when_saved_again(sessions: Sessions) -> None:
    store = SqlIntervalStore(sessions)
    await store.save([_record("billing", 0, 4)])

    again = _record("billing", 0, 9)
    await store.save([again])

    assert await store.between(START, START + QUARTER) == [again]


def _agent(agent: str, n: int, pauses: dict[str, PauseTally]) -> AgentIntervalRecord:
    return AgentIntervalRecord(
        agent_id=AgentId(agent),
        start=START + n * QUARTER,
        end=START + (n + 1) * QUARTER,
        counts=AgentCounts(
            offered=4, answered=3, missed=1, handled=3, talk_s=310.5,
            wrap_up_s=30.0, logged_in_s=900.0, ready_s=200.0, busy_s=400.0,
            pauses=MappingProxyType(pauses),
        ),
    )  # fmt: skip


async def test_agents_intervals_read_back_with_their_pauses_when_saved(
    sessions: Sessions,
) -> None:
    store = SqlIntervalStore(sessions)
    breaks = {
        "break": PauseTally(pauses=1, paused_s=200.0),
        "lunch": PauseTally(pauses=2, paused_s=100.0),
    }
    records = [_agent("boris", 0, {}), _agent("anna", 1, breaks), _agent("anna", 0, {})]

    await store.save_agents(records)
    again = _agent("anna", 1, {"training": PauseTally(pauses=1, paused_s=300.0)})
    await store.save_agents([again])

    found = await store.agents_between(START, START + 4 * QUARTER)
    assert found == [records[2], again, records[0]]
    anna = await store.agents_between(
        START + QUARTER, START + 2 * QUARTER, agent_id=AgentId("anna")
    )
    assert anna == [again]
