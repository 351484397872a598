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
        items = [await self._heard(actor, c) for c in page.items]
        return ContactPage(items=items, next_cursor=page.next_cursor)

    async def contacts(
        self, actor: Actor, ids: Iterable[uuid.UUID]
    ) -> list[PastContact]:
        """The contacts of `ids` the actor may see, in that order."""
        found = []
        for contact_id in dict.fromkeys(ids):
            try:
                contact = await self._contacts.get(actor, contact_id)
            except NotFound:
                continue
            found.append(await self._heard(actor, contact))
        return found

    async def _heard(self, actor: Actor, contact: Contact) -> PastContact:
        listens = actor.can(Permission.RECORDING_LISTEN_OWN) or actor.can(
            Permission.RECORDING_LISTEN_ALL
        )
        heard: list[Recording] = []
        if listens and contact.call_id is not None:
            try:
                heard = await self._recordings.find(actor, contact_id=contact.id)
            except CrmError as error:
                log.info("contact=%s recordings not listed: %s", contact.id, error)
        return PastContact(contact=contact, recordings=heard)
