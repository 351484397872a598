"""Carries each call's telephony events into the CRM: a contact opens when the call
arrives (the caller identified before any menu, T1/C2) and closes with its call log
when the call ends (T3). Both arrive through one mailbox, so in order; the `inbound`
script opens the contact too, through the same method, so it exists before the
first prompt whatever the bus's pace."""

from __future__ import annotations

import logging

from crm_core.customers.contacts import ContactService
from crm_core.customers.model import CallLog, ContactDirection
from telephony.events import CallArrived, CallEnded
from telephony.model import Direction

log = logging.getLogger(__name__)

EVENTS = (CallArrived, CallEnded)


def _direction(direction: Direction) -> ContactDirection:
    return (
        ContactDirection.OUT if direction is Direction.OUTBOUND else ContactDirection.IN
    )


class CallContacts:
    """Bus handler for EVENTS (subscribe with `bus.subscribe_all(EVENTS, ...)`)."""

    def __init__(self, contacts: ContactService) -> None:
        self._contacts = contacts

    async def __call__(self, event: CallArrived | CallEnded) -> None:
        match event:
            case CallArrived():
                await self.open(event)
            case CallEnded():
                await self._contacts.close_call_contact(
                    event.call_id,
                    CallLog(
                        ended_at=event.ended_at,
                        wait_s=round(event.wait_s, 3),
                        talk_s=round(event.talk_s, 3),
                        outcome="answered" if event.bridged_at else "not_answered",
                        hangup_cause=event.hangup_cause,
                        ani=event.ani,
                        dnis=event.dnis,
                        started_at=event.arrived_at,
                        direction=_direction(event.direction),
                    ),
                )

    async def open(self, call: CallArrived) -> None:
        """Open the contact of the call that `call` announces. The bus calls this
        for CallArrived and the `inbound` FastAGI script before its first prompt
        (T1): whichever comes first writes it, one contact per call id."""
        await self._contacts.open_call_contact(
            call.call_id,
            call.ani,
            dnis=call.dnis,
            direction=_direction(call.direction),
            started_at=call.occurred_at,
        )
