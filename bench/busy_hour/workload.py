"""The busy-hour workload: who calls which menu and presses what, how long they
wait and talk, and the agents' seats. Pure: the same seed gives the same callers
at every speed, so the runs of one bench differ only in how the service kept up."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from crm_core.customers.seed import demo_phone_numbers
from telephony.sim.model import AgentPhone, Caller

CALLS_PER_HOUR = 12_000
AGENTS = 400
CUSTOMERS = 2_000
"""Seeded customers (the demo's generator); known callers ring from their numbers."""
KNOWN_SHARE = 0.8
TALK_MEAN_S, TALK_SIGMA = 90.0, 0.6
PATIENCE_MEAN_S = 120.0
"""Mean patience on hold, exponential (time in the IVR comes on top: see `caller`)."""
RING_S = 2.0
KEY_DELAY_S = 1.0
QUEUES = ("billing", "support", "sales", "general")
"""The queues the shipped flows (ivr/flows/) hand calls to; wrap-up 10 s, ring
timeout 15 s and service level 20 s are the settings' defaults."""
SERVICE_LEVEL_S = 20.0
AGENT_PASSWORD = "busy-hour-agent"  # noqa: S105  # the bench's own throwaway users


@dataclass(frozen=True, slots=True)
class Menu:
    """One shipped flow: the number that reaches it, its language, the share of
    callers who ring it, and the keys that reach each queue there."""

    dnis: str
    language: str
    share: float
    keys: dict[str, str]


KEYS = {"billing": "11", "support": "2", "sales": "3", "general": "0"}
"""What a caller presses for each queue: billing is 1, then 1 for an agent after
the balance (the Korean menu has no second billing menu)."""
MENUS = (
    Menu("8800", "en", 0.55, KEYS),
    Menu("8801", "ru", 0.35, KEYS),
    Menu("8802", "ko", 0.10, {**KEYS, "billing": "1"}),
)
"""The Korean menu takes keys: no speech model is configured, as by default."""
TOPIC_SHARES = {"billing": 0.35, "support": 0.30, "sales": 0.20, "general": 0.15}
IVR_ALLOWANCE_S = {"billing": 10.0, "support": 4.0, "sales": 4.0, "general": 4.0}
"""How long a known caller's path takes from the call's start to the queue (the
medians at 1x: greeting, menu, key; billing also hears its balance and a second
menu; strangers take about a second). A caller's patience runs from the start of
the call, so it gets this on top of the patience on hold; a service slow in the
IVR eats into the rest."""


def caller(rng: random.Random, numbers: list[str]) -> Caller:
    """One caller drawn with `rng`: a known customer's number or a stranger's, a
    menu, a queue, a talk time (log-normal) and a patience (exponential)."""
    known = rng.random() < KNOWN_SHARE
    ani = rng.choice(numbers) if known else f"+7495{rng.randrange(10**7):07d}"
    menu = rng.choices(MENUS, weights=[m.share for m in MENUS])[0]
    topic = rng.choices(list(TOPIC_SHARES), weights=list(TOPIC_SHARES.values()))[0]
    mu = math.log(TALK_MEAN_S) - TALK_SIGMA**2 / 2
    return Caller(
        ani=ani,
        dnis=menu.dnis,
        digits=menu.keys[topic],
        digit_delay_s=KEY_DELAY_S,
        patience_s=IVR_ALLOWANCE_S[topic] + rng.expovariate(1 / PATIENCE_MEAN_S),
        talk_s=rng.lognormvariate(mu, TALK_SIGMA),
    )


def arrivals(seed: int, span_s: float) -> Iterator[tuple[float, Caller]]:
    """Poisson arrivals at `CALLS_PER_HOUR` for `span_s` simulated seconds: (due
    time in simulated seconds from the start, caller)."""
    rng = random.Random(seed)
    numbers = demo_phone_numbers(CUSTOMERS)
    due_s = rng.expovariate(CALLS_PER_HOUR / 3600)
    while due_s < span_s:
        yield due_s, caller(rng, numbers)
        due_s += rng.expovariate(CALLS_PER_HOUR / 3600)


def login(i: int) -> str:
    return f"agent{i:03d}"


def endpoint(i: int) -> str:
    return str(5000 + i)


def seat(i: int) -> dict[str, Any]:
    """Agent `i`'s seat (CC_ACD__SEATS): two queues of four, the skills those
    queues' calls ask for, and one or two languages (half English only, a quarter
    Russian only, an eighth both, an eighth Korean and English)."""
    first = (i // 8) % len(QUEUES)
    queues = [QUEUES[first], QUEUES[(first + 1) % len(QUEUES)]]
    languages = (["en"], ["en"], ["en"], ["en"], ["ru"], ["ru"], ["en", "ru"])
    spoken = [*languages, ["ko", "en"]][i % 8]
    skills = {q: 5 for q in queues if q != "general"}
    skills.update(dict.fromkeys(spoken, 5))
    return {
        "login": login(i),
        "endpoint": endpoint(i),
        "queues": queues,
        "skills": skills,
        "languages": spoken,
    }


def phones(agents: int) -> tuple[AgentPhone, ...]:
    """The agents' phones in the simulator: ring 2 s, answer, stay until the
    caller hangs up."""
    return tuple(
        AgentPhone(endpoint=endpoint(i), ring_s=RING_S, talk_s=36_000.0)
        for i in range(agents)
    )
