"""A discrete-event simulation of one campaign day, paced by `dialer.pacing`.

Pure: no clock and no I/O (progress goes to a callback). Agents take a waiting
call the instant they are free; a person classified as such and left without an
agent for the rules' 2 s is abandoned. Every method dials the same draws in order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from dialer import vicidial
from dialer.abandonment import (
    PersonAnswer,
    WindowTally,
    is_abandoned,
    worst_rolling_rate,
)
from dialer.pacing import (
    AgentState,
    AgentView,
    Estimates,
    Floor,
    observe_outcome,
    observe_talk,
    observe_wrap_up,
    predictive_dials,
    progressive_dials,
    ratio_dials,
)
from dialer.scenario import Answer, Attempt, Draws, Scenario, attempt

Progress = Callable[[float], None]
PROGRESS_EVERY_S = 300.0


class Method(StrEnum):
    PREDICTIVE = "predictive"
    PROGRESSIVE = "progressive"
    FIXED_RATIO = "fixed_ratio"
    ADAPT_TAPERED = "adapt_tapered"


@dataclass(frozen=True, slots=True, kw_only=True)
class DayResult:
    method: Method
    agents: int
    day_s: float
    dials: int
    persons: int
    connects: int
    abandoned: int
    talk_s: float
    busy_s: float
    worst_hour: float

    @property
    def occupancy(self) -> float:
        """(talk + wrap-up) / logged-in time."""
        return self.busy_s / (self.agents * self.day_s)

    @property
    def talk_per_agent_hour_s(self) -> float:
        return self.talk_s / (self.agents * self.day_s / 3600)

    @property
    def abandon_rate(self) -> float:
        """Abandoned over answered by a person, over the day."""
        return self.abandoned / self.persons if self.persons else 0.0

    @property
    def dials_per_hour(self) -> float:
        return self.dials / (self.day_s / 3600)

    @property
    def connects_per_hour(self) -> float:
        return self.connects / (self.day_s / 3600)


class _Event(IntEnum):
    KNOWN = 0
    DEADLINE = 1
    TALK_END = 2
    WRAP_END = 3
    DECIDE = 4
    SAMPLE = 5


@dataclass(slots=True)
class _Call:
    dialled_at_s: float
    attempt: Attempt
    waiting_since_s: float | None = None
    done: bool = False


@dataclass(slots=True)
class _DropLog:
    """What AST_VDadapt.pl counts in vicidial_log: calls when dialled, drops when
    dropped; answers are calls sent to an agent (VICIdial cannot tell machines an
    agent was handed from people)."""

    calls: int = 0
    answers: int = 0
    drops: int = 0
    recent_calls: deque[float] = field(default_factory=deque)
    recent_drops: deque[float] = field(default_factory=deque)

    def dialled(self, at_s: float) -> None:
        self.calls += 1
        self.recent_calls.append(at_s)

    def dropped(self, at_s: float) -> None:
        self.drops += 1
        self.recent_drops.append(at_s)

    def stats(self, now_s: float) -> vicidial.DropStats:
        for recent in (self.recent_calls, self.recent_drops):
            while recent and recent[0] <= now_s - 60:
                recent.popleft()
        return vicidial.DropStats(
            calls_today=self.calls,
            answers_today=self.answers,
            drops_today=self.drops,
            calls_one=len(self.recent_calls),
            drops_one=len(self.recent_drops),
        )


@dataclass(slots=True)
class _Day:
    scenario: Scenario
    method: Method
    draws: Draws
    progress: Progress | None
    now_s: float = 0.0
    agents: list[AgentView] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    calls: list[_Call] = field(default_factory=list)
    dialling: dict[int, float] = field(default_factory=dict)
    waiting: deque[int] = field(default_factory=deque)
    events: list[tuple[float, int, _Event, int]] = field(default_factory=list)
    seq: int = 0
    estimates: Estimates = field(default_factory=Estimates)
    answers: list[tuple[float, bool]] = field(default_factory=list)
    abandoned: int = 0
    connects: int = 0
    talk_s: float = 0.0
    busy_s: float = 0.0
    adapt: vicidial.AdaptState = field(
        default_factory=lambda: vicidial.AdaptState(level=1.0)
    )
    drops: vicidial.DropStats = field(default_factory=vicidial.DropStats)
    drop_log: _DropLog = field(default_factory=_DropLog)
    samples: int = 0

    def schedule(self, at_s: float, kind: _Event, ref: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at_s, self.seq, kind, ref))

    def run(self) -> DayResult:
        self.agents = [
            AgentView(state=AgentState.READY) for _ in range(self.scenario.agents)
        ]
        self.ready = list(range(self.scenario.agents))
        self.adapt = vicidial.start(self.scenario.adapt)
        self.schedule(0.0, _Event.DECIDE)
        if self.method is Method.ADAPT_TAPERED:
            self.schedule(0.0, _Event.SAMPLE)
        next_progress = 0.0
        while self.events:
            self.now_s, _, kind, ref = heapq.heappop(self.events)
            if self.progress is not None and self.now_s >= next_progress:
                self.progress(min(1.0, self.now_s / self.scenario.day_s))
                next_progress += PROGRESS_EVERY_S
            self.handle(kind, ref)
        return self.result()

    def handle(self, kind: _Event, ref: int) -> None:
        match kind:
            case _Event.KNOWN:
                self.on_known(ref)
            case _Event.DEADLINE:
                self.on_deadline(ref)
            case _Event.TALK_END:
                self.on_talk_end(ref)
            case _Event.WRAP_END:
                self.on_wrap_end(ref)
            case _Event.DECIDE:
                self.on_decide()
            case _Event.SAMPLE:
                self.on_sample()

    def floor(self) -> Floor:
        return Floor(
            now_s=self.now_s,
            agents=tuple(self.agents),
            dialling_since_s=tuple(self.dialling.values()),
            waiting=len(self.waiting),
        )

    def on_decide(self) -> None:
        if self.now_s >= self.scenario.day_s:
            return
        floor = self.floor()
        dials, period = self.pace(floor)
        for _ in range(dials):
            self.dial()
        self.schedule(self.now_s + period, _Event.DECIDE)

    def pace(self, floor: Floor) -> tuple[int, float]:
        """The method's dials now, and the seconds to its next decision."""
        match self.method:
            case Method.PREDICTIVE:
                window = WindowTally(
                    answered=len(self.answers), abandoned=self.abandoned
                )
                settings = self.scenario.predictive
                dials = predictive_dials(
                    floor, self.estimates, window=window, settings=settings
                )
                return dials, 1.0
            case Method.PROGRESSIVE:
                return progressive_dials(floor), 1.0
            case Method.FIXED_RATIO:
                return ratio_dials(floor, level=self.scenario.ratio), 1.0
            case Method.ADAPT_TAPERED:
                dials = vicidial.adapt_dials(floor, self.adapt, self.scenario.adapt)
                return dials, vicidial.DIAL_PERIOD_S

    def dial(self) -> None:
        index = len(self.calls)
        fate = attempt(self.scenario, self.draws[index], dialled_at_s=self.now_s)
        self.calls.append(_Call(dialled_at_s=self.now_s, attempt=fate))
        self.dialling[index] = self.now_s
        self.drop_log.dialled(self.now_s)
        self.schedule(self.now_s + fate.known_after_s, _Event.KNOWN, index)

    def on_known(self, index: int) -> None:
        call = self.calls[index]
        fate = call.attempt
        del self.dialling[index]
        self.estimates = observe_outcome(
            self.estimates, after_s=fate.known_after_s, to_agent=fate.to_agent
        )
        if fate.answer is Answer.PERSON and not fate.to_agent:
            self.record_person(None, taken_for_machine=True)
        if not fate.to_agent:
            call.done = True
            return
        self.drop_log.answers += 1
        call.waiting_since_s = self.now_s
        self.waiting.append(index)
        self.schedule(
            self.now_s + self.scenario.rules.connect_within_s, _Event.DEADLINE, index
        )
        self.connect_waiting()

    def record_person(
        self, agent_after_s: float | None, *, taken_for_machine: bool
    ) -> None:
        answer = PersonAnswer(
            at_s=self.now_s,
            agent_after_s=agent_after_s,
            taken_for_machine=taken_for_machine,
        )
        abandoned = is_abandoned(self.scenario.rules, answer)
        self.answers.append((self.now_s, abandoned))
        self.abandoned += abandoned

    def connect_waiting(self) -> None:
        while self.waiting and self.ready:
            index = self.waiting.popleft()
            call = self.calls[index]
            if call.done:
                continue
            call.done = True
            agent = self.ready.pop()
            self.agents[agent] = AgentView(state=AgentState.TALKING, since_s=self.now_s)
            assert call.waiting_since_s is not None
            if call.attempt.answer is Answer.PERSON:
                self.connects += 1
                self.record_person(
                    self.now_s - call.waiting_since_s, taken_for_machine=False
                )
                self.talk_s += self.clipped(self.now_s, call.attempt.talk_s)
            self.schedule(self.now_s + call.attempt.talk_s, _Event.TALK_END, agent)

    def on_deadline(self, index: int) -> None:
        call = self.calls[index]
        if call.done:
            return
        call.done = True
        self.drop_log.dropped(self.now_s)
        if call.attempt.answer is Answer.PERSON:
            self.record_person(None, taken_for_machine=False)

    def on_talk_end(self, agent: int) -> None:
        started = self.agents[agent].since_s
        self.estimates = observe_talk(self.estimates, self.now_s - started)
        self.busy_s += self.clipped(
            started, self.now_s - started + self.scenario.wrap_up_s
        )
        self.agents[agent] = AgentView(state=AgentState.WRAP_UP, since_s=self.now_s)
        self.schedule(self.now_s + self.scenario.wrap_up_s, _Event.WRAP_END, agent)

    def on_wrap_end(self, agent: int) -> None:
        started = self.agents[agent].since_s
        self.estimates = observe_wrap_up(self.estimates, self.now_s - started)
        self.agents[agent] = AgentView(state=AgentState.READY)
        self.ready.append(agent)
        self.connect_waiting()

    def on_sample(self) -> None:
        """AST_VDadapt.pl's one-second loop: sample, and on its timers recount the
        drops (every 60 s, first at once) and recalculate the level (every 15 s)."""
        if self.now_s >= self.scenario.day_s:
            return
        if self.samples % round(vicidial.DROPS_PERIOD_S) == 0:
            self.drops = self.drop_log.stats(self.now_s)
        self.adapt = vicidial.sample_floor(self.adapt, self.floor())
        self.samples += 1
        if self.samples % round(vicidial.LEVEL_PERIOD_S) == 0:
            hhmm = vicidial.hourmin(self.scenario.day_start_hhmm, self.now_s)
            self.adapt = vicidial.recalculate(
                self.adapt, self.scenario.adapt, hourmin=hhmm, drops=self.drops
            )
        self.schedule(self.now_s + vicidial.SAMPLE_PERIOD_S, _Event.SAMPLE)

    def clipped(self, start_s: float, length_s: float) -> float:
        """The part of an interval inside the working day."""
        end = self.scenario.day_s
        return max(0.0, min(start_s + length_s, end) - min(start_s, end))

    def result(self) -> DayResult:
        return DayResult(
            method=self.method,
            agents=self.scenario.agents,
            day_s=self.scenario.day_s,
            dials=len(self.calls),
            persons=len(self.answers),
            connects=self.connects,
            abandoned=self.abandoned,
            talk_s=self.talk_s,
            busy_s=self.busy_s,
            worst_hour=worst_rolling_rate(sorted(self.answers)),
        )


def simulate_day(
    scenario: Scenario,
    method: Method,
    draws: Draws,
    *,
    progress: Progress | None = None,
) -> DayResult:
    """One day of `method` over `draws` (shared between methods for a fair match)."""
    return _Day(scenario=scenario, method=method, draws=draws, progress=progress).run()


def compare(
    scenario: Scenario,
    *,
    seed: int,
    methods: tuple[Method, ...] = tuple(Method),
    progress: Progress | None = None,
) -> list[DayResult]:
    """Every method over the same day's draws; progress runs 0..1 over all of them."""
    draws = Draws(seed)
    results = []
    for done, method in enumerate(methods):

        def step(fraction: float, done: int = done) -> None:
            if progress is not None:
                progress((done + fraction) / len(methods))

        results.append(simulate_day(scenario, method, draws, progress=step))
    return results
