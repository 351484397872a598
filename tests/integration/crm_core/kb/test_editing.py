"""Editing the knowledge base on SQLite and PostgreSQL: who may, what is refused
(naming the field), versions and the audit log of every change, a save over
someone else's refused, publishing, deleting, categories."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from crm_core.auth.tables import AuditRow
from crm_core.customers.inputs import parse
from crm_core.db import Sessions
from crm_core.errors import Forbidden, ValidationFailed
from crm_core.kb.errors import ArticleChanged, ArticleNotFound
from crm_core.kb.inputs import ArticleChange, ArticleInput, CategoryInput
from crm_core.kb.model import (
    BODY_MAX,
    ArticleQuery,
    ArticleStatus,
    Change,
    Language,
)
from tests.integration.crm_core.kb.library import (
    ADMIN,
    AGENT,
    EDITOR,
    Library,
    library,
)

NOTE = ArticleInput(title="Router", body="Reset it.")


@pytest.fixture
async def books(sessions: Sessions) -> Library:
    return await library(sessions)


async def test_agent_cannot_write_or_change_an_article_when_asked(
    books: Library,
) -> None:
    made = await books.article("Router", "Reset it.")
    kb = books.kb
    with pytest.raises(Forbidden):
        await kb.create(AGENT, NOTE)
    change = ArticleChange(title="X", body="Y", version=made.version)
    with pytest.raises(Forbidden):
        await kb.update(AGENT, made.id, change)
    for act in (kb.publish, kb.unpublish, kb.delete, kb.versions):
        with pytest.raises(Forbidden):
            await act(AGENT, made.id)
    with pytest.raises(Forbidden):
        await kb.add_category(AGENT, CategoryInput(name_en="Billing"))
    assert (await kb.article(AGENT, made.id)).title == "Router"


async def test_administrator_writes_articles_when_asked(books: Library) -> None:
    made = await books.kb.create(ADMIN, NOTE)
    assert made.created_by == "ivan"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "   ", "body": "text"}, "title"),
        ({"title": "T" * 201, "body": "text"}, "title"),
        ({"title": "Title", "body": "x" * (BODY_MAX + 1)}, "body"),
        ({"title": "Title", "body": ""}, "body"),
        ({"title": "Title", "body": "text", "language": "de"}, "language"),
    ],
)
def test_bad_article_names_its_field_when_validated(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse(ArticleInput, data)
    assert [e.field for e in failed.value.errors] == [field]


async def test_unknown_topic_and_category_are_refused_when_saved(
    books: Library,
) -> None:
    data = ArticleInput(
        title="T", body="B", topic_codes=["complaint", "nope"],
        category_id=uuid.uuid4(),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as failed:
        await books.kb.create(EDITOR, data)
    assert [e.field for e in failed.value.errors] == ["category_id", "topic_codes[1]"]
    found = await books.kb.search(EDITOR, ArticleQuery())
    assert found.total == 0


async def test_every_change_leaves_a_version_and_an_audit_entry_when_made(
    books: Library,
) -> None:
    kb = books.kb
    made = await kb.create(EDITOR, NOTE)
    books.clock.advance(60)
    edited = await kb.update(
        ADMIN, made.id,
        ArticleChange(title="Router reset", body="Hold the button.", version=1,
                      language=Language.EN, topic_codes=["complaint"]),
    )  # fmt: skip
    books.clock.advance(60)
    published = await kb.publish(EDITOR, made.id)
    again = await kb.publish(EDITOR, made.id)
    books.clock.advance(60)
    await kb.unpublish(EDITOR, made.id)
    assert (edited.version, published.version, again.version) == (2, 3, 3)
    assert published.published_at is not None
    versions = await kb.versions(EDITOR, made.id)
    assert [(v.version, v.change, v.changed_by) for v in versions] == [
        (4, Change.UNPUBLISHED, "vera"),
        (3, Change.PUBLISHED, "vera"),
        (2, Change.EDITED, "ivan"),
        (1, Change.CREATED, "vera"),
    ]
    assert versions[3].title == "Router"
    assert versions[2].topic_codes == ("complaint",)
    assert versions[2].changed_at > versions[3].changed_at
    assert await _audit(books.sessions) == [
        "kb.article.created",
        "kb.article.edited",
        "kb.article.published",
        "kb.article.unpublished",
    ]


async def test_save_over_someone_elses_is_refused_when_the_version_is_old(
    books: Library,
) -> None:
    made = await books.kb.create(EDITOR, NOTE)
    mine = ArticleChange(title="Mine", body="Mine.", version=made.version)
    theirs = ArticleChange(title="Theirs", body="Theirs.", version=made.version)
    await books.kb.update(ADMIN, made.id, theirs)
    with pytest.raises(ArticleChanged, match="ivan saved version 2"):
        await books.kb.update(EDITOR, made.id, mine)
    assert (await books.kb.article(EDITOR, made.id)).title == "Theirs"


async def test_draft_is_not_found_by_a_reader_when_opened(books: Library) -> None:
    made = await books.article("Draft", "Soon.", published=False)
    with pytest.raises(ArticleNotFound):
        await books.kb.article(AGENT, made.id)
    assert (await books.kb.article(EDITOR, made.id)).status is ArticleStatus.DRAFT


async def test_deleted_article_is_gone_and_the_audit_keeps_who_when_deleted(
    books: Library,
) -> None:
    made = await books.article("Router", "Reset it.")
    await books.kb.delete(ADMIN, made.id)
    with pytest.raises(ArticleNotFound):
        await books.kb.article(EDITOR, made.id)
    with pytest.raises(ArticleNotFound):
        await books.kb.delete(ADMIN, made.id)
    assert (await _audit(books.sessions))[-1] == "kb.article.delete"


async def test_category_holds_articles_until_deleted_when_kept(
    books: Library,
) -> None:
    kb = books.kb
    billing = await kb.add_category(
        EDITOR, CategoryInput(name_en="Billing", name_ru="Оплата")
    )
    made = await kb.create(
        EDITOR, ArticleInput(title="Bill", body="Paid.", category_id=billing.id)
    )
    [listed] = await kb.categories(AGENT)
    assert (listed.name("ru"), listed.name("en"), listed.articles) == (
        "Оплата", "Billing", 1,
    )  # fmt: skip
    renamed = await kb.rename_category(
        EDITOR, billing.id, CategoryInput(name_en="Bills")
    )
    assert renamed.name("ru") == "Bills"
    with pytest.raises(ValidationFailed):
        await kb.add_category(EDITOR, CategoryInput())
    await kb.delete_category(EDITOR, billing.id)
    assert await kb.categories(EDITOR) == []
    assert (await kb.article(EDITOR, made.id)).category_id is None


async def _audit(sessions: Sessions) -> list[str]:
    async with sessions() as s:
        rows = await s.scalars(
            select(AuditRow.action)
            .where(AuditRow.object_type == "kb_article")
            .order_by(AuditRow.at)
        )
        return list(rows)
