"""The agent desk's pages: the whole desk, and the fragments htmx swaps in (the
state bar with the call banner, the call's screen, the appeal form, the queues).
Each handler parses the request, calls one service and renders.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from agent_ui import labels, pages
from agent_ui.agent import forms
from agent_ui.agent import views as desk_views
from agent_ui.agent.controls import DeskState
from agent_ui.agent.errors import DeskRefused
from agent_ui.agent.screen import Pop
from agent_ui.agent.service import AGENT_DESK, AgentDesk
from agent_ui.agent.views import Shown
from crm_core.auth.model import Actor
from crm_core.customers.errors import DuplicateAccount
from crm_core.errors import Conflict, FieldError, ValidationFailed

routes = web.RouteTableDef()

STATE = "agent/_state.html"
POP = "agent/_pop.html"
APPEAL = "agent/_appeal.html"
DISPOSITION = "disposition-error"


def _desk(request: web.Request) -> AgentDesk:
    return request.app[AGENT_DESK]


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor


async def _form(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {k: v for k, v in posted.items() if isinstance(v, str)}


# the desk and its state --------------------------------------------------------


@routes.get("/agent")
async def desk(request: web.Request) -> web.StreamResponse:
    desk = _desk(request)
    actor = _actor(request)
    state = await desk.controls.state(actor)
    return pages.render(
        request,
        "agent/desk.html",
        {
            **_state_context(state),
            "call_id": desk_views.banner_view(state)["call_id"],
            "queues": await _queues(request),
        },
    )


@routes.get("/agent/state")
async def state(request: web.Request) -> web.StreamResponse:
    return await _state(request)


async def _state(request: web.Request) -> web.Response:
    found = await _desk(request).controls.state(_actor(request))
    return pages.render(request, STATE, _state_context(found))


def _said(
    request: web.Request, message: str, *, status: int = 409, ok: bool = False
) -> web.Response:
    """A sentence in the page's message area (not the state bar, which a push
    may redraw at any moment), and the state bar asked to redraw itself."""
    context = {"problem": message, "ok": ok}
    response = pages.render(request, "agent/_message.html", context, status=status)
    return pages.elsewhere(response, "#flash", then="refresh")


def _state_context(found: DeskState) -> dict[str, Any]:
    return {
        "desk": desk_views.state_view(found),
        "banner": desk_views.banner_view(found),
        "transfer": {},
    }


Action = Callable[[AgentDesk, Actor, Mapping[str, str]], Awaitable[object]]


def _act(path: str, action: Action) -> None:
    """POST `path`: do `action`, then answer with the state bar (a refusal is
    said in it, in words)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        try:
            await action(_desk(request), _actor(request), form)
        except DeskRefused as refused:
            return _said(request, refused.message)
        except ValidationFailed as failed:
            message = labels.field_problem(failed.errors[0].message)
            return _said(request, message, status=422)
        return await _state(request)

    handler.__name__ = "agent_" + path.rsplit("/", 1)[-1].replace("-", "_")
    routes.post(path)(handler)


_act("/agent/state/log-in", lambda d, a, f: d.controls.log_in(a))
_act("/agent/state/log-out", lambda d, a, f: d.controls.log_out(a))
_act("/agent/state/ready", lambda d, a, f: d.controls.ready(a))
_act(
    "/agent/state/pause",
    lambda d, a, f: d.controls.pause(a, forms.parsed(forms.PauseForm, f).checked()),
)
_act("/agent/call/hang-up", lambda d, a, f: d.controls.hang_up(a))
_act("/agent/call/hold", lambda d, a, f: d.controls.hold(a))
_act("/agent/call/resume", lambda d, a, f: d.controls.resume(a))
_act(
    "/agent/call/recording",
    lambda d, a, f: d.controls.record(a, paused=f.get("paused") == "yes"),
)
_act("/agent/call/transfer/complete", lambda d, a, f: d.controls.complete_transfer(a))
_act("/agent/call/transfer/cancel", lambda d, a, f: d.controls.cancel_transfer(a))


@routes.post("/agent/call/transfer")
async def transfer(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    controls = _desk(request).controls
    actor = _actor(request)
    try:
        parsed = forms.parsed(forms.TransferForm, form)
        target = parsed.target()
        if not controls.known_target(target):
            raise ValidationFailed([FieldError(target.kind.value, "not known")])
        await controls.transfer(actor, mode=parsed.mode, target=target)
    except ValidationFailed as failed:
        return await _transfer_refused(request, form, failed.errors[0])
    except DeskRefused as refused:
        return _said(request, refused.message)
    return await _state(request)


async def _transfer_refused(
    request: web.Request, form: Mapping[str, str], error: FieldError
) -> web.Response:
    found = await _desk(request).controls.state(_actor(request))
    problem = (
        desk_views.TRANSFER_UNKNOWN.get(error.field)
        if error.message == "not known"
        else labels.field_problem(error.message)
    )
    context = {
        **_state_context(found),
        "transfer": {"values": dict(form), "error": problem, "field": error.field},
    }
    return pages.render(request, STATE, context, status=422)


@routes.post("/agent/wrap-up")
async def finish_wrap_up(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    parsed = forms.parsed(forms.WrapUpForm, form)
    disposition = parsed.chosen()
    if disposition is None:
        context = {"problem": desk_views.CHOOSE_DISPOSITION, "error_id": DISPOSITION}
        response = pages.render(request, "agent/_field_error.html", context, status=422)
        return pages.elsewhere(response, "#" + DISPOSITION, swap="outerHTML")
    try:
        await _desk(request).controls.finish_wrap_up(
            _actor(request), disposition, parsed.notes
        )
    except DeskRefused as refused:
        return _said(request, refused.message)
    context = {
        "disposition": labels.DISPOSITIONS[disposition.value],
        "notes": parsed.notes,
    }
    response = pages.render(request, "agent/_wrapped.html", context)
    return pages.elsewhere(response, "#flash", then="refresh")


@routes.post("/agent/wrap-up/check")
async def check_wrap_up(request: web.Request) -> web.StreamResponse:
    """The disposition's problem alone (none once one is chosen)."""
    parsed = forms.parsed(forms.WrapUpForm, await _form(request))
    problem = desk_views.CHOOSE_DISPOSITION if parsed.chosen() is None else None
    context = {"problem": problem, "error_id": DISPOSITION}
    return pages.render(request, "agent/_field_error.html", context)


@routes.post("/agent/dial")
async def dial(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    try:
        number = forms.parsed(forms.DialForm, form).dialled()
        answered = await _desk(request).controls.dial(_actor(request), number)
    except ValidationFailed:
        return _said(request, desk_views.NOT_A_NUMBER, status=422)
    except DeskRefused as refused:
        return _said(request, refused.message)
    if not answered:
        return _said(request, desk_views.PHONE_SILENT, status=200)
    return _said(request, desk_views.DIALLING, status=200, ok=True)


@routes.get("/agent/queues")
async def queues(request: web.Request) -> web.StreamResponse:
    return pages.render(
        request, "agent/_queues.html", {"queues": await _queues(request)}
    )


async def _queues(request: web.Request) -> list[dict[str, Any]]:
    return desk_views.queues_view(_desk(request).controls.my_queues(_actor(request)))


# the call's screen ---------------------------------------------------------------


@routes.get("/agent/calls/{call_id}")
async def call_screen(request: web.Request) -> web.StreamResponse:
    call_id = request.match_info["call_id"]
    found = await _desk(request).screen.pop(_actor(request), call_id)
    menu = await _desk(request).registration.menu(_actor(request))
    return pages.render(
        request,
        POP,
        {
            "pop": desk_views.pop_view(found),
            "topics": desk_views.topic_choices(menu),
        },
    )


@routes.post("/agent/calls/{call_id}/customer")
async def choose_customer(request: web.Request) -> web.StreamResponse:
    call_id = request.match_info["call_id"]
    form = await _form(request)
    customer_id = _uuid(form.get("customer_id"))
    if customer_id is None:
        raise web.HTTPBadRequest(text="customer_id")
    found = await _desk(request).screen.choose(_actor(request), call_id, customer_id)
    return await _pop_again(request, found)


@routes.post("/agent/calls/{call_id}/customers")
async def save_customer(request: web.Request) -> web.StreamResponse:
    call_id = request.match_info["call_id"]
    form = await _form(request)
    parsed = forms.parsed(forms.NewCustomerForm, form)
    try:
        found = await _desk(request).screen.save_customer(
            _actor(request), call_id, parsed.customer_input()
        )
    except (ValidationFailed, DuplicateAccount) as failed:
        errors = (
            [forms.form_field_error(e) for e in failed.errors]
            if isinstance(failed, ValidationFailed)
            else [FieldError("account", str(failed))]
        )
        context = {
            "call_id": call_id,
            "form": desk_views.customer_form_view(form, errors),
        }
        return pages.render(request, "agent/_new_customer.html", context, status=422)
    return await _pop_again(request, found)


@routes.post("/agent/calls/{call_id}/customers/check")
async def check_customer(request: web.Request) -> web.StreamResponse:
    """One field of the new-customer form checked by the model the save uses:
    the answer is that field's problem alone."""
    field = request.headers.get("HX-Trigger-Name", "")
    parsed = forms.parsed(forms.NewCustomerForm, await _form(request))
    country = request.app[AGENT_DESK].country
    problems = forms.customer_problems(parsed, country=country)
    mine = next((e for e in problems if e.field == field), None)
    problem = labels.field_problem(mine.message) if mine else None
    return pages.render(request, "agent/_field_error.html", {"problem": problem})


async def _pop_again(request: web.Request, found: Pop) -> web.Response:
    """The call's screen again, in place of the whole screen (the form or the
    button that asked stood in a part of it)."""
    menu = await _desk(request).registration.menu(_actor(request))
    context = {
        "pop": desk_views.pop_view(found),
        "topics": desk_views.topic_choices(menu),
    }
    return pages.elsewhere(pages.render(request, POP, context), "#call")


# appeals -------------------------------------------------------------------------


@routes.get("/agent/calls/{call_id}/appeal")
async def appeal_form(request: web.Request) -> web.StreamResponse:
    query = dict(request.query.items())
    return await _appeal_form(request, query, Shown())


@routes.post("/agent/calls/{call_id}/appeal/check")
async def check_appeal(request: web.Request) -> web.StreamResponse:
    """The form again for what is typed so far: the topic's rules re-evaluated
    by the CRM, and the problem of the field just changed."""
    changed = forms.attribute_of(request.headers.get("HX-Trigger-Name"))
    return await _appeal_form(request, await _form(request), Shown(field=changed))


async def _appeal_form(
    request: web.Request, form: Mapping[str, str], shown: Shown, status: int = 200
) -> web.Response:
    call_id = request.match_info["call_id"]
    topic_id = _uuid(form.get("topic_id"))
    if topic_id is None:
        return pages.render(request, APPEAL, {"form": None, "call_id": call_id})
    parsed = forms.parsed(forms.AppealForm, form)
    try:
        draft = await _desk(request).registration.draft(
            _actor(request), call_id, topic_id=topic_id,
            customer_id=parsed.customer_id, description=parsed.description,
            attributes=forms.appeal_attributes(form),
        )  # fmt: skip
    except ValidationFailed as failed:
        problem = labels.field_problem(failed.errors[0].message)
        context = {"form": None, "call_id": call_id, "problem": problem}
        return pages.render(request, APPEAL, context, status=422)
    view = desk_views.appeal_form_view(
        draft, typed=form, customer_id=str(parsed.customer_id or ""),
        description=parsed.description, shown=shown,
    )  # fmt: skip
    return pages.render(
        request, APPEAL, {"form": view, "call_id": call_id}, status=status
    )


@routes.post("/agent/calls/{call_id}/appeals")
async def register_appeal(request: web.Request) -> web.StreamResponse:
    call_id = request.match_info["call_id"]
    form = await _form(request)
    parsed = forms.parsed(forms.AppealForm, form)
    try:
        done = await _desk(request).registration.register(
            _actor(request), call_id, topic_id=parsed.topic_id,
            customer_id=parsed.customer_id, description=parsed.description,
            attributes=forms.appeal_attributes(form),
        )  # fmt: skip
    except ValidationFailed:
        return await _appeal_form(request, form, Shown(all=True), status=422)
    context = {"done": desk_views.registered_view(done), "call_id": call_id}
    return pages.render(request, "agent/_appeal_saved.html", context)


@routes.post("/agent/appeals/{appeal_id}/pass-on")
async def pass_on(request: web.Request) -> web.StreamResponse:
    appeal_id = _uuid(request.match_info["appeal_id"])
    form = await _form(request)
    if appeal_id is None or not form.get("transition"):
        raise web.HTTPBadRequest(text="appeal or transition")
    try:
        done = await _desk(request).registration.pass_on(
            _actor(request), appeal_id, form["transition"]
        )
    except Conflict:
        return pages.render(
            request, "agent/_message.html", {"problem": desk_views.NOT_PASSED_ON},
            status=409,
        )  # fmt: skip
    context = {
        "done": desk_views.registered_view(done),
        "call_id": form.get("call_id", ""),
        "passed": True,
    }
    return pages.render(request, "agent/_appeal_saved.html", context)


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
