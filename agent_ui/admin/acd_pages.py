"""The queues and agents' seats pages: lists, a form each, deletion. Parse, call
the ACD's administration (which checks, keeps and serves the change at once),
render; a refusal is shown in words beside the form."""

from __future__ import annotations

from aiohttp import web

from acd.configuration import ConfigurationRefused
from acd.errors import ConfigurationNotSaved
from agent_ui import pages
from agent_ui.admin import views
from agent_ui.admin.forms import Form, posted_fields, queue_input, seat_input
from agent_ui.admin.service import ADMIN_DESK
from agent_ui.labels import N_
from crm_core.auth.model import Actor
from crm_core.errors import NotFound, ValidationFailed

routes = web.RouteTableDef()

NOT_SAVED = N_(
    "The change was not saved: the database did not answer. Nothing changed; try again."
)
_NOT_SAVED = views.Said(errors={"form": NOT_SAVED})


@routes.post("/admin/check/queue")
async def check_queue(request: web.Request) -> web.StreamResponse:
    """One field of the queue form checked as its save would check it: the
    answer is that field's problem alone."""
    setup = request.app[ADMIN_DESK].acd
    form = posted_fields(await request.post())
    code = form.get("code") or None
    try:
        setup.check_queue(queue_input(form, queue_id=code), new=code is None)
    except ValidationFailed as failed:
        return _field_problem(request, failed)
    return _field_problem(request, None)


@routes.post("/admin/check/seat")
async def check_seat(request: web.Request) -> web.StreamResponse:
    """One field of the seat form checked as its save would check it."""
    setup = request.app[ADMIN_DESK].acd
    form = posted_fields(await request.post())
    try:
        setup.check_seat(seat_input(form), new=form.get("existing") != "yes")
    except ValidationFailed as failed:
        return _field_problem(request, failed)
    return _field_problem(request, None)


def _field_problem(
    request: web.Request, failed: ValidationFailed | None
) -> web.Response:
    field = request.headers.get("HX-Trigger-Name", "")
    errors = views.field_errors(failed.errors) if failed is not None else {}
    context = {"problem": errors.get(field), "field": field}
    return pages.render(request, "admin/_field_error.html", context)


@routes.get("/admin/queues")
async def queues(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    config = setup.configuration
    page = views.page_of(
        views.queue_rows(config, setup.waiting),
        lambda row: str(row["code"]),
        after=request.query.get("after") or None,
    )
    context = {
        "page": page,
        "first_page": not request.query.get("after"),
        "done": views.DONE.get(request.query.get("done", "")),
    }
    return pages.render(request, "admin/queues.html", context)


@routes.get("/admin/queues/new")
async def new_queue(request: web.Request) -> web.StreamResponse:
    return _queue_page(request, None, values=views.queue_form(None))


@routes.get("/admin/queues/{code}")
async def queue(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    found = request.app[ADMIN_DESK].acd.configuration.queue(code)
    if found is None:
        raise NotFound(code)
    done = views.DONE.get(request.query.get("done", ""))
    return _queue_page(
        request, code, values=views.queue_form(found), said=views.Said(done=done)
    )


@routes.post("/admin/queues")
@routes.post("/admin/queues/{code}")
async def save_queue(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    code = request.match_info.get("code")
    form = posted_fields(await request.post())
    try:
        parsed = queue_input(form, queue_id=code)
        await setup.save_queue(parsed, new=code is None, by=_actor(request))
    except ValidationFailed as failed:
        errors = views.field_errors(failed.errors)
        return _queue_page(request, code, values=form, said=views.Said(errors=errors))
    except ConfigurationNotSaved:
        return _queue_page(request, code, values=form, said=_NOT_SAVED)
    raise web.HTTPSeeOther(f"/admin/queues/{parsed.queue_id}?done=saved")


@routes.post("/admin/queues/{code}/delete")
async def delete_queue(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    code = request.match_info["code"]
    found = setup.configuration.queue(code)
    if found is None:
        raise NotFound(code)
    try:
        await setup.delete_queue(code, by=_actor(request))
    except ConfigurationRefused as refused:
        reasons = views.in_use_reasons(refused.in_use) if refused.in_use else []
        said = views.Said(refused=reasons)
        values = views.queue_form(found)
        return _queue_page(request, code, values=values, said=said, status=409)
    except ConfigurationNotSaved:
        values = views.queue_form(found)
        return _queue_page(request, code, values=values, said=_NOT_SAVED)
    raise web.HTTPSeeOther("/admin/queues?done=deleted")


def _queue_page(
    request: web.Request,
    code: str | None,
    *,
    values: Form,
    said: views.Said = views.NOTHING,
    status: int | None = None,
) -> web.Response:
    setup = request.app[ADMIN_DESK].acd
    context = {
        **said.context(),
        "code": code,
        "name": views.queue_name(code) if code else None,
        "values": values,
        "choices": views.choices(),
        "queues": [
            (q.queue_id, views.queue_name(q.queue_id))
            for q in setup.configuration.queues
            if q.queue_id != code
        ],
    }
    status = status or said.status
    return pages.render(request, "admin/queue.html", context, status=status)


@routes.get("/admin/seats")
async def seats(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    page = views.page_of(
        setup.configuration.seats,
        lambda seat: seat.login,
        after=request.query.get("after") or None,
    )
    context = {
        "rows": views.seat_rows(page.rows, setup.logged_in),
        "next_after": page.next_after,
        "first_page": not request.query.get("after"),
        "done": views.DONE.get(request.query.get("done", "")),
    }
    return pages.render(request, "admin/seats.html", context)


@routes.get("/admin/seats/new")
async def new_seat(request: web.Request) -> web.StreamResponse:
    return _seat_page(request, None)


@routes.get("/admin/seats/{login}")
async def seat(request: web.Request) -> web.StreamResponse:
    login = request.match_info["login"]
    if request.app[ADMIN_DESK].acd.configuration.seat(login) is None:
        raise NotFound(login)
    done = views.DONE.get(request.query.get("done", ""))
    return _seat_page(request, login, said=views.Said(done=done))


@routes.post("/admin/seats")
@routes.post("/admin/seats/{login}")
async def save_seat(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    login = request.match_info.get("login")
    form = posted_fields(await request.post())
    try:
        parsed = seat_input(form, login=login)
        await setup.save_seat(parsed, new=login is None, by=_actor(request))
    except ValidationFailed as failed:
        errors = views.field_errors(failed.errors)
        return _seat_page(request, login, posted=form, said=views.Said(errors=errors))
    except ConfigurationNotSaved:
        return _seat_page(request, login, posted=form, said=_NOT_SAVED)
    raise web.HTTPSeeOther(f"/admin/seats/{parsed.login}?done=saved")


@routes.post("/admin/seats/{login}/delete")
async def delete_seat(request: web.Request) -> web.StreamResponse:
    setup = request.app[ADMIN_DESK].acd
    login = request.match_info["login"]
    try:
        await setup.delete_seat(login, by=_actor(request))
    except ConfigurationRefused as refused:
        if not refused.logged_in:
            raise NotFound(login) from None
        words = N_("The agent is logged in: they log out first, then the seat goes.")
        said = views.Said(errors={"form": words})
        return _seat_page(request, login, said=said, status=409)
    except ConfigurationNotSaved:
        return _seat_page(request, login, said=_NOT_SAVED)
    raise web.HTTPSeeOther("/admin/seats?done=deleted")


def _seat_page(
    request: web.Request,
    login: str | None,
    *,
    posted: Form | None = None,
    said: views.Said = views.NOTHING,
    status: int | None = None,
) -> web.Response:
    setup = request.app[ADMIN_DESK].acd
    config = setup.configuration
    form = views.seat_form(config.seat(login) if login else None, config)
    if posted is not None:
        form = views.posted_seat_form(posted, config)
    context = {
        **said.context(),
        "login": login,
        "form": form,
        "pbxs": setup.pbxs,
        "logged_in": setup.logged_in(login) if login else False,
    }
    status = status or said.status
    return pages.render(request, "admin/seat.html", context, status=status)


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor
