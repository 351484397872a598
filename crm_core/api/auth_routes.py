"""Endpoints for signing in and out, the current user, users, API tokens and audit."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.addresses import IpNetwork, client_address
from crm_core.api.context import (
    AUTH,
    COOKIES,
    SESSION,
    SESSION_COOKIE,
    TRUSTED_PROXIES,
)
from crm_core.api.encoding import dumps
from crm_core.api.routing import ApiCall, ApiRoutes, Page, paged
from crm_core.auth.accounts import ApiToken, AuditEntry, User
from crm_core.auth.model import Actor, Permission, Role
from crm_core.auth.service import AuditQuery, NewUser, SessionActor, UserChanges
from crm_core.errors import FieldError, ValidationFailed

routes = ApiRoutes("auth")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(_In):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PasswordIn(_In):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ActorOut(BaseModel):
    user_id: uuid.UUID
    login: str
    role: Role
    permissions: list[Permission]
    customer_groups: list[str] | None
    queues: list[str]
    administered_queues: list[str]

    @classmethod
    def of(cls, actor: Actor) -> ActorOut:
        return cls(
            user_id=actor.user_id, login=actor.login, role=actor.role,
            permissions=sorted(actor.permissions),
            customer_groups=None if actor.customer_groups is None
            else sorted(actor.customer_groups),
            queues=sorted(actor.queues),
            administered_queues=sorted(actor.administered_queues),
        )  # fmt: skip


class SessionOut(BaseModel):
    actor: ActorOut
    csrf_token: str | None = Field(
        description="send as X-CSRF-Token on unsafe requests made with the cookie"
    )
    expires_at: datetime | None


class UserIn(_In):
    login: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = None
    granted: list[Permission] = []
    revoked: list[Permission] = []
    customer_groups: list[str] | None = None
    queues: list[str] = []
    administered_queues: list[str] = []
    language: str | None = Field(default=None, min_length=1, max_length=16)
    """The pages' language for the user, e.g. "ru" (none: the browser's)."""


class UserPatch(_In):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    password: str | None = None
    granted: list[Permission] | None = None
    revoked: list[Permission] | None = None
    customer_groups: list[str] | None = Field(
        default=None, description="send null to let the user see every group"
    )
    queues: list[str] | None = None
    administered_queues: list[str] | None = None
    active: bool | None = None
    language: str | None = Field(default=None, min_length=1, max_length=16)
    """The pages' language for the user, e.g. "ru"."""


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    login: str
    display_name: str
    role: Role
    granted: list[Permission]
    revoked: list[Permission]
    customer_groups: list[str] | None
    queues: list[str]
    administered_queues: list[str]
    active: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user)


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=100)
    user_id: uuid.UUID | None = Field(
        default=None, description="the user the token acts as; default: yourself"
    )
    expires_at: datetime | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    user_id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls.model_validate(token)


class IssuedTokenOut(TokenOut):
    token: str = Field(description="the bearer token; shown only this once")


class AuditQueryIn(BaseModel):
    action: str | None = None
    actor_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_login: str
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, object]


@routes.post(
    "/auth/login", public=True, permission=None, body=LoginIn, response=SessionOut,
    summary="Sign in; sets the session cookie",
)  # fmt: skip
async def login(call: ApiCall) -> web.Response:
    """Failed sign-ins slow down their address and their login with growing
    delays: 429 with Retry-After (seconds) while they must wait."""
    body = call.body(LoginIn)
    signed = await call.service(AUTH).login(
        body.login, body.password, address=request_address(call)
    )
    out = SessionOut(
        actor=ActorOut.of(signed.actor), csrf_token=signed.csrf_token,
        expires_at=signed.expires_at,
    )  # fmt: skip
    response = web.json_response(text=dumps(out))
    cookies = call.service(COOKIES)
    response.set_cookie(
        SESSION_COOKIE, signed.session_token, httponly=True, samesite="Lax",
        secure=cookies.secure, path="/", max_age=cookies.max_age_s,
    )  # fmt: skip
    return response


@routes.post("/auth/logout", permission=None, summary="End the browser session")
async def logout(call: ApiCall) -> web.Response:
    cookie = call.request.cookies.get(SESSION_COOKIE)
    if cookie:
        await call.service(AUTH).logout(cookie)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.post(
    "/auth/password", permission=None, body=PasswordIn, response=ActorOut,
    summary="Change your own password; your API tokens are revoked and your "
    "other sessions end",
)  # fmt: skip
async def change_password(call: ApiCall) -> ActorOut:
    body = call.body(PasswordIn)
    await call.service(AUTH).change_password(
        call.actor, current=body.current_password, new=body.new_password,
        address=request_address(call),
        keep_session=_own_session(call, call.actor.user_id),
    )  # fmt: skip
    return ActorOut.of(call.actor)


def request_address(call: ApiCall) -> str:
    """The client's address, from X-Forwarded-For only behind a trusted proxy."""
    request = call.request
    forwarded = request.headers.getall("X-Forwarded-For", [])
    proxies: tuple[IpNetwork, ...] = call.service(TRUSTED_PROXIES)
    return client_address(request.remote, forwarded, proxies)


def _own_session(call: ApiCall, user_id: uuid.UUID) -> str | None:
    """The id of the cookie session making this call, when it is `user_id`'s."""
    session: SessionActor | None = call.request.get(SESSION)
    if session is None or session.actor.user_id != user_id:
        return None
    return session.session_id


@routes.get(
    "/auth/me", permission=None, response=SessionOut,
    summary="Who is signed in, with the session's CSRF token",
)  # fmt: skip
async def me(call: ApiCall) -> SessionOut:
    session = call.request.get(SESSION)
    return SessionOut(
        actor=ActorOut.of(call.actor),
        csrf_token=None if session is None else session.csrf_token,
        expires_at=None if session is None else session.expires_at,
    )


@routes.get(
    "/users", permission=Permission.USER_ADMIN, response=UserOut, paged=True,
    summary="Users, ordered by login",
)  # fmt: skip
async def list_users(call: ApiCall) -> Page:
    page = call.page()
    key = page.key()
    users = await call.service(AUTH).list_users(
        call.actor, limit=page.limit + 1, after_login=key[0] if key else None
    )
    return paged([UserOut.of(u) for u in users], page.limit, lambda u: [u.login])


@routes.post(
    "/users", permission=Permission.USER_ADMIN, body=UserIn, response=UserOut,
    status=201, summary="Create a user",
)  # fmt: skip
async def create_user(call: ApiCall) -> UserOut:
    body = call.body(UserIn)
    new = NewUser(
        login=body.login, display_name=body.display_name, role=body.role,
        password=body.password, granted=frozenset(body.granted),
        revoked=frozenset(body.revoked),
        customer_groups=None if body.customer_groups is None
        else frozenset(body.customer_groups),
        queues=frozenset(body.queues),
        administered_queues=frozenset(body.administered_queues),
        language=body.language,
    )  # fmt: skip
    return UserOut.of(await call.service(AUTH).create_user(call.actor, new))


@routes.get(
    "/users/{user_id}", permission=Permission.USER_ADMIN, response=UserOut,
    summary="One user",
)  # fmt: skip
async def get_user(call: ApiCall) -> UserOut:
    user_id = call.path_uuid("user_id")
    return UserOut.of(await call.service(AUTH).get_user(call.actor, user_id))


@routes.patch(
    "/users/{user_id}", permission=Permission.USER_ADMIN, body=UserPatch,
    response=UserOut, summary="Change a user; absent fields stay as they are",
)  # fmt: skip
async def edit_user(call: ApiCall) -> UserOut:
    body = call.body(UserPatch)
    sent = body.model_fields_set

    def opt(values: list[Permission] | list[str] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    changes = UserChanges(
        display_name=body.display_name, role=body.role, password=body.password,
        granted=None if body.granted is None else frozenset(body.granted),
        revoked=None if body.revoked is None else frozenset(body.revoked),
        customer_groups=opt(body.customer_groups),
        all_groups="customer_groups" in sent and body.customer_groups is None,
        queues=opt(body.queues), administered_queues=opt(body.administered_queues),
        active=body.active, language=body.language,
    )  # fmt: skip
    user_id = call.path_uuid("user_id")
    changed = await call.service(AUTH).edit_user(
        call.actor, user_id, changes, keep_session=_own_session(call, user_id)
    )
    return UserOut.of(changed)


@routes.delete(
    "/users/{user_id}", permission=Permission.USER_ADMIN, response=UserOut,
    summary="Deactivate a user (kept for history; sessions end)",
)  # fmt: skip
async def deactivate_user(call: ApiCall) -> UserOut:
    user_id = call.path_uuid("user_id")
    return UserOut.of(await call.service(AUTH).deactivate_user(call.actor, user_id))


@routes.get(
    "/tokens", permission=None, response=TokenOut,
    summary="Your API tokens (all users' with user.admin and ?user_id=)",
)  # fmt: skip
async def list_tokens(call: ApiCall) -> list[TokenOut]:
    text = call.request.query.get("user_id")
    user_id = call.actor.user_id
    if text is not None:
        try:
            user_id = uuid.UUID(text)
        except ValueError:
            raise ValidationFailed([FieldError("user_id", "must be a UUID")]) from None
    tokens = await call.service(AUTH).list_tokens(call.actor, user_id=user_id)
    return [TokenOut.of(t) for t in tokens]


@routes.post(
    "/tokens", permission=None, body=TokenIn, response=IssuedTokenOut, status=201,
    summary="Issue an API token (for another user: user.admin)",
)  # fmt: skip
async def issue_token(call: ApiCall) -> IssuedTokenOut:
    body = call.body(TokenIn)
    issued = await call.service(AUTH).issue_token(
        call.actor, body.name, user_id=body.user_id, expires_at=body.expires_at
    )
    shown = TokenOut.of(issued.token).model_dump()
    return IssuedTokenOut(**shown, token=issued.secret)


@routes.delete(
    "/tokens/{token_id}", permission=None, response=TokenOut,
    summary="Revoke an API token (another user's: user.admin)",
)  # fmt: skip
async def revoke_token(call: ApiCall) -> TokenOut:
    token_id = call.path_uuid("token_id")
    return TokenOut.of(await call.service(AUTH).revoke_token(call.actor, token_id))


@routes.get(
    "/audit", permission=Permission.USER_ADMIN, query=AuditQueryIn,
    response=AuditOut, paged=True, summary="The audit log, newest first",
)  # fmt: skip
async def audit(call: ApiCall) -> Page:
    q = call.query(AuditQueryIn)
    page = call.page()
    key = page.key()
    after = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (ValueError, IndexError):
            raise ValidationFailed([FieldError("after", "not a cursor")]) from None
    entries: list[AuditEntry] = await call.service(AUTH).audit(
        call.actor, AuditQuery(**q.model_dump()), limit=page.limit + 1, after=after
    )
    return paged(entries, page.limit, lambda e: [e.at.isoformat(), e.id])
