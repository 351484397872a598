"""The AMI client for one PBX: login, reconnect with back-off, resync, actions
correlated by ActionID, channel events handed to the call tracker (normalised by
telephony.ami_events), and Asterisk's own shutdown.

Connection and framing are our own (asyncio.Protocol + telephony.ami_parse) rather
than panoramisk's Manager: its reconnect cannot resync before events flow again,
it guesses whether a reply is an event list (replies that never resolve, see the
traces README), and its parser tries every registered pattern on every event.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from telephony.ami_events import (
    BUILDERS,
    NOISE_EVENTS,
    MalformedEvent,
    resynced,
)
from telephony.ami_parse import AmiFramer, AmiMessage, Banner, encode
from telephony.backoff import Backoff
from telephony.channel_events import Resynced, TrackerInput
from telephony.errors import PbxError, PbxTimeout, PbxUnavailable
from telephony.model import PbxId

log = logging.getLogger(__name__)


class LoginRefused(PbxError):
    """The PBX refused the login: a wrong secret, or `Asterisk is shutting down`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AmiConfig:
    """One PBX's AMI endpoint (the plain values of contactcentre's PbxSettings)."""

    pbx_id: PbxId
    host: str
    port: int
    username: str
    secret: str
    connect_timeout_s: float = 5.0
    action_timeout_s: float = 10.0
    ping_interval_s: float = 20.0


class AmiSink(Protocol):
    """Where a client delivers what it learns. Called synchronously, in wire order."""

    def on_input(self, event: TrackerInput) -> None: ...

    def on_connection(self, pbx_id: PbxId, *, up: bool, reason: str) -> None: ...


_Kind = Literal["single", "list", "originate"]


@dataclass(slots=True)
class _Pending:
    kind: _Kind
    future: asyncio.Future[AmiMessage | list[AmiMessage]]
    items: list[AmiMessage] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _cut(message: AmiMessage) -> str:
    return repr(message.pairs())[:200]


class _Wire(asyncio.Protocol):
    """One TCP connection: hands bytes to the client, reports the close."""

    def __init__(self, client: AmiClient, closed: asyncio.Future[None]) -> None:
        self.client = client
        self.closed = closed
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.client.attach(self)

    def data_received(self, data: bytes) -> None:
        self.client.received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self.client.lost(self)


class AmiClient:
    """Keeps one PBX connected forever (`run`), and sends actions over it."""

    def __init__(
        self,
        config: AmiConfig,
        sink: AmiSink,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = _utc_now,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._sink = sink
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._rand = rand
        self._ids = itertools.count(1)
        self._pending: dict[str, _Pending] = {}
        self._wire: _Wire | None = None
        self._framer = AmiFramer(skip_events=NOISE_EVENTS)
        self._logged_in = False
        self._held: list[TrackerInput] | None = None
        self._shutdown: str | None = None
        """Why the PBX said it is going (its `Shutdown` event), this connection."""
        self._last_heard: datetime | None = None
        self._up_until: datetime | None = None
        """When the last logged-in connection last heard the PBX."""
        self.connects = 0
        """Successful logins so far (tests and the figures read it)."""
        self.down_reason = "not connected yet"
        """Why the last connection ended or failed (readiness shows it)."""

    @property
    def pbx_id(self) -> PbxId:
        return self.config.pbx_id

    @property
    def pending_bytes(self) -> int:
        """Bytes of an unfinished block received so far."""
        return self._framer.pending_bytes

    @property
    def connected(self) -> bool:
        return self._logged_in and self._held is None

    # --- connection lifecycle ---

    async def run(self) -> None:
        """Connect, log in, resync, read; reconnect with back-off; until cancelled."""
        attempt = 0
        while True:
            logged_in_before = self.connects
            reason = await self._session()
            self.down_reason = reason
            if self.connects > logged_in_before:
                attempt = 0
            delay = self._backoff.delay_s(attempt, rand=self._rand)
            attempt += 1
            log.warning(
                "pbx=%s AMI %s:%d down (%s); retry in %.2fs",
                self.pbx_id,
                self.config.host,
                self.config.port,
                reason,
                delay,
            )
            await asyncio.sleep(delay)

    async def _session(self) -> str:
        """One connection from connect to close; returns why it ended."""
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[None] = loop.create_future()
        self._framer = AmiFramer(skip_events=NOISE_EVENTS)
        try:
            async with asyncio.timeout(self.config.connect_timeout_s):
                await loop.create_connection(
                    lambda: _Wire(self, closed), self.config.host, self.config.port
                )
        except (OSError, TimeoutError) as exc:
            return f"connect failed: {exc!r}"
        wire = self._wire
        up = False
        reason = "connection closed by the PBX"
        try:
            await self._login()
            await self._resync()
            up = True
            self._sink.on_connection(self.pbx_id, up=True, reason="logged in")
            await self._watch(closed)
        except LoginRefused as exc:
            reason = f"login refused: {exc}"
        except PbxError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            if wire is not None and wire.transport is not None:
                wire.transport.close()
            self._drop_connection()
            shutdown, self._shutdown = self._shutdown, None
            reason = shutdown or reason
            if up:
                self._up_until = self._last_heard
                self._sink.on_connection(self.pbx_id, up=False, reason=reason)
        return reason

    async def _login(self) -> None:
        try:
            reply = await self._send(
                "Login",
                (("Username", self.config.username), ("Secret", self.config.secret)),
                kind="single",
                timeout_s=self.config.connect_timeout_s,
                early=True,
            )
        except (PbxTimeout, PbxUnavailable):
            raise
        except PbxError as exc:
            raise LoginRefused(str(exc)) from None
        assert isinstance(reply, AmiMessage)
        self._logged_in = True
        self.connects += 1
        log.info("pbx=%s AMI logged in (%s)", self.pbx_id, reply.get("Message"))

    async def _resync(self) -> None:
        """CoreShowChannels, then the snapshot, then the events that came meanwhile:
        events are held back so that the snapshot never overwrites newer news."""
        self._held = []
        try:
            items = await self._send(
                "CoreShowChannels",
                (),
                kind="list",
                timeout_s=self.config.action_timeout_s,
                early=True,
            )
            assert isinstance(items, list)
            snapshot, bad = resynced(
                self.pbx_id, items, self._clock(), last_seen=self._up_until
            )
            for item in bad:
                log.warning(
                    "pbx=%s CoreShowChannel without ids: %s", self.pbx_id, _cut(item)
                )
            self._deliver(snapshot)
            log.info(
                "pbx=%s resynced: %d live channels", self.pbx_id, len(snapshot.channels)
            )
        finally:
            held, self._held = self._held, None
            for event in held or ():
                self._deliver(event)

    async def _watch(self, closed: asyncio.Future[None]) -> None:
        """Wait for the close; a Ping unanswered in time means a dead peer."""
        while True:
            try:
                async with asyncio.timeout(self.config.ping_interval_s):
                    await asyncio.shield(closed)
                return
            except TimeoutError:
                await self.action("Ping")

    def _drop_connection(self) -> None:
        self._logged_in = False
        self._wire = None
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(
                    PbxUnavailable(f"AMI connection to {self.pbx_id} lost")
                )
        problem = self._framer.reset()
        if problem is not None:
            log.warning("pbx=%s AMI %s: %r", self.pbx_id, problem.reason, problem.raw)

    # called by _Wire
    def lost(self, wire: _Wire) -> None:
        if self._wire is wire:
            for item in self._pending.values():
                if not item.future.done():
                    item.future.set_exception(
                        PbxUnavailable(f"AMI connection to {self.pbx_id} lost")
                    )

    def received(self, data: bytes) -> None:
        now = self._clock()
        if self._logged_in:
            self._last_heard = now
        pbx_id = self.pbx_id
        for item in self._framer.feed(data):
            if isinstance(item, AmiMessage):
                fields = item.fields
                name = fields.get("Event")
                if name is None:
                    self._on_response(item)
                    continue
                action_id = fields.get("ActionID")
                if action_id is not None and action_id in self._pending:
                    self._on_action_event(action_id, item)
                    continue
                builder = BUILDERS.get(name)
                if builder is None:
                    if name == "Shutdown":
                        self._on_shutdown(item)
                    continue
                try:
                    event = builder(pbx_id, fields, now)
                except MalformedEvent as exc:
                    log.warning("pbx=%s %s: %s", pbx_id, exc, _cut(item))
                    continue
                if event is not None:
                    self._deliver(event)
            elif isinstance(item, Banner):
                log.debug("pbx=%s banner %r", pbx_id, item.text)
            else:
                log.warning("pbx=%s AMI %s: %r", pbx_id, item.reason, item.raw)

    def _on_shutdown(self, message: AmiMessage) -> None:
        """Asterisk is going (restart-with-shutdown.ami.txt: every channel was hung
        up, then `Shutdown`, then the close): the link is down from now on, and
        the next login waits out the back-off rather than meeting `Asterisk is
        shutting down` at once."""
        how = message.get("Shutdown", "?")
        restart = message.get("Restart", "?")
        self._shutdown = f"PBX shutting down ({how}, restart: {restart})"
        log.warning("pbx=%s %s", self.pbx_id, self._shutdown)
        self._logged_in = False
        wire = self._wire
        if wire is not None and wire.transport is not None:
            wire.transport.close()

    def _deliver(self, event: TrackerInput) -> None:
        if self._held is not None and not isinstance(event, Resynced):
            self._held.append(event)
            return
        try:
            self._sink.on_input(event)
        except Exception:
            log.exception("pbx=%s tracker failed on %r", self.pbx_id, event)

    # --- actions ---

    def _on_response(self, message: AmiMessage) -> None:
        action_id = message.fields.get("ActionID")
        pending = self._pending.get(action_id) if action_id is not None else None
        if pending is None or action_id is None:
            if message.fields.get("Response") is None:
                log.warning(
                    "pbx=%s AMI block neither event nor reply: %s",
                    self.pbx_id,
                    _cut(message),
                )
            return
        if message.fields.get("Response") == "Error":
            del self._pending[action_id]
            pending.future.set_exception(PbxError(message.get("Message", "Error")))
        elif pending.kind == "single":
            del self._pending[action_id]
            pending.future.set_result(message)
        elif pending.kind == "list" and message.get("EventList").lower() != "start":
            del self._pending[action_id]
            pending.future.set_result([])

    def _on_action_event(self, action_id: str, message: AmiMessage) -> None:
        pending = self._pending[action_id]
        if pending.kind == "originate":
            if message.fields.get("Event") == "OriginateResponse":
                del self._pending[action_id]
                pending.future.set_result(message)
            return
        if message.fields.get("EventList", "").lower() == "complete":
            del self._pending[action_id]
            pending.future.set_result(pending.items)
        else:
            pending.items.append(message)

    async def _send(
        self,
        name: str,
        fields: Sequence[tuple[str, str]],
        *,
        kind: _Kind,
        timeout_s: float,
        early: bool = False,
    ) -> AmiMessage | list[AmiMessage]:
        wire = self._wire
        if wire is None or wire.transport is None or not (early or self.connected):
            raise PbxUnavailable(f"no AMI connection to {self.pbx_id}")
        action_id = f"cc-{next(self._ids)}"
        data = encode((("Action", name), ("ActionID", action_id), *fields))
        future: asyncio.Future[AmiMessage | list[AmiMessage]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[action_id] = _Pending(kind, future)
        wire.transport.write(data)
        try:
            async with asyncio.timeout(timeout_s):
                return await future
        except TimeoutError:
            raise PbxTimeout(
                f"{name} to {self.pbx_id}: no reply within {timeout_s}s"
            ) from None
        finally:
            self._pending.pop(action_id, None)

    async def action(
        self,
        name: str,
        fields: Sequence[tuple[str, str]] = (),
        *,
        timeout_s: float | None = None,
    ) -> AmiMessage:
        """Send one action and return its reply. Raises PbxError with Asterisk's
        message on `Response: Error`, PbxTimeout, PbxUnavailable."""
        reply = await self._send(
            name,
            fields,
            kind="single",
            timeout_s=timeout_s or self.config.action_timeout_s,
        )
        assert isinstance(reply, AmiMessage)
        return reply

    async def list_action(
        self,
        name: str,
        fields: Sequence[tuple[str, str]] = (),
        *,
        timeout_s: float | None = None,
    ) -> list[AmiMessage]:
        """Send an action answered by an event list; return the list's items."""
        reply = await self._send(
            name,
            fields,
            kind="list",
            timeout_s=timeout_s or self.config.action_timeout_s,
        )
        assert isinstance(reply, list)
        return reply

    async def originate(
        self, fields: Sequence[tuple[str, str]], *, timeout_s: float
    ) -> AmiMessage:
        """Send an `Async: true` Originate and return its OriginateResponse event."""
        reply = await self._send(
            "Originate",
            (*fields, ("Async", "true")),
            kind="originate",
            timeout_s=timeout_s,
        )
        assert isinstance(reply, AmiMessage)
        return reply

    def attach(self, wire: _Wire) -> None:
        self._wire = wire
