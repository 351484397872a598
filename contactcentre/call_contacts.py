"""Carries each call's events into the CRM: the contact opens when the call arrives
(the caller identified before any menu, T1/C2; the `inbound` script opens it too,
so it exists before the first prompt); the IVR's record, every step the ACD
takes with the call and the telephony end land on it, and the CRM computes the call
log from them (T3). Translation only: the CRM decides the log.

One mailbox for all of them keeps each publisher's events of a call in order and
the call's writes one at a time; the order among publishers is not fixed (the end
often comes before the ACD's last word), and the CRM does not need it.
"""

from __future__ import annotations

import logging
import uuid

from acd.events import (
    CallAbandoned,
    CallbackBooked,
    CallConnected,
    CallLeftQueue,
    CallQueued,
    CallTransferred,
)
from acd.model import TargetKind, TransferMode
from crm_core.customers.call_log import CallEnd, CallStep, EndReason, StepKind
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import CallLog, ContactDirection, IvrVisit
from ivr.events import IvrCompleted, JsonValue
from telephony.events import CallArrived, CallEnded
from telephony.model import Direction
from telephony.model import EndReason as PbxEndReason

log = logging.getLogger(__name__)

AcdStep = (
    CallQueued
    | CallConnected
    | CallAbandoned
    | CallLeftQueue
    | CallTransferred
    | CallbackBooked
)

EVENTS = (
    CallArrived,
    IvrCompleted,
    CallQueued,
    CallConnected,
    CallAbandoned,
    CallLeftQueue,
    CallTransferred,
    CallbackBooked,
    CallEnded,
)
"""Subscribe with `bus.subscribe_all(EVENTS, CallContacts(...))`."""

OWN_KEYS = frozenset({"outcome", "journal"})
"""Keys of IvrCompleted.data that the visit carries as fields of its own."""

_END_REASONS = {
    PbxEndReason.HANGUP: EndReason.HANGUP,
    PbxEndReason.VANISHED: EndReason.VANISHED,
    PbxEndReason.PBX_SHUTDOWN: EndReason.PBX_SHUTDOWN,
}


def contact_direction(direction: Direction) -> ContactDirection:
    return (
        ContactDirection.OUT if direction is Direction.OUTBOUND else ContactDirection.IN
    )


def call_log(event: CallEnded) -> CallLog:
    """The CRM's record of how a call ended, with the last times the PBX gave."""
    return CallLog(
        end=CallEnd(
            ended_at=event.ended_at,
            reason=_END_REASONS[event.reason],
            hangup_cause=event.hangup_cause,
            hangup_cause_text=event.hangup_cause_text,
            bridged_at=event.bridged_at,
            hold_s=event.hold_s,
        ),
        ani=event.ani,
        dnis=event.dnis,
        started_at=event.arrived_at,
        direction=contact_direction(event.direction),
    )


def call_step(event: AcdStep) -> CallStep:
    """The CRM's record of one thing the ACD did with a call."""
    at, queue = event.occurred_at, str(event.queue_id)
    match event:
        case CallQueued():
            return CallStep(kind=StepKind.QUEUED, at=at, queue=queue)
        case CallConnected():
            return CallStep(
                kind=StepKind.CONNECTED, at=at, queue=queue,
                agent=event.agent_id, wait_s=round(event.waited_s, 3),
            )  # fmt: skip
        case CallAbandoned():
            wait_s = round(event.waited_s, 3)
            return CallStep(kind=StepKind.ABANDONED, at=at, queue=queue, wait_s=wait_s)
        case CallLeftQueue():
            return CallStep(
                kind=StepKind.LEFT_QUEUE, at=at, queue=queue,
                wait_s=round(event.waited_s, 3), target=event.exit.value,
            )  # fmt: skip
        case CallbackBooked():
            return CallStep(kind=StepKind.CALLBACK_BOOKED, at=at, queue=queue)
        case CallTransferred():
            return _transfer_step(event)


def _transfer_step(event: CallTransferred) -> CallStep:
    at, agent = event.occurred_at, event.agent_id
    match event.target_kind:
        case TargetKind.NUMBER:
            kind = StepKind.TRANSFERRED_OUT
            return CallStep(kind=kind, at=at, agent=agent, target=event.target)
        case TargetKind.AGENT if event.mode is TransferMode.ATTENDED:
            kind = StepKind.HANDED_OVER
            return CallStep(kind=kind, at=at, queue=event.queue_id, agent=event.target)
        case TargetKind.AGENT:
            kind = StepKind.REQUEUED
            return CallStep(kind=kind, at=at, queue=event.queue_id, target=event.target)
        case TargetKind.QUEUE:
            return CallStep(kind=StepKind.REQUEUED, at=at, queue=event.target)


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


class CallContacts:
    """Bus handler for EVENTS; each write is a method taking one event,
    idempotent per call id and safe to replay in order."""

    def __init__(self, contacts: ContactService) -> None:
        self._contacts = contacts

    async def __call__(
        self, event: CallArrived | CallEnded | IvrCompleted | AcdStep
    ) -> None:
        match event:
            case CallArrived():
                await self.on_call_arrived(event)
            case CallEnded():
                await self.on_call_ended(event)
            case IvrCompleted():
                await self.on_ivr_completed(event)
            case _:
                await self.on_acd_step(event)

    async def on_call_arrived(self, event: CallArrived) -> None:
        """Open the call's contact with the caller identified. The `inbound`
        FastAGI script calls this too, before its first prompt (T1): whichever
        comes first writes the contact, one per call id."""
        await self._contacts.open_call_contact(
            event.call_id,
            event.ani,
            dnis=event.dnis,
            direction=contact_direction(event.direction),
            started_at=event.occurred_at,
        )

    async def on_call_ended(self, event: CallEnded) -> None:
        """Close the call's contact with how the call ended."""
        await self._contacts.close_call_contact(event.call_id, call_log(event))

    async def on_ivr_completed(self, event: IvrCompleted) -> None:
        """Keep the IVR's journal, flow, last node and outcome on the contact."""
        await self._contacts.record_ivr(
            event.call_id,
            ivr_visit(event),
            ani=event.ani,
            customer_id=_customer(event.customer_id),
        )

    async def on_acd_step(self, event: AcdStep) -> None:
        """Keep what the ACD did with the call on its contact."""
        await self._contacts.record_call_step(event.call_id, call_step(event))
