"""The desktops' live channel: a Socket.IO namespace authenticated by the session
cookie, rooms per agent, supervisor, queue and for the wallboard, and the bus
events pushed into them.

Decides nothing about calls: it shows what the ACD, IVR and CRM published, and
reports agents' browsers coming and going.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final

import socketio
from aiohttp import web

from acd.events import (
    AgentStateChanged,
    AlertCleared,
    AlertRaised,
    CallAbandoned,
    CallHandled,
    CallLeftQueue,
    CallOffered,
    CallRequeued,
    QueueStatsUpdated,
)
from agent_ui import views
from agent_ui.events import AgentConnected, AgentDisconnected
from agent_ui.ports import Clock, CustomerCards, Publisher, Sessions
from crm_core.api.context import SESSION_COOKIE
from crm_core.auth.errors import Unauthenticated
from crm_core.auth.events import SessionsEnded
from crm_core.auth.model import Actor
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.events import CallerIdentified, ContactOpened
from crm_core.customers.model import CustomerCard
from crm_core.errors import Forbidden
from ivr.events import IvrCompleted

log = logging.getLogger(__name__)

NAMESPACE: Final = "/desktop"
MAX_CANDIDATES = 5
"""A shared line may belong to many customers; the pop lists the first few."""

DesktopEvent = (
    CallerIdentified
    | ContactOpened
    | IvrCompleted
    | CallOffered
    | CallRequeued
    | CallAbandoned
    | CallLeftQueue
    | CallHandled
    | AgentStateChanged
    | QueueStatsUpdated
    | AlertRaised
    | AlertCleared
)
EVENTS: tuple[type[Any], ...] = (
    CallerIdentified,
    ContactOpened,
    IvrCompleted,
    CallOffered,
    CallRequeued,
    CallAbandoned,
    CallLeftQueue,
    CallHandled,
    AgentStateChanged,
    QueueStatsUpdated,
    AlertRaised,
    AlertCleared,
)
"""Subscribe `Desktops.handle` to these with one `subscribe_all`, so a call's
identification and IVR data are folded in before its offer is popped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DesktopLimits:
    lookup_timeout_s: float = 5.0
    """For the session check and the card reads."""
    remembered_calls: int = 5000
    """Calls whose facts are kept for pops; the oldest are forgotten first."""
    sweep_every_s: float = 30.0
    """How often open desktops' sessions are checked (see `Desktops.sweep`)."""


@dataclass(slots=True)
class _Connection:
    actor: Actor
    session_id: str
    """The browser session it was opened with: when that ends, so does this."""
    rooms: list[str] = field(default_factory=list)


class Desktops:
    """The live state the desktops show, and the pushes into their rooms."""

    def __init__(
        self,
        server: socketio.AsyncServer,
        *,
        sessions: Sessions,
        cards: CustomerCards,
        publisher: Publisher,
        clock: Clock,
        limits: DesktopLimits = DesktopLimits(),
    ) -> None:
        self._server = server
        self._sessions = sessions
        self._cards = cards
        self._publisher = publisher
        self._clock = clock
        self._limits = limits
        self._connections: dict[str, _Connection] = {}
        self._facts: OrderedDict[str, views.CallFacts] = OrderedDict()
        self._offers: dict[str, CallOffered] = {}
        """Per agent: the call offered and not yet over (re-popped on reconnect)."""
        self._last: dict[str, CallOffered] = {}
        """Per agent: the last call offered, over or not (its desk shows it until
        the next one rings)."""
        self._queues: dict[str, views.QueueStatsView] = {}
        self._agents: dict[str, views.AgentStateView] = {}
        self._popping: set[asyncio.Task[None]] = set()

    def mount(self, app: web.Application) -> None:
        """Serve Socket.IO on `app` at /socket.io/ with the `/desktop` namespace."""
        self._server.register_namespace(DesktopNamespace(self))
        self._server.attach(app)

    # connections -----------------------------------------------------------

    async def connect(
        self, sid: str, cookie_header: str | None, page: views.Page | None = None
    ) -> None:
        """Check the session cookie and join the rooms of the actor's `page`
        (None: all of theirs); raises ConnectionRefusedError for no session or a
        user with no desktop on that page."""
        token = _session_token(cookie_header)
        if token is None:
            raise socketio.exceptions.ConnectionRefusedError("not signed in")
        try:
            async with asyncio.timeout(self._limits.lookup_timeout_s):
                session = await self._sessions.session_actor(token)
        except Unauthenticated:
            raise socketio.exceptions.ConnectionRefusedError("not signed in") from None
        actor = session.actor
        rooms = views.rooms_for(actor, page)
        if not rooms:
            raise socketio.exceptions.ConnectionRefusedError("no desktop for this role")
        agent_id = views.acd_agent_id(actor)
        known = self._agents.get(agent_id)
        if known is not None and views.agent_room(agent_id) in rooms:
            rooms += sorted(views.queue_rooms(known["queue_ids"]))
        self._connections[sid] = _Connection(
            actor=actor, session_id=session.session_id, rooms=rooms
        )
        for room in rooms:
            await self._server.enter_room(sid, room, namespace=NAMESPACE)
        log.info("desktop connected user=%s sid=%s", agent_id, sid)
        if views.agent_room(agent_id) in rooms:
            await self._publisher.publish(
                AgentConnected(
                    occurred_at=self._clock.now(),
                    agent_id=agent_id,
                    connections=self._count(agent_id),
                )
            )

    async def welcome(self, sid: str) -> None:
        """Bring a desktop that says it is ready up to date: the wallboard's
        figures, the agent's state and the call offered to them."""
        connection = self._connections.get(sid)
        if connection is None:
            return
        agent_id = views.acd_agent_id(connection.actor)
        if views.WALLBOARD_ROOM in connection.rooms:
            snapshot = {
                "queues": list(self._queues.values()),
                "agents": list(self._agents.values()),
            }
            await self._emit("wallboard", snapshot, to=sid)
        if views.agent_room(agent_id) not in connection.rooms:
            return
        state = self._agents.get(agent_id)
        if state is not None:
            await self._emit("agent_state", state, to=sid)
        offer = self._offers.get(agent_id)
        if offer is not None:
            await self._emit(
                "screen_pop", await self._pop(offer, connection.actor), to=sid
            )

    async def disconnect(self, sid: str) -> None:
        connection = self._connections.pop(sid, None)
        if connection is None:
            return
        agent_id = views.acd_agent_id(connection.actor)
        log.info("desktop disconnected user=%s sid=%s", agent_id, sid)
        if views.agent_room(agent_id) in connection.rooms:
            await self._publisher.publish(
                AgentDisconnected(
                    occurred_at=self._clock.now(),
                    agent_id=agent_id,
                    connections=self._count(agent_id),
                )
            )

    async def on_sessions_ended(self, event: SessionsEnded) -> None:
        """Cut off at once the desktops opened with sessions that ended (a logout,
        a deactivation, a new password): they must not receive another pop."""
        await self._cut_off(frozenset(event.session_ids), event.reason)

    async def sweep(self) -> None:
        """Cut off desktops whose session ended where no SessionsEnded reached
        this instance (the `users` command, another instance) or ran out."""
        held = {c.session_id for c in self._connections.values()}
        async with asyncio.timeout(self._limits.lookup_timeout_s):
            live = await self._sessions.live_sessions(held)
        await self._cut_off(frozenset(held - live), "session no longer open")

    async def run_sweeps(self) -> None:
        """`sweep` every `limits.sweep_every_s` until cancelled; a failed one is
        logged and tried again next time."""
        while True:
            await asyncio.sleep(self._limits.sweep_every_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("desktop session sweep failed")

    async def _cut_off(self, session_ids: frozenset[str], reason: str) -> None:
        for sid, connection in list(self._connections.items()):
            if connection.session_id not in session_ids:
                continue
            log.info(
                "desktop closed user=%s sid=%s: %s",
                views.acd_agent_id(connection.actor), sid, reason,
            )  # fmt: skip
            await self._server.disconnect(sid, namespace=NAMESPACE)
            await self.disconnect(sid)

    def call_facts(self, call_id: str) -> views.CallFacts | None:
        """What the bus said about a call (its caller), while it is remembered."""
        return self._facts.get(call_id)

    def desk_call(self, agent_id: str) -> views.DeskCall | None:
        """The agent's current call, or the last one once it is over."""
        offer = self._last.get(agent_id)
        if offer is None:
            return None
        current = self._offers.get(agent_id)
        return views.DeskCall(
            offer=offer,
            facts=self._facts.get(str(offer.call_id)),
            live=current is not None and current.call_id == offer.call_id,
        )

    def queue_figures(self, queue_ids: Collection[str]) -> list[views.QueueStatsView]:
        """The last figures of these queues, in the order given."""
        return [self._queues[q] for q in queue_ids if q in self._queues]

    def agent_state(self, agent_id: str) -> views.AgentStateView | None:
        return self._agents.get(agent_id)

    @property
    def pops_in_flight(self) -> int:
        """Pops whose cards are still being read."""
        return len(self._popping)

    def _count(self, agent_id: str) -> int:
        return sum(
            1
            for c in self._connections.values()
            if views.acd_agent_id(c.actor) == agent_id
        )

    def _local_actor(self, agent_id: str) -> Actor | None:
        for connection in self._connections.values():
            if views.acd_agent_id(connection.actor) == agent_id:
                return connection.actor
        return None

    # bus events --------------------------------------------------------------

    async def handle(self, event: DesktopEvent) -> None:
        match event:
            case CallerIdentified() | ContactOpened() | IvrCompleted():
                self._remember(event)
            case CallOffered():
                await self._offered(event)
            case CallRequeued():
                self._withdraw(str(event.agent_id), str(event.call_id))
                await self._emit(
                    "offer_withdrawn",
                    {"call_id": str(event.call_id)},
                    room=views.agent_room(str(event.agent_id)),
                )
            case CallAbandoned() | CallLeftQueue() | CallHandled():
                await self._call_over(str(event.call_id))
            case AgentStateChanged():
                view = views.agent_state_view(event)
                self._agents[view["agent_id"]] = view
                await self._emit("agent_state", view, room=views.WALLBOARD_ROOM)
                room = views.agent_room(view["agent_id"])
                await self._emit("agent_state", view, room=room)
                await self._follow_queues(view["agent_id"], view["queue_ids"])
            case QueueStatsUpdated():
                stats = views.queue_stats_view(event)
                self._queues[stats["queue_id"]] = stats
                await self._emit("queue_stats", stats, room=views.WALLBOARD_ROOM)
                room = views.queue_room(stats["queue_id"])
                await self._emit("queue_stats", stats, room=room)
            case AlertRaised() | AlertCleared():
                await self._emit(
                    "alert", views.alert_push(event), room=views.WALLBOARD_ROOM
                )

    async def _follow_queues(self, agent_id: str, queue_ids: list[str]) -> None:
        """Keep the agent's desktops in the rooms of the queues they serve."""
        wanted = views.queue_rooms(queue_ids)
        for sid, connection in self._connections.items():
            if views.acd_agent_id(connection.actor) != agent_id:
                continue
            held = {
                r for r in connection.rooms if r.startswith(views.QUEUE_ROOM_PREFIX)
            }
            for room in wanted - held:
                await self._server.enter_room(sid, room, namespace=NAMESPACE)
            for room in held - wanted:
                await self._server.leave_room(sid, room, namespace=NAMESPACE)
            kept = [r for r in connection.rooms if r not in held]
            connection.rooms = kept + sorted(wanted)

    def _remember(self, event: views.CallFact) -> None:
        if not event.call_id:
            return
        facts = views.fold_fact(self._facts.pop(event.call_id, None), event)
        self._facts[event.call_id] = facts
        while len(self._facts) > self._limits.remembered_calls:
            self._facts.popitem(last=False)

    async def _offered(self, offer: CallOffered) -> None:
        agent_id = str(offer.agent_id)
        self._offers[agent_id] = offer
        self._last[agent_id] = offer
        actor = self._local_actor(agent_id)
        if actor is None:
            log.debug("call=%s agent=%s: no desktop here", offer.call_id, agent_id)
            return
        # The pop reads the caller's cards: done beside the mailbox, so that one
        # slow read (a busy database) holds up neither the other agents' pops
        # nor the live figures.
        task = asyncio.create_task(self._send_pop(offer, actor))
        self._popping.add(task)
        task.add_done_callback(self._popping.discard)

    async def _send_pop(self, offer: CallOffered, actor: Actor) -> None:
        """Pop `offer` unless it was withdrawn or followed by another while the
        cards were read (checked and sent with no wait between, so a withdrawal
        handled meanwhile is never overtaken by its pop)."""
        agent_id = str(offer.agent_id)
        try:
            pop = await self._pop(offer, actor)
            if self._offers.get(agent_id) is offer:
                await self._emit("screen_pop", pop, room=views.agent_room(agent_id))
        except Exception:
            log.exception("call=%s agent=%s: pop not sent", offer.call_id, agent_id)

    async def _call_over(self, call_id: str) -> None:
        # the facts stay (bounded by `remembered_calls`): the desk shows the call
        # through wrap-up
        for agent_id, offer in list(self._offers.items()):
            if str(offer.call_id) == call_id:
                del self._offers[agent_id]
                await self._emit(
                    "offer_withdrawn",
                    {"call_id": call_id},
                    room=views.agent_room(agent_id),
                )

    def _withdraw(self, agent_id: str, call_id: str) -> None:
        """The offer went back to the queue: it was never this agent's call."""
        for held in (self._offers, self._last):
            offer = held.get(agent_id)
            if offer is not None and str(offer.call_id) == call_id:
                del held[agent_id]

    async def _pop(self, offer: CallOffered, actor: Actor) -> views.ScreenPop:
        facts = self._facts.get(str(offer.call_id))
        ids = facts.customer_ids[:MAX_CANDIDATES] if facts else ()
        cards = [card for card in [await self._card(actor, i) for i in ids] if card]
        return views.screen_pop(offer, facts, cards)

    async def _card(self, actor: Actor, customer_id: str) -> CustomerCard | None:
        try:
            async with asyncio.timeout(self._limits.lookup_timeout_s):
                return await self._cards.get(actor, uuid.UUID(customer_id))
        except (CustomerNotFound, Forbidden, ValueError):
            return None
        except TimeoutError:
            log.warning("customer card %s timed out for a screen-pop", customer_id)
            return None

    async def _emit(
        self, event: str, data: Any, *, room: str | None = None, to: str | None = None
    ) -> None:
        await self._server.emit(event, data, to=to, room=room, namespace=NAMESPACE)


class DesktopNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # untyped base
    """Socket.IO's side of `Desktops`: connect, ready, disconnect."""

    def __init__(self, desktops: Desktops) -> None:
        super().__init__(NAMESPACE)
        self._desktops = desktops

    async def on_connect(
        self, sid: str, environ: dict[str, Any], auth: object = None
    ) -> None:
        page = views.page_of(auth.get("page") if isinstance(auth, dict) else None)
        await self._desktops.connect(sid, environ.get("HTTP_COOKIE"), page)

    async def on_ready(self, sid: str, _data: object = None) -> None:
        """The page sends `ready` once connected: only then may it be sent the
        current state (before the connect handler returns it is not connected)."""
        await self._desktops.welcome(sid)

    async def on_disconnect(self, sid: str, _reason: object = None) -> None:
        await self._desktops.disconnect(sid)


def make_server() -> socketio.AsyncServer:
    """The Socket.IO server, websocket only (no sticky sessions needed).

    Each instance pushes to its own sockets only, with no AsyncRedisManager: every
    instance hears the desktop events (locally or from the Redis event bridge) and
    needs them anyway for its per-call facts and its connected agents, so a shared
    manager would deliver each push once per instance.
    """
    return socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"])


def _session_token(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None
