"""Bus handlers that carry IVR and ACD events into the CRM: the IVR's record of a
call onto its contact (I7), a callback the ACD gave up on into an appeal (A5), the
agent's wrap-up (disposition, notes) onto the call's contact. They translate events
into CRM values and call the CRM services; no decisions, no SQL."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Protocol

from acd.events import WrapUpFinished
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import IvrVisit, WrapUp
from crm_core.selfservice.failed_callbacks import FailedCallbackService
from crm_core.selfservice.model import FailedCallback
from ivr.events import IvrCompleted, JsonValue

log = logging.getLogger(__name__)

OWN_KEYS = frozenset({"outcome", "journal"})
"""Keys of IvrCompleted.data that the visit carries as fields of its own."""


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


def ivr_visit(event: IvrCompleted) -> IvrVisit:
    """The CRM's record of the IVR's way with a call, from its IvrCompleted."""
    handoff = event.data.get("handoff")
    flow = last_node = None
    if isinstance(handoff, dict):
        flow = _text(handoff.get("flow"))
        last_node = _text(handoff.get("last_node"))
    journal = event.data.get("journal")
    entries = (
        tuple(e for e in journal if isinstance(e, dict))
        if isinstance(journal, list)
        else ()
    )
    return IvrVisit(
        completed_at=event.occurred_at,
        flow=flow,
        outcome=event.outcome,
        last_node=last_node,
        language=event.language,
        queue=event.queue,
        journal=entries,
        details={k: v for k, v in event.data.items() if k not in OWN_KEYS},
    )


def _text(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _customer(raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


class CrmSinks:
    """Bus handlers: subscribe `on_ivr_completed` to ivr.events.IvrCompleted,
    `on_callback_gave_up` to acd.events.CallbackGaveUp and `on_wrap_up_finished` to
    acd.events.WrapUpFinished."""

    def __init__(
        self, contacts: ContactService, failed_callbacks: FailedCallbackService
    ) -> None:
        self._contacts = contacts
        self._failed_callbacks = failed_callbacks

    async def on_ivr_completed(self, event: IvrCompleted) -> None:
        """Keep the IVR's journal, flow, last node and outcome on the call's contact
        (created if the call's own events have not arrived yet)."""
        await self._contacts.record_ivr(
            event.call_id,
            ivr_visit(event),
            ani=event.ani,
            customer_id=_customer(event.customer_id),
        )

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
