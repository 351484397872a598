"""Invariants of the routing engine under random operation sequences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.engine import AcdEngine, Action, CallView
from acd.errors import AcdError
from acd.events import CallRequeued
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CallRequest,
    CancelOffer,
    ExitKind,
    ExitQueue,
    Membership,
    OfferCall,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueExit,
    QueueId,
    Strategy,
)
from telephony.model import CallId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GRACE_S = 10
"""Seconds an agent's desktop may be away before the agent counts as gone."""
QUEUES = (QueueId("a"), QueueId("b"), QueueId("c"))
SKILLS = ("billing", "russian")
CONFIGS = (
    QueueConfig(
        queue_id=QUEUES[0],
        strategy=Strategy.ROUND_ROBIN,
        overflow=(
            OverflowRule(
                after_s=30, kind=OverflowKind.TO_QUEUE, target_queue=QUEUES[1]
            ),
        ),
        max_length=4,
        on_full=QueueExit(kind=ExitKind.QUEUE, target_queue=QUEUES[2]),
    ),
    QueueConfig(
        queue_id=QUEUES[1],
        strategy=Strategy.FEWEST_CALLS,
        wrap_up_s=5,
        overflow=(
            OverflowRule(after_s=20, kind=OverflowKind.RELAX_SKILLS, relax_to=1),
        ),
    ),
    QueueConfig(
        queue_id=QUEUES[2],
        strategy=Strategy.BEST_SKILL,
        max_wait_s=100,
        ring_timeout_s=8,
    ),
)

levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2)
minimums = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 2), max_size=1)
profiles = st.builds(
    lambda skills, queues, penalty: (skills, queues, penalty),
    levels,
    st.sets(st.sampled_from(QUEUES), min_size=1),
    st.integers(0, 2),
)
enqueue = st.tuples(
    st.just("enqueue"),
    st.integers(0, 7),
    st.sampled_from((*QUEUES, QUEUES[0])),
    minimums,
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(0, 2)),
)
agent_ops = st.tuples(
    st.sampled_from(
        [
            *("login", "login", "logout", "pause", "resume", "update"),
            *("answer", "answer", "no_answer", "no_answer", "ringing", "finish"),
            *("gone", "back"),
        ]
    ),
    st.integers(0, 2),
)
ops = st.one_of(
    enqueue,
    enqueue,
    agent_ops,
    agent_ops,
    st.tuples(
        st.sampled_from(["hang_up", "hang_up", "leave", "callback"]), st.integers(0, 7)
    ),
    st.tuples(st.just("tick"), st.integers(1, 40)),
)


@dataclass
class Shadow:
    """What the action stream says each call and agent hold."""

    agents: list[AgentProfile]
    held_by: dict[CallId, AgentId] = field(default_factory=dict)
    calls: list[CallId] = field(default_factory=list)
    absent_from: dict[AgentId, datetime] = field(default_factory=dict)
    """Agents whose desktop went away, and when the grace ends."""
    away: set[AgentId] = field(default_factory=set)
    """Agents whose grace ended at a tick: they must never be offered a call."""

    def apply(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, OfferCall):
                assert action.agent_id not in self.away, "offered to an absent agent"
                assert action.call_id not in self.held_by, "call offered twice"
                assert action.agent_id not in self.held_by.values(), (
                    "agent given two calls"
                )
                self.held_by[action.call_id] = action.agent_id
            elif isinstance(action, CancelOffer | CallRequeued | ExitQueue):
                self.held_by.pop(action.call_id, None)

    def ended(self, call_id: CallId) -> None:
        self.held_by.pop(call_id, None)

    def presence(self, engine: AcdEngine, kind: object, agent: AgentId) -> None:
        if kind == "gone" and agent not in self.away:
            if engine.agent(agent).state is not AgentState.LOGGED_OUT:
                self.absent_from[agent] = self.now + timedelta(seconds=GRACE_S)
        elif kind in ("back", "login"):
            self.absent_from.pop(agent, None)
            self.away.discard(agent)

    def ticked(self, now: datetime) -> None:
        for agent, due in list(self.absent_from.items()):
            if due <= now:
                self.away.add(agent)
                del self.absent_from[agent]

    now: datetime = T0


AgentOp = Callable[[AcdEngine, AgentId, datetime], list[Action]]
AGENT_OPS: dict[str, AgentOp] = {
    "logout": AcdEngine.logout,
    "pause": lambda engine, agent, now: engine.pause(agent, now, reason="break"),
    "resume": AcdEngine.resume,
    "answer": AcdEngine.answer,
    "no_answer": AcdEngine.no_answer,
    "ringing": AcdEngine.ringing,
    "finish": AcdEngine.finish_wrap_up,
    "gone": lambda engine, agent, now: engine.agent_gone(agent, now, grace_s=GRACE_S),
    "back": AcdEngine.agent_back,
}


def request_of(op: tuple[object, ...]) -> CallRequest:
    _, number, queue, minimums, priority, preferred = op
    assert isinstance(queue, str)
    assert isinstance(minimums, dict)
    assert isinstance(priority, int)
    return CallRequest(
        call_id=CallId(f"call{number}"),
        queue_id=QueueId(queue),
        skills=MappingProxyType(minimums),
        priority=priority,
        preferred_agent=None if preferred is None else AgentId(f"ag{preferred}"),
    )


def run(
    engine: AcdEngine, shadow: Shadow, op: tuple[object, ...], *, now: datetime
) -> None:
    """Apply one random operation; requests the engine refuses change nothing."""
    kind, number = op[0], op[1]
    call_id = CallId(f"call{number}")
    try:
        if kind == "enqueue":
            actions = engine.enqueue(request_of(op), now)
            shadow.calls.append(call_id)
        elif kind == "login":
            actions = engine.login(shadow.agents[int(str(number))], now)
        elif kind == "hang_up":
            actions = engine.hang_up(call_id, now)
            shadow.ended(call_id)
        elif kind == "leave":
            actions = engine.leave(call_id, now, exit_kind=ExitKind.CALLBACK)
        elif kind == "update":
            index = int(str(number))
            other = shadow.agents[(index + 1) % len(shadow.agents)]
            profile = replace(other, agent_id=AgentId(f"ag{index}"))
            actions = engine.update_agent(profile, now)
            shadow.agents[index] = profile
        elif kind == "callback":
            actions = engine.request_callback(call_id, now)
        elif kind == "tick":
            actions = engine.tick(now)
            shadow.ticked(now)
        else:
            agent_id = AgentId(f"ag{number}")
            shadow.now = now
            shadow.presence(engine, kind, agent_id)
            actions = AGENT_OPS[str(kind)](engine, agent_id, now)
    except AcdError:
        return
    if kind == "login":
        shadow.presence(engine, kind, AgentId(f"ag{number}"))
    shadow.apply(actions)


def ready_match_exists(
    engine: AcdEngine, call: CallView, *, agents: list[AgentProfile]
) -> bool:
    for profile in agents:
        member = any(m.queue_id == call.queue_id for m in profile.memberships)
        skilled = all(profile.skills.get(k, 0) >= v for k, v in call.skills)
        ready = engine.agent(profile.agent_id).state is AgentState.READY
        if ready and member and skilled:
            return True
    return False


def check(engine: AcdEngine, shadow: Shadow) -> None:
    """No agent holds two calls; no call that may go to anyone waits beside a ready
    agent who could take it."""
    holders = [v.call_id for v in engine.agents() if v.call_id is not None]
    assert len(holders) == len(set(holders))
    for call_id in shadow.calls:
        call = engine.call(call_id)
        if call is not None and call.phase is CallPhase.WAITING:
            assert call.held_for is not None or not ready_match_exists(
                engine, call, agents=shadow.agents
            )


def drain(engine: AcdEngine, shadow: Shadow, *, now: datetime) -> datetime:
    """Free every agent repeatedly (answering offers at once, so no ring times
    out) until no waiting call can still be served."""

    def apply(actions: list[Action]) -> None:
        shadow.apply(actions)
        for action in actions:
            if isinstance(action, OfferCall):
                apply(engine.answer(action.agent_id, now))

    for profile in shadow.agents:
        shadow.presence(engine, "back", profile.agent_id)
        apply(engine.agent_back(profile.agent_id, now))
    for _ in range(40):
        now += timedelta(seconds=31)
        apply(engine.tick(now))
        for profile in shadow.agents:
            view = engine.agent(profile.agent_id)
            if view.state in (AgentState.RESERVED, AgentState.RINGING):
                apply(engine.answer(profile.agent_id, now))
            elif view.state is AgentState.ON_CALL and view.call_id is not None:
                apply(engine.hang_up(view.call_id, now))
                shadow.ended(view.call_id)
            elif view.state is AgentState.WRAP_UP:
                apply(engine.finish_wrap_up(profile.agent_id, now))
            elif view.state is AgentState.PAUSED:
                apply(engine.resume(profile.agent_id, now))
            elif view.state is AgentState.LOGGED_OUT:
                apply(engine.login(profile, now))
    return now


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(profiles, min_size=3, max_size=3), st.lists(ops, min_size=5, max_size=60)
)
def test_no_double_offer_and_every_call_served_when_operations_are_random(
    raw_agents: list[tuple[dict[str, int], set[QueueId], int]],
    operations: list[tuple[object, ...]],
) -> None:
    agents = [
        AgentProfile(
            agent_id=AgentId(f"ag{i}"),
            skills=MappingProxyType(skills),
            memberships=tuple(
                Membership(queue_id=q, penalty=penalty) for q in sorted(queues)
            ),
        )
        for i, (skills, queues, penalty) in enumerate(raw_agents)
    ]
    engine = AcdEngine()
    for config in CONFIGS:
        engine.configure_queue(config)
    shadow = Shadow(agents)
    now = T0
    for op in operations:
        if op[0] == "tick":
            now += timedelta(seconds=int(str(op[1])))
        run(engine, shadow, op, now=now)
        check(engine, shadow)
    now = drain(engine, shadow, now=now)
    check(engine, shadow)
    for call_id in shadow.calls:
        call = engine.call(call_id)
        if call is not None and call.phase is CallPhase.WAITING:
            assert call.held_for is None
            members = [
                a
                for a in agents
                if any(m.queue_id == call.queue_id for m in a.memberships)
            ]
            assert not any(
                all(a.skills.get(k, 0) >= v for k, v in call.skills) for a in members
            )
