"""Keys under which the API keeps its services on the aiohttp app and request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from crm_core.api.addresses import IpNetwork
from crm_core.api.routing import Route
from crm_core.auth.model import Actor
from crm_core.auth.service import AuthService, SessionActor

SESSION_COOKIE = "cc_session"

WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CookiePolicy:
    secure: bool = False
    """Send the session cookie only over HTTPS; set it wherever TLS ends in front."""
    max_age_s: int = 7 * 24 * 3600


AUTH: web.AppKey[AuthService] = web.AppKey("crm_api_auth")
COOKIES: web.AppKey[CookiePolicy] = web.AppKey("crm_api_cookies")
TRUSTED_PROXIES: web.AppKey[tuple[IpNetwork, ...]] = web.AppKey("crm_api_proxies")
"""Reverse proxies whose X-Forwarded-For names the client (none by default)."""
ROUTES: web.AppKey[list[Route]] = web.AppKey("crm_api_routes")
PUBLIC: web.AppKey[set[WebHandler]] = web.AppKey("crm_api_public")
ACTOR: web.RequestKey[Actor] = web.RequestKey("crm_actor")
SESSION: web.RequestKey[SessionActor] = web.RequestKey("crm_session")
