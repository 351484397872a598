"""The engine's state and indexes: who waits where, in what order, and who may take it.

Waiting calls are kept sorted per queue and ready agents per queue and strategy, so a
routing decision looks only at candidates. No I/O; `acd.engine` drives the changes.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from acd.errors import (
    UnknownAgent,
    UnknownQueue,
)
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallHandled,
    CallLeftQueue,
    CallOffered,
    CallQueued,
)
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CallRequest,
    Command,
    ExitQueue,
    ExitReason,
    OfferCall,
    QueueConfig,
    QueueExit,
    QueueId,
)
from acd.strategies import ReadyAgents, skill_score
from telephony.model import CallId, PbxId

Action = Command | AcdEvent

Signature = tuple[tuple[tuple[str, int], ...], str | None, PbxId | None]
"""A call's requirements: sorted (skill, minimum level) pairs, the language and the
PBX its caller is on (None: any)."""
Entry = tuple[int, float, int, CallId, int]
"""A waiting call in order: (-priority, arrived, sequence, call id, signature id);
the sequence is unique, so the signature id never takes part in the order."""

NEVER = float("inf")
RING_TIMER, WRAP_UP_TIMER, REVIEW_TIMER, PRESENCE_TIMER = 0, 1, 2, 3
"""Timer kinds: an offer's ring timeout, a wrap-up's end, a waiting call's review,
an absent agent's grace period."""
_MATCH_CACHE = 4096
"""Requirement signatures an agent remembers matching, before the cache restarts."""


@dataclass(slots=True)
class Step:
    """One input's time and the actions it produces, handed down the internals."""

    now: datetime
    ts: float = field(init=False)
    """`now` in epoch seconds, the internal time scale."""
    actions: list[Action] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ts = self.now.timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    agent_id: AgentId
    state: AgentState
    reason: str
    call_id: CallId | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallView:
    call_id: CallId
    queue_id: QueueId
    phase: CallPhase
    priority: int
    skills: tuple[tuple[str, int], ...]
    """The minimum levels in force (after any relaxing)."""
    language: str | None
    agent_id: AgentId | None
    """The agent offered or connected to the call."""
    held_for: AgentId | None
    """The preferred agent the call is waiting for, while their time lasts."""
    callback: bool
    not_before: datetime | None = None
    """A callback to try again: not offered before then."""


@dataclass(slots=True, eq=False)
class AgentRecord:
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
    """Whether the agent meets a requirement signature, by signature id (cleared
    when their skills change)."""
    preferred: list[Entry] = field(default_factory=list)
    """Calls held for this agent as their preferred agent."""
    queue_ids: tuple[QueueId, ...] = ()
    absent: bool = False
    """The agent's desktop is gone (within the grace period or past it)."""
    away: bool = False
    """The agent's desktop has been gone past the grace period: no call is offered."""
    presence: int = 0
    """Bumped on every desktop connect and disconnect, so a stale grace does nothing."""
    consulted_for: CallId | None = None
    """The connected call whose agent is consulting this one (an attended
    transfer): reserved for it, offered nothing else."""
    since: float = 0.0
    """When the agent entered their state (epoch seconds)."""


@dataclass(slots=True, eq=False)
class CallRecord:
    request: CallRequest
    queue_id: QueueId
    priority: int
    arrived: float
    joined: float
    signature: Signature
    sig: int = -1
    """The signature's small-integer id (cheap to hash in the agents' caches)."""
    phase: CallPhase = CallPhase.WAITING
    agent_id: AgentId | None = None
    held_for: AgentId | None = None
    held_until: float = NEVER
    entry_seq: int = -1
    listed: bool = False
    """In one of its queue's `lines` (not held for an agent, not offered)."""
    generation: int = 0
    next_rule: int = 0
    moves: int = 0
    callback: bool = False
    """The caller hung up keeping their place; no maximum wait or offers apply."""
    not_before: float = 0.0
    """A callback to retry: not offered before this time (epoch seconds)."""
    consulting: AgentId | None = None
    """The agent the call's agent is consulting, reserved for a hand-over."""
    returning: bool = False
    """Queued here before (a callback tried again): its CallQueued is no arrival."""


@dataclass(slots=True, eq=False)
class QueueRecord:
    config: QueueConfig
    ready: ReadyAgents
    lines: dict[str | None, list[Entry]] = field(default_factory=dict)
    """Waiting calls in the order served, one sorted line per call's first required
    skill (None: no skill required), so an agent reads only the lines of skills they
    have. Held calls are not here."""
    members: dict[AgentId, int] = field(default_factory=dict)
    """Agent to ring position (the order they joined)."""
    size: int = 0
    """Calls in the queue not yet answered (waiting, held or offered)."""
    next_ring: int = 0


def signature_of(
    skills: Mapping[str, int], language: str | None, pbx_id: PbxId | None = None
) -> Signature:
    return (
        tuple(sorted((k, v) for k, v in skills.items() if v > 0)),
        language,
        pbx_id,
    )


def line_of(signature: Signature) -> str | None:
    """The waiting line a call with these requirements joins: its first skill."""
    skills = signature[0]
    return skills[0][0] if skills else None


def epoch_s(now: datetime) -> float:
    return now.timestamp()


class RoutingState:
    """The records and indexes, the routing look-ups and the read-only queries."""

    def __init__(self) -> None:
        self._queues: dict[QueueId, QueueRecord] = {}
        self._agents: dict[AgentId, AgentRecord] = {}
        self._calls: dict[CallId, CallRecord] = {}
        self._timers: list[tuple[float, int, int, int, str, int]] = []
        """(due, rank, sequence, kind, key, token); rank 0 (a grace period's end)
        goes before the other timers due by the same tick."""
        self._seq = itertools.count()
        self._signatures: dict[Signature, int] = {}
        self._signature_list: list[Signature] = []

    def next_deadline(self) -> datetime | None:
        """When the earliest pending timer falls due (call `tick` then)."""
        if not self._timers:
            return None
        return datetime.fromtimestamp(self._timers[0][0], tz=UTC)

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

    def call(self, call_id: CallId) -> CallView | None:
        """The call's state, or None once it has left (answered calls stay until
        they end)."""
        call = self._calls.get(call_id)
        if call is None:
            return None
        return CallView(
            call_id=call_id,
            queue_id=call.queue_id,
            phase=call.phase,
            priority=call.priority,
            skills=call.signature[0],
            language=call.signature[1],
            agent_id=call.agent_id,
            held_for=call.held_for,
            callback=call.callback,
            not_before=(
                datetime.fromtimestamp(call.not_before, tz=UTC)
                if call.not_before
                else None
            ),
        )

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

    def _agent(self, agent_id: AgentId) -> AgentRecord:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _queue(self, queue_id: QueueId) -> QueueRecord:
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
    def _accepts(agent: AgentRecord, signature: Signature) -> bool:
        if len(agent.matches) > _MATCH_CACHE:
            agent.matches.clear()
        skills, language, pbx_id = signature
        profile = agent.profile
        if language is not None and language not in profile.languages:
            return False
        if pbx_id is not None and profile.pbx_id not in (None, pbx_id):
            return False
        levels = agent.levels
        # A plain loop: all() over a generator costs twice as much on this hot path.
        for name, level in skills:  # noqa: SIM110
            if levels.get(name, 0) < level:
                return False
        return True

    def _set_signature(self, call: CallRecord, signature: Signature) -> None:
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

    def _head(self, heap: list[Entry]) -> Entry | None:
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
    def _entry(call: CallRecord) -> Entry:
        return (
            -call.priority,
            call.arrived,
            call.entry_seq,
            call.request.call_id,
            call.sig,
        )

    def _position(self, queue: QueueRecord, call: CallRecord) -> int:
        entry = self._entry(call)
        return sum(bisect_left(line, entry) for line in queue.lines.values()) + 1

    def _list(self, call: CallRecord) -> None:
        call.entry_seq = next(self._seq)
        call.listed = True
        lines = self._queues[call.queue_id].lines
        insort(lines.setdefault(line_of(call.signature), []), self._entry(call))

    def _unlist(self, call: CallRecord) -> None:
        if call.listed:
            lines = self._queues[call.queue_id].lines
            key = line_of(call.signature)
            line = lines[key]
            del line[bisect_left(line, self._entry(call))]
            if not line:
                del lines[key]
            call.listed = False

    def _hold(self, call: CallRecord, agent: AgentRecord) -> None:
        call.entry_seq = next(self._seq)
        heapq.heappush(agent.preferred, self._entry(call))

    def _find_call(self, agent: AgentRecord) -> CallRecord | None:
        """The best waiting call for a ready agent: a call held for them first,
        then across their queues, higher priority first, then longest waiting."""
        held = self._head(agent.preferred)
        if held is not None:
            return self._calls[held[3]]
        # The loops are inlined: this is the engine's hottest path.
        lines: list[list[Entry]] = []
        keys = (None, *agent.levels)
        for queue_id in agent.queue_ids:
            by_skill = self._queues[queue_id].lines
            if by_skill:
                for key in keys:
                    line = by_skill.get(key)
                    if line is not None:
                        lines.append(line)
        matches, signatures = agent.matches, self._signature_list
        best: Entry | None = None
        for line in lines:
            for entry in line:
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

    def _find_agent(self, call: CallRecord) -> AgentRecord | None:
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

    def _preferred(self, call: CallRecord, config: QueueConfig) -> AgentRecord | None:
        wanted = call.request.preferred_agent
        if wanted is None or call.moves or config.preferred_agent_s <= 0:
            return None
        agent = self._agents.get(wanted)
        if agent is None or agent.state is AgentState.LOGGED_OUT or agent.away:
            return None
        if not self._same_pbx(agent, call):
            return None
        return agent

    @staticmethod
    def _same_pbx(agent: AgentRecord, call: CallRecord) -> bool:
        """The agent's phone can be bridged to the call's caller."""
        pbx_id, agent_pbx = call.signature[2], agent.profile.pbx_id
        return pbx_id is None or agent_pbx is None or agent_pbx == pbx_id

    def _queued(self, call: CallRecord, position: int, *, now: datetime) -> CallQueued:
        return CallQueued(
            occurred_at=now,
            call_id=call.request.call_id,
            queue_id=call.queue_id,
            priority=call.priority,
            position=position,
            returning=call.returning,
        )

    def _offer(self, call: CallRecord, agent: AgentRecord, *, step: Step) -> None:
        """Reserve the agent for the call and ask for their phone to ring."""
        queue = self._queues[call.queue_id]
        agent_id, call_id = agent.profile.agent_id, call.request.call_id
        self._leave_ready(agent)
        self._unlist(call)
        call.phase, call.agent_id = CallPhase.OFFERED, agent_id
        call.held_for, call.held_until = None, NEVER
        agent.call_id = call_id
        agent.token += 1
        ring = queue.members.get(agent_id)
        if ring is not None:
            queue.ready.note_offered(ring)
        timeout_s = queue.config.ring_timeout_s
        self._timer(step.ts + timeout_s, RING_TIMER, key=agent_id, token=agent.token)
        step.actions += (
            OfferCall(
                call_id=call_id,
                agent_id=agent_id,
                queue_id=call.queue_id,
                ring_timeout_s=timeout_s,
                callback=call.callback,
            ),
            CallOffered(
                occurred_at=step.now,
                call_id=call_id,
                queue_id=call.queue_id,
                agent_id=agent_id,
            ),
        )
        self._set_state(agent, AgentState.RESERVED, step=step)

    def _set_state(
        self,
        agent: AgentRecord,
        state: AgentState,
        *,
        step: Step,
        force: bool = False,
    ) -> None:
        previous = agent.state
        if previous is state and not force:
            return
        agent.state = state
        if previous is not state:
            agent.since = step.ts
        if state is not AgentState.PAUSED:
            agent.reason = ""
        step.actions.append(
            AgentStateChanged(
                occurred_at=step.now,
                agent_id=agent.profile.agent_id,
                state=state,
                previous=previous,
                reason=agent.reason,
                queue_ids=agent.queue_ids,
            )
        )

    def _add_ready(self, queue: QueueRecord, agent: AgentRecord) -> None:
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

    def _leave_ready(self, agent: AgentRecord) -> None:
        agent_id = agent.profile.agent_id
        for queue_id in agent.queue_ids:
            ready = self._queues[queue_id].ready
            if agent_id in ready:
                ready.remove(agent_id)

    def _timer(self, due: float, kind: int, *, key: str, token: int) -> None:
        rank = 0 if kind == PRESENCE_TIMER else 1
        heapq.heappush(self._timers, (due, rank, next(self._seq), kind, key, token))

    def _arm(self, call: CallRecord, ts: float) -> None:
        """Schedule the call's next review: hold expiry, overflow rule or max wait."""
        config = self._queues[call.queue_id].config
        due = call.held_until if call.held_for is not None else NEVER
        if call.not_before > ts:
            due = min(due, call.not_before)
        if config.max_wait_s is not None and not call.callback:
            due = min(due, call.joined + config.max_wait_s)
        if call.next_rule < len(config.overflow):
            due = min(due, call.joined + config.overflow[call.next_rule].after_s)
        call.generation += 1
        if due != NEVER:
            self._timer(
                max(due, ts),
                REVIEW_TIMER,
                key=call.request.call_id,
                token=call.generation,
            )

    def _remove(
        self,
        call: CallRecord,
        reason: ExitReason,
        *,
        exit: QueueExit,
        step: Step,
    ) -> None:
        """The call leaves the ACD without an agent."""
        call_id = call.request.call_id
        self._unlist(call)
        del self._calls[call_id]
        self._queues[call.queue_id].size -= 1
        step.actions.append(
            ExitQueue(call_id=call_id, queue_id=call.queue_id, reason=reason, exit=exit)
        )
        step.actions.append(
            CallLeftQueue(
                occurred_at=step.now,
                call_id=call_id,
                queue_id=call.queue_id,
                reason=reason,
                exit=exit.kind,
                waited_s=step.ts - call.arrived,
            )
        )

    def _join_queues(self, agent: AgentRecord) -> None:
        for queue_id in agent.queue_ids:
            queue = self._queues[queue_id]
            queue.members[agent.profile.agent_id] = queue.next_ring
            queue.next_ring += 1

    def _close_wrap_up(self, agent: AgentRecord, step: Step) -> None:
        assert agent.wrap_call is not None
        call_id, queue_id = agent.wrap_call
        agent.wrap_call = None
        agent.token += 1
        step.actions.append(
            CallHandled(
                occurred_at=step.now,
                call_id=call_id,
                queue_id=queue_id,
                agent_id=agent.profile.agent_id,
                talk_s=agent.talk_s,
                wrap_up_s=step.ts - agent.wrap_started,
            )
        )
