"""The ACD shell: one task owns the routing engine, rings agents through the PBX,
feeds ring outcomes and hang-ups back, and publishes events and live figures.

No routing decisions here (they are `acd.engine`'s); no waiting on the PBX inside
the owner task (rings and hang-ups run in their own tasks and report back).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from acd.agent_stats import AgentIntervalRecord, advance_agents, observe_agents
from acd.dialing import (
    EXIT_VAR,
    EXPECTED_WAIT_VAR,
    POSITION_VAR,
    AcdSettings,
    AgentSeat,
    Apply,
    Job,
)
from acd.engine import AcdEngine, Action, AgentView
from acd.errors import (
    AcdError,
    InvalidTransition,
    UnknownAgent,
)
from acd.events import AcdEvent, QueueStatsUpdated
from acd.holds import HoldDesk
from acd.minutes import MinuteCounts, last_hour
from acd.model import (
    AgentId,
    AgentSession,
    AgentState,
    CancelOffer,
    ConnectedCall,
    ExitQueue,
    KeptCallback,
    OfferCall,
    OfferOptions,
    QueueConfig,
    QueueId,
    TransferMode,
)
from acd.ports import (
    AgentOnCall,
    CallLocator,
    Clock,
    IntervalStore,
    PresenceChange,
    Publisher,
    WaitingCall,
)
from acd.queueing import (
    Queueing,
    arrival,
)
from acd.stats import (
    IntervalRecord,
    StatsConfig,
    advance_all,
    expected_wait_s,
    new_queue_stats,
    observe_all,
    snapshot,
)
from acd.transfers import TransferDesk
from telephony.events import CallEnded
from telephony.model import CallId, ChannelId, PbxId
from telephony.ports import PbxPort

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingNow:
    call_id: CallId
    queue_id: QueueId
    since: datetime
    """When it joined the queue."""
    place: tuple[int, float | None] | None
    """Its position and expected wait (see `AcdService.place_of`)."""


__all__ = ["EXIT_VAR", "POSITION_VAR", "AcdService", "AcdSettings", "AgentSeat"]


class AcdService(Queueing):
    """Runs the ACD until cancelled (`run()`); queue requests arrive through
    `call_waits`, call ends through `on_call_ended`, callbacks through
    `request_callback`, desktops through `on_agent_connected` and
    `on_agent_disconnected`; agents act through `login`, `logout`, `pause`, `ready`,
    `finish_wrap_up` and `transfers` (which raise `AcdError`). `calls` (the
    bridge's tracker) lets it notice a caller hanging up while an agent's phone
    rings, and a callback's customer answering."""

    def __init__(
        self,
        engine: AcdEngine,
        pbx: PbxPort,
        publisher: Publisher,
        clock: Clock,
        *,
        settings: AcdSettings,
        intervals: IntervalStore | None = None,
        calls: CallLocator | None = None,
    ) -> None:
        super().__init__(
            engine,
            pbx,
            publisher,
            clock,
            settings=settings,
            intervals=intervals,
            calls=calls,
        )
        self.transfers = TransferDesk(self, pbx, check_s=settings.caller_check_s)
        self.holds = HoldDesk(self, pbx, check_s=settings.caller_check_s)

    # --- inputs -----------------------------------------------------------------

    async def call_waits(self, waiting: WaitingCall) -> None:
        """`QueueRequests`: queue a caller on hold (see acd.ports)."""
        self._inbox.put_nowait(Job(lambda now: self._enqueue(waiting, now)))

    async def on_call_ended(self, event: CallEnded) -> None:
        """Bus handler for `CallEnded`: abandon or wrap up the call; a waiting call
        the PBX took down with it (a restart) leaves the queue unabandoned."""
        gone = event.reason.pbx_gone
        self._inbox.put_nowait(
            Job(lambda now: self._ended_call(event.call_id, now, pbx_gone=gone))
        )

    async def restore(
        self,
        *,
        waiting: Sequence[WaitingCall],
        agents: Collection[AgentId],
        sessions: Mapping[AgentId, AgentSession],
        on_call: Mapping[AgentId, AgentOnCall],
        callbacks: Sequence[KeptCallback] = (),
    ) -> None:
        """After the service restarted: queue the callers found `waiting` again
        in their place (their `arrived_at`), and the `callbacks` owed, then put
        `agents` back as `sessions` kept them; those `on_call` are that call's
        agents and get no other call until its wrap-up. Refusals are logged; the
        others go on."""

        def apply(now: datetime) -> list[Action]:
            actions: list[Action] = []
            for found in sorted(waiting, key=arrival):
                actions += self._quiet(
                    partial(self._enqueue, found, now, restored=True)
                )
            for owed in callbacks:
                actions += self._quiet(partial(self._restore_callback, owed, now))
            for agent_id in agents:
                session, busy = sessions.get(agent_id), on_call.get(agent_id)
                restore = partial(self._restore_agent, agent_id, session, busy, now)
                actions += self._quiet(restore)
            return actions

        await self._ask(apply)

    async def on_agent_connected(self, event: PresenceChange) -> None:
        """Bus handler for `AgentConnected`: an agent paused "disconnected" is
        ready again; a pending grace period ends."""
        agent_id = AgentId(event.agent_id)
        if agent_id in self._seats:
            self._inbox.put_nowait(
                Job(lambda now: self.engine.agent_back(agent_id, now))
            )

    async def on_agent_disconnected(self, event: PresenceChange) -> None:
        """Bus handler for `AgentDisconnected`: once the agent's last desktop has
        been away for `presence_grace_s`, a ringing offer goes back to its queue and
        the agent pauses "disconnected" (after the call, if on one)."""
        agent_id, grace_s = AgentId(event.agent_id), self.settings.presence_grace_s
        if agent_id in self._seats and event.connections <= 0:
            self._inbox.put_nowait(
                Job(lambda now: self.engine.agent_gone(agent_id, now, grace_s=grace_s))
            )

    async def request_callback(self, call_id: CallId, *, number: str) -> None:
        """The waiting caller will hang up and be called back on `number`: the call
        keeps its place; when its turn comes the agent's phone rings first, then
        the number is dialled; a try that fails is repeated per the queue's rule
        (`callback_attempts`, `callback_retry_s`), then `CallbackGaveUp` is
        published. A call sent to the callback exit is queued again, in its first
        place. UnknownCall if the call is neither waiting nor sent there."""
        await self._ask(lambda now: self._want_callback(call_id, number, now))

    async def login(self, agent_id: AgentId) -> AgentView:
        seat = self._seats.get(agent_id)
        if seat is None:
            raise UnknownAgent(agent_id)
        await self._ask(lambda now: self.engine.login(seat.routing_profile, now))
        return self.engine.agent(agent_id)

    async def logout(self, agent_id: AgentId) -> AgentView:
        """Log out; an agent already logged out stays so (no error)."""
        if self.agent(agent_id).state is AgentState.LOGGED_OUT:
            return self.agent(agent_id)
        return await self._agent_asks(agent_id, self.engine.logout)

    async def pause(self, agent_id: AgentId, *, reason: str) -> AgentView:
        return await self._agent_asks(
            agent_id, lambda a, now: self.engine.pause(a, now, reason=reason)
        )

    async def ready(self, agent_id: AgentId) -> AgentView:
        return await self._agent_asks(agent_id, self.engine.resume)

    async def finish_wrap_up(self, agent_id: AgentId) -> AgentView:
        return await self._agent_asks(agent_id, self.engine.finish_wrap_up)

    async def _agent_asks(
        self, agent_id: AgentId, request: Callable[[AgentId, datetime], list[Action]]
    ) -> AgentView:
        """Apply an agent's request; UnknownAgent for no seat, InvalidTransition
        when the state does not allow it (an agent never logged in is logged out)."""
        if agent_id not in self._seats:
            raise UnknownAgent(agent_id)

        def apply(now: datetime) -> list[Action]:
            try:
                return request(agent_id, now)
            except UnknownAgent:
                raise InvalidTransition(f"agent {agent_id} is logged out") from None

        await self._ask(apply)
        return self.engine.agent(agent_id)

    def connected_call(self, agent_id: AgentId) -> ConnectedCall | None:
        """The agent's answered ACD call, if they are on one."""
        return self._connected.get(agent_id)

    def wrap_up_call(self, agent_id: AgentId) -> CallId | None:
        """The call the agent is wrapping up (None: not in wrap-up)."""
        record = self.engine._agents.get(agent_id)  # the engine has no query for it
        wrapping = None if record is None else record.wrap_call
        return None if wrapping is None else wrapping[0]

    def endpoint_of(self, agent_id: AgentId) -> str | None:
        """The agent's phone endpoint (None: no such agent)."""
        seat = self._seats.get(agent_id)
        return None if seat is None else seat.endpoint

    def seat_pbx(self, agent_id: AgentId) -> PbxId | None:
        """The PBX the agent's phone is on (None: no such agent)."""
        seat = self._seats.get(agent_id)
        if seat is None:
            return None
        return seat.pbx_id or self.settings.pbx_id

    def has_queue(self, queue_id: QueueId) -> bool:
        return queue_id in self._queue_configs

    def queue_config(self, queue_id: QueueId) -> QueueConfig | None:
        """The queue as it is served now (None: no such queue)."""
        return self._queue_configs.get(queue_id)

    async def requeue_connected(
        self, call_id: CallId, *, queue_id: QueueId, agent_id: AgentId | None = None
    ) -> None:
        """A connected call whose caller is back in the waiting context re-enters
        `queue_id` (same call id and data, priority kept; `agent_id` preferred);
        its agent wraps up. UnknownCall if it is not connected."""

        def apply(now: datetime) -> list[Action]:
            actions = self.engine.transfer(
                call_id, now, queue_id=queue_id, agent_id=agent_id
            )
            self._forget_connected(call_id)
            waiting = self._waiting.get(call_id)
            if waiting is not None:  # the queue a restart should find the caller in
                again = replace(
                    waiting.request,
                    queue_id=queue_id,
                    arrived_at=now,
                    preferred_agent=agent_id,
                )
                self._waiting[call_id] = replace(waiting, request=again)
                self._spawn(
                    self._quietly(self._keep_on_channel(self._waiting[call_id]))
                )
            return actions

        await self._ask(apply)

    async def release_connected(
        self,
        call_id: CallId,
        *,
        sent_to: str | None = None,
        mode: TransferMode = TransferMode.BLIND,
    ) -> None:
        """A connected call left the ACD with its caller (sent to a number, or
        handed to a consulted party): its agent wraps up. `sent_to` is the
        outside number the agent transferred it to (`mode`), if that is why."""

        def apply(now: datetime) -> list[Action]:
            if sent_to is None:
                return self._release(call_id, now)
            self._forget_call(call_id)
            return self.engine.transfer_out(call_id, now, number=sent_to, mode=mode)

        await self._ask(apply)

    def _release(self, call_id: CallId, now: datetime) -> list[Action]:
        self._forget_call(call_id)
        return self.engine.hang_up(call_id, now)

    def _forget_call(self, call_id: CallId) -> None:
        self._forget_connected(call_id)
        self._waiting.pop(call_id, None)
        self._callbacks.pop(call_id, None)

    async def reserve_for_consultation(
        self, call_id: CallId, agent_id: AgentId
    ) -> None:
        """Reserve `agent_id` while the connected call's agent consults them (no
        queue call is offered to them meanwhile). AgentBusy unless they are ready;
        UnknownAgent for no seat; UnknownCall if the call is not connected;
        InvalidTransition for the call's own agent or a second consultation."""
        if agent_id not in self._seats:
            raise UnknownAgent(agent_id)
        await self._ask(
            lambda now: self.engine.consult(call_id, now, agent_id=agent_id)
        )

    async def end_consultation(self, call_id: CallId) -> None:
        """The call's consultation ended without a hand-over: the consulted agent
        is free again (nothing happens when none is reserved)."""
        await self._ask(lambda now: self.engine.end_consultation(call_id, now))

    async def hand_over_connected(
        self, call_id: CallId, *, agent_id: AgentId, agent_leg: ChannelId | None
    ) -> bool:
        """An attended transfer to `agent_id` completed: they are on the call
        (`connected_call`, with `agent_leg` when known) and its agent wraps up.
        False when `agent_id` was no longer reserved for it (logged out): the
        call leaves the ACD as `release_connected` does."""
        taken = False

        def apply(now: datetime) -> list[Action]:
            nonlocal taken
            if self.engine.consulted(call_id) != agent_id:
                return self._release(call_id, now)
            actions = self.engine.hand_over(call_id, now)
            taken = True
            before = [c for c in self._connected.values() if c.call_id == call_id]
            self._forget_connected(call_id)
            if before:
                leg = agent_leg if agent_leg is not None else before[0].agent_leg
                self._connected[agent_id] = replace(before[0], agent_leg=leg)
            return actions

        await self._ask(apply)
        return taken

    def agent(self, agent_id: AgentId) -> AgentView:
        if agent_id not in self._seats:
            raise UnknownAgent(agent_id)
        return self.engine.agent(agent_id)

    def agents(self) -> list[AgentView]:
        """Every configured agent, logged in or not."""
        return [self.engine.agent(agent_id) for agent_id in self._seats]

    def place_of(self, call_id: CallId) -> tuple[int, float | None] | None:
        """A waiting call's 1-based position and expected wait in seconds
        (estimated from the queue's live figures; None: no basis yet), or None
        when the call is not waiting."""
        position = self.engine.position(call_id)
        queue_id = self.engine.call_queue(call_id)
        if position is None or queue_id is None or queue_id not in self._stats:
            return None
        return position, expected_wait_s(self._stats[queue_id], position)

    def queue_stats(self) -> list[QueueStatsUpdated]:
        """Every queue's figures as of now."""
        now = self._clock.now()
        return [snapshot(s, now) for s in self._stats.values()]

    def waiting_calls(self) -> list[WaitingNow]:
        """The calls waiting in the queues now (an agent's phone may be ringing
        for one), the longest waiting first."""
        found = [
            WaitingNow(
                call_id=call_id,
                queue_id=queue_id,
                since=since,
                place=self.place_of(call_id),
            )
            for queue_id, stats in self._stats.items()
            for call_id, since in stats.waiting.items()
        ]
        return sorted(found, key=lambda w: (w.since, w.call_id))

    def last_hour(self, queue_id: QueueId) -> list[MinuteCounts]:
        """The queue's last hour minute by minute, the open minute last (empty
        for a queue the ACD does not run)."""
        stats = self._stats.get(queue_id)
        return [] if stats is None else last_hour(stats.by_minute, self._clock.now())

    async def poke(self) -> None:
        """Apply whatever fell due by the clock's now (for clocks moved by hand)."""
        await self._ask(lambda now: [])

    async def _ask(self, apply: Apply) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(Job(apply, done))
        await done

    async def reconfigure(
        self, queues: Sequence[QueueConfig], seats: Sequence[AgentSeat]
    ) -> None:
        """Serve `queues` and `seats` from now on: new queues open, changed ones
        route by their new settings, a logged-in agent whose seat changed is routed
        by the new one at once (and rung on its new phone). InvalidTransition, and
        nothing changes, while a queue to drop has calls or a dropped seat's agent
        is logged in."""
        await self._ask(partial(self._reconfigured, tuple(queues), tuple(seats)))

    def _reconfigured(
        self,
        queues: tuple[QueueConfig, ...],
        seats: tuple[AgentSeat, ...],
        now: datetime,
    ) -> list[Action]:
        dropped = self._queue_configs.keys() - {q.queue_id for q in queues}
        gone = self._seats.keys() - {s.profile.agent_id for s in seats}
        busy = [a for a in gone if self.agent(a).state is not AgentState.LOGGED_OUT]
        used = [q for q in dropped if self.engine.size(q)]
        if busy or used:
            raise InvalidTransition(f"in use: agents {busy}, queues {used}")
        before = self._seats
        for config in queues:
            self.engine.configure_queue(config)
            self._track(config, now)
        self.settings = replace(self.settings, queues=queues, agents=seats)
        self._seats = {s.profile.agent_id: s for s in seats}
        self._queue_configs = {q.queue_id: q for q in queues}
        actions: list[Action] = []
        for seat in seats:
            agent_id = seat.profile.agent_id
            logged_in = self.engine.agent(agent_id).state is not AgentState.LOGGED_OUT
            if logged_in and before.get(agent_id) != seat:
                actions += self.engine.update_agent(seat.routing_profile, now)
        for queue_id in dropped:
            self.engine.remove_queue(queue_id)
            self._stats.pop(queue_id, None)
        return actions

    def _track(self, config: QueueConfig, now: datetime) -> None:
        """Keep the queue's live figures (by its current service-level target)."""
        grace = self.settings.abandon_grace_s
        stats_config = StatsConfig.for_queue(config, abandon_grace_s=grace)
        stats = self._stats.get(config.queue_id)
        if stats is None:
            self._stats[config.queue_id] = new_queue_stats(
                config.queue_id, now, config=stats_config
            )
        else:
            self._stats[config.queue_id] = replace(stats, config=stats_config)

    # --- the owner task ---------------------------------------------------------

    async def run(self) -> None:
        """Own the engine until cancelled (give it to a TaskGroup)."""
        now = self._clock.now()
        for config in self.settings.queues:
            self._track(config, now)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._stats_rounds())
            if self.settings.announce_every_s is not None:
                group.create_task(self._announcements(self.settings.announce_every_s))
            try:
                await self._serve()
            finally:
                self.transfers.close()
                self.holds.close()
                for task in list(self._tasks):
                    task.cancel()

    async def _serve(self) -> None:
        while True:
            job = await self._next_job()
            now = self._clock.now()
            actions = self.engine.tick(now)  # what fell due comes before the input
            if job is not None:
                actions += self._apply(job, now)
            await self._carry_out(actions, now)

    async def _next_job(self) -> Job | None:
        deadline = self.engine.next_deadline()
        if deadline is None:
            return await self._inbox.get()
        wait_s = (deadline - self._clock.now()).total_seconds()
        try:
            async with asyncio.timeout(max(0.0, wait_s) / self.settings.time_scale):
                return await self._inbox.get()
        except TimeoutError:
            return None

    def _apply(self, job: Job, now: datetime) -> list[Action]:
        try:
            actions = job.apply(now)
        except Exception as error:
            if not isinstance(error, AcdError):  # a bug: keep serving the others
                log.exception("acd input failed")
            elif job.done is None:
                log.warning("acd input refused: %r", error)
            if job.done is not None and not job.done.done():
                job.done.set_exception(error)
            return []
        if job.done is not None and not job.done.done():
            job.done.set_result(None)
        return actions

    async def _carry_out(self, actions: list[Action], now: datetime) -> None:
        pending = list(actions)
        events: list[AcdEvent] = []
        while pending:
            action = pending.pop(0)
            match action:
                case OfferCall():
                    pending.extend(self._ring(action, now))
                case CancelOffer():
                    self._cancel(action)
                case OfferOptions():
                    log.info(
                        "call=%s queue=%s may leave: %s",
                        action.call_id,
                        action.queue_id,
                        ",".join(action.options),
                    )
                case ExitQueue():
                    self._exit(action)
                case _:
                    events.append(action)
        self._fold(events)
        for event in events:
            await self._publisher.publish(event)

    def _fold(self, events: Sequence[AcdEvent]) -> None:
        if not events:
            return
        self._stats, closed = observe_all(self._stats, events)
        self._agent_stats, agents = observe_agents(self._agent_stats, events)
        self._store(closed, agents)

    # --- statistics -------------------------------------------------------------

    async def _stats_rounds(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stats_every_s / self.settings.time_scale)
            now = self._clock.now()
            self._stats, closed = advance_all(self._stats, now)
            self._agent_stats, agents = advance_agents(self._agent_stats, now)
            self._store(closed, agents)
            for stats in self._stats.values():
                await self._publisher.publish(snapshot(stats, now))

    async def _announcements(self, every_s: float) -> None:
        """Tell each waiting caller's channel their place and expected wait."""
        while True:
            await asyncio.sleep(every_s / self.settings.time_scale)
            for call, waiting in list(self._waiting.items()):
                place = self.place_of(call)
                if place is None:
                    continue
                position, expected = place
                wait = "" if expected is None else str(round(expected))
                await self._tell(waiting, POSITION_VAR, str(position))
                await self._tell(waiting, EXPECTED_WAIT_VAR, wait)

    def _store(
        self, closed: list[IntervalRecord], agents: list[AgentIntervalRecord]
    ) -> None:
        if self._intervals is None:
            return
        if closed:
            self._spawn(self._quietly(self._intervals.save(closed)))
        if agents:
            self._spawn(self._quietly(self._intervals.save_agents(agents)))
