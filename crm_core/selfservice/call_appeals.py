"""Appeals that a call leaves behind (a voicemail, a callback that failed): the
topic chosen by code with a fallback, the call's contact linked, created by the
system actor. Shared so that every such appeal is made the same way."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from crm_core.appeals.model import Appeal, TopicId
from crm_core.appeals.service import AppealInput, AppealService
from crm_core.appeals.tables import TopicRow
from crm_core.auth.model import system_actor
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from crm_core.selfservice.errors import TopicMissing


async def open_call_appeal(
    sessions: Sessions,
    appeals: AppealService,
    *,
    call_id: str,
    customer_id: uuid.UUID | None,
    description: str,
    topic_code: str,
    fallback_topic: str | None = None,
) -> Appeal:
    """An appeal of `topic_code` (else `fallback_topic`) about call `call_id`,
    linked to the call's contact when there is one. Raises TopicMissing when
    neither code is an active topic, and what AppealService.create raises."""
    topic_id = await usable_topic(sessions, topic_code, fallback_topic)
    return await appeals.create(
        system_actor(),
        AppealInput(
            topic_id=topic_id,
            customer_id=customer_id,
            contact_id=await call_contact_id(sessions, call_id),
            description=description,
        ),
    )


async def usable_topic(sessions: Sessions, code: str, fallback: str | None) -> TopicId:
    """The first of `code`, `fallback` that is an active topic (not a group)."""
    codes = [code] if fallback is None or fallback == code else [code, fallback]
    async with sessions() as s:
        rows = {
            r.code: r
            for r in await s.scalars(select(TopicRow).where(TopicRow.code.in_(codes)))
        }
    for wanted in codes:
        row = rows.get(wanted)
        if row is not None and row.active and not row.is_group:
            return TopicId(row.id)
    raise TopicMissing(f"no usable topic among {', '.join(codes)}")


async def call_contact_id(sessions: Sessions, call_id: str) -> uuid.UUID | None:
    """The contact of call `call_id`, if the CRM has one yet."""
    async with sessions() as s:
        return await s.scalar(
            select(ContactRow.id)
            .where(ContactRow.call_id == call_id)
            .order_by(ContactRow.started_at.desc())
            .limit(1)
        )
