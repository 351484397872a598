"""Reports (C9): appeals by topic, by operator, repeat appeals and SLA breaches, each a
typed `Table` computed by SQL aggregation with bound parameters only, on SQLite and
PostgreSQL alike. Reads only; one short session per report."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals import store
from crm_core.appeals.model import AppealAction, AppealStatus, Topic
from crm_core.appeals.ports import Clock
from crm_core.appeals.tables import AppealHistoryRow, AppealRow, RouteRow, TopicRow
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.auth.tables import UserRow
from crm_core.customers.tables import CustomerRow
from crm_core.db import Sessions
from crm_core.errors import FieldError
from crm_core.reports.errors import BadFilter
from crm_core.reports.model import Cell, Column, Table, utc
from crm_core.reports.search import topic_subtrees, visible_to

A = AppealRow
H = AppealHistoryRow
CLOSED = AppealStatus.CLOSED.value
HANDLING = tuple(
    a.value
    for a in (
        AppealAction.TAKE, AppealAction.FORWARD, AppealAction.REJECT,
        AppealAction.CLOSE, AppealAction.REOPEN, AppealAction.EDIT,
    )
)  # fmt: skip
"""History actions that count as an operator handling an appeal."""


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name=name, label=label) for name, label in pairs)


REPEAT_COLUMNS = _columns(
    ("customer", "Customer"), ("topic", "Topic"), ("appeals", "Appeals"),
    ("repeats", "Repeats"), ("last_at", "Last appeal"),
    ("customer_id", "Customer id"), ("topic_name", "Topic name"),
)  # fmt: skip
SLA_COLUMNS = _columns(
    ("appeal_id", "Appeal"), ("topic", "Topic"), ("stage", "Stage"),
    ("queue", "Queue"), ("status", "Status"), ("assignee", "Assignee"),
    ("deadline_at", "Deadline"), ("late_s", "Late, s"),
    ("topic_name", "Topic name"), ("stage_name", "Stage name"),
    ("assignee_name", "Assignee name"),
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportScope:
    """Which appeals a report counts besides its period: those on `topic_ids` (a
    group stands for every topic below it) and of `customer_groups`; empty: all
    the actor sees."""

    topic_ids: tuple[uuid.UUID, ...] = ()
    customer_groups: tuple[str, ...] = ()


EVERYTHING = ReportScope()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportChoices:
    """What a report may be narrowed to: the topic tree and the customer groups
    the actor sees."""

    topics: tuple[Topic, ...]
    customer_groups: tuple[str, ...]


class ReportService:
    """Needs report.read; every report sees only the actor's customer groups.

    Periods are [since, until) in aware UTC; BadFilter when since >= until, or for
    a topic in the scope that does not exist (`topic_ids[i]`)."""

    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def choices(self, actor: Actor) -> ReportChoices:
        """The topics and the customer groups (of customers the actor sees) a
        report may be narrowed to."""
        require(actor, Permission.REPORT_READ)
        group = CustomerRow.customer_group
        query = select(group).where(group.is_not(None)).distinct().order_by(group)
        async with self._sessions() as s:
            topics = tuple((await store.topics(s)).values())
            groups = [g for g in await s.scalars(query) if g is not None]
        seen = tuple(g for g in groups if actor.sees_group(g))
        return ReportChoices(topics=topics, customer_groups=seen)

    async def names(self, actor: Actor, logins: Sequence[str]) -> Mapping[str, str]:
        """The display names of the users signing in as `logins` (those found)."""
        require(actor, Permission.REPORT_READ)
        query = select(UserRow.login, UserRow.display_name).where(
            UserRow.login.in_(sorted(set(logins)))
        )
        async with self._sessions() as s:
            return dict((await s.execute(query)).all())

    async def by_topic(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        scope: ReportScope = EVERYTHING,
    ) -> Table:
        """Appeals created in the period per topic: total, open, closed, overdue."""
        check_period(actor, since, until)
        is_closed = A.status == CLOSED
        async with self._sessions() as s:
            query = (
                select(
                    TopicRow.code, TopicRow.name, func.count(),
                    _count_if(~is_closed), _count_if(is_closed), _count_if(A.overdue),
                )
                .join(TopicRow, TopicRow.id == A.topic_id)
                .where(A.created_at >= since, A.created_at < until,
                       *await _scoped(s, actor, scope))
                .group_by(TopicRow.id, TopicRow.code, TopicRow.name)
                .order_by(TopicRow.code)
            )  # fmt: skip
            rows = (await s.execute(query)).all()
        columns = _columns(
            ("topic", "Topic"), ("name", "Name"), ("total", "Total"),
            ("open", "Open"), ("closed", "Closed"), ("overdue", "Overdue"),
        )  # fmt: skip
        return _finish("Appeals by topic", columns, rows)

    async def by_operator(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        scope: ReportScope = EVERYTHING,
    ) -> Table:
        """Per operator, from the appeals' history in the period: appeals handled
        (taken, passed on, rejected, closed, reopened or edited), appeals closed, and
        the average handling time in seconds (creation to the operator's close)."""
        check_period(actor, since, until)
        is_close = H.action == AppealAction.CLOSE.value
        async with self._sessions() as s:
            took = _seconds(s, H.at, A.created_at)
            query = (
                select(
                    UserRow.login, UserRow.display_name,
                    _distinct_if(H.action.in_(HANDLING), H.appeal_id),
                    _distinct_if(is_close, H.appeal_id),
                    func.avg(case((is_close, took))),
                )
                .join(UserRow, UserRow.id == H.actor_id)
                .join(A, A.id == H.appeal_id)
                .where(H.at >= since, H.at < until, *await _scoped(s, actor, scope))
                .group_by(UserRow.id, UserRow.login, UserRow.display_name)
                .order_by(UserRow.login)
            )  # fmt: skip
            rows = (await s.execute(query)).all()
        columns = _columns(
            ("login", "Operator"), ("name", "Name"), ("handled", "Handled"),
            ("closed", "Closed"), ("avg_handling_s", "Average handling, s"),
        )  # fmt: skip
        table = [(*row[:4], _whole(row[4])) for row in rows]
        return _finish("Appeals by operator", columns, table)

    async def repeats(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        within_days: int,
        scope: ReportScope = EVERYTHING,
    ) -> Table:
        """Customers who came back on the same topic: per customer and topic, the
        appeals created in the period and how many of them followed an earlier one
        (also before the period) within `within_days` days."""
        check_period(actor, since, until)
        if not 1 <= within_days <= 366:
            raise BadFilter([FieldError("within_days", "must be from 1 to 366")])
        async with self._sessions() as s:
            prev = (
                func.lag(A.created_at)
                .over(partition_by=(A.customer_id, A.topic_id),
                      order_by=(A.created_at, A.id))
                .label("prev")
            )  # fmt: skip
            inner = (
                select(A.customer_id, A.topic_id, A.created_at, prev)
                .where(
                    A.customer_id.is_not(None),
                    A.created_at >= since - timedelta(days=within_days),
                    A.created_at < until, *await _scoped(s, actor, scope),
                )
            ).subquery()  # fmt: skip
            gap = _seconds(s, inner.c.created_at, inner.c.prev)
            repeat = and_(inner.c.prev.is_not(None), gap <= within_days * 86_400)
            repeats = _count_if(repeat)
            query = (
                select(
                    CustomerRow.name, TopicRow.code, func.count(), repeats,
                    func.max(inner.c.created_at), inner.c.customer_id, TopicRow.name,
                )
                .join(CustomerRow, CustomerRow.id == inner.c.customer_id)
                .join(TopicRow, TopicRow.id == inner.c.topic_id)
                .where(inner.c.created_at >= since)
                .group_by(inner.c.customer_id, inner.c.topic_id, CustomerRow.name,
                          TopicRow.code, TopicRow.name)
                .having(repeats > 0)
                .order_by(repeats.desc(), CustomerRow.name, TopicRow.code)
            )  # fmt: skip
            rows = (await s.execute(query)).all()
        table = [(*r[:4], _moment(r[4]), r[5], r[6]) for r in rows]
        return _finish("Repeat appeals", REPEAT_COLUMNS, table)

    async def sla_breaches(
        self,
        actor: Actor,
        *,
        since: datetime,
        until: datetime,
        scope: ReportScope = EVERYTHING,
    ) -> Table:
        """Appeals whose deadline fell in the period and was missed: closed after it,
        or still open past it now. Latest first by how late (seconds)."""
        check_period(actor, since, until)
        now = literal(self._clock.now(), DateTime(timezone=True))
        missed = or_(
            and_(A.status != CLOSED, A.deadline_at < now),
            and_(A.status == CLOSED, A.closed_at > A.deadline_at),
        )
        async with self._sessions() as s:
            late = _seconds(s, func.coalesce(A.closed_at, now), A.deadline_at)
            query = (
                select(
                    A.id, TopicRow.code, A.stage, A.queue, A.status,
                    UserRow.login, A.deadline_at, late, TopicRow.name,
                    UserRow.display_name, A.route_id,
                )
                .join(TopicRow, TopicRow.id == A.topic_id)
                .outerjoin(UserRow, UserRow.id == A.assignee_id)
                .where(A.deadline_at >= since, A.deadline_at < until, missed,
                       *await _scoped(s, actor, scope))
                .order_by(late.desc(), A.id)
            )  # fmt: skip
            rows = (await s.execute(query)).all()
            stages = await _stage_names(s, {r[10] for r in rows})
        table = [
            (*r[:6], _moment(r[6]), _whole(r[7]), r[8], stages.get((r[10], r[2])),
             r[9])
            for r in rows
        ]  # fmt: skip
        return _finish("SLA breaches", SLA_COLUMNS, table)


async def _scoped(
    s: AsyncSession, actor: Actor, scope: ReportScope
) -> list[ColumnElement[bool]]:
    """The appeals `actor` sees, narrowed to `scope`."""
    where = visible_to(actor)
    if scope.topic_ids:
        where.append(A.topic_id.in_(await topic_subtrees(s, scope.topic_ids)))
    if scope.customer_groups:
        where.append(A.customer_group.in_(scope.customer_groups))
    return where


async def _stage_names(
    s: AsyncSession, route_ids: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], str]:
    """(route, stage code) -> the stage's name, for the routes given."""
    if not route_ids:
        return {}
    query = select(RouteRow.id, RouteRow.definition).where(RouteRow.id.in_(route_ids))
    names: dict[tuple[uuid.UUID, str], str] = {}
    for route_id, definition in (await s.execute(query)).all():
        for stage in store.stages_from_definition(definition):
            names[(route_id, stage.code)] = stage.name
    return names


def check_period(actor: Actor, since: datetime, until: datetime) -> None:
    """Raises Forbidden without report.read, BadFilter for a period that is not
    [since, until) in aware moments."""
    require(actor, Permission.REPORT_READ)
    problems = [
        FieldError(name, "must carry a time zone")
        for name, moment in (("since", since), ("until", until))
        if moment.tzinfo is None
    ]
    if not problems and since >= until:
        problems.append(FieldError("since", "must come before until"))
    if problems:
        raise BadFilter(problems)


def _count_if(condition: SQLColumnExpression[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _distinct_if(
    condition: SQLColumnExpression[bool], value: SQLColumnExpression[Any]
) -> ColumnElement[int]:
    return func.count(func.distinct(case((condition, value))))


def _seconds(
    s: AsyncSession,
    later: SQLColumnExpression[Any],
    earlier: SQLColumnExpression[Any],
) -> ColumnElement[Any]:
    """`later - earlier` in seconds: PostgreSQL has intervals, SQLite day numbers."""
    if s.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86_400.0


def _whole(value: object) -> int | None:
    """Seconds rounded to whole ones (julianday arithmetic is a float)."""
    if value is None:
        return None
    assert isinstance(value, int | float | Decimal)
    return round(float(value))


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns max() of a datetime column as text
        return utc(datetime.fromisoformat(value))
    assert isinstance(value, datetime)
    return utc(value)


def _finish(
    title: str, columns: tuple[Column, ...], rows: Sequence[Sequence[Any]]
) -> Table:
    cells: tuple[tuple[Cell, ...], ...] = tuple(tuple(row) for row in rows)
    return Table(title=title, columns=columns, rows=cells)
