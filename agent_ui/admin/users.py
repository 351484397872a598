"""The users pages: the list (a page at a time), a new user, and one user's role,
language, password and whether they may sign in. Parse, call the auth service,
render; its rules and audit apply."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from agent_ui import pages
from agent_ui.admin import views
from agent_ui.admin.forms import (
    AuditFilter,
    Form,
    access,
    audit_filter,
    field,
    posted_fields,
    validated,
)
from agent_ui.admin.service import ADMIN_DESK
from crm_core.api.auth_routes import UserIn, UserPatch
from crm_core.auth.accounts import ApiToken, User, exceptions_for
from crm_core.auth.service import AuditQuery, NewUser, UserChanges
from crm_core.errors import Conflict, FieldError, NotFound, ValidationFailed

routes = web.RouteTableDef()


@routes.get("/admin")
@routes.get("/admin/users")
async def users(request: web.Request) -> web.StreamResponse:
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    after = request.query.get("after") or None
    found = await desk.users.list_users(
        actor, limit=views.PAGE_SIZE + 1, after_login=after
    )
    shown = found[: views.PAGE_SIZE]
    more = len(found) > views.PAGE_SIZE and shown
    context = {
        "rows": views.user_rows(shown),
        "next_after": shown[-1].login if more else None,
        "first_page": after is None,
        "done": views.DONE.get(request.query.get("done", "")),
    }
    return pages.render(request, "admin/users.html", context)


@routes.get("/admin/audit")
async def audit(request: web.Request) -> web.StreamResponse:
    """Who did what, newest first, a page at a time, by action and days."""
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    query = {name: request.query.get(name, "") for name in request.query}
    try:
        chosen = audit_filter(query)
    except ValidationFailed as failed:
        chosen, errors = AuditFilter(), views.field_errors(failed.errors)
    else:
        errors = {}
    found = await desk.users.audit(
        actor,
        AuditQuery(action=chosen.action, since=chosen.since, until=chosen.until),
        limit=views.PAGE_SIZE + 1,
        after=chosen.after,
    )
    shown = found[: views.PAGE_SIZE]
    more = len(found) > views.PAGE_SIZE and shown
    context = {
        "rows": views.audit_rows(shown),
        "values": query,
        "errors": errors,
        "actions": list(views.ACTIONS.items()),
        "next": views.audit_cursor(shown[-1]) if more else None,
        "done": None,
    }
    return pages.render(request, "admin/audit.html", context)


@routes.get("/admin/users/new")
async def new_user(request: web.Request) -> web.StreamResponse:
    return await _user_page(request, None, values=views.user_form(None))


@routes.post("/admin/users")
async def create_user(request: web.Request) -> web.StreamResponse:
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    form = posted_fields(await request.post())
    try:
        body = validated(UserIn, {k: v for k, v in form.items() if v})
        user = await desk.users.create_user(
            actor,
            NewUser(
                login=body.login, display_name=body.display_name, role=body.role,
                password=body.password, language=body.language,
            ),
        )  # fmt: skip
    except ValidationFailed as failed:
        errors = views.field_errors(failed.errors)
        return await _user_page(
            request, None, values=form, said=views.Said(errors=errors)
        )
    except Conflict:
        errors = views.field_errors([FieldError("login", "is taken")])
        return await _user_page(
            request, None, values=form, said=views.Said(errors=errors)
        )
    raise web.HTTPSeeOther(f"/admin/users/{user.id}?done=created")


@routes.get("/admin/users/{user_id}")
async def user(request: web.Request) -> web.StreamResponse:
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    found = await desk.users.get_user(actor, _user_id(request))
    done = views.DONE.get(request.query.get("done", ""))
    said = views.Said(done=done)
    return await _user_page(request, found, values=views.user_form(found), said=said)


@routes.post("/admin/users/{user_id}/tokens")
async def issue_token(request: web.Request) -> web.StreamResponse:
    """A new API token acting as the user: its secret is shown this once."""
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    user_id = _user_id(request)
    form = posted_fields(await request.post())
    found = await desk.users.get_user(actor, user_id)
    values = views.user_form(found)
    try:
        issued = await desk.users.issue_token(
            actor, field(form, "name"), user_id=user_id
        )
    except ValidationFailed as failed:
        errors = views.field_errors(failed.errors)
        return await _user_page(
            request, found, values=values, said=views.Said(errors=errors)
        )
    said = views.Said(secret=issued.secret)
    return await _user_page(request, found, values=values, said=said)


@routes.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
async def revoke_token(request: web.Request) -> web.StreamResponse:
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    user_id = _user_id(request)
    try:
        token_id = uuid.UUID(request.match_info["token_id"])
    except ValueError:
        raise NotFound("no such token") from None
    await desk.users.revoke_token(actor, token_id)
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?done=revoked")


@routes.post("/admin/users/{user_id}")
async def edit_user(request: web.Request) -> web.StreamResponse:
    form = posted_fields(await request.post())
    names = ("display_name", "role", "language")
    data = {name: form[name] for name in names if form.get(name)}
    return await _change(request, form, data, done="saved")


@routes.post("/admin/users/{user_id}/password")
async def reset_password(request: web.Request) -> web.StreamResponse:
    form = posted_fields(await request.post())
    data = {"password": field(form, "password")}
    return await _change(request, form, data, done="password")


@routes.post("/admin/users/{user_id}/active")
async def set_active(request: web.Request) -> web.StreamResponse:
    form = posted_fields(await request.post())
    active = field(form, "active") == "yes"
    done = "activated" if active else "deactivated"
    return await _change(request, form, {"active": active}, done=done)


@routes.post("/admin/users/{user_id}/access")
async def set_access(request: web.Request) -> web.StreamResponse:
    """The permissions held (the role's, with exceptions), the customer groups
    seen and the workflow queues."""
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    user_id = _user_id(request)
    chosen = access(posted_fields(await request.post()))
    found = await desk.users.get_user(actor, user_id)
    granted, revoked = exceptions_for(found.role, chosen.permissions)
    await desk.users.edit_user(
        actor,
        user_id,
        UserChanges(
            granted=granted, revoked=revoked,
            customer_groups=chosen.customer_groups,
            all_groups=chosen.customer_groups is None, queues=chosen.queues,
            administered_queues=chosen.administered_queues,
        ),
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?done=saved")


async def _change(
    request: web.Request, form: Form, data: Mapping[str, object], *, done: str
) -> web.StreamResponse:
    desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
    user_id = _user_id(request)
    try:
        body = validated(UserPatch, data)
        await desk.users.edit_user(
            actor,
            user_id,
            UserChanges(
                display_name=body.display_name, role=body.role,
                password=body.password, active=body.active, language=body.language,
            ),
        )  # fmt: skip
    except ValidationFailed as failed:
        found = await desk.users.get_user(actor, user_id)
        values = {**views.user_form(found), **form}
        errors = views.field_errors(failed.errors)
        return await _user_page(
            request, found, values=values, said=views.Said(errors=errors)
        )
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?done={done}")


async def _user_page(
    request: web.Request,
    found: User | None,
    *,
    values: Form,
    said: views.Said = views.NOTHING,
) -> web.Response:
    tokens: list[ApiToken] = []
    if found is not None:
        desk, actor = request.app[ADMIN_DESK], pages.viewer(request).actor
        tokens = await desk.users.list_tokens(actor, user_id=found.id)
    context = {
        **said.context(),
        "tokens": views.token_rows(tokens, now=datetime.now(UTC)),
        "user": None if found is None else views.user_rows([found])[0],
        "access": None if found is None else views.access_form(found),
        "values": values,
        "choices": views.choices(),
    }
    return pages.render(request, "admin/user.html", context, status=said.status)


def _user_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["user_id"])
    except ValueError:
        raise NotFound("no such user") from None
