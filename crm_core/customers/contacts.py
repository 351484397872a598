"""The contact service: every interaction, opened and closed by calls or the API.

The call methods are idempotent per call id and survive events arriving out of
order, because the bus may deliver an end before a start after a reconnect.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.customers import store
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.events import CallerIdentified, ContactClosed, ContactOpened
from crm_core.customers.inputs import ContactInput, parse
from crm_core.customers.model import (
    Ambiguous,
    BadCursor,
    CallLog,
    Channel,
    Contact,
    ContactDirection,
    CustomerId,
    Identified,
    IvrVisit,
    Page,
    Unknown,
    WrapUp,
    decode_cursor,
    encode_cursor,
    identification,
)
from crm_core.customers.ports import Clock, NoPublisher, Publisher
from crm_core.customers.tables import ContactRow, CustomerRow
from crm_core.db import AsyncSession, Sessions
from crm_core.errors import FieldError, ValidationFailed
from crm_core.phone import try_normalise

log = logging.getLogger(__name__)

MAX_PAGE = 200
MAX_NOTES = 2000
"""The longest wrap-up notes kept."""


class ContactService:
    """Contacts (C2, T3, T5) and each customer's contact history."""

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        default_country: str = "RU",
        publisher: Publisher | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._country = default_country
        self._publisher = publisher or NoPublisher()

    async def open_call_contact(
        self,
        call_id: str,
        ani: str,
        *,
        dnis: str,
        direction: ContactDirection,
        started_at: datetime,
    ) -> Contact:
        """The contact of call `call_id`, opened now with the caller identified.

        Idempotent: a second call with the same id returns the first contact (even
        if it was already closed). Publishes CallerIdentified and ContactOpened
        only when the contact is new.
        """
        async with self._sessions.begin() as s:
            existing = await store.contact_by_call(s, call_id)
            if existing is not None:
                return store.contact_from(existing)
            customer_ids = await self._candidates(s, ani)
        contact, created = await self._insert_call_contact(
            call_id, ani, customer_ids, dnis=dnis, direction=direction,
            started_at=started_at,
        )  # fmt: skip
        if created:
            log.info("contact=%s call=%s opened", contact.id, call_id)
            now = self._clock.now()
            await self._publisher.publish(
                CallerIdentified(
                    occurred_at=now,
                    call_id=call_id,
                    ani=ani,
                    customer_ids=tuple(str(c) for c in customer_ids),
                    contact_id=str(contact.id),
                )
            )
            await self._publisher.publish(_opened(contact, now))
        return contact

    async def close_call_contact(self, call_id: str, call_log: CallLog) -> Contact:
        """Write the call log on the contact of `call_id` and close it.

        Idempotent: closing a closed contact returns it unchanged. If the contact
        does not exist yet (the end arrived first), it is created closed from the
        log's `ani`, `dnis`, `started_at` and `direction`: the record is never lost.
        """
        await self._ensure_call_contact(
            call_id,
            call_log.ani,
            dnis=call_log.dnis,
            direction=call_log.direction,
            started_at=call_log.started_at or call_log.ended_at,
        )
        async with self._sessions.begin() as s:
            row = await store.contact_by_call(s, call_id)
            assert row is not None
            if row.ended_at is not None:
                return store.contact_from(row)
            row.ended_at = call_log.ended_at
            row.wait_s = call_log.wait_s
            row.talk_s = call_log.talk_s
            row.outcome = call_log.outcome
            row.hangup_cause = call_log.hangup_cause
            row.queue = call_log.queue
            row.agent_id = call_log.agent_id
            await s.flush()
            contact = store.contact_from(row)
        log.info("contact=%s call=%s closed", contact.id, call_id)
        await self._publisher.publish(_closed(contact, self._clock.now()))
        return contact

    async def record_ivr(
        self,
        call_id: str,
        visit: IvrVisit,
        *,
        ani: str,
        customer_id: uuid.UUID | None = None,
    ) -> Contact:
        """Keep the IVR's record of call `call_id` on its contact (I7): the flow, the
        node the caller left it at, the way out and the journal.

        Idempotent: a visit completed no later than the stored one changes nothing,
        so a repeated event is harmless and a later pass through the IVR replaces an
        earlier one. If the contact does not exist yet (the IVR's event came first),
        it is created open from `ani`: the record is never lost. A contact without a
        customer takes `customer_id` (the caller identified in the IVR, by account
        number say) when that customer exists.
        """

        async def write(s: AsyncSession, row: ContactRow) -> None:
            _write_ivr(row, visit)
            if (
                row.customer_id is None
                and customer_id is not None
                and await s.get(CustomerRow, customer_id) is not None
            ):
                row.customer_id = customer_id

        contact = await self._update_once(
            call_id,
            ani,
            at=visit.completed_at,
            stored_at=lambda row: row.ivr_completed_at,
            write=write,
        )
        log.info(
            "contact=%s call=%s ivr outcome=%s node=%s",
            contact.id,
            call_id,
            visit.outcome,
            visit.last_node,
        )
        return contact

    async def record_wrap_up(self, call_id: str, wrap_up: WrapUp) -> Contact:
        """Keep the agent's disposition, notes, login and time on the contact of call
        `call_id` (the notes are cut to 2000 characters).

        Idempotent: a wrap-up finished no later than the stored one changes nothing,
        so a repeated event is harmless and a later wrap-up of the same call (after
        a transfer back, say) replaces it. If the contact does not exist yet, it is
        created open with no caller number: the record is never lost.
        """

        async def write(_s: AsyncSession, row: ContactRow) -> None:
            row.wrap_up_at = wrap_up.finished_at
            row.wrap_up_agent = wrap_up.agent[:64]
            row.disposition = wrap_up.disposition
            row.disposition_notes = wrap_up.notes[:MAX_NOTES]

        contact = await self._update_once(
            call_id,
            "",
            at=wrap_up.finished_at,
            stored_at=lambda row: row.wrap_up_at,
            write=write,
        )
        log.info(
            "contact=%s call=%s wrapped up by agent=%s disposition=%s",
            contact.id,
            call_id,
            wrap_up.agent,
            wrap_up.disposition,
        )
        return contact

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
            contact = store.contact_from(row)
        await self._publisher.publish(_opened(contact, now))
        if contact.ended_at is not None:
            await self._publisher.publish(_closed(contact, now))
        return contact

    async def get(self, actor: Actor, contact_id: uuid.UUID) -> Contact:
        require(actor, Permission.CONTACT_READ)
        async with self._sessions() as s:
            row = await s.get(ContactRow, contact_id)
            if row is None:
                raise CustomerNotFound(f"no contact {contact_id}")
            if row.customer_id is not None:
                await _visible(s, actor, row.customer_id)
            return store.contact_from(row)

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
            found = await store.contacts_of(
                s, customer_id, before=before, limit=size + 1
            )
        items = tuple(found[:size])
        next_cursor = None
        if len(found) > size:
            next_cursor = encode_cursor(items[-1].started_at.isoformat(), items[-1].id)
        return Page(items=items, next_cursor=next_cursor)

    async def _candidates(self, s: AsyncSession, ani: str) -> list[CustomerId]:
        e164 = try_normalise(ani, self._country)
        if e164 is None:
            return []
        found = await store.candidates_for(s, e164)
        match identification(ani, found):
            case Identified(customer=customer):
                return [customer.id]
            case Ambiguous(candidates=candidates):
                return [c.id for c in candidates]
            case Unknown():
                return []

    async def _ensure_call_contact(
        self,
        call_id: str,
        ani: str,
        *,
        dnis: str,
        direction: ContactDirection,
        started_at: datetime,
    ) -> None:
        """Create the contact of `call_id` if it does not exist yet, with the caller
        identified from `ani`; publishes ContactOpened only when it is new."""
        async with self._sessions() as s:
            if await store.contact_by_call(s, call_id) is not None:
                return
            customer_ids = await self._candidates(s, ani)
        early, created = await self._insert_call_contact(
            call_id, ani, customer_ids, dnis=dnis, direction=direction,
            started_at=started_at,
        )  # fmt: skip
        if created:
            await self._publisher.publish(_opened(early, self._clock.now()))

    async def _update_once(
        self,
        call_id: str,
        ani: str,
        *,
        at: datetime,
        stored_at: Callable[[ContactRow], datetime | None],
        write: Callable[[AsyncSession, ContactRow], Awaitable[None]],
    ) -> Contact:
        """Apply `write` to the contact of `call_id` (created open from `ani` if it
        does not exist yet) unless what it stores is already as recent as `at`."""
        await self._ensure_call_contact(
            call_id, ani, dnis="", direction=ContactDirection.IN, started_at=at
        )
        async with self._sessions.begin() as s:
            row = await store.contact_by_call(s, call_id)
            assert row is not None
            stored = store.maybe_aware(stored_at(row))
            if stored is None or stored < at:
                await write(s, row)
                await s.flush()
            return store.contact_from(row)

    async def _insert_call_contact(
        self,
        call_id: str,
        ani: str,
        customer_ids: list[CustomerId],
        *,
        dnis: str,
        direction: ContactDirection,
        started_at: datetime,
    ) -> tuple[Contact, bool]:
        """Insert the contact of `call_id`, owned by the caller when exactly one
        customer holds the number; (the contact, whether this call made it)."""
        owner = customer_ids[0] if len(customer_ids) == 1 else None
        row = _call_row(
            call_id,
            ani,
            dnis=dnis,
            direction=direction,
            started_at=started_at,
            customer_id=owner,
        )
        return await self._insert_once(row)

    async def _insert_once(self, row: ContactRow) -> tuple[Contact, bool]:
        """Insert `row`, or return the contact a concurrent handler inserted first."""
        try:
            async with self._sessions.begin() as s:
                s.add(row)
                await s.flush()
                return store.contact_from(row), True
        except IntegrityError:
            assert row.call_id is not None
            async with self._sessions() as s:
                existing = await store.contact_by_call(s, row.call_id)
            if existing is None:
                raise
            return store.contact_from(existing), False


async def _visible(s: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> None:
    card = await store.load_card(s, customer_id)
    if card is None or not actor.sees_group(card.customer_group):
        raise CustomerNotFound(f"no customer {customer_id}")


def _call_row(
    call_id: str,
    ani: str,
    *,
    dnis: str,
    direction: ContactDirection,
    started_at: datetime,
    customer_id: CustomerId | None,
) -> ContactRow:
    return ContactRow(
        id=uuid.uuid4(),
        customer_id=customer_id,
        channel=Channel.PHONE.value,
        direction=direction.value,
        address=ani[:254] or None,
        dnis=dnis[:64] or None,
        call_id=call_id,
        started_at=started_at,
        notes="",
    )


def _write_ivr(row: ContactRow, visit: IvrVisit) -> None:
    row.ivr_completed_at = visit.completed_at
    row.ivr_flow = None if visit.flow is None else visit.flow[:100]
    row.ivr_outcome = visit.outcome[:40]
    row.ivr_last_node = None if visit.last_node is None else visit.last_node[:100]
    row.ivr_language = visit.language[:16]
    row.ivr_queue = None if visit.queue is None else visit.queue[:100]
    row.ivr_journal = [dict(entry) for entry in visit.journal]
    row.ivr_details = dict(visit.details)


def _opened(contact: Contact, now: datetime) -> ContactOpened:
    return ContactOpened(
        occurred_at=now,
        contact_id=str(contact.id),
        customer_id=None if contact.customer_id is None else str(contact.customer_id),
        channel=contact.channel.value,
        call_id=contact.call_id,
    )


def _closed(contact: Contact, now: datetime) -> ContactClosed:
    opened = _opened(contact, now)
    return ContactClosed(**dataclasses.asdict(opened))
