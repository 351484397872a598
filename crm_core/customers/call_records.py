"""A call's contact and its log, written as the call's events arrive (T1, T3, C2, I7).

Every write is idempotent per call id and survives events arriving out of order
(the bus may deliver an end before a start after a reconnect, the IVR's record after
the hang-up): the first event of a call creates its contact, later ones complete it,
and the call log is recomputed from everything heard so far under the row's lock.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from crm_core.customers import contact_rows as rows
from crm_core.customers.call_log import CallStep
from crm_core.customers.events import CallerIdentified, ContactClosed, ContactOpened
from crm_core.customers.model import (
    Ambiguous,
    CallLog,
    Channel,
    Contact,
    ContactDirection,
    CustomerId,
    Identified,
    IvrVisit,
    Unknown,
    WrapUp,
    identification,
)
from crm_core.customers.ports import Clock, NoPublisher, Publisher
from crm_core.customers.store import aware, candidates_for, maybe_aware
from crm_core.customers.tables import ContactRow, CustomerRow
from crm_core.db import AsyncSession, Sessions
from crm_core.phone import try_normalise

log = logging.getLogger(__name__)

MAX_NOTES = 2000
"""The longest wrap-up notes kept."""

Change = Callable[[AsyncSession, ContactRow], Awaitable[bool]]
"""A write to a locked contact row; True when it changed the call's facts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Opening:
    """What a call's first events say about its contact."""

    ani: str
    dnis: str
    direction: ContactDirection
    started_at: datetime

    @classmethod
    def heard_later(cls, at: datetime, *, ani: str = "") -> _Opening:
        """What a later event (the IVR's, the ACD's, the wrap-up) knows: at most
        the caller's number; the call's own events complete the contact."""
        return cls(ani=ani, dnis="", direction=ContactDirection.IN, started_at=at)


class CallRecords:
    """The call side of the contact service (see `ContactService`)."""

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
        if it was already closed). A contact a later event created first gets the
        caller's number, the dialled number and the caller's identity now.
        Publishes CallerIdentified when the caller is identified here, and
        ContactOpened when the contact is new.
        """
        opening = _Opening(
            ani=ani, dnis=dnis, direction=direction, started_at=started_at
        )
        made = await self._ensure_call_contact(call_id, opening)
        if made is not None:
            contact, customer_ids = made
            await self._identified(contact, ani, customer_ids)
            await self._publisher.publish(opened_event(contact, self._clock.now()))
            return contact
        filled: list[CustomerId] | None = None

        async def fill(s: AsyncSession, row: ContactRow) -> bool:
            nonlocal filled
            filled = await self._fill(s, row, opening)
            return False

        contact, _ = await self._write(call_id, opening, fill)
        if filled is not None:
            await self._identified(contact, ani, filled)
        return contact

    async def close_call_contact(self, call_id: str, call_log: CallLog) -> Contact:
        """Keep how call `call_id` ended on its contact, close it and compute its
        call log; publishes ContactClosed once.

        Idempotent: the first end heard stays. If the contact does not exist yet
        (the end arrived first), it is created from the log's `ani`, `dnis`,
        `started_at` and `direction`: the record is never lost.
        """
        end = call_log.end
        opening = _Opening(
            ani=call_log.ani,
            dnis=call_log.dnis,
            direction=call_log.direction,
            started_at=call_log.started_at or end.ended_at,
        )

        async def close(s: AsyncSession, row: ContactRow) -> bool:
            await self._fill(s, row, opening)
            return rows.write_end(row, end)

        contact, closed = await self._write(call_id, opening, close)
        if closed:
            log.info(
                "contact=%s call=%s closed outcome=%s cause=%s reason=%s",
                contact.id, call_id, contact.outcome, end.hangup_cause,
                end.reason.value,
            )  # fmt: skip
            await self._publisher.publish(closed_event(contact, self._clock.now()))
        return contact

    async def record_call_step(self, call_id: str, step: CallStep) -> Contact:
        """Keep what the ACD did with call `call_id` (queued it, an agent took it,
        a transfer, the caller left) on its contact and recompute its call log.

        Idempotent: a step heard already changes nothing. If the contact does not
        exist yet, it is created open with no caller number: the record is never
        lost, and the call's own events complete it.
        """
        opening = _Opening.heard_later(step.at)

        async def add(_s: AsyncSession, row: ContactRow) -> bool:
            return rows.write_step(row, step)

        contact, added = await self._write(call_id, opening, add)
        if added:
            log.info(
                "contact=%s call=%s %s queue=%s agent=%s",
                contact.id, call_id, step.kind.value, step.queue, step.agent,
            )  # fmt: skip
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

        async def write(s: AsyncSession, row: ContactRow) -> bool:
            stored = maybe_aware(row.ivr_completed_at)
            if stored is not None and stored >= visit.completed_at:
                return False
            _write_ivr(row, visit)
            if (
                row.customer_id is None
                and customer_id is not None
                and await s.get(CustomerRow, customer_id) is not None
            ):
                row.customer_id = customer_id
            return True

        opening = _Opening.heard_later(visit.completed_at, ani=ani)
        contact, _ = await self._write(call_id, opening, write)
        log.info(
            "contact=%s call=%s ivr outcome=%s node=%s",
            contact.id, call_id, visit.outcome, visit.last_node,
        )  # fmt: skip
        return contact

    async def record_wrap_up(self, call_id: str, wrap_up: WrapUp) -> Contact:
        """Keep the agent's disposition, notes, login and time on the contact of call
        `call_id` (the notes are cut to 2000 characters).

        Idempotent: a wrap-up finished no later than the stored one changes nothing,
        so a repeated event is harmless and a later wrap-up of the same call (after
        a transfer back, say) replaces it. If the contact does not exist yet, it is
        created open with no caller number: the record is never lost.
        """

        async def write(_s: AsyncSession, row: ContactRow) -> bool:
            stored = maybe_aware(row.wrap_up_at)
            if stored is None or stored < wrap_up.finished_at:
                row.wrap_up_at = wrap_up.finished_at
                row.wrap_up_agent = wrap_up.agent[:64]
                row.disposition = wrap_up.disposition
                row.disposition_notes = wrap_up.notes[:MAX_NOTES]
            return False  # the call log does not read the wrap-up

        opening = _Opening.heard_later(wrap_up.finished_at)
        contact, _ = await self._write(call_id, opening, write)
        log.info(
            "contact=%s call=%s wrapped up by agent=%s disposition=%s",
            contact.id, call_id, wrap_up.agent, wrap_up.disposition,
        )  # fmt: skip
        return contact

    async def _write(
        self, call_id: str, opening: _Opening, change: Change
    ) -> tuple[Contact, bool]:
        """Apply `change` to the contact of `call_id` (created first from
        `opening` if there is none) under its row's lock; when it changed the
        call's facts, the call log is computed again. (The contact, whether the
        facts changed.)"""
        done = await self._change(call_id, change)
        if done is None:
            made = await self._ensure_call_contact(call_id, opening)
            if made is not None:
                await self._publisher.publish(opened_event(made[0], self._clock.now()))
            done = await self._change(call_id, change)
            assert done is not None, f"contact of call {call_id} vanished"
        return done

    async def _change(
        self, call_id: str, change: Change
    ) -> tuple[Contact, bool] | None:
        async with self._sessions.begin() as s:
            row = await rows.contact_by_call(s, call_id, lock=True)
            if row is None:
                return None
            changed = await change(s, row)
            if changed:
                await rows.write_call_log(s, row)
            await s.flush()
            return rows.contact_from(row), changed

    async def _ensure_call_contact(
        self, call_id: str, opening: _Opening
    ) -> tuple[Contact, list[CustomerId]] | None:
        """Create the contact of `call_id` if there is none, with the caller
        identified from `opening`: the contact and the customers the number
        matched when this call made it, else None."""
        async with self._sessions() as s:
            if await rows.contact_by_call(s, call_id) is not None:
                return None
            customer_ids = await self._candidates(s, opening.ani)
        owner = customer_ids[0] if len(customer_ids) == 1 else None
        row = _call_row(call_id, opening, customer_id=owner)
        try:
            async with self._sessions.begin() as s:
                s.add(row)
        except IntegrityError:  # a concurrent handler inserted it first
            async with self._sessions() as s:
                if await rows.contact_by_call(s, call_id) is None:
                    raise
            return None
        log.info("contact=%s call=%s opened", row.id, call_id)
        return rows.contact_from(row), customer_ids

    async def _fill(
        self, s: AsyncSession, row: ContactRow, opening: _Opening
    ) -> list[CustomerId] | None:
        """Complete a contact that a later event created before the call's own
        (it knew no caller): the numbers, the direction, the caller's identity and
        the earliest start; the customers the number matched when it did so."""
        if opening.started_at < aware(row.started_at):
            row.started_at = opening.started_at
        if row.dnis is None and opening.dnis:
            row.dnis = opening.dnis[:64]
        if row.address is not None or not opening.ani:
            return None
        row.address = opening.ani[:254]
        row.direction = opening.direction.value
        customer_ids = await self._candidates(s, opening.ani)
        if row.customer_id is None and len(customer_ids) == 1:
            row.customer_id = customer_ids[0]
        return customer_ids

    async def _candidates(self, s: AsyncSession, ani: str) -> list[CustomerId]:
        e164 = try_normalise(ani, self._country) if ani else None
        if e164 is None:
            return []
        found = await candidates_for(s, e164)
        match identification(ani, found):
            case Identified(customer=customer):
                return [customer.id]
            case Ambiguous(candidates=candidates):
                return [c.id for c in candidates]
            case Unknown():
                return []

    async def _identified(
        self, contact: Contact, ani: str, customer_ids: list[CustomerId]
    ) -> None:
        assert contact.call_id is not None
        await self._publisher.publish(
            CallerIdentified(
                occurred_at=self._clock.now(),
                call_id=contact.call_id,
                ani=ani,
                customer_ids=tuple(str(c) for c in customer_ids),
                contact_id=str(contact.id),
            )
        )


def _call_row(
    call_id: str, opening: _Opening, *, customer_id: CustomerId | None
) -> ContactRow:
    return ContactRow(
        id=uuid.uuid4(),
        customer_id=customer_id,
        channel=Channel.PHONE.value,
        direction=opening.direction.value,
        address=opening.ani[:254] or None,
        dnis=opening.dnis[:64] or None,
        call_id=call_id,
        started_at=opening.started_at,
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


def opened_event(contact: Contact, now: datetime) -> ContactOpened:
    return ContactOpened(
        occurred_at=now,
        contact_id=str(contact.id),
        customer_id=None if contact.customer_id is None else str(contact.customer_id),
        channel=contact.channel.value,
        call_id=contact.call_id,
    )


def closed_event(contact: Contact, now: datetime) -> ContactClosed:
    opened = opened_event(contact, now)
    return ContactClosed(**dataclasses.asdict(opened))
