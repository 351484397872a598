"""The engine's restart inputs: what a logged-in agent is doing, as an `AgentSession`
to keep, and the agent put back in that state when the service starts again.

Pure like `acd.engine`, whose inputs these are: no I/O, logging or clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from acd.consultations import Consultations
from acd.errors import DuplicateCall, InvalidTransition, UnknownQueue
from acd.model import (
    AgentId,
    AgentProfile,
    AgentSession,
    AgentState,
    CallPhase,
    CallRequest,
    QueueId,
)
from acd.routing import (
    WRAP_UP_TIMER,
    Action,
    AgentRecord,
    CallRecord,
    Step,
    epoch_s,
    signature_of,
)
from telephony.model import CallId

_OFFERED = (AgentState.RESERVED, AgentState.RINGING)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


class Restorations(Consultations):
    """`session` and `restore_agent` (see `acd.engine.AcdEngine`)."""

    def session(self, agent_id: AgentId) -> AgentSession | None:
        """What to keep of the agent across a restart; None when logged out. An
        offer in progress is not kept: the agent is kept as ready."""
        agent = self._agents.get(agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return None
        state, since = agent.state, agent.since
        call_id: CallId | None = None
        queue_id: QueueId | None = None
        if state is AgentState.ON_CALL and agent.call_id is not None:
            call_id, since = agent.call_id, agent.talk_started
            call = self._calls.get(agent.call_id)
            queue_id = None if call is None else call.queue_id
        elif state is AgentState.WRAP_UP and agent.wrap_call is not None:
            (call_id, queue_id), since = agent.wrap_call, agent.wrap_started
        elif state in _OFFERED:
            state = AgentState.READY
        return AgentSession(
            agent_id=agent_id,
            state=state,
            since=_utc(since),
            reason=agent.reason if state is AgentState.PAUSED else "",
            pending_pause=agent.pending_pause,
            call_id=call_id,
            queue_id=queue_id,
            talk_s=agent.talk_s if state is AgentState.WRAP_UP else 0.0,
        )

    def restore_agent(
        self,
        profile: AgentProfile,
        session: AgentSession | None,
        now: datetime,
        *,
        on_call: CallRequest | None = None,
    ) -> list[Action]:
        """Put a logged-out agent back as `session` kept them before the service
        restarted: paused with their reason, wrapping up their call for what is
        left of its wrap-up (a call that ended meanwhile starts it now), or ready.
        `on_call`: the PBX shows the agent still on that call; they are its agent
        again and get no other call until its wrap-up. An agent logged in since
        the restart, or with neither, is left alone. DuplicateCall when `on_call`
        is already the engine's; UnknownQueue for a membership of no queue."""
        agent_id = profile.agent_id
        known = self._agents.get(agent_id)
        if (known is not None and known.state is not AgentState.LOGGED_OUT) or (
            session is None and on_call is None
        ):
            return []
        if on_call is not None and on_call.call_id in self._calls:
            raise DuplicateCall(on_call.call_id)
        agent = self._admit(profile)
        step = Step(now)
        agent.pending_pause = None if session is None else session.pending_pause
        if on_call is not None:
            answered = now
            if session is not None and _same_call(session, on_call):
                answered = session.since
            self._resume_call(agent, on_call, answered=epoch_s(answered), step=step)
        else:
            assert session is not None  # one of the two, checked above
            self._resume_session(agent, session, step)
        return step.actions

    def _resume_session(
        self, agent: AgentRecord, session: AgentSession, step: Step
    ) -> None:
        if session.call_id is not None and session.queue_id in self._queues:
            assert session.queue_id is not None
            on_hand = session.state is AgentState.ON_CALL  # the call ended meanwhile
            started = step.ts if on_hand else epoch_s(session.since)
            talk_s = step.ts - epoch_s(session.since) if on_hand else session.talk_s
            agent.wrap_call = (session.call_id, session.queue_id)
            self._resume_wrap_up(agent, started=started, talk_s=talk_s, step=step)
        elif session.state is AgentState.PAUSED:
            agent.reason = session.reason
            self._set_state(agent, AgentState.PAUSED, step=step, force=True)
        else:
            self._make_ready(agent, step)

    def _admit(self, profile: AgentProfile) -> AgentRecord:
        """A fresh record for an agent logging in, a member of their queues."""
        agent = self._agents.get(profile.agent_id)
        if agent is not None and agent.state is not AgentState.LOGGED_OUT:
            raise InvalidTransition(f"agent {profile.agent_id} is already logged in")
        for membership in profile.memberships:
            if membership.queue_id not in self._queues:
                raise UnknownQueue(membership.queue_id)
        agent = AgentRecord(
            profile,
            queue_ids=tuple(m.queue_id for m in profile.memberships),
            levels=dict(profile.skills),
        )
        self._agents[profile.agent_id] = agent
        self._join_queues(agent)
        return agent

    def _resume_call(
        self, agent: AgentRecord, request: CallRequest, *, answered: float, step: Step
    ) -> None:
        arrived = (
            epoch_s(request.arrived_at) if request.arrived_at is not None else answered
        )
        call = CallRecord(
            request=request,
            queue_id=request.queue_id,
            priority=request.priority,
            arrived=arrived,
            joined=arrived,
            signature=signature_of(request.skills, request.language, request.pbx_id),
            phase=CallPhase.CONNECTED,
            agent_id=agent.profile.agent_id,
        )
        self._set_signature(call, call.signature)
        self._calls[request.call_id] = call
        agent.call_id = request.call_id
        agent.calls_taken += 1
        agent.talk_started = answered
        agent.token += 1
        self._set_state(agent, AgentState.ON_CALL, step=step)
        agent.since = answered

    def _resume_wrap_up(
        self, agent: AgentRecord, *, started: float, talk_s: float, step: Step
    ) -> None:
        assert agent.wrap_call is not None
        agent.talk_s, agent.wrap_started = talk_s, started
        agent.token += 1
        due = started + self._queues[agent.wrap_call[1]].config.wrap_up_s
        if due <= step.ts:
            self._end_wrap_up(agent, step)
            return
        self._set_state(agent, AgentState.WRAP_UP, step=step)
        agent.since = started
        self._timer(due, WRAP_UP_TIMER, key=agent.profile.agent_id, token=agent.token)


def _same_call(session: AgentSession, request: CallRequest) -> bool:
    return session.state is AgentState.ON_CALL and session.call_id == request.call_id
