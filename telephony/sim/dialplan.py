"""The simulated dialplan: each channel runs the contexts of the reference
extensions.conf (../shared/asterisk-traces/config/) as one task, and the people
(callers, agent phones, called parties) act through it.

Events come out through `channels.Pbx` in the order the traces show for each channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from telephony.dialplan import (
    ANNOUNCE_EVERY_S,
    ANNOUNCE_EVERY_VARIABLE,
    DEFAULT_QUEUE,
    DEFAULT_QUEUE_VARIABLE,
    MOH_CLASS,
    PBX_ID_VARIABLE,
    WAIT_CONTEXT,
    WAIT_INVALID_EXTEN,
)
from telephony.sim.channels import UNKNOWN, Channel, Event, Pbx
from telephony.sim.dial import dial
from telephony.sim.extensions import PRIORITY_LABELS, ExtensionTable
from telephony.sim.model import AgentPhone, Caller, PartyKind, SimConfig
from telephony.sim.spy import chan_spy
from telephony.sim.wav import GrowingWav

log = logging.getLogger(__name__)

Outcome = Literal["next", "stop", "jump"]
HangKind = Literal["", "peer", "ami", "bridge", "vanish", "optimised"]

PLAYBACK_S = {
    "custom/welcome": 3.35,
    "custom/hello-short": 3.74,
    "custom/hello": 3.98,
    "custom/machine": 6.0,
}
AMD_RESULT = {
    PartyKind.HUMAN: ("HUMAN", "HUMAN-800-800", 1.22),
    PartyKind.MACHINE: ("MACHINE", "LONGGREETING-1500-1500", 2.28),
}
_APPLICATION = re.compile(r"^(\w+)\((.*)\)$")


@dataclass(eq=False)
class Line:
    """What the simulator knows about one channel beyond its AMI state."""

    ch: Channel
    hung: asyncio.Event = field(default_factory=asyncio.Event)
    hung_kind: HangKind = ""
    hung_cause: int = 16
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    busy: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    digits: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    redirect: tuple[str, str, int] | None = None
    caller: Caller | None = None
    agent: AgentPhone | None = None
    party: PartyKind | None = None
    ring_s: float = 0.0
    talk_s: float | None = None
    in_agi: bool = False
    mix: GrowingWav | None = None
    mix_started: float = 0.0
    bridged: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateRequest:
    """An Originate as the AMI action gives it (already validated)."""

    channel: str
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    data: str = ""
    callerid: tuple[str, str] | None = None
    variables: tuple[tuple[str, str], ...] = ()
    timeout_s: float = 30.0
    channel_id: str | None = None
    other_channel_id: str | None = None
    action_id: str | None = None
    caller: Caller | None = None
    """Set when the simulator itself places an inbound call: the person's script."""


def parse_callerid(text: str) -> tuple[str, str]:
    """`"Ivan Petrov" <+7495...>` to (number, name), as Asterisk splits it."""
    m = re.match(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$', text)
    if m:
        return m.group(2), m.group(1) or UNKNOWN
    return (text.strip() or UNKNOWN), UNKNOWN


class Dialplan(ExtensionTable):
    """Runs channels. `spawn` owns every task (the simulator's TaskGroup)."""

    def __init__(
        self,
        pbx: Pbx,
        config: SimConfig,
        *,
        rng: random.Random,
        spawn: Callable[[Coroutine[Any, Any, None]], object],
        clock: Callable[[], float],
    ) -> None:
        self.pbx = pbx
        self.config = config
        self.rng = rng
        self.spawn = spawn
        self.clock = clock
        self.lines: dict[Channel, Line] = {}
        self.agents = {a.endpoint: a for a in config.agents}
        self.parties = {p.number: p for p in config.parties}
        self.globals = {
            "AGI_HOST": self.agi_host,
            ANNOUNCE_EVERY_VARIABLE: str(ANNOUNCE_EVERY_S),
            PBX_ID_VARIABLE: config.pbx_id,
            DEFAULT_QUEUE_VARIABLE: DEFAULT_QUEUE,
        }
        self.agi_runner: Callable[[Line, str], Awaitable[str]] | None = None
        self.before_agi_command: Callable[[str, str], Awaitable[None]] | None = None
        """Awaited with (uniqueid, command) as each FastAGI command arrives, before
        it runs: a test sees the world as the command found it."""

    # time --------------------------------------------------------------------
    async def sleep(self, sim_s: float) -> None:
        await asyncio.sleep(max(0.0, sim_s) / self.config.speed)

    async def wait(self, line: Line, sim_s: float | None) -> str:
        """Wait `sim_s` simulated seconds (None: for ever); `hung` or `wake` end it
        early. Returns which of "timeout", "hung", "wake" happened."""
        if line.hung.is_set():
            return "hung"
        if line.wake.is_set():
            line.wake.clear()
            return "wake"
        hung = asyncio.ensure_future(line.hung.wait())
        wake = asyncio.ensure_future(line.wake.wait())
        timeout = None if sim_s is None else max(0.0, sim_s) / self.config.speed
        try:
            await asyncio.wait(
                {hung, wake}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            hung.cancel()
            wake.cancel()
        if line.hung.is_set():
            return "hung"
        if line.wake.is_set():
            line.wake.clear()
            return "wake"
        return "timeout"

    def line(self, ch: Channel) -> Line:
        line = self.lines.get(ch)
        if line is None:
            line = self.lines[ch] = Line(ch)
        return line

    def emit(self, event: Event) -> None:
        self.pbx.emit(event)

    # the runner ----------------------------------------------------------------
    async def run(self, line: Line) -> None:
        """Execute the channel's dialplan from its current location, then hang up."""
        ch = line.ch
        while not line.hung.is_set():
            steps = self.steps(line)
            if steps is None and self.invalid(line):
                continue
            if steps is None or not 1 <= ch.priority <= len(steps):
                break
            app, data = steps[ch.priority - 1]
            data = self.expand(ch, data)
            self.pbx.newexten(ch, app, data)
            outcome = await self.app(line, app, data)
            while ch.bridge is not None and not line.hung.is_set():
                if await self.wait(line, None) == "wake" and line.redirect is not None:
                    outcome = self.take_redirect(line)
            if outcome == "stop":
                break
            if outcome == "next":
                ch.priority += 1
        await self.finish(line)

    def invalid(self, line: Line) -> bool:
        """Asterisk's way on from an extension its context does not have: to the
        context's `i` extension when there is one (True), else the channel leaves
        the dialplan (False)."""
        ch = line.ch
        exten, priority = ch.exten, ch.priority
        ch.exten, ch.priority = WAIT_INVALID_EXTEN, 1
        if self.steps(line) is None:
            ch.exten, ch.priority = exten, priority
            return False
        self.pbx.varset(ch, "INVALID_EXTEN", exten)
        return True

    def take_redirect(self, line: Line) -> Outcome:
        """Leave for the place an AMI Redirect named (leaving any bridge)."""
        assert line.redirect is not None
        ctx, exten, prio = line.redirect
        line.redirect = None
        line.wake.clear()  # the redirect is taken: no stale wake-up for the next app
        bridge = line.ch.bridge
        if bridge is not None and self._all_redirected(bridge.channels, line.ch):
            # A Redirect with ExtraChannel moves both members at once: neither
            # is left behind to be hung up.
            self.pbx.bridge_leave(line.ch)
        elif bridge is not None and len(bridge.channels) > 1:
            # A basic bridge dissolves when a member leaves it for the dialplan
            # (Asterisk's DISSOLVE_HANGUP): the others are hung up, as a Dial's
            # callee or Bridge()'s caller has nowhere to go after it.
            self._teardown(line.ch)
        elif bridge is not None:
            self.pbx.bridge_leave(line.ch)
        line.ch.context, line.ch.exten, line.ch.priority = ctx, exten, prio
        return "jump"

    def _all_redirected(self, members: Iterable[Channel], leaving: Channel) -> bool:
        """Whether every other member of a bridge has a Redirect waiting too."""
        others = [c for c in members if c is not leaving]
        return bool(others) and all(
            self.lines.get(c) is not None and self.lines[c].redirect is not None
            for c in others
        )

    async def interrupted(self, line: Line, what: str) -> Outcome | None:
        """After a wait: the outcome to return from the app, or None to go on."""
        if what == "hung":
            return "stop"
        if what == "wake" and line.redirect is not None:
            self.pbx.moh_stop(line.ch)
            return self.take_redirect(line)
        if what == "wake" and line.ch.bridge is not None:
            return "next"
        return None

    async def app(self, line: Line, app: str, data: str) -> Outcome:
        ch = line.ch
        match app:
            case "Answer":
                if ch.state != "Up":
                    if line.ring_s > 0 and await self.wait(line, line.ring_s) == "hung":
                        return "stop"
                    self.answer(line)
                    await asyncio.sleep(0)
                return "next"
            case "Hangup":
                return "stop"
            case "Wait" | "Playback" | "MusicOnHold":
                return await self._timed(line, app, data)
            case "AGI":
                return await self._agi(line, data)
            case "AMD":
                return await self._amd(line)
            case "Dial":
                return await dial(self, line, data)
            case "ChanSpy":
                return await chan_spy(self, line, data)
            case "Busy":
                self.pbx.newstate(ch, "Busy")
                line.busy.set()
                await self.wait(line, float(data or 0))
                return "stop"
            case "Goto":
                self._goto(ch, data)
                return "jump"
            case "Set":
                self._set(ch, data)
                return "next"
            case "ExecIf":
                return self._exec_if(line, data)
            case _:
                return "next"

    def _exec_if(self, line: Line, data: str) -> Outcome:
        """ExecIf(condition?Set(name=value)): the one application the reference
        dialplan runs on a condition."""
        condition, _, then = data.partition("?")
        call = _APPLICATION.match(then.partition(":")[0])
        if call is None or call[1] != "Set":
            log.warning("ExecIf(%s) is not simulated", data)
        elif condition.strip() not in ("", "0"):
            self._set(line.ch, call[2])
        return "next"

    def _set(self, ch: Channel, data: str) -> None:
        name, _, value = data.partition("=")
        self.pbx.varset(ch, name.strip(), value)

    def _goto(self, ch: Channel, data: str) -> None:
        """Goto([[context,]exten,]priority); a priority may be a label (an unknown
        one leaves the dialplan, as Asterisk does)."""
        *where, prio = data.split(",")
        if len(where) == 2:
            ch.context, ch.exten = where
        elif len(where) == 1:
            ch.exten = where[0]
        labels = PRIORITY_LABELS.get((ch.context, ch.exten), {})
        ch.priority = int(prio) if prio.isdigit() else labels.get(prio, 0)

    def answer(self, line: Line) -> None:
        self.pbx.newstate(line.ch, "Up")
        line.answered.set()

    async def _timed(self, line: Line, app: str, data: str) -> Outcome:
        ch = line.ch
        if app == "MusicOnHold":
            moh_class, _, seconds = data.partition(",")
            self.pbx.moh_start(ch, moh_class or "default")
            duration = float(seconds) if seconds else None
            if line.caller is not None and ch.context != WAIT_CONTEXT:
                duration = None  # a scripted caller decides when the call ends
        elif app == "Playback":
            duration = PLAYBACK_S.get(data, 2.0)
        else:
            duration = float(data or 0)
        what = await self.wait(line, duration)
        if app == "Playback" and what != "wake":
            self.pbx.varset(ch, "PLAYBACKSTATUS", "SUCCESS")
        if app == "MusicOnHold" and what == "timeout":
            self.pbx.moh_stop(ch)
        return await self.interrupted(line, what) or "next"

    async def _amd(self, line: Line) -> Outcome:
        peer = line.ch.peer
        kind = self.line(peer).party if peer is not None else None
        status, cause, took = AMD_RESULT.get(
            kind or PartyKind.HUMAN, AMD_RESULT[PartyKind.HUMAN]
        )
        if await self.wait(line, took) == "hung":
            return "stop"
        self.pbx.varset(line.ch, "AMDSTATUS", status)
        self.pbx.varset(line.ch, "AMDCAUSE", cause)
        return "next"

    async def _agi(self, line: Line, data: str) -> Outcome:
        script = data.rsplit("/", 1)[-1]
        status = "SUCCESS"
        location = (line.ch.context, line.ch.exten, line.ch.priority)
        if self.agi_runner is not None and self.config.agi_host is not None:
            line.in_agi = True
            try:
                status = await self.agi_runner(line, script)
            finally:
                line.in_agi = False
        self.pbx.varset(line.ch, "AGISTATUS", status)
        if line.hung.is_set():
            return "stop"
        if line.redirect is not None:
            return self.take_redirect(
                line
            )  # an AMI Redirect ended the AGI (async goto)
        if (line.ch.context, line.ch.exten, line.ch.priority) != location:
            return "jump"  # SET CONTEXT/EXTENSION/PRIORITY: the dialplan goes on there
        return "next"

    # hanging up ------------------------------------------------------------------
    def hang(self, line: Line, kind: HangKind, cause: int) -> None:
        if not line.hung.is_set():
            line.hung_kind, line.hung_cause = kind, cause
            line.hung.set()

    def hangup_from_ami(self, ch: Channel) -> None:
        self.hang(self.line(ch), "ami", 0)

    async def finish(self, line: Line) -> None:
        """The channel's end, as the traces show it for each way of ending."""
        ch = line.ch
        if ch.dead:
            return
        kind = line.hung_kind
        if kind in ("vanish", "optimised"):
            return
        self.pbx.moh_stop(ch)
        self.stop_mix(line)
        peer = ch.peer if ch.peer is not None and not ch.peer.dead else None
        was_bridged = ch.bridge is not None
        if ch.bridge is not None:
            self._teardown(ch)
            if kind == "":
                kind = "bridge"
        if kind == "bridge":
            if ch.app == "Bridge":  # a Dial's callee reports no Bridge() result
                self.pbx.varset(ch, "BRIDGERESULT", "SUCCESS")
        elif kind != "peer" or not was_bridged:
            self.pbx.soft_hangup_request(ch, 16)
        if peer is not None:
            peer_line = self.line(peer)
            request = 0 if kind == "ami" else 16
            if not peer_line.hung.is_set():
                self.pbx.hangup_request(peer, request)
                self.hang(peer_line, "peer", 0 if peer_line.in_agi else 16)
        cause = {"ami": 0, "peer": line.hung_cause, "bridge": 16}.get(kind, 16)
        self.pbx.hangup(ch, cause)
        if kind == "ami" and peer is not None and peer.bridge is not None:
            # A late caller-id update from the bridged half (inbound-spine.ami.txt).
            self.pbx.caller_id(ch, peer.con_num, peer.con_name)
        self.pbx.device_state(ch.device, "NOT_INUSE")
        self.lines.pop(ch, None)

    def _teardown(self, ch: Channel) -> None:
        bridge = ch.bridge
        assert bridge is not None
        # The channel hanging up leaves first; the bridge then dissolves.
        members = [ch, *(m for m in bridge.channels if m is not ch)]
        for m in members:
            self.pbx.varset(m, "BRIDGEPEER", "")
        for m in members:
            self.pbx.bridge_leave(m)
        self.pbx.bridge_destroy(bridge)
        for m in members:
            if m is not ch:
                self.hang(self.line(m), "bridge", 16)

    def stop_mix(self, line: Line) -> None:
        if line.mix is not None:
            line.mix.advance_to(self.clock() - line.mix_started)
            line.mix.close()
            line.mix = None

    # bridging ----------------------------------------------------------------------
    def bridge(
        self,
        agent: Line,
        target: Line,
        *,
        before_enter: Callable[[], None] = lambda: None,
    ) -> None:
        """Put two channels in one basic bridge (the Bridge() application)."""
        bridge = self.pbx.bridge_create()
        self.pbx.moh_stop(target.ch)
        before_enter()
        target.ch.priority += 1
        self.pbx.bridge_enter(bridge, target.ch)
        self.pbx.bridge_enter(bridge, agent.ch, linkedid=target.ch.linkedid)
        self.pbx.varset(target.ch, "BRIDGEPEER", agent.ch.name)
        self.pbx.varset(agent.ch, "BRIDGEPEER", target.ch.name)
        self.pbx.connected_line(agent.ch, target.ch.cid_num, target.ch.cid_name)
        self.pbx.connected_line(target.ch, agent.ch.cid_num, agent.ch.cid_name)
        target.wake.set()
        target.bridged.set()
        agent.bridged.set()

    def hold(self, ch: Channel, *, on: bool) -> None:
        """`ch` (an agent's phone) puts its call on hold, or takes it off: the
        channels bridged with it hear music on hold, as Asterisk plays it to a
        held bridge peer (MusicOnHoldStart/Stop, inbound-spine.ami.txt)."""
        bridge = ch.bridge
        for other in [] if bridge is None else bridge.channels:
            if other is ch:
                continue
            if on and not other.moh:
                self.pbx.moh_start(other, MOH_CLASS)
            elif not on:
                self.pbx.moh_stop(other)

    def record_path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self.config.recordings_dir / path
