"""Webhook subscriptions and their delivery log, for administrators (webhook.admin).

Sending is the dispatcher's job (crm_core.webhooks.dispatcher).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.model import Actor, Permission
from crm_core.auth.ports import Clock
from crm_core.auth.rights import require
from crm_core.auth.store import write_audit
from crm_core.db import Sessions
from crm_core.errors import FieldError, NotFound, ValidationFailed
from crm_core.webhooks.http import SystemResolver
from crm_core.webhooks.model import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    WebhookKind,
)
from crm_core.webhooks.tables import AttemptRow, DeliveryRow, SubscriptionRow
from crm_core.webhooks.targets import (
    Resolver,
    TargetPolicy,
    TargetRefused,
    check_target,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSubscription:
    url: str
    kinds: frozenset[WebhookKind]
    description: str = ""
    secret: str | None = None
    """The HMAC key; generated when None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedSubscription:
    subscription: Subscription
    secret: str
    """Shown once, to configure the receiver."""


class WebhookService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        targets: TargetPolicy | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        """`targets`: the internal networks webhooks may reach (none by default);
        `resolver` resolves a URL's host to check it (default: the system's)."""
        self._sessions = sessions
        self._clock = clock
        self._targets = targets or TargetPolicy()
        self._resolver = resolver or SystemResolver()

    async def subscribe(
        self, actor: Actor, new: NewSubscription
    ) -> CreatedSubscription:
        """Raises ValidationFailed for a URL that is not http(s), whose host is or
        resolves to an internal address the policy does not allow, or no kinds."""
        require(actor, Permission.WEBHOOK_ADMIN)
        problems = _problems(new)
        if problems:
            raise ValidationFailed(problems)
        try:
            await check_target(new.url, self._targets, self._resolver)
        except TargetRefused as exc:
            raise ValidationFailed([FieldError("url", str(exc))]) from None
        secret = new.secret or secrets.token_urlsafe(32)
        now = self._clock.now()
        row = SubscriptionRow(
            id=uuid.uuid4(), url=new.url, secret=secret, kinds=sorted(new.kinds),
            description=new.description, active=True, created_at=now,
            created_by=actor.user_id,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
            details = {"url": new.url, "kinds": sorted(new.kinds)}
            write_audit(s, actor, "webhook.subscribe", at=now, object_type="webhook",
                        object_id=row.id, details=details)  # fmt: skip
        return CreatedSubscription(subscription=_subscription(row), secret=secret)

    async def set_active(
        self, actor: Actor, subscription_id: uuid.UUID, active: bool
    ) -> Subscription:
        """Pause or resume; a paused subscription gets no new deliveries."""
        require(actor, Permission.WEBHOOK_ADMIN)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await _subscription_row(s, subscription_id)
            row.active = active
            write_audit(s, actor, "webhook.active", at=now, object_type="webhook",
                        object_id=row.id, details={"active": active})  # fmt: skip
            return _subscription(row)

    async def subscriptions(self, actor: Actor) -> list[Subscription]:
        require(actor, Permission.WEBHOOK_ADMIN)
        query = select(SubscriptionRow).order_by(SubscriptionRow.created_at)
        async with self._sessions() as s:
            return [_subscription(r) for r in await s.scalars(query)]

    async def deliveries(
        self,
        actor: Actor,
        subscription_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[Delivery]:
        """The subscription's deliveries, newest first, keyed by (created_at, id)."""
        require(actor, Permission.WEBHOOK_ADMIN)
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.subscription_id == subscription_id)
            .order_by(DeliveryRow.created_at.desc(), DeliveryRow.id.desc())
            .limit(limit)
        )
        if after is not None:
            at, last = after
            query = query.where(
                (DeliveryRow.created_at < at)
                | ((DeliveryRow.created_at == at) & (DeliveryRow.id < last))
            )
        async with self._sessions() as s:
            await _subscription_row(s, subscription_id)
            return [delivery_from_row(r) for r in await s.scalars(query)]

    async def attempts(self, actor: Actor, delivery_id: uuid.UUID) -> list[Attempt]:
        require(actor, Permission.WEBHOOK_ADMIN)
        query = (
            select(AttemptRow)
            .where(AttemptRow.delivery_id == delivery_id)
            .order_by(AttemptRow.number)
        )
        async with self._sessions() as s:
            if await s.get(DeliveryRow, delivery_id) is None:
                raise NotFound(f"no webhook delivery {delivery_id}")
            return [
                Attempt(number=r.number, at=_utc(r.at), status=r.status,
                        error=r.error, duration_ms=r.duration_ms)
                for r in await s.scalars(query)
            ]  # fmt: skip


def _problems(new: NewSubscription) -> list[FieldError]:
    problems = []
    parts = urlsplit(new.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(FieldError("url", "must be an http:// or https:// URL"))
    if not new.kinds:
        problems.append(FieldError("kinds", "name at least one event kind"))
    if new.secret is not None and len(new.secret) < 16:
        problems.append(FieldError("secret", "must be at least 16 characters"))
    return problems


async def _subscription_row(
    s: AsyncSession, subscription_id: uuid.UUID
) -> SubscriptionRow:
    row = await s.get(SubscriptionRow, subscription_id)
    if row is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return row


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id, url=row.url, kinds=frozenset(WebhookKind(k) for k in row.kinds),
        description=row.description, active=row.active,
        created_at=_utc(row.created_at),
    )  # fmt: skip


def delivery_from_row(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id, subscription_id=row.subscription_id, kind=row.kind,
        payload=dict(row.payload), status=DeliveryStatus(row.status),
        attempts=row.attempts, created_at=_utc(row.created_at),
        next_attempt_at=None if row.next_attempt_at is None
        else _utc(row.next_attempt_at),
        last_status=row.last_status, last_error=row.last_error,
        delivered_at=None if row.delivered_at is None else _utc(row.delivered_at),
    )  # fmt: skip
