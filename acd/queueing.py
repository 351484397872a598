"""The ACD owner task's steps for calls that join a queue: a hand-off, a callback
asked for, and what a restart of the service brings back (callers found waiting,
callbacks owed, agents still on their calls), with what is left on a waiting
caller's channel for the next restart. Run by the owner task only; no routing
decisions here (they are `acd.engine`'s), `acd.service.AcdService` adds the inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from acd.callbacks import Callback
from acd.dialing import Dialing
from acd.engine import Action
from acd.errors import AcdError, DuplicateCall, UnknownQueue
from acd.events import CallbackBooked
from acd.model import (
    AgentId,
    AgentSession,
    AgentState,
    CallPhase,
    ConnectedCall,
    KeptCallback,
)
from acd.ports import AgentOnCall, WaitingCall
from telephony import dialplan
from telephony.model import CallId

log = logging.getLogger(__name__)

QUEUE_VAR = dialplan.QUEUE_VARIABLE
QUEUED_AT_VAR = dialplan.QUEUED_AT_VARIABLE
PREFERRED_AGENT_VAR = dialplan.PREFERRED_AGENT_VARIABLE


class Queueing(Dialing):
    """See the module docstring; `acd.service.AcdService` is the whole service."""

    def pending_callbacks(self) -> list[KeptCallback]:
        """The callbacks owed whose agent has not been connected yet (waiting for
        their turn, or ringing an agent): what a restart must not lose."""
        owed: list[KeptCallback] = []
        for call_id, callback in self._callbacks.items():
            view, waiting = self.engine.call(call_id), self._waiting.get(call_id)
            if view is None or waiting is None or view.phase is CallPhase.CONNECTED:
                continue
            owed.append(
                KeptCallback(
                    request=replace(waiting.request, queue_id=view.queue_id),
                    pbx_id=waiting.pbx_id,
                    number=callback.number,
                    attempts=callback.attempts,
                    not_before=view.not_before,
                )
            )
        return owed

    def has_call(self, call_id: CallId) -> bool:
        """The ACD has the call: waiting, offered or connected."""
        return self.engine.call(call_id) is not None

    def _restore_agent(
        self,
        agent_id: AgentId,
        session: AgentSession | None,
        found: AgentOnCall | None,
        now: datetime,
    ) -> list[Action]:
        seat = self._seats[agent_id]
        if found is not None and found.waiting.request.call_id in self._ended:
            session = _ended_meanwhile(agent_id, session, found, now)
            found = None
        request = None if found is None else found.waiting.request
        actions = self.engine.restore_agent(
            seat.routing_profile, session, now, on_call=request
        )
        if found is not None and self.engine.agent(agent_id).call_id == (
            found.waiting.request.call_id
        ):
            self._waiting[found.waiting.request.call_id] = found.waiting
            self._connected[agent_id] = ConnectedCall(
                call_id=found.waiting.request.call_id,
                queue_id=found.waiting.request.queue_id,
                pbx_id=found.waiting.pbx_id,
                caller_channel=found.waiting.channel or None,
                agent_leg=found.agent_leg,
            )
        return actions

    def _holds_caller(self, waiting: WaitingCall) -> bool:
        """The ACD has a call for this caller's channel, under whatever call id
        (one handed off while the tracker did not know the channel yet)."""
        channel = (waiting.pbx_id, waiting.channel_id)
        return waiting.channel_id is not None and any(
            (held.pbx_id, held.channel_id) == channel and self.has_call(call_id)
            for call_id, held in self._waiting.items()
        )

    def _restore_callback(self, owed: KeptCallback, now: datetime) -> list[Action]:
        call_id = owed.request.call_id
        actions = self.engine.enqueue(
            owed.request, now, callback=True, not_before=owed.not_before, restored=True
        )
        self._callbacks[call_id] = Callback(number=owed.number, attempts=owed.attempts)
        self._waiting[call_id] = WaitingCall(
            pbx_id=owed.pbx_id, channel="", request=owed.request
        )
        return actions

    @staticmethod
    def _quiet(apply: Callable[[], list[Action]]) -> list[Action]:
        """One part of a larger input: refused alone, logged."""
        try:
            return apply()
        except AcdError as error:
            log.warning("acd restore refused: %r", error)
            return []

    def _enqueue(
        self, waiting: WaitingCall, now: datetime, *, restored: bool = False
    ) -> list[Action]:
        request = waiting.request
        if request.pbx_id is None:  # only agents on the caller's PBX can be bridged
            request = replace(request, pbx_id=waiting.pbx_id)
        if request.call_id in self._ended:
            log.info("call=%s ended before it was queued", request.call_id)
            return []
        if restored and self._holds_caller(waiting):
            log.info("call=%s: its caller is queued already", request.call_id)
            return []
        known = {q.queue_id for q in self.settings.queues}
        if request.queue_id not in known:
            fallback = self.settings.default_queue
            log.warning(
                "call=%s asked for unknown queue=%r; default=%s",
                request.call_id,
                request.queue_id,
                fallback,
            )
            if fallback is None:
                raise UnknownQueue(request.queue_id)
            request = replace(request, queue_id=fallback)
        if request.arrived_at is None:  # kept for a callback's retries
            request = replace(request, arrived_at=now)
        try:
            actions = self.engine.enqueue(request, now, restored=restored)
        except DuplicateCall:
            log.warning("call=%s is already queued", request.call_id)
            return []
        waiting = replace(waiting, request=request)
        self._waiting[request.call_id] = waiting
        if not restored:  # a restored call's variables are where it came from
            self._spawn(self._quietly(self._keep_on_channel(waiting)))
        return actions

    def _want_callback(
        self, call_id: CallId, number: str, now: datetime
    ) -> list[Action]:
        exited = self._exited.pop(call_id, None)
        if exited is not None and self.engine.call(call_id) is None:
            # Sent to the callback exit: back in its queue, in its first place.
            actions = self.engine.enqueue(
                exited.request, now, callback=True, returning=True
            )
            self._waiting[call_id] = exited
        else:
            actions = self.engine.request_callback(call_id, now)
        self._callbacks[call_id] = Callback(number=number)
        queue_id = self.engine.call_queue(call_id)
        if queue_id is not None:
            booked = CallbackBooked(occurred_at=now, call_id=call_id, queue_id=queue_id)
            actions.append(booked)
        return actions

    async def _keep_on_channel(self, waiting: WaitingCall) -> None:
        """Leave on the caller's channel what queues them again, in their place,
        should the service restart while they wait: the queue, when they joined
        it and the agent they are held for (Asterisk keeps channel variables)."""
        request = waiting.request
        assert request.arrived_at is not None
        await self._tell(waiting, QUEUE_VAR, request.queue_id)
        await self._tell(
            waiting, QUEUED_AT_VAR, f"{request.arrived_at.timestamp():.3f}"
        )
        await self._tell(waiting, PREFERRED_AGENT_VAR, request.preferred_agent or "")

    async def _tell(self, waiting: WaitingCall, name: str, value: str) -> None:
        pbx_id, channel = waiting.pbx_id, waiting.channel
        await self._quietly(
            self._pbx.set_var(pbx_id, channel=channel, name=name, value=value)
        )


def arrival(waiting: WaitingCall) -> float:
    """When the caller joined their queue (epoch seconds; unknown: last)."""
    arrived = waiting.request.arrived_at
    return float("inf") if arrived is None else arrived.timestamp()


def _ended_meanwhile(
    agent_id: AgentId, session: AgentSession | None, found: AgentOnCall, now: datetime
) -> AgentSession:
    """The session of an agent whose call, seen on the PBX, ended before the
    restore: on it until now, so its wrap-up starts now."""
    request = found.waiting.request
    answered = now
    if session is not None and session.call_id == request.call_id:
        answered = session.since
    return AgentSession(
        agent_id=agent_id,
        state=AgentState.ON_CALL,
        since=answered,
        call_id=request.call_id,
        queue_id=request.queue_id,
        pending_pause=None if session is None else session.pending_pause,
    )
