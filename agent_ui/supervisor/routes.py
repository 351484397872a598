"""The wallboard's pages: the whole board, and the parts the live channel asks
for when something changed (the queues' tiles, the alerts, the agents); starting
and stopping listening to an agent's call. Each handler parses the request,
calls the wallboard service and renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from acd.http import CallbackIn
from acd.monitoring import MonitorMode
from agent_ui import pages
from agent_ui.agent.forms import DialForm, parsed
from agent_ui.labels import N_
from agent_ui.supervisor import views
from agent_ui.supervisor.service import WALLBOARD, Wallboard, WallboardRefused
from crm_core.auth.model import Actor, Permission
from crm_core.errors import ValidationFailed

routes = web.RouteTableDef()

WAITING_SHOWN = 10
"""The callers waiting longest, listed (the tiles count them all)."""
CHOOSE_MODE = N_("Choose to listen, whisper or barge in.")
NOT_A_NUMBER = N_(
    "Enter a phone number: digits, with a + in front if it is international."
)
CALLED_BACK = N_("The caller keeps their place and will be called back.")
STARTED = N_("Your phone is connected to the call.")
STOPPED = N_("You left the call.")


def _board(request: web.Request) -> Wallboard:
    return request.app[WALLBOARD]


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor


@routes.get("/wallboard")
async def wallboard(request: web.Request) -> web.StreamResponse:
    context = {
        **_queues_context(request),
        **await _alerts_context(request),
        **await _waiting_context(request),
        **await _agents_context(request),
    }
    return pages.render(request, "supervisor/wallboard.html", context)


@routes.get("/wallboard/queues")
async def queues(request: web.Request) -> web.StreamResponse:
    return pages.render(request, "supervisor/_queues.html", _queues_context(request))


@routes.get("/wallboard/alerts")
async def alerts(request: web.Request) -> web.StreamResponse:
    context = await _alerts_context(request)
    return pages.render(request, "supervisor/_alerts.html", context)


@routes.get("/wallboard/waiting")
async def waiting(request: web.Request) -> web.StreamResponse:
    context = await _waiting_context(request)
    return pages.render(request, "supervisor/_waiting.html", context)


@routes.post("/wallboard/calls/{call_id}/callback")
async def call_back(request: web.Request) -> web.StreamResponse:
    """The API's callback: a number to dial (as the desk's), then the API's
    own model checks it."""
    form = await request.post()
    try:
        dialled = parsed(DialForm, {"number": str(form.get("number", ""))}).dialled()
        number = CallbackIn(number=dialled).number
    except (ValidationFailed, ValidationError):
        return _said(request, NOT_A_NUMBER, status=422)
    try:
        await _board(request).call_back(request.match_info["call_id"], number)
    except WallboardRefused as refused:
        return _said(request, refused.message)
    return _said(request, CALLED_BACK, status=200, ok=True)


@routes.get("/wallboard/agents")
async def agents(request: web.Request) -> web.StreamResponse:
    context = await _agents_context(request)
    return pages.render(request, "supervisor/_agents.html", context)


@routes.post("/wallboard/agents/{agent_id}/monitor")
async def monitor(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        mode = MonitorMode(str(form.get("mode", "")))
    except ValueError:
        return _said(request, CHOOSE_MODE, status=422)
    agent_id = request.match_info["agent_id"]
    try:
        await _board(request).monitor(_actor(request), agent_id, mode)
    except WallboardRefused as refused:
        return _said(request, refused.message)
    return _said(request, STARTED, status=200, ok=True)


@routes.post("/wallboard/monitor/stop")
async def stop(request: web.Request) -> web.StreamResponse:
    try:
        await _board(request).stop(_actor(request))
    except WallboardRefused as refused:
        return _said(request, refused.message)
    return _said(request, STOPPED, status=200, ok=True)


def _said(
    request: web.Request, message: str, *, status: int = 409, ok: bool = False
) -> web.Response:
    """A sentence in the page's message area; the part asking redraws itself."""
    context = {"problem": message, "ok": ok}
    response = pages.render(request, "supervisor/_message.html", context, status=status)
    return pages.elsewhere(response, "#flash", then="refresh")


def _queues_context(request: web.Request) -> dict[str, Any]:
    now = datetime.now(UTC)
    tiles = [views.queue_tile(b, now) for b in _board(request).queues()]
    return {"tiles": tiles}


async def _alerts_context(request: web.Request) -> dict[str, Any]:
    board = _board(request)
    translate = pages.words(request).gettext
    names = await board.names()
    return {"alerts": views.alerts_view(board.alerts(), translate, names)}


async def _waiting_context(request: web.Request) -> dict[str, Any]:
    lines, total = await _board(request).waiting(_actor(request), limit=WAITING_SHOWN)
    return {"waiting": views.waiting_view(lines, total)}


async def _agents_context(request: web.Request) -> dict[str, Any]:
    board, actor = _board(request), _actor(request)
    try:
        wanted = int(request.query.get("page", "1"))
    except ValueError:
        wanted = 1
    page = await board.agents(actor, page=wanted)
    may = actor.can(Permission.CALL_MONITOR)
    return {
        "agents": views.agents_view(
            page, viewer=actor.login, may_monitor=may, names=page.names
        ),
        "monitoring": views.monitoring_view(board.my_monitoring(actor), page.names),
        "no_phone": may and not board.has_phone(actor),
    }
