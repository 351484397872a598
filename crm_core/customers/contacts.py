"""The contact service: every interaction, opened and closed by calls or the API
(C2, T3, T5), and each customer's contact history. The call side (contacts written
from a call's events) is `crm_core.customers.call_records`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.customers import contact_rows as rows
from crm_core.customers import store
from crm_core.customers.call_records import CallRecords, closed_event, opened_event
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.inputs import ContactInput, parse
from crm_core.customers.model import (
    BadCursor,
    Contact,
    Page,
    decode_cursor,
    encode_cursor,
    visible_card,
)
from crm_core.customers.tables import ContactRow
from crm_core.db import AsyncSession
from crm_core.errors import FieldError, ValidationFailed

MAX_PAGE = 200


class ContactService(CallRecords):
    """Contacts (C2, T3, T5) and each customer's contact history."""

    async def register_contact(
        self, actor: Actor, data: Mapping[str, object] | ContactInput
    ) -> Contact:
        """A non-voice contact from the API (T5), by `actor` as the agent.

        Raises Forbidden, ValidationFailed, CustomerNotFound (absent or not visible).
        """
        require(actor, Permission.CONTACT_WRITE)
        valid = parse(ContactInput, data, country=self._country)
        now = self._clock.now()
        started = valid.started_at or now
        if valid.ended_at is not None and valid.ended_at < started:
            raise ValidationFailed([FieldError("ended_at", "before started_at")])
        row = ContactRow(
            id=uuid.uuid4(),
            customer_id=valid.customer_id,
            channel=valid.channel.value,
            direction=valid.direction.value,
            place=valid.place,
            contact_person=valid.contact_person,
            agent_id=actor.user_id,
            address=valid.address,
            started_at=started,
            ended_at=valid.ended_at,
            notes=valid.notes,
        )
        async with self._sessions.begin() as s:
            if valid.customer_id is not None:
                await _visible(s, actor, valid.customer_id)
            s.add(row)
            await s.flush()
            contact = rows.contact_from(row)
        await self._publisher.publish(opened_event(contact, now))
        if contact.ended_at is not None:
            await self._publisher.publish(closed_event(contact, now))
        return contact

    async def get(self, actor: Actor, contact_id: uuid.UUID) -> Contact:
        require(actor, Permission.CONTACT_READ)
        async with self._sessions() as s:
            row = await s.get(ContactRow, contact_id)
            if row is None:
                raise CustomerNotFound(f"no contact {contact_id}")
            if row.customer_id is not None:
                await _visible(s, actor, row.customer_id)
            return rows.contact_from(row)

    async def link_customer(
        self, actor: Actor, contact_id: uuid.UUID, customer_id: uuid.UUID
    ) -> Contact:
        """Say whose contact this is: the caller the agent recognised among
        several on a shared number, or the customer just created for an unknown
        number. Needs contact.write and sight of both the customer and, when it
        has one, the contact's current customer.

        Raises CustomerNotFound (either absent or not visible)."""
        require(actor, Permission.CONTACT_WRITE)
        async with self._sessions.begin() as s:
            row = await s.get(ContactRow, contact_id)
            if row is None:
                raise CustomerNotFound(f"no contact {contact_id}")
            if row.customer_id is not None:
                await _visible(s, actor, row.customer_id)
            await _visible(s, actor, customer_id)
            row.customer_id = customer_id
            await s.flush()
            return rows.contact_from(row)

    async def history(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Contact]:
        """The customer's contacts, newest first, one page at a time (keyset)."""
        require(actor, Permission.CONTACT_READ)
        before = None
        if cursor is not None:
            try:
                moment, last_id = decode_cursor(cursor)
                before = (datetime.fromisoformat(moment), last_id)
            except (BadCursor, ValueError):
                raise ValidationFailed([FieldError("cursor", "not valid")]) from None
        size = max(1, min(limit, MAX_PAGE))
        async with self._sessions() as s:
            await _visible(s, actor, customer_id)
            found = await rows.contacts_of(
                s, customer_id, before=before, limit=size + 1
            )
        items = tuple(found[:size])
        next_cursor = None
        if len(found) > size:
            next_cursor = encode_cursor(items[-1].started_at.isoformat(), items[-1].id)
        return Page(items=items, next_cursor=next_cursor)


async def _visible(s: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> None:
    visible_card(actor, customer_id, await store.load_card(s, customer_id))
