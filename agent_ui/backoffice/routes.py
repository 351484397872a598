"""The back office's pages: every path of the area, the work lists with their
filters and bulk steps, and customers (the appeal page's handlers are in
`agent_ui.backoffice.appeal_pages`). Each handler parses, calls one service,
renders.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from agent_ui import pages
from agent_ui.agent.forms import parsed
from agent_ui.backoffice import appeal_pages, forms
from agent_ui.backoffice import views as office
from agent_ui.backoffice.customers import Cursors
from agent_ui.backoffice.service import BACK_OFFICE, BackOffice
from crm_core.auth.model import Actor
from crm_core.errors import FieldError, NotFound, ValidationFailed
from crm_core.reports.bulk import BulkResult

routes = web.RouteTableDef()

PAGE_SIZE = 25
CARD_PAGE_SIZE = 10


def _office(request: web.Request) -> BackOffice:
    return request.app[BACK_OFFICE]


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor


def _given(request: web.Request) -> dict[str, str]:
    """The query's fields that hold something."""
    return {k: v.strip() for k, v in request.query.items() if v.strip()}


# the work lists -----------------------------------------------------------------


@routes.get("/backoffice")
async def work_list(request: web.Request) -> web.StreamResponse:
    """A work list (`list`), its filters and page; htmx asks for the list alone."""
    form = parsed(forms.ListForm, _given(request))
    lists = _office(request).worklists
    actor = _actor(request)
    errors: list[FieldError] = []
    try:
        narrowed = form.narrowed()
        page = await lists.page(
            actor, form.kind, narrowed, cursor=form.cursor or None, limit=PAGE_SIZE
        )
    except ValidationFailed as failed:
        errors = list(failed.errors)
        page = await lists.page(actor, form.kind, None, limit=PAGE_SIZE)
    context = {
        "list": office.list_view(page, form, now=datetime.now(UTC), errors=errors)
    }
    template = (
        "backoffice/_list.html" if pages.is_htmx(request) else "backoffice/lists.html"
    )
    return pages.render(request, template, context, status=422 if errors else 200)


@routes.post("/backoffice/bulk")
async def bulk(request: web.Request) -> web.StreamResponse:
    """One step on every appeal ticked; what became of each, in words."""
    posted = await request.post()
    form = parsed(
        forms.BulkForm, {k: v for k, v in posted.items() if isinstance(v, str)}
    )
    lists = _office(request).worklists
    actor = _actor(request)
    results: list[BulkResult] = []
    try:
        ids = forms.bulk_ids([str(v) for v in posted.getall("appeal", [])])
        if form.action == "assign":
            results = await lists.assign(
                actor, ids, assignee_id=forms.bulk_assignee(form), comment=form.comment
            )
        elif form.action == "pass_on":
            results = await lists.pass_on(actor, ids, comment=form.comment)
        elif form.action == "close":
            results = await lists.close(actor, ids, comment=form.comment)
        else:
            raise ValidationFailed([FieldError("action", "Input should be one of")])
    except ValidationFailed as failed:
        context = {"bulk": office.bulk_view(form.action, [], errors=failed.errors)}
        return pages.render(request, "backoffice/_bulk.html", context, status=422)
    response = pages.render(
        request,
        "backoffice/_bulk.html",
        {"bulk": office.bulk_view(form.action, results)},
    )
    response.headers["HX-Trigger"] = "list-changed"
    return response


# customers ----------------------------------------------------------------------


@routes.get("/backoffice/customers")
async def customers(request: web.Request) -> web.StreamResponse:
    """Customers by name, phone or account (those the viewer may see)."""
    form = parsed(forms.CustomerSearchForm, _given(request))
    context: dict[str, Any] = {"values": form.model_dump(), "errors": {}}
    found = None
    if form.asked:
        try:
            found = await _office(request).customers.find(
                _actor(request), form.query(), cursor=form.cursor or None,
                limit=PAGE_SIZE,
            )  # fmt: skip
        except ValidationFailed as failed:
            context["errors"] = office.errors_view(failed.errors)
    more = None
    if found is not None and found.next_cursor:
        query = {**form.model_dump(), "cursor": found.next_cursor}
        more = "/backoffice/customers?" + urlencode(
            {k: v for k, v in query.items() if v}
        )
    context["found"] = office.customers_view(found, more)
    status = 422 if context["errors"] else 200
    return pages.render(request, "backoffice/customers.html", context, status=status)


@routes.get("/backoffice/customers/{customer_id}")
async def customer(request: web.Request) -> web.StreamResponse:
    """The customer's card with a page of their contacts and of their appeals."""
    customer_id = _uuid(request.match_info["customer_id"])
    cursors = {k: v for k, v in _given(request).items() if k in ("contacts", "appeals")}
    page = await _office(request).customers.card(
        _actor(request), customer_id,
        Cursors(contacts=cursors.get("contacts"), appeals=cursors.get("appeals")),
        limit=CARD_PAGE_SIZE,
    )  # fmt: skip
    base = f"/backoffice/customers/{customer_id}"
    context = {
        "customer": office.customer_view(
            page, now=datetime.now(UTC), base=base, cursors=cursors
        )
    }
    return pages.render(request, "backoffice/customer.html", context)


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("no such record") from None


# the appeal page ------------------------------------------------------------------

APPEAL = "/backoffice/appeals/{appeal_id}"
routes.get(APPEAL)(appeal_pages.appeal)
for name in appeal_pages.STEPS:
    routes.post(f"{APPEAL}/{name.replace('_', '-')}")(appeal_pages.step(name))
routes.post(f"{APPEAL}/edit")(appeal_pages.edit)
routes.post(f"{APPEAL}/edit/check")(appeal_pages.check_edit)
routes.get(f"{APPEAL}/children/form")(appeal_pages.child_form)
routes.post(f"{APPEAL}/children/form")(appeal_pages.child_form)
routes.post(f"{APPEAL}/children")(appeal_pages.add_child)
