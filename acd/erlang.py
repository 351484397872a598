"""Erlang C staffing: probability of waiting, service level, speed of answer, and the
agents needed for a target service level. Pure arithmetic (M/M/N, no abandonment).

Times are in seconds and rates per second; traffic is in erlangs (arrival rate x AHT).
"""

from __future__ import annotations

import math

MAX_AGENTS = 100_000


def traffic_erlangs(arrival_per_s: float, aht_s: float) -> float:
    """Offered load: calls arriving per second times the average handle time."""
    return arrival_per_s * aht_s


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of `agents` servers offered `traffic` erlangs (the
    stable recurrence B(n) = A*B(n-1) / (n + A*B(n-1)), no factorials)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits at all (1.0 at or over capacity)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(
    *, arrival_per_s: float, aht_s: float, agents: int, target_s: float
) -> float:
    """Share of calls answered within `target_s` seconds, 0..1."""
    traffic = traffic_erlangs(arrival_per_s, aht_s)
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(traffic, agents)
    return max(0.0, 1 - waits * math.exp(-(agents - traffic) * target_s / aht_s))


def average_speed_of_answer(
    *, arrival_per_s: float, aht_s: float, agents: int
) -> float:
    """Mean wait before answer in seconds (infinite at or over capacity)."""
    traffic = traffic_erlangs(arrival_per_s, aht_s)
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


def agents_needed(
    *,
    arrival_per_s: float,
    aht_s: float,
    target_s: float,
    target_level: float,
) -> int:
    """The fewest agents answering `target_level` (0..1) of calls within `target_s`."""
    if not 0 <= target_level < 1:
        raise ValueError(f"target_level must be in [0, 1): {target_level}")
    traffic = traffic_erlangs(arrival_per_s, aht_s)
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while agents < MAX_AGENTS:
        level = service_level(
            arrival_per_s=arrival_per_s, aht_s=aht_s, agents=agents, target_s=target_s
        )
        if level >= target_level:
            return agents
        agents += 1
    raise ValueError(f"more than {MAX_AGENTS} agents needed for {traffic:.1f} erlangs")
