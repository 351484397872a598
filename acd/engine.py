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
from datetime import datetime

from acd.errors import (
    DuplicateCall,
    InvalidTransition,
    UnknownCall,
    UnknownQueue,
)
from acd.events import (
    CallAbandoned,
    CallConnected,
    CallOverflowed,
    CallRequeued,
)
from acd.model import (
    PAUSE_NO_ANSWER,
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CallRequest,
    CancelOffer,
    ExitKind,
    ExitReason,
    OfferOptions,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueExit,
    QueueId,
)
from acd.routing import (
    NEVER,
    RING_TIMER,
    WRAP_UP_TIMER,
    Action,
    AgentRecord,
    AgentView,
    CallRecord,
    CallView,
    QueueRecord,
    RoutingState,
    Step,
    epoch_s,
    signature_of,
)
from acd.strategies import ReadyAgents
from telephony.model import CallId

__all__ = ["AcdEngine", "Action", "AgentView", "CallView"]

_MAX_MOVES = 8
"""Overflow hops after which a call is hung up (guards against queue loops)."""
_OFFER_OPTIONS = {
    OverflowKind.OFFER_VOICEMAIL: (ExitKind.VOICEMAIL,),
    OverflowKind.OFFER_CALLBACK: (ExitKind.CALLBACK,),
}


class AcdEngine(RoutingState):
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

    def login(self, profile: AgentProfile, now: datetime) -> list[Action]:
        """Log an agent in (skills and memberships as given) and make them ready."""
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
        if agent.state is AgentState.WRAP_UP:
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
        """A paused agent is ready again (and may be offered a call at once)."""
        agent = self._agent(agent_id)
        agent.pending_pause = None
        if agent.state is not AgentState.PAUSED:
            if agent.state is AgentState.LOGGED_OUT:
                raise InvalidTransition(f"agent {agent_id} is logged out")
            return []
        step = Step(now)
        self._make_ready(agent, step)
        return step.actions

    def enqueue(self, request: CallRequest, now: datetime) -> list[Action]:
        """A call starts waiting in `request.queue_id` (offered at once if it can)."""
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
            signature=signature_of(request.skills, request.language),
        )
        self._set_signature(call, call.signature)
        self._calls[request.call_id] = call
        self._join(call, step)
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
        agent.reason = PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, step=step, force=True)
        return step.actions

    def hang_up(self, call_id: CallId, now: datetime) -> list[Action]:
        """The call ended: abandoned if no agent had answered, else the agent's
        wrap-up starts. Unknown calls are ignored (they already left)."""
        call = self._calls.get(call_id)
        if call is None:
            return []
        step = Step(now)
        if call.phase is CallPhase.CONNECTED:
            assert call.agent_id is not None
            del self._calls[call_id]
            self._start_wrap_up(self._agents[call.agent_id], call, step=step)
            return step.actions
        del self._calls[call_id]
        self._unlist(call)
        self._queues[call.queue_id].size -= 1
        step.actions.append(
            CallAbandoned(
                occurred_at=now,
                call_id=call_id,
                queue_id=call.queue_id,
                waited_s=step.ts - call.arrived,
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
        self, call_id: CallId, now: datetime, *, exit_kind: ExitKind
    ) -> list[Action]:
        """The waiting caller took an offered option (voicemail, callback)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        step = Step(now)
        exit = QueueExit(kind=exit_kind)
        self._remove(call, ExitReason.CALLER_CHOICE, exit=exit, step=step)
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
            _, _, kind, key, token = heapq.heappop(timers)
            if kind == RING_TIMER:
                self._ring_timeout(AgentId(key), token, step=step)
            elif kind == WRAP_UP_TIMER:
                agent = self._agents.get(AgentId(key))
                if agent and agent.token == token and agent.state is AgentState.WRAP_UP:
                    self._end_wrap_up(agent, step)
            else:
                call = self._calls.get(CallId(key))
                if call is not None and call.generation == token:
                    self._review(call, step)
        return step.actions

    def _join(self, call: CallRecord, step: Step) -> None:
        """Put the call in its queue (or out by the queue's full exit) and route it."""
        queue = self._queues[call.queue_id]
        config = queue.config
        queue.size += 1
        call.joined, call.next_rule = step.ts, 0
        if config.max_length is not None and queue.size > config.max_length:
            self._exit(call, ExitReason.QUEUE_FULL, exit=config.on_full, step=step)
            return
        preferred = self._preferred(call, config)
        if preferred is not None and preferred.state is not AgentState.READY:
            call.held_for, call.held_until = (
                preferred.profile.agent_id,
                step.ts + (config.preferred_agent_s),
            )
            self._hold(call, preferred)
        else:
            agent = preferred or self._find_agent(call)
            if agent is not None:
                step.actions.append(self._queued(call, 1, now=step.now))
                self._offer(call, agent, step=step)
                return
            self._list(call)
        step.actions.append(
            self._queued(call, self._position(queue, call), now=step.now)
        )
        self._arm(call, step.ts)

    def _requeue(self, call: CallRecord, step: Step) -> None:
        """Route a call that is waiting again; apply rules that fell due meanwhile."""
        call.phase, call.agent_id = CallPhase.WAITING, None
        if call.held_for is None:
            self._list(call)
            agent = self._find_agent(call)
            if agent is not None:
                self._offer(call, agent, step=step)
                return
        self._review(call, step)

    def _release_hold(self, call: CallRecord, step: Step) -> None:
        """The preferred agent's time is up (or they left): any agent may take it."""
        call.held_for, call.held_until = None, NEVER
        self._requeue(call, step)

    def _withdraw_offer(
        self,
        agent: AgentRecord,
        step: Step,
        *,
        cancel: bool = True,
    ) -> None:
        """Take an offered call back from the agent and put it at the head again."""
        assert agent.call_id is not None
        call = self._calls[agent.call_id]
        agent.call_id, agent.pending_pause = None, None
        agent.token += 1
        if cancel:
            step.actions.append(
                CancelOffer(
                    call_id=call.request.call_id, agent_id=agent.profile.agent_id
                )
            )
        step.actions.append(
            CallRequeued(
                occurred_at=step.now,
                call_id=call.request.call_id,
                queue_id=call.queue_id,
                agent_id=agent.profile.agent_id,
            )
        )
        self._requeue(call, step)

    def _ring_timeout(
        self,
        agent_id: AgentId,
        token: int,
        *,
        step: Step,
    ) -> None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.token != token:
            return
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            return
        self._withdraw_offer(agent, step)
        agent.reason = PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, step=step, force=True)

    def _make_ready(self, agent: AgentRecord, step: Step) -> None:
        """The agent is free: pause if asked to, else take a call or wait ready."""
        agent.idle_since = step.ts
        if agent.pending_pause is not None:
            agent.reason, agent.pending_pause = agent.pending_pause, None
            self._set_state(agent, AgentState.PAUSED, step=step, force=True)
            return
        call = self._find_call(agent)
        if call is not None:
            self._offer(call, agent, step=step)
            return
        self._set_state(agent, AgentState.READY, step=step)
        for queue_id in agent.queue_ids:
            self._add_ready(self._queues[queue_id], agent)

    def _after_call(self, agent: AgentRecord, step: Step) -> None:
        """The caller left during the offer: the agent is free again at once."""
        agent.token += 1
        self._make_ready(agent, step)

    def _start_wrap_up(
        self,
        agent: AgentRecord,
        call: CallRecord,
        *,
        step: Step,
    ) -> None:
        agent.talk_s = step.ts - agent.talk_started
        agent.wrap_started = step.ts
        agent.call_id = None
        agent.wrap_call = (call.request.call_id, call.queue_id)
        agent.token += 1
        wrap_up_s = self._queues[call.queue_id].config.wrap_up_s
        if wrap_up_s <= 0:
            self._end_wrap_up(agent, step)
            return
        self._set_state(agent, AgentState.WRAP_UP, step=step)
        self._timer(
            step.ts + wrap_up_s,
            WRAP_UP_TIMER,
            key=agent.profile.agent_id,
            token=agent.token,
        )

    def _end_wrap_up(self, agent: AgentRecord, step: Step) -> None:
        self._close_wrap_up(agent, step)
        self._make_ready(agent, step)

    def _review(self, call: CallRecord, step: Step) -> None:
        """Apply what fell due for a waiting call, then schedule the next review."""
        if call.phase is not CallPhase.WAITING:
            return
        if call.held_for is not None and step.ts >= call.held_until:
            self._release_hold(call, step)
            return
        config = self._queues[call.queue_id].config
        waited = step.ts - call.joined
        if (
            config.max_wait_s is not None
            and waited >= config.max_wait_s
            and not call.callback
        ):
            self._exit(call, ExitReason.MAX_WAIT, exit=config.on_max_wait, step=step)
            return
        rules = config.overflow
        while call.next_rule < len(rules) and rules[call.next_rule].after_s <= waited:
            rule = rules[call.next_rule]
            call.next_rule += 1
            if not self._apply_rule(call, rule, step=step):
                return
        self._arm(call, step.ts)

    def _apply_rule(
        self,
        call: CallRecord,
        rule: OverflowRule,
        *,
        step: Step,
    ) -> bool:
        """Apply one overflow rule; False when the call left or was offered."""
        match rule.kind:
            case OverflowKind.TO_QUEUE:
                self._move(
                    call, rule.target_queue, reason=ExitReason.OVERFLOW, step=step
                )
                return False
            case OverflowKind.RELAX_SKILLS:
                relaxed = {
                    n: min(level, rule.relax_to) for n, level in call.signature[0]
                }
                self._set_signature(call, signature_of(relaxed, call.signature[1]))
                if call.held_for is not None:
                    return True
                agent = self._find_agent(call)
                if agent is None:
                    return True
                self._offer(call, agent, step=step)
                return False
            case OverflowKind.OFFER_VOICEMAIL | OverflowKind.OFFER_CALLBACK:
                if call.callback:
                    return True
                step.actions.append(
                    OfferOptions(
                        call_id=call.request.call_id,
                        queue_id=call.queue_id,
                        options=_OFFER_OPTIONS[rule.kind],
                    )
                )
                return True

    def _move(
        self,
        call: CallRecord,
        target: QueueId | None,
        *,
        reason: ExitReason,
        step: Step,
    ) -> None:
        queue = self._queues.get(target) if target is not None else None
        if queue is None or target == call.queue_id or call.moves >= _MAX_MOVES:
            why = ExitReason.NO_QUEUE if queue is None else reason
            self._remove(call, why, exit=QueueExit(kind=ExitKind.HANGUP), step=step)
            return
        assert target is not None
        self._unlist(call)
        self._queues[call.queue_id].size -= 1
        step.actions.append(
            CallOverflowed(
                occurred_at=step.now,
                call_id=call.request.call_id,
                from_queue_id=call.queue_id,
                to_queue_id=target,
                reason=reason,
            )
        )
        call.moves += 1
        call.held_for, call.held_until, call.entry_seq = None, NEVER, -1
        call.queue_id = target
        call.priority = self._priority(call.request, queue.config)
        self._join(call, step)

    def _exit(
        self,
        call: CallRecord,
        reason: ExitReason,
        *,
        exit: QueueExit,
        step: Step,
    ) -> None:
        if exit.kind is ExitKind.QUEUE:
            self._move(call, exit.target_queue, reason=reason, step=step)
        else:
            self._remove(call, reason, exit=exit, step=step)
