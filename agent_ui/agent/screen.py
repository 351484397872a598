"""The call's screen (the pop): who is calling, from the contact the call opened
and the customers its number matched; the caller's card with their open appeals
and last contacts (outcomes, recordings); choosing the caller among several on a
shared number; a new customer saved for an unknown number. Reads and writes
through the CRM services; decides nothing itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent_ui import views
from agent_ui.agent.calls import DeskCalls, own_call
from agent_ui.call_log import CallLog, PastContact
from crm_core.appeals.model import AppealStatus, ContactTemplate
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import MAX_CANDIDATES, Contact, CustomerCard
from crm_core.customers.service import CustomerService
from crm_core.errors import NotFound
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import AppealHit
from crm_core.reports.search import AppealSearch
from recordings.service import RecordingService

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 5.0
LAST_CONTACTS = 5
OPEN_APPEALS = 10
OPEN = (AppealStatus.WAITING, AppealStatus.IN_PROGRESS, AppealStatus.REJECTED_BACK)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pop:
    """Everything the call's screen shows."""

    call: views.DeskCall
    contact: Contact | None
    """The contact the call opened (None until the CRM has written it)."""
    customer: CustomerCard | None
    """The caller: the contact's customer, or the only one the number matched."""
    candidates: Sequence[CustomerCard]
    """Several customers share the number and none is chosen yet."""
    history: Sequence[PastContact]
    open_appeals: Sequence[AppealHit]
    topic_names: Mapping[uuid.UUID, str]
    template: ContactTemplate


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenParts:
    calls: DeskCalls
    customers: CustomerService
    contacts: ContactService
    search: AppealSearch
    recordings: RecordingService
    topics: TopicService


class CallScreen:
    def __init__(self, parts: ScreenParts) -> None:
        self._calls = parts.calls
        self._customers = parts.customers
        self._contacts = parts.contacts
        self._search = parts.search
        self._log = CallLog(parts.contacts, parts.recordings)
        self._topics = parts.topics

    async def pop(self, actor: Actor, call_id: str) -> Pop:
        """The screen of the actor's call `call_id`; Forbidden for anyone else's."""
        call = own_call(self._calls, actor, call_id)
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self._pop(actor, call)

    async def choose(self, actor: Actor, call_id: str, customer_id: uuid.UUID) -> Pop:
        """The caller is `customer_id` (one of a shared number's customers)."""
        call = own_call(self._calls, actor, call_id)
        contact_id = _contact_id(call)
        if contact_id is None:
            raise NotFound(f"call {call_id} has no contact yet")
        await self._contacts.link_customer(actor, contact_id, customer_id)
        return await self._pop(actor, call)

    async def save_customer(
        self, actor: Actor, call_id: str, data: Mapping[str, object]
    ) -> Pop:
        """A new customer from `data` (CustomerInput's fields), linked to the
        call's contact. Raises ValidationFailed naming each bad field."""
        call = own_call(self._calls, actor, call_id)
        card = await self._customers.create(actor, data)
        log.info("customer=%s created on call=%s", card.id, call_id)
        contact_id = _contact_id(call)
        if contact_id is not None:
            await self._contacts.link_customer(actor, contact_id, card.id)
        return await self._pop(actor, call)

    async def _pop(self, actor: Actor, call: views.DeskCall) -> Pop:
        contact = await self._contact(actor, call)
        ids = _customer_ids(call, contact)
        cards = [c for c in [await self._card(actor, i) for i in ids] if c]
        customer = cards[0] if len(cards) == 1 else None
        template = await self._topics.template(actor, actor.user_id)
        if customer is None:
            return Pop(
                call=call, contact=contact, customer=None, candidates=cards,
                history=(), open_appeals=(), topic_names={}, template=template,
            )  # fmt: skip
        return Pop(
            call=call, contact=contact, customer=customer, candidates=(),
            history=await self._history(actor, customer.id),
            open_appeals=await self._open_appeals(actor, customer.id),
            topic_names={t.id: t.name for t in await self._topics.tree(actor)},
            template=template,
        )  # fmt: skip

    async def _contact(self, actor: Actor, call: views.DeskCall) -> Contact | None:
        contact_id = _contact_id(call)
        if contact_id is None:
            return None
        try:
            return await self._contacts.get(actor, contact_id)
        except NotFound:
            return None

    async def _card(self, actor: Actor, customer_id: str) -> CustomerCard | None:
        try:
            return await self._customers.get(actor, uuid.UUID(customer_id))
        except (NotFound, ValueError):
            return None

    async def _history(self, actor: Actor, customer_id: uuid.UUID) -> list[PastContact]:
        page = await self._log.of_customer(actor, customer_id, limit=LAST_CONTACTS)
        return list(page.items)

    async def _open_appeals(
        self, actor: Actor, customer_id: uuid.UUID
    ) -> Sequence[AppealHit]:
        wanted = AppealFilter(customer_id=customer_id, statuses=OPEN)
        found = await self._search.search(actor, wanted, limit=OPEN_APPEALS)
        return found.items


def _contact_id(call: views.DeskCall) -> uuid.UUID | None:
    raw = call.facts.contact_id if call.facts is not None else None
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _customer_ids(call: views.DeskCall, contact: Contact | None) -> Sequence[str]:
    """The contact's customer once it has one (chosen or created), else whom the
    number matched (the first few of a shared line)."""
    if contact is not None and contact.customer_id is not None:
        return (str(contact.customer_id),)
    facts = call.facts
    return facts.customer_ids[:MAX_CANDIDATES] if facts is not None else ()
