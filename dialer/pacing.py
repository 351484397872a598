"""How many numbers to dial now: preview, progressive, fixed-ratio, predictive pacing.

Pure: the caller passes the floor as it is now and the live estimates; nothing here
keeps a clock, draws a random number or does I/O. The runner and the simulator both
call these functions, so what the simulator measures is what production does.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, replace
from enum import StrEnum

from dialer.abandonment import WindowTally


class PacingMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class AgentState(StrEnum):
    READY = "ready"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    """One logged-in agent; `since_s` is when the current talk or wrap-up began."""

    state: AgentState
    since_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Floor:
    """The campaign now: its agents and its calls not yet with an agent.

    `dialling_since_s`: when each dial whose outcome is not known yet was placed
    (ringing, or answered and still being classified). `waiting`: persons answered
    and classified, waiting (at most the rules' 2 s) for an agent.
    """

    now_s: float
    agents: tuple[AgentView, ...]
    dialling_since_s: tuple[float, ...] = ()
    waiting: int = 0

    def count(self, state: AgentState) -> int:
        return sum(1 for agent in self.agents if agent.state is state)

    @property
    def staffed(self) -> int:
        """Agents logged in and not paused."""
        return len(self.agents) - self.count(AgentState.PAUSED)


def preview_dials(floor: Floor, *, agents_asking: int) -> int:
    """Preview: each dial is an agent's own, after reading the card."""
    return max(0, min(agents_asking, _unreserved_ready(floor)))


def progressive_dials(floor: Floor) -> int:
    """One call per free agent: every call in progress already has its agent."""
    return max(0, _unreserved_ready(floor))


def _unreserved_ready(floor: Floor) -> int:
    return floor.count(AgentState.READY) - len(floor.dialling_since_s) - floor.waiting


def ratio_dials(floor: Floor, *, level: float, agents_offset: float = 0.0) -> int:
    """A fixed dial level: `level` lines per agent ready or talking, less those in use.

    The goal is VICIdial's (`AST_VDauto_dial.pl`): round(level x agents), minus the
    calls already placed, waiting or with an agent; rounded as its sprintf("%.0f").
    `agents_offset` is its dial-level difference target, added to the agents.
    """
    talking = floor.count(AgentState.TALKING)
    agents = max(0.0, floor.count(AgentState.READY) + talking + agents_offset)
    goal = int(f"{level * agents:.0f}")
    in_use = len(floor.dialling_since_s) + floor.waiting + talking
    return max(0, goal - in_use)


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimates:
    """The live figures predictive pacing works from, most recent last.

    `outcomes`: for recent dials, the seconds from dial to the outcome being known
    and whether it was a person for an agent. `talks_s`: recent talk times.
    """

    outcomes: tuple[tuple[float, bool], ...] = ()
    talks_s: tuple[float, ...] = ()
    wrap_up_s: float = 0.0
    keep_outcomes: int = 400
    keep_talks: int = 300


def observe_outcome(
    estimates: Estimates, *, after_s: float, to_agent: bool
) -> Estimates:
    kept = estimates.outcomes[-(estimates.keep_outcomes - 1) :]
    return replace(estimates, outcomes=(*kept, (after_s, to_agent)))


def observe_talk(estimates: Estimates, talk_s: float) -> Estimates:
    kept = estimates.talks_s[-(estimates.keep_talks - 1) :]
    return replace(estimates, talks_s=(*kept, talk_s))


def observe_wrap_up(estimates: Estimates, wrap_up_s: float) -> Estimates:
    """Wrap-up is nearly constant; a slow average follows a changed setting."""
    if not estimates.wrap_up_s:
        return replace(estimates, wrap_up_s=wrap_up_s)
    return replace(estimates, wrap_up_s=0.9 * estimates.wrap_up_s + 0.1 * wrap_up_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictiveSettings:
    """`limit`: the abandonment limit; the controller aims at `aim` x limit over the
    measuring window, spending or repaying the difference over the next persons
    answered: a quarter as many as the window holds, between `min_recovery` and
    `max_recovery` (early in a window each call weighs more, so it corrects
    faster), never allowing more than `max_boost` x the aim for a moment. Until
    `min_outcomes` dials are known it dials progressively. At most
    `max_lines_per_agent` calls per staffed agent."""

    limit: float = 0.03
    aim: float = 0.8
    min_recovery: int = 50
    max_recovery: int = 200
    max_boost: float = 2.0
    min_outcomes: int = 50
    max_lines_per_agent: float = 4.0


def allowed_abandon_fraction(
    window: WindowTally, settings: PredictiveSettings
) -> float:
    """The abandonment the next dials may risk, from the window's tally so far.

    A controller, not a brake: below the aim it lets slightly more through, above
    it less, down to none (then pacing is progressive), long before the limit.
    """
    aim = settings.limit * settings.aim
    slack = aim * window.answered - window.abandoned
    recovery = min(
        max(window.answered / 4, settings.min_recovery), settings.max_recovery
    )
    allowed = aim + slack / recovery
    return min(max(allowed, 0.0), aim * settings.max_boost)


def predictive_dials(
    floor: Floor,
    estimates: Estimates,
    *,
    window: WindowTally,
    settings: PredictiveSettings,
) -> int:
    """Dial so that the calls expected to reach the agents by the time a new dial
    would connect exceed the agents expected free then by no more than the allowed
    abandonment (a normal approximation of both counts, each a sum of chances)."""
    floor_dials = progressive_dials(floor)
    if (
        not floor.staffed
        or not estimates.talks_s
        or len(estimates.outcomes) < settings.min_outcomes
    ):
        return floor_dials
    model = _OutcomeModel.of(estimates)
    if model.connect_share == 0.0:
        return floor_dials
    horizon_s = model.connect_after_s
    supply, supply_var = _agents_free_by(floor, estimates, floor.now_s + horizon_s)
    chances = [
        model.still_to_connect(floor.now_s - at) for at in floor.dialling_since_s
    ]
    demand = floor.waiting + sum(chances)
    demand_var = sum(p * (1 - p) for p in chances) + supply_var
    allowed = allowed_abandon_fraction(window, settings)
    p = model.connect_share
    cap = int(settings.max_lines_per_agent * floor.staffed) - len(chances)
    dials = floor_dials
    while dials < cap:
        mean = demand + p * (dials + 1)
        excess = _expected_excess(
            mean - supply, math.sqrt(demand_var + (dials + 1) * p * (1 - p))
        )
        if excess > allowed * mean:
            break
        dials += 1
    return dials


def _expected_excess(mean: float, sd: float) -> float:
    """E[max(0, X)] for X normal with that mean and standard deviation."""
    if sd <= 0.0:
        return max(0.0, mean)
    z = mean / sd
    density = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return mean * 0.5 * math.erfc(-z / math.sqrt(2)) + sd * density


def _agents_free_by(
    floor: Floor, estimates: Estimates, at_s: float
) -> tuple[float, float]:
    """The expected number of agents free at that time, and its variance."""
    ongoing = [
        floor.now_s - agent.since_s
        for agent in floor.agents
        if agent.state is AgentState.TALKING
    ]
    talks = _TalkSurvival.of(estimates.talks_s, ongoing)
    wrap = estimates.wrap_up_s
    free = var = 0.0
    for agent in floor.agents:
        p = _free_chance(agent, talks, wrap_s=wrap, now_s=floor.now_s, at_s=at_s)
        free += p
        var += p * (1 - p)
    return free, var


def _free_chance(
    agent: AgentView, talks: _TalkSurvival, *, wrap_s: float, now_s: float, at_s: float
) -> float:
    match agent.state:
        case AgentState.READY:
            return 1.0
        case AgentState.WRAP_UP:
            return 1.0 if agent.since_s + wrap_s <= at_s else 0.0
        case AgentState.TALKING:
            return talks.over_by(
                elapsed_s=now_s - agent.since_s, by_s=at_s - wrap_s - agent.since_s
            )
        case AgentState.PAUSED:
            return 0.0


@dataclass(frozen=True, slots=True)
class _TalkSurvival:
    """Kaplan-Meier survival of talk time. Completed talks are events; talks still
    going on are censored at their length so far, without which the first minutes'
    sample would hold only the short talks and pacing would expect agents too soon."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    mean_s: float

    @classmethod
    def of(cls, completed: tuple[float, ...], ongoing: list[float]) -> _TalkSurvival:
        events, censored = sorted(completed), sorted(ongoing)
        at_risk = len(events) + len(censored)
        survival, gone, surviving = [], 0, 1.0
        for talk in events:
            while gone < len(censored) and censored[gone] < talk:
                gone += 1
                at_risk -= 1
            surviving *= 1 - 1 / at_risk
            at_risk -= 1
            survival.append(surviving)
        return cls(tuple(events), tuple(survival), sum(events) / len(events))

    def at(self, talk_s: float) -> float:
        index = bisect_right(self.times, talk_s)
        return self.survival[index - 1] if index else 1.0

    def over_by(self, *, elapsed_s: float, by_s: float) -> float:
        """P(talk <= by | talk > elapsed)."""
        if by_s <= elapsed_s:
            return 0.0
        still = self.at(elapsed_s)
        if still <= 0.0:  # longer than any talk seen: expect an average wait
            return min(1.0, (by_s - elapsed_s) / self.mean_s)
        return 1.0 - self.at(by_s) / still


@dataclass(frozen=True, slots=True, kw_only=True)
class _OutcomeModel:
    """Recent dial outcomes: the share that reach an agent, when they do, and the
    chance that a dial still unresolved after so long will."""

    connect_share: float
    connect_after_s: float
    times_s: tuple[float, ...]
    connects_after: tuple[int, ...]

    @classmethod
    def of(cls, estimates: Estimates) -> _OutcomeModel:
        ordered = sorted(estimates.outcomes)
        times = tuple(after for after, _ in ordered)
        connects = [after for after, to_agent in ordered if to_agent]
        suffix = [0] * (len(ordered) + 1)
        for i in range(len(ordered) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + ordered[i][1]
        return cls(
            connect_share=len(connects) / len(ordered),
            connect_after_s=sum(connects) / len(connects) if connects else 0.0,
            times_s=times,
            connects_after=tuple(suffix),
        )

    def still_to_connect(self, elapsed_s: float) -> float:
        start = bisect_right(self.times_s, elapsed_s)
        left = len(self.times_s) - start
        return self.connects_after[start] / left if left else 0.0
