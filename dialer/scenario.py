"""A simulated campaign day's parameters and the random draws each call attempt uses.

Pure: no I/O. The draws are common random numbers: the k-th dial of every pacing
method meets the same number (answered or not, ring time, detection, talk time),
so methods compared in one run differ only by how they pace.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.abandonment import US_RULES, AbandonmentRules
from dialer.pacing import PredictiveSettings
from dialer.vicidial import AdaptSettings


class Answer(StrEnum):
    PERSON = "person"
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """The standard scenario by default: 50 agents, 8 hours; of the numbers dialled
    25% answer as a person, 15% as a machine, 10% are busy (known after 3 s), the
    rest ring out (given up after 25 s); answered calls ring 5-15 s; detection takes
    2.5 s and is 90% right; talk is log-normal, mean 120 s, sigma 0.6 of the log;
    wrap-up 10 s. An agent handed a machine hangs up after `machine_talk_s`.
    With `collapse_at_h` set, the person rate drops to `collapse_person_rate` then.
    """

    agents: int = 50
    hours: float = 8.0
    person_rate: float = 0.25
    machine_rate: float = 0.15
    busy_rate: float = 0.10
    busy_after_s: float = 3.0
    no_answer_after_s: float = 25.0
    ring_min_s: float = 5.0
    ring_max_s: float = 15.0
    amd_s: float = 2.5
    amd_accuracy: float = 0.9
    talk_mean_s: float = 120.0
    talk_sigma: float = 0.6
    wrap_up_s: float = 10.0
    machine_talk_s: float = 3.0
    collapse_at_h: float | None = None
    collapse_person_rate: float = 0.10
    day_start_hhmm: int = 900
    ratio: float = 1.5
    rules: AbandonmentRules = US_RULES
    predictive: PredictiveSettings = field(default_factory=PredictiveSettings)
    adapt: AdaptSettings = field(default_factory=AdaptSettings)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        found = []
        if self.agents < 1:
            found.append("agents must be at least 1")
        if self.hours <= 0:
            found.append("hours must be positive")
        rates = (self.person_rate, self.machine_rate, self.busy_rate)
        if min(rates) < 0 or sum(rates) > 1:
            found.append("person, machine and busy rates must be >= 0 and sum to <= 1")
        if self.collapse_at_h is not None and (
            self.collapse_at_h < 0
            or not 0 <= self.collapse_person_rate <= 1 - sum(rates[1:])
        ):
            found.append("the collapse needs an hour >= 0 and a rate that fits")
        if not 0 <= self.amd_accuracy <= 1:
            found.append("AMD accuracy must be between 0 and 1")
        if not 0 < self.ring_min_s <= self.ring_max_s:
            found.append("ring times must satisfy 0 < min <= max")
        if self.talk_mean_s <= 0 or self.talk_sigma < 0:
            found.append("talk mean must be positive and sigma >= 0")
        if self.rules.min_ring_s and self.no_answer_after_s < self.rules.min_ring_s:
            found.append(
                f"the rules require ringing at least {self.rules.min_ring_s:g} s"
            )
        return found

    @property
    def day_s(self) -> float:
        return self.hours * 3600

    def person_rate_at(self, at_s: float) -> float:
        if self.collapse_at_h is not None and at_s >= self.collapse_at_h * 3600:
            return self.collapse_person_rate
        return self.person_rate


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptDraw:
    """Uniforms and a standard normal, mapped to an outcome at the dial's time."""

    answer_u: float
    ring_u: float
    detection_u: float
    talk_z: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One dial's fate: `known_after_s` is when its outcome is known (detection done,
    busy tone, or given up); `to_agent` says it goes to an agent."""

    answer: Answer
    known_after_s: float
    to_agent: bool
    talk_s: float


class Draws:
    """The attempts' draws from one seed, made once and shared by every method."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
        self._drawn: list[AttemptDraw] = []

    def __getitem__(self, index: int) -> AttemptDraw:
        while len(self._drawn) <= index:
            rng = self._rng
            self._drawn.append(
                AttemptDraw(
                    answer_u=rng.random(),
                    ring_u=rng.random(),
                    detection_u=rng.random(),
                    talk_z=rng.gauss(0.0, 1.0),
                )
            )
        return self._drawn[index]


def attempt(scenario: Scenario, draw: AttemptDraw, *, dialled_at_s: float) -> Attempt:
    person = scenario.person_rate_at(dialled_at_s)
    u = draw.answer_u
    if u >= person + scenario.machine_rate:
        busy = u < person + scenario.machine_rate + scenario.busy_rate
        return Attempt(
            answer=Answer.BUSY if busy else Answer.NO_ANSWER,
            known_after_s=scenario.busy_after_s if busy else scenario.no_answer_after_s,
            to_agent=False,
            talk_s=0.0,
        )
    is_person = u < person
    ring = scenario.ring_min_s + draw.ring_u * (
        scenario.ring_max_s - scenario.ring_min_s
    )
    detected_right = draw.detection_u < scenario.amd_accuracy
    mu = math.log(scenario.talk_mean_s) - scenario.talk_sigma**2 / 2
    talk = math.exp(mu + scenario.talk_sigma * draw.talk_z)
    return Attempt(
        answer=Answer.PERSON if is_person else Answer.MACHINE,
        known_after_s=ring + scenario.amd_s,
        to_agent=is_person == detected_right,
        talk_s=talk if is_person else scenario.machine_talk_s,
    )
