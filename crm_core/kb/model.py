"""The knowledge base as values: articles (title, body in the simple markup of
`crm_core.kb.markup`, language, category, linked appeal topics, draft or
published), their versions, categories, and what a search finds. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

ArticleId = NewType("ArticleId", uuid.UUID)
CategoryId = NewType("CategoryId", uuid.UUID)

TITLE_MAX = 200
BODY_MAX = 20_000
CATEGORY_NAME_MAX = 100
TOPICS_MAX = 50
QUERY_MAX = 200


class Language(StrEnum):
    """An article's language: it picks the search's stemming (PostgreSQL's
    `english` or `russian` configuration)."""

    EN = "en"
    RU = "ru"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    """Seen by editors only."""
    PUBLISHED = "published"


class Change(StrEnum):
    """What a version of an article records."""

    CREATED = "created"
    EDITED = "edited"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    id: CategoryId
    name_en: str
    name_ru: str
    articles: int = 0
    """How many articles it holds (drafts too)."""

    def name(self, language: str) -> str:
        """Its name in `language`, else in the other one."""
        own = self.name_ru if language == Language.RU else self.name_en
        return own or self.name_en or self.name_ru


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    id: ArticleId
    title: str
    body: str
    language: Language
    status: ArticleStatus
    category_id: CategoryId | None
    topic_codes: tuple[str, ...]
    """Appeal topics it answers: agents on those topics see it first."""
    version: int
    """1 when created, one more with every change."""
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    """The login of who made the last change."""
    published_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """One change of an article: who, when, what it did, and the article after it."""

    article_id: ArticleId
    version: int
    change: Change
    changed_at: datetime
    changed_by: str
    title: str
    body: str
    language: Language
    status: ArticleStatus
    category_id: CategoryId | None
    topic_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicChoice:
    """An appeal topic an article may be linked to."""

    id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """A piece of a snippet; `hit` when it is a word the search asked for."""

    text: str
    hit: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Snippet:
    segments: tuple[Segment, ...]
    cut_before: bool
    """The body goes on before the snippet (show an ellipsis)."""
    cut_after: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    article: Article
    snippet: Snippet
    on_topic: bool
    """Linked to the topic the search was made for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleQuery:
    """What to look for; an empty `text` lists articles (newest change first)."""

    text: str = ""
    topic_code: str | None = None
    """Articles linked to this appeal topic come first."""
    topic_id: uuid.UUID | None = None
    """The same, naming the topic by id (the agent desk's topic choice)."""
    on_topic_only: bool = False
    category_id: CategoryId | None = None
    language: Language | None = None
    status: ArticleStatus | None = None
    """None: what the actor may see (drafts for editors only)."""
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    hits: tuple[Hit, ...]
    total: int
    """How many match in all (for "page 2 of 5")."""
