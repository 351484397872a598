"""Endpoints for the signed-in user's own notices (C11: overdue appeals in the queues
they administer). Everyone sees and marks only their own; no permission needed."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.appeals.sla import SlaMonitor

NOTIFICATIONS: web.AppKey[SlaMonitor] = web.AppKey("crm_api_notifications")

routes = ApiRoutes("notifications")


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unread: bool = Field(default=True, description="false: read ones too")


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    appeal_id: uuid.UUID
    kind: str = Field(description="`appeal_overdue`")
    created_at: datetime
    read: bool


@routes.get("/notifications", permission=None, query=NotificationQuery,
            response=NotificationOut, summary="Your notices, newest first")  # fmt: skip
async def list_notifications(call: ApiCall) -> list[NotificationOut]:
    unread = call.query(NotificationQuery).unread
    found = await call.service(NOTIFICATIONS).notifications(
        call.actor, unread_only=unread
    )
    return [NotificationOut.model_validate(n) for n in found]


@routes.post("/notifications/{notification_id}/read", permission=None, status=204,
             summary="Mark one of your notices read")  # fmt: skip
async def mark_read(call: ApiCall) -> None:
    """Idempotent; someone else's notice is left untouched."""
    notification_id = call.path_uuid("notification_id")
    await call.service(NOTIFICATIONS).mark_read(call.actor, notification_id)
