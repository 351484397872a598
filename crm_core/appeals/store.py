"""Reading and writing appeal rows inside a caller's session: conversions between rows
and the model, and the queries the services need. No commits here: the service owns
the unit of work.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals.attributes import encode
from crm_core.appeals.errors import StaleAppeal
from crm_core.appeals.model import (
    Appeal,
    AppealAction,
    AppealId,
    AppealStatus,
    AttributeDef,
    AttributeKind,
    AttrValue,
    ContactTemplate,
    Dictionary,
    DictionaryItem,
    HistoryEntry,
    Queue,
    Route,
    RouteId,
    Stage,
    Topic,
    TopicId,
    Transition,
)
from crm_core.appeals.tables import (
    AppealHistoryRow,
    AppealRow,
    ContactTemplateRow,
    DictionaryItemRow,
    DictionaryRow,
    RouteRow,
    TopicAttributeRow,
    TopicRow,
)

OPEN = (AppealStatus.WAITING, AppealStatus.IN_PROGRESS, AppealStatus.REJECTED_BACK)


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive; every one stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def maybe_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


# Topics, attributes, dictionaries -------------------------------------------------


def topic_from_row(row: TopicRow) -> Topic:
    return Topic(
        id=TopicId(row.id), parent_id=TopicId(row.parent_id) if row.parent_id else None,
        code=row.code, name=row.name, is_group=row.is_group, active=row.active,
    )  # fmt: skip


async def topics(s: AsyncSession) -> dict[TopicId, Topic]:
    rows = await s.scalars(select(TopicRow).order_by(TopicRow.position, TopicRow.code))
    return {TopicId(r.id): topic_from_row(r) for r in rows}


def _plain(value: AttrValue) -> Any:
    return encode(value)


def attribute_from_row(row: TopicAttributeRow) -> AttributeDef:
    kind = AttributeKind(row.kind)
    default: AttrValue = row.default_value
    if default is not None and kind is AttributeKind.DECIMAL:
        default = Decimal(str(default))
    elif isinstance(default, str) and kind is AttributeKind.DATE:
        default = datetime.fromisoformat(default).date()
    return AttributeDef(
        code=row.code, label=row.label, kind=kind, dictionary_code=row.dictionary_code,
        default_value=default, default_rule=row.default_rule, required=row.required,
        required_when=row.required_when, hidden=row.hidden, hidden_when=row.hidden_when,
        read_only=row.read_only, read_only_when=row.read_only_when, active=row.active,
    )  # fmt: skip


def attribute_row(
    topic_id: TopicId, d: AttributeDef, position: int
) -> TopicAttributeRow:
    return TopicAttributeRow(
        id=uuid.uuid4(), topic_id=topic_id, code=d.code, label=d.label,
        kind=d.kind.value, dictionary_code=d.dictionary_code,
        default_value=_plain(d.default_value), default_rule=d.default_rule,
        required=d.required, required_when=d.required_when, hidden=d.hidden,
        hidden_when=d.hidden_when, read_only=d.read_only,
        read_only_when=d.read_only_when, active=d.active, position=position,
    )  # fmt: skip


async def declared_attributes(s: AsyncSession) -> dict[TopicId, list[AttributeDef]]:
    """Every topic's own attribute definitions, active or not, in form order."""
    rows = await s.scalars(
        select(TopicAttributeRow).order_by(
            TopicAttributeRow.position, TopicAttributeRow.code
        )
    )
    declared: dict[TopicId, list[AttributeDef]] = {}
    for row in rows:
        declared.setdefault(TopicId(row.topic_id), []).append(attribute_from_row(row))
    return declared


async def dictionaries(s: AsyncSession) -> dict[str, Dictionary]:
    heads = {r.id: r for r in await s.scalars(select(DictionaryRow))}
    items: dict[uuid.UUID, list[DictionaryItem]] = {key: [] for key in heads}
    rows = await s.scalars(
        select(DictionaryItemRow).order_by(DictionaryItemRow.position)
    )
    for row in rows:
        items[row.dictionary_id].append(
            DictionaryItem(code=row.code, label=row.label, active=row.active)
        )
    return {
        head.code: Dictionary(code=head.code, name=head.name, items=tuple(items[key]))
        for key, head in heads.items()
    }


# Routes ---------------------------------------------------------------------------


def route_definition(stages: Iterable[Stage]) -> dict[str, Any]:
    """A route's stages as JSON."""
    return {
        "stages": [
            {
                "code": st.code, "name": st.name, "deadline_s": st.deadline_s,
                "closing_allowed": st.closing_allowed,
                "queues": [
                    {"name": q.name, "when": q.when,
                     "members": sorted(str(m) for m in q.members),
                     "administrators": sorted(str(a) for a in q.administrators)}
                    for q in st.queues
                ],
                "transitions": [
                    {"name": t.name, "to_stage": t.to_stage, "guard": t.guard}
                    for t in st.transitions
                ],
            }
            for st in stages
        ]
    }  # fmt: skip


def stages_from_definition(definition: dict[str, Any]) -> tuple[Stage, ...]:
    return tuple(
        Stage(
            code=st["code"], name=st["name"], deadline_s=st["deadline_s"],
            closing_allowed=st["closing_allowed"],
            queues=tuple(
                Queue(name=q["name"], when=q["when"],
                      members=frozenset(uuid.UUID(m) for m in q["members"]),
                      administrators=frozenset(map(uuid.UUID, q["administrators"])))
                for q in st["queues"]
            ),
            transitions=tuple(
                Transition(name=t["name"], to_stage=t["to_stage"], guard=t["guard"])
                for t in st["transitions"]
            ),
        )
        for st in definition["stages"]
    )  # fmt: skip


def route_from_row(row: RouteRow) -> Route:
    return Route(
        id=RouteId(row.id), topic_id=TopicId(row.topic_id), version=row.version,
        name=row.name, stages=stages_from_definition(row.definition),
    )  # fmt: skip


async def route(s: AsyncSession, route_id: RouteId) -> Route | None:
    row = await s.get(RouteRow, route_id)
    return None if row is None else route_from_row(row)


async def latest_route(s: AsyncSession, topic_id: TopicId) -> Route | None:
    row = await s.scalar(
        select(RouteRow)
        .where(RouteRow.topic_id == topic_id)
        .order_by(RouteRow.version.desc())
        .limit(1)
    )
    return None if row is None else route_from_row(row)


async def all_routes(s: AsyncSession) -> list[Route]:
    """Every version of every route (appeals in flight keep older ones)."""
    rows = await s.scalars(
        select(RouteRow).order_by(RouteRow.topic_id, RouteRow.version)
    )
    return [route_from_row(row) for row in rows]


# Templates ------------------------------------------------------------------------


async def template(s: AsyncSession, user_id: uuid.UUID) -> ContactTemplate | None:
    row = await s.scalar(
        select(ContactTemplateRow).where(ContactTemplateRow.user_id == user_id)
    )
    if row is None:
        return None
    return ContactTemplate(
        user_id=row.user_id, place=row.place, channel=row.channel,
        allowed_topic_ids=frozenset(
            TopicId(uuid.UUID(t)) for t in row.allowed_topic_ids
        ),
        default_topic_id=(
            TopicId(row.default_topic_id) if row.default_topic_id else None
        ),
        default_category=row.default_category,
    )  # fmt: skip


async def put_template(s: AsyncSession, t: ContactTemplate) -> None:
    row = await s.scalar(
        select(ContactTemplateRow).where(ContactTemplateRow.user_id == t.user_id)
    )
    if row is None:
        row = ContactTemplateRow(id=uuid.uuid4(), user_id=t.user_id)
        s.add(row)
    row.place = t.place
    row.channel = t.channel
    row.allowed_topic_ids = sorted(str(i) for i in t.allowed_topic_ids)
    row.default_topic_id = t.default_topic_id
    row.default_category = t.default_category


# Appeals --------------------------------------------------------------------------


def appeal_from_row(row: AppealRow) -> Appeal:
    """The appeal with its attributes as stored (text); the service decodes them."""
    return Appeal(
        id=AppealId(row.id), topic_id=TopicId(row.topic_id),
        route_id=RouteId(row.route_id),
        stage=row.stage, queue=row.queue, status=AppealStatus(row.status),
        assignee_id=row.assignee_id, customer_id=row.customer_id,
        contact_id=row.contact_id,
        parent_id=AppealId(row.parent_id) if row.parent_id else None,
        customer_category=row.customer_category, customer_group=row.customer_group,
        description=row.description, attributes=dict(row.attributes),
        stage_path=tuple(row.stage_path), created_by=row.created_by,
        created_at=aware(row.created_at), updated_at=aware(row.updated_at),
        deadline_at=maybe_aware(row.deadline_at), overdue=row.overdue,
        overdue_at=maybe_aware(row.overdue_at),
        closed_at=maybe_aware(row.closed_at), archived=row.archived,
        archived_at=maybe_aware(row.archived_at),
        version=row.version,
    )  # fmt: skip


def _columns(appeal: Appeal) -> dict[str, Any]:
    return {
        "topic_id": appeal.topic_id, "route_id": appeal.route_id, "stage": appeal.stage,
        "queue": appeal.queue, "status": appeal.status.value,
        "assignee_id": appeal.assignee_id, "customer_id": appeal.customer_id,
        "contact_id": appeal.contact_id, "parent_id": appeal.parent_id,
        "customer_category": appeal.customer_category,
        "customer_group": appeal.customer_group, "description": appeal.description,
        "attributes": {k: encode(v) for k, v in appeal.attributes.items()},
        "stage_path": list(appeal.stage_path), "created_by": appeal.created_by,
        "created_at": appeal.created_at, "updated_at": appeal.updated_at,
        "deadline_at": appeal.deadline_at, "overdue": appeal.overdue,
        "overdue_at": appeal.overdue_at, "closed_at": appeal.closed_at,
        "archived": appeal.archived, "archived_at": appeal.archived_at,
    }  # fmt: skip


async def get_appeal(s: AsyncSession, appeal_id: uuid.UUID) -> Appeal | None:
    row = await s.get(AppealRow, appeal_id)
    return None if row is None else appeal_from_row(row)


def insert_appeal(s: AsyncSession, appeal: Appeal) -> None:
    s.add(AppealRow(id=appeal.id, version=appeal.version, **_columns(appeal)))


async def update_appeal(
    s: AsyncSession, appeal: Appeal, *, read_version: int
) -> Appeal:
    """Write `appeal` if nobody changed it since `read_version`; bumps the version.

    Raises StaleAppeal otherwise (a lost race, e.g. two users taking it at once).
    """
    result = await s.execute(
        update(AppealRow)
        .where(AppealRow.id == appeal.id, AppealRow.version == read_version)
        .values(version=read_version + 1, **_columns(appeal))
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleAppeal(f"appeal {appeal.id} was changed by someone else; reload it")
    return _with_version(appeal, read_version + 1)


def _with_version(appeal: Appeal, version: int) -> Appeal:
    return dataclasses.replace(appeal, version=version)


_sequence = itertools.count()


def ordered_id() -> uuid.UUID:
    """An id that sorts after every earlier one from this process (nanosecond time,
    then a counter), so entries written in one instant keep their order."""
    return uuid.UUID(int=(time.time_ns() << 64) | (next(_sequence) & (2**64 - 1)))


def add_history(s: AsyncSession, appeal_id: uuid.UUID, e: HistoryEntry) -> None:
    s.add(
        AppealHistoryRow(
            id=ordered_id(), appeal_id=appeal_id, at=e.at, actor_id=e.actor_id,
            actor_login=e.actor_login, action=e.action.value, from_stage=e.from_stage,
            from_queue=e.from_queue,
            from_status=e.from_status.value if e.from_status else None,
            from_assignee_id=e.from_assignee_id, to_stage=e.to_stage,
            to_queue=e.to_queue, to_status=e.to_status.value if e.to_status else None,
            to_assignee_id=e.to_assignee_id, comment=e.comment,
        )
    )  # fmt: skip


async def history(s: AsyncSession, appeal_id: uuid.UUID) -> list[HistoryEntry]:
    rows = await s.scalars(
        select(AppealHistoryRow)
        .where(AppealHistoryRow.appeal_id == appeal_id)
        .order_by(AppealHistoryRow.at, AppealHistoryRow.id)
    )
    return [
        HistoryEntry(
            at=aware(r.at), actor_id=r.actor_id, actor_login=r.actor_login,
            action=AppealAction(r.action), from_stage=r.from_stage,
            from_queue=r.from_queue,
            from_status=AppealStatus(r.from_status) if r.from_status else None,
            from_assignee_id=r.from_assignee_id, to_stage=r.to_stage,
            to_queue=r.to_queue,
            to_status=AppealStatus(r.to_status) if r.to_status else None,
            to_assignee_id=r.to_assignee_id, comment=r.comment,
        )
        for r in rows
    ]  # fmt: skip


async def open_children(s: AsyncSession, appeal_id: uuid.UUID) -> int:
    count = await s.scalar(
        select(func.count())
        .select_from(AppealRow)
        .where(AppealRow.parent_id == appeal_id, AppealRow.status.in_(OPEN))
    )
    return int(count or 0)


async def children(s: AsyncSession, appeal_id: uuid.UUID) -> list[Appeal]:
    """The appeal's child appeals, oldest first."""
    rows = await s.scalars(
        select(AppealRow)
        .where(AppealRow.parent_id == appeal_id)
        .order_by(AppealRow.created_at, AppealRow.id)
    )
    return [appeal_from_row(row) for row in rows]
