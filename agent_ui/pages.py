"""What every page handler shares: who is looking (the session cookie), the right
to open the page, the CSRF check on changes, the language, and rendering a
template (the whole page, or for an htmx request only its fragment) with the
strict headers. No business rules: handlers call a service and render.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web
from babel.support import Translations

from agent_ui import areas
from agent_ui.i18n import ENVIRONMENTS, TRANSLATIONS
from agent_ui.language import choose, switch_targets
from agent_ui.ports import Sessions
from crm_core.api.context import SESSION_COOKIE
from crm_core.auth.credentials import same
from crm_core.auth.errors import Unauthenticated
from crm_core.auth.model import Actor, Permission
from crm_core.errors import Forbidden, NotFound, ValidationFailed

log = logging.getLogger(__name__)

SESSION_TIMEOUT_S = 5.0
LANGUAGE_COOKIE = "cc_lang"
"""The language this browser last picked (kept for the sign-in page)."""
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""No inline script or style anywhere (htmx's own indicator styles are off)."""

PAGE_SESSIONS: web.AppKey[Sessions] = web.AppKey("agent_ui_sessions")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    """The signed-in user looking at a page."""

    actor: Actor
    csrf_token: str
    language: str


VIEWER: web.RequestKey[Viewer] = web.RequestKey("agent_ui_viewer")


def viewer(request: web.Request) -> Viewer:
    """The viewer of a guarded page (set by `guarded`)."""
    return request[VIEWER]


def is_htmx(request: web.Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def language_of(request: web.Request, chosen: str | None = None) -> str:
    return choose(
        chosen=chosen,
        remembered=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("Accept-Language"),
    )


def words(request: web.Request) -> Translations:
    """The request's catalogue, for texts made in Python (messages from services)."""
    viewer = request.get(VIEWER)
    language = viewer.language if viewer is not None else language_of(request)
    return request.app[TRANSLATIONS][language]


async def find_viewer(request: web.Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        async with asyncio.timeout(SESSION_TIMEOUT_S):
            session = await request.app[PAGE_SESSIONS].session_actor(token)
    except Unauthenticated:
        return None
    return Viewer(
        actor=session.actor,
        csrf_token=session.csrf_token,
        language=language_of(request, session.language),
    )


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A path on this site to go to after a form: no scheme, no other host."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return fallback
    if target.startswith(("//", "/\\")):
        return fallback
    return target


def _to_login(request: web.Request) -> web.StreamResponse:
    """Send an unsigned visitor to sign in, then back; an htmx request is told to
    move the whole page (the page it came from is the one to come back to)."""
    if is_htmx(request):
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = safe_next(current.path + ("?" + current.query if current.query else ""))
        response = web.Response(status=401, headers=HEADERS)
        response.headers["HX-Redirect"] = "/login?next=" + quote(back, safe="/")
        return response
    raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/"))


def same_token(given: str, expected: str) -> bool:
    """The CSRF token given is the session's (compared in constant time)."""
    return bool(given) and same(given, expected)


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    return given is not None and same_token(given, expected)


def guarded(permission: Permission, handler: Handler) -> Handler:
    """`handler` for signed-in users holding `permission` only: others are sent
    to sign in, or shown the 403 page; a change without the session's CSRF token
    is refused; a service's Forbidden and NotFound become those pages."""

    async def guard(request: web.Request) -> web.StreamResponse:
        found = await find_viewer(request)
        if found is None:
            return _to_login(request)
        request[VIEWER] = found
        if not found.actor.can(permission):
            return forbidden(request)
        if request.method in UNSAFE_METHODS and not await _csrf_ok(
            request, found.csrf_token
        ):
            log.warning("page change without CSRF token %s", request.path)
            return forbidden(request)
        try:
            return await handler(request)
        except Forbidden as refused:
            log.info("page refused user=%s: %s", found.actor.login, refused)
            return forbidden(request)
        except NotFound:
            return problem(request, "not_found.html", status=404)
        except ValidationFailed as failed:
            log.warning("page input refused %s: %.300s", request.path, failed)
            return problem(request, "invalid.html", status=422)
        except Unauthenticated:
            return _to_login(request)

    guard.__name__ = getattr(handler, "__name__", "page")
    return guard


def forbidden(request: web.Request) -> web.Response:
    return problem(request, "forbidden.html", status=403)


def problem(request: web.Request, template: str, *, status: int) -> web.Response:
    """A refusal: its own page, or for an htmx request one sentence in the
    page's message area (whatever the request meant to replace stays)."""
    response = render(request, template, {}, status=status)
    if is_htmx(request):
        elsewhere(response, "#flash")
    return response


def elsewhere(
    response: web.Response,
    target: str,
    *,
    swap: str = "innerHTML",
    then: str | None = None,
) -> web.Response:
    """`response` swapped into `target` (a CSS selector) rather than where the
    request meant; `then` is an event htmx then fires on the asking element
    (bubbling up, so a part of the page can redraw itself)."""
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    if then is not None:
        response.headers["HX-Trigger"] = then
    return response


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    """`template` in the viewer's language with the layout's context (menu,
    language switch, CSRF token) and the pages' headers."""
    found = request.get(VIEWER)
    language = found.language if found is not None else language_of(request)
    actor = found.actor if found is not None else None
    shared = {
        "viewer": found,
        "language": language,
        "other_languages": switch_targets(language),
        "menu": areas.menu(actor) if actor is not None else [],
        "area": areas.area_of(request.path),
        "htmx": is_htmx(request),
        "here": request.path_qs,
        "csrf_token": found.csrf_token if found is not None else "",
    }
    response = aiohttp_jinja2.render_template(
        template,
        request,
        {**shared, **context},
        app_key=ENVIRONMENTS[language],
        status=status,
    )
    response.headers.update(HEADERS)
    return response
