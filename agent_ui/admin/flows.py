"""The IVR flows pages: the flows in service, one flow's document to check or
publish as a new version. Parse, call flow publishing, render; problems are
listed by step and field."""

from __future__ import annotations

from aiohttp import web

from agent_ui import pages
from agent_ui.admin import views
from agent_ui.admin.forms import field, posted_fields
from agent_ui.admin.service import ADMIN_DESK
from agent_ui.labels import N_
from crm_core.auth.model import Permission
from crm_core.errors import Forbidden, NotFound
from ivr.errors import FlowInvalid
from ivr.flow_store import FlowStoreFailed, FlowVersionTaken

routes = web.RouteTableDef()

NEW = "new"
"""The page of a flow not published yet."""
STARTER = """\
flow: new-flow
language: en
numbers: ["2099"]
start: greet
operator: agent
nodes:
  greet:
    kind: say
    text: "Hello. An agent will answer shortly."
    next: agent
  agent:
    kind: queue
    queue: general
"""
"""A new flow's first document: a greeting, then the general queue."""

VERSION_TAKEN = N_(
    "Someone published another version meanwhile: open the flow again, then "
    "publish your change."
)
FLOW_NOT_SAVED = N_(
    "Not published: the database did not answer, so the version would not survive "
    "a restart. The running version stays in service; try again."
)


@routes.get("/admin/flows")
async def flows(request: web.Request) -> web.StreamResponse:
    _may_publish(request)
    registry = request.app[ADMIN_DESK].flows.registry
    current = (registry.current(name) for name in sorted(registry.names()))
    rows = views.flow_rows(f for f in current if f is not None)
    return pages.render(request, "admin/flows.html", {"rows": rows, "done": None})


@routes.get("/admin/flows/new")
async def new_flow(request: web.Request) -> web.StreamResponse:
    _may_publish(request)
    return _flow_page(request, NEW, text=STARTER)


@routes.get("/admin/flows/{name}")
async def flow(request: web.Request) -> web.StreamResponse:
    _may_publish(request)
    name = request.match_info["name"]
    text = request.app[ADMIN_DESK].flows.document_text(name)
    if text is None:
        raise NotFound(name)
    done = views.DONE.get(request.query.get("done", ""))
    return _flow_page(request, name, text=text, said=views.Said(done=done))


@routes.post("/admin/flows/{name}")
async def check_or_publish(request: web.Request) -> web.StreamResponse:
    """The document checked (`action=check`) or published."""
    _may_publish(request)
    publishing, login = request.app[ADMIN_DESK].flows, pages.viewer(request).actor.login
    name = request.match_info["name"]
    form = posted_fields(await request.post())
    text = form.get("document", "")
    try:
        if field(form, "action") == "check":
            checked = publishing.check(text, yaml_text=True, by=login)
            words = N_("No problems found: version %(version)s would serve new calls.")
            said = views.Said(note=(words, checked.version))
            return _flow_page(request, name, text=text, said=said)
        done = await publishing.publish(text, yaml_text=True, by=login)
    except FlowInvalid as refused:
        problems = views.flow_problems(refused)
        said = views.Said(problems=problems)
        return _flow_page(request, name, text=text, said=said)
    except FlowVersionTaken:
        said = views.Said(error=VERSION_TAKEN)
        return _flow_page(request, name, text=text, said=said, status=409)
    except FlowStoreFailed:
        said = views.Said(error=FLOW_NOT_SAVED)
        return _flow_page(request, name, text=text, said=said, status=503)
    outcome = "published" if done.published else "unchanged"
    raise web.HTTPSeeOther(f"/admin/flows/{done.flow.name}?done={outcome}")


def _flow_page(
    request: web.Request,
    name: str,
    *,
    text: str,
    said: views.Said = views.NOTHING,
    status: int | None = None,
) -> web.Response:
    registry = request.app[ADMIN_DESK].flows.registry
    current = registry.current(name)
    context = {
        **said.context(),
        "name": name,
        "new": name == NEW,
        "flow": views.flow_rows([current])[0] if current is not None else None,
        "versions": [v.version for v in registry.versions(name)],
        "document": text,
    }
    status = status or said.status
    return pages.render(request, "admin/flow.html", context, status=status)


def _may_publish(request: web.Request) -> None:
    if not pages.viewer(request).actor.can(Permission.FLOW_ADMIN):
        raise Forbidden("flow.admin")
