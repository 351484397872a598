"""Rows to knowledge-base values and back; the queries the service shares."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals.tables import TopicRow
from crm_core.auth.store import utc, utc_or_none
from crm_core.kb.errors import ArticleNotFound, CategoryNotFound
from crm_core.kb.model import (
    Article,
    ArticleId,
    ArticleStatus,
    Category,
    CategoryId,
    Change,
    Language,
    TopicChoice,
    Version,
)
from crm_core.kb.tables import ArticleRow, ArticleTopicRow, CategoryRow, VersionRow


def article_of(row: ArticleRow, topic_codes: Sequence[str]) -> Article:
    return Article(
        id=ArticleId(row.id), title=row.title, body=row.body,
        language=Language(row.language), status=ArticleStatus(row.status),
        category_id=_category_id(row.category_id),
        topic_codes=tuple(sorted(topic_codes)), version=row.version,
        created_at=utc(row.created_at), created_by=row.created_by,
        updated_at=utc(row.updated_at), updated_by=row.updated_by,
        published_at=utc_or_none(row.published_at),
    )  # fmt: skip


def version_of(row: VersionRow) -> Version:
    return Version(
        article_id=ArticleId(row.article_id), version=row.version,
        change=Change(row.change), changed_at=utc(row.changed_at),
        changed_by=row.changed_by, title=row.title, body=row.body,
        language=Language(row.language), status=ArticleStatus(row.status),
        category_id=_category_id(row.category_id),
        topic_codes=tuple(row.topic_codes),
    )  # fmt: skip


def category_of(row: CategoryRow, articles: int = 0) -> Category:
    return Category(
        id=CategoryId(row.id), name_en=row.name_en, name_ru=row.name_ru,
        articles=articles,
    )  # fmt: skip


def snapshot(row: ArticleRow, topic_codes: Sequence[str], change: Change) -> VersionRow:
    """The version `change` made: the article as `row` now holds it."""
    return VersionRow(
        id=uuid.uuid4(), article_id=row.id, version=row.version, change=change.value,
        changed_at=row.updated_at, changed_by=row.updated_by, title=row.title,
        body=row.body, language=row.language, status=row.status,
        category_id=row.category_id, topic_codes=sorted(topic_codes),
    )  # fmt: skip


async def load(s: AsyncSession, article_id: uuid.UUID) -> ArticleRow:
    row = await s.get(ArticleRow, article_id)
    if row is None:
        raise ArticleNotFound(f"no article {article_id}")
    return row


async def load_category(s: AsyncSession, category_id: uuid.UUID) -> CategoryRow:
    row = await s.get(CategoryRow, category_id)
    if row is None:
        raise CategoryNotFound(f"no category {category_id}")
    return row


async def versions(s: AsyncSession, article_id: uuid.UUID) -> list[VersionRow]:
    rows = await s.scalars(
        select(VersionRow)
        .where(VersionRow.article_id == article_id)
        .order_by(VersionRow.version.desc())
    )
    return list(rows)


async def topics_of(
    s: AsyncSession, article_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each article's linked topic codes."""
    found: dict[uuid.UUID, list[str]] = {a: [] for a in article_ids}
    if article_ids:
        rows = await s.execute(
            select(ArticleTopicRow.article_id, ArticleTopicRow.topic_code).where(
                ArticleTopicRow.article_id.in_(article_ids)
            )
        )
        for article_id, code in rows:
            found[article_id].append(code)
    return found


async def link_topics(
    s: AsyncSession, article_id: uuid.UUID, codes: Sequence[str]
) -> None:
    await s.execute(
        delete(ArticleTopicRow).where(ArticleTopicRow.article_id == article_id)
    )
    s.add_all(ArticleTopicRow(article_id=article_id, topic_code=c) for c in codes)


async def known_topic_codes(s: AsyncSession, codes: Sequence[str]) -> set[str]:
    if not codes:
        return set()
    found = await s.scalars(select(TopicRow.code).where(TopicRow.code.in_(codes)))
    return set(found)


async def topic_code(s: AsyncSession, topic_id: uuid.UUID) -> str | None:
    code: str | None = await s.scalar(
        select(TopicRow.code).where(TopicRow.id == topic_id)
    )
    return code


async def topic_choices(s: AsyncSession) -> list[TopicChoice]:
    """Active topics appeals are registered on (not groups), by name."""
    rows = await s.scalars(
        select(TopicRow)
        .where(TopicRow.active.is_(True), TopicRow.is_group.is_(False))
        .order_by(TopicRow.name, TopicRow.code)
    )
    return [TopicChoice(id=r.id, code=r.code, name=r.name) for r in rows]


async def categories(s: AsyncSession) -> list[Category]:
    """Every category with how many articles it holds, by English name."""
    counted = (
        select(ArticleRow.category_id, func.count().label("n"))
        .group_by(ArticleRow.category_id)
        .subquery()
    )
    query: Select[CategoryRow, int | None] = (
        select(CategoryRow, counted.c.n)
        .outerjoin(counted, counted.c.category_id == CategoryRow.id)
        .order_by(CategoryRow.name_en, CategoryRow.name_ru, CategoryRow.id)
    )
    return [category_of(row, n or 0) for row, n in await s.execute(query)]


def _category_id(value: uuid.UUID | None) -> CategoryId | None:
    return None if value is None else CategoryId(value)
