"""Endpoints for webhook subscriptions and their delivery log (webhook.admin)."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes, Page, paged
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, ValidationFailed
from crm_core.webhooks.model import Attempt, Delivery, Subscription, WebhookKind
from crm_core.webhooks.service import NewSubscription, WebhookService

WEBHOOKS: web.AppKey[WebhookService] = web.AppKey("crm_api_webhooks")

routes = ApiRoutes("webhooks")
ADMIN = Permission.WEBHOOK_ADMIN


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)
    kinds: list[WebhookKind] = Field(min_length=1)
    description: str = Field(default="", max_length=200)
    secret: str | None = Field(
        default=None, min_length=16, max_length=128,
        description="the HMAC key; generated and shown once when absent",
    )  # fmt: skip


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    kinds: list[WebhookKind]
    description: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionOut:
        return cls.model_validate(subscription)


class CreatedSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="the HMAC key; shown only this once")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    kind: str
    payload: dict[str, object]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    status: int | None
    error: str | None
    duration_ms: int


@routes.get("/webhooks", permission=ADMIN, response=SubscriptionOut,
            summary="Webhook subscriptions")  # fmt: skip
async def list_subscriptions(call: ApiCall) -> list[SubscriptionOut]:
    found = await call.service(WEBHOOKS).subscriptions(call.actor)
    return [SubscriptionOut.of(s) for s in found]


@routes.post(
    "/webhooks", permission=ADMIN, body=SubscriptionIn, status=201,
    response=CreatedSubscriptionOut, summary="Subscribe a URL to event kinds",
)  # fmt: skip
async def subscribe(call: ApiCall) -> CreatedSubscriptionOut:
    """Each delivery is a POST of {"id", "kind", "created_at", "data"} with
    X-CC-Webhook-Timestamp and X-CC-Webhook-Signature = "sha256=" +
    hex HMAC-SHA256(secret, timestamp + "." + body); reject stale timestamps."""
    body = call.body(SubscriptionIn)
    new = NewSubscription(
        url=body.url, kinds=frozenset(body.kinds), description=body.description,
        secret=body.secret,
    )  # fmt: skip
    created = await call.service(WEBHOOKS).subscribe(call.actor, new)
    shown = SubscriptionOut.of(created.subscription).model_dump()
    return CreatedSubscriptionOut(**shown, secret=created.secret)


@routes.patch(
    "/webhooks/{subscription_id}", permission=ADMIN, body=SubscriptionPatch,
    response=SubscriptionOut, summary="Pause or resume a subscription",
)  # fmt: skip
async def set_active(call: ApiCall) -> SubscriptionOut:
    active = call.body(SubscriptionPatch).active
    subscription_id = call.path_uuid("subscription_id")
    changed = await call.service(WEBHOOKS).set_active(
        call.actor, subscription_id, active
    )
    return SubscriptionOut.of(changed)


@routes.get(
    "/webhooks/{subscription_id}/deliveries", permission=ADMIN,
    response=DeliveryOut, paged=True, summary="Deliveries, newest first",
)  # fmt: skip
async def deliveries(call: ApiCall) -> Page:
    page = call.page()
    key = page.key()
    after = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (ValueError, IndexError):
            raise ValidationFailed([FieldError("after", "not a cursor")]) from None
    found: list[Delivery] = await call.service(WEBHOOKS).deliveries(
        call.actor, call.path_uuid("subscription_id"), limit=page.limit + 1,
        after=after,
    )  # fmt: skip
    return paged(found, page.limit, lambda d: [d.created_at.isoformat(), d.id])


@routes.get(
    "/webhook-deliveries/{delivery_id}/attempts", permission=ADMIN,
    response=AttemptOut, summary="Every attempt of one delivery",
)  # fmt: skip
async def attempts(call: ApiCall) -> list[Attempt]:
    return await call.service(WEBHOOKS).attempts(
        call.actor, call.path_uuid("delivery_id")
    )
