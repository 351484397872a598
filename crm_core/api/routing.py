"""Route declarations for /api/v1: one decorator per endpoint, with its permission,
request and response models. Declarations only; `crm_core.api.app` serves them.

    routes = ApiRoutes("users")

    @routes.post("/users", permission=Permission.USER_ADMIN, body=UserIn,
                 response=UserOut, status=201, summary="Create a user")
    async def create_user(call: ApiCall) -> UserOut:
        new = call.body(UserIn)
        ...
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from crm_core.auth.model import Actor, Permission
from crm_core.errors import FieldError, ValidationFailed

PREFIX = "/api/v1"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Handler = Callable[["ApiCall"], Awaitable[object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str
    path: str
    """Relative to /api/v1, with aiohttp placeholders: `/users/{user_id}`."""
    handler: Handler
    permission: Permission | None
    """What the actor needs; None means any signed-in actor (ignored when public)."""
    summary: str
    tag: str
    public: bool = False
    body: type[BaseModel] | None = None
    validate_body: bool = True
    """False: the handler gets the JSON object (`call.json()`) and the service
    validates it; `body` then only documents it."""
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    paged: bool = False
    """The response is {"items": [response...], "next": cursor | null}."""
    status: int = 200
    description: str = ""

    @property
    def full_path(self) -> str:
        return PREFIX + self.path


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    limit: int
    after: str | None
    """The opaque cursor of the previous page's `next`, or None for the first page."""

    def key(self) -> list[str] | None:
        """The decoded cursor: the sort-key values of the last item already seen."""
        return None if self.after is None else decode_cursor(self.after)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    items: Sequence[object]
    next: str | None


def paged(items: Sequence[T], limit: int, key: Callable[[T], Sequence[object]]) -> Page:
    """A page from up to `limit + 1` fetched items (an extra one means more follow)."""
    shown = items[:limit]
    more = len(items) > limit and bool(shown)
    return Page(items=shown, next=encode_cursor(key(shown[-1])) if more else None)


def encode_cursor(values: Sequence[object]) -> str:
    raw = json.dumps([str(v) for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error):
        values = None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed([FieldError("after", "not a cursor this API gave")])
    return values


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiCall:
    """What a handler gets: the request, the authenticated actor, the checked input."""

    request: web.Request
    actor: Actor
    """For a public route without credentials: an actor with no permissions."""
    body_model: BaseModel | None = None
    raw_body: dict[str, Any] | None = None
    query_model: BaseModel | None = None
    page_request: PageRequest | None = None

    def body(self, model: type[M]) -> M:
        assert isinstance(self.body_model, model), "route declared another body"
        return self.body_model

    def json(self) -> dict[str, Any]:
        """The JSON object of a route declared with `validate_body=False`."""
        assert self.raw_body is not None, "route does not take a raw body"
        return self.raw_body

    def query(self, model: type[M]) -> M:
        assert isinstance(self.query_model, model), "route declared another query"
        return self.query_model

    def page(self) -> PageRequest:
        assert self.page_request is not None, "route is not declared paged"
        return self.page_request

    def path_uuid(self, name: str) -> uuid.UUID:
        """A path parameter that must be a UUID (422 naming it otherwise)."""
        try:
            return uuid.UUID(self.request.match_info[name])
        except ValueError:
            raise ValidationFailed([FieldError(name, "must be a UUID")]) from None

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def service(self, key: web.AppKey[T]) -> T:
        """A service the composition root stored on the application under `key`."""
        return self.request.app[key]


@dataclass(slots=True)
class ApiRoutes:
    """A table of endpoints with one tag in the OpenAPI document."""

    tag: str
    routes: list[Route] = field(default_factory=list)

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def route(
        self,
        method: str,
        path: str,
        *,
        permission: Permission | None,
        summary: str,
        public: bool = False,
        body: type[BaseModel] | None = None,
        validate_body: bool = True,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        paged: bool = False,
        status: int = 200,
        description: str = "",
    ) -> Callable[[Handler], Handler]:
        """Declare `method path`; `permission` is checked before the handler runs."""

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method=method, path=path, handler=handler, permission=permission,
                    summary=summary, tag=self.tag, public=public, body=body,
                    validate_body=validate_body, query=query, response=response,
                    paged=paged, status=status,
                    description=description or (handler.__doc__ or "").strip(),
                )
            )  # fmt: skip
            return handler

        return register
