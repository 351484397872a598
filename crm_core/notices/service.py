"""Queues customer notices as outbox rows: when an appeal is closed (a bus handler)
and when an incident is resolved. Writes rows only; the dispatcher sends them, and
call-back requests wait for the dialer. Holds no session between calls."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals.events import AppealChanged
from crm_core.appeals.model import AppealAction
from crm_core.appeals.tables import AppealRow, TopicRow
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.auth.store import utc, utc_or_none
from crm_core.clock import Clock
from crm_core.customers.tables import CustomerPhoneRow, CustomerRow
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from crm_core.notices.errors import CustomerNotFound
from crm_core.notices.model import (
    SENDABLE,
    ContactPoint,
    Notice,
    NoticeChannel,
    NoticeId,
    NoticeReason,
    NoticeStatus,
    Templates,
    appeal_number,
    choose_route,
    render,
)
from crm_core.notices.tables import NoticeRow

log = logging.getLogger(__name__)

MAX_PAGE = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentNotice:
    """A resolved incident, told to the customer of each of its appeals."""

    incident_id: uuid.UUID
    title: str
    resolution: str
    appeal_ids: Sequence[uuid.UUID]


class NoticeService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        templates: Templates | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        """`wake` is called after new sendable rows commit (the dispatcher's wake)."""
        self._sessions = sessions
        self._clock = clock
        self._templates = templates or Templates()
        self._wake = wake

    async def on_appeal_changed(self, event: AppealChanged) -> None:
        """Bus handler: queue a notice for the customer of a closed appeal, unless a
        resolved incident already told them about it."""
        if event.action != AppealAction.CLOSE.value:
            return
        appeal_id = uuid.UUID(event.appeal_id)
        async with self._sessions.begin() as s:
            told = await s.scalar(
                select(NoticeRow.id).where(
                    NoticeRow.appeal_id == appeal_id,
                    NoticeRow.reason == NoticeReason.INCIDENT_RESOLVED.value,
                ).limit(1)
            )  # fmt: skip
            if told is not None:
                return
            fields = {"comment": event.comment}
            queued = await self._queue(
                s, appeal_id, NoticeReason.APPEAL_CLOSED, fields, incident_id=None
            )
        self._woken(queued)

    async def notify_incident_resolved(self, notice: IncidentNotice) -> int:
        """Queue one notice per appeal of a resolved incident; how many were queued
        (appeals without a customer or a way to reach them get none)."""
        fields = {"incident_title": notice.title, "resolution": notice.resolution}
        queued: list[NoticeChannel] = []
        async with self._sessions.begin() as s:
            for appeal_id in notice.appeal_ids:
                queued += await self._queue(
                    s, appeal_id, NoticeReason.INCIDENT_RESOLVED,
                    {**fields, "comment": notice.resolution},
                    incident_id=notice.incident_id,
                )  # fmt: skip
        self._woken(queued)
        return len(queued)

    async def for_customer(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        *,
        limit: int = 50,
        before: datetime | None = None,
    ) -> list[Notice]:
        """The customer's notices, newest first; `before` pages on `created_at`.
        Raises Forbidden without CUSTOMER_READ or outside the actor's groups,
        CustomerNotFound for an unknown customer."""
        require(actor, Permission.CUSTOMER_READ)
        query = select(NoticeRow).where(NoticeRow.customer_id == customer_id)
        if before is not None:
            query = query.where(NoticeRow.created_at < before)
        query = query.order_by(NoticeRow.created_at.desc(), NoticeRow.id.desc())
        async with self._sessions() as s:
            customer = await s.get(CustomerRow, customer_id)
            if customer is None:
                raise CustomerNotFound(f"no customer {customer_id}")
            if not actor.sees_group(customer.customer_group):
                raise Forbidden("this customer's group is not visible to you")
            rows = await s.scalars(query.limit(max(1, min(limit, MAX_PAGE))))
            return [notice_of(r) for r in rows]

    async def callbacks_waiting(self, *, limit: int = 100) -> list[Notice]:
        """Call-back requests the dialer has not taken yet, oldest first."""
        query = (
            select(NoticeRow)
            .where(
                NoticeRow.channel == NoticeChannel.CALL.value,
                NoticeRow.status == NoticeStatus.QUEUED.value,
            )
            .order_by(NoticeRow.created_at)
            .limit(limit)
        )
        async with self._sessions() as s:
            return [notice_of(r) for r in await s.scalars(query)]

    async def _queue(
        self,
        s: AsyncSession,
        appeal_id: uuid.UUID,
        reason: NoticeReason,
        fields: dict[str, str],
        *,
        incident_id: uuid.UUID | None,
    ) -> list[NoticeChannel]:
        found = (
            await s.execute(
                select(AppealRow, CustomerRow, TopicRow.name)
                .join(CustomerRow, CustomerRow.id == AppealRow.customer_id)
                .join(TopicRow, TopicRow.id == AppealRow.topic_id)
                .where(AppealRow.id == appeal_id)
            )
        ).first()
        if found is None:
            log.info("no notice appeal=%s: no such appeal or no customer", appeal_id)
            return []
        appeal, customer, topic = found
        route = choose_route(await _contact_point(s, customer))
        if route is None:
            log.warning(
                "no notice appeal=%s customer=%s: no phone or e-mail to reach them",
                appeal_id, customer.id,
            )  # fmt: skip
            return []
        values = {
            "appeal_id": str(appeal.id), "appeal_number": appeal_number(appeal.id),
            "topic": topic, "customer_name": customer.name, **fields,
        }  # fmt: skip
        text = render(self._templates, reason, route.channel, values)
        now = self._clock.now()
        s.add(
            NoticeRow(
                id=uuid.uuid4(), customer_id=customer.id, appeal_id=appeal.id,
                incident_id=incident_id, reason=reason.value,
                channel=route.channel.value, address=route.address,
                subject=text.subject[:300], body=text.body,
                status=NoticeStatus.QUEUED.value, attempts=0, created_at=now,
                next_attempt_at=now if route.channel in SENDABLE else None,
                sent_at=None, last_error=None,
            )
        )  # fmt: skip
        return [route.channel]

    def _woken(self, queued: Sequence[NoticeChannel]) -> None:
        if self._wake is not None and any(c in SENDABLE for c in queued):
            self._wake()


async def _contact_point(s: AsyncSession, customer: CustomerRow) -> ContactPoint:
    phones = list(
        await s.scalars(
            select(CustomerPhoneRow)
            .where(CustomerPhoneRow.customer_id == customer.id)
            .order_by(CustomerPhoneRow.is_primary.desc(), CustomerPhoneRow.id)
        )
    )
    return ContactPoint(
        preferred_channels=tuple(customer.preferred_channels or ()),
        mobiles=tuple(p.e164 for p in phones if p.kind == "mobile"),
        phones=tuple(p.e164 for p in phones if p.kind != "fax"),
        emails=tuple(customer.emails or ()),
    )


def notice_of(row: NoticeRow) -> Notice:
    return Notice(
        id=NoticeId(row.id), customer_id=row.customer_id, appeal_id=row.appeal_id,
        incident_id=row.incident_id, reason=NoticeReason(row.reason),
        channel=NoticeChannel(row.channel), address=row.address,
        subject=row.subject, body=row.body, status=NoticeStatus(row.status),
        attempts=row.attempts, created_at=utc(row.created_at),
        next_attempt_at=utc_or_none(row.next_attempt_at),
        sent_at=utc_or_none(row.sent_at), last_error=row.last_error,
    )  # fmt: skip
