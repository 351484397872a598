"""The ACD shell's PBX side: rings agents (into a waiting caller, or out to a number
for a callback), reports ring outcomes to the owner task, and carries calls out of
the queue. No routing decisions here (they are `acd.engine`'s).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from acd.agent_stats import AgentStats
from acd.callbacks import Callback, customer_answered, rule_for
from acd.engine import AcdEngine, Action
from acd.events import CallbackGaveUp
from acd.model import (
    AgentId,
    AgentProfile,
    CallPhase,
    CancelOffer,
    ConnectedCall,
    ExitKind,
    ExitQueue,
    ExitReason,
    OfferCall,
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
    QueueStats,
)
from telephony import dialplan
from telephony.dialplan import OUTBOUND_CONTEXT, QUEUE_EXIT_CONTEXT, agent_channel
from telephony.errors import PbxError
from telephony.model import Call, CallId, ChannelId, PbxId, call_id
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

T = TypeVar("T")
Apply = Callable[[datetime], list[Action]]

POSITION_VAR = dialplan.QUEUE_POSITION_VARIABLE
EXPECTED_WAIT_VAR = dialplan.EXPECTED_WAIT_VARIABLE
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
    pbx_id: PbxId | None = None
    """The PBX the phone is registered on: the agent takes only calls there (None:
    any PBX, as with a single one)."""

    @property
    def routing_profile(self) -> AgentProfile:
        """The profile the engine routes by, on the seat's PBX."""
        if self.pbx_id is None or self.profile.pbx_id == self.pbx_id:
            return self.profile
        return replace(self.profile, pbx_id=self.pbx_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class AcdSettings:
    pbx_id: PbxId
    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentSeat, ...]
    default_queue: QueueId | None = None
    """Where a call asking for an unknown queue goes (None: it is refused)."""
    stats_every_s: float = 1.0
    """Clock seconds between QueueStatsUpdated rounds."""
    abandon_grace_s: float = 5.0
    time_scale: float = 1.0
    """Clock seconds per wall second (the clock may run fast in simulations)."""
    caller_check_s: float = 0.1
    """Wall seconds between looks at a ringing offer's caller leg."""
    presence_grace_s: float = 20.0
    """Clock seconds an agent's desktop may be away (a page reload) before the
    agent counts as disconnected."""
    callback_attempts: int = 3
    """Tries to reach a caller who asked for a callback (a queue may override)."""
    callback_retry_s: float = 300.0
    """Clock seconds between those tries (a queue may override)."""
    announce_every_s: float | None = None
    """Clock seconds between position and expected-wait updates on each waiting
    caller's channel (`CC_QUEUE_POSITION`, `CC_EXPECTED_WAIT_S`); None: none."""


@dataclass(slots=True)
class Job:
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


class Dialing:
    """The state the owner task shares with the PBX side, and the PBX side itself;
    `acd.service.AcdService` adds the inputs and the owner task."""

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
        self._queue_configs = {q.queue_id: q for q in settings.queues}
        self._inbox: asyncio.Queue[Job] = asyncio.Queue()
        self._waiting: dict[CallId, WaitingCall] = {}
        self._offers: dict[AgentId, _Offer] = {}
        self._ended: OrderedDict[CallId, None] = OrderedDict()
        self._callbacks: dict[CallId, Callback] = {}
        """Calls whose caller hung up to be called back: the number and tries."""
        self._exited: OrderedDict[CallId, WaitingCall] = OrderedDict()
        """Calls that left by the callback exit: the queue-exit script may still
        ask for the callback (`request_callback`)."""
        self._connected: dict[AgentId, ConnectedCall] = {}
        """Each agent's answered call (for transfers and the agent's hang-up)."""
        self._aliases: dict[CallId, CallId] = {}
        """A callback's own telephony call id -> the queued call it serves."""
        self._stats: dict[QueueId, QueueStats] = {}
        self._agent_stats: dict[AgentId, AgentStats] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        for config in settings.queues:
            engine.configure_queue(config)

    def _ended_call(
        self, ended: CallId, now: datetime, *, pbx_gone: bool = False
    ) -> list[Action]:
        served = self._aliases.pop(ended, None)
        if served is not None:  # the callback's own call ended
            callback = self._callbacks.get(served)
            if callback is not None and not callback.reached:
                return self._callback_failed(served, now)
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
        self._forget_connected(ended)
        return self.engine.hang_up(ended, now, pbx_gone=pbx_gone)

    def _callback_failed(self, served: CallId, now: datetime) -> list[Action]:
        """A try failed (the ring could not be placed, or the customer's leg did
        not answer): try again after the rule's interval, keeping the caller's
        place (their first arrival), or give up after the last try."""
        callback, waiting = self._callbacks[served], self._waiting[served]
        queue_id = self.engine.call_queue(served) or waiting.request.queue_id
        connected = self.engine.call_phase(served) is CallPhase.CONNECTED
        actions = self.engine.hang_up(served, now) if connected else []
        self._forget_connected(served)
        callback.attempts += 1
        callback.reached = False
        rule = rule_for(
            self._queue_configs.get(queue_id),
            attempts=self.settings.callback_attempts,
            retry_s=self.settings.callback_retry_s,
        )
        log.info("call=%s callback try %d failed", served, callback.attempts)
        if callback.attempts < rule.attempts:
            until = now + timedelta(seconds=rule.retry_s)
            if connected:
                request = replace(waiting.request, queue_id=queue_id)
                return actions + self.engine.enqueue(
                    request, now, callback=True, not_before=until, returning=True
                )
            return self.engine.defer(served, now, until=until)
        if not connected:
            actions = self.engine.leave(
                served,
                now,
                exit_kind=ExitKind.CALLBACK,
                reason=ExitReason.CALLBACK_FAILED,
            )
        del self._callbacks[served]
        self._waiting.pop(served, None)
        gave_up = CallbackGaveUp(
            call_id=served,
            queue_id=queue_id,
            number=callback.number,
            attempts=callback.attempts,
            at=now,
        )
        return [*actions, gave_up]

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
        callback = self._callbacks.get(offer.call_id)
        if offer.callback and callback is not None:
            self._spawn(self._dial_back(record, seat, waiting.pbx_id, callback))
        else:
            self._spawn(self._dial(record, seat, waiting))
        return self.engine.ringing(offer.agent_id, now)

    async def _dial_back(
        self, record: _Offer, seat: AgentSeat, pbx_id: PbxId, callback: Callback
    ) -> None:
        """Ring the agent; once they answer, their leg dials the caller's number
        (watched until the customer's leg answers, to tell a failed try)."""
        # The originated channel starts its own call: its Linkedid is its Uniqueid.
        alias = call_id(pbx_id, record.channel_id)
        self._aliases[alias] = record.offer.call_id
        number = callback.number
        callback.reached = self._calls is None  # without a locator: cannot tell
        label = f'"Callback {record.offer.queue_id}" <{number}>'
        target = _Target(context=OUTBOUND_CONTEXT, exten=number)
        answered = await self._originate(record, seat, pbx_id, label, target)
        if not answered:
            self._aliases.pop(alias, None)
        self._report(record, answered=answered)
        if answered:
            await self._watch_customer(pbx_id, record, seat, callback)

    async def _watch_customer(
        self, pbx_id: PbxId, record: _Offer, seat: AgentSeat, callback: Callback
    ) -> None:
        """Note when the customer's leg of the callback answers; stop when the
        callback's call is gone."""
        if self._calls is None:
            return
        while not callback.reached:
            call = self._calls.call_of_channel(pbx_id, record.channel_id)
            if call is None:
                return
            callback.reached = customer_answered(call, endpoint=seat.endpoint)
            await asyncio.sleep(self.settings.caller_check_s)

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
                    Job(lambda now: self._ended_call(offer.call_id, now))
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
            Job(lambda now: self._ring_outcome(record, answered=answered, now=now))
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
            actions = self.engine.answer(agent_id, now)
            self._note_connected(record)
            return actions
        if record.fault and record.offer.callback:
            return self._callback_failed(record.offer.call_id, now)
        actions = self.engine.no_answer(agent_id, now)
        if record.fault:  # the call is back at the head; the agent is not to blame
            actions += self.engine.resume(agent_id, now)
        return actions

    def _note_connected(self, record: _Offer) -> None:
        offer = record.offer
        waiting = self._waiting.get(offer.call_id)
        self._connected[offer.agent_id] = ConnectedCall(
            call_id=offer.call_id,
            queue_id=offer.queue_id,
            pbx_id=waiting.pbx_id if waiting is not None else self.settings.pbx_id,
            caller_channel=(
                waiting.channel if waiting is not None and not offer.callback else None
            ),
            agent_leg=record.channel_id,
        )

    def live_call(self, call_id: CallId) -> Call | None:
        """The PBX's live call an ACD call is (None: ended, or no call locator),
        found by the caller's channel or an agent's leg."""
        if self._calls is None:
            return None
        anchors = [
            (c.pbx_id, c.agent_leg)
            for c in self._connected.values()
            if c.call_id == call_id
        ]
        waiting = self._waiting.get(call_id)
        if waiting is not None and waiting.channel_id is not None:
            anchors.insert(0, (waiting.pbx_id, waiting.channel_id))
        for pbx_id, channel_id in anchors:
            call = self._calls.call_of_channel(pbx_id, channel_id)
            if call is not None:
                return call
        return None

    def _forget_connected(self, call: CallId) -> None:
        for agent_id in [a for a, c in self._connected.items() if c.call_id == call]:
            del self._connected[agent_id]

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
        if waiting is None or exit.reason is ExitReason.CALLBACK_FAILED:
            return  # the caller hung up long ago
        if exit.exit.kind is ExitKind.CALLBACK:
            self._exited[exit.call_id] = waiting
            while len(self._exited) > _ENDED_MEMORY:
                self._exited.popitem(last=False)
        self._spawn(self._quietly(self._send_out(waiting, exit.exit.kind)))

    async def _send_out(self, waiting: WaitingCall, kind: ExitKind) -> None:
        """Tell the caller's channel how it left, then take it there: voicemail and
        callback run in `QUEUE_EXIT_CONTEXT` (which reads `CC_QUEUE`, still set)."""
        pbx, pbx_id, channel = self._pbx, waiting.pbx_id, waiting.channel
        await pbx.set_var(pbx_id, channel=channel, name=EXIT_VAR, value=kind)
        match kind:
            case ExitKind.VOICEMAIL | ExitKind.CALLBACK:
                await pbx.redirect(
                    pbx_id,
                    channel=channel,
                    context=QUEUE_EXIT_CONTEXT,
                    exten=kind.value,
                    priority=1,
                )
            case ExitKind.HANGUP:
                await pbx.hangup(pbx_id, channel=channel)
            case ExitKind.QUEUE:  # the engine moves the call; it never leaves so
                pass

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
