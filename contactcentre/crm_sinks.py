"""Bus handlers that carry ACD events into the CRM: a callback the ACD gave up on
into an appeal (A5), the agent's wrap-up (disposition, notes) onto the call's
contact. They translate events into CRM values and call the CRM services; no
decisions, no SQL. The call's own log is `contactcentre.call_contacts`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from acd.events import WrapUpFinished
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import WrapUp
from crm_core.selfservice.failed_callbacks import FailedCallbackService
from crm_core.selfservice.model import FailedCallback

log = logging.getLogger(__name__)


class GaveUpCallback(Protocol):
    """The fields of acd.events.CallbackGaveUp that the CRM reads."""

    @property
    def call_id(self) -> str: ...
    @property
    def queue_id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def at(self) -> datetime: ...


class CrmSinks:
    """Bus handlers: subscribe `on_callback_gave_up` to acd.events.CallbackGaveUp
    and `on_wrap_up_finished` to acd.events.WrapUpFinished."""

    def __init__(
        self, contacts: ContactService, failed_callbacks: FailedCallbackService
    ) -> None:
        self._contacts = contacts
        self._failed_callbacks = failed_callbacks

    async def on_callback_gave_up(self, event: GaveUpCallback) -> None:
        """Turn the callback the ACD gave up on into an appeal, once per call."""
        await self._failed_callbacks.record(
            FailedCallback(
                call_id=event.call_id,
                queue=event.queue_id,
                number=event.number,
                attempts=event.attempts,
                gave_up_at=event.at,
            )
        )

    async def on_wrap_up_finished(self, event: WrapUpFinished) -> None:
        """Keep the agent's disposition, notes, login and time on the call's contact
        (created if the call's own events have not arrived yet); once per wrap-up."""
        await self._contacts.record_wrap_up(
            event.call_id,
            WrapUp(
                finished_at=event.at,
                agent=event.agent_id,
                disposition=None
                if event.disposition is None
                else str(event.disposition),
                notes=event.notes,
            ),
        )
