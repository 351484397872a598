"""The knowledge base's pages: the list with search and filters, an article, and
for editors the article form with its preview, publishing, deleting and the
categories; plus the agent desk's search beside the appeal form and the side
panel it opens. Each handler parses the request, calls the service, renders.
The service refuses what the viewer's role may not do (the 403 page).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from agent_ui import pages
from agent_ui.kb import categories, forms
from agent_ui.kb import views as kb_views
from agent_ui.kb.forms import ListFilter
from agent_ui.kb.http import KNOWLEDGE, done, read_form
from crm_core.auth.model import Actor, Permission
from crm_core.errors import NotFound, ValidationFailed
from crm_core.kb.errors import ArticleChanged
from crm_core.kb.model import Article
from crm_core.kb.service import KnowledgeBase

routes = web.RouteTableDef()

FORM = "kb/edit.html"


def _kb(request: web.Request) -> KnowledgeBase:
    return request.app[KNOWLEDGE]


def _actor(request: web.Request) -> Actor:
    return pages.viewer(request).actor


def _language(request: web.Request) -> str:
    return pages.viewer(request).language


def _article_id(request: web.Request, name: str = "article_id") -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound(f"no article {request.match_info[name]}") from None


def _said(request: web.Request) -> str | None:
    return kb_views.done_message(request.query.get("done", ""))


# reading -------------------------------------------------------------------------


@routes.get("/kb")
async def article_list(request: web.Request) -> web.StreamResponse:
    """The list: everything for editors, the published articles for others; an
    htmx request (the search box as one types) gets the list alone."""
    asked = ListFilter.of(request.query)
    kb, actor = _kb(request), _actor(request)
    found = await kb.search(actor, asked.query())
    categories = await kb.categories(actor)
    names = kb_views.category_names(categories, _language(request))
    context = {
        "list": kb_views.list_view(found, asked, names),
        "asked": asked,
        "editor": actor.can(Permission.KB_EDIT),
    }
    if pages.is_htmx(request):
        return pages.render(request, "kb/_list.html", context)
    context |= {
        "categories": kb_views.category_choices(categories, _language(request)),
        "languages": kb_views.language_choices(),
        "statuses": kb_views.status_choices(),
        "done": _said(request),
    }
    return pages.render(request, "kb/page.html", context)


@routes.get("/kb/articles/{article_id}")
async def article_page(request: web.Request) -> web.StreamResponse:
    actor = _actor(request)
    context = await _article_context(request, _article_id(request))
    if actor.can(Permission.KB_EDIT):
        versions = await _kb(request).versions(actor, _article_id(request))
        context["history"] = kb_views.versions_view(versions)
    context["done"] = _said(request)
    return pages.render(request, "kb/article.html", context)


async def _article_context(
    request: web.Request, article_id: uuid.UUID
) -> dict[str, Any]:
    kb, actor = _kb(request), _actor(request)
    article = await kb.article(actor, article_id)
    names = kb_views.category_names(await kb.categories(actor), _language(request))
    return {
        "article": kb_views.article_view(article, names, await kb.topics(actor)),
        "editor": actor.can(Permission.KB_EDIT),
    }


# the agent desk ----------------------------------------------------------------


@routes.get("/kb/desk")
async def desk_search(request: web.Request) -> web.StreamResponse:
    """What the agent desk shows beside the appeal form for the words typed and
    the topic chosen."""
    text = request.query.get("q", "")
    topic_id = _uuid(request.query.get("topic_id"))
    kb, actor = _kb(request), _actor(request)
    found = await kb.suggest(actor, text, topic_id=topic_id)
    names = kb_views.category_names(await kb.categories(actor), _language(request))
    context = {
        "hits": [kb_views.hit_view(h, names) for h in found.hits],
        "typed": text.strip(),
        "topic": topic_id is not None,
    }
    return pages.render(request, "kb/_desk.html", context)


@routes.get("/kb/articles/{article_id}/panel")
async def side_panel(request: web.Request) -> web.StreamResponse:
    """The article in the desk's side panel: the call's page stays."""
    context = await _article_context(request, _article_id(request))
    return pages.render(request, "kb/_panel.html", context)


# writing -------------------------------------------------------------------------


@routes.get("/kb/new")
async def new_article(request: web.Request) -> web.StreamResponse:
    return await _form_page(request, kb_views.form_view(None), article=None)


@routes.post("/kb/articles")
async def create_article(request: web.Request) -> web.StreamResponse:
    posted = await read_form(request)
    try:
        data = forms.article_input(posted)
        made = await _kb(request).create(_actor(request), data)
    except ValidationFailed as failed:
        view = kb_views.form_view(posted, errors=failed.errors)
        return await _form_page(request, view, article=None, status=422)
    raise done(f"/kb/articles/{made.id}", "created")


@routes.get("/kb/articles/{article_id}/edit")
async def edit_article(request: web.Request) -> web.StreamResponse:
    article = await _kb(request).for_editing(_actor(request), _article_id(request))
    view = kb_views.form_view(None, article=article)
    return await _form_page(request, view, article=article)


@routes.post("/kb/articles/{article_id}")
async def save_article(request: web.Request) -> web.StreamResponse:
    article_id = _article_id(request)
    posted = await read_form(request)
    kb, actor = _kb(request), _actor(request)
    try:
        await kb.update(actor, article_id, forms.article_change(posted))
    except ValidationFailed as failed:
        current = await kb.article(actor, article_id)
        view = kb_views.form_view(posted, errors=failed.errors)
        return await _form_page(request, view, article=current, status=422)
    except ArticleChanged:
        current = await kb.article(actor, article_id)
        view = kb_views.form_view(posted)
        view["values"]["version"] = str(current.version)
        view["meanwhile"] = {
            "who": current.updated_by,
            "when": kb_views.when(current.updated_at),
        }
        return await _form_page(request, view, article=current, status=409)
    raise done(f"/kb/articles/{article_id}", "saved")


async def _form_page(
    request: web.Request,
    view: dict[str, Any],
    *,
    article: Article | None,
    status: int = 200,
) -> web.Response:
    kb, actor = _kb(request), _actor(request)
    context = {
        "form": view,
        "article": article,
        "categories": kb_views.category_choices(
            await kb.categories(actor), _language(request)
        ),
        "topics": await kb.editing_topics(actor),
        "languages": kb_views.language_choices(),
        "formatting": kb_views.FORMATTING,
    }
    return pages.render(request, FORM, context, status=status)


@routes.post("/kb/check")
async def check_field(request: web.Request) -> web.StreamResponse:
    """One field of the article form checked by the model the save uses: the
    answer is that field's problem alone."""
    field = request.headers.get("HX-Trigger-Name", "")
    problems = forms.article_problems(await read_form(request))
    view = kb_views.form_view(None, errors=[e for e in problems if e.field == field])
    context = {"problem": view["errors"].get(field)}
    return pages.render(request, "kb/_field_error.html", context)


@routes.post("/kb/preview")
async def preview(request: web.Request) -> web.StreamResponse:
    """The body as readers will see it, while it is being written."""
    posted = await read_form(request)
    context = {
        "title": posted.one("title"),
        "body": kb_views.body_view(posted.one("body")),
    }
    return pages.render(request, "kb/_preview.html", context)


@routes.post("/kb/articles/{article_id}/publish")
async def publish(request: web.Request) -> web.StreamResponse:
    article_id = _article_id(request)
    await _kb(request).publish(_actor(request), article_id)
    raise done(f"/kb/articles/{article_id}", "published")


@routes.post("/kb/articles/{article_id}/unpublish")
async def unpublish(request: web.Request) -> web.StreamResponse:
    article_id = _article_id(request)
    await _kb(request).unpublish(_actor(request), article_id)
    raise done(f"/kb/articles/{article_id}", "unpublished")


@routes.get("/kb/articles/{article_id}/delete")
async def confirm_delete(request: web.Request) -> web.StreamResponse:
    article_id = _article_id(request)
    article = await _kb(request).for_editing(_actor(request), article_id)
    context = {
        "question": kb_views.DELETE_ARTICLE, "name": article.title,
        "action": f"/kb/articles/{article_id}/delete",
        "back": f"/kb/articles/{article_id}",
    }  # fmt: skip
    return pages.render(request, "kb/confirm.html", context)


@routes.post("/kb/articles/{article_id}/delete")
async def delete_article(request: web.Request) -> web.StreamResponse:
    await _kb(request).delete(_actor(request), _article_id(request))
    raise done("/kb", "deleted")


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


for _route in categories.routes:
    assert isinstance(_route, web.RouteDef)
    routes.route(_route.method, _route.path)(_route.handler)
