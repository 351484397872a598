"""Appeals registered during the call (U2): the topics the operator may use (their
contact template's), the topic's form as the CRM would store it for the values
typed so far (conditional rules evaluated by the CRM's rules engine), saving it on
the call's contact, and passing it on along its route. Decides nothing itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent_ui import views
from agent_ui.agent.calls import DeskCalls, own_call
from crm_core.appeals.model import Appeal, ContactTemplate, Topic, TopicId, Transition
from crm_core.appeals.service import AppealDraft, AppealInput, AppealService
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicMenu:
    """The topics the operator may register appeals on, with their groups."""

    topics: Sequence[Topic]
    """Active topics (not groups) the operator's template allows."""
    groups: Mapping[uuid.UUID, str]
    """Group names by id, for grouping the choice."""
    default: TopicId | None
    template: ContactTemplate


async def topic_menu(topics: TopicService, actor: Actor) -> TopicMenu:
    """The topics the actor may register appeals on (their contact template's)."""
    tree = await topics.tree(actor)
    template = await topics.template(actor, actor.user_id)
    allowed = template.allowed_topic_ids
    usable = [
        t
        for t in tree
        if t.active and not t.is_group and (not allowed or t.id in allowed)
    ]
    return TopicMenu(
        topics=sorted(usable, key=lambda t: t.name),
        groups={t.id: t.name for t in tree if t.is_group},
        default=template.default_topic_id,
        template=template,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Registered:
    appeal: Appeal
    topic_name: str
    moves: Sequence[Transition]
    """Where it may be passed on from its stage (its route's transitions)."""
    stage_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationParts:
    calls: DeskCalls
    appeals: AppealService
    topics: TopicService


class Registration:
    def __init__(self, parts: RegistrationParts) -> None:
        self._calls = parts.calls
        self._appeals = parts.appeals
        self._topics = parts.topics

    async def menu(self, actor: Actor) -> TopicMenu:
        return await topic_menu(self._topics, actor)

    async def draft(
        self,
        actor: Actor,
        call_id: str,
        *,
        topic_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        description: str = "",
        attributes: Mapping[str, object] | None = None,
    ) -> AppealDraft:
        """The form of an appeal on `topic_id` for the values typed so far."""
        call = own_call(self._calls, actor, call_id)
        return await self._appeals.draft(
            actor, self._input(call, topic_id, customer_id, description, attributes)
        )

    async def register(
        self,
        actor: Actor,
        call_id: str,
        *,
        topic_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        description: str,
        attributes: Mapping[str, object],
    ) -> Registered:
        """Save the appeal on the call's contact; ValidationFailed names each bad
        field and nothing is saved then."""
        call = own_call(self._calls, actor, call_id)
        data = self._input(call, topic_id, customer_id, description, attributes)
        appeal = await self._appeals.create(actor, data)
        return await self._registered(actor, appeal)

    async def pass_on(
        self, actor: Actor, appeal_id: uuid.UUID, transition: str
    ) -> Registered:
        """Pass the appeal on by `transition`; one nobody has taken yet is taken
        by the actor first (only its handler may move it)."""
        appeal = await self._appeals.get(actor, appeal_id)
        if appeal.assignee_id != actor.user_id:
            appeal = await self._appeals.take(
                actor, appeal_id, expected_version=appeal.version
            )
        moved = await self._appeals.pass_on(
            actor, appeal_id, transition=transition, expected_version=appeal.version
        )
        return await self._registered(actor, moved)

    async def _registered(self, actor: Actor, appeal: Appeal) -> Registered:
        route = await self._topics.current_route(actor, appeal.topic_id)
        names = {t.id: t.name for t in await self._topics.tree(actor)}
        stage = None
        if route is not None and route.id == appeal.route_id:
            stage = next((s for s in route.stages if s.code == appeal.stage), None)
        return Registered(
            appeal=appeal,
            topic_name=names.get(appeal.topic_id, ""),
            moves=stage.transitions if stage is not None else (),
            stage_name=stage.name if stage is not None else appeal.stage,
        )

    def _input(
        self,
        call: views.DeskCall,
        topic_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        description: str,
        attributes: Mapping[str, object] | None,
    ) -> AppealInput:
        raw = call.facts.contact_id if call.facts is not None else None
        return AppealInput(
            topic_id=TopicId(topic_id),
            customer_id=customer_id,
            contact_id=uuid.UUID(raw) if raw else None,
            description=description,
            attributes=dict(attributes or {}),
        )
