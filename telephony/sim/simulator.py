"""The PBX simulator: an AMI server and a FastAGI client that behave as Asterisk 20
does, plus the people on the calls. Product code: the demo, the integration tests
and the load benchmarks run on it.

    async with Simulator(SimConfig(agi_port=4573, speed=10)) as sim:
        ami_port = sim.ami_port
        call = await sim.place_inbound(Caller(ani="+74951234567", digits="2"))
        await sim.restart(down_s=0.5)
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from telephony.ami_parse import AmiMessage
from telephony.sim.agi_client import run_agi
from telephony.sim.ami_server import AmiServer, AmiState
from telephony.sim.channels import Channel, Event, Pbx
from telephony.sim.dialplan import Dialplan, OriginateRequest
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.originate import originate
from telephony.sim.shutdown import hang_up_everything, shutdown_event

log = logging.getLogger(__name__)

RECORDING_TICK_S = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundCall:
    """A call the simulator placed: its two channels' Uniqueids (`;1` is the
    caller's own side, `;2` the one that runs cc-inbound and the IVR)."""

    uniqueid: str
    ivr_uniqueid: str
    linkedid: str
    caller: Caller


class Simulator:
    """`async with Simulator(config) as sim:` starts the AMI server (on
    `sim.ami_port`) and owns every task; leaving the block stops everything.

    Public: `ami_port`, `agents`, `actions` (every AMI action received, in order),
    `events` (every event emitted, when `keep_events=True`; `watch` is called
    with each one once it is written to the AMI clients), `place_inbound()`,
    `live_channels()`, `restart()`, `drop_ami_connections()`, `ami_events_held()`,
    `watch_agi()`, `run_load()`, `hold()`, `hangup()`.
    """

    def __init__(
        self,
        config: SimConfig,
        *,
        keep_events: bool = False,
        watch: Callable[[Event], None] | None = None,
    ) -> None:
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311  # repeatable scenarios, not secrets
        self.keep_events = keep_events
        self.events: list[Event] = []
        self._watch = watch
        self._started = time.monotonic()
        self._epoch = config.epoch if config.epoch is not None else int(time.time())
        self._tasks: set[asyncio.Task[None]] = set()
        self.state = AmiState()
        self.pbx = Pbx(epoch=self._epoch, emit=self._emit, clock=self.clock)
        self.dialplan = Dialplan(
            self.pbx, config, rng=self.rng, spawn=self._spawn, clock=self.clock
        )
        self.dialplan.agi_runner = lambda line, script: run_agi(
            self.dialplan, line, script
        )
        self.ami = AmiServer(self.dialplan, self.state, on_restart=self._restart_now)
        self._seq = 0

    # lifecycle ---------------------------------------------------------------
    async def __aenter__(self) -> Simulator:
        await self.ami.start(self.config.host, self.config.ami_port)
        _ = self._spawn(self._recorder())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.ami.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for line in list(self.dialplan.lines.values()):
            self.dialplan.stop_mix(line)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("simulator task failed")

    def clock(self) -> float:
        """Simulated seconds since boot."""
        return (time.monotonic() - self._started) * self.config.speed

    def _emit(self, event: Event) -> None:
        if self.keep_events:
            self.events.append(event)
        self.ami.broadcast(event)
        if self._watch is not None:
            self._watch(event)

    # views -------------------------------------------------------------------
    @property
    def ami_port(self) -> int:
        return self.ami.port

    @property
    def agents(self) -> tuple[AgentPhone, ...]:
        return self.config.agents

    @property
    def actions(self) -> list[AmiMessage]:
        return self.state.actions

    def live_channels(self) -> list[Channel]:
        return list(self.pbx.channels.values())

    def watch_agi(self, hook: Callable[[str, str], Awaitable[None]] | None) -> None:
        """Await `hook(uniqueid, command)` as each FastAGI command arrives, before
        Asterisk would run it (None: stop watching)."""
        self.dialplan.before_agi_command = hook

    @contextmanager
    def ami_events_held(self) -> Iterator[None]:
        """AMI events are held back inside the block and sent, in order, when it
        ends: the manager link lags the calls (FastAGI is a separate socket)."""
        self.ami.hold()
        try:
            yield
        finally:
            self.ami.release()

    # people ------------------------------------------------------------------
    async def place_inbound(self, caller: Caller) -> InboundCall:
        """A caller dials `caller.dnis`: the call reaches cc-inbound (and the
        service's FastAGI `inbound`) at once; the caller hangs up on their own
        after `patience_s` unless an agent is bridged, then after `talk_s`."""
        self._seq += 1
        uid = self.pbx.next_uid()
        req = OriginateRequest(
            channel=f"Local/{caller.dnis}@cc-inbound",
            context="cc-party",
            exten="human",
            callerid=(caller.ani, caller.name or "<unknown>"),
            timeout_s=30.0,
            channel_id=uid,
            other_channel_id=self.pbx.next_uid(),
            caller=caller,
        )
        assert req.other_channel_id is not None
        _ = self._spawn(originate(self.dialplan, req, (caller.dnis, "cc-inbound")))
        await asyncio.sleep(0)
        _ = self._spawn(self._caller_behaviour(uid, caller))
        return InboundCall(
            uniqueid=uid, ivr_uniqueid=req.other_channel_id, linkedid=uid, caller=caller
        )

    async def _caller_behaviour(self, uid: str, caller: Caller) -> None:
        ch = self.pbx.find(uid)
        if ch is None:
            return
        dp = self.dialplan
        line = dp.line(ch)
        ivr = ch.peer
        ivr_line = dp.line(ivr) if ivr is not None else line
        patience = caller.patience_s
        waits = [
            asyncio.ensure_future(e.wait())
            for e in (line.hung, ivr_line.bridged, ivr_line.hung)
        ]
        try:
            timeout = None if patience is None else patience / self.config.speed
            await asyncio.wait(
                waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waits:
                w.cancel()
        if line.hung.is_set():
            return
        if ivr_line.bridged.is_set():
            await dp.wait(line, caller.talk_s)
        if not ch.dead and not line.hung.is_set():
            dp.hangup_from_ami(ch)

    def hold(self, uniqueid_or_name: str, *, on: bool = True) -> bool:
        """The phone on this channel holds its call (`on=False`: resumes): the
        party bridged with it hears music. False if the channel is gone."""
        ch = self.pbx.find(uniqueid_or_name)
        if ch is None:
            return False
        self.dialplan.hold(ch, on=on)
        return True

    def hangup(self, uniqueid_or_name: str) -> bool:
        """Hang a channel up as the AMI Hangup action does; False if it is gone."""
        ch = self.pbx.find(uniqueid_or_name)
        if ch is None:
            return False
        self.dialplan.hangup_from_ami(ch)
        return True

    async def run_load(self, calls_per_s: float, duration_s: float) -> int:
        """Place `calls_per_s` inbound calls per (wall) second for `duration_s`
        seconds, with callers drawn from the seed. Returns how many were placed."""
        placed = 0
        interval = 1.0 / calls_per_s
        start = time.monotonic()
        while time.monotonic() - start < duration_s:
            caller = self.random_caller()
            await self.place_inbound(caller)
            placed += 1
            due = start + placed * interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return placed

    def random_caller(self) -> Caller:
        rng = self.rng
        return Caller(
            ani=f"+7495{rng.randrange(10**7):07d}",
            name=rng.choice(["Ivan Petrov", "Anna Smirnova", "Unknown", ""]),
            dnis=rng.choice(["2001", "2002", "2003"]),
            digits="".join(rng.choice("123") for _ in range(rng.randrange(0, 3))),
            digit_delay_s=round(rng.uniform(0.5, 2.5), 2),
            patience_s=round(rng.uniform(20, 120), 1),
            talk_s=round(rng.uniform(30, 240), 1),
        )

    # faults ------------------------------------------------------------------
    async def drop_ami_connections(self) -> None:
        """Close every AMI connection (a network fault); calls go on, and events
        emitted while no client is logged in are lost, as with a real Asterisk."""
        self.ami.drop_all()
        await asyncio.sleep(0)

    async def restart(
        self, down_s: float = 0.5, boot_s: float = 0.0, *, announce: bool | None = None
    ) -> None:
        """`core restart now`: every call and FastAGI session is gone, logins get
        `Asterisk is shutting down` for `down_s` (wall seconds); then Asterisk
        boots afresh (Uptime 0, new Uniqueids, channel counters from 0) and logins
        work again. During `boot_s` logins are accepted and `FullyBooted` follows
        when boot ends.

        Announced (`announce`, default `config.shutdown_events`), every channel is
        hung up with the shutdown cause and `Shutdown` sent before the AMI sockets
        close (restart-with-shutdown.ami.txt); otherwise they just close, without
        Hangup or Shutdown events (restart.ami.txt)."""
        self.state.shutting_down = True
        if self.config.shutdown_events if announce is None else announce:
            hang_up_everything(self.pbx)
            self._emit(shutdown_event(restart=True))
            await asyncio.sleep(0)
        self.ami.drop_all()
        dp = self.dialplan
        for line in list(dp.lines.values()):
            dp.stop_mix(line)
            dp.hang(line, "vanish", 0)
        self.pbx.forget_all()
        dp.lines.clear()
        await asyncio.sleep(down_s)
        self._started = time.monotonic()
        self.state.booted_at = self._started
        self._epoch = max(int(time.time()), self._epoch + 1)
        self.pbx.epoch = self._epoch
        self.pbx._uid_seq = 0
        self.pbx._local_seq = 0
        self.state.shutting_down = False
        if boot_s > 0:
            self.state.booting = True
            await asyncio.sleep(boot_s)
            self.state.booting = False
            self.ami.fully_booted_broadcast()

    async def _restart_now(self) -> None:
        await self.restart()

    async def _recorder(self) -> None:
        """Grow every MixMonitor file with the call's audio so far."""
        dp = self.dialplan
        while True:
            await asyncio.sleep(RECORDING_TICK_S)
            now = self.clock()
            for line in list(dp.lines.values()):
                if line.mix is not None:
                    line.mix.advance_to(now - line.mix_started)
