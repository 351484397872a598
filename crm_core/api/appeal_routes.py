"""Endpoints for appeals and their workflow (C5, C6, C13) and the topic tree.

External systems move an appeal along its route with the same operations as people
(e.g. POST /appeals/{id}/pass with a bearer token when their event happens).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.appeals.model import (
    Appeal,
    AppealAction,
    AppealId,
    AppealStatus,
    TopicId,
)
from crm_core.appeals.service import AppealInput, AppealService
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor, Permission

APPEALS: web.AppKey[AppealService] = web.AppKey("crm_api_appeals")
TOPICS: web.AppKey[TopicService] = web.AppKey("crm_api_topics")

routes = ApiRoutes("appeals")
P = Permission


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppealIn(_In):
    topic_id: uuid.UUID | None = Field(
        default=None, description="default: the operator's contact template"
    )
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    description: str = Field(default="", max_length=10_000)
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="values keyed by attribute code"
    )

    def to_input(self) -> AppealInput:
        return AppealInput(
            topic_id=None if self.topic_id is None else TopicId(self.topic_id),
            customer_id=self.customer_id, contact_id=self.contact_id,
            description=self.description, attributes=self.attributes,
        )  # fmt: skip


class _Versioned(_In):
    expected_version: int | None = Field(
        default=None, description="refuse (409) if the appeal changed since"
    )


class EditIn(_Versioned):
    description: str | None = None
    attributes: dict[str, Any] | None = None


class CommentIn(_Versioned):
    comment: str = Field(default="", max_length=4000)


class AssignIn(CommentIn):
    assignee_id: uuid.UUID


class PassIn(CommentIn):
    transition: str | None = Field(
        default=None, description="default: the first transition whose guard holds"
    )


class RejectIn(_Versioned):
    reason: str = Field(min_length=1, max_length=4000)


class DeadlineIn(CommentIn):
    deadline_at: datetime


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_id: uuid.UUID
    route_id: uuid.UUID
    stage: str
    queue: str | None
    status: AppealStatus
    assignee_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    description: str
    attributes: dict[str, Any]
    stage_path: list[str]
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    overdue: bool
    closed_at: datetime | None
    archived: bool
    version: int


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: uuid.UUID
    actor_login: str
    action: AppealAction
    from_stage: str | None
    from_status: AppealStatus | None
    from_assignee_id: uuid.UUID | None
    to_stage: str | None
    to_status: AppealStatus | None
    to_assignee_id: uuid.UUID | None
    comment: str


class TopicOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str
    name: str
    is_group: bool
    active: bool


def _out(appeal: Appeal) -> AppealOut:
    return AppealOut.model_validate(appeal)


@routes.post("/appeals", permission=P.APPEAL_CREATE, body=AppealIn, status=201,
             response=AppealOut, summary="Register an appeal")  # fmt: skip
async def create_appeal(call: ApiCall) -> AppealOut:
    """Attribute errors name the attribute: `attributes.Speed`."""
    data = call.body(AppealIn).to_input()
    return _out(await call.service(APPEALS).create(call.actor, data))


@routes.post(
    "/appeals/{appeal_id}/children", permission=P.APPEAL_CREATE, body=AppealIn,
    status=201, response=AppealOut, summary="A child appeal for parallel work",
)  # fmt: skip
async def create_child(call: ApiCall) -> AppealOut:
    parent = AppealId(call.path_uuid("appeal_id"))
    data = call.body(AppealIn).to_input()
    return _out(await call.service(APPEALS).create_child(call.actor, parent, data))


@routes.get("/appeals/{appeal_id}", permission=P.APPEAL_READ, response=AppealOut,
            summary="One appeal")  # fmt: skip
async def get_appeal(call: ApiCall) -> AppealOut:
    return _out(
        await call.service(APPEALS).get(call.actor, call.path_uuid("appeal_id"))
    )


@routes.get(
    "/appeals/{appeal_id}/history", permission=P.APPEAL_READ, response=HistoryOut,
    summary="Every step of the appeal, oldest first",
)  # fmt: skip
async def appeal_history(call: ApiCall) -> list[HistoryOut]:
    found = await call.service(APPEALS).history(call.actor, call.path_uuid("appeal_id"))
    return [HistoryOut.model_validate(e) for e in found]


@routes.patch(
    "/appeals/{appeal_id}", permission=P.APPEAL_EDIT, body=EditIn,
    response=AppealOut, summary="Change description or attributes",
)  # fmt: skip
async def edit_appeal(call: ApiCall) -> AppealOut:
    body = call.body(EditIn)
    return _out(
        await call.service(APPEALS).edit(
            call.actor, call.path_uuid("appeal_id"), description=body.description,
            attributes=body.attributes, expected_version=body.expected_version,
        )
    )  # fmt: skip


Step = Callable[[AppealService, Actor, uuid.UUID, Any], Awaitable[Appeal]]


def _workflow(
    name: str, permission: Permission, body: type[_Versioned], summary: str, step: Step
) -> None:
    """Declare POST /appeals/{appeal_id}/<name> running one workflow step."""

    async def handler(call: ApiCall) -> AppealOut:
        appeals = call.service(APPEALS)
        data = call.body(body)
        return _out(await step(appeals, call.actor, call.path_uuid("appeal_id"), data))

    handler.__name__ = f"{name}_appeal"
    routes.post(
        f"/appeals/{{appeal_id}}/{name}", permission=permission, body=body,
        response=AppealOut, summary=summary,
    )(handler)  # fmt: skip


_workflow(
    "take",
    P.APPEAL_TAKE,
    _Versioned,
    "Take the appeal yourself",
    lambda a, actor, i, d: a.take(actor, i, expected_version=d.expected_version),
)
_workflow(
    "assign",
    P.APPEAL_ASSIGN,
    AssignIn,
    "Give it to a queue member",
    lambda a, actor, i, d: a.assign(
        actor,
        i,
        assignee_id=d.assignee_id,
        comment=d.comment,
        expected_version=d.expected_version,
    ),
)
_workflow(
    "pass",
    P.APPEAL_FORWARD,
    PassIn,
    "Pass on to the next stage (also: move on an external event)",
    lambda a, actor, i, d: a.pass_on(
        actor,
        i,
        transition=d.transition,
        comment=d.comment,
        expected_version=d.expected_version,
    ),
)
_workflow(
    "reject",
    P.APPEAL_REJECT,
    RejectIn,
    "Reject back to the previous stage",
    lambda a, actor, i, d: a.reject(
        actor, i, reason=d.reason, expected_version=d.expected_version
    ),
)
_workflow(
    "close",
    P.APPEAL_CLOSE,
    CommentIn,
    "Close (where the stage allows)",
    lambda a, actor, i, d: a.close(
        actor, i, comment=d.comment, expected_version=d.expected_version
    ),
)
_workflow(
    "reopen",
    P.APPEAL_REOPEN,
    CommentIn,
    "Reopen a closed appeal",
    lambda a, actor, i, d: a.reopen(
        actor, i, comment=d.comment, expected_version=d.expected_version
    ),
)
_workflow(
    "deadline",
    P.APPEAL_DEADLINE,
    DeadlineIn,
    "Move the deadline",
    lambda a, actor, i, d: a.set_deadline(
        actor,
        i,
        deadline_at=d.deadline_at,
        comment=d.comment,
        expected_version=d.expected_version,
    ),
)


@routes.get("/topics", permission=P.APPEAL_READ, response=TopicOut,
            summary="The topic tree (groups and topics)")  # fmt: skip
async def topic_tree(call: ApiCall) -> list[TopicOut]:
    return [
        TopicOut.model_validate(t) for t in await call.service(TOPICS).tree(call.actor)
    ]
