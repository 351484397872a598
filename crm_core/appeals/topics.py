"""The topic catalogue: topic tree, attribute definitions, dictionaries, workflow route
versions and operators' contact templates (C3, C4, C5). Administration needs
topic.admin or route.admin; reading needs appeal.read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from crm_core.appeals import store
from crm_core.appeals.attributes import check_definition, definitions_in_effect
from crm_core.appeals.errors import TopicNotFound
from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    ContactTemplate,
    DictionaryItem,
    Route,
    RouteId,
    Stage,
    Topic,
    TopicId,
)
from crm_core.appeals.ports import Clock
from crm_core.appeals.tables import (
    DictionaryItemRow,
    DictionaryRow,
    RouteRow,
    TopicAttributeRow,
    TopicRow,
)
from crm_core.appeals.workflow import check_route, rule_schema
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.db import Sessions
from crm_core.errors import Conflict, FieldError, ValidationFailed


class TopicService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create_topic(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        parent_id: TopicId | None = None,
        is_group: bool = False,
    ) -> Topic:
        """A new topic or group. Raises Conflict for a used code, TopicNotFound for a
        missing parent, ValidationFailed when the parent is not a group."""
        require(actor, Permission.TOPIC_ADMIN)
        async with self._sessions.begin() as s:
            if await s.scalar(select(TopicRow.id).where(TopicRow.code == code)):
                raise Conflict(f"topic code {code!r} is taken")
            if parent_id is not None:
                parent = await s.get(TopicRow, parent_id)
                if parent is None:
                    raise TopicNotFound(f"no topic group {parent_id}")
                if not parent.is_group:
                    raise ValidationFailed([FieldError("parent_id", "is not a group")])
            row = TopicRow(
                id=uuid.uuid4(), parent_id=parent_id, code=code, name=name,
                is_group=is_group, active=True, position=0,
            )  # fmt: skip
            s.add(row)
            return store.topic_from_row(row)

    async def tree(self, actor: Actor) -> list[Topic]:
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            return list((await store.topics(s)).values())

    async def topic_by_code(self, actor: Actor, code: str) -> Topic:
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            row = await s.scalar(select(TopicRow).where(TopicRow.code == code))
        if row is None:
            raise TopicNotFound(f"no topic {code!r}")
        return store.topic_from_row(row)

    async def definitions(
        self, actor: Actor, topic_id: TopicId, *, active_only: bool = True
    ) -> list[AttributeDef]:
        """The attributes in effect for a topic (its groups' included)."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            topics = await store.topics(s)
            if topic_id not in topics:
                raise TopicNotFound(f"no topic {topic_id}")
            found = definitions_in_effect(
                topic_id, topics, await store.declared_attributes(s)
            )
        return [d for d in found if d.active or not active_only]

    async def attributes(self, actor: Actor) -> list[AttributeDef]:
        """Every attribute any topic declares, once per code (the first
        declaration), for searching by attribute."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            declared = await store.declared_attributes(s)
        found: dict[str, AttributeDef] = {}
        for definitions in declared.values():
            for definition in definitions:
                found.setdefault(definition.code, definition)
        return sorted(found.values(), key=lambda d: d.label.casefold())

    async def declare_attribute(
        self, actor: Actor, topic_id: TopicId, definition: AttributeDef
    ) -> None:
        """Declare (or redefine) an attribute on a topic or group.

        Its rules are checked against the topic's attributes; ValidationFailed names
        each bad field (`required_when: 1:5: ...`)."""
        require(actor, Permission.TOPIC_ADMIN)
        async with self._sessions.begin() as s:
            topics = await store.topics(s)
            if topic_id not in topics:
                raise TopicNotFound(f"no topic {topic_id}")
            declared = await store.declared_attributes(s)
            known = definitions_in_effect(topic_id, topics, declared)
            others = [d for d in known if d.code != definition.code]
            errors = check_definition(definition, rule_schema([*others, definition]))
            wanted = definition.dictionary_code
            if definition.kind is AttributeKind.DICTIONARY and wanted:
                known_dictionaries = await store.dictionaries(s)
                if wanted not in known_dictionaries:
                    errors.append(
                        FieldError("dictionary_code", f"no dictionary {wanted!r}")
                    )
            if errors:
                raise ValidationFailed(errors)
            await s.execute(
                delete(TopicAttributeRow).where(
                    TopicAttributeRow.topic_id == topic_id,
                    TopicAttributeRow.code == definition.code,
                )
            )
            position = len(declared.get(topic_id, []))
            s.add(store.attribute_row(topic_id, definition, position))

    async def define_dictionary(
        self, actor: Actor, *, code: str, name: str, items: Sequence[DictionaryItem]
    ) -> None:
        """Create or replace a dictionary's items (old codes may be made inactive)."""
        require(actor, Permission.TOPIC_ADMIN)
        async with self._sessions.begin() as s:
            row = await s.scalar(
                select(DictionaryRow).where(DictionaryRow.code == code)
            )
            if row is None:
                row = DictionaryRow(id=uuid.uuid4(), code=code, name=name)
                s.add(row)
                await s.flush()
            row.name = name
            await s.execute(
                delete(DictionaryItemRow).where(
                    DictionaryItemRow.dictionary_id == row.id
                )
            )
            for position, item in enumerate(items):
                s.add(
                    DictionaryItemRow(
                        id=uuid.uuid4(), dictionary_id=row.id, code=item.code,
                        label=item.label, active=item.active, position=position,
                    )
                )  # fmt: skip

    async def publish_route(
        self, actor: Actor, topic_id: TopicId, *, name: str, stages: Sequence[Stage]
    ) -> Route:
        """A new version of the topic's route; appeals in flight keep theirs.

        Raises ValidationFailed naming each bad stage, queue or transition field."""
        require(actor, Permission.ROUTE_ADMIN)
        async with self._sessions.begin() as s:
            topics = await store.topics(s)
            if topic_id not in topics:
                raise TopicNotFound(f"no topic {topic_id}")
            defs = definitions_in_effect(
                topic_id, topics, await store.declared_attributes(s)
            )
            errors = check_route(stages, rule_schema(defs))
            if errors:
                raise ValidationFailed(errors)
            latest = await store.latest_route(s, topic_id)
            route = Route(
                id=RouteId(uuid.uuid4()), topic_id=topic_id,
                version=1 if latest is None else latest.version + 1,
                name=name, stages=tuple(stages),
            )  # fmt: skip
            s.add(
                RouteRow(
                    id=route.id, topic_id=topic_id, version=route.version, name=name,
                    definition=store.route_definition(stages),
                    published_at=self._clock.now(), published_by=actor.user_id,
                )
            )  # fmt: skip
            return route

    async def current_route(self, actor: Actor, topic_id: TopicId) -> Route | None:
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            return await store.latest_route(s, topic_id)

    async def routes(self, actor: Actor) -> list[Route]:
        """Every version of every topic's route, oldest first per topic."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            return await store.all_routes(s)

    async def set_template(self, actor: Actor, template: ContactTemplate) -> None:
        """Set an operator's form defaults: their own, or anyone's with user.admin."""
        if template.user_id != actor.user_id:
            require(actor, Permission.USER_ADMIN)
        async with self._sessions.begin() as s:
            await store.put_template(s, template)

    async def template(self, actor: Actor, user_id: uuid.UUID) -> ContactTemplate:
        """The operator's template, or an empty one."""
        if user_id != actor.user_id:
            require(actor, Permission.USER_ADMIN)
        async with self._sessions() as s:
            found = await store.template(s, user_id)
        return found or ContactTemplate(user_id=user_id)
