"""Closed 15-minute statistics intervals: one row per queue and interval start, one
per agent and interval start (with a row per pause reason), and `SqlIntervalStore`,
the `acd.ports.IntervalStore` over them. Stores only; the figures are computed in
`acd.stats` and `acd.agent_stats`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeVar

from sqlalchemy import DateTime, Float, Integer, String, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.model import AgentId, QueueId
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


class AcdAgentIntervalRow(Base):
    __tablename__ = "acd_agent_intervals"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    missed: Mapped[int] = mapped_column(Integer)
    handled: Mapped[int] = mapped_column(Integer)
    talk_s: Mapped[float] = mapped_column(Float)
    wrap_up_s: Mapped[float] = mapped_column(Float)
    logged_in_s: Mapped[float] = mapped_column(Float)
    ready_s: Mapped[float] = mapped_column(Float)
    busy_s: Mapped[float] = mapped_column(Float)


class AcdAgentPauseRow(Base):
    """An agent's pauses for one reason within one of their intervals."""

    __tablename__ = "acd_agent_pauses"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    pauses: Mapped[int] = mapped_column(Integer)
    paused_s: Mapped[float] = mapped_column(Float)


_AGENT_FIELDS = tuple(
    name for name in AgentCounts.__dataclass_fields__ if name != "pauses"
)


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


def _agent_record(
    row: AcdAgentIntervalRow, pauses: list[AcdAgentPauseRow]
) -> AgentIntervalRecord:
    tallies = {
        p.reason: PauseTally(pauses=p.pauses, paused_s=p.paused_s) for p in pauses
    }
    counts = AgentCounts(
        **{name: getattr(row, name) for name in _AGENT_FIELDS},
        pauses=MappingProxyType(tallies),
    )
    return AgentIntervalRecord(
        agent_id=AgentId(row.agent_id),
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

    async def save_agents(self, records: Sequence[AgentIntervalRecord]) -> None:
        if not records:
            return
        keys = [(r.agent_id, r.start) for r in records]
        async with asyncio.timeout(self._timeout_s), self._sessions.begin() as s:
            for table in (AcdAgentIntervalRow, AcdAgentPauseRow):
                await s.execute(
                    delete(table).where(tuple_(table.agent_id, table.start).in_(keys))
                )
            for r in records:
                fields = {name: getattr(r.counts, name) for name in _AGENT_FIELDS}
                s.add(
                    AcdAgentIntervalRow(
                        agent_id=r.agent_id, start=r.start, end=r.end, **fields
                    )
                )
                s.add_all(
                    AcdAgentPauseRow(
                        agent_id=r.agent_id,
                        start=r.start,
                        reason=reason,
                        pauses=tally.pauses,
                        paused_s=tally.paused_s,
                    )
                    for reason, tally in r.counts.pauses.items()
                )

    async def agents_between(
        self, start: datetime, end: datetime, *, agent_id: AgentId | None = None
    ) -> list[AgentIntervalRecord]:
        """Agents' intervals starting in [start, end), by agent then start."""
        async with asyncio.timeout(self._timeout_s), self._sessions() as s:
            rows = await _agent_rows(s, AcdAgentIntervalRow, start, end, agent_id)
            pauses = await _agent_rows(s, AcdAgentPauseRow, start, end, agent_id)
        by_key: dict[tuple[str, datetime], list[AcdAgentPauseRow]] = {}
        for pause in pauses:
            by_key.setdefault((pause.agent_id, _utc(pause.start)), []).append(pause)
        return [
            _agent_record(row, by_key.get((row.agent_id, _utc(row.start)), []))
            for row in rows
        ]


_R = TypeVar("_R", AcdAgentIntervalRow, AcdAgentPauseRow)


async def _agent_rows(
    s: AsyncSession,
    table: type[_R],
    start: datetime,
    end: datetime,
    agent_id: AgentId | None,
) -> list[_R]:
    query = select(table).where(table.start >= start, table.start < end)
    if agent_id is not None:
        query = query.where(table.agent_id == agent_id)
    query = query.order_by(table.agent_id, table.start)
    return list((await s.scalars(query)).all())
