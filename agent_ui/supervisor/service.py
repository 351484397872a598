"""The wallboard's service for its pages: each queue's figures with the level of
each figure and its last hour, the agents with their state, time in state and
call, the open alerts, and monitoring a call. The figures and states are the
ACD's own, read as /api/v1/acd reads them, so the page and the API agree.
Refusals are WallboardRefused in words.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiohttp import web

from acd.alert_watch import AlertWatch
from acd.alerts import Alert
from acd.engine import AgentView
from acd.errors import UnknownCall
from acd.events import QueueStatsUpdated
from acd.minutes import MinuteCounts
from acd.model import AgentId, AgentState
from acd.monitoring import MonitorDesk, Monitoring, MonitorMode, MonitorProblem
from acd.monitoring import MonitorRefused as AcdMonitorRefused
from acd.service import AcdService
from acd.thresholds import Figure, Level, Thresholds, levels
from agent_ui import views
from agent_ui.labels import N_
from agent_ui.ports import CustomerCards
from crm_core.auth.model import Actor
from crm_core.errors import CrmError
from telephony.errors import PbxError
from telephony.model import CallId

log = logging.getLogger(__name__)

PAGE_SIZE = 30
"""Agents per page of the wallboard's list."""
LOOKUP_TIMEOUT_S = 2.0
REMEMBERED_CALLS = 2000
"""Calls whose customer's name is kept (the list redraws every push)."""
NAMES_FRESH_S = 60.0


class WallboardRefused(Exception):
    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(f"{message} {detail}".strip())
        self.message = message
        """A catalogue message id the page translates."""


REFUSALS = {
    MonitorProblem.NO_PHONE: N_(
        "You have no phone in the call distributor to listen on: ask an "
        "administrator for a seat."
    ),
    MonitorProblem.NO_CALL: N_("This agent has no call connected now."),
    MonitorProblem.OWN_CALL: N_("That is your own call."),
    MonitorProblem.OTHER_PBX: N_(
        "This call is on another telephone exchange than your phone."
    ),
    MonitorProblem.NOT_ANSWERED: N_("Your phone did not answer, so nothing started."),
}
NOT_WAITING = N_("This caller is no longer waiting.")
PBX_REFUSED = N_("The telephone exchange refused. Try again.")
TOO_SLOW = N_("The telephone exchange did not answer in time. Try again.")


class UserNames(Protocol):
    async def display_names(self, logins: list[str]) -> dict[str, str]: ...


class CallFacts(Protocol):
    """The desktops' memory of each call (`agent_ui.sockets.Desktops`)."""

    def call_facts(self, call_id: str) -> views.CallFacts | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueBoard:
    stats: QueueStatsUpdated
    thresholds: Thresholds
    levels: dict[Figure, Level]
    hour: list[MinuteCounts]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLine:
    agent: AgentView
    name: str
    since: datetime | None
    """When the state began (None: not heard since the service started)."""
    queue_id: str | None
    """The queue of the call offered or connected."""
    customer: str | None
    """The caller's name, or their number when unknown."""
    monitored: list[Monitoring]


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingLine:
    call_id: str
    queue_id: str
    since: datetime
    position: int | None
    expected_wait_s: float | None
    caller: str | None
    """The caller's name, or their number when unknown (None: not heard yet)."""
    number: str | None
    """The number they called from (to call them back)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPage:
    lines: list[AgentLine]
    page: int
    pages: int
    total: int
    names: dict[str, str]
    """Every seat's person by login (supervisors who monitor have seats too)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WallboardParts:
    acd: AcdService
    watch: AlertWatch
    monitors: MonitorDesk
    calls: CallFacts
    cards: CustomerCards
    names: UserNames


class Wallboard:
    def __init__(self, parts: WallboardParts) -> None:
        self._p = parts
        self._customers: OrderedDict[tuple[str, object], str | None] = OrderedDict()
        self._names: dict[str, str] = {}
        self._names_asked: set[str] = set()
        self._names_at = 0.0

    def queues(self) -> list[QueueBoard]:
        """Every queue's figures now, as GET /api/v1/acd/queues/stats gives them."""
        boards = []
        for stats in sorted(self._p.acd.queue_stats(), key=lambda s: s.queue_id):
            thresholds = self._p.watch.thresholds(stats.queue_id)
            boards.append(
                QueueBoard(
                    stats=stats,
                    thresholds=thresholds,
                    levels=levels(stats, thresholds),
                    hour=self._p.acd.last_hour(stats.queue_id),
                )
            )
        return boards

    def alerts(self) -> list[Alert]:
        return self._p.watch.alerts()

    async def names(self) -> dict[str, str]:
        """Every seat's person by login (a login that is no user: left out)."""
        return await self._display_names([v.agent_id for v in self._p.acd.agents()])

    def my_monitoring(self, actor: Actor) -> Monitoring | None:
        mine = [m for m in self._p.monitors.sessions() if m.supervisor == actor.login]
        return mine[0] if mine else None

    def has_phone(self, actor: Actor) -> bool:
        return self._p.acd.endpoint_of(AgentId(actor.login)) is not None

    async def agents(self, actor: Actor, *, page: int) -> AgentPage:
        """A page of the agents (every seat, as GET /api/v1/acd/agents lists
        them), ordered by name."""
        views = self._p.acd.agents()
        names = await self._display_names([v.agent_id for v in views])
        views.sort(
            key=lambda v: (names.get(v.agent_id, v.agent_id).lower(), v.agent_id)
        )
        pages = max(1, -(-len(views) // PAGE_SIZE))
        page = min(max(1, page), pages)
        shown = views[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        sessions = self._p.monitors.sessions()
        lines = [await self._line(actor, v, names, sessions) for v in shown]
        return AgentPage(
            lines=lines, page=page, pages=pages, total=len(views), names=names
        )

    async def waiting(
        self, actor: Actor, *, limit: int
    ) -> tuple[list[WaitingLine], int]:
        """The `limit` callers waiting longest, and how many wait in all."""
        found = self._p.acd.waiting_calls()
        lines = []
        for call in found[:limit]:
            facts = self._p.calls.call_facts(str(call.call_id))
            position, expected = call.place if call.place else (None, None)
            lines.append(
                WaitingLine(
                    call_id=str(call.call_id),
                    queue_id=str(call.queue_id),
                    since=call.since,
                    position=position,
                    expected_wait_s=expected,
                    caller=await self._customer(actor, str(call.call_id)),
                    number=facts.ani if facts is not None else None,
                )
            )
        return lines, len(found)

    async def call_back(self, call_id: str, number: str) -> None:
        """The waiting caller keeps their place and is called back on `number`
        (as POST /api/v1/acd/calls/{id}/callback does)."""
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                await self._p.acd.request_callback(CallId(call_id), number=number)
        except UnknownCall:
            raise WallboardRefused(NOT_WAITING, call_id) from None
        except TimeoutError:
            raise WallboardRefused(TOO_SLOW) from None

    async def monitor(
        self, actor: Actor, agent_id: str, mode: MonitorMode
    ) -> Monitoring:
        """Ring the actor's phone to listen, whisper or barge in on the agent's
        call (Forbidden without the right)."""
        try:
            async with asyncio.timeout(self._p.monitors.ring_s + LOOKUP_TIMEOUT_S):
                return await self._p.monitors.start(actor, AgentId(agent_id), mode)
        except AcdMonitorRefused as refused:
            raise WallboardRefused(REFUSALS[refused.problem], str(refused)) from None
        except PbxError as error:
            raise WallboardRefused(PBX_REFUSED, str(error)) from None
        except TimeoutError:
            raise WallboardRefused(TOO_SLOW) from None

    async def stop(self, actor: Actor) -> None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                await self._p.monitors.stop(actor)
        except TimeoutError:
            raise WallboardRefused(TOO_SLOW) from None

    async def _line(
        self,
        actor: Actor,
        view: AgentView,
        names: dict[str, str],
        sessions: Sequence[Monitoring],
    ) -> AgentLine:
        heard = self._p.watch.state_since(view.agent_id)
        since = heard.since if heard is not None and heard.state is view.state else None
        queue_id = customer = None
        if view.call_id is not None and view.state is not AgentState.LOGGED_OUT:
            found = self._p.acd.engine.call(view.call_id)
            queue_id = None if found is None else str(found.queue_id)
            customer = await self._customer(actor, str(view.call_id))
        return AgentLine(
            agent=view, name=names.get(view.agent_id, view.agent_id), since=since,
            queue_id=queue_id, customer=customer,
            monitored=[m for m in sessions if m.agent == view.agent_id],
        )  # fmt: skip

    async def _customer(self, actor: Actor, call_id: str) -> str | None:
        """The caller's name as the actor may see it, else their number."""
        key = (call_id, actor.customer_groups)
        if key in self._customers:
            return self._customers[key]
        facts = self._p.calls.call_facts(call_id)
        if facts is None:
            return None  # not heard yet: asked again at the next redraw
        name = facts.ani
        if len(facts.customer_ids) == 1:
            name = await self._card_name(actor, facts.customer_ids[0]) or name
        self._customers[key] = name
        while len(self._customers) > REMEMBERED_CALLS:
            self._customers.popitem(last=False)
        return name

    async def _card_name(self, actor: Actor, customer_id: str) -> str | None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                card = await self._p.cards.get(actor, uuid.UUID(customer_id))
        except (CrmError, ValueError, TimeoutError):
            return None
        return card.name

    async def _display_names(self, logins: list[str]) -> dict[str, str]:
        now = asyncio.get_running_loop().time()
        stale = now - self._names_at > NAMES_FRESH_S
        if stale or not set(logins) <= self._names_asked:
            try:
                async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                    self._names = await self._p.names.display_names(logins)
            except TimeoutError:
                log.warning("agents' names not read in time")
                return self._names
            self._names_asked, self._names_at = set(logins), now
        return self._names


WALLBOARD: web.AppKey[Wallboard] = web.AppKey("agent_ui_wallboard", Wallboard)
