"""A customer's contacts as the pages show them, each with the recordings the
viewer may hear: the agent's pop and the back office's customer card and appeal
page list them alike. Reads through the CRM and recordings services only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crm_core.auth.model import Actor, Permission
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import Contact
from crm_core.errors import CrmError, NotFound
from recordings.model import Recording
from recordings.service import RecordingService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PastContact:
    contact: Contact
    recordings: Sequence[Recording]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPage:
    items: Sequence[PastContact]
    next_cursor: str | None


class CallLog:
    def __init__(self, contacts: ContactService, recordings: RecordingService) -> None:
        self._contacts = contacts
        self._recordings = recordings

    async def of_customer(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        *,
        cursor: str | None = None,
        limit: int,
    ) -> ContactPage:
        """The customer's contacts, newest first, one page at a time. Raises
        CustomerNotFound, CustomerHidden, ValidationFailed for a bad cursor."""
        page = await self._contacts.history(
            actor, customer_id, cursor=cursor, limit=limit
        )
        items = await self._heard(actor, page.items)
        return ContactPage(items=items, next_cursor=page.next_cursor)

    async def contacts(
        self, actor: Actor, ids: Iterable[uuid.UUID]
    ) -> list[PastContact]:
        """The contacts of `ids` the actor may see, in that order."""
        found = []
        for contact_id in dict.fromkeys(ids):
            try:
                found.append(await self._contacts.get(actor, contact_id))
            except NotFound:
                continue
        return await self._heard(actor, found)

    async def _heard(
        self, actor: Actor, contacts: Sequence[Contact]
    ) -> list[PastContact]:
        """Each contact with the recordings of its call the actor may hear, read
        in one go for the page."""
        listens = actor.can(Permission.RECORDING_LISTEN_OWN) or actor.can(
            Permission.RECORDING_LISTEN_ALL
        )
        calls = [c.id for c in contacts if c.call_id is not None]
        heard: dict[uuid.UUID, list[Recording]] = {}
        if listens and calls:
            try:
                heard = await self._recordings.of_contacts(actor, calls)
            except CrmError as error:
                log.info("recordings of contacts %s not listed: %s", calls, error)
        return [
            PastContact(contact=c, recordings=heard.get(c.id, [])) for c in contacts
        ]
