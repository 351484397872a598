"""The engine's attended transfers to an agent: the consulted agent is reserved for the
call while the call's agent talks to them, then takes the call over or is free again.

Pure like `acd.engine`, whose inputs these are: no I/O, logging or clock.
"""

from __future__ import annotations

from datetime import datetime

from acd.errors import AgentBusy, InvalidTransition, UnknownCall
from acd.events import CallTransferred
from acd.lifecycle import Lifecycle
from acd.model import AgentId, AgentState, CallPhase, TargetKind, TransferMode
from acd.routing import Action, CallRecord, Step
from telephony.model import CallId


class Consultations(Lifecycle):
    """Consult, hand over, end a consultation (see `acd.engine.AcdEngine`)."""

    def consult(
        self, call_id: CallId, now: datetime, *, agent_id: AgentId
    ) -> list[Action]:
        """The connected call's agent consults `agent_id` before handing the call
        over: that agent is reserved for it (offered no queue call meanwhile).
        UnknownCall unless the call is connected; InvalidTransition for the call's
        own agent or while it consults someone already; AgentBusy unless
        `agent_id` is ready (one never logged in is not) on the call's PBX."""
        call = self._connected(call_id)
        if call.consulting is not None:
            raise InvalidTransition(f"call {call_id} consults {call.consulting}")
        if agent_id == call.agent_id:
            raise InvalidTransition(f"agent {agent_id} is on call {call_id}")
        target = self._agents.get(agent_id)
        if target is None or target.state is not AgentState.READY or target.away:
            state = AgentState.LOGGED_OUT if target is None else target.state
            raise AgentBusy(f"agent {agent_id} is {state}, not ready")
        if not self._same_pbx(target, call):
            raise AgentBusy(f"agent {agent_id} is on another PBX than call {call_id}")
        step = Step(now)
        self._leave_ready(target)
        call.consulting, target.consulted_for = agent_id, call_id
        target.token += 1
        self._set_state(target, AgentState.RESERVED, step=step)
        return step.actions

    def hand_over(self, call_id: CallId, now: datetime) -> list[Action]:
        """The attended transfer completed: the call's agent starts wrap-up and the
        consulted agent is on the call (wrap-up and CallHandled are theirs when it
        ends). UnknownCall unless the call is connected; InvalidTransition when it
        consults no agent (any more: the consulted agent logged out)."""
        call = self._connected(call_id)
        target_id = call.consulting
        if target_id is None:
            raise InvalidTransition(f"call {call_id} consults no agent")
        assert call.agent_id is not None
        target = self._agents[target_id]
        step = Step(now)
        step.actions.append(
            transferred(
                call,
                now,
                mode=TransferMode.ATTENDED,
                kind=TargetKind.AGENT,
                target=target_id,
            )
        )
        call.consulting, target.consulted_for = None, None
        self._start_wrap_up(self._agents[call.agent_id], call, step=step)
        call.agent_id, target.call_id = target_id, call_id
        target.calls_taken += 1
        target.talk_started = step.ts
        target.token += 1
        self._set_state(target, AgentState.ON_CALL, step=step)
        return step.actions

    def end_consultation(self, call_id: CallId, now: datetime) -> list[Action]:
        """The consultation ended without a hand-over (cancelled, or the consulted
        phone hung up): the consulted agent is free again. A call consulting no
        agent, or gone, is ignored."""
        call = self._calls.get(call_id)
        if call is None or call.consulting is None:
            return []
        step = Step(now)
        self._release_consulted(call, step)
        return step.actions

    def consulted(self, call_id: CallId) -> AgentId | None:
        """The agent reserved for the call's consultation, if any."""
        call = self._calls.get(call_id)
        return None if call is None else call.consulting

    def _connected(self, call_id: CallId) -> CallRecord:
        call = self._calls.get(call_id)
        if call is None or call.phase is not CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        return call


def transferred(
    call: CallRecord,
    now: datetime,
    *,
    mode: TransferMode,
    kind: TargetKind,
    target: str,
) -> CallTransferred:
    """The event of the call's agent passing it on (the call is connected)."""
    assert call.agent_id is not None
    return CallTransferred(
        occurred_at=now,
        call_id=call.request.call_id,
        queue_id=call.queue_id,
        agent_id=call.agent_id,
        mode=mode,
        target_kind=kind,
        target=target,
    )
