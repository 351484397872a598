"""IVR flow endpoints under /api/v1: list the flows in service, read one with its
versions and the document it was published from, and publish a new version (JSON,
or YAML text) that takes new calls only, once it is saved so that it survives a
restart. Validation is the registry's."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from crm_core.api.encoding import dumps
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from crm_core.errors import NotFound
from ivr.errors import FlowInvalid
from ivr.flow_store import FlowStoreFailed, FlowVersionTaken
from ivr.loader import FlowRegistry, invalid
from ivr.model import Flow
from ivr.publishing import FlowPublishing

log = logging.getLogger(__name__)

FLOWS: web.AppKey[FlowRegistry] = web.AppKey("ivr_flows")
"""The registry the IVR serves calls from (what `route_scripts` returns)."""

FLOW_PUBLISHING: web.AppKey[FlowPublishing] = web.AppKey("ivr_flow_publishing")
"""Checks, saves and publishes a flow document (over the same registry)."""

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
"""Content types read as YAML text; anything else is read as JSON."""

routes = ApiRoutes("ivr")


class FlowNotFound(NotFound):
    error_id = "ivr_flow_not_found"


class FlowOut(BaseModel):
    name: str
    version: int
    language: str
    numbers: list[str]
    source: str
    """The file, or "api:<login>" for a version published through the API."""
    digest: str
    node_count: int
    published_at: datetime | None
    """When it was published through the API; null for a file's version."""
    published_by: str | None
    """The login that published it; null for a file's version."""


class FlowListOut(BaseModel):
    items: list[FlowOut]


class VersionOut(BaseModel):
    version: int
    source: str
    digest: str
    published_at: datetime | None
    published_by: str | None


class FlowDetailOut(BaseModel):
    current: FlowOut
    document: dict[str, Any]
    """The current version's document, to edit and publish again."""
    versions: list[VersionOut]
    """Oldest first."""


class PublishedOut(BaseModel):
    flow: FlowOut
    published: bool
    """False when the document equals the running version's (nothing changed)."""


def flow_out(registry: FlowRegistry, flow: Flow) -> FlowOut:
    published = registry.publication(flow.name, flow.version)
    return FlowOut(
        name=flow.name, version=flow.version, language=flow.language,
        numbers=list(flow.numbers), source=flow.source, digest=flow.digest,
        node_count=len(flow.nodes), published_at=published.at,
        published_by=published.by,
    )  # fmt: skip


def version_out(registry: FlowRegistry, flow: Flow) -> VersionOut:
    published = registry.publication(flow.name, flow.version)
    return VersionOut(
        version=flow.version, source=flow.source, digest=flow.digest,
        published_at=published.at, published_by=published.by,
    )  # fmt: skip


@routes.get(
    "/ivr/flows", permission=Permission.FLOW_ADMIN, response=FlowListOut,
    summary="The IVR flows in service",
)  # fmt: skip
async def list_flows(call: ApiCall) -> FlowListOut:
    """Every flow's current version, sorted by name."""
    registry = call.service(FLOWS)
    current = (registry.current(name) for name in registry.names())
    return FlowListOut(items=[flow_out(registry, f) for f in current if f is not None])


@routes.get(
    "/ivr/flows/{name}", permission=Permission.FLOW_ADMIN, response=FlowDetailOut,
    summary="One IVR flow: its current version, document and versions",
)  # fmt: skip
async def get_flow(call: ApiCall) -> FlowDetailOut:
    """404 for a flow not in service."""
    registry, name = call.service(FLOWS), call.path("name")
    flow = registry.current(name)
    if flow is None:
        raise FlowNotFound(f"no IVR flow {name!r}")
    document = registry.document(name, flow.version)
    return FlowDetailOut(
        current=flow_out(registry, flow),
        document=dict(document) if isinstance(document, Mapping) else {},
        versions=[version_out(registry, v) for v in registry.versions(name)],
    )


@routes.post(
    "/ivr/flows", permission=Permission.FLOW_ADMIN, status=201,
    response=PublishedOut, summary="Publish a new version of an IVR flow",
    description="The body is a flow document: JSON, or YAML text with "
    "`Content-Type: application/yaml` (the structure of the flow files). 201 with "
    "the new version, saved (it survives a restart) and taking new calls only "
    "(calls in progress keep theirs); 200 when the document equals the running "
    'version; 422 listing every problem as {"source", "node", "field", '
    '"message"}; 409 when another version was published meanwhile; 503 when it '
    "could not be saved. On any error the running version stays in service.",
)  # fmt: skip
async def publish_flow(call: ApiCall) -> web.Response:
    login = call.actor.login
    raw = await call.request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _refused(invalid(f"api:{login}", "not UTF-8 text", field="body"))
    yaml_text = call.request.content_type in YAML_TYPES
    try:
        done = await call.service(FLOW_PUBLISHING).publish(
            text, yaml_text=yaml_text, by=login
        )
    except FlowInvalid as refused:
        log.warning(
            "IVR flow refused by=%s problems=%s body=%.300r", login, refused, raw
        )
        return _refused(refused)
    except FlowVersionTaken as error:
        log.warning("IVR flow not published by=%s: %s", login, error)
        return _error(
            409, "ivr_flow_version_taken",
            "another version of the flow was published meanwhile; fetch the flow "
            "and publish again",
        )  # fmt: skip
    except FlowStoreFailed:
        return _error(
            503, "ivr_flow_not_saved",
            "the flow was not published: it could not be saved, so it would not "
            "survive a restart; the running version stays in service. Try again "
            "later",
        )  # fmt: skip
    registry = call.service(FLOWS)
    out = PublishedOut(flow=flow_out(registry, done.flow), published=done.published)
    return _json(out, 201 if done.published else 200)


def _refused(refused: FlowInvalid) -> web.Response:
    body = {
        "error_id": "ivr_flow_invalid",
        "message": f"the flow was not published: {refused}",
        "details": [
            {"source": p.source, "node": p.node, "field": p.field, "message": p.message}
            for p in refused.problems
        ],
    }
    return _json(body, 422)


def _error(status: int, error_id: str, message: str) -> web.Response:
    return _json({"error_id": error_id, "message": message, "details": []}, status)


def _json(body: object, status: int) -> web.Response:
    return web.Response(
        text=dumps(body), status=status, content_type="application/json"
    )
