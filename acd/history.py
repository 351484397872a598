"""Past traffic for the demo: days of calls on the queues (more at the busy hours,
fewer at weekends) answered by agents on shifts with breaks and lunch, some callers
giving up, some rings missed. The engine's events it makes are folded by
`acd.stats` and `acd.agent_stats` into the intervals the live service would have
stored, so the reports have a history from the first start.

Pure and deterministic: a seed in, the same history out; no clock, no I/O.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import partial
from itertools import count

from acd.agent_stats import AgentIntervalRecord, advance_agents, observe_agents
from acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallHandled,
    CallOffered,
    CallQueued,
    CallRequeued,
)
from acd.model import AgentId, AgentState, QueueId
from acd.stats import IntervalRecord, StatsConfig, advance_all, new_queue_stats
from acd.stats import observe_all as observe_queues
from telephony.model import CallId

S = AgentState
OPEN_HOUR, CLOSE_HOUR = 8, 20
BUSY_HOURS = (0.4, 0.8, 1.0, 1.0, 0.8, 0.6, 0.9, 1.0, 0.9, 0.7, 0.5, 0.3)
"""Share of the busiest hour's calls in each hour from opening to closing."""
WEEKEND = 0.4
RING_S = (3.0, 8.0)
RING_TIMEOUT_S = 15.0
MISSED_SHARE = 0.03


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficPlan:
    queues: Sequence[QueueId]
    agents: Sequence[AgentId]
    """Each serves every queue."""
    start: datetime
    end: datetime
    """Intervals between the two (both on interval boundaries) are made."""
    zone: tzinfo
    """Whose opening hours and weekends."""
    seed: int = 1
    busiest_hour_calls: float = 25.0
    """Calls offered to each queue in the busiest hour of a weekday."""
    service_level_s: float = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PastCall:
    call_id: CallId
    queue_id: QueueId
    arrived_at: datetime
    waited_s: float
    agent_id: AgentId | None = None
    """None: the caller gave up waiting."""
    talk_s: float = 0.0
    wrap_up_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    queue_records: list[IntervalRecord]
    agent_records: list[AgentIntervalRecord]
    calls: list[PastCall]


def simulate(plan: TrafficPlan) -> History:
    """The plan's days of traffic and the intervals folded from them."""
    floor = _Floor(plan)
    floor.run()
    events = sorted(floor.events, key=lambda e: e.occurred_at)
    config = StatsConfig(service_level_s=plan.service_level_s)
    book = {q: new_queue_stats(q, plan.start, config=config) for q in plan.queues}
    book, closed = observe_queues(book, events)
    _, rest = advance_all(book, plan.end)
    agents, agent_closed = observe_agents({}, events)
    _, agent_rest = advance_agents(agents, plan.end)
    return History(
        queue_records=[r for r in closed + rest if r.end <= plan.end],
        agent_records=[r for r in agent_closed + agent_rest if r.end <= plan.end],
        calls=sorted(floor.calls, key=lambda c: c.arrived_at),
    )


@dataclass(slots=True)
class _Call:
    call_id: CallId
    queue_id: QueueId
    arrived_at: datetime
    patience_s: float
    talk_s: float
    offered: bool = False


@dataclass(slots=True)
class _Agent:
    agent_id: AgentId
    state: AgentState = S.LOGGED_OUT
    reason: str = ""
    call: _Call | None = None
    pauses: list[tuple[str, float]] = field(default_factory=list)
    """Pauses due, waiting for the current call to end: (reason, seconds)."""
    leaving: bool = False


Job = Callable[[datetime], None]


class _Floor:
    """The calls and the agents of the plan, run event by event."""

    def __init__(self, plan: TrafficPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)  # noqa: S311  demo traffic, not secrets
        self.agents = {a: _Agent(agent_id=a) for a in plan.agents}
        self.waiting: list[_Call] = []
        self.events: list[AcdEvent] = []
        self.calls: list[PastCall] = []
        self._jobs: list[tuple[datetime, int, Job]] = []
        self._order = count()
        self._numbers = count(1)

    def at(self, moment: datetime, job: Job) -> None:
        if moment < self.plan.end:
            heapq.heappush(self._jobs, (moment, next(self._order), job))

    def run(self) -> None:
        day = self.plan.start.astimezone(self.plan.zone).date()
        while _local(day, 0, self.plan.zone) < self.plan.end:
            self._plan_day(day)
            day += timedelta(days=1)
        while self._jobs:
            moment, _, job = heapq.heappop(self._jobs)
            job(moment)

    # the day's plan ------------------------------------------------------------

    def _plan_day(self, day: date) -> None:
        weekend = day.weekday() >= 5
        for queue in self.plan.queues:
            for hour, share in enumerate(BUSY_HOURS, start=OPEN_HOUR):
                rate = (
                    self.plan.busiest_hour_calls * share * (WEEKEND if weekend else 1)
                )
                self._arrivals(queue, _local(day, hour, self.plan.zone), rate)
        staff = self.plan.agents[::2] if weekend else self.plan.agents
        for i, agent in enumerate(staff):
            self._shift(agent, day, late=i % 2 == 1)

    def _arrivals(self, queue: QueueId, hour: datetime, per_hour: float) -> None:
        moment, end = hour, hour + timedelta(hours=1)
        while (moment := moment + self._gap(per_hour)) < end:
            if moment >= self.plan.start:
                self.at(moment, partial(self._arrive, queue))

    def _gap(self, per_hour: float) -> timedelta:
        return timedelta(seconds=self.rng.expovariate(per_hour / 3600))

    def _shift(self, agent: AgentId, day: date, *, late: bool) -> None:
        zone, rng = self.plan.zone, self.rng
        begin = _local(day, 11 if late else OPEN_HOUR, zone)
        begin += timedelta(minutes=rng.randrange(0, 20))
        end = begin + timedelta(hours=8, minutes=30)
        if end <= self.plan.start:
            return
        self.at(max(begin, self.plan.start), lambda now: self._log_in(agent, now))
        for after_h, reason, minutes in (
            (2.0, "break", rng.randrange(8, 16)),
            (4.0, "lunch", rng.randrange(30, 46)),
            (6.5, "break", rng.randrange(8, 16)),
            (3.0, "training", 30 if rng.random() < 0.15 else 0),
        ):
            if minutes:
                due = begin + timedelta(hours=after_h, minutes=rng.randrange(0, 20))
                if due >= self.plan.start:
                    seconds = minutes * 60.0
                    pause = partial(self._pause, agent, reason=reason, seconds=seconds)
                    self.at(due, pause)
        self.at(end, lambda now: self._log_out(agent, now))

    # calls ---------------------------------------------------------------------

    def _arrive(self, queue: QueueId, now: datetime) -> None:
        call = _Call(
            call_id=CallId(f"history:{next(self._numbers)}"),
            queue_id=queue, arrived_at=now,
            patience_s=self.rng.expovariate(1 / 90),
            talk_s=round(self.rng.lognormvariate(5.0, 0.5), 1),
        )  # fmt: skip
        self.events.append(
            CallQueued(occurred_at=now, call_id=call.call_id, queue_id=queue,
                       priority=0, position=len(self.waiting) + 1)
        )  # fmt: skip
        self.waiting.append(call)
        self.at(
            now + timedelta(seconds=call.patience_s), lambda t: self._give_up(call, t)
        )
        self._dispatch(now)

    def _give_up(self, call: _Call, now: datetime) -> None:
        if call.offered or call not in self.waiting:
            return
        self.waiting.remove(call)
        waited = (now - call.arrived_at).total_seconds()
        self.events.append(
            CallAbandoned(occurred_at=now, call_id=call.call_id,
                          queue_id=call.queue_id, waited_s=waited)
        )  # fmt: skip
        self.calls.append(
            PastCall(call_id=call.call_id, queue_id=call.queue_id,
                     arrived_at=call.arrived_at, waited_s=waited)
        )  # fmt: skip

    def _dispatch(self, now: datetime) -> None:
        ready = [a for a in self.agents.values() if a.state is S.READY]
        while self.waiting and ready:
            agent = ready.pop(self.rng.randrange(len(ready)))
            self._offer(agent, self.waiting.pop(0), now)

    def _offer(self, agent: _Agent, call: _Call, now: datetime) -> None:
        call.offered = True
        agent.call = call
        self.events.append(
            CallOffered(occurred_at=now, call_id=call.call_id,
                        queue_id=call.queue_id, agent_id=agent.agent_id)
        )  # fmt: skip
        self._state(agent, S.RINGING, now)
        if self.rng.random() < MISSED_SHARE:
            self.at(
                now + timedelta(seconds=RING_TIMEOUT_S),
                lambda t: self._missed(agent, t),
            )
            return
        ring = timedelta(seconds=self.rng.uniform(*RING_S))
        self.at(now + ring, lambda t: self._answer(agent, t))

    def _missed(self, agent: _Agent, now: datetime) -> None:
        call = agent.call
        assert call is not None
        agent.call, call.offered = None, False
        self.events.append(
            CallRequeued(occurred_at=now, call_id=call.call_id,
                         queue_id=call.queue_id, agent_id=agent.agent_id)
        )  # fmt: skip
        self.waiting.insert(0, call)
        self._state(agent, S.PAUSED, now, "no_answer")
        seconds = self.rng.uniform(30, 120)
        self.at(now + timedelta(seconds=seconds), lambda t: self._resume(agent, t))
        self._dispatch(now)

    def _answer(self, agent: _Agent, now: datetime) -> None:
        call = agent.call
        assert call is not None
        waited = (now - call.arrived_at).total_seconds()
        self.events.append(
            CallConnected(occurred_at=now, call_id=call.call_id,
                          queue_id=call.queue_id, agent_id=agent.agent_id,
                          waited_s=waited)
        )  # fmt: skip
        self._state(agent, S.ON_CALL, now)
        wrap_s = round(self.rng.uniform(5, 40), 1)
        hung_up = now + timedelta(seconds=call.talk_s)
        self.at(hung_up, lambda t: self._state(agent, S.WRAP_UP, t))
        self.at(
            hung_up + timedelta(seconds=wrap_s),
            lambda t: self._finish(agent, t, waited=waited, wrap_s=wrap_s),
        )

    def _finish(
        self, agent: _Agent, now: datetime, *, waited: float, wrap_s: float
    ) -> None:
        call = agent.call
        assert call is not None
        agent.call = None
        self.events.append(
            CallHandled(occurred_at=now, call_id=call.call_id, queue_id=call.queue_id,
                        agent_id=agent.agent_id, talk_s=call.talk_s, wrap_up_s=wrap_s)
        )  # fmt: skip
        self.calls.append(
            PastCall(call_id=call.call_id, queue_id=call.queue_id,
                     arrived_at=call.arrived_at, waited_s=waited,
                     agent_id=agent.agent_id, talk_s=call.talk_s, wrap_up_s=wrap_s)
        )  # fmt: skip
        self._free(agent, now)

    # agents --------------------------------------------------------------------

    def _state(
        self, agent: _Agent, state: AgentState, now: datetime, reason: str = ""
    ) -> None:
        self.events.append(
            AgentStateChanged(occurred_at=now, agent_id=agent.agent_id, state=state,
                              previous=agent.state, reason=reason,
                              queue_ids=tuple(self.plan.queues))
        )  # fmt: skip
        agent.state, agent.reason = state, reason

    def _free(self, agent: _Agent, now: datetime) -> None:
        """The agent is done with a call or a pause: what was due comes next."""
        if agent.leaving:
            self._state(agent, S.LOGGED_OUT, now)
        elif agent.pauses:
            reason, seconds = agent.pauses.pop(0)
            self._state(agent, S.PAUSED, now, reason)
            self.at(now + timedelta(seconds=seconds), lambda t: self._resume(agent, t))
        else:
            self._state(agent, S.READY, now)
            self._dispatch(now)

    def _resume(self, agent: _Agent, now: datetime) -> None:
        if agent.state is S.PAUSED:
            self._free(agent, now)

    def _log_in(self, agent_id: AgentId, now: datetime) -> None:
        agent = self.agents[agent_id]
        agent.leaving, agent.pauses = False, []
        self._state(agent, S.READY, now)
        self._dispatch(now)

    def _pause(
        self, agent_id: AgentId, now: datetime, reason: str, seconds: float
    ) -> None:
        agent = self.agents[agent_id]
        if agent.state is S.LOGGED_OUT or agent.leaving:
            return
        agent.pauses.append((reason, seconds))
        if agent.state is S.READY:
            self._free(agent, now)

    def _log_out(self, agent_id: AgentId, now: datetime) -> None:
        agent = self.agents[agent_id]
        agent.leaving = True
        if agent.state in (S.READY, S.PAUSED):
            self._free(agent, now)


def _local(day: date, hour: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)
