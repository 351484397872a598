"""Per-queue order of ready agents: penalty tiers, each sorted for the queue's strategy.

Pure and synchronous; owned by the engine, which tells it who is ready.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Mapping

from acd.model import AgentId, Strategy

_Key = tuple[float, float, AgentId]
"""Sort key inside a tier; the agent id makes it unique."""

_AFTER = float("inf")


def skill_score(
    levels: Mapping[str, int], required: tuple[tuple[str, int], ...]
) -> int:
    """The sum of the agent's levels over the call's required skills."""
    return sum(levels.get(name, 0) for name, _ in required)


class ReadyAgents:
    """A queue's ready members, by penalty tier (lowest first), in strategy order.

    Longest idle: by the time the agent became ready. Fewest calls: by calls taken,
    then idle time. Round robin: by ring position, starting after the last agent
    offered a call. Best skill: every acceptable agent of the tier is scored.
    """

    __slots__ = ("_keys", "_last_ring", "_penalties", "_tiers", "strategy")

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self._tiers: dict[int, list[_Key]] = {}
        self._penalties: list[int] = []
        self._keys: dict[AgentId, tuple[int, _Key]] = {}
        self._last_ring = -1.0

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, agent_id: AgentId) -> bool:
        return agent_id in self._keys

    def add(
        self,
        agent_id: AgentId,
        *,
        penalty: int,
        idle_since: float,
        calls_taken: int,
        ring_index: int,
    ) -> None:
        key = self._key(
            agent_id, idle_since, calls_taken=calls_taken, ring_index=ring_index
        )
        tier = self._tiers.get(penalty)
        if tier is None:
            tier = self._tiers[penalty] = []
            insort(self._penalties, penalty)
        insort(tier, key)
        self._keys[agent_id] = (penalty, key)

    def remove(self, agent_id: AgentId) -> None:
        penalty, key = self._keys.pop(agent_id)
        tier = self._tiers[penalty]
        del tier[bisect_left(tier, key)]
        if not tier:
            del self._tiers[penalty]
            self._penalties.remove(penalty)

    def note_offered(self, ring_index: int) -> None:
        """Remember the round-robin position of the agent just offered a call."""
        self._last_ring = float(ring_index)

    def pick(
        self,
        accepts: Callable[[AgentId], bool],
        score: Callable[[AgentId], int],
    ) -> AgentId | None:
        """The first acceptable agent in the lowest tier that has one."""
        for penalty in self._penalties:
            tier = self._tiers[penalty]
            if self.strategy is Strategy.BEST_SKILL:
                found = _best_scored(tier, accepts, score=score)
            elif self.strategy is Strategy.ROUND_ROBIN:
                found = _first_after(tier, self._last_ring, accepts=accepts)
            else:
                found = _first(tier, accepts)
            if found is not None:
                return found
        return None

    def _key(
        self, agent_id: AgentId, idle_since: float, *, calls_taken: int, ring_index: int
    ) -> _Key:
        match self.strategy:
            case Strategy.LONGEST_IDLE | Strategy.BEST_SKILL:
                return (idle_since, 0.0, agent_id)
            case Strategy.FEWEST_CALLS:
                return (float(calls_taken), idle_since, agent_id)
            case Strategy.ROUND_ROBIN:
                return (float(ring_index), 0.0, agent_id)


def _first(tier: list[_Key], accepts: Callable[[AgentId], bool]) -> AgentId | None:
    for key in tier:
        if accepts(key[2]):
            return key[2]
    return None


def _first_after(
    tier: list[_Key], last: float, *, accepts: Callable[[AgentId], bool]
) -> AgentId | None:
    start = bisect_right(tier, (last, _AFTER, AgentId("")))
    size = len(tier)
    for i in range(size):
        agent_id = tier[(start + i) % size][2]
        if accepts(agent_id):
            return agent_id
    return None


def _best_scored(
    tier: list[_Key],
    accepts: Callable[[AgentId], bool],
    *,
    score: Callable[[AgentId], int],
) -> AgentId | None:
    best: AgentId | None = None
    best_score = -1
    for key in tier:
        agent_id = key[2]
        if accepts(agent_id):
            points = score(agent_id)
            if points > best_score:
                best, best_score = agent_id, points
    return best
