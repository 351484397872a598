"""Routing decision time of the ACD engine at 2,000 agents, 200 queues, 5,000 waiting
calls with mixed skills, against a naive scan over the same state.

Half of the queues are overloaded (all the waiting calls, their agents all busy) and
half quiet (their agents mostly ready), each with its own half of the agents. Two
decisions are timed: an agent of the busy half finishes wrap-up (which call?) and a
call arrives in any queue (which agent, or which place?).
Last line: `acd_route_p99_us=N ratio=R` (baseline p99 / ours).
Run: .venv/bin/python -m bench.acd_route [--runs 5] [--decisions 2000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from acd.engine import AcdEngine, Action
from acd.events import (
    AgentStateChanged,
    CallConnected,
    CallOffered,
    CallQueued,
    CallRequeued,
)
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    Membership,
    OfferCall,
    QueueConfig,
    QueueId,
    Strategy,
)
from telephony.model import CallId

AGENTS = 2_000
QUEUES = 200
WAITING = 5_000
SKILLS = tuple(f"skill{i}" for i in range(24))
LANGUAGES = ("en", "ru", "de")
STRATEGIES = tuple(Strategy)
BUSY = range(QUEUES // 2)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CPU_CLOCK = time.thread_time_ns
"""The default: the thread's CPU time, since the machine is shared and wall time
would mostly measure the neighbours' preemption (`--wall` for the wall clock)."""


@dataclass
class Mirror:
    """The state a naive router would scan, kept from the engine's events."""

    waiting: dict[CallId, tuple[CallRequest, float]] = field(default_factory=dict)
    ready: dict[AgentId, float] = field(default_factory=dict)
    requests: dict[CallId, CallRequest] = field(default_factory=dict)
    on_call: dict[AgentId, CallId] = field(default_factory=dict)

    def apply(self, actions: Sequence[Action], ts: float) -> None:
        for action in actions:
            if isinstance(action, CallQueued | CallRequeued):
                self.waiting[action.call_id] = (self.requests[action.call_id], ts)
            elif isinstance(action, CallOffered):
                self.waiting.pop(action.call_id, None)
            elif isinstance(action, CallConnected):
                self.on_call[action.agent_id] = action.call_id
            elif isinstance(action, AgentStateChanged):
                if action.state is not AgentState.ON_CALL:
                    self.on_call.pop(action.agent_id, None)
                if action.state is AgentState.READY:
                    self.ready[action.agent_id] = ts
                else:
                    self.ready.pop(action.agent_id, None)

    def forget(self, call_id: CallId) -> None:
        self.waiting.pop(call_id, None)


def accepts(profile: AgentProfile, request: CallRequest) -> bool:
    if request.language is not None and request.language not in profile.languages:
        return False
    return all(profile.skills.get(k, 0) >= v for k, v in request.skills.items())


def naive_call_for(
    profile: AgentProfile, mirror: Mirror, *, queues: frozenset[QueueId]
) -> CallId | None:
    """Scan every waiting call: the agent's queues, skills, then priority and age."""
    best: tuple[int, float] | None = None
    found: CallId | None = None
    for call_id, (request, arrived) in mirror.waiting.items():
        if request.queue_id in queues and accepts(profile, request):
            key = (-request.priority, arrived)
            if best is None or key < best:
                best, found = key, call_id
    return found


def naive_agent_for(
    request: CallRequest, mirror: Mirror, *, profiles: dict[AgentId, AgentProfile]
) -> AgentId | None:
    """Scan every agent: ready, member of the queue, skilled; lowest penalty, idlest."""
    best: tuple[int, float] | None = None
    found: AgentId | None = None
    for agent_id, profile in profiles.items():
        idle_since = mirror.ready.get(agent_id)
        if idle_since is None:
            continue
        for membership in profile.memberships:
            if membership.queue_id == request.queue_id and accepts(profile, request):
                key = (membership.penalty, idle_since)
                if best is None or key < best:
                    best, found = key, agent_id
    return found


def make_agent(rng: random.Random, i: int) -> AgentProfile:
    skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(3, 6))}
    pool = range(QUEUES // 2) if i % 2 else range(QUEUES // 2, QUEUES)
    queues = rng.sample(pool, rng.randint(3, 6))
    return AgentProfile(
        agent_id=AgentId(f"agent{i}"),
        skills=MappingProxyType(skills),
        languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
        memberships=tuple(
            Membership(queue_id=QueueId(f"q{q}"), penalty=rng.randint(0, 2))
            for q in queues
        ),
    )


def make_call(rng: random.Random, n: int, *, queues: range) -> CallRequest:
    wanted = rng.sample(SKILLS, rng.choice((0, 1, 1, 2)))
    return CallRequest(
        call_id=CallId(f"call{n}"),
        queue_id=QueueId(f"q{rng.choice(queues)}"),
        skills=MappingProxyType({s: rng.randint(1, 4) for s in wanted}),
        priority=rng.choice((0, 0, 0, 1, 2, 5)),
        language=rng.choice((None, None, None, "en", "ru", "de")),
    )


@dataclass
class World:
    engine: AcdEngine
    mirror: Mirror
    profiles: dict[AgentId, AgentProfile]
    rng: random.Random
    now: datetime
    clock: Callable[[], int]
    serial: int = 0

    def step(self) -> tuple[datetime, float]:
        self.now += timedelta(milliseconds=10)
        return self.now, self.now.timestamp()

    def enqueue(self) -> tuple[list[Action], CallRequest]:
        request = make_call(self.rng, self.serial, queues=BUSY)
        self.serial += 1
        self.mirror.requests[request.call_id] = request
        now, ts = self.step()
        actions = self.engine.enqueue(request, now)
        self.mirror.apply(actions, ts)
        self.answer_offers(actions)
        return actions, request

    def answer_offers(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, OfferCall):
                now, ts = self.step()
                self.mirror.apply(self.engine.answer(action.agent_id, now), ts)


def build(seed: int, *, clock: Callable[[], int]) -> World:
    rng = random.Random(seed)
    engine = AcdEngine()
    for q in range(QUEUES):
        strategy = STRATEGIES[q % len(STRATEGIES)]
        engine.configure_queue(
            QueueConfig(queue_id=QueueId(f"q{q}"), strategy=strategy)
        )
    world = World(engine, Mirror(), {}, rng, T0, clock)
    for i in range(AGENTS):
        profile = make_agent(rng, i)
        world.profiles[profile.agent_id] = profile
        now, ts = world.step()
        world.mirror.apply(engine.login(profile, now), ts)
    while len(world.mirror.waiting) < WAITING:
        world.enqueue()
    return world


def timed_ns(run: Callable[[], object], *, clock: Callable[[], int]) -> int:
    start = clock()
    run()
    return clock() - start


def agent_ready_decision(world: World, ours: list[int], *, naive: list[int]) -> None:
    """An agent on a call hangs up and ends wrap-up: which waiting call next?"""
    engine, mirror = world.engine, world.mirror
    agent_id = world.rng.choice(tuple(mirror.on_call))
    now, ts = world.step()
    mirror.apply(engine.hang_up(mirror.on_call[agent_id], now), ts)
    profile = world.profiles[agent_id]
    queues = frozenset(m.queue_id for m in profile.memberships)
    naive.append(
        timed_ns(
            lambda: naive_call_for(profile, mirror, queues=queues), clock=world.clock
        )
    )
    now, ts = world.step()
    start = world.clock()
    actions = engine.finish_wrap_up(agent_id, now)
    ours.append(world.clock() - start)
    mirror.apply(actions, ts)
    world.answer_offers(actions)
    while len(mirror.waiting) < WAITING:
        world.enqueue()


def call_arrives_decision(world: World, ours: list[int], *, naive: list[int]) -> None:
    """A new call arrives: which ready agent, if any?"""
    engine, mirror = world.engine, world.mirror
    request = make_call(world.rng, world.serial, queues=range(QUEUES))
    world.serial += 1
    mirror.requests[request.call_id] = request
    naive.append(
        timed_ns(
            lambda: naive_agent_for(request, mirror, profiles=world.profiles),
            clock=world.clock,
        )
    )
    now, ts = world.step()
    start = world.clock()
    actions = engine.enqueue(request, now)
    ours.append(world.clock() - start)
    mirror.apply(actions, ts)
    now, ts = world.step()
    mirror.apply(engine.hang_up(request.call_id, now), ts)
    mirror.forget(request.call_id)


def p99(samples: list[int]) -> float:
    return statistics.quantiles(samples, n=100)[98] / 1000


def one_run(seed: int, decisions: int, *, clock: Callable[[], int]) -> dict[str, float]:
    world = build(seed, clock=clock)
    # The set-up's objects live for the whole run: keep them out of the cyclic
    # collector's scans, as a long-running service's startup state would be.
    gc.collect()
    gc.freeze()
    ours: dict[str, list[int]] = {"ready": [], "arrival": []}
    naive: dict[str, list[int]] = {"ready": [], "arrival": []}
    for _ in range(decisions):
        agent_ready_decision(world, ours["ready"], naive=naive["ready"])
        call_arrives_decision(world, ours["arrival"], naive=naive["arrival"])
    every_ours = ours["ready"] + ours["arrival"]
    every_naive = naive["ready"] + naive["arrival"]
    return {
        "ready_p99_us": p99(ours["ready"]),
        "arrival_p99_us": p99(ours["arrival"]),
        "naive_ready_p99_us": p99(naive["ready"]),
        "naive_arrival_p99_us": p99(naive["arrival"]),
        "p99_us": p99(every_ours),
        "naive_p99_us": p99(every_naive),
        "median_us": statistics.median(every_ours) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--wall", action="store_true", help="time with the wall clock")
    args = parser.parse_args()
    clock = time.perf_counter_ns if args.wall else CPU_CLOCK
    results = [one_run(seed, args.decisions, clock=clock) for seed in range(args.runs)]
    figures = {k: statistics.median(r[k] for r in results) for k in results[0]}
    for name, value in figures.items():
        print(f"{name}={value:.1f}")
    ratio = figures["naive_p99_us"] / figures["p99_us"]
    print(f"acd_route_p99_us={figures['p99_us']:.0f} ratio={ratio:.1f}")


if __name__ == "__main__":
    main()
