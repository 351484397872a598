"""The ACD routing engine: queues, agents, waiting calls, strategies, overflow, exits.

Synchronous and free of I/O, logging and clocks: every input carries `now` and every
method returns the actions to carry out (commands and events), in order. It keeps
mutable indexes (priority heaps of waiting calls, sorted ready agents) so a routing
decision costs microseconds at thousands of agents and calls; one task owns it.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from acd.errors import (
    DuplicateCall,
    InvalidTransition,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
)
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallHandled,
    CallLeftQueue,
    CallOffered,
    CallOverflowed,
    CallQueued,
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
    Command,
    ExitKind,
    ExitQueue,
    ExitReason,
    OfferCall,
    OfferOptions,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueExit,
    QueueId,
)
from acd.strategies import ReadyAgents, skill_score
from telephony.model import CallId

Action = Command | AcdEvent

_Signature = tuple[tuple[tuple[str, int], ...], str | None]
"""A call's requirements: sorted (skill, minimum level) pairs and the language."""
_Entry = tuple[int, float, int, CallId, int]
"""A waiting call in order: (-priority, arrived, sequence, call id, signature id);
the sequence is unique, so the signature id never takes part in the order."""

_MAX_MOVES = 8
"""Overflow hops after which a call is hung up (guards against queue loops)."""
_NEVER = float("inf")
_MATCH_CACHE = 4096
"""Requirement signatures an agent remembers matching, before the cache restarts."""
_OFFER_OPTIONS = {
    OverflowKind.OFFER_VOICEMAIL: (ExitKind.VOICEMAIL,),
    OverflowKind.OFFER_CALLBACK: (ExitKind.CALLBACK,),
}
_HOLDS_CALL = (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    agent_id: AgentId
    state: AgentState
    reason: str
    call_id: CallId | None


@dataclass(slots=True, eq=False)
class _Agent:
    profile: AgentProfile
    state: AgentState = AgentState.LOGGED_OUT
    reason: str = ""
    idle_since: float = 0.0
    calls_taken: int = 0
    call_id: CallId | None = None
    token: int = 0
    """Bumped on every offer and wrap-up, so stale timers do nothing."""
    talk_started: float = 0.0
    talk_s: float = 0.0
    wrap_started: float = 0.0
    pending_pause: str | None = None
    wrap_call: tuple[CallId, QueueId] | None = None
    levels: dict[str, int] = field(default_factory=dict)
    matches: dict[int, bool] = field(default_factory=dict)
    """Whether the agent meets a requirement signature (skills change only at login)."""
    preferred: list[_Entry] = field(default_factory=list)
    """Calls held for this agent as their preferred agent."""
    queue_ids: tuple[QueueId, ...] = ()


@dataclass(slots=True, eq=False)
class _Call:
    request: CallRequest
    queue_id: QueueId
    priority: int
    arrived: float
    joined: float
    signature: _Signature
    sig: int = -1
    """The signature's small-integer id (cheap to hash in the agents' caches)."""
    phase: CallPhase = CallPhase.WAITING
    agent_id: AgentId | None = None
    held_for: AgentId | None = None
    held_until: float = _NEVER
    entry_seq: int = -1
    listed: bool = False
    """In its queue's `waiting` list (not held for an agent, not offered)."""
    generation: int = 0
    next_rule: int = 0
    moves: int = 0


@dataclass(slots=True, eq=False)
class _Queue:
    config: QueueConfig
    ready: ReadyAgents
    waiting: list[_Entry] = field(default_factory=list)
    """Waiting calls in the order served (kept sorted; held calls are not here)."""
    members: dict[AgentId, int] = field(default_factory=dict)
    """Agent to ring position (the order they joined)."""
    size: int = 0
    """Calls in the queue not yet answered (waiting, held or offered)."""
    next_ring: int = 0


def _signature(skills: Mapping[str, int], language: str | None) -> _Signature:
    return (tuple(sorted((k, v) for k, v in skills.items() if v > 0)), language)


def _ts(now: datetime) -> float:
    return now.timestamp()


class AcdEngine:
    """Routes waiting calls to agents. Not thread-safe: one task drives it."""

    def __init__(self) -> None:
        self._queues: dict[QueueId, _Queue] = {}
        self._agents: dict[AgentId, _Agent] = {}
        self._calls: dict[CallId, _Call] = {}
        self._timers: list[tuple[float, int, int, str, int]] = []
        self._seq = itertools.count()
        self._signatures: dict[_Signature, int] = {}
        self._signature_list: list[_Signature] = []

    # -- configuration and agents ---------------------------------------------

    def configure_queue(self, config: QueueConfig) -> None:
        """Add a queue, or change one (ready agents are re-sorted)."""
        queue = self._queues.get(config.queue_id)
        if queue is None:
            self._queues[config.queue_id] = _Queue(config, ReadyAgents(config.strategy))
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
        agent = _Agent(
            profile,
            queue_ids=tuple(m.queue_id for m in profile.memberships),
            levels=dict(profile.skills),
        )
        self._agents[profile.agent_id] = agent
        for membership in profile.memberships:
            queue = self._queues[membership.queue_id]
            queue.members[profile.agent_id] = queue.next_ring
            queue.next_ring += 1
        actions: list[Action] = []
        self._make_ready(agent, _ts(now), now, actions)
        return actions

    def logout(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """Log an agent out; an offered call goes back to the head of its queue."""
        agent = self._agent(agent_id)
        if agent.state is AgentState.ON_CALL:
            raise InvalidTransition(f"agent {agent_id} is on a call")
        actions: list[Action] = []
        if agent.state is AgentState.LOGGED_OUT:
            return actions
        ts = _ts(now)
        if agent.state is AgentState.WRAP_UP:
            self._close_wrap_up(agent, ts, now, actions)
        elif agent.state in (AgentState.RESERVED, AgentState.RINGING):
            self._withdraw_offer(agent, ts, now, actions)
        self._leave_ready(agent)
        self._set_state(agent, AgentState.LOGGED_OUT, now, actions)
        for membership in agent.profile.memberships:
            del self._queues[membership.queue_id].members[agent_id]
        for entry in agent.preferred:
            call = self._calls.get(entry[3])
            if call is not None and call.held_for == agent_id:
                self._release_hold(call, ts, now, actions)
        agent.preferred.clear()
        return actions

    def pause(self, agent_id: AgentId, reason: str, now: datetime) -> list[Action]:
        """Pause an agent; one holding or wrapping up a call pauses when done."""
        agent = self._agent(agent_id)
        actions: list[Action] = []
        match agent.state:
            case AgentState.LOGGED_OUT:
                raise InvalidTransition(f"agent {agent_id} is logged out")
            case AgentState.READY | AgentState.PAUSED:
                self._leave_ready(agent)
                agent.reason = reason
                self._set_state(agent, AgentState.PAUSED, now, actions, force=True)
            case (
                AgentState.RESERVED
                | AgentState.RINGING
                | AgentState.ON_CALL
                | AgentState.WRAP_UP
            ):
                agent.pending_pause = reason
        return actions

    def resume(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """A paused agent is ready again (and may be offered a call at once)."""
        agent = self._agent(agent_id)
        agent.pending_pause = None
        if agent.state is not AgentState.PAUSED:
            if agent.state is AgentState.LOGGED_OUT:
                raise InvalidTransition(f"agent {agent_id} is logged out")
            return []
        actions: list[Action] = []
        self._make_ready(agent, _ts(now), now, actions)
        return actions

    # -- calls ------------------------------------------------------------------

    def enqueue(self, request: CallRequest, now: datetime) -> list[Action]:
        """A call starts waiting in `request.queue_id` (offered at once if it can)."""
        if request.call_id in self._calls:
            raise DuplicateCall(request.call_id)
        queue = self._queues.get(request.queue_id)
        if queue is None:
            raise UnknownQueue(request.queue_id)
        ts = _ts(now)
        arrived = _ts(request.arrived_at) if request.arrived_at is not None else ts
        call = _Call(
            request=request,
            queue_id=request.queue_id,
            priority=self._priority(request, queue.config),
            arrived=arrived,
            joined=ts,
            signature=_signature(request.skills, request.language),
        )
        self._set_signature(call, call.signature)
        self._calls[request.call_id] = call
        actions: list[Action] = []
        self._join(call, ts, now, actions)
        return actions

    def ringing(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The reserved agent's phone is ringing."""
        agent = self._agent(agent_id)
        if agent.state is not AgentState.RESERVED:
            raise InvalidTransition(f"agent {agent_id} is {agent.state}, not reserved")
        actions: list[Action] = []
        self._set_state(agent, AgentState.RINGING, now, actions)
        return actions

    def answer(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The offered agent answered: the caller is connected to them."""
        agent = self._agent(agent_id)
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            raise InvalidTransition(f"agent {agent_id} has no offered call")
        assert agent.call_id is not None
        call = self._calls[agent.call_id]
        ts = _ts(now)
        call.phase = CallPhase.CONNECTED
        self._queues[call.queue_id].size -= 1
        agent.calls_taken += 1
        agent.talk_started = ts
        agent.token += 1
        actions: list[Action] = [
            CallConnected(
                occurred_at=now,
                call_id=call.request.call_id,
                queue_id=call.queue_id,
                agent_id=agent_id,
                waited_s=ts - call.arrived,
            )
        ]
        self._set_state(agent, AgentState.ON_CALL, now, actions)
        return actions

    def no_answer(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The offer failed (no answer, busy, unreachable): the call goes back to
        the head of its queue and the agent is paused "no_answer"."""
        agent = self._agent(agent_id)
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            raise InvalidTransition(f"agent {agent_id} has no offered call")
        actions: list[Action] = []
        self._withdraw_offer(agent, _ts(now), now, actions, cancel=False)
        agent.reason = PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, now, actions, force=True)
        return actions

    def hang_up(self, call_id: CallId, now: datetime) -> list[Action]:
        """The call ended: abandoned if no agent had answered, else the agent's
        wrap-up starts. Unknown calls are ignored (they already left)."""
        call = self._calls.get(call_id)
        if call is None:
            return []
        ts = _ts(now)
        actions: list[Action] = []
        if call.phase is CallPhase.CONNECTED:
            assert call.agent_id is not None
            del self._calls[call_id]
            self._start_wrap_up(self._agents[call.agent_id], call, ts, now, actions)
            return actions
        del self._calls[call_id]
        self._unlist(call)
        self._queues[call.queue_id].size -= 1
        actions.append(
            CallAbandoned(
                occurred_at=now,
                call_id=call_id,
                queue_id=call.queue_id,
                waited_s=ts - call.arrived,
            )
        )
        if call.phase is CallPhase.OFFERED:
            assert call.agent_id is not None
            agent = self._agents[call.agent_id]
            agent.call_id = None
            actions.append(
                CancelOffer(call_id=call_id, agent_id=agent.profile.agent_id)
            )
            self._after_call(agent, ts, now, actions)
        return actions

    def leave(
        self, call_id: CallId, exit_kind: ExitKind, now: datetime
    ) -> list[Action]:
        """The waiting caller took an offered option (voicemail, callback)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is CallPhase.CONNECTED:
            raise UnknownCall(call_id)
        actions: list[Action] = []
        ts = _ts(now)
        exit = QueueExit(kind=exit_kind)
        self._remove(call, ExitReason.CALLER_CHOICE, exit, ts, now, actions)
        if call.phase is CallPhase.OFFERED:
            assert call.agent_id is not None
            agent = self._agents[call.agent_id]
            agent.call_id = None
            actions.append(CancelOffer(call_id=call_id, agent_id=call.agent_id))
            self._after_call(agent, ts, now, actions)
        return actions

    def finish_wrap_up(self, agent_id: AgentId, now: datetime) -> list[Action]:
        """The agent ended wrap-up before its time ran out."""
        agent = self._agent(agent_id)
        if agent.state is not AgentState.WRAP_UP:
            return []
        actions: list[Action] = []
        self._end_wrap_up(agent, _ts(now), now, actions)
        return actions

    def tick(self, now: datetime) -> list[Action]:
        """Apply every timer due by `now`: ring timeouts, wrap-up ends, overflow
        rules, preferred-agent expiry and maximum waits."""
        ts = _ts(now)
        actions: list[Action] = []
        timers = self._timers
        while timers and timers[0][0] <= ts:
            _, _, kind, key, token = heapq.heappop(timers)
            if kind == 0:
                self._ring_timeout(AgentId(key), token, ts, now, actions)
            elif kind == 1:
                agent = self._agents.get(AgentId(key))
                if agent and agent.token == token and agent.state is AgentState.WRAP_UP:
                    self._end_wrap_up(agent, ts, now, actions)
            else:
                call = self._calls.get(CallId(key))
                if call is not None and call.generation == token:
                    self._review(call, ts, now, actions)
        return actions

    # -- queries ----------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The epoch second of the earliest pending timer (call `tick` then)."""
        return self._timers[0][0] if self._timers else None

    def agent(self, agent_id: AgentId) -> AgentView:
        """The agent's state (an agent never seen is logged out)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return AgentView(
                agent_id=agent_id, state=AgentState.LOGGED_OUT, reason="", call_id=None
            )
        return AgentView(
            agent_id=agent_id,
            state=agent.state,
            reason=agent.reason,
            call_id=agent.call_id,
        )

    def agents(self) -> Iterator[AgentView]:
        for agent_id in self._agents:
            yield self.agent(agent_id)

    def call_phase(self, call_id: CallId) -> CallPhase | None:
        call = self._calls.get(call_id)
        return None if call is None else call.phase

    def call_queue(self, call_id: CallId) -> QueueId | None:
        call = self._calls.get(call_id)
        return None if call is None else call.queue_id

    def size(self, queue_id: QueueId) -> int:
        """Calls in the queue not yet answered (waiting, held for an agent, offered)."""
        return self._queue(queue_id).size

    def waiting(self, queue_id: QueueId) -> list[CallId]:
        """The queue's waiting calls (held ones included), in the order served."""
        found = [
            (-c.priority, c.arrived, c.entry_seq, c.request.call_id)
            for c in self._calls.values()
            if c.queue_id == queue_id and c.phase is CallPhase.WAITING
        ]
        return [entry[3] for entry in sorted(found)]

    def position(self, call_id: CallId) -> int | None:
        """1-based place of a waiting call in its queue (for announcements)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is not CallPhase.WAITING:
            return None
        return self._position(self._queues[call.queue_id], call)

    # -- internals: lookups -----------------------------------------------------

    def _agent(self, agent_id: AgentId) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _queue(self, queue_id: QueueId) -> _Queue:
        queue = self._queues.get(queue_id)
        if queue is None:
            raise UnknownQueue(queue_id)
        return queue

    @staticmethod
    def _priority(request: CallRequest, config: QueueConfig) -> int:
        if request.category is None:
            return request.priority
        return request.priority + config.category_boost.get(request.category, 0)

    @staticmethod
    def _accepts(agent: _Agent, signature: _Signature) -> bool:
        if len(agent.matches) > _MATCH_CACHE:
            agent.matches.clear()
        skills, language = signature
        if language is not None and language not in agent.profile.languages:
            return False
        levels = agent.levels
        return all(levels.get(name, 0) >= level for name, level in skills)

    def _set_signature(self, call: _Call, signature: _Signature) -> None:
        """Give the call its requirements (re-listed: its entry carries them)."""
        listed = call.listed
        self._unlist(call)
        call.signature = signature
        sig = self._signatures.get(signature)
        if sig is None:
            sig = self._signatures[signature] = len(self._signature_list)
            self._signature_list.append(signature)
        call.sig = sig
        if listed:
            self._list(call)

    def _head(self, heap: list[_Entry]) -> _Entry | None:
        """The first live entry of an agent's held calls (stale ones are dropped)."""
        calls = self._calls
        while heap:
            entry = heap[0]
            call = calls.get(entry[3])
            if (
                call is not None
                and call.entry_seq == entry[2]
                and call.held_for is not None
                and call.phase is CallPhase.WAITING
            ):
                return entry
            heapq.heappop(heap)
        return None

    @staticmethod
    def _entry(call: _Call) -> _Entry:
        return (
            -call.priority,
            call.arrived,
            call.entry_seq,
            call.request.call_id,
            call.sig,
        )

    def _position(self, queue: _Queue, call: _Call) -> int:
        return bisect_left(queue.waiting, self._entry(call)) + 1

    def _list(self, call: _Call) -> None:
        call.entry_seq = next(self._seq)
        call.listed = True
        insort(self._queues[call.queue_id].waiting, self._entry(call))

    def _unlist(self, call: _Call) -> None:
        if call.listed:
            waiting = self._queues[call.queue_id].waiting
            del waiting[bisect_left(waiting, self._entry(call))]
            call.listed = False

    def _hold(self, call: _Call, agent: _Agent) -> None:
        call.entry_seq = next(self._seq)
        heapq.heappush(agent.preferred, self._entry(call))

    # -- internals: routing -----------------------------------------------------

    def _find_call(self, agent: _Agent) -> _Call | None:
        """The best waiting call for a ready agent: a call held for them first,
        then across their queues, higher priority first, then longest waiting."""
        held = self._head(agent.preferred)
        if held is not None:
            return self._calls[held[3]]
        # Queues in the order of their heads, so a found call ends the other scans
        # early; the loop is inlined because it is the engine's hottest path.
        lines = sorted(
            waiting
            for waiting in (self._queues[q].waiting for q in agent.queue_ids)
            if waiting
        )
        matches, signatures = agent.matches, self._signature_list
        best: _Entry | None = None
        for waiting in lines:
            for entry in waiting:
                if best is not None and entry >= best:
                    break
                known = matches.get(entry[4])
                if known is None:
                    known = self._accepts(agent, signatures[entry[4]])
                    matches[entry[4]] = known
                if known:
                    best = entry
                    break
        return None if best is None else self._calls[best[3]]

    def _find_agent(self, call: _Call) -> _Agent | None:
        """The ready member the queue's strategy picks for the call, if any."""
        queue = self._queues[call.queue_id]
        if not len(queue.ready):
            return None
        agents, sig, signature = self._agents, call.sig, call.signature
        check = self._accepts

        def accepts(agent_id: AgentId) -> bool:
            agent = agents[agent_id]
            known = agent.matches.get(sig)
            if known is None:
                known = agent.matches[sig] = check(agent, signature)
            return known

        def score(agent_id: AgentId) -> int:
            return skill_score(agents[agent_id].levels, call.signature[0])

        found = queue.ready.pick(accepts, score)
        return None if found is None else agents[found]

    def _preferred(self, call: _Call, config: QueueConfig) -> _Agent | None:
        wanted = call.request.preferred_agent
        if wanted is None or call.moves or config.preferred_agent_s <= 0:
            return None
        agent = self._agents.get(wanted)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return None
        return agent

    def _join(
        self, call: _Call, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """Put the call in its queue (or out by the queue's full exit) and route it."""
        queue = self._queues[call.queue_id]
        config = queue.config
        queue.size += 1
        call.joined, call.next_rule = ts, 0
        if config.max_length is not None and queue.size > config.max_length:
            self._exit(call, ExitReason.QUEUE_FULL, config.on_full, ts, now, actions)
            return
        preferred = self._preferred(call, config)
        if preferred is not None and preferred.state is not AgentState.READY:
            call.held_for, call.held_until = (
                preferred.profile.agent_id,
                ts + (config.preferred_agent_s),
            )
            self._hold(call, preferred)
        else:
            agent = preferred or self._find_agent(call)
            if agent is not None:
                actions.append(self._queued(call, 1, now))
                self._offer(call, agent, ts, now, actions)
                return
            self._list(call)
        actions.append(self._queued(call, self._position(queue, call), now))
        self._arm(call, ts)

    def _queued(self, call: _Call, position: int, now: datetime) -> CallQueued:
        return CallQueued(
            occurred_at=now,
            call_id=call.request.call_id,
            queue_id=call.queue_id,
            priority=call.priority,
            position=position,
        )

    def _requeue(
        self, call: _Call, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """Route a call that is waiting again; apply rules that fell due meanwhile."""
        call.phase, call.agent_id = CallPhase.WAITING, None
        if call.held_for is None:
            self._list(call)
            agent = self._find_agent(call)
            if agent is not None:
                self._offer(call, agent, ts, now, actions)
                return
        self._review(call, ts, now, actions)

    def _release_hold(
        self, call: _Call, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """The preferred agent's time is up (or they left): any agent may take it."""
        call.held_for, call.held_until = None, _NEVER
        self._requeue(call, ts, now, actions)

    def _offer(
        self,
        call: _Call,
        agent: _Agent,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        queue = self._queues[call.queue_id]
        agent_id = agent.profile.agent_id
        self._leave_ready(agent)
        self._unlist(call)
        call.phase, call.agent_id, call.held_for = CallPhase.OFFERED, agent_id, None
        agent.call_id = call.request.call_id
        agent.token += 1
        ring = queue.members.get(agent_id)
        if ring is not None:
            queue.ready.note_offered(ring)
        self._timer(ts + queue.config.ring_timeout_s, 0, agent_id, agent.token)
        actions.append(
            OfferCall(
                call_id=call.request.call_id,
                agent_id=agent_id,
                queue_id=call.queue_id,
                ring_timeout_s=queue.config.ring_timeout_s,
            )
        )
        actions.append(
            CallOffered(
                occurred_at=now,
                call_id=call.request.call_id,
                queue_id=call.queue_id,
                agent_id=agent_id,
            )
        )
        self._set_state(agent, AgentState.RESERVED, now, actions)

    def _withdraw_offer(
        self,
        agent: _Agent,
        ts: float,
        now: datetime,
        actions: list[Action],
        *,
        cancel: bool = True,
    ) -> None:
        """Take an offered call back from the agent and put it at the head again."""
        assert agent.call_id is not None
        call = self._calls[agent.call_id]
        agent.call_id, agent.pending_pause = None, None
        agent.token += 1
        if cancel:
            actions.append(
                CancelOffer(
                    call_id=call.request.call_id, agent_id=agent.profile.agent_id
                )
            )
        actions.append(
            CallRequeued(
                occurred_at=now,
                call_id=call.request.call_id,
                queue_id=call.queue_id,
                agent_id=agent.profile.agent_id,
            )
        )
        self._requeue(call, ts, now, actions)

    def _ring_timeout(
        self,
        agent_id: AgentId,
        token: int,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.token != token:
            return
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            return
        self._withdraw_offer(agent, ts, now, actions)
        agent.reason = PAUSE_NO_ANSWER
        self._set_state(agent, AgentState.PAUSED, now, actions, force=True)

    # -- internals: agent states ------------------------------------------------

    def _set_state(
        self,
        agent: _Agent,
        state: AgentState,
        now: datetime,
        actions: list[Action],
        *,
        force: bool = False,
    ) -> None:
        previous = agent.state
        if previous is state and not force:
            return
        agent.state = state
        if state is not AgentState.PAUSED:
            agent.reason = ""
        actions.append(
            AgentStateChanged(
                occurred_at=now,
                agent_id=agent.profile.agent_id,
                state=state,
                previous=previous,
                reason=agent.reason,
                queue_ids=agent.queue_ids,
            )
        )

    def _make_ready(
        self, agent: _Agent, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """The agent is free: pause if asked to, else take a call or wait ready."""
        agent.idle_since = ts
        if agent.pending_pause is not None:
            agent.reason, agent.pending_pause = agent.pending_pause, None
            self._set_state(agent, AgentState.PAUSED, now, actions, force=True)
            return
        call = self._find_call(agent)
        if call is not None:
            self._offer(call, agent, ts, now, actions)
            return
        self._set_state(agent, AgentState.READY, now, actions)
        for queue_id in agent.queue_ids:
            self._add_ready(self._queues[queue_id], agent)

    def _add_ready(self, queue: _Queue, agent: _Agent) -> None:
        agent_id = agent.profile.agent_id
        queue.ready.add(
            agent_id,
            penalty=next(
                m.penalty
                for m in agent.profile.memberships
                if m.queue_id == queue.config.queue_id
            ),
            idle_since=agent.idle_since,
            calls_taken=agent.calls_taken,
            ring_index=queue.members[agent_id],
        )

    def _leave_ready(self, agent: _Agent) -> None:
        agent_id = agent.profile.agent_id
        for queue_id in agent.queue_ids:
            ready = self._queues[queue_id].ready
            if agent_id in ready:
                ready.remove(agent_id)

    def _after_call(
        self, agent: _Agent, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """The caller left during the offer: the agent is free again at once."""
        agent.token += 1
        self._make_ready(agent, ts, now, actions)

    def _start_wrap_up(
        self,
        agent: _Agent,
        call: _Call,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        agent.talk_s = ts - agent.talk_started
        agent.wrap_started = ts
        agent.call_id = None
        agent.wrap_call = (call.request.call_id, call.queue_id)
        agent.token += 1
        wrap_up_s = self._queues[call.queue_id].config.wrap_up_s
        if wrap_up_s <= 0:
            self._end_wrap_up(agent, ts, now, actions)
            return
        self._set_state(agent, AgentState.WRAP_UP, now, actions)
        self._timer(ts + wrap_up_s, 1, agent.profile.agent_id, agent.token)

    def _close_wrap_up(
        self, agent: _Agent, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        assert agent.wrap_call is not None
        call_id, queue_id = agent.wrap_call
        agent.wrap_call = None
        agent.token += 1
        actions.append(
            CallHandled(
                occurred_at=now,
                call_id=call_id,
                queue_id=queue_id,
                agent_id=agent.profile.agent_id,
                talk_s=agent.talk_s,
                wrap_up_s=ts - agent.wrap_started,
            )
        )

    def _end_wrap_up(
        self, agent: _Agent, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        self._close_wrap_up(agent, ts, now, actions)
        self._make_ready(agent, ts, now, actions)

    # -- internals: timers, overflow and exits ----------------------------------

    def _timer(self, due: float, kind: int, key: str, token: int) -> None:
        heapq.heappush(self._timers, (due, next(self._seq), kind, key, token))

    def _arm(self, call: _Call, ts: float) -> None:
        """Schedule the call's next review: hold expiry, overflow rule or max wait."""
        config = self._queues[call.queue_id].config
        due = call.held_until
        if config.max_wait_s is not None:
            due = min(due, call.joined + config.max_wait_s)
        if call.next_rule < len(config.overflow):
            due = min(due, call.joined + config.overflow[call.next_rule].after_s)
        call.generation += 1
        if due != _NEVER:
            self._timer(max(due, ts), 2, call.request.call_id, call.generation)

    def _review(
        self, call: _Call, ts: float, now: datetime, actions: list[Action]
    ) -> None:
        """Apply what fell due for a waiting call, then schedule the next review."""
        if call.phase is not CallPhase.WAITING:
            return
        if call.held_for is not None and ts >= call.held_until:
            self._release_hold(call, ts, now, actions)
            return
        config = self._queues[call.queue_id].config
        waited = ts - call.joined
        if config.max_wait_s is not None and waited >= config.max_wait_s:
            self._exit(call, ExitReason.MAX_WAIT, config.on_max_wait, ts, now, actions)
            return
        rules = config.overflow
        while call.next_rule < len(rules) and rules[call.next_rule].after_s <= waited:
            rule = rules[call.next_rule]
            call.next_rule += 1
            if not self._apply_rule(call, rule, ts, now, actions):
                return
        self._arm(call, ts)

    def _apply_rule(
        self,
        call: _Call,
        rule: OverflowRule,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> bool:
        """Apply one overflow rule; False when the call left or was offered."""
        match rule.kind:
            case OverflowKind.TO_QUEUE:
                self._move(
                    call, rule.target_queue, ExitReason.OVERFLOW, ts, now, actions
                )
                return False
            case OverflowKind.RELAX_SKILLS:
                relaxed = {
                    n: min(level, rule.relax_to) for n, level in call.signature[0]
                }
                self._set_signature(call, _signature(relaxed, call.signature[1]))
                if call.held_for is not None:
                    return True
                agent = self._find_agent(call)
                if agent is None:
                    return True
                self._offer(call, agent, ts, now, actions)
                return False
            case OverflowKind.OFFER_VOICEMAIL | OverflowKind.OFFER_CALLBACK:
                actions.append(
                    OfferOptions(
                        call_id=call.request.call_id,
                        queue_id=call.queue_id,
                        options=_OFFER_OPTIONS[rule.kind],
                    )
                )
                return True

    def _move(
        self,
        call: _Call,
        target: QueueId | None,
        reason: ExitReason,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        queue = self._queues.get(target) if target is not None else None
        if queue is None or target == call.queue_id or call.moves >= _MAX_MOVES:
            why = ExitReason.NO_QUEUE if queue is None else reason
            self._remove(call, why, QueueExit(kind=ExitKind.HANGUP), ts, now, actions)
            return
        assert target is not None
        self._unlist(call)
        self._queues[call.queue_id].size -= 1
        actions.append(
            CallOverflowed(
                occurred_at=now,
                call_id=call.request.call_id,
                from_queue_id=call.queue_id,
                to_queue_id=target,
                reason=reason,
            )
        )
        call.moves += 1
        call.held_for, call.held_until, call.entry_seq = None, _NEVER, -1
        call.queue_id = target
        call.priority = self._priority(call.request, queue.config)
        self._join(call, ts, now, actions)

    def _exit(
        self,
        call: _Call,
        reason: ExitReason,
        exit: QueueExit,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        if exit.kind is ExitKind.QUEUE:
            self._move(call, exit.target_queue, reason, ts, now, actions)
        else:
            self._remove(call, reason, exit, ts, now, actions)

    def _remove(
        self,
        call: _Call,
        reason: ExitReason,
        exit: QueueExit,
        ts: float,
        now: datetime,
        actions: list[Action],
    ) -> None:
        """The call leaves the ACD without an agent."""
        call_id = call.request.call_id
        self._unlist(call)
        del self._calls[call_id]
        self._queues[call.queue_id].size -= 1
        actions.append(
            ExitQueue(call_id=call_id, queue_id=call.queue_id, reason=reason, exit=exit)
        )
        actions.append(
            CallLeftQueue(
                occurred_at=now,
                call_id=call_id,
                queue_id=call.queue_id,
                reason=reason,
                exit=exit.kind,
                waited_s=ts - call.arrived,
            )
        )
