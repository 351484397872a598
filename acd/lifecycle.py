"""The engine's call and agent lifecycle: joining a queue, offers withdrawn, wrap-up,
reviews of waiting calls (overflow rules, maximum wait) and moves between queues.

Pure like `acd.engine`, whose public inputs drive these steps: no I/O, logging or clock.
"""

from __future__ import annotations

from acd.events import (
    CallOverflowed,
    CallRequeued,
)
from acd.model import (
    PAUSE_DISCONNECTED,
    PAUSE_NO_ANSWER,
    AgentId,
    AgentState,
    CallPhase,
    CancelOffer,
    ExitKind,
    ExitReason,
    OfferOptions,
    OverflowKind,
    OverflowRule,
    QueueExit,
    QueueId,
)
from acd.routing import (
    NEVER,
    WRAP_UP_TIMER,
    AgentRecord,
    CallRecord,
    RoutingState,
    Step,
    signature_of,
)

_MAX_MOVES = 8
"""Overflow hops after which a call is hung up (guards against queue loops)."""
_OFFER_OPTIONS = {
    OverflowKind.OFFER_VOICEMAIL: (ExitKind.VOICEMAIL,),
    OverflowKind.OFFER_CALLBACK: (ExitKind.CALLBACK,),
}


class Lifecycle(RoutingState):
    """The steps the engine's inputs share (see `acd.engine.AcdEngine`)."""

    def _join(
        self, call: CallRecord, step: Step, *, joined: float | None = None
    ) -> None:
        """Put the call in its queue (or out by the queue's full exit) and route it;
        its time in the queue counts from `joined` (default: now)."""
        queue = self._queues[call.queue_id]
        config = queue.config
        queue.size += 1
        call.joined, call.next_rule = step.ts if joined is None else joined, 0
        if config.max_length is not None and queue.size > config.max_length:
            self._exit(call, ExitReason.QUEUE_FULL, exit=config.on_full, step=step)
            return
        if call.not_before > step.ts:  # a callback to retry later: not yet offered
            step.actions.append(
                self._queued(call, self._position(queue, call), now=step.now)
            )
            self._arm(call, step.ts)
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
        # A desktop gone during the ring explains the silence: no blame.
        agent.reason = PAUSE_DISCONNECTED if agent.absent else PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, step=step, force=True)

    def _make_ready(self, agent: AgentRecord, step: Step) -> None:
        """The agent is free: pause if asked to, else take a call or wait ready."""
        agent.idle_since = step.ts
        if agent.away:
            agent.reason, agent.pending_pause = PAUSE_DISCONNECTED, None
            self._set_state(agent, AgentState.PAUSED, step=step, force=True)
            return
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

    def _disconnect(self, agent: AgentRecord, step: Step) -> None:
        """The agent's desktop stayed away past the grace period: an offer goes back
        to the head of its queue (no blame), a free agent pauses "disconnected", an
        agent on a call keeps it and pauses after wrap-up."""
        agent.away = True
        match agent.state:
            case AgentState.LOGGED_OUT | AgentState.PAUSED:
                pass
            case AgentState.ON_CALL | AgentState.WRAP_UP:
                agent.pending_pause = PAUSE_DISCONNECTED
            case AgentState.RESERVED if agent.consulted_for is not None:
                agent.pending_pause = PAUSE_DISCONNECTED  # talking on the phone
            case AgentState.RESERVED | AgentState.RINGING:
                self._withdraw_offer(agent, step)
                self._make_ready(agent, step)
            case AgentState.READY:
                self._leave_ready(agent)
                self._make_ready(agent, step)
        for entry in agent.preferred:
            call = self._calls.get(entry[3])
            if call is not None and call.held_for == agent.profile.agent_id:
                self._release_hold(call, step)
        agent.preferred.clear()

    def _release_consulted(self, call: CallRecord, step: Step) -> None:
        """The call's consultation ended without a hand-over: the agent reserved
        for it is free again (and may be offered a call at once)."""
        target_id, call.consulting = call.consulting, None
        if target_id is None:
            return
        target = self._agents[target_id]
        target.consulted_for = None
        target.token += 1
        self._make_ready(target, step)

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
        if call.not_before:
            if call.not_before > step.ts:
                self._arm(call, step.ts)
                return
            call.not_before = 0.0
            self._requeue(call, step)
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
                _, language, pbx_id = call.signature
                self._set_signature(call, signature_of(relaxed, language, pbx_id))
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
        call.returning = False  # a new arrival in the queue it moves to
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
