"""Closed statistics intervals kept in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acd.model import QueueId
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
