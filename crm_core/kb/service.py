"""The knowledge base service: everyone signed in reads and searches published
articles; supervisors and administrators (KB_EDIT) also see drafts, write, edit,
publish, unpublish and delete articles and keep the categories. Every change
leaves a version (who, when, what) and an audit entry. Holds no session between
calls."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.auth.store import write_audit
from crm_core.clock import Clock
from crm_core.db import Sessions
from crm_core.errors import FieldError, ValidationFailed
from crm_core.kb import store
from crm_core.kb.errors import ArticleChanged, ArticleNotFound
from crm_core.kb.finder import find
from crm_core.kb.inputs import ArticleChange, ArticleInput, CategoryInput
from crm_core.kb.model import (
    QUERY_MAX,
    Article,
    ArticleQuery,
    ArticleStatus,
    Category,
    Change,
    Found,
    TopicChoice,
    Version,
)
from crm_core.kb.search import index_for
from crm_core.kb.tables import ArticleRow, CategoryRow
from crm_core.kb.text import terms

log = logging.getLogger(__name__)

READ, EDIT = Permission.KB_READ, Permission.KB_EDIT
DESK_HITS = 8
"""How many articles the agent desk shows beside the appeal form."""


class KnowledgeBase:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    # reading ----------------------------------------------------------------------

    async def search(self, actor: Actor, query: ArticleQuery) -> Found:
        """Articles matching `query` (every word, in any inflected form), linked
        to its topic first, then the most relevant; drafts for editors only."""
        require(actor, READ)
        async with self._sessions() as s:
            return await find(
                s, query, terms(query.text[:QUERY_MAX]), _visible(actor, query.status)
            )

    async def suggest(
        self, actor: Actor, text: str, *, topic_id: uuid.UUID | None
    ) -> Found:
        """What the agent desk shows for the words typed and the appeal topic
        chosen: published articles, those on the topic first; with no words, the
        articles linked to the topic; with neither, nothing."""
        query = ArticleQuery(
            text=text, topic_id=topic_id, status=ArticleStatus.PUBLISHED,
            limit=DESK_HITS, on_topic_only=not terms(text[:QUERY_MAX]).words,
        )  # fmt: skip
        return await self.search(actor, query)

    async def article(self, actor: Actor, article_id: uuid.UUID) -> Article:
        """One article; a draft is not found by a reader."""
        require(actor, READ)
        async with self._sessions() as s:
            row = await store.load(s, article_id)
            if ArticleStatus(row.status) not in _visible(actor, None):
                raise ArticleNotFound(f"no article {article_id}")
            return await _article(s, row)

    async def for_editing(self, actor: Actor, article_id: uuid.UUID) -> Article:
        """The article as an editor opens it to change it (drafts too)."""
        require(actor, EDIT)
        return await self.article(actor, article_id)

    async def versions(self, actor: Actor, article_id: uuid.UUID) -> list[Version]:
        """Every change of the article, the latest first."""
        require(actor, EDIT)
        async with self._sessions() as s:
            await store.load(s, article_id)
            return [store.version_of(r) for r in await store.versions(s, article_id)]

    async def categories(self, actor: Actor) -> list[Category]:
        require(actor, READ)
        async with self._sessions() as s:
            return await store.categories(s)

    async def editing_categories(self, actor: Actor) -> list[Category]:
        """The categories as their page lists them (editors only)."""
        require(actor, EDIT)
        return await self.categories(actor)

    async def topics(self, actor: Actor) -> list[TopicChoice]:
        """The appeal topics an article may be linked to, with their names."""
        require(actor, READ)
        async with self._sessions() as s:
            return await store.topic_choices(s)

    async def editing_topics(self, actor: Actor) -> list[TopicChoice]:
        """The topics the article form offers (editors only)."""
        require(actor, EDIT)
        return await self.topics(actor)

    # writing ----------------------------------------------------------------------

    async def create(self, actor: Actor, data: ArticleInput) -> Article:
        """A new draft. Raises ValidationFailed naming an unknown category or
        topic."""
        require(actor, EDIT)
        now = self._clock.now()
        row = ArticleRow(
            id=uuid.uuid4(), status=ArticleStatus.DRAFT.value, version=1,
            created_at=now, created_by=actor.login, updated_at=now,
            updated_by=actor.login, published_at=None,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            await _check(s, data)
            _write(row, data)
            s.add(row)
            await s.flush()
            await self._changed(s, actor, row, data.topic_codes, Change.CREATED)
            return await _article(s, row)

    async def update(
        self, actor: Actor, article_id: uuid.UUID, data: ArticleChange
    ) -> Article:
        """Rewrite the article. Raises ArticleChanged when it is no longer at
        `data.version` (someone saved it meanwhile: nothing is overwritten)."""
        require(actor, EDIT)
        try:
            async with self._sessions.begin() as s:
                row = await _locked(s, article_id)
                if row.version != data.version:
                    raise _changed_meanwhile(row, data.version)
                await _check(s, data)
                _write(row, data)
                self._touch(row, actor)
                await self._changed(s, actor, row, data.topic_codes, Change.EDITED)
                return await _article(s, row)
        except IntegrityError:
            # another save took this version number between our read and write
            raise ArticleChanged("the article was changed meanwhile") from None

    async def publish(self, actor: Actor, article_id: uuid.UUID) -> Article:
        """Show the article to everyone (no change when it is published)."""
        return await self._set_status(actor, article_id, ArticleStatus.PUBLISHED)

    async def unpublish(self, actor: Actor, article_id: uuid.UUID) -> Article:
        """Take the article back to a draft (no change when it is one)."""
        return await self._set_status(actor, article_id, ArticleStatus.DRAFT)

    async def delete(self, actor: Actor, article_id: uuid.UUID) -> None:
        """Delete the article and its versions; the audit log keeps who did it."""
        require(actor, EDIT)
        async with self._sessions.begin() as s:
            row = await _locked(s, article_id)
            await index_for(s).remove(s, row.id)
            write_audit(
                s, actor, "kb.article.delete", at=self._clock.now(),
                object_type="kb_article", object_id=row.id,
                details={"title": row.title, "version": row.version},
            )  # fmt: skip
            await s.delete(row)
        log.info("article deleted article=%s by=%s", article_id, actor.login)

    async def _set_status(
        self, actor: Actor, article_id: uuid.UUID, status: ArticleStatus
    ) -> Article:
        require(actor, EDIT)
        async with self._sessions.begin() as s:
            row = await _locked(s, article_id)
            if row.status != status.value:
                row.status = status.value
                self._touch(row, actor)
                if status is ArticleStatus.PUBLISHED:
                    row.published_at = row.updated_at
                links = await store.topics_of(s, [row.id])
                change = (
                    Change.PUBLISHED
                    if status is ArticleStatus.PUBLISHED
                    else Change.UNPUBLISHED
                )
                await self._changed(s, actor, row, links[row.id], change)
            return await _article(s, row)

    def _touch(self, row: ArticleRow, actor: Actor) -> None:
        row.version += 1
        row.updated_at = self._clock.now()
        row.updated_by = actor.login

    async def _changed(
        self,
        s: AsyncSession,
        actor: Actor,
        row: ArticleRow,
        topic_codes: Collection[str],
        change: Change,
    ) -> None:
        """Keep the version `change` made, the links, the index and the audit."""
        codes = sorted(set(topic_codes))
        await store.link_topics(s, row.id, codes)
        s.add(store.snapshot(row, codes, change))
        await index_for(s).write(s, row)
        write_audit(
            s, actor, f"kb.article.{change.value}", at=row.updated_at,
            object_type="kb_article", object_id=row.id,
            details={"title": row.title, "version": row.version},
        )  # fmt: skip
        await s.flush()
        log.info(
            "article %s article=%s version=%d by=%s",
            change.value, row.id, row.version, actor.login,
        )  # fmt: skip

    # categories -------------------------------------------------------------------

    async def add_category(self, actor: Actor, data: CategoryInput) -> Category:
        require(actor, EDIT)
        _check_category(data)
        row = CategoryRow(id=uuid.uuid4(), name_en=data.name_en, name_ru=data.name_ru)
        async with self._sessions.begin() as s:
            s.add(row)
            self._audit_category(s, actor, "kb.category.add", row)
        return store.category_of(row)

    async def rename_category(
        self, actor: Actor, category_id: uuid.UUID, data: CategoryInput
    ) -> Category:
        require(actor, EDIT)
        _check_category(data)
        async with self._sessions.begin() as s:
            row = await store.load_category(s, category_id)
            row.name_en, row.name_ru = data.name_en, data.name_ru
            self._audit_category(s, actor, "kb.category.rename", row)
        return store.category_of(row)

    async def delete_category(self, actor: Actor, category_id: uuid.UUID) -> None:
        """Delete the category; its articles stay, without a category."""
        require(actor, EDIT)
        async with self._sessions.begin() as s:
            row = await store.load_category(s, category_id)
            self._audit_category(s, actor, "kb.category.delete", row)
            await s.delete(row)

    def _audit_category(
        self, s: AsyncSession, actor: Actor, action: str, row: CategoryRow
    ) -> None:
        write_audit(
            s, actor, action, at=self._clock.now(), object_type="kb_category",
            object_id=row.id, details={"name_en": row.name_en, "name_ru": row.name_ru},
        )  # fmt: skip


def _visible(actor: Actor, wanted: ArticleStatus | None) -> set[ArticleStatus]:
    allowed = set(ArticleStatus) if actor.can(EDIT) else {ArticleStatus.PUBLISHED}
    return allowed if wanted is None else allowed & {wanted}


async def _article(s: AsyncSession, row: ArticleRow) -> Article:
    links = await store.topics_of(s, [row.id])
    return store.article_of(row, links[row.id])


async def _locked(s: AsyncSession, article_id: uuid.UUID) -> ArticleRow:
    """The article's row, locked until the end of `s`'s transaction (PostgreSQL;
    SQLite lets one writer at a time anyway)."""
    row = await s.get(ArticleRow, article_id, with_for_update=True)
    if row is None:
        raise ArticleNotFound(f"no article {article_id}")
    return row


def _write(row: ArticleRow, data: ArticleInput) -> None:
    row.title = data.title
    row.body = data.body
    row.language = data.language.value
    row.category_id = data.category_id


async def _check(s: AsyncSession, data: ArticleInput) -> None:
    errors = []
    if (
        data.category_id is not None
        and await s.get(CategoryRow, data.category_id) is None
    ):
        errors.append(FieldError("category_id", "no such category"))
    known = await store.known_topic_codes(s, data.topic_codes)
    errors += [
        FieldError(f"topic_codes[{i}]", f"no such topic {code!r}")
        for i, code in enumerate(data.topic_codes)
        if code not in known
    ]
    if errors:
        raise ValidationFailed(errors)


def _check_category(data: CategoryInput) -> None:
    if not (data.name_en or data.name_ru):
        raise ValidationFailed([FieldError("name_en", "is required")])


def _changed_meanwhile(row: ArticleRow, edited: int) -> ArticleChanged:
    return ArticleChanged(
        f"{row.updated_by} saved version {row.version} at "
        f"{row.updated_at.isoformat(timespec='minutes')}; you edited version {edited}"
    )
