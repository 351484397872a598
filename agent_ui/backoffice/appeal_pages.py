"""The appeal page's handlers: the page (or, for htmx, its body), each step on
the appeal from its form, the attribute form checked on change, a child appeal's
form, and a file uploaded. A step's answer is the page's body again with a
sentence in the message area: done, refused in words (someone took it first:
409), or the form as typed with its fields' problems (nothing saved: 422).
Each handler parses, calls the appeal desk, renders.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent_ui import labels, pages
from agent_ui.agent import forms as desk_forms
from agent_ui.agent.views import Shown, appeal_form_view
from agent_ui.backoffice import forms
from agent_ui.backoffice.appeal import AppealDesk, Typed
from agent_ui.backoffice.appeal_views import DONE, NOT_SAVED, Active, appeal_view
from agent_ui.backoffice.service import BACK_OFFICE
from agent_ui.backoffice.views import errors_view, refusal
from crm_core.appeals.model import TopicId
from crm_core.appeals.service import AppealInput
from crm_core.auth.model import Actor
from crm_core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed

BODY = "backoffice/_appeal.html"
CHILD = "backoffice/_child.html"
FIELD_NAMES = {"reason": "comment", "assignee_id": "assignee", "description": "comment"}
"""The services' field names as the step forms name them."""


def _desk(request: web.Request) -> AppealDesk:
    return request.app[BACK_OFFICE].appeals


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor


def _appeal_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["appeal_id"])
    except ValueError:
        raise NotFound("no such appeal") from None


async def _form(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {k: v for k, v in posted.items() if isinstance(v, str)}


async def appeal(request: web.Request) -> web.StreamResponse:
    page = "backoffice/appeal.html" if not pages.is_htmx(request) else BODY
    return await _render(request, template=page)


async def _render(
    request: web.Request,
    *,
    template: str = BODY,
    active: Active | None = None,
    attributes: Mapping[str, object] | None = None,
    shown: Shown | None = None,
    notice: tuple[str, bool] | None = None,
    status: int = 200,
) -> web.Response:
    """The appeal (its whole page or its body) with `notice` (a message id, and
    whether it is good news) in the message area."""
    actor = _actor(request)
    found = await _desk(request).page(actor, _appeal_id(request), attributes=attributes)
    context: dict[str, Any] = {
        "appeal": appeal_view(
            found, me=actor.user_id, now=datetime.now(UTC), active=active, shown=shown
        ),
        "notice": notice,
    }
    return pages.render(request, template, context, status=status)


# steps ------------------------------------------------------------------------

Step = Callable[[AppealDesk, Actor, uuid.UUID, Mapping[str, str]], Awaitable[object]]


def _typed(model: type[forms.StepForm], form: Mapping[str, str]) -> Typed:
    parsed = desk_forms.parsed(model, form)
    return Typed(version=parsed.version, comment=parsed.comment)


async def _assign(
    d: AppealDesk, a: Actor, i: uuid.UUID, f: Mapping[str, str]
) -> object:
    parsed = desk_forms.parsed(forms.AssignForm, f)
    return await d.assign(a, i, Typed(version=parsed.version, comment=parsed.comment),
                    parsed.assignee)  # fmt: skip


async def _pass_on(
    d: AppealDesk, a: Actor, i: uuid.UUID, f: Mapping[str, str]
) -> object:
    parsed = desk_forms.parsed(forms.PassOnForm, f)
    return await d.pass_on(a, i, Typed(version=parsed.version, comment=parsed.comment),
                     parsed.transition)  # fmt: skip


async def _deadline(
    d: AppealDesk, a: Actor, i: uuid.UUID, f: Mapping[str, str]
) -> object:
    parsed = desk_forms.parsed(forms.DeadlineForm, f)
    return await d.set_deadline(
        a, i, Typed(version=parsed.version, comment=parsed.comment), parsed.moment()
    )


STEPS: Mapping[str, Step] = {
    "take": lambda d, a, i, f: d.take(a, i, _typed(forms.StepForm, f)),
    "assign": _assign,
    "pass_on": _pass_on,
    "reject": lambda d, a, i, f: d.reject(a, i, _typed(forms.ReasonForm, f)),
    "close": lambda d, a, i, f: d.close(a, i, _typed(forms.StepForm, f)),
    "reopen": lambda d, a, i, f: d.reopen(a, i, _typed(forms.StepForm, f)),
    "deadline": _deadline,
}


def step(name: str) -> pages.Handler:
    """POST: take the step `name` from its form, then show the appeal again."""
    run = STEPS[name]

    async def handler(request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        try:
            await run(_desk(request), _actor(request), _appeal_id(request), form)
        except NotFound:
            raise
        except ValidationFailed as failed:
            errors = [FieldError(FIELD_NAMES.get(e.field, e.field), e.message)
                      for e in failed.errors]  # fmt: skip
            active = Active(form=name, typed=form, errors=errors_view(errors))
            return await _render(
                request, active=active, notice=(NOT_SAVED, False), status=422
            )
        except (Conflict, Forbidden) as refused:
            status = 409 if isinstance(refused, Conflict) else 403
            if form.get("from") == "list":
                return _said_in_list(request, refusal(str(refused)), status)
            return await _render(
                request, active=Active(form=name, typed=form),
                notice=(refusal(str(refused)), False), status=status,
            )  # fmt: skip
        if form.get("from") == "list":
            response = web.Response(status=200)
            response.headers["HX-Redirect"] = (
                f"/backoffice/appeals/{_appeal_id(request)}"
            )
            return response
        return await _render(request, notice=(DONE[name], True))

    handler.__name__ = f"appeal_{name}"
    return handler


def _said_in_list(request: web.Request, message: str, status: int) -> web.Response:
    """A step asked from a list was refused: said in the message area, and the
    list redraws itself to show the appeal as it is now."""
    context = {"problem": message, "ok": False}
    response = pages.render(request, "agent/_message.html", context, status=status)
    return pages.elsewhere(response, "#flash", then="list-changed")


async def edit(request: web.Request) -> web.StreamResponse:
    """Save the attributes and description; every problem shown, nothing saved
    while one remains."""
    form = await _form(request)
    attributes = forms.edited_attributes(form)
    try:
        parsed = desk_forms.parsed(forms.EditForm, form)
        await _desk(request).edit(
            _actor(request), _appeal_id(request),
            Typed(version=parsed.version, comment=parsed.comment), attributes,
        )  # fmt: skip
    except NotFound:
        raise
    except ValidationFailed as failed:
        active = Active(form="edit", typed=form, errors=errors_view(failed.errors))
        return await _render(
            request, active=active, attributes=attributes, shown=Shown(all=True),
            notice=(NOT_SAVED, False), status=422,
        )  # fmt: skip
    except (Conflict, Forbidden) as refused:
        return await _render(
            request, active=Active(form="edit", typed=form), attributes=attributes,
            notice=(refusal(str(refused)), False), status=409,
        )  # fmt: skip
    return await _render(request, notice=(DONE["edit"], True))


async def check_edit(request: web.Request) -> web.StreamResponse:
    """The attribute form again for what is typed (the topic's rules evaluated
    by the CRM), with the problem of the field just changed."""
    form = await _form(request)
    changed = desk_forms.attribute_of(request.headers.get("HX-Trigger-Name"))
    return await _render(
        request, template="backoffice/_attributes.html",
        active=Active(form="edit", typed=form),
        attributes=forms.edited_attributes(form), shown=Shown(field=changed),
    )  # fmt: skip


# child appeals ----------------------------------------------------------------


def _child_input(form: Mapping[str, str]) -> AppealInput:
    parsed = desk_forms.parsed(desk_forms.AppealForm, form)
    return AppealInput(
        topic_id=TopicId(parsed.topic_id), description=parsed.description,
        attributes=desk_forms.appeal_attributes(form),
    )  # fmt: skip


async def child_form(request: web.Request) -> web.StreamResponse:
    """The child appeal's form for the topic chosen and what is typed so far."""
    form = dict(request.query) if request.method == "GET" else await _form(request)
    changed = desk_forms.attribute_of(request.headers.get("HX-Trigger-Name"))
    return await _child(request, form, Shown(field=changed))


async def _child(
    request: web.Request, form: Mapping[str, str], shown: Shown, status: int = 200
) -> web.Response:
    context: dict[str, Any] = {"appeal_id": str(_appeal_id(request)), "form": None}
    if not form.get("topic_id"):
        return pages.render(request, CHILD, context, status=status)
    try:
        draft = await _desk(request).child_form(
            _actor(request), _appeal_id(request), _child_input(form)
        )
    except ValidationFailed as failed:
        context["problem"] = labels.field_problem(failed.errors[0].message)
        return pages.render(request, CHILD, context, status=422)
    context["form"] = appeal_form_view(
        draft, typed=form, customer_id="", description=form.get("description", ""),
        shown=shown,
    )  # fmt: skip
    return pages.render(request, CHILD, context, status=status)


async def add_child(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    try:
        await _desk(request).add_child(
            _actor(request), _appeal_id(request), _child_input(form)
        )
    except NotFound:
        raise
    except ValidationFailed:
        response = await _child(request, form, Shown(all=True), status=422)
        return pages.elsewhere(response, "#child-form")
    except (Conflict, Forbidden) as refused:
        return await _render(request, notice=(refusal(str(refused)), False), status=409)
    return await _render(request, notice=(DONE["child"], True))
