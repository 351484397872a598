"""Endpoints of the knowledge base (C15): search articles (every word in any
inflected form, Russian or English), read one, and for editors write, publish,
unpublish, delete, see versions and keep categories. Translation only: the
KnowledgeBase service checks rights and rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes, Page, encode_cursor
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, ValidationFailed
from crm_core.kb.inputs import ArticleChange, ArticleInput, CategoryInput
from crm_core.kb.model import (
    QUERY_MAX,
    Article,
    ArticleQuery,
    ArticleStatus,
    Category,
    CategoryId,
    Change,
    Hit,
    Language,
    Version,
)
from crm_core.kb.service import KnowledgeBase

KB: web.AppKey[KnowledgeBase] = web.AppKey("crm_api_kb", KnowledgeBase)

routes = ApiRoutes("knowledge base")
READ, EDIT = Permission.KB_READ, Permission.KB_EDIT


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    body: str
    language: Language
    status: ArticleStatus
    category_id: uuid.UUID | None
    topic_codes: list[str]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    published_at: datetime | None


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    text: str
    hit: bool = Field(description="a word the search asked for")


class HitOut(BaseModel):
    article: ArticleOut
    snippet: list[SegmentOut] = Field(
        description="plain text around the first word found, the words marked"
    )
    cut_before: bool
    cut_after: bool
    on_topic: bool = Field(description="linked to the topic searched for")


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change: Change
    changed_at: datetime
    changed_by: str
    title: str
    body: str
    language: Language
    status: ArticleStatus
    category_id: uuid.UUID | None
    topic_codes: list[str]


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name_en: str
    name_ru: str
    articles: int


class ArticleSearchIn(BaseModel):
    q: str = Field(
        default="", max_length=QUERY_MAX,
        description="words, all of which must be found (any inflected form); the "
        "last one unfinished unless followed by a space",
    )  # fmt: skip
    topic: str | None = Field(
        default=None, description="a topic code: its articles come first"
    )
    topic_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    language: Literal["en", "ru"] | None = None
    status: Literal["draft", "published"] | None = Field(
        default=None, description="drafts are seen by editors only"
    )


def _article(article: Article) -> ArticleOut:
    return ArticleOut.model_validate(article)


def _hit(hit: Hit) -> HitOut:
    return HitOut(
        article=_article(hit.article),
        snippet=[SegmentOut.model_validate(s) for s in hit.snippet.segments],
        cut_before=hit.snippet.cut_before, cut_after=hit.snippet.cut_after,
        on_topic=hit.on_topic,
    )  # fmt: skip


def _offset(call: ApiCall) -> int:
    key = call.page().key()
    if key is None:
        return 0
    if len(key) != 1 or not key[0].isdigit():
        raise ValidationFailed([FieldError("after", "not a cursor this API gave")])
    return int(key[0])


@routes.get(
    "/kb/articles", permission=READ, query=ArticleSearchIn, response=HitOut,
    paged=True, summary="Search articles: on the topic first, then the most relevant",
)  # fmt: skip
async def search_articles(call: ApiCall) -> Page:
    asked = call.query(ArticleSearchIn)
    page, offset = call.page(), _offset(call)
    found = await call.service(KB).search(
        call.actor,
        ArticleQuery(
            text=asked.q, topic_code=asked.topic, topic_id=asked.topic_id,
            category_id=None if asked.category_id is None
            else CategoryId(asked.category_id),
            language=None if asked.language is None else Language(asked.language),
            status=None if asked.status is None else ArticleStatus(asked.status),
            offset=offset, limit=page.limit,
        ),
    )  # fmt: skip
    more = offset + len(found.hits) < found.total
    following = encode_cursor([offset + len(found.hits)]) if more else None
    return Page(items=[_hit(h) for h in found.hits], next=following)


@routes.post("/kb/articles", permission=EDIT, body=ArticleInput, response=ArticleOut,
             status=201, summary="Write an article (a draft)")  # fmt: skip
async def create_article(call: ApiCall) -> ArticleOut:
    made = await call.service(KB).create(call.actor, call.body(ArticleInput))
    return _article(made)


@routes.get("/kb/articles/{article_id}", permission=READ, response=ArticleOut,
            summary="One article")  # fmt: skip
async def get_article(call: ApiCall) -> ArticleOut:
    found = await call.service(KB).article(call.actor, call.path_uuid("article_id"))
    return _article(found)


@routes.put(
    "/kb/articles/{article_id}", permission=EDIT, body=ArticleChange,
    response=ArticleOut,
    summary="Rewrite an article (409 when saved by someone since `version`)",
)  # fmt: skip
async def update_article(call: ApiCall) -> ArticleOut:
    changed = await call.service(KB).update(
        call.actor, call.path_uuid("article_id"), call.body(ArticleChange)
    )
    return _article(changed)


@routes.post("/kb/articles/{article_id}/publish", permission=EDIT,
             response=ArticleOut, summary="Publish an article")  # fmt: skip
async def publish_article(call: ApiCall) -> ArticleOut:
    done = await call.service(KB).publish(call.actor, call.path_uuid("article_id"))
    return _article(done)


@routes.post(
    "/kb/articles/{article_id}/unpublish", permission=EDIT, response=ArticleOut,
    summary="Take an article back to a draft",
)  # fmt: skip
async def unpublish_article(call: ApiCall) -> ArticleOut:
    done = await call.service(KB).unpublish(call.actor, call.path_uuid("article_id"))
    return _article(done)


@routes.delete("/kb/articles/{article_id}", permission=EDIT, status=204,
               summary="Delete an article and its versions")  # fmt: skip
async def delete_article(call: ApiCall) -> None:
    await call.service(KB).delete(call.actor, call.path_uuid("article_id"))


@routes.get("/kb/articles/{article_id}/versions", permission=EDIT,
            response=VersionOut, summary="Who changed the article, when and how, "
            "latest first")  # fmt: skip
async def article_versions(call: ApiCall) -> list[VersionOut]:
    found: list[Version] = await call.service(KB).versions(
        call.actor, call.path_uuid("article_id")
    )
    return [VersionOut.model_validate(v) for v in found]


@routes.get("/kb/categories", permission=READ, response=CategoryOut,
            summary="Categories with their number of articles")  # fmt: skip
async def list_categories(call: ApiCall) -> list[CategoryOut]:
    found: list[Category] = await call.service(KB).categories(call.actor)
    return [CategoryOut.model_validate(c) for c in found]


@routes.post("/kb/categories", permission=EDIT, body=CategoryInput,
             response=CategoryOut, status=201, summary="Add a category")  # fmt: skip
async def add_category(call: ApiCall) -> CategoryOut:
    made = await call.service(KB).add_category(call.actor, call.body(CategoryInput))
    return CategoryOut.model_validate(made)


@routes.put("/kb/categories/{category_id}", permission=EDIT, body=CategoryInput,
            response=CategoryOut, summary="Rename a category")  # fmt: skip
async def rename_category(call: ApiCall) -> CategoryOut:
    done = await call.service(KB).rename_category(
        call.actor, call.path_uuid("category_id"), call.body(CategoryInput)
    )
    return CategoryOut.model_validate(done)


@routes.delete(
    "/kb/categories/{category_id}", permission=EDIT, status=204,
    summary="Delete a category (its articles stay, uncategorised)",
)  # fmt: skip
async def delete_category(call: ApiCall) -> None:
    await call.service(KB).delete_category(call.actor, call.path_uuid("category_id"))
