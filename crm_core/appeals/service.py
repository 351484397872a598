"""The appeals service: create and edit appeals and move them along their routes.

Each call is one unit of work: the appeal is read, the pure workflow decides, the new
state and its history row are written in the same transaction, guarded by the
appeal's version (optimistic concurrency: a lost race raises StaleAppeal, a Conflict),
and events are published after commit. Holds no session between calls.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals import actions, store
from crm_core.appeals import workflow as wf
from crm_core.appeals.actions import Allowed
from crm_core.appeals.attributes import (
    Review,
    definitions_in_effect,
    review,
    validate,
)
from crm_core.appeals.errors import RouteNotFound
from crm_core.appeals.events import AppealChanged, AppealCreated
from crm_core.appeals.loading import Loaded, customer_facts, load
from crm_core.appeals.model import (
    Appeal,
    AppealAction,
    AppealId,
    AppealStatus,
    AttributeDef,
    Dictionary,
    HistoryEntry,
    Route,
    RouteId,
    Step,
    Topic,
    TopicId,
)
from crm_core.appeals.ports import Clock, Publisher
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.auth.tables import UserRow
from crm_core.customers.tables import ContactRow, CustomerRow
from crm_core.db import Sessions
from crm_core.errors import FieldError, ValidationFailed
from crm_core.rules.evaluator import EvalContext


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealInput:
    """A new appeal. A missing topic comes from the operator's contact template."""

    topic_id: TopicId | None = None
    customer_id: uuid.UUID | None = None
    """A customer or a lead."""
    contact_id: uuid.UUID | None = None
    description: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)
    """Raw values (JSON-like) keyed by attribute code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealDraft:
    """An appeal as its form shows it before it is registered (`draft`)."""

    topic: Topic
    route: Route | None
    """The route it would start on; None: the topic has none published."""
    review: Review
    dictionaries: Mapping[str, Dictionary]
    """The dictionaries the attributes may name, for their choices."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prepared:
    topic: Topic
    route: Route | None
    definitions: list[AttributeDef]
    draft: Appeal
    customer: Mapping[str, object]
    dictionaries: Mapping[str, Dictionary]
    context: EvalContext


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealView:
    """One appeal as a page shows it (`view`)."""

    appeal: Appeal
    topic: Topic
    route: Route
    allowed: Allowed
    form: Review
    """Each attribute's state and the problems of the values typed."""
    dictionaries: Mapping[str, Dictionary]
    history: Sequence[HistoryEntry]
    """Oldest first."""
    children: Sequence[Appeal]
    """Oldest first; attributes as stored."""


Operation = Callable[[AsyncSession, Loaded], Awaitable[Step]]


class AppealService:
    def __init__(self, sessions: Sessions, clock: Clock, publisher: Publisher) -> None:
        self._sessions = sessions
        self._clock = clock
        self._publisher = publisher

    async def create(
        self, actor: Actor, data: AppealInput, *, parent_id: AppealId | None = None
    ) -> Appeal:
        """Register an appeal at the first stage of its topic's current route.

        Needs appeal.create. Raises ValidationFailed naming each bad field (topic_id,
        customer_id, contact_id, attributes.X) and writes nothing then."""
        require(actor, Permission.APPEAL_CREATE)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            got = await self._prepare(s, actor, data, now, parent_id=parent_id)
            if got.route is None:
                raise RouteNotFound(f"topic {got.topic.code} has no published route")
            await _check_contact(s, data.contact_id)
            values = validate(
                got.definitions, data.attributes, context=got.context,
                dictionaries=got.dictionaries,
            )  # fmt: skip
            draft = dataclasses.replace(got.draft, attributes=values)
            context = wf.rule_context(
                draft, got.customer, topic_code=got.topic.code, now=now
            )
            step = wf.start(draft, got.route, actor, context)
            store.insert_appeal(s, step.appeal)
            await s.flush()
            store.add_history(s, step.appeal.id, step.entry)
        await self._publisher.publish(_created(step, got.topic))
        return step.appeal

    async def draft(self, actor: Actor, data: AppealInput) -> AppealDraft:
        """What registering `data` would store, storing nothing: each attribute's
        state for the values given (conditional rules evaluated) and every
        problem, as `create` would name it. Raises ValidationFailed only for a
        topic or customer that cannot be used at all."""
        require(actor, Permission.APPEAL_CREATE)
        now = self._clock.now()
        async with self._sessions() as s:
            got = await self._prepare(s, actor, data, now, parent_id=None)
        found = review(
            got.definitions, data.attributes, context=got.context,
            dictionaries=got.dictionaries,
        )  # fmt: skip
        if got.route is None:
            message = "has no published route: appeals cannot be registered on it"
            found.errors.insert(0, FieldError("topic_id", message))
        return AppealDraft(
            topic=got.topic, route=got.route, review=found,
            dictionaries=got.dictionaries,
        )  # fmt: skip

    async def _prepare(
        self,
        s: AsyncSession,
        actor: Actor,
        data: AppealInput,
        now: datetime,
        *,
        parent_id: AppealId | None,
    ) -> _Prepared:
        topic_id = await self._topic_for(s, actor, data.topic_id)
        topics = await store.topics(s)
        topic = _usable_topic(topics, topic_id)
        route = await store.latest_route(s, topic_id)
        customer_row = await self._customer(s, actor, data.customer_id)
        parent = await self._parent(s, actor, parent_id)
        defs = definitions_in_effect(
            topic_id, topics, await store.declared_attributes(s)
        )
        route_id = route.id if route is not None else RouteId(uuid.UUID(int=0))
        draft = _draft(actor, data, topic_id, route_id, customer_row, parent, now)
        customer = customer_facts(customer_row)
        return _Prepared(
            topic=topic, route=route, definitions=defs, draft=draft,
            customer=customer, dictionaries=await store.dictionaries(s),
            context=wf.rule_context(draft, customer, topic_code=topic.code, now=now),
        )  # fmt: skip

    async def create_child(
        self, actor: Actor, parent_id: AppealId, data: AppealInput
    ) -> Appeal:
        """A child appeal for parallel work (C6); customer and contact default to the
        parent's. The parent cannot be closed while a child is open."""
        parent = await self.get(actor, parent_id)
        data = dataclasses.replace(
            data,
            customer_id=data.customer_id or parent.customer_id,
            contact_id=data.contact_id or parent.contact_id,
            topic_id=data.topic_id or parent.topic_id,
        )
        return await self.create(actor, data, parent_id=parent_id)

    async def get(self, actor: Actor, appeal_id: uuid.UUID) -> Appeal:
        """The appeal with typed attributes. AppealNotFound when there is none,
        AppealHidden (an AppealNotFound and a Forbidden) outside the actor's
        customer groups."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            loaded = await load(s, actor, appeal_id, now=self._clock.now())
        return loaded.appeal

    async def history(self, actor: Actor, appeal_id: uuid.UUID) -> list[HistoryEntry]:
        """Every step of the appeal, oldest first."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            wf.visible(actor, appeal_id, await store.get_appeal(s, appeal_id))
            return await store.history(s, appeal_id)

    async def view(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        attributes: Mapping[str, object] | None = None,
    ) -> AppealView:
        """Everything a page shows of the appeal, read at once: the steps the actor
        may take now, its history, its children the actor may see, and its form
        for its values with `attributes` (raw, as typed) over them (conditional
        rules evaluated, every problem `edit` would name). Stores nothing."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            got = await load(s, actor, appeal_id, now=self._clock.now())
            dictionaries = await store.dictionaries(s)
            history = await store.history(s, appeal_id)
            children = await store.children(s, appeal_id)
        still_open = sum(1 for c in children if c.status in store.OPEN)
        form = review(
            got.definitions, attributes or {}, context=got.context,
            dictionaries=dictionaries, previous=got.appeal.attributes,
        )  # fmt: skip
        return AppealView(
            appeal=got.appeal, topic=got.topic, route=got.route,
            allowed=actions.allowed(
                got.appeal, got.route, actor, got.context, open_children=still_open
            ),
            form=form, dictionaries=dictionaries, history=history,
            children=[c for c in children if actor.sees_group(c.customer_group)],
        )  # fmt: skip

    async def edit(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        description: str | None = None,
        attributes: Mapping[str, object] | None = None,
        expected_version: int | None = None,
    ) -> Appeal:
        """Change the description and/or attribute values (validated against the
        definitions in effect; read-only ones refused). Needs appeal.edit."""
        require(actor, Permission.APPEAL_EDIT)

        async def op(s: AsyncSession, got: Loaded) -> Step:
            wf.refuse_closed(got.appeal)
            values = got.appeal.attributes
            if attributes:
                values = validate(
                    got.definitions, attributes, context=got.context,
                    dictionaries=await store.dictionaries(s), previous=values,
                )  # fmt: skip
            text = got.appeal.description if description is None else description
            return wf.edited(got.appeal, actor, self._clock.now(), text, values)

        return await self._apply(actor, appeal_id, expected_version, op)

    async def take(
        self, actor: Actor, appeal_id: uuid.UUID, *, expected_version: int | None = None
    ) -> Appeal:
        """Self-assign (members of the appeal's queue). Two at once: one gets
        StaleAppeal or Conflict."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            return wf.take(got.appeal, got.route, actor, got.context.now)

        return await self._apply(actor, appeal_id, expected_version, op)

    async def assign(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        assignee_id: uuid.UUID,
        comment: str = "",
        expected_version: int | None = None,
    ) -> Appeal:
        """A queue administrator gives the appeal to a member of its queue."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            user = await s.get(UserRow, assignee_id)
            if user is None or not user.active:
                raise ValidationFailed(
                    [FieldError("assignee_id", "no such active user")]
                )
            return wf.assign(
                got.appeal, got.route, actor, assignee_id=assignee_id,
                assignee_queues=frozenset(user.queues), now=got.context.now,
                comment=comment,
            )  # fmt: skip

        return await self._apply(actor, appeal_id, expected_version, op)

    async def pass_on(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        transition: str | None = None,
        comment: str = "",
        expected_version: int | None = None,
    ) -> Appeal:
        """To the next stage: the named transition, or the first whose guard holds.
        Conflict when the route allows no move."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            return wf.pass_on(
                got.appeal, got.route, actor, got.context,
                transition=transition, comment=comment,
            )  # fmt: skip

        return await self._apply(actor, appeal_id, expected_version, op)

    async def reject(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> Appeal:
        """Back to the previous stage; `reason` is required."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            return wf.reject(got.appeal, got.route, actor, got.context, reason=reason)

        return await self._apply(actor, appeal_id, expected_version, op)

    async def close(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        comment: str = "",
        expected_version: int | None = None,
    ) -> Appeal:
        """Close where the stage allows it and no child appeal is open."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            children = await store.open_children(s, got.appeal.id)
            return wf.close(
                got.appeal, got.route, actor, open_children=children,
                now=got.context.now, comment=comment,
            )  # fmt: skip

        return await self._apply(actor, appeal_id, expected_version, op)

    async def reopen(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        comment: str = "",
        expected_version: int | None = None,
    ) -> Appeal:
        async def op(s: AsyncSession, got: Loaded) -> Step:
            return wf.reopen(got.appeal, got.route, actor, got.context, comment=comment)

        return await self._apply(actor, appeal_id, expected_version, op)

    async def set_deadline(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        deadline_at: datetime,
        comment: str = "",
        expected_version: int | None = None,
    ) -> Appeal:
        """Move the appeal's deadline (appeal.deadline); clears an overdue mark."""

        async def op(s: AsyncSession, got: Loaded) -> Step:
            return wf.set_deadline(
                got.appeal, actor, deadline_at=deadline_at, now=got.context.now,
                comment=comment,
            )  # fmt: skip

        return await self._apply(actor, appeal_id, expected_version, op)

    async def _apply(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        expected_version: int | None,
        op: Operation,
    ) -> Appeal:
        async with self._sessions.begin() as s:
            got = await load(s, actor, appeal_id, now=self._clock.now())
            if expected_version is not None and expected_version != got.appeal.version:
                raise wf.stale(got.appeal)
            step = await op(s, got)
            saved = await store.update_appeal(
                s, step.appeal, read_version=got.appeal.version
            )
            store.add_history(s, saved.id, step.entry)
        await self._publisher.publish(_changed(step))
        return saved

    async def _topic_for(
        self, s: AsyncSession, actor: Actor, topic_id: TopicId | None
    ) -> TopicId:
        template = await store.template(s, actor.user_id)
        chosen = topic_id or (template.default_topic_id if template else None)
        if chosen is None:
            raise ValidationFailed([FieldError("topic_id", "is required")])
        allowed = template.allowed_topic_ids if template else frozenset()
        if allowed and chosen not in allowed:
            message = "is not among the topics this operator may register"
            raise ValidationFailed([FieldError("topic_id", message)])
        return chosen

    async def _customer(
        self, s: AsyncSession, actor: Actor, customer_id: uuid.UUID | None
    ) -> CustomerRow | None:
        if customer_id is None:
            return None
        row = await s.get(CustomerRow, customer_id)
        if row is None or not actor.sees_group(row.customer_group):
            raise ValidationFailed([FieldError("customer_id", "no such customer")])
        return row

    async def _parent(
        self, s: AsyncSession, actor: Actor, parent_id: AppealId | None
    ) -> Appeal | None:
        if parent_id is None:
            return None
        parent = wf.visible(actor, parent_id, await store.get_appeal(s, parent_id))
        wf.refuse_closed(parent)
        return parent


def _usable_topic(topics: Mapping[TopicId, Topic], topic_id: TopicId) -> Topic:
    topic = topics.get(topic_id)
    if topic is None or topic.is_group or not topic.active:
        message = (
            "no such active topic"
            if topic is None or not topic.active
            else ("is a topic group; choose a topic in it")
        )
        raise ValidationFailed([FieldError("topic_id", message)])
    return topic


async def _check_contact(s: AsyncSession, contact_id: uuid.UUID | None) -> None:
    if contact_id is not None and await s.get(ContactRow, contact_id) is None:
        raise ValidationFailed([FieldError("contact_id", "no such contact")])


def _draft(
    actor: Actor,
    data: AppealInput,
    topic_id: TopicId,
    route_id: RouteId,
    customer: CustomerRow | None,
    parent: Appeal | None,
    now: datetime,
) -> Appeal:
    return Appeal(
        id=AppealId(uuid.uuid4()), topic_id=topic_id, route_id=route_id, stage="",
        queue=None, status=AppealStatus.WAITING, assignee_id=None,
        customer_id=data.customer_id, contact_id=data.contact_id,
        parent_id=parent.id if parent else None,
        customer_category=customer.category if customer else None,
        customer_group=customer.customer_group if customer else None,
        description=data.description, stage_path=(), created_by=actor.user_id,
        created_at=now, updated_at=now, deadline_at=None,
    )  # fmt: skip


def _created(step: Step, topic: Topic) -> AppealCreated:
    a = step.appeal
    return AppealCreated(
        occurred_at=step.entry.at, appeal_id=str(a.id), topic_code=topic.code,
        customer_id=_text(a.customer_id), contact_id=_text(a.contact_id),
        parent_id=_text(a.parent_id), stage=a.stage, queue=a.queue,
        actor_id=str(step.entry.actor_id),
    )  # fmt: skip


def _changed(step: Step) -> AppealChanged:
    a = step.appeal
    return AppealChanged(
        occurred_at=step.entry.at, appeal_id=str(a.id), action=step.entry.action.value,
        stage=a.stage, queue=a.queue, status=a.status.value,
        assignee_id=_text(a.assignee_id), actor_id=str(step.entry.actor_id),
        comment=step.entry.comment,
    )  # fmt: skip


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "AppealAction",
    "AppealDraft",
    "AppealInput",
    "AppealService",
    "AppealView",
    "customer_facts",
]
