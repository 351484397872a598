"""Closed 15-minute queue statistics intervals, one row per queue and interval start,
and `SqlIntervalStore`, the `acd.ports.IntervalStore` over them. Stores only; the
figures are computed in `acd.stats`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Integer, String, delete, select, tuple_
from sqlalchemy.orm import Mapped, mapped_column

from acd.model import QueueId
from acd.stats import IntervalCounts, IntervalRecord
from crm_core.db import Base, Sessions

DB_TIMEOUT_S = 10.0


class AcdIntervalRow(Base):
    __tablename__ = "acd_intervals"

    queue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    answered_in_target: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    abandoned_short: Mapped[int] = mapped_column(Integer)
    left: Mapped[int] = mapped_column(Integer)
    overflowed_out: Mapped[int] = mapped_column(Integer)
    answer_wait_s: Mapped[float] = mapped_column(Float)
    longest_answer_wait_s: Mapped[float] = mapped_column(Float)
    handled: Mapped[int] = mapped_column(Integer)
    handle_s: Mapped[float] = mapped_column(Float)
    busy_agent_s: Mapped[float] = mapped_column(Float)
    staffed_agent_s: Mapped[float] = mapped_column(Float)


def _utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record(row: AcdIntervalRow) -> IntervalRecord:
    counts = IntervalCounts(
        **{name: getattr(row, name) for name in IntervalCounts.__dataclass_fields__}
    )
    return IntervalRecord(
        queue_id=QueueId(row.queue_id),
        start=_utc(row.start),
        end=_utc(row.end),
        counts=counts,
    )


class SqlIntervalStore:
    """Keeps closed intervals; saving one again replaces it."""

    def __init__(self, sessions: Sessions, *, timeout_s: float = DB_TIMEOUT_S) -> None:
        self._sessions = sessions
        self._timeout_s = timeout_s

    async def save(self, records: Sequence[IntervalRecord]) -> None:
        if not records:
            return
        keys = [(r.queue_id, r.start) for r in records]
        async with asyncio.timeout(self._timeout_s), self._sessions.begin() as s:
            await s.execute(
                delete(AcdIntervalRow).where(
                    tuple_(AcdIntervalRow.queue_id, AcdIntervalRow.start).in_(keys)
                )
            )
            s.add_all(
                AcdIntervalRow(
                    queue_id=r.queue_id,
                    start=r.start,
                    end=r.end,
                    **asdict(r.counts),
                )
                for r in records
            )

    async def between(
        self, start: datetime, end: datetime, *, queue_id: QueueId | None = None
    ) -> list[IntervalRecord]:
        """Intervals starting in [start, end), by queue then start."""
        query = select(AcdIntervalRow).where(
            AcdIntervalRow.start >= start, AcdIntervalRow.start < end
        )
        if queue_id is not None:
            query = query.where(AcdIntervalRow.queue_id == queue_id)
        query = query.order_by(AcdIntervalRow.queue_id, AcdIntervalRow.start)
        async with asyncio.timeout(self._timeout_s), self._sessions() as s:
            rows = (await s.scalars(query)).all()
        return [_record(row) for row in rows]
