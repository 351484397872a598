"""Closed 15-minute statistics intervals: one row per queue and interval start, one
per agent and interval start (with a row per pause reason), and `SqlIntervalStore`,
the `acd.ports.IntervalStore` over them; the queues and agents' seats an
administrator edits, one row each, and `SqlConfigurationStore`. Stores only; the
figures are computed in `acd.stats` and `acd.agent_stats`, the rules are
`acd.configuration`'s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Integer,
    String,
    delete,
    exists,
    select,
    tuple_,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from acd.agent_stats import AgentCounts, AgentIntervalRecord, PauseTally
from acd.configuration import Configuration, QueueInput, SeatInput
from acd.errors import ConfigurationNotSaved
from acd.model import AgentId, QueueId
from acd.ports import Clock
from acd.stats import IntervalCounts, IntervalRecord
from crm_core.db import Base, Sessions

log = logging.getLogger(__name__)

DB_TIMEOUT_S = 10.0
M = TypeVar("M", bound=BaseModel)


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


class AcdQueueRow(Base):
    """A queue as an administrator set it: the `QueueInput` document."""

    __tablename__ = "acd_queues"

    def __repr__(self) -> str:
        return f"queue={self.queue_id}"

    queue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AcdSeatRow(Base):
    """An agent's seat as an administrator set it: the `SeatInput` document."""

    __tablename__ = "acd_seats"

    def __repr__(self) -> str:
        return f"seat={self.login}"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SqlConfigurationStore:
    """Keeps the queues and seats (`acd.administration.ConfigurationStore`)."""

    def __init__(
        self, sessions: Sessions, clock: Clock, *, timeout_s: float = DB_TIMEOUT_S
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._timeout_s = timeout_s

    async def load(self) -> Configuration:
        try:
            async with asyncio.timeout(self._timeout_s), self._sessions() as s:
                queues = (await s.scalars(select(AcdQueueRow))).all()
                seats = (await s.scalars(select(AcdSeatRow))).all()
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            raise ConfigurationNotSaved(f"not read: {error!r}") from error
        return Configuration(
            queues=tuple(
                sorted(_readable(QueueInput, queues), key=lambda q: q.queue_id)
            ),
            seats=tuple(sorted(_readable(SeatInput, seats), key=lambda s: s.login)),
        )

    async def save_all(self, config: Configuration) -> None:
        now = self._clock.now()
        async with self._unit() as s:
            if await s.scalar(select(exists(AcdQueueRow.queue_id))) or await s.scalar(
                select(exists(AcdSeatRow.login))
            ):
                return
            s.add_all(_queue_row(q, now) for q in config.queues)
            s.add_all(_seat_row(seat, now) for seat in config.seats)

    async def save_queue(self, queue: QueueInput) -> None:
        async with self._unit() as s:
            await s.merge(_queue_row(queue, self._clock.now()))

    async def delete_queue(self, queue_id: str) -> None:
        async with self._unit() as s:
            await s.execute(delete(AcdQueueRow).where(AcdQueueRow.queue_id == queue_id))

    async def save_seat(self, seat: SeatInput) -> None:
        async with self._unit() as s:
            await s.merge(_seat_row(seat, self._clock.now()))

    async def delete_seat(self, login: str) -> None:
        async with self._unit() as s:
            await s.execute(delete(AcdSeatRow).where(AcdSeatRow.login == login))

    @contextlib.asynccontextmanager
    async def _unit(self) -> AsyncIterator[AsyncSession]:
        try:
            async with asyncio.timeout(self._timeout_s), self._sessions.begin() as s:
                yield s
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            raise ConfigurationNotSaved(f"not saved: {error!r}") from error


def _readable(
    model: type[M], rows: Sequence[AcdQueueRow] | Sequence[AcdSeatRow]
) -> list[M]:
    """The rows' documents as `model`; one that does not read (edited by hand)
    is logged and left out, the others serve."""
    found = []
    for row in rows:
        try:
            found.append(model.model_validate(row.document))
        except ValidationError as error:
            log.error("ACD %s not served: %s %.300r", row, error, row.document)
    return found


def _queue_row(queue: QueueInput, now: datetime) -> AcdQueueRow:
    return AcdQueueRow(
        queue_id=queue.queue_id, document=queue.model_dump(mode="json"), updated_at=now
    )


def _seat_row(seat: SeatInput, now: datetime) -> AcdSeatRow:
    return AcdSeatRow(
        login=seat.login, document=seat.model_dump(mode="json"), updated_at=now
    )
