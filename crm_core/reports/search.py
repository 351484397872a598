"""Appeal search (C8): filters turned into one SQL query with bound parameters, keyset
pages stable under inserts, visibility by the actor's customer groups.

Reads only; each page is its own short session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals import store
from crm_core.appeals.model import AppealStatus, AttributeDef, AttributeKind, TopicId
from crm_core.appeals.tables import AppealRow
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.db import Sessions
from crm_core.errors import FieldError
from crm_core.reports.errors import BadFilter
from crm_core.reports.filters import MAX_LIMIT, AppealFilter, AttributeFilter
from crm_core.reports.model import (
    AppealHit,
    Cursor,
    SearchPage,
    SortOrder,
    cursor_after,
    decode_cursor,
    encode_cursor,
    utc,
)

A = AppealRow
K = AttributeKind

_HIT_COLUMNS = (
    A.id, A.topic_id, A.stage, A.queue, A.status, A.assignee_id, A.customer_id,
    A.customer_group, A.description, A.created_at, A.updated_at, A.deadline_at,
    A.overdue, A.archived,
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class _Schema:
    """What a filter is checked against: the topic tree and attribute kinds."""

    children: Mapping[uuid.UUID, Sequence[uuid.UUID]]
    kinds: Mapping[str, AttributeKind]


class AppealSearch:
    """Searches appeals for an actor who holds appeal.read."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def search(
        self,
        actor: Actor,
        flt: AppealFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        """One page of appeals matching `flt`, in `flt.sort` order, after `cursor`.

        `limit` above MAX_LIMIT is cut to it. Raises Forbidden without appeal.read,
        BadFilter naming the field (unknown topic or attribute, a value of the wrong
        type, limit < 1) and BadCursor for a cursor not given out by this sort."""
        require(actor, Permission.APPEAL_READ)
        if limit < 1:
            raise BadFilter([FieldError("limit", "must be at least 1")])
        after = None if cursor is None else decode_cursor(cursor, flt.sort)
        size = min(limit, MAX_LIMIT)
        async with self._sessions() as s:
            where = await conditions(s, actor, flt)
            query = _page_query(where, flt.sort, after, size + 1)
            rows = (await s.execute(query)).all()
        hits = tuple(_hit(row) for row in rows[:size])
        more = len(rows) > size
        next_cursor = encode_cursor(cursor_after(hits[-1], flt.sort)) if more else None
        return SearchPage(items=hits, next_cursor=next_cursor)

    async def count(self, actor: Actor, flt: AppealFilter, *, cap: int = 999) -> int:
        """How many appeals match `flt`, counted up to `cap + 1` (a list says
        "999+" rather than count millions). Errors as `search`."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            where = await conditions(s, actor, flt)
            matching = select(A.id).where(*where.all()).limit(cap + 1).subquery()
            found = await s.scalar(select(func.count()).select_from(matching))
        return int(found or 0)

    async def iterate(
        self, actor: Actor, flt: AppealFilter, *, page_size: int = MAX_LIMIT
    ) -> AsyncIterator[AppealHit]:
        """Every matching appeal, page by page (one short session per page), so a
        caller can stream millions without holding them."""
        cursor: str | None = None
        while True:
            page = await self.search(actor, flt, cursor=cursor, limit=page_size)
            for hit in page.items:
                yield hit
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


@dataclass(frozen=True, slots=True, kw_only=True)
class Where:
    """A filter as SQL: topics, statuses and overdue apart, so that a page can be
    read as one index range per (topic, status) or (status, overdue) pair."""

    common: list[ColumnElement[bool]]
    topics: list[TopicId]
    """Empty: any topic."""
    statuses: list[str]
    """Empty: any status."""
    overdue: bool | None = None
    """None: either."""

    def all(self) -> list[ColumnElement[bool]]:
        where = list(self.common)
        if self.topics:
            where.append(A.topic_id.in_(self.topics))
        if self.statuses:
            where.append(A.status.in_(self.statuses))
        if self.overdue is not None:
            where.append(A.overdue.is_(self.overdue))
        return where


async def conditions(s: AsyncSession, actor: Actor, flt: AppealFilter) -> Where:
    """The WHERE clauses for `flt` as `actor` sees appeals."""
    schema = await _schema(s, flt)
    common = [*visible_to(actor), *_plain_conditions(flt)]
    common.extend(
        _attribute_condition(i, a, schema) for i, a in enumerate(flt.attributes)
    )
    topics = _topics_below(flt.topic_ids, schema) if flt.topic_ids else []
    return Where(
        common=common, topics=topics, statuses=[st.value for st in flt.statuses],
        overdue=flt.overdue,
    )  # fmt: skip


def visible_to(actor: Actor) -> list[ColumnElement[bool]]:
    """Only appeals of customer groups the actor may see ("" also admits none)."""
    groups = actor.customer_groups
    if groups is None:
        return []
    named = A.customer_group.in_(sorted(groups)) if groups else false()
    return [or_(named, A.customer_group.is_(None)) if "" in groups else named]


def _plain_conditions(flt: AppealFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not flt.include_archived:
        where.append(A.archived.is_(False))
    if flt.stages:
        where.append(A.stage.in_(flt.stages))
    if flt.queues:
        where.append(A.queue.in_(flt.queues))
    if flt.assignee_ids:
        where.append(A.assignee_id.in_(flt.assignee_ids))
    if flt.customer_id is not None:
        where.append(A.customer_id == flt.customer_id)
    if flt.text is not None:
        where.append(A.description.icontains(flt.text, autoescape=True))
    for column, start, end in (
        (A.created_at, flt.created_from, flt.created_to),
        (A.updated_at, flt.updated_from, flt.updated_to),
    ):
        if start is not None:
            where.append(column >= start)
        if end is not None:
            where.append(column < end)
    return where


async def _schema(s: AsyncSession, flt: AppealFilter) -> _Schema:
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    kinds: dict[str, AttributeKind] = {}
    if flt.topic_ids:
        for topic in (await store.topics(s)).values():
            children.setdefault(topic.id, [])
            if topic.parent_id is not None:
                children.setdefault(topic.parent_id, []).append(topic.id)
    if flt.attributes:
        declared = await store.declared_attributes(s)
        kinds = _kinds(d for defs in declared.values() for d in defs)
    return _Schema(children=children, kinds=kinds)


async def topic_subtrees(s: AsyncSession, ids: Sequence[uuid.UUID]) -> list[TopicId]:
    """`ids` and every topic below them; BadFilter naming `topic_ids[i]` for an
    unknown one."""
    return _topics_below(ids, await _schema(s, AppealFilter(topic_ids=tuple(ids))))


def _kinds(definitions: Iterable[AttributeDef]) -> dict[str, AttributeKind]:
    kinds: dict[str, AttributeKind] = {}
    for d in definitions:
        kinds.setdefault(d.code, d.kind)
    return kinds


def _topics_below(ids: Sequence[uuid.UUID], schema: _Schema) -> list[TopicId]:
    found: list[TopicId] = []
    pending = list(ids)
    for i, topic_id in enumerate(ids):
        if topic_id not in schema.children:
            raise BadFilter([FieldError(f"topic_ids[{i}]", "no such topic")])
    while pending:
        current = pending.pop()
        found.append(TopicId(current))
        pending.extend(schema.children[current])
    return sorted(set(found))


def _attribute_condition(
    index: int, a: AttributeFilter, schema: _Schema
) -> ColumnElement[bool]:
    field = f"attributes[{index}]"
    kind = schema.kinds.get(a.code)
    if kind is None:
        raise BadFilter([FieldError(f"{field}.code", "no such attribute")])
    value = A.attributes[a.code]
    match kind:
        case K.BOOLEAN:
            if not isinstance(a.eq, bool):
                raise BadFilter([FieldError(f"{field}.eq", "must be true or false")])
            flag: ColumnElement[bool] = value.as_boolean() == a.eq
            return flag
        case K.DECIMAL:
            number = cast(value.as_string(), Float)
            return _range(number, field, a, _decimal)
        case K.DATE:
            return _range(value.as_string(), field, a, _date)
        case K.STRING | K.DICTIONARY:
            if a.eq is None or isinstance(a.eq, bool):
                raise BadFilter([FieldError(f"{field}.eq", "must be a text to match")])
            same: ColumnElement[bool] = value.as_string() == str(a.eq)
            return same


def _range(
    column: ColumnElement[Any],
    field: str,
    a: AttributeFilter,
    parse: Callable[[object], float | str | None],
) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    for name, raw in (("eq", a.eq), ("gte", a.gte), ("lte", a.lte)):
        if raw is None:
            continue
        bound = parse(raw)
        if bound is None:
            raise BadFilter([FieldError(f"{field}.{name}", _WRONG[parse])])
        if name == "eq":
            parts.append(column == bound)
        elif name == "gte":
            parts.append(column >= bound)
        else:
            parts.append(column <= bound)
    return and_(true(), *parts)


def _decimal(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return float(number) if number.is_finite() else None


def _date(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


_WRONG: dict[Callable[[object], float | str | None], str] = {
    _decimal: "must be a number",
    _date: "must be a date (YYYY-MM-DD)",
}


def _page_query(
    where: Where, sort: SortOrder, after: Cursor | None, size: int
) -> Select[*tuple[Any, ...]]:
    """`size` rows after the cursor. A page over several topics or statuses is read
    as one ordered, limited index range per part (see `_ranges`), merged: an IN
    list would make PostgreSQL fetch and sort every matching row (hundreds of
    thousands in a busy queue) before the first page."""
    keyset = [] if after is None else [_keyset(sort, after)]
    ranges = _ranges(where, sort)
    if 1 < len(ranges) <= MAX_MERGED_RANGES:
        parts = [
            select(*_HIT_COLUMNS)
            .where(*conditions, *keyset)
            .order_by(*_order(sort, A))
            .limit(size)
            .subquery()
            for conditions in ranges
        ]
        merged = union_all(*(select(part) for part in parts)).subquery()
        return select(*merged.c).order_by(*_order(sort, merged.c)).limit(size)
    return (
        select(*_HIT_COLUMNS)
        .where(*where.all(), *keyset)
        .order_by(*_order(sort, A))
        .limit(size)
    )


MAX_MERGED_RANGES = 32
"""Past this many ranges a page is one plain query."""


def _ranges(where: Where, sort: SortOrder) -> list[list[ColumnElement[bool]]]:
    """The conditions of each index range a page is merged from. Newest first:
    one per (topic, status) (ix_appeals_topic_status_created, or
    ix_appeals_status_created); nearest deadline first, for given statuses: one
    per (status, overdue) (ix_appeals_overdue_deadline), as the work lists ask."""
    if sort is SortOrder.DEADLINE_ASC:
        if not where.statuses:
            return [where.all()]
        overdue = [False, True] if where.overdue is None else [where.overdue]
        in_topics = [A.topic_id.in_(where.topics)] if where.topics else []
        return [
            [*where.common, *in_topics, A.status == status, A.overdue == late]
            for status, late in product(where.statuses, overdue)
        ]
    topics: list[TopicId | None] = [*where.topics] or [None]
    statuses: list[str | None] = [*where.statuses] or [None]
    late = [] if where.overdue is None else [A.overdue.is_(where.overdue)]
    return [
        [*where.common, *late, *_pair(topic, status)]
        for topic, status in product(topics, statuses)
    ]


def _pair(topic: TopicId | None, status: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if topic is not None:
        where.append(A.topic_id == topic)
    if status is not None:
        where.append(A.status == status)
    return where


def _order(sort: SortOrder, c: Any) -> list[ColumnElement[Any]]:
    """The page's order over `c`: the table's columns or a merged subquery's."""
    match sort:
        case SortOrder.CREATED_DESC:
            return [c.created_at.desc(), c.id.desc()]
        case SortOrder.DEADLINE_ASC:
            return [c.deadline_at.asc().nulls_last(), c.id.asc()]


def _keyset(sort: SortOrder, after: Cursor) -> ColumnElement[bool]:
    match sort:
        case SortOrder.CREATED_DESC:
            assert after.key is not None
            return and_(
                # the plain bound lets an index on created_at seek to the cursor
                A.created_at <= after.key,
                or_(
                    A.created_at < after.key,
                    and_(A.created_at == after.key, A.id < after.id),
                ),
            )
        case SortOrder.DEADLINE_ASC:
            return _after_deadline(after)


def _after_deadline(after: Cursor) -> ColumnElement[bool]:
    if after.key is None:
        return and_(A.deadline_at.is_(None), A.id > after.id)
    return or_(
        A.deadline_at > after.key,
        and_(A.deadline_at == after.key, A.id > after.id),
        A.deadline_at.is_(None),
    )


def _hit(row: Sequence[Any]) -> AppealHit:
    (id_, topic_id, stage, queue, status, assignee_id, customer_id, group) = row[:8]
    (description, created_at, updated_at, deadline_at, overdue, archived) = row[8:]
    return AppealHit(
        id=id_, topic_id=topic_id, stage=stage, queue=queue,
        status=AppealStatus(status), assignee_id=assignee_id,
        customer_id=customer_id, customer_group=group, description=description,
        created_at=utc(created_at), updated_at=utc(updated_at),
        deadline_at=None if deadline_at is None else utc(deadline_at),
        overdue=overdue, archived=archived,
    )  # fmt: skip
