"""Serves declared routes under /api/v1: authentication, permission checks, input
validation, error mapping and the OpenAPI document. No business decisions here.

Browsers sign in with a session cookie (HttpOnly, SameSite=Lax) and send the session's
CSRF token in `X-CSRF-Token` on every unsafe request; external systems send
`Authorization: Bearer <token>` and need no CSRF token (no ambient credential).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from crm_core.api import (
    appeal_routes,
    attachment_routes,
    auth_routes,
    customer_routes,
    notification_routes,
    report_routes,
    topic_routes,
    webhook_routes,
)
from crm_core.api.addresses import IpNetwork
from crm_core.api.context import (
    ACTOR,
    AUTH,
    COOKIES,
    PUBLIC,
    ROUTES,
    SESSION,
    SESSION_COOKIE,
    TRUSTED_PROXIES,
    CookiePolicy,
    WebHandler,
)
from crm_core.api.encoding import dumps, error_body, field_errors
from crm_core.api.openapi import openapi_document
from crm_core.api.routing import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PREFIX,
    ApiCall,
    ApiRoutes,
    Page,
    PageRequest,
    Route,
)
from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.service import AppealService
from crm_core.appeals.sla import SlaMonitor
from crm_core.appeals.topics import TopicService
from crm_core.auth.credentials import same
from crm_core.auth.errors import (
    CsrfRejected,
    LoginThrottled,
    PasswordWorkBusy,
    Unauthenticated,
)
from crm_core.auth.model import Actor, Role
from crm_core.auth.rights import require
from crm_core.auth.service import AuthService
from crm_core.customers.contacts import ContactService
from crm_core.customers.service import CustomerService
from crm_core.errors import (
    Conflict,
    CrmError,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from crm_core.webhooks.service import WebhookService

log = logging.getLogger(__name__)

ANONYMOUS_BODY_BYTES = 16 * 1024
"""The most a request without credentials may send (a login is a few hundred
bytes); signed-in requests get the application's limit, uploads stream."""
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANONYMOUS = Actor(
    user_id=uuid.UUID(int=1), login="anonymous", role=Role.AGENT,
    permissions=frozenset(),
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiDeps:
    """What the API needs from the composition root."""

    auth: AuthService
    webhooks: WebhookService | None = None
    """Serve /webhooks when given."""
    customers: CustomerService | None = None
    contacts: ContactService | None = None
    """Serve /customers, /leads, /identify and /contacts when both are given."""
    appeals: AppealService | None = None
    topics: TopicService | None = None
    """Serve /appeals and /topics when both are given."""
    attachments: AttachmentService | None = None
    """Serve /appeals/{id}/attachments and /attachments/{id} when given."""
    notifications: SlaMonitor | None = None
    """Serve /notifications when given."""
    reports: report_routes.ReportApi | None = None
    """Serve /appeals/search, /appeals/export, /appeals/bulk and /reports when given."""
    cookies: CookiePolicy = field(default_factory=CookiePolicy)
    trusted_proxies: tuple[IpNetwork, ...] = ()
    """Reverse proxies whose X-Forwarded-For names the client (login throttling)."""
    routes: Sequence[ApiRoutes] = ()
    """Further route tables (customers, appeals, webhooks, calls...)."""


def setup_api(app: web.Application, deps: ApiDeps) -> None:
    """Add /api/v1 (auth, users, tokens, audit, `deps.routes`) and its middleware."""
    app[AUTH] = deps.auth
    app[COOKIES] = deps.cookies
    app[TRUSTED_PROXIES] = deps.trusted_proxies
    app[ROUTES] = []
    app[PUBLIC] = set()
    app.middlewares.append(api_middleware)
    openapi = _openapi_handler
    app[PUBLIC].add(openapi)
    app.router.add_get(PREFIX + "/openapi.json", openapi)
    tables = [auth_routes.routes]
    if deps.webhooks is not None:
        app[webhook_routes.WEBHOOKS] = deps.webhooks
        tables.append(webhook_routes.routes)
    if deps.customers is not None and deps.contacts is not None:
        app[customer_routes.CUSTOMERS] = deps.customers
        app[customer_routes.CONTACTS] = deps.contacts
        tables.append(customer_routes.routes)
    if deps.reports is not None:  # before /appeals/{appeal_id}: it would match search
        app[report_routes.REPORTS] = deps.reports
        tables.append(report_routes.routes)
    if deps.appeals is not None and deps.topics is not None:
        app[appeal_routes.APPEALS] = deps.appeals
        app[appeal_routes.TOPICS] = deps.topics
        tables += [appeal_routes.routes, topic_routes.routes]
    if deps.attachments is not None:
        app[attachment_routes.ATTACHMENTS] = deps.attachments
        tables.append(attachment_routes.routes)
    if deps.notifications is not None:
        app[notification_routes.NOTIFICATIONS] = deps.notifications
        tables.append(notification_routes.routes)
    add_routes(app, [*tables, *deps.routes])


def add_routes(app: web.Application, tables: Iterable[ApiRoutes]) -> None:
    """Serve more route tables; call after `setup_api`, before the app starts."""
    for table in tables:
        for route in table.routes:
            endpoint = _endpoint(route)
            if route.public:
                app[PUBLIC].add(endpoint)
            app.router.add_route(route.method, route.full_path, endpoint)
            app[ROUTES].append(route)


def declared_routes(app: web.Application) -> list[Route]:
    """Every route served under /api/v1, in the order they were added."""
    routes: list[Route] = app[ROUTES]
    return list(routes)


async def _openapi_handler(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(declared_routes(request.app)))


@web.middleware
async def api_middleware(
    request: web.Request, handler: WebHandler
) -> web.StreamResponse:
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    try:
        if request.match_info.handler not in request.app[PUBLIC]:
            request[ACTOR] = await _authenticate(request)
        else:
            request = _anonymous(request)
        return await handler(request)
    except CrmError as exc:
        return error_response(exc, request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error_id = exc.reason.lower().replace(" ", "_")
        return _json(error_body(error_id, exc.reason), exc.status)
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception(
            "api failure ref=%s %s %s", reference, request.method, request.path
        )
        body = error_body("internal_error", f"internal error; reference {reference}")
        return _json(body, 500)


def _anonymous(request: web.Request) -> web.Request:
    """The request with the small body limit of one nobody has vouched for; a
    declared length over it is refused before a byte is read."""
    if (request.content_length or 0) > ANONYMOUS_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(
            max_size=ANONYMOUS_BODY_BYTES, actual_size=request.content_length or 0
        )
    return request.clone(client_max_size=ANONYMOUS_BODY_BYTES)


async def _authenticate(request: web.Request) -> Actor:
    auth = request.app[AUTH]
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        return await auth.token_actor(token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthenticated("sign in, or send an API token as 'Bearer <token>'")
    session = await auth.session_actor(cookie)
    request[SESSION] = session
    if request.method in UNSAFE_METHODS and not same(
        request.headers.get(CSRF_HEADER, ""), session.csrf_token
    ):
        raise CsrfRejected(f"the {CSRF_HEADER} header is missing or wrong")
    return session.actor


def error_response(exc: CrmError, request: web.Request) -> web.Response:
    """The status and {"error_id", "message", "details"} body for a CRM error."""
    details: Sequence[FieldError] = ()
    headers = {}
    if isinstance(exc, LoginThrottled | PasswordWorkBusy):
        status = 429 if isinstance(exc, LoginThrottled) else 503
        headers["Retry-After"] = str(exc.retry_after_s)
    elif isinstance(exc, Unauthenticated):
        status = 401
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, ValidationFailed):
        status, details = 422, exc.errors
        log.warning("bad input %s %s: %.300s", request.method, request.path, exc)
    elif isinstance(exc, Forbidden):
        status = 403
    elif isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, Conflict):
        status = 409
    else:
        status = 400
    return _json(error_body(exc.error_id, str(exc), details), status, headers)


def _json(
    body: object, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=dumps(body), status=status, headers=headers,
        content_type="application/json",
    )  # fmt: skip


def _endpoint(route: Route) -> WebHandler:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        actor = request.get(ACTOR, ANONYMOUS)
        if not route.public and route.permission is not None:
            require(actor, route.permission)
        raw = await _json_object(request) if route.body else None
        validated = route.body is not None and route.validate_body
        call = ApiCall(
            request=request,
            actor=actor,
            body_model=_validated(raw, route.body) if validated else None,
            raw_body=None if validated else raw,
            query_model=_query(request, route.query) if route.query else None,
            page_request=_page(request) if route.paged else None,
        )
        result = await route.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204 if route.status == 200 else route.status)
        if isinstance(result, Page):
            result = {"items": result.items, "next": result.next}
        return _json(result, route.status)

    endpoint.__name__ = getattr(route.handler, "__name__", "endpoint")
    return endpoint


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ValidationFailed([FieldError("body", f"not valid JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    return data


def _validated(data: object, model: type[BaseModel] | None) -> BaseModel:
    assert model is not None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def _query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    data: dict[str, object] = {}
    for name in request.query:
        values = request.query.getall(name)
        data[name] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def _page(request: web.Request) -> PageRequest:
    text = request.query.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        problem = f"must be a whole number from 1 to {MAX_LIMIT}"
        raise ValidationFailed([FieldError("limit", problem)])
    return PageRequest(limit=int(text), after=request.query.get("after") or None)
