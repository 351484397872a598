"""Endpoints administering the topic catalogue (C3, C4, C5, C13): topics and groups,
typed attributes, dictionaries, workflow route versions and operators' contact
templates. Translation only: TopicService checks rights and rules.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.appeal_routes import TOPICS, TopicOut
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.appeals.attributes import parse_value
from crm_core.appeals.errors import RouteNotFound
from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    ContactTemplate,
    DictionaryItem,
    Queue,
    Route,
    Stage,
    TopicId,
    Transition,
)
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, ValidationFailed

routes = ApiRoutes("topics")
P = Permission

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Rule = Annotated[str, Field(min_length=1, max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicIn(_In):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    parent_id: uuid.UUID | None = Field(default=None, description="a topic group")
    is_group: bool = False


class AttributeIn(_In):
    """A typed attribute; each flag may be limited by a rule (`*_when`)."""

    label: str = Field(min_length=1, max_length=200)
    kind: AttributeKind
    dictionary_code: str | None = Field(
        default=None, description="required for kind `dictionary`"
    )
    default_value: str | bool | int | float | None = Field(
        default=None,
        description="of the attribute's kind: `YYYY-MM-DD`, a number, true/false...",
    )
    default_rule: Rule | None = Field(
        default=None, description="a rules expression, e.g. `today() + 3`"
    )
    required: bool = False
    required_when: Rule | None = None
    hidden: bool = False
    hidden_when: Rule | None = None
    read_only: bool = False
    read_only_when: Rule | None = None
    active: bool = Field(
        default=True, description="false: kept on old appeals, not offered on new"
    )

    def to_definition(self, code: str) -> AttributeDef:
        fields = self.model_dump(exclude={"default_value"})
        definition = AttributeDef(code=code, **fields)
        if self.default_value is None:
            return definition
        value, problem = _default(definition, self.default_value)
        if problem is not None:
            raise ValidationFailed([FieldError("default_value", problem)])
        return AttributeDef(code=code, default_value=value, **fields)


class AttributeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str
    kind: AttributeKind
    dictionary_code: str | None
    default_value: str | bool | date | Decimal | None
    default_rule: str | None
    required: bool
    required_when: str | None
    hidden: bool
    hidden_when: str | None
    read_only: bool
    read_only_when: str | None
    active: bool


class DictionaryItemIn(_In):
    code: Code
    label: str = Field(min_length=1, max_length=200)
    active: bool = True


class DictionaryIn(_In):
    name: str = Field(min_length=1, max_length=200)
    items: list[DictionaryItemIn] = Field(max_length=10_000)


class DictionaryOut(BaseModel):
    code: str
    name: str
    items: list[DictionaryItemIn]


class QueueIn(_In):
    name: str = Field(min_length=1, max_length=100)
    members: list[uuid.UUID] = Field(default_factory=list)
    administrators: list[uuid.UUID] = Field(default_factory=list)
    when: Rule | None = Field(
        default=None, description="the first queue whose rule holds gets the appeal"
    )


class TransitionIn(_In):
    name: str = Field(min_length=1, max_length=100)
    to_stage: str
    guard: Rule | None = Field(default=None, description="must hold to move on")


class StageIn(_In):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    queues: list[QueueIn]
    transitions: list[TransitionIn] = Field(default_factory=list)
    deadline_s: int | None = Field(default=None, description="time allowed per stage")
    closing_allowed: bool = False

    def to_stage(self) -> Stage:
        return Stage(
            code=self.code, name=self.name,
            queues=tuple(
                Queue(name=q.name, members=frozenset(q.members),
                      administrators=frozenset(q.administrators), when=q.when)
                for q in self.queues
            ),
            transitions=tuple(
                Transition(name=t.name, to_stage=t.to_stage, guard=t.guard)
                for t in self.transitions
            ),
            deadline_s=self.deadline_s, closing_allowed=self.closing_allowed,
        )  # fmt: skip


class RouteIn(_In):
    """Stages in order; appeals start at the first. Errors name the position:
    `stages[1].transitions[0].to_stage`, `stages[0].queues[1].when: 1:4: ...`."""

    name: str = Field(min_length=1, max_length=200)
    stages: list[StageIn]


class QueueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    members: list[uuid.UUID]
    administrators: list[uuid.UUID]
    when: str | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    to_stage: str
    guard: str | None


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    queues: list[QueueOut]
    transitions: list[TransitionOut]
    deadline_s: int | None
    closing_allowed: bool


class RouteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_id: uuid.UUID
    version: int
    name: str
    stages: list[StageOut]


class TemplateIn(_In):
    place: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=100)
    allowed_topic_ids: list[uuid.UUID] = Field(
        default_factory=list, description="empty: every topic"
    )
    default_topic_id: uuid.UUID | None = None
    default_category: str | None = Field(default=None, max_length=100)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    place: str | None
    channel: str | None
    allowed_topic_ids: list[uuid.UUID]
    default_topic_id: uuid.UUID | None
    default_category: str | None


def _default(definition: AttributeDef, raw: object) -> tuple[Any, str | None]:
    if definition.kind is AttributeKind.DICTIONARY:
        # the dictionary's codes are checked when an appeal takes the default
        return (raw, None) if isinstance(raw, str) else (None, "must be a code")
    return parse_value(definition, raw, {})


def _route_out(route: Route) -> RouteOut:
    return RouteOut.model_validate(route)


@routes.post("/topics", permission=P.TOPIC_ADMIN, body=TopicIn, status=201,
             response=TopicOut, summary="Create a topic or topic group")  # fmt: skip
async def create_topic(call: ApiCall) -> TopicOut:
    """A used code is refused with 409; a parent that is not a group with 422."""
    data = call.body(TopicIn)
    topic = await call.service(TOPICS).create_topic(
        call.actor, code=data.code, name=data.name, is_group=data.is_group,
        parent_id=None if data.parent_id is None else TopicId(data.parent_id),
    )  # fmt: skip
    return TopicOut.model_validate(topic)


@routes.get(
    "/topics/{topic_id}/attributes", permission=P.APPEAL_READ, response=AttributeOut,
    summary="Attributes in effect for a topic (its groups' included)",
)  # fmt: skip
async def topic_attributes(call: ApiCall) -> list[AttributeOut]:
    """Inactive attributes too with `?all=true`."""
    everything = call.request.query.get("all", "false").lower() == "true"
    found = await call.service(TOPICS).definitions(
        call.actor, TopicId(call.path_uuid("topic_id")), active_only=not everything
    )
    return [AttributeOut.model_validate(d) for d in found]


@routes.put(
    "/topics/{topic_id}/attributes/{code}", permission=P.TOPIC_ADMIN,
    body=AttributeIn, response=AttributeOut,
    summary="Declare or redefine an attribute on a topic or group",
)  # fmt: skip
async def declare_attribute(call: ApiCall) -> AttributeOut:
    """Rule errors name the field and position: `required_when: 1:5: ...`."""
    code = call.path("code")
    if not code or len(code) > 64:
        raise ValidationFailed([FieldError("code", "must be 1 to 64 characters")])
    definition = call.body(AttributeIn).to_definition(code)
    topic_id = TopicId(call.path_uuid("topic_id"))
    await call.service(TOPICS).declare_attribute(call.actor, topic_id, definition)
    return AttributeOut.model_validate(definition)


@routes.put(
    "/dictionaries/{code}", permission=P.TOPIC_ADMIN, body=DictionaryIn,
    response=DictionaryOut, summary="Create or replace a dictionary's items",
)  # fmt: skip
async def define_dictionary(call: ApiCall) -> DictionaryOut:
    """Keep retired codes with `active: false` so old appeals still show them."""
    data = call.body(DictionaryIn)
    code = call.path("code")
    await call.service(TOPICS).define_dictionary(
        call.actor, code=code, name=data.name,
        items=[DictionaryItem(code=i.code, label=i.label, active=i.active)
               for i in data.items],
    )  # fmt: skip
    return DictionaryOut(code=code, name=data.name, items=data.items)


@routes.post(
    "/topics/{topic_id}/routes", permission=P.ROUTE_ADMIN, body=RouteIn, status=201,
    response=RouteOut, summary="Publish a new version of the topic's route",
)  # fmt: skip
async def publish_route(call: ApiCall) -> RouteOut:
    """Appeals in flight keep the version they started on."""
    data = call.body(RouteIn)
    route = await call.service(TOPICS).publish_route(
        call.actor, TopicId(call.path_uuid("topic_id")), name=data.name,
        stages=[s.to_stage() for s in data.stages],
    )  # fmt: skip
    return _route_out(route)


@routes.get(
    "/topics/{topic_id}/route", permission=P.APPEAL_READ, response=RouteOut,
    summary="The topic's current route version",
)  # fmt: skip
async def current_route(call: ApiCall) -> RouteOut:
    topic_id = TopicId(call.path_uuid("topic_id"))
    route = await call.service(TOPICS).current_route(call.actor, topic_id)
    if route is None:
        raise RouteNotFound(f"topic {topic_id} has no published route")
    return _route_out(route)


@routes.get(
    "/users/{user_id}/contact-template", permission=None, response=TemplateOut,
    summary="An operator's contact form defaults",
)  # fmt: skip
async def get_template(call: ApiCall) -> TemplateOut:
    """Your own, or anyone's with user.admin."""
    found = await call.service(TOPICS).template(call.actor, call.path_uuid("user_id"))
    return TemplateOut.model_validate(found)


@routes.put(
    "/users/{user_id}/contact-template", permission=None, body=TemplateIn,
    response=TemplateOut, summary="Set an operator's contact form defaults",
)  # fmt: skip
async def set_template(call: ApiCall) -> TemplateOut:
    """Your own, or anyone's with user.admin."""
    data = call.body(TemplateIn)
    template = ContactTemplate(
        user_id=call.path_uuid("user_id"), place=data.place, channel=data.channel,
        allowed_topic_ids=frozenset(TopicId(t) for t in data.allowed_topic_ids),
        default_topic_id=None if data.default_topic_id is None
        else TopicId(data.default_topic_id),
        default_category=data.default_category,
    )  # fmt: skip
    await call.service(TOPICS).set_template(call.actor, template)
    return TemplateOut.model_validate(template)
