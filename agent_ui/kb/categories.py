"""The categories page of the knowledge base (editors): the list with each one's
articles, adding, renaming, and deleting after a confirmation. Handlers parse,
call the service, render."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from agent_ui import pages
from agent_ui.kb import forms
from agent_ui.kb import views as kb_views
from agent_ui.kb.http import KNOWLEDGE, done, read_form
from crm_core.errors import NotFound, ValidationFailed

routes = web.RouteTableDef()

PAGE = "kb/categories.html"


def _category_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["category_id"])
    except ValueError:
        raise NotFound(f"no category {request.match_info['category_id']}") from None


@routes.get("/kb/categories")
async def category_list(request: web.Request) -> web.StreamResponse:
    return await _page(
        request, {"done": kb_views.done_message(request.query.get("done", ""))}
    )


async def _page(
    request: web.Request, context: dict[str, Any], status: int = 200
) -> web.Response:
    actor = pages.viewer(request).actor
    found = await request.app[KNOWLEDGE].editing_categories(actor)
    rows = kb_views.category_rows(found, pages.viewer(request).language)
    return pages.render(request, PAGE, {"rows": rows, **context}, status=status)


@routes.post("/kb/categories")
async def add_category(request: web.Request) -> web.StreamResponse:
    posted = await read_form(request)
    actor = pages.viewer(request).actor
    try:
        await request.app[KNOWLEDGE].add_category(actor, forms.category_input(posted))
    except ValidationFailed as failed:
        problem = kb_views.category_problem(failed.errors)
        context = {"adding": {"values": posted, "problem": problem}}
        return await _page(request, context, status=422)
    raise done("/kb/categories", "category_added")


@routes.post("/kb/categories/{category_id}")
async def rename_category(request: web.Request) -> web.StreamResponse:
    category_id = _category_id(request)
    posted = await read_form(request)
    actor = pages.viewer(request).actor
    try:
        await request.app[KNOWLEDGE].rename_category(
            actor, category_id, forms.category_input(posted)
        )
    except ValidationFailed as failed:
        problem = kb_views.category_problem(failed.errors)
        context = {"renaming": {"id": str(category_id), "problem": problem}}
        return await _page(request, context, status=422)
    raise done("/kb/categories", "category_saved")


@routes.get("/kb/categories/{category_id}/delete")
async def confirm_delete(request: web.Request) -> web.StreamResponse:
    category_id = _category_id(request)
    actor = pages.viewer(request).actor
    found = await request.app[KNOWLEDGE].editing_categories(actor)
    category = next((c for c in found if c.id == category_id), None)
    if category is None:
        raise NotFound(f"no category {category_id}")
    context = {
        "question": kb_views.DELETE_CATEGORY,
        "name": category.name(pages.viewer(request).language),
        "action": f"/kb/categories/{category_id}/delete",
        "back": "/kb/categories",
    }
    return pages.render(request, "kb/confirm.html", context)


@routes.post("/kb/categories/{category_id}/delete")
async def delete_category(request: web.Request) -> web.StreamResponse:
    actor = pages.viewer(request).actor
    await request.app[KNOWLEDGE].delete_category(actor, _category_id(request))
    raise done("/kb/categories", "category_deleted")
