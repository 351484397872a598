"""Endpoints for mass incidents (C12) and customer notices (C14): declare, edit,
link and unlink appeals, resolve; a customer's notices. The services check rights
beyond the route's permission."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes, Page, paged
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, ValidationFailed
from crm_core.incidents.model import (
    Area,
    ClosingResult,
    Incident,
    IncidentDraft,
    IncidentKind,
    IncidentStatus,
    LinkedAppeal,
    LinkOrigin,
)
from crm_core.incidents.service import IncidentService
from crm_core.notices.model import Notice, NoticeChannel, NoticeReason, NoticeStatus
from crm_core.notices.service import NoticeService

INCIDENTS: web.AppKey[IncidentService] = web.AppKey("crm_api_incidents")
NOTICES: web.AppKey[NoticeService] = web.AppKey("crm_api_notices")

routes = ApiRoutes("incidents")
READ, MANAGE = Permission.APPEAL_READ, Permission.INCIDENT_MANAGE


class AreaIo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network_nodes: list[str] = Field(default_factory=list, max_length=1000)
    buildings: list[str] = Field(default_factory=list, max_length=1000)
    cities: list[str] = Field(default_factory=list, max_length=100)


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)
    kind: IncidentKind = IncidentKind.OUTAGE
    area: AreaIo = Field(default_factory=AreaIo)
    topic_codes: list[str] = Field(
        default_factory=list,
        description="new appeals on these topics from the area are linked",
    )
    started_at: datetime
    expected_end_at: datetime | None = None

    def draft(self) -> IncidentDraft:
        return IncidentDraft(
            title=self.title, description=self.description, kind=self.kind,
            area=Area.of(network_nodes=self.area.network_nodes,
                         buildings=self.area.buildings, cities=self.area.cities),
            topic_codes=frozenset(self.topic_codes), started_at=self.started_at,
            expected_end_at=self.expected_end_at,
        )  # fmt: skip


class IncidentOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    kind: IncidentKind
    area: AreaIo
    topic_codes: list[str]
    started_at: datetime
    expected_end_at: datetime | None
    status: IncidentStatus
    resolution: str
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class IncidentQueryIn(BaseModel):
    # a Literal, not the enum: the OpenAPI builder does not carry $defs of query models
    status: Literal["open", "resolved"] | None = None


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appeal_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    appeal_id: uuid.UUID
    origin: LinkOrigin
    linked_at: datetime
    linked_by: uuid.UUID


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(max_length=10_000, description="the closing comment")


class ClosingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    appeal_id: uuid.UUID
    closed: bool
    error: str | None


class ResolutionOut(BaseModel):
    incident: IncidentOut
    results: list[ClosingOut]
    notices_queued: int


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    appeal_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    reason: NoticeReason
    channel: NoticeChannel
    address: str
    subject: str
    body: str
    status: NoticeStatus
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _out(incident: Incident) -> IncidentOut:
    a = incident.area
    return IncidentOut(
        id=incident.id, title=incident.title, description=incident.description,
        kind=incident.kind,
        area=AreaIo(network_nodes=sorted(a.network_nodes),
                    buildings=sorted(a.buildings), cities=sorted(a.cities)),
        topic_codes=sorted(incident.topic_codes), started_at=incident.started_at,
        expected_end_at=incident.expected_end_at, status=incident.status,
        resolution=incident.resolution, resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by, created_by=incident.created_by,
        created_at=incident.created_at, updated_at=incident.updated_at,
    )  # fmt: skip


def _links(found: list[LinkedAppeal]) -> list[LinkOut]:
    return [LinkOut.model_validate(link) for link in found]


def _closing(result: ClosingResult) -> ClosingOut:
    return ClosingOut.model_validate(result)


def _before(call: ApiCall) -> datetime | None:
    key = call.page().key()
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0])
    except (ValueError, IndexError):
        raise ValidationFailed(
            [FieldError("after", "not a cursor this API gave")]
        ) from None


def _status(text: str | None) -> IncidentStatus | None:
    return None if text is None else IncidentStatus(text)


@routes.post("/incidents", permission=MANAGE, body=IncidentIn, response=IncidentOut,
             status=201, summary="Declare a mass incident")  # fmt: skip
async def create_incident(call: ApiCall) -> IncidentOut:
    draft = call.body(IncidentIn).draft()
    return _out(await call.service(INCIDENTS).create(call.actor, draft))


@routes.get(
    "/incidents", permission=READ, query=IncidentQueryIn, response=IncidentOut,
    paged=True, summary="Incidents, latest started first",
)  # fmt: skip
async def list_incidents(call: ApiCall) -> Page:
    page = call.page()
    found = await call.service(INCIDENTS).find(
        call.actor, status=_status(call.query(IncidentQueryIn).status),
        limit=page.limit + 1, before=_before(call),
    )  # fmt: skip
    return paged(
        [_out(i) for i in found], page.limit, lambda i: [i.started_at.isoformat()]
    )


@routes.get("/incidents/{incident_id}", permission=READ, response=IncidentOut,
            summary="One incident")  # fmt: skip
async def get_incident(call: ApiCall) -> IncidentOut:
    incident_id = call.path_uuid("incident_id")
    return _out(await call.service(INCIDENTS).get(call.actor, incident_id))


@routes.put("/incidents/{incident_id}", permission=MANAGE, body=IncidentIn,
            response=IncidentOut, summary="Rewrite an open incident")  # fmt: skip
async def update_incident(call: ApiCall) -> IncidentOut:
    incident_id, draft = call.path_uuid("incident_id"), call.body(IncidentIn).draft()
    return _out(await call.service(INCIDENTS).update(call.actor, incident_id, draft))


@routes.delete("/incidents/{incident_id}", permission=MANAGE, status=204,
               summary="Delete an incident without linked appeals")  # fmt: skip
async def delete_incident(call: ApiCall) -> None:
    await call.service(INCIDENTS).delete(call.actor, call.path_uuid("incident_id"))


@routes.get("/incidents/{incident_id}/appeals", permission=READ, response=LinkOut,
            summary="Appeals linked to the incident")  # fmt: skip
async def incident_appeals(call: ApiCall) -> list[LinkOut]:
    found = await call.service(INCIDENTS).appeals(
        call.actor, call.path_uuid("incident_id")
    )
    return _links(found)


@routes.post(
    "/incidents/{incident_id}/appeals", permission=MANAGE, body=LinkIn,
    response=LinkOut, summary="Link appeals to the incident (all or none)",
)  # fmt: skip
async def link_appeals(call: ApiCall) -> list[LinkOut]:
    found = await call.service(INCIDENTS).link(
        call.actor, call.path_uuid("incident_id"), call.body(LinkIn).appeal_ids
    )
    return _links(found)


@routes.delete("/incidents/{incident_id}/appeals/{appeal_id}", permission=MANAGE,
               status=204, summary="Take an appeal off the incident")  # fmt: skip
async def unlink_appeal(call: ApiCall) -> None:
    await call.service(INCIDENTS).unlink(
        call.actor, call.path_uuid("incident_id"), call.path_uuid("appeal_id")
    )


@routes.post(
    "/incidents/{incident_id}/resolve", permission=MANAGE, body=ResolveIn,
    response=ResolutionOut,
    summary="Resolve: close every open linked appeal and tell the customers",
)  # fmt: skip
async def resolve_incident(call: ApiCall) -> ResolutionOut:
    done = await call.service(INCIDENTS).resolve(
        call.actor, call.path_uuid("incident_id"),
        resolution=call.body(ResolveIn).resolution,
    )  # fmt: skip
    return ResolutionOut(
        incident=_out(done.incident), results=[_closing(r) for r in done.results],
        notices_queued=done.notices_queued,
    )  # fmt: skip


@routes.get(
    "/customers/{customer_id}/notices", permission=Permission.CUSTOMER_READ,
    response=NoticeOut, paged=True, summary="Notices to the customer, newest first",
)  # fmt: skip
async def customer_notices(call: ApiCall) -> Page:
    page = call.page()
    found: list[Notice] = await call.service(NOTICES).for_customer(
        call.actor, call.path_uuid("customer_id"), limit=page.limit + 1,
        before=_before(call),
    )  # fmt: skip
    items = [NoticeOut.model_validate(n) for n in found]
    return paged(items, page.limit, lambda n: [n.created_at.isoformat()])
