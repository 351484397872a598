"""Queues webhook deliveries as rows and sends them, retrying with back-off.

`notify` only writes rows; `run` (owned by the composition root) sends what is due,
so a delivery survives a restart and a slow receiver never stalls the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from crm_core.auth.ports import Clock
from crm_core.auth.store import utc
from crm_core.db import Sessions
from crm_core.outbox import run_outbox
from crm_core.webhooks import model
from crm_core.webhooks.model import DeliveryStatus, RetryPolicy, WebhookKind
from crm_core.webhooks.ports import SendFailed, WebhookSender
from crm_core.webhooks.tables import AttemptRow, DeliveryRow, SubscriptionRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Claimed:
    id: uuid.UUID
    url: str
    secret: str
    kind: str
    attempts: int
    body: bytes


class WebhookDispatcher:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        sender: WebhookSender,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        poll_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._sender = sender
        self.policy = policy or RetryPolicy()
        self._batch = batch
        self._poll_s = poll_s
        self._wake = asyncio.Event()

    async def notify(self, kind: WebhookKind, payload: Mapping[str, Any]) -> int:
        """Queue a delivery of `payload` to every active subscriber of `kind`;
        how many were queued. `payload` is JSON data (UUIDs, datetimes allowed)."""
        data = model.jsonable(payload)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            subscribers = await s.execute(
                select(SubscriptionRow.id, SubscriptionRow.kinds).where(
                    SubscriptionRow.active.is_(True)
                )
            )
            queued = 0
            for subscription_id, kinds in subscribers:
                if kind.value not in kinds:
                    continue
                s.add(
                    DeliveryRow(
                        id=uuid.uuid4(), subscription_id=subscription_id,
                        kind=kind.value, payload=data,
                        status=DeliveryStatus.PENDING.value, attempts=0,
                        created_at=now, next_attempt_at=now,
                    )
                )  # fmt: skip
                queued += 1
        if queued:
            self._wake.set()
        return queued

    async def run(self) -> None:
        """Send due deliveries until cancelled; wakes on `notify` or every poll."""
        await run_outbox(
            self.run_once,
            wake=self._wake,
            batch=self._batch,
            poll_s=self._poll_s,
            name="webhook",
        )

    async def run_once(self) -> int:
        """Claim and send every delivery due now (up to one batch); how many."""
        claimed = await self._claim()
        if claimed:
            async with asyncio.TaskGroup() as group:
                for delivery in claimed:
                    group.create_task(self._send(delivery))
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = self._clock.now()
        lease_until = now + timedelta(seconds=self.policy.timeout_s * 3)
        query = (
            select(DeliveryRow, SubscriptionRow)
            .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
            .where(
                DeliveryRow.status == DeliveryStatus.PENDING.value,
                DeliveryRow.next_attempt_at <= now,
            )
            .order_by(DeliveryRow.next_attempt_at)
            .limit(self._batch)
        )
        claimed = []
        async with self._sessions.begin() as s:
            for delivery, subscription in await s.execute(query):
                # push the due time past the lease: another instance that read the
                # same row sees its update match nothing and skips it
                result = await s.execute(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.id == delivery.id,
                        DeliveryRow.next_attempt_at == delivery.next_attempt_at,
                    )
                    .values(next_attempt_at=lease_until)
                )
                if getattr(result, "rowcount", 0) != 1:
                    continue
                body = model.body_of(
                    delivery.id,
                    delivery.kind,
                    utc(delivery.created_at),
                    delivery.payload,
                )
                claimed.append(
                    _Claimed(
                        id=delivery.id, url=subscription.url, kind=delivery.kind,
                        secret=subscription.secret, attempts=delivery.attempts,
                        body=body,
                    )
                )  # fmt: skip
        return claimed

    async def _send(self, delivery: _Claimed) -> None:
        headers = model.signed_headers(
            secret=delivery.secret, delivery_id=delivery.id, kind=delivery.kind,
            now=self._clock.now(), body=delivery.body,
        )  # fmt: skip
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status = await self._sender.post(
                delivery.url, delivery.body, headers, timeout_s=self.policy.timeout_s
            )
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except SendFailed as exc:
            error = str(exc)[:500]
        elapsed_ms = int((time.monotonic() - started) * 1000)
        await self._record(delivery, status, error, elapsed_ms)

    async def _record(
        self, delivery: _Claimed, status: int | None, error: str | None, ms: int
    ) -> None:
        now = self._clock.now()
        attempts = delivery.attempts + 1
        async with self._sessions.begin() as s:
            row = await s.get(DeliveryRow, delivery.id)
            if row is None:  # its subscription was deleted meanwhile
                return
            s.add(
                AttemptRow(
                    id=uuid.uuid4(), delivery_id=delivery.id, number=attempts, at=now,
                    status=status, error=error, duration_ms=ms,
                )
            )  # fmt: skip
            row.attempts = attempts
            row.last_status = status
            row.last_error = error
            if error is None:
                row.status = DeliveryStatus.DELIVERED.value
                row.delivered_at = now
                row.next_attempt_at = None
                return
            row.next_attempt_at = model.next_attempt_at(attempts, now, self.policy)
            if row.next_attempt_at is None:
                row.status = DeliveryStatus.FAILED.value
                log.warning(
                    "webhook gave up delivery=%s url=%s after %d attempts: %s",
                    delivery.id, delivery.url, attempts, error,
                )  # fmt: skip
            else:
                log.info("webhook retry delivery=%s attempt=%d: %s",
                         delivery.id, attempts, error)  # fmt: skip
