"""The ACD shell: one task owns the routing engine, rings agents through the PBX,
feeds ring outcomes and hang-ups back, and publishes events and live figures.

No routing decisions here (they are `acd.engine`'s); no waiting on the PBX inside
the owner task (rings and hang-ups run in their own tasks and report back).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from acd.engine import AcdEngine, Action, AgentView
from acd.errors import (
    AcdError,
    DuplicateCall,
    InvalidTransition,
    UnknownAgent,
    UnknownQueue,
)
from acd.events import AcdEvent, QueueStatsUpdated
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallPhase,
    CancelOffer,
    ExitKind,
    ExitQueue,
    OfferCall,
    OfferOptions,
    QueueConfig,
    QueueId,
)
from acd.ports import (
    CallLocator,
    Clock,
    IntervalStore,
    Publisher,
    WaitingCall,
)
from acd.stats import (
    IntervalRecord,
    QueueStats,
    StatsConfig,
    advance_all,
    expected_wait_s,
    new_queue_stats,
    observe_all,
    snapshot,
)
from telephony.dialplan import OUTBOUND_CONTEXT, agent_channel
from telephony.errors import PbxError
from telephony.events import CallEnded
from telephony.model import CallId, ChannelId, PbxId, call_id
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

T = TypeVar("T")
Apply = Callable[[datetime], list[Action]]

POSITION_VAR = "CC_QUEUE_POSITION"
EXPECTED_WAIT_VAR = "CC_EXPECTED_WAIT_S"
"""Whole seconds; empty when there is no basis for an estimate yet."""
EXIT_VAR = "CC_ACD_EXIT"
"""Set on a caller's channel leaving the queue without an agent (voicemail,
callback, hangup), for the dialplan or IVR to act on."""
_ENDED_MEMORY = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSeat:
    """An agent the ACD may route to: their phone and their routing profile."""

    profile: AgentProfile
    endpoint: str
    """The phone endpoint rung through `Local/<endpoint>@cc-agent`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AcdSettings:
    pbx_id: PbxId
    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentSeat, ...]
    default_queue: QueueId | None = None
    """Where a call asking for an unknown queue goes (None: it is refused)."""
    stats_every_s: float = 1.0
    """Wall seconds between QueueStatsUpdated rounds."""
    abandon_grace_s: float = 5.0
    time_scale: float = 1.0
    """Clock seconds per wall second (the clock may run fast in simulations)."""
    caller_check_s: float = 0.1
    """Wall seconds between looks at a ringing offer's caller leg."""
    announce_every_s: float | None = None
    """Clock seconds between position and expected-wait updates on each waiting
    caller's channel (`CC_QUEUE_POSITION`, `CC_EXPECTED_WAIT_S`); None: none."""


@dataclass(slots=True)
class _Job:
    apply: Apply
    done: asyncio.Future[None] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Target:
    """Where an agent's answered leg goes: a Bridge into the caller, or a number."""

    application: str | None = None
    data: str = ""
    context: str | None = None
    exten: str | None = None


@dataclass(slots=True, eq=False)
class _Offer:
    offer: OfferCall
    channel_id: ChannelId
    cancelled: bool = False
    fault: bool = False
    """The PBX failed (connection lost, timeout): not the agent's doing."""


class AcdService:
    """Runs the ACD until cancelled (`run()`); queue requests arrive through
    `call_waits`, call ends through `on_call_ended`, callbacks through
    `request_callback`; agents act through `login`, `logout`, `pause`, `ready` and
    `finish_wrap_up` (which raise `AcdError`). `calls` (the bridge's tracker) lets
    it notice a caller hanging up while an agent's phone rings."""

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
        self.engine = engine
        self._pbx = pbx
        self._publisher = publisher
        self._clock = clock
        self.settings = settings
        self._intervals = intervals
        self._calls = calls
        self._seats = {s.profile.agent_id: s for s in settings.agents}
        self._inbox: asyncio.Queue[_Job] = asyncio.Queue()
        self._waiting: dict[CallId, WaitingCall] = {}
        self._offers: dict[AgentId, _Offer] = {}
        self._ended: OrderedDict[CallId, None] = OrderedDict()
        self._callbacks: dict[CallId, str] = {}
        """Calls whose caller hung up to be called back, and the number to dial."""
        self._aliases: dict[CallId, CallId] = {}
        """A callback's own telephony call id -> the queued call it serves."""
        self._stats: dict[QueueId, QueueStats] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        for config in settings.queues:
            engine.configure_queue(config)

    # --- inputs -----------------------------------------------------------------

    async def call_waits(self, waiting: WaitingCall) -> None:
        """`QueueRequests`: queue a caller on hold (see acd.ports)."""
        self._inbox.put_nowait(_Job(lambda now: self._enqueue(waiting, now)))

    async def on_call_ended(self, event: CallEnded) -> None:
        """Bus handler for `CallEnded`: abandon or wrap up the call."""
        self._inbox.put_nowait(_Job(lambda now: self._ended_call(event.call_id, now)))

    async def request_callback(self, call_id: CallId, *, number: str) -> None:
        """The waiting caller will hang up and be called back on `number`: the call
        keeps its place; when its turn comes the agent's phone rings first, then
        the number is dialled. UnknownCall if the call is not waiting."""
        await self._ask(lambda now: self._want_callback(call_id, number, now))

    async def login(self, agent_id: AgentId) -> AgentView:
        seat = self._seats.get(agent_id)
        if seat is None:
            raise UnknownAgent(agent_id)
        await self._ask(lambda now: self.engine.login(seat.profile, now))
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

    async def poke(self) -> None:
        """Apply whatever fell due by the clock's now (for clocks moved by hand)."""
        await self._ask(lambda now: [])

    async def _ask(self, apply: Apply) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Job(apply, done))
        await done

    # --- the owner task ---------------------------------------------------------

    async def run(self) -> None:
        """Own the engine until cancelled (give it to a TaskGroup)."""
        now = self._clock.now()
        grace = self.settings.abandon_grace_s
        for config in self.settings.queues:
            stats_config = StatsConfig.for_queue(config, abandon_grace_s=grace)
            self._stats[config.queue_id] = new_queue_stats(
                config.queue_id, now, config=stats_config
            )
        async with asyncio.TaskGroup() as group:
            group.create_task(self._stats_rounds())
            if self.settings.announce_every_s is not None:
                group.create_task(self._announcements(self.settings.announce_every_s))
            try:
                await self._serve()
            finally:
                for task in list(self._tasks):
                    task.cancel()

    async def _serve(self) -> None:
        while True:
            job = await self._next_job()
            now = self._clock.now()
            actions: list[Action] = []
            if job is not None:
                actions = self._apply(job, now)
            actions += self.engine.tick(now)
            await self._carry_out(actions, now)

    async def _next_job(self) -> _Job | None:
        deadline = self.engine.next_deadline()
        if deadline is None:
            return await self._inbox.get()
        wait_s = (deadline - self._clock.now()).total_seconds()
        try:
            async with asyncio.timeout(max(0.0, wait_s) / self.settings.time_scale):
                return await self._inbox.get()
        except TimeoutError:
            return None

    def _apply(self, job: _Job, now: datetime) -> list[Action]:
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
        self._store(closed)

    # --- what the owner does ----------------------------------------------------

    def _enqueue(self, waiting: WaitingCall, now: datetime) -> list[Action]:
        request = waiting.request
        if request.call_id in self._ended:
            log.info("call=%s ended before it was queued", request.call_id)
            return []
        known = {q.queue_id for q in self.settings.queues}
        if request.queue_id not in known:
            fallback = self.settings.default_queue
            log.warning(
                "call=%s asked for unknown queue=%r; default=%s",
                request.call_id,
                request.queue_id,
                fallback,
            )
            if fallback is None:
                raise UnknownQueue(request.queue_id)
            request = replace(request, queue_id=fallback)
        try:
            actions = self.engine.enqueue(request, now)
        except DuplicateCall:
            log.warning("call=%s is already queued", request.call_id)
            return []
        self._waiting[request.call_id] = waiting
        return actions

    def _want_callback(
        self, call_id: CallId, number: str, now: datetime
    ) -> list[Action]:
        actions = self.engine.request_callback(call_id, now)
        self._callbacks[call_id] = number
        return actions

    def _ended_call(self, ended: CallId, now: datetime) -> list[Action]:
        served = self._aliases.pop(ended, None)
        if served is not None:  # the callback's own call ended
            self._callbacks.pop(served, None)
            ended = served
        elif ended in self._callbacks:
            if self.engine.call_phase(ended) is not CallPhase.CONNECTED:
                return []  # hung up to wait for the callback: keeps its place
            del self._callbacks[ended]
        self._ended[ended] = None
        while len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)
        self._waiting.pop(ended, None)
        return self.engine.hang_up(ended, now)

    def _ring(self, offer: OfferCall, now: datetime) -> list[Action]:
        """Start ringing the agent; returns the engine's actions for `ringing`."""
        seat = self._seats.get(offer.agent_id)
        waiting = self._waiting.get(offer.call_id)
        record = _Offer(offer=offer, channel_id=ChannelId(f"acd-{uuid.uuid4().hex}"))
        self._offers[offer.agent_id] = record
        if seat is None or waiting is None:
            log.warning(
                "call=%s agent=%s: nothing to ring", offer.call_id, offer.agent_id
            )
            self._report(record, answered=False)
            return []
        if offer.callback:
            number = self._callbacks.get(offer.call_id, "")
            self._spawn(self._dial_back(record, seat, waiting.pbx_id, number))
        else:
            self._spawn(self._dial(record, seat, waiting))
        return self.engine.ringing(offer.agent_id, now)

    async def _dial_back(
        self, record: _Offer, seat: AgentSeat, pbx_id: PbxId, number: str
    ) -> None:
        """Ring the agent; once they answer, their leg dials the caller's number."""
        # The originated channel starts its own call: its Linkedid is its Uniqueid.
        alias = call_id(pbx_id, record.channel_id)
        self._aliases[alias] = record.offer.call_id
        label = f'"Callback {record.offer.queue_id}" <{number}>'
        target = _Target(context=OUTBOUND_CONTEXT, exten=number)
        answered = await self._originate(record, seat, pbx_id, label, target)
        if not answered:
            self._aliases.pop(alias, None)
        self._report(record, answered=answered)

    async def _dial(
        self, record: _Offer, seat: AgentSeat, waiting: WaitingCall
    ) -> None:
        offer = record.offer
        label = f'"Queue {offer.queue_id}" <{waiting.request.call_id}>'
        target = _Target(application="Bridge", data=waiting.channel)
        ringing = asyncio.ensure_future(
            self._originate(record, seat, waiting.pbx_id, label, target)
        )
        watch = asyncio.ensure_future(self._caller_left(waiting))
        try:
            await asyncio.wait((ringing, watch), return_when=asyncio.FIRST_COMPLETED)
            if watch.done() and watch.result():
                # The agent's leg keeps the call alive, so no CallEnded comes yet.
                log.info("call=%s caller hung up during the ring", offer.call_id)
                self._inbox.put_nowait(
                    _Job(lambda now: self._ended_call(offer.call_id, now))
                )
            answered = await ringing
        finally:
            watch.cancel()
            ringing.cancel()
        self._report(record, answered=answered)

    async def _originate(
        self,
        record: _Offer,
        seat: AgentSeat,
        pbx_id: PbxId,
        label: str,
        target: _Target,
    ) -> bool:
        """Ring the agent's phone into `target`; True once they answered."""
        offer = record.offer
        try:
            result = await self._pbx.originate(
                pbx_id,
                channel=agent_channel(seat.endpoint),
                caller_id=label,
                timeout_s=offer.ring_timeout_s,
                channel_id=record.channel_id,
                application=target.application,
                data=target.data,
                context=target.context,
                exten=target.exten,
            )
        except PbxError as error:
            log.warning("call=%s agent=%s ring failed: %r", offer.call_id, seat, error)
            record.fault = True
            return False
        if not result.success:
            log.info("call=%s not answered: reason=%s", offer.call_id, result.reason)
        return result.success

    async def _caller_left(self, waiting: WaitingCall) -> bool:
        """True once the caller's own leg has hung up (never, without a locator)."""
        if self._calls is None or waiting.channel_id is None:
            await asyncio.Event().wait()
            return False
        while True:
            call = self._calls.call_of_channel(waiting.pbx_id, waiting.channel_id)
            legs = [] if call is None else call.legs
            mine = [leg for leg in legs if leg.channel_id == waiting.channel_id]
            if not mine or mine[0].ended_at is not None:
                return True
            await asyncio.sleep(self.settings.caller_check_s)

    def _report(self, record: _Offer, *, answered: bool) -> None:
        self._inbox.put_nowait(
            _Job(lambda now: self._ring_outcome(record, answered=answered, now=now))
        )

    def _ring_outcome(
        self, record: _Offer, *, answered: bool, now: datetime
    ) -> list[Action]:
        agent_id = record.offer.agent_id
        if self._offers.get(agent_id) is not record or record.cancelled:
            if answered:  # the call was taken back meanwhile: free the agent's phone
                self._hang_up_leg(record)
            return []
        del self._offers[agent_id]
        if answered:
            return self.engine.answer(agent_id, now)
        actions = self.engine.no_answer(agent_id, now)
        if record.fault:  # the call is back at the head; the agent is not to blame
            actions += self.engine.resume(agent_id, now)
        return actions

    def _cancel(self, cancel: CancelOffer) -> None:
        record = self._offers.get(cancel.agent_id)
        if record is None or record.offer.call_id != cancel.call_id:
            return
        del self._offers[cancel.agent_id]
        record.cancelled = True
        self._hang_up_leg(record)

    def _hang_up_leg(self, record: _Offer) -> None:
        waiting = self._waiting.get(record.offer.call_id)
        pbx_id = waiting.pbx_id if waiting is not None else self.settings.pbx_id
        self._spawn(self._quietly(self._pbx.hangup(pbx_id, channel=record.channel_id)))

    def _exit(self, exit: ExitQueue) -> None:
        waiting = self._waiting.pop(exit.call_id, None)
        log.info(
            "call=%s left queue=%s: %s -> %s",
            exit.call_id,
            exit.queue_id,
            exit.reason,
            exit.exit.kind,
        )
        if waiting is None:
            return
        pbx, pbx_id, channel = self._pbx, waiting.pbx_id, waiting.channel
        kind = exit.exit.kind
        self._spawn(
            self._quietly(
                pbx.set_var(pbx_id, channel=channel, name=EXIT_VAR, value=kind)
            )
        )
        if kind is ExitKind.HANGUP:
            self._spawn(self._quietly(pbx.hangup(pbx_id, channel=channel)))

    # --- statistics -------------------------------------------------------------

    async def _stats_rounds(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stats_every_s)
            now = self._clock.now()
            self._stats, closed = advance_all(self._stats, now)
            self._store(closed)
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

    async def _tell(self, waiting: WaitingCall, name: str, value: str) -> None:
        pbx_id, channel = waiting.pbx_id, waiting.channel
        await self._quietly(
            self._pbx.set_var(pbx_id, channel=channel, name=name, value=value)
        )

    def _store(self, closed: list[IntervalRecord]) -> None:
        if closed and self._intervals is not None:
            self._spawn(self._quietly(self._intervals.save(closed)))

    # --- tasks ------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _quietly(action: Awaitable[None]) -> None:
        try:
            await action
        except PbxError as error:  # e.g. the channel hung up meanwhile
            log.info("acd side action refused: %r", error)
        except Exception:
            log.exception("acd side action failed")
