"""Finding articles: the filters, the full-text match on the session's engine,
the order (linked to the asked topic first, then by rank, then newest change),
one page of hits with snippets, and how many match in all."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    exists,
    false,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.kb import markup, store
from crm_core.kb.model import ArticleQuery, ArticleStatus, Found, Hit
from crm_core.kb.search import index_for
from crm_core.kb.tables import ArticleRow, ArticleTopicRow
from crm_core.kb.text import Terms, snippet


async def find(
    s: AsyncSession,
    query: ArticleQuery,
    terms: Terms,
    statuses: Collection[ArticleStatus],
) -> Found:
    """The page of `query` among articles in `statuses`, matching `terms`."""
    code = query.topic_code
    if code is None and query.topic_id is not None:
        code = await store.topic_code(s, query.topic_id)
    on_topic = _on_topic(code)
    if not statuses or (query.on_topic_only and code is None):
        return Found(hits=(), total=0)
    chosen = _filtered(query, statuses)
    if query.on_topic_only:
        chosen = chosen.where(on_topic)
    first: list[UnaryExpression[Any]] = []
    if code is not None:  # a constant there would name a column by its position
        first.append(on_topic.desc())
    if not terms.empty:
        chosen, rank = index_for(s).matching(chosen, terms)
        first.append(rank.desc())
    total = await s.scalar(select(func.count()).select_from(chosen.subquery()))
    page = (
        chosen.add_columns(on_topic.label("on_topic"))
        .order_by(*first, ArticleRow.updated_at.desc(), ArticleRow.id)
        .offset(max(0, query.offset))
        .limit(max(1, query.limit))
    )
    rows = (await s.execute(page)).all()
    links = await store.topics_of(s, [row.id for row, _ in rows])
    hits = tuple(
        Hit(
            article=store.article_of(row, links[row.id]),
            snippet=snippet(markup.plain(row.body), terms),
            on_topic=bool(linked),
        )
        for row, linked in rows
    )
    return Found(hits=hits, total=total or 0)


def _filtered(
    query: ArticleQuery, statuses: Collection[ArticleStatus]
) -> Select[ArticleRow]:
    chosen = select(ArticleRow).where(
        ArticleRow.status.in_([s.value for s in statuses])
    )
    if query.category_id is not None:
        chosen = chosen.where(ArticleRow.category_id == query.category_id)
    if query.language is not None:
        chosen = chosen.where(ArticleRow.language == query.language.value)
    return chosen


def _on_topic(code: str | None) -> ColumnElement[bool]:
    if code is None:
        return false()
    return exists().where(
        ArticleTopicRow.article_id == ArticleRow.id,
        ArticleTopicRow.topic_code == code,
    )
