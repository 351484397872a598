"""The ACD routing engine: queues, agents, waiting calls, strategies, overflow, exits.

Synchronous and free of I/O, logging and clocks: every input carries `now` and every
method returns the actions to carry out (commands and events), in order. It is a
mutable object rather than state-in/state-out because its indexes (sorted waiting
calls, sorted ready agents, match caches) are what keep a decision in microseconds at
thousands of agents and calls; copying them per decision would cost more than the
decision. One task owns an engine.
"""

from __future__ import annotations

import heapq
from dataclasses import replace
from datetime import datetime

from acd.consultations import transferred
from acd.errors import (
    DuplicateCall,
    InvalidTransition,
    UnknownCall,
    UnknownQueue,
)
from acd.events import (
    CallAbandoned,
    CallConnected,
    CallLeftQueue,
    CallTransferred,
)
from acd.model import (
    PAUSE_DISCONNECTED,
    PAUSE_NO_ANSWER,
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CallRequest,
    CancelOffer,
    ExitKind,
    ExitReason,
    QueueConfig,
    QueueExit,
    QueueId,
    TargetKind,
    TransferMode,
)
from acd.restore import Restorations
from acd.routing import (
    NEVER,
    PRESENCE_TIMER,
    RING_TIMER,
    WRAP_UP_TIMER,
    Action,
    AgentView,
    CallRecord,
    CallView,
    QueueRecord,
    Step,
    epoch_s,
    signature_of,
)
from acd.strategies import ReadyAgents
from telephony.model import CallId

__all__ = ["AcdEngine", "Action", "AgentView", "CallView"]


class AcdEngine(Restorations):
    """Routes waiting calls to agents. Not thread-safe: one task drives it."""

    def configure_queue(self, config: QueueConfig) -> None:
        """Add a queue, or change one (ready agents are re-sorted)."""
        queue = self._queues.get(config.queue_id)
        if queue is None:
            self._queues[config.queue_id] = QueueRecord(
                config, ReadyAgents(config.strategy)
            )
            return
        queue.config = config
        ready = [a for a in queue.members if a in queue.ready]
        queue.ready = ReadyAgents(config.strategy)
        for agent_id in ready:
            self._add_ready(queue, self._agents[agent_id])

    def remove_queue(self, queue_id: QueueId) -> None:
        """Drop a queue; InvalidTransition while a call is in it or a logged-in
        agent is its member (UnknownQueue for none)."""
        queue = self._queue(queue_id)
        if queue.size or queue.members:
            raise InvalidTransition(f"queue {queue_id} is in use")
        del self._queues[queue_id]

    def login(self, profile: AgentProfile, now: datetime) -> list[Action]:
        """Log an agent in (skills and memberships as given) and make them ready."""
        agent = self._admit(profile)
        step = Step(now)
        self._make_ready(agent, step)
        return step.actions

    def update_agent(self, profile: AgentProfile, now: datetime) -> list[Action]:
        """Change a logged-in agent's skills and memberships (a supervisor's edit);
        a ready agent is re-sorted and may be offered a call at once."""
        agent = self._agent(profile.agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            raise InvalidTransition(f"agent {profile.agent_id} is logged out")
        for membership in profile.memberships:
            if membership.queue_id not in self._queues:
                raise UnknownQueue(membership.queue_id)
        was_ready = agent.state is AgentState.READY
        self._leave_ready(agent)
        for queue_id in agent.queue_ids:
            del self._queues[queue_id].members[profile.agent_id]
        agent.profile, agent.levels = profile, dict(profile.skills)
        agent.queue_ids = tuple(m.queue_id for m in profile.memberships)
        agent.matches.clear()
        self._join_queues(agent)
        step = Step(now)
        if was_ready:  # keeps their idle time, unlike becoming ready anew
            call = self._find_call(agent)
            if call is not None:
                self._offer(call, agent, step=step)
            else:
                for queue_id in agent.queue_ids:
                    self._add_ready(self._queues[queue_id], agent)
        return step.actions

    def logout(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """Log an agent out; an offered call goes back to the head of its queue."""
        agent = self._agent(agent_id)
        if agent.state is AgentState.ON_CALL:
            raise InvalidTransition(f"agent {agent_id} is on a call")
        step = Step(now)
        if agent.state is AgentState.LOGGED_OUT:
            return step.actions
        if agent.consulted_for is not None:  # the consultation goes on without us
            consulted = self._calls.get(agent.consulted_for)
            if consulted is not None:
                consulted.consulting = None
            agent.consulted_for = None
            agent.token += 1
        elif agent.state is AgentState.WRAP_UP:
            self._close_wrap_up(agent, step)
        elif agent.state in (AgentState.RESERVED, AgentState.RINGING):
            self._withdraw_offer(agent, step)
        self._leave_ready(agent)
        self._set_state(agent, AgentState.LOGGED_OUT, step=step)
        for queue_id in agent.queue_ids:
            del self._queues[queue_id].members[agent_id]
        for entry in agent.preferred:
            call = self._calls.get(entry[3])
            if call is not None and call.held_for == agent_id:
                self._release_hold(call, step)
        agent.preferred.clear()
        return step.actions

    def pause(self, agent_id: AgentId, now: datetime, *, reason: str) -> list[Action]:
        """Pause an agent; one holding or wrapping up a call pauses when done."""
        agent = self._agent(agent_id)
        step = Step(now)
        match agent.state:
            case AgentState.LOGGED_OUT:
                raise InvalidTransition(f"agent {agent_id} is logged out")
            case AgentState.READY | AgentState.PAUSED:
                self._leave_ready(agent)
                agent.reason = reason
                self._set_state(agent, AgentState.PAUSED, step=step, force=True)
            case (
                AgentState.RESERVED
                | AgentState.RINGING
                | AgentState.ON_CALL
                | AgentState.WRAP_UP
            ):
                agent.pending_pause = reason
        return step.actions

    def resume(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """A paused agent is ready again (and may be offered a call at once);
        InvalidTransition while their desktop is away."""
        agent = self._agent(agent_id)
        if agent.away:
            raise InvalidTransition(f"agent {agent_id} has no desktop connected")
        agent.pending_pause = None
        if agent.state is not AgentState.PAUSED:
            if agent.state is AgentState.LOGGED_OUT:
                raise InvalidTransition(f"agent {agent_id} is logged out")
            return []
        step = Step(now)
        self._make_ready(agent, step)
        return step.actions

    def agent_gone(
        self, agent_id: AgentId, now: datetime, *, grace_s: float
    ) -> list[Action]:
        """The agent's last desktop went away: unless it is back within `grace_s`
        (a page reload), the agent counts as disconnected (see `tick`). Unknown or
        logged-out agents are ignored."""
        agent = self._agents.get(agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT or agent.away:
            return []
        agent.presence, agent.absent = agent.presence + 1, True
        step = Step(now)
        if grace_s <= 0:
            self._disconnect(agent, step)
        else:
            key, token = agent_id, agent.presence
            self._timer(step.ts + grace_s, PRESENCE_TIMER, key=key, token=token)
        return step.actions

    def agent_back(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """A desktop of the agent is connected: a pending grace ends; an agent
        paused "disconnected" is ready again."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return []
        agent.presence += 1
        paused_away = (agent.state, agent.reason) == (
            AgentState.PAUSED,
            PAUSE_DISCONNECTED,
        )
        if not agent.absent or not (agent.away or paused_away):
            agent.absent = False
            return []
        agent.absent = agent.away = False
        step = Step(now)
        if agent.pending_pause == PAUSE_DISCONNECTED:
            agent.pending_pause = None
        if agent.state is AgentState.PAUSED and agent.reason == PAUSE_DISCONNECTED:
            self._make_ready(agent, step)
        return step.actions

    def enqueue(
        self,
        request: CallRequest,
        now: datetime,
        *,
        callback: bool = False,
        not_before: datetime | None = None,
        returning: bool = False,
        restored: bool = False,
    ) -> list[Action]:
        """A call starts waiting in `request.queue_id` (offered at once if it can).
        `callback`: the caller waits to be called back (as `request_callback`);
        `not_before`: the call is not offered before then (a callback's retry);
        `returning`: it was queued here before (its CallQueued is no arrival);
        `restored`: it was waiting before the service restarted, so its time in
        the queue (overflow rules, maximum wait) counts from `request.arrived_at`."""
        if request.call_id in self._calls:
            raise DuplicateCall(request.call_id)
        queue = self._queues.get(request.queue_id)
        if queue is None:
            raise UnknownQueue(request.queue_id)
        step = Step(now)
        arrived = (
            epoch_s(request.arrived_at) if request.arrived_at is not None else step.ts
        )
        call = CallRecord(
            request=request,
            queue_id=request.queue_id,
            priority=self._priority(request, queue.config),
            arrived=arrived,
            joined=step.ts,
            signature=signature_of(request.skills, request.language, request.pbx_id),
            callback=callback,
            not_before=epoch_s(not_before) if not_before is not None else 0.0,
            returning=returning,
        )
        self._set_signature(call, call.signature)
        self._calls[request.call_id] = call
        self._join(call, step, joined=arrived if restored else None)
        return step.actions

    def ringing(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The reserved agent's phone is ringing."""
        agent = self._agent(agent_id)
        if agent.state is not AgentState.RESERVED:
            raise InvalidTransition(f"agent {agent_id} is {agent.state}, not reserved")
        step = Step(now)
        self._set_state(agent, AgentState.RINGING, step=step)
        return step.actions

    def answer(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The offered agent answered: the caller is connected to them."""
        agent = self._agent(agent_id)
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            raise InvalidTransition(f"agent {agent_id} has no offered call")
        assert agent.call_id is not None
        call = self._calls[agent.call_id]
        step = Step(now)
        call.phase = CallPhase.CONNECTED
        self._queues[call.queue_id].size -= 1
        agent.calls_taken += 1
        agent.talk_started = step.ts
        agent.token += 1
        step.actions.append(
            CallConnected(
                occurred_at=now,
                call_id=call.request.call_id,
                queue_id=call.queue_id,
                agent_id=agent_id,
                waited_s=step.ts - call.arrived,
            )
        )
        self._set_state(agent, AgentState.ON_CALL, step=step)
        return step.actions

    def no_answer(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The offer failed (no answer, busy, unreachable): the call goes back to
        the head of its queue and the agent is paused "no_answer"."""
        agent = self._agent(agent_id)
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            raise InvalidTransition(f"agent {agent_id} has no offered call")
        step = Step(now)
        self._withdraw_offer(agent, step, cancel=False)
        agent.reason = PAUSE_DISCONNECTED if agent.absent else PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, step=step, force=True)
        return step.actions

    def hang_up(
        self, call_id: CallId, now: datetime, *, pbx_gone: bool = False
    ) -> list[Action]:
        """The call ended: abandoned if no agent had answered, else the agent's
        wrap-up starts. `pbx_gone`: the PBX went away under it (a restart), so a
        waiting call left the queue rather than being abandoned. Unknown calls
        are ignored (they already left)."""
        call = self._calls.get(call_id)
        if call is None:
            return []
        step = Step(now)
        if call.phase is CallPhase.CONNECTED:
            assert call.agent_id is not None
            del self._calls[call_id]
            self._start_wrap_up(self._agents[call.agent_id], call, step=step)
            self._release_consulted(call, step)
            return step.actions
        del self._calls[call_id]
        self._unlist(call)
        self._queues[call.queue_id].size -= 1
        waited_s = step.ts - call.arrived
        if pbx_gone:
            step.actions.append(
                CallLeftQueue(
                    occurred_at=now,
                    call_id=call_id,
                    queue_id=call.queue_id,
                    reason=ExitReason.PBX_GONE,
                    exit=ExitKind.HANGUP,
                    waited_s=waited_s,
                )
            )
        else:
            step.actions.append(
                CallAbandoned(
                    occurred_at=now,
                    call_id=call_id,
                    queue_id=call.queue_id,
                    waited_s=waited_s,
                )
            )
        if call.phase is CallPhase.OFFERED:
            assert call.agent_id is not None
            agent = self._agents[call.agent_id]
            agent.call_id = None
            step.actions.append(
                CancelOffer(call_id=call_id, agent_id=agent.profile.agent_id)
            )
            self._after_call(agent, step)
        return step.actions

    def leave(
        self,
        call_id: CallId,
        now: datetime,
        *,
        exit_kind: ExitKind,
        reason: ExitReason = ExitReason.CALLER_CHOICE,
    ) -> list[Action]:
        """The waiting caller took an offered option (voicemail, callback), or the
        ACD gave the call up (`reason`); an offer of it is cancelled."""
        call = self._calls.get(call_id)
        if call is None or call.phase is CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        step = Step(now)
        exit = QueueExit(kind=exit_kind)
        self._remove(call, reason, exit=exit, step=step)
        if call.phase is CallPhase.OFFERED:
            assert call.agent_id is not None
            agent = self._agents[call.agent_id]
            agent.call_id = None
            step.actions.append(CancelOffer(call_id=call_id, agent_id=call.agent_id))
            self._after_call(agent, step)
        return step.actions

    def request_callback(self, call_id: CallId, now: datetime) -> list[Action]:
        """The waiting caller chose to be called back: the call keeps its place and
        its offer will say `callback`; the maximum wait no longer applies. The
        caller's hang-up must then not be reported through `hang_up`."""
        call = self._calls.get(call_id)
        if call is None or call.phase is not CallPhase.WAITING:
            raise UnknownCall(call_id)
        call.callback = True
        self._arm(call, epoch_s(now))
        return []

    def defer(self, call_id: CallId, now: datetime, *, until: datetime) -> list[Action]:
        """A callback whose ring failed through no fault of the agent waits until
        `until` (keeping its place) before it is offered again; the agent it was
        offered to is free at once."""
        call = self._calls.get(call_id)
        if call is None or call.phase is CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        step = Step(now)
        self._unlist(call)
        call.held_for, call.held_until = None, NEVER
        call.not_before = max(epoch_s(until), step.ts)
        agent_id, call.agent_id = call.agent_id, None
        call.phase = CallPhase.WAITING
        self._arm(call, step.ts)
        if agent_id is not None:
            agent = self._agents[agent_id]
            agent.call_id = None
            self._after_call(agent, step)
        return step.actions

    def transfer(
        self,
        call_id: CallId,
        now: datetime,
        *,
        queue_id: QueueId,
        agent_id: AgentId | None = None,
    ) -> list[Action]:
        """A connected call re-enters `queue_id` (same call id, data and priority):
        its agent starts wrap-up; `agent_id` is the preferred agent to offer it to
        (held for them as for an appeal's owner)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is not CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        self._queue(queue_id)  # UnknownQueue before anything changes
        assert call.agent_id is not None
        step = Step(now)
        step.actions.append(_blind(call, now, queue_id=queue_id, agent_id=agent_id))
        del self._calls[call_id]
        self._start_wrap_up(self._agents[call.agent_id], call, step=step)
        self._release_consulted(call, step)
        again = _waiting_again(call, step, queue_id=queue_id, agent_id=agent_id)
        self._set_signature(again, again.signature)
        self._calls[call_id] = again
        self._join(again, step)
        return step.actions

    def transfer_out(
        self, call_id: CallId, now: datetime, *, number: str, mode: TransferMode
    ) -> list[Action]:
        """A connected call left the centre for the outside `number`: its agent
        starts wrap-up. A call no longer connected is let go as by `hang_up`."""
        call = self._calls.get(call_id)
        if call is None or call.phase is not CallPhase.CONNECTED:
            return self.hang_up(call_id, now)
        kind = TargetKind.NUMBER
        sent = transferred(call, now, mode=mode, kind=kind, target=number)
        return [sent, *self.hang_up(call_id, now)]

    def finish_wrap_up(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The agent ended wrap-up before its time ran out."""
        agent = self._agent(agent_id)
        if agent.state is not AgentState.WRAP_UP:
            return []
        step = Step(now)
        self._end_wrap_up(agent, step)
        return step.actions

    def tick(self, now: datetime) -> list[Action]:
        """Apply every timer due by `now`: ring timeouts, wrap-up ends, overflow
        rules, preferred-agent expiry and maximum waits."""
        step = Step(now)
        timers = self._timers
        while timers and timers[0][0] <= step.ts:
            # Every due timer acts at `now`: grace periods that ended go first, so no
            # call is offered at `now` to an agent whose desktop is gone by then.
            due: list[tuple[float, int, int, int, str, int]] = []
            while timers and timers[0][0] <= step.ts:
                due.append(heapq.heappop(timers))
            due.sort(key=lambda timer: (timer[1], timer[0], timer[2]))
            for _, _, _, kind, key, token in due:
                self._fire(kind, key, token, step)
        return step.actions

    def _fire(self, kind: int, key: str, token: int, step: Step) -> None:
        """One timer; a stale token (the agent or call moved on) does nothing."""
        if kind == RING_TIMER:
            self._ring_timeout(AgentId(key), token, step=step)
        elif kind == PRESENCE_TIMER:
            agent = self._agents.get(AgentId(key))
            if agent and agent.presence == token and not agent.away:
                self._disconnect(agent, step)
        elif kind == WRAP_UP_TIMER:
            agent = self._agents.get(AgentId(key))
            if agent and agent.token == token and agent.state is AgentState.WRAP_UP:
                self._end_wrap_up(agent, step)
        else:
            call = self._calls.get(CallId(key))
            if call is not None and call.generation == token:
                self._review(call, step)


def _blind(
    call: CallRecord, now: datetime, *, queue_id: QueueId, agent_id: AgentId | None
) -> CallTransferred:
    """A blind transfer to a queue, or to an agent (waiting in the same queue)."""
    blind = TransferMode.BLIND
    if agent_id is None:
        return transferred(
            call, now, mode=blind, kind=TargetKind.QUEUE, target=queue_id
        )
    return transferred(call, now, mode=blind, kind=TargetKind.AGENT, target=agent_id)


def _waiting_again(
    call: CallRecord, step: Step, *, queue_id: QueueId, agent_id: AgentId | None
) -> CallRecord:
    """The connected `call` waiting anew in `queue_id` (same call id, data and
    priority), for `agent_id` if set."""
    request = replace(
        call.request,
        queue_id=queue_id,
        priority=call.priority,
        category=None,
        preferred_agent=agent_id,
        arrived_at=step.now,
    )
    return CallRecord(
        request=request,
        queue_id=queue_id,
        priority=call.priority,
        arrived=step.ts,
        joined=step.ts,
        signature=signature_of(request.skills, request.language, request.pbx_id),
    )
